//! The documents cannot drift from the truth. Every `console` block in the
//! guides ([`DOCS`]: docs/pid1.md, docs/testing-shutdown.md) is run here
//! with bash, exactly as written, in an empty directory of its own, and
//! what it prints must match the block's output lines. In those, `…` stands
//! for any text (pids, times), and runs of spaces or tabs count as one
//! space.
//!
//! A guide's names are made unique for the run: its image (`pidone-demo`,
//! `graceful-demo`), the images its experiments build on it, and every
//! `--name NAME` become `pidone-test-<run>-<n>-…`, in commands and output
//! alike, and are removed afterwards. On the guides' PATH come first
//! `pidone`, the static release build, and the static apps they run,
//! `testee` (the suite's test app) and `graceful` (the example app): the
//! files their images are built from, and all they use besides the
//! machine's own `sh`, `sleep`, `unshare`, `python3`, `docker` and, for
//! pid1.md's image, Debian's static `busybox` (without it the Docker
//! blocks skip with one loud line, or fail under `CI=true`).
//!
//! examples/kubernetes/pod.yaml is checked against Dockerfile.example.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::Duration;

use crate::util::{self, docker, run_with_deadline, TempDir};

/// How long one block may run (the shell-form blocks wait out `docker
/// stop`'s 10 s).
const BLOCK_DEADLINE: Duration = Duration::from_secs(120);

/// A guide whose `console` blocks are run.
#[derive(Clone, Copy, Debug)]
struct Doc {
    /// Its path in the checkout.
    path: &'static str,
    /// The name of the image its Docker blocks build and use.
    image: &'static str,
    /// The images its experiments build on that one (renamed and removed
    /// like it).
    more_images: &'static [&'static str],
    /// Programs its Docker blocks need besides docker: (program, package).
    needs: &'static [(&'static str, &'static str)],
    /// How many blocks without and with Docker it has at least, so that a
    /// broken fence cannot quietly drop blocks from the test.
    local: usize,
    docker: usize,
}

/// The hands-on guide to PID 1.
const PID1: Doc = Doc {
    path: "docs/pid1.md",
    image: "pidone-demo",
    more_images: &["shell-form"],
    needs: &[("busybox", "busybox-static")],
    local: 3,
    docker: 12,
};

/// How to test an app's shutdown with `--stop-after` and `--report`.
const SHUTDOWN: Doc = Doc {
    path: "docs/testing-shutdown.md",
    image: "graceful-demo",
    more_images: &[],
    needs: &[],
    local: 3,
    docker: 2,
};

/// Every guide that is run.
const DOCS: [Doc; 2] = [PID1, SHUTDOWN];

/// One `console` block: commands (`$ ` lines) and the output they print.
#[derive(Clone, Debug)]
struct Block {
    /// The guide it is in, for messages.
    doc: &'static str,
    /// Line number of the opening fence, for messages.
    line: usize,
    commands: Vec<String>,
    output: Vec<String>,
}

impl Block {
    fn uses_docker(&self) -> bool {
        self.commands.iter().any(|c| c.contains("docker "))
    }

    /// Whether this is the block that builds IMAGE, the guide's image,
    /// which the others use.
    fn builds(&self, image: &str) -> bool {
        let tag = format!("--tag {image} ");
        self.commands
            .iter()
            .any(|c| c.contains("docker build") && c.contains(&tag))
    }

    /// The container names the block gives with `--name`.
    fn container_names(&self) -> Vec<String> {
        let mut names = vec![];
        for command in &self.commands {
            let words: Vec<&str> = command.split_whitespace().collect();
            for pair in words.windows(2) {
                if pair[0] == "--name" && !names.iter().any(|n| n == pair[1]) {
                    names.push(pair[1].to_string());
                }
            }
        }
        names
    }

    /// The block with every (FROM, TO) whole-word replacement applied.
    fn renamed(&self, renames: &[(String, String)]) -> Block {
        let rename = |text: &String| {
            renames.iter().fold(text.clone(), |text, (from, to)| {
                replace_word(&text, from, to)
            })
        };
        Block {
            doc: self.doc,
            line: self.line,
            commands: self.commands.iter().map(rename).collect(),
            output: self.output.iter().map(rename).collect(),
        }
    }
}

