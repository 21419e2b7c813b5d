//! The Docker harness: a daemon to talk to (or a loud skip), the static
//! pidone and testee that go into images, images built `FROM scratch` with
//! the final stage of `Dockerfile.example`, containers run attached or
//! detached, and a throwaway second `dockerd`.
//!
//! There is no registry on the machines this runs on, so nothing is ever
//! pulled: every image is built from local files with the legacy builder
//! (which needs no registry for `FROM scratch`) or moved with `docker save |
//! docker load`. Every image and container gets a unique name
//! (`pidone-test-<pid>-<n>-…`) and a `pidone-test=<pid>` label, and a guard
//! whose `Drop` removes it, so parallel tests never collide and a failing
//! test leaves nothing behind; leftovers of a run that was killed outright
//! are swept by the next run. Every docker command runs under a deadline.

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::os::unix::fs::symlink;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use crate::util::{Captured, DEADLINE};

/// The label every image and container of ours carries; its value is the pid
/// of the test process that made it.
const LABEL: &str = "pidone-test";

/// How long a docker command other than a build may take.
const COMMAND_DEADLINE: Duration = Duration::from_secs(60);

/// How long an image build may take (cold caches on a slow disk).
const BUILD_DEADLINE: Duration = Duration::from_secs(180);

/// Writes one line straight to the test process's stderr, past libtest's
/// output capture (which only sees `print!`/`eprint!`), so that measured
/// figures and skip notices show in a plain `cargo test` run.
pub fn announce(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Whether this is a CI run (`CI=true`), where a missing Docker is a failure
/// rather than a reason to skip.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The Docker daemon the tests use (`DOCKER_HOST` or the default socket), or
/// `None` when there is none: then the caller returns early. Outside CI a
/// missing daemon is announced once, loudly; under `CI=true` it fails the
/// test instead.
pub fn docker() -> Option<Docker> {
    static AVAILABLE: OnceLock<Result<(), String>> = OnceLock::new();
    let available = AVAILABLE.get_or_init(|| {
        let docker = Docker::default();
        let probe = docker
            .command(["info", "--format", "{{.ServerVersion}}"])
            .stdin(Stdio::null())
            .output();
        match probe {
            Ok(out) if out.status.success() => {
                docker.sweep_leftovers();
                Ok(())
            }
            Ok(out) => Err(String::from_utf8_lossy(&out.stderr).trim().to_string()),
            Err(e) => Err(format!("cannot run `docker`: {e}")),
        }
    });
    match available {
        Ok(()) => Some(Docker::default()),
        Err(why) if in_ci() => panic!("CI=true but no Docker daemon answers: {why}"),
        Err(why) => {
            static SAID: OnceLock<()> = OnceLock::new();
            SAID.get_or_init(|| {
                announce(&format!(
                    "!!! SKIPPING every Docker test: no Docker daemon answers ({why}). \
                     Start one (or run .ci/run), or set CI=true to make this a failure."
                ))
            });
            None
        }
    }
}

/// Whether PROGRAM is on PATH.
pub fn command_exists(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// A name no other test (or test run) uses: `pidone-test-<pid>-<n>-WHAT`,
/// lowercase as image names must be.
pub fn unique(what: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{LABEL}-{}-{n}-{what}", std::process::id())
}

/// The `--label` argument that marks things as ours.
pub fn label() -> String {
    format!("{LABEL}={}", std::process::id())
}

/// One Docker daemon, addressed by `-H` (or the environment's default).
#[derive(Clone, Debug, Default)]
pub struct Docker {
    host: Option<String>,
}

impl Docker {
    /// A `docker` command for this daemon, with ARGS. The legacy builder is
    /// chosen explicitly: it builds `FROM scratch` without any registry and
    /// behaves the same whether or not buildx is installed.
    pub fn command<S: AsRef<OsStr>>(&self, args: impl IntoIterator<Item = S>) -> Command {
        let mut command = Command::new("docker");
        if let Some(host) = &self.host {
            command.args(["-H", host]);
        }
        command.env("DOCKER_BUILDKIT", "0").args(args);
        command
    }

    /// Runs `docker ARGS` to completion under a deadline.
    pub fn output<S: AsRef<OsStr>>(&self, args: impl IntoIterator<Item = S>) -> Output {
        let mut command = self.command(args);
        command.stdin(Stdio::null());
        run_with_deadline(command, COMMAND_DEADLINE)
    }

    /// Runs `docker ARGS`, which must succeed; returns its trimmed stdout.
    pub fn ok<S: AsRef<OsStr>>(&self, args: impl IntoIterator<Item = S>) -> String {
        let mut command = self.command(args);
        command.stdin(Stdio::null());
        let description = format!("{command:?}");
        let out = run_with_deadline(command, COMMAND_DEADLINE);
        assert!(out.status.success(), "{description} failed: {out:#?}");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// `docker inspect --format FORMAT NAME`, trimmed.
    pub fn inspect(&self, name: &str, format: &str) -> String {
        self.ok(["inspect", "--format", format, name])
    }

    /// Builds the test image: the final stage of `Dockerfile.example` (same
    /// paths, same ENTRYPOINT and CMD) from the locally built static pidone
    /// and busybox, plus our label and the static testee at `/testee`.
    pub fn test_image(&self) -> Image {
        let name = unique("image");
        let context = TempDir::new("context");
        let dir = context.path();
        std::fs::copy(static_pidone(), dir.join("pidone")).expect("copy pidone into the context");
        std::fs::copy(static_testee(), dir.join("testee")).expect("copy testee into the context");
        let recipe = Recipe::read();
        std::fs::create_dir(dir.join("bin")).expect("mkdir bin");
        std::fs::copy(busybox(), dir.join("bin/busybox")).expect("copy busybox into the context");
        for tool in &recipe.tools {
            symlink("busybox", dir.join("bin").join(tool)).expect("link a busybox tool");
        }
        // Our label right after FROM, so that even the intermediate images
        // of a build that failed half-way carry it and are swept later.
        let (from, rest) = recipe
            .final_stage
            .split_once('\n')
            .expect("a stage has more than its FROM line");
        let dockerfile = format!("{from}\nLABEL {}\n{rest}\nCOPY testee /testee\n", label());
        std::fs::write(dir.join("Dockerfile"), dockerfile).expect("write the Dockerfile");
        // --no-cache: the legacy builder would reuse another test's
        // intermediate images as its cache, and that test's `docker rmi`
        // prunes them mid-build ("layer does not exist").
        let mut build = self.command(["build", "--quiet", "--no-cache", "--tag", &name]);
        build.arg(dir).stdin(Stdio::null());
        let description = format!("{build:?}");
        let out = run_with_deadline(build, BUILD_DEADLINE);
        assert!(out.status.success(), "{description} failed: {out:#?}");
        Image {
            docker: self.clone(),
            name,
        }
    }

    /// Starts `docker run --name NAME --network none OPTIONS IMAGE ARGS`
    /// attached, with its output read line by line.
    pub fn run_attached(&self, options: &[&str], image: &Image, args: &[&str]) -> Attached {
        let name = unique("run");
        let mut command = self.command(["run", "--name", &name, "--label", &label()]);
        command
            .args(["--network", "none"])
            .args(options)
            .arg(&image.name)
            .args(args);
        command.stdin(Stdio::null());
        Attached::start(command, self.container(name))
    }

    /// A guard that removes image NAME when dropped.
    pub fn image(&self, name: String) -> Image {
        Image {
            docker: self.clone(),
            name,
        }
    }

    /// A guard that removes container NAME when dropped.
    pub fn container(&self, name: String) -> Container {
        Container {
            docker: self.clone(),
            name,
        }
    }

    /// Copies IMAGE from this daemon into OTHER (`docker save | docker
    /// load`: no registry involved); the copy is removed with OTHER's guard.
    pub fn copy_image_to(&self, image: &Image, other: &Docker) -> Image {
        let mut save = self
            .command(["save", &image.name])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("run docker save");
        let stream = save.stdout.take().expect("piped stdout");
        let mut load = other.command(["load", "--quiet"]);
        load.stdin(Stdio::from(stream));
        let out = run_with_deadline(load, COMMAND_DEADLINE);
        let saved = save.wait().expect("wait for docker save");
        assert!(
            saved.success() && out.status.success(),
            "save | load: {out:#?}"
        );
        Image {
            docker: other.clone(),
            name: image.name.clone(),
        }
    }

    /// Removes our containers and images left by test runs whose process is
    /// gone (killed before their guards could run).
    fn sweep_leftovers(&self) {
        let filter = format!("label={LABEL}");
        let ids = |kind: &str| -> Vec<String> {
            let out = self.output([kind, "--all", "--quiet", "--filter", &filter]);
            String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .map(String::from)
                .collect()
        };
        // `ID PID` for each object, PID being the test process that made it.
        let stale = |ids: Vec<String>| -> Vec<String> {
            if ids.is_empty() {
                return vec![];
            }
            let format = format!("{{{{.Id}}}} {{{{index .Config.Labels \"{LABEL}\"}}}}");
            let mut argv = vec!["inspect".to_string(), "--format".to_string(), format];
            argv.extend(ids);
            let out = self.output(argv);
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter_map(|line| {
                    let (id, pid) = line.split_once(' ')?;
                    let alive = Path::new(&format!("/proc/{pid}")).exists();
                    (!alive).then(|| id.to_string())
                })
                .collect()
        };
        for id in stale(ids("ps")) {
            let _ = self.output(["rm", "--force", "--volumes", &id]);
        }
        // Newest first, so children go before their parents.
        for id in stale(ids("images")) {
            let _ = self.output(["rmi", "--force", &id]);
        }
    }
}

/// An image of ours; removed when dropped.
pub struct Image {
    docker: Docker,
    pub name: String,
}

impl Drop for Image {
    fn drop(&mut self) {
        let _ = self.docker.output(["rmi", "--force", &self.name]);
    }
}

/// A container of ours; removed (with its anonymous volumes) when dropped.
pub struct Container {
    docker: Docker,
    pub name: String,
}

impl Container {
    /// `docker inspect --format FORMAT` on this container.
    pub fn inspect(&self, format: &str) -> String {
        self.docker.inspect(&self.name, format)
    }

    /// `docker exec NAME ARGS`, which must succeed; its stdout.
    pub fn exec(&self, args: &[&str]) -> String {
        let mut argv = vec!["exec", self.name.as_str()];
        argv.extend(args);
        self.docker.ok(argv)
    }

    /// `docker stop -t TIMEOUT NAME`; returns how long the command took.
    pub fn stop(&self, timeout: u32) -> Duration {
        let start = Instant::now();
        self.docker
            .ok(["stop", "--time", &timeout.to_string(), &self.name]);
        start.elapsed()
    }

    /// `docker kill --signal SIGNAL NAME`.
    pub fn kill(&self, signal: &str) {
        self.docker.ok(["kill", "--signal", signal, &self.name]);
    }

    /// The exit code Docker recorded (`.State.ExitCode`).
    pub fn exit_code(&self) -> i32 {
        let code = self.inspect("{{.State.ExitCode}}");
        code.parse()
            .unwrap_or_else(|_| panic!("exit code of {}: {code:?}", self.name))
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = self
            .docker
            .output(["rm", "--force", "--volumes", &self.name]);
    }
}

/// An attached `docker run` (or anything whose stdout is a container's):
/// stdout lines arrive on a channel, stderr is collected.
pub struct Attached {
    // Dropped first: the command is killed before the container goes.
    captured: Captured,
    pub container: Container,
}

impl Attached {
    /// Spawns COMMAND (stdout and stderr piped) for CONTAINER.
    pub fn start(command: Command, container: Container) -> Attached {
        let description = format!("{command:?}");
        Attached {
            captured: Captured::spawn(command, description, true),
            container,
        }
    }

    /// Waits for the exact stdout line WANT; earlier lines are skipped.
    pub fn expect(&mut self, want: &str) {
        let deadline = Instant::now() + DEADLINE;
        while self.captured.next_line(deadline, want) != want {}
    }

    /// The command's stdin, if it was piped (once).
    pub fn take_stdin(&mut self) -> Option<std::process::ChildStdin> {
        self.captured.process.stdin.take()
    }

    /// Waits (bounded) for the command to exit; returns its exit code and
    /// everything it printed. The container stays until `self` is dropped,
    /// so it can still be inspected. (Dropping kills the command first;
    /// the container guard, dropped right after, removes the container.)
    pub fn finish(&mut self) -> Ended {
        let (status, stdout, stderr) = self.captured.wait(COMMAND_DEADLINE, "the attached command");
        Ended {
            code: status.code(),
            stdout,
            stderr,
            description: self.captured.description.clone(),
        }
    }
}

/// How an attached command ended.
#[derive(Debug)]
pub struct Ended {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// Shown through `Debug` when an assertion fails.
    #[allow(dead_code)]
    pub description: String,
}

/// Runs COMMAND to completion, killing it after DEADLINE.
pub fn run_with_deadline(mut command: Command, deadline: Duration) -> Output {
    let description = format!("{command:?}");
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {description}: {e}"));
    // Drain both pipes on threads, so a chatty command cannot block.
    let mut out = child.stdout.take().expect("piped stdout");
    let mut err = child.stderr.take().expect("piped stderr");
    let out_reader = thread::spawn(move || {
        let mut bytes = vec![];
        let _ = out.read_to_end(&mut bytes);
        bytes
    });
    let err_reader = thread::spawn(move || {
        let mut bytes = vec![];
        let _ = err.read_to_end(&mut bytes);
        bytes
    });
    let end = Instant::now() + deadline;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < end => thread::sleep(Duration::from_millis(10)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{description} did not finish within {deadline:?}");
            }
        }
    };
    Output {
        status,
        stdout: out_reader.join().unwrap_or_default(),
        stderr: err_reader.join().unwrap_or_default(),
    }
}

/// The shipped pidone: `cargo build --release` for the musl target (the
/// static glibc fallback when `.ci/run` set `PIDONE_STATIC_FALLBACK`), into
/// the same private target directory as the static_binary test, so it never
/// waits on the lock of the `cargo test` running us and is built only once.
/// `PIDONE_STATIC_BIN` names a ready-made static binary instead.
pub fn static_pidone() -> &'static Path {
    static PIDONE: OnceLock<PathBuf> = OnceLock::new();
    PIDONE.get_or_init(|| {
        if let Some(path) = std::env::var_os("PIDONE_STATIC_BIN") {
            return PathBuf::from(path);
        }
        let (target, fallback) = target();
        let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("release-check");
        let mut cargo = Command::new(env!("CARGO"));
        cargo
            .args(["build", "--release", "--quiet", "--target", target])
            .arg("--target-dir")
            .arg(&target_dir)
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        if fallback {
            cargo.env("RUSTFLAGS", "-C target-feature=+crt-static");
        }
        let status = cargo.status().expect("run cargo build");
        assert!(
            status.success(),
            "release build of pidone for {target} failed"
        );
        target_dir.join(target).join("release/pidone")
    })
}