/// Every `console` block of DOC.
fn blocks(doc: Doc) -> Vec<Block> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(doc.path);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", doc.path));
    let mut blocks = vec![];
    let mut current: Option<Block> = None;
    for (i, line) in text.lines().enumerate() {
        match current.as_mut() {
            None if line.trim_end() == "```console" => {
                current = Some(Block {
                    doc: doc.path,
                    line: i + 1,
                    commands: vec![],
                    output: vec![],
                })
            }
            None => {}
            Some(_) if line.trim_end() == "```" => blocks.extend(current.take()),
            Some(block) => match line.strip_prefix("$ ") {
                Some(command) => block.commands.push(command.to_string()),
                None => block.output.push(line.to_string()),
            },
        }
    }
    assert!(current.is_none(), "{}: an unclosed console block", doc.path);
    blocks
}

/// TEXT with every whole-word FROM replaced by TO (words being runs of
/// letters, digits, `-` and `_`, as Docker names are).
fn replace_word(text: &str, from: &str, to: &str) -> String {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(from) {
        let before = rest[..at].chars().last().or_else(|| out.chars().last());
        let after = rest[at + from.len()..].chars().next();
        out.push_str(&rest[..at]);
        if before.is_some_and(is_word) || after.is_some_and(is_word) {
            out.push_str(from);
        } else {
            out.push_str(to);
        }
        rest = &rest[at + from.len()..];
    }
    out.push_str(rest);
    out
}

/// Whether LINE matches PATTERN, where `…` matches any text and whitespace
/// runs are one space on both sides.
fn matches(pattern: &str, line: &str) -> bool {
    let squeeze = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let (pattern, line) = (squeeze(pattern), squeeze(line));
    let parts: Vec<&str> = pattern.split('…').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if parts.len() == 1 {
        return line == pattern;
    }
    if !line.starts_with(first) || line.len() < first.len() + last.len() {
        return false;
    }
    let middle = &line[first.len()..];
    if !middle.ends_with(last) {
        return false;
    }
    // Leftmost matching of the inner parts is enough when `…` is the only
    // wildcard.
    let mut middle = &middle[..middle.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match middle.find(part) {
            Some(at) => middle = &middle[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// A directory holding just `pidone`, `testee` and `graceful` (links to
/// their static builds), for the front of the guides' PATH. In this checkout's own
/// scratch directory, made anew once per run: the links always point at
/// the same static builds, so a concurrent run of the same checkout agrees.
fn guide_bin() -> &'static Path {
    static BIN: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("guide-bin");
        std::fs::create_dir_all(&dir).expect("create the guide's bin directory");
        for (name, target) in [
            ("pidone", util::static_pidone()),
            ("testee", util::static_testee()),
            ("graceful", util::static_graceful()),
        ] {
            let link = dir.join(name);
            if std::fs::read_link(&link).is_ok_and(|old| old == target) {
                continue;
            }
            let _ = std::fs::remove_file(&link);
            std::os::unix::fs::symlink(target, &link)
                .unwrap_or_else(|e| panic!("link {name} into the guide's PATH: {e}"));
        }
        dir
    })
}

/// Runs BLOCK's commands in one bash (stderr merged into stdout, as on a
/// terminal) in an empty directory, and compares what they print with the
/// block's output lines.
fn run(block: &Block) -> Result<(), String> {
    // Files a block writes (`--report r.json`) stay its own, and go.
    let dir = TempDir::new("guide-block");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let bin = guide_bin();
    let path =
        std::env::join_paths(std::iter::once(bin.to_owned()).chain(std::env::split_paths(&path)))
            .unwrap();
    let script = format!("exec 2>&1\n{}\n", block.commands.join("\n"));
    let mut bash = Command::new("bash");
    bash.args(["-c", &script])
        .current_dir(dir.path())
        .env("PATH", path)
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        // Its own group, so a deadline kill takes everything it started.
        .process_group(0);
    for (name, _) in std::env::vars() {
        if name.starts_with("PIDONE_") || name.starts_with("TINI_") {
            bash.env_remove(name);
        }
    }
    let out = run_with_deadline(bash, BLOCK_DEADLINE);
    let printed = String::from_utf8_lossy(&out.stdout);
    let printed: Vec<&str> = printed.lines().collect();
    let same = printed.len() == block.output.len()
        && block
            .output
            .iter()
            .zip(&printed)
            .all(|(want, got)| matches(want, got));
    if same {
        return Ok(());
    }
    Err(format!(
        "{} line {}: the block printed something else.\n--- commands\n{}\n\
         --- the guide says\n{}\n--- it printed\n{}\n",
        block.doc,
        block.line,
        block.commands.join("\n"),
        block.output.join("\n"),
        printed.join("\n")
    ))
}

/// Runs BLOCKS in parallel (each is independent) and fails with every
/// mismatch at once.
fn run_all(blocks: &[Block]) {
    let failures: Vec<String> = thread::scope(|scope| {
        let runs: Vec<_> = blocks.iter().map(|b| scope.spawn(move || run(b))).collect();
        runs.into_iter()
            .filter_map(|r| r.join().expect("a block's thread panicked").err())
            .collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Runs DOC's blocks that need no Docker.
fn run_local(doc: Doc) {
    let blocks: Vec<Block> = blocks(doc)
        .into_iter()
        .filter(|b| !b.uses_docker())
        .collect();
    assert!(blocks.len() >= doc.local, "{}: {blocks:#?}", doc.path);
    run_all(&blocks);
}

/// Runs DOC's Docker blocks: first the one that builds its image, then the
/// others, in parallel. Without a daemon, skips (announced) or, under
/// `CI=true`, fails, as every Docker test does.
fn run_docker(doc: Doc) {
    let Some(docker) = docker::docker() else {
        return;
    };
    for (program, package) in doc.needs {
        if !util::command_exists(program) {
            util::skip(
                &format!("{}'s Docker blocks", doc.path),
                &format!("they need {program}"),
                &format!("apt-get install {package} (or run .ci/run)"),
            );
            return;
        }
    }
    let all: Vec<Block> = blocks(doc).into_iter().filter(Block::uses_docker).collect();
    let image = docker.image(util::unique(doc.image));
    let mut renames = vec![(doc.image.to_string(), image.name.clone())];
    // Removed after the containers (their guards drop first), before the
    // guide's image they are built on.
    let mut more_images = vec![];
    for name in doc.more_images {
        let more = docker.image(util::unique(name));
        renames.push((name.to_string(), more.name.clone()));
        more_images.push(more);
    }
    let mut containers = vec![];
    for block in &all {
        for name in block.container_names() {
            let container = docker.container(util::unique(&name));
            renames.push((name, container.name.clone()));
            containers.push(container);
        }
    }
    let (setup, experiments): (Vec<Block>, Vec<Block>) = all
        .iter()
        .map(|b| b.renamed(&renames))
        .partition(|b| b.builds(&image.name));
    assert_eq!(setup.len(), 1, "one block builds the image: {setup:#?}");
    assert!(experiments.len() + 1 >= doc.docker, "{experiments:#?}");
    run_all(&setup);
    run_all(&experiments);
    // The guards remove the containers, then the images.
    drop(containers);
    drop(more_images);
}

#[test]
fn the_guides_unshare_experiments_print_what_it_says() {
    run_local(PID1);
}

#[test]
fn the_guides_docker_experiments_print_what_it_says() {
    run_docker(PID1);
}

#[test]
fn the_shutdown_guides_local_drills_print_what_it_says() {
    run_local(SHUTDOWN);
}

#[test]
fn the_shutdown_guides_docker_drill_prints_what_it_says() {
    run_docker(SHUTDOWN);
}

#[test]
fn the_guides_images_have_pidone_where_the_recipe_puts_it() {
    // The guides build their images by hand (the recipe's app part is not
    // theirs); their pidone part must still be the recipe's.
    let recipe = docker::Recipe::read();
    for doc in DOCS {
        let build: Vec<Block> = blocks(doc)
            .into_iter()
            .filter(|b| b.builds(doc.image))
            .collect();
        let [block] = &build[..] else {
            panic!("{}: one block builds the image: {build:#?}", doc.path)
        };
        let script = block.commands.join("\n");
        for line in [
            "FROM scratch".to_string(),
            format!("COPY pidone {}", recipe.pidone),
            recipe.entrypoint.clone(),
        ] {
            assert!(
                script.contains(&format!("'{line}'")),
                "{line:?} not in {}'s image:\n{script}",
                doc.path
            );
        }
    }
}

#[test]
fn replace_word_and_matches_do_what_the_guide_test_needs() {
    assert_eq!(
        replace_word("docker rm oom; echo OOMKilled oom-2 oom", "oom", "X"),
        "docker rm X; echo OOMKilled oom-2 X"
    );
    assert_eq!(
        replace_word("--name with-init --init", "init", "X"),
        "--name with-init --init"
    );
    assert!(matches("real\t0m5.…s", "real 0m5.312s"));
    assert!(!matches("real\t0m0.…s", "real 0m5.312s"));
    assert!(matches("    …     1 Z    sleep", "   14     1 Z    sleep"));
    assert!(!matches("…  1 Z sleep", "14 1 S sleep"));
    assert!(matches(
        "[WARN pidone (1)] Reaped zombie process with pid=…",
        "[WARN pidone (1)] Reaped zombie process with pid=18"
    ));
    assert!(matches("a…b…c", "a-x-b-y-c"));
    assert!(!matches("a…b…c", "a-x-c"));
    assert!(matches("exact", "exact"));
    assert!(!matches("exact", "exactly"));
}

/// The strings inside the first `[...]` on LINE (a YAML or JSON flow list
/// of quoted strings).
fn quoted_list(line: &str) -> Vec<String> {
    let inner = line
        .split_once('[')
        .and_then(|(_, rest)| rest.rsplit_once(']'))
        .map_or("", |(inner, _)| inner);
    inner
        .split(',')
        .map(|item| item.trim().trim_matches('"').to_string())
        .filter(|item| !item.is_empty())
        .collect()
}

/// The value after `KEY:` on the first line of TEXT that has it.
fn yaml_value<'a>(text: &'a str, key: &str) -> &'a str {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .find_map(|l| l.trim_start().trim_start_matches("- ").strip_prefix(key))
        .unwrap_or_else(|| panic!("pod.yaml has no {key}"))
        .trim()
}

#[test]
fn the_kubernetes_example_agrees_with_the_recipe() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let pod = std::fs::read_to_string(root.join("examples/kubernetes/pod.yaml")).unwrap();
    let recipe = std::fs::read_to_string(root.join("Dockerfile.example")).unwrap();
    let entrypoint = recipe
        .lines()
        .find(|l| l.starts_with("ENTRYPOINT"))
        .map(quoted_list)
        .expect("Dockerfile.example has an ENTRYPOINT");
    let command = quoted_list(yaml_value(&pod, "command:"));
    // The recipe's ENTRYPOINT, with options between pidone and the `--`.
    assert_eq!(command.first(), entrypoint.first(), "{command:?}");
    assert_eq!(command.last(), entrypoint.last(), "{command:?}");
    // The grace period of pidone fits inside the pod's.
    let grace = command
        .iter()
        .position(|a| a == "--grace")
        .and_then(|i| command.get(i + 1))
        .and_then(|g| g.strip_suffix('s')?.parse::<u64>().ok())
        .expect("the example sets --grace in seconds");
    let pod_grace: u64 = yaml_value(&pod, "terminationGracePeriodSeconds:")
        .parse()
        .unwrap();
    assert!(grace * 2 <= pod_grace, "--grace {grace}s vs {pod_grace}s");
    // pidone writes its verdict where the kubelet reads it.
    let path = yaml_value(&pod, "terminationMessagePath:");
    let variable = pod
        .lines()
        .skip_while(|l| !l.contains("name: PIDONE_TERMINATION_LOG"))
        .nth(1)
        .and_then(|l| l.trim().strip_prefix("value:"))
        .map(str::trim);
    assert_eq!(variable, Some(path));
}