/// The testee helper, built static so it runs in a `FROM scratch` image.
pub fn static_testee() -> &'static Path {
    static TESTEE: OnceLock<PathBuf> = OnceLock::new();
    TESTEE.get_or_init(|| {
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/helper/testee.rs");
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("testee-static");
        let (target, _) = target();
        let status = Command::new("rustc")
            .args(["--edition", "2021", "-O", "--target", target])
            .args(["-C", "target-feature=+crt-static", "-o"])
            .arg(&out)
            .arg(&source)
            .status()
            .expect("run rustc to build the static testee");
        assert!(
            status.success(),
            "building a static {} failed",
            source.display()
        );
        out
    })
}

/// The target the static binaries are built for, and whether it is the
/// static glibc fallback that `.ci/run` announces.
fn target() -> (&'static str, bool) {
    if std::env::var_os("PIDONE_STATIC_FALLBACK").is_some() {
        ("x86_64-unknown-linux-gnu", true)
    } else {
        ("x86_64-unknown-linux-musl", false)
    }
}

/// Debian's static busybox (package busybox-static): sh, sleep, ps… in one
/// file that needs no libc in the image.
fn busybox() -> &'static Path {
    let path = Path::new("/bin/busybox");
    let bytes = std::fs::read(path)
        .unwrap_or_else(|e| panic!("{}: {e} (apt-get install busybox-static)", path.display()));
    assert!(
        !has_interpreter(&bytes),
        "{} is dynamically linked: install busybox-static, not busybox",
        path.display()
    );
    path
}

/// Whether an ELF64 file has a PT_INTERP header (needs a dynamic loader).
fn has_interpreter(elf: &[u8]) -> bool {
    let u16_at = |at: usize| u16::from_le_bytes([elf[at], elf[at + 1]]) as usize;
    let u64_at = |at: usize| u64::from_le_bytes(elf[at..at + 8].try_into().unwrap()) as usize;
    let (offset, size, count) = (u64_at(32), u16_at(54), u16_at(56));
    (0..count).any(|i| elf[offset + i * size..offset + i * size + 4] == 3u32.to_le_bytes())
}

/// What the test image takes from `Dockerfile.example`.
pub struct Recipe {
    /// The final stage, with its `COPY --from=…` lines pointed at the build
    /// context (`pidone`, `bin`).
    pub final_stage: String,
    /// The busybox tools the recipe links into `/bin`.
    pub tools: Vec<String>,
}

impl Recipe {
    /// Reads `Dockerfile.example`: its last `FROM scratch` stage, and the
    /// tool list of its `for tool in …` loop. A change the suite cannot
    /// follow fails loudly instead of testing something else.
    pub fn read() -> Recipe {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("Dockerfile.example");
        let text = std::fs::read_to_string(&path).expect("read Dockerfile.example");
        let lines: Vec<&str> = text.lines().collect();
        let start = lines
            .iter()
            .rposition(|l| l.trim() == "FROM scratch")
            .expect("Dockerfile.example has a final `FROM scratch` stage");
        let mut stage = vec![];
        for line in &lines[start..] {
            let line = line.trim_end();
            // The stage ends at the next section banner.
            if line.starts_with("# ---") {
                break;
            }
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            stage.push(match line.split_whitespace().collect::<Vec<_>>()[..] {
                ["COPY", from, "/pidone", dest] if from.starts_with("--from=") => {
                    format!("COPY pidone {dest}")
                }
                ["COPY", from, "/out/bin", dest] if from.starts_with("--from=") => {
                    format!("COPY bin {dest}")
                }
                ["COPY", ..] => panic!("Dockerfile.example: the suite cannot follow {line:?}"),
                _ => line.to_string(),
            });
        }
        let tools = text
            .split_once("for tool in ")
            .and_then(|(_, rest)| rest.split_once(';'))
            .map(|(list, _)| list.split_whitespace().map(String::from).collect())
            .expect("Dockerfile.example links busybox tools with `for tool in …;`");
        Recipe {
            final_stage: stage.join("\n"),
            tools,
        }
    }
}

/// A directory that is removed, with everything in it, when dropped. Under
/// the system temp dir, so unix socket paths inside it stay short.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A fresh, empty directory named after WHAT.
    pub fn new(what: &str) -> TempDir {
        let path = std::env::temp_dir().join(unique(what));
        std::fs::create_dir_all(&path).expect("create a temp dir");
        TempDir(path)
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A throwaway second `dockerd` with its own socket, data root, exec root,
/// pid file and network namespace, no bridge and no iptables rules (so it
/// cannot disturb the main daemon), the vfs storage driver (works on any
/// filesystem) and pidone as its `--init-path`. Stopped, and everything it
/// left removed, when dropped.
pub struct PrivateDaemon {
    pub docker: Docker,
    process: Child,
    log: PathBuf,
    dir: TempDir,
}

impl PrivateDaemon {
    /// Starts the daemon and waits (bounded) until it answers.
    pub fn start(init_path: &Path) -> PrivateDaemon {
        let dir = TempDir::new("dockerd");
        let root = dir.path();
        // An empty config file: the machine's /etc/docker/daemon.json may set
        // data-root too, and dockerd refuses a setting given twice.
        std::fs::write(root.join("daemon.json"), "{}").expect("write daemon.json");
        let log = root.join("dockerd.log");
        let log_file = std::fs::File::create(&log).expect("create the dockerd log");
        let socket = format!("unix://{}", root.join("docker.sock").display());
        // Its own network namespace: with --bridge=none, dockerd deletes the
        // host's `docker0` at start-up (removeDefaultBridgeInterface), which
        // cuts the main daemon's containers off their default network.
        let mut command = Command::new("unshare");
        command
            .args(["--net", "--", "dockerd"])
            .arg("--config-file")
            .arg(root.join("daemon.json"))
            .arg("--data-root")
            .arg(root.join("data"))
            .arg("--exec-root")
            .arg(root.join("exec"))
            .arg("--pidfile")
            .arg(root.join("docker.pid"))
            .args(["--host", &socket])
            .args(["--bridge=none", "--iptables=false", "--storage-driver=vfs"])
            .arg("--init-path")
            .arg(init_path)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("dup the dockerd log"))
            .stderr(log_file);
        // SAFETY: prctl is async-signal-safe. If this test process dies
        // without running Drop, the daemon is told to shut down too (the
        // signal comes when the spawning test thread ends, after Drop).
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let process = command
            .spawn()
            .unwrap_or_else(|e| panic!("start dockerd (is docker.io installed?): {e}"));
        let mut daemon = PrivateDaemon {
            docker: Docker { host: Some(socket) },
            process,
            log,
            dir,
        };
        let deadline = Instant::now() + COMMAND_DEADLINE;
        loop {
            if let Ok(Some(status)) = daemon.process.try_wait() {
                panic!("dockerd exited with {status}:\n{}", daemon.log_text());
            }
            let probe = daemon
                .docker
                .command(["info"])
                .stdin(Stdio::null())
                .output();
            if probe.is_ok_and(|out| out.status.success()) {
                return daemon;
            }
            if Instant::now() >= deadline {
                panic!("dockerd did not answer in time:\n{}", daemon.log_text());
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Everything the daemon has logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for PrivateDaemon {
    fn drop(&mut self) {
        // SIGTERM: dockerd stops its containers and its own containerd.
        // SAFETY: kill has no memory preconditions.
        unsafe { libc::kill(self.process.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + COMMAND_DEADLINE;
        while matches!(self.process.try_wait(), Ok(None)) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
        }
        if matches!(self.process.try_wait(), Ok(None)) {
            let _ = self.process.kill();
            let _ = self.process.wait();
            // A SIGKILLed dockerd leaves its containerd running.
            let pidfile = self.dir.path().join("exec/containerd/containerd.pid");
            if let Some(pid) = std::fs::read_to_string(pidfile)
                .ok()
                .and_then(|p| p.trim().parse::<i32>().ok())
            {
                // SAFETY: as above.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
        // Whatever is still mounted below our directory, deepest first.
        let root = self.dir.path().to_string_lossy().into_owned();
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        let mut mounts: Vec<&str> = mountinfo
            .lines()
            .filter_map(|l| l.split(' ').nth(4))
            .filter(|m| m.starts_with(&root))
            .collect();
        mounts.sort_by_key(|m| std::cmp::Reverse(m.len()));
        for mount in mounts {
            if let Ok(path) = std::ffi::CString::new(mount) {
                // SAFETY: a valid NUL-terminated path.
                unsafe { libc::umount2(path.as_ptr(), libc::MNT_DETACH) };
            }
        }
        // The TempDir field, dropped next, removes the directory.
    }
}
