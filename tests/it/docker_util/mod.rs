//! The Docker harness: a daemon to talk to (or a loud skip), docker
//! commands under deadlines, names and labels that are ours alone, and the
//! sweep of what killed runs left. Its parts: `image` (the test image, built
//! `FROM scratch` from our own static binaries and the final stage of
//! `Dockerfile.example`), `container` (containers, attached runs) and
//! `private_daemon` (a throwaway second `dockerd`).
//!
//! There is no registry on the machines this runs on, so nothing is ever
//! pulled: every image is built from local files with the legacy builder
//! (which needs no registry for `FROM scratch`) or moved with `docker save |
//! docker load`. The daemon is shared with other people's runs, so every
//! image and container of ours gets a unique name (`pidone-test-<run>-<n>-…`)
//! and a `pidone-test-run=<run>` label naming this very run (PID namespace,
//! pid and start time, see [`run_id`]), and a guard whose `Drop` removes it;
//! the sweep at start-up removes only objects whose run is provably over.
//! Every docker command runs under a deadline.

mod container;
mod image;
mod private_daemon;

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

pub use container::{Attached, Container};
pub use image::{Image, Recipe};
pub use private_daemon::PrivateDaemon;

use crate::util::{poll_until, start_time};

/// The label every image and container of ours carries, its value naming
/// the run ([`run_id`]). Not the `pidone-test` label of older versions of
/// this harness: their sweep would take our value for a dead pid and remove
/// a live run's images.
const LABEL: &str = "pidone-test-run";

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

/// This run, as `<pid namespace>.<pid>.<start time>`: the pid alone may be
/// reused, and may be another process's in another PID namespace (someone
/// running the suite in a container, on the same daemon).
fn run_id() -> &'static str {
    static RUN: OnceLock<String> = OnceLock::new();
    RUN.get_or_init(|| {
        let me = std::process::id();
        let start = start_time(me).expect("our own start time");
        format!("{}.{me}.{start}", pid_namespace())
    })
}

/// Our PID namespace's inode number (`pid:[4026531836]` → `4026531836`).
fn pid_namespace() -> String {
    let link = std::fs::read_link("/proc/self/ns/pid").expect("read /proc/self/ns/pid");
    link.to_string_lossy()
        .chars()
        .filter(char::is_ascii_digit)
        .collect()
}

/// Whether the run named RUN (a [`run_id`]) is provably over: it was in our
/// PID namespace and no process there has its pid and start time. A run in
/// another namespace, or a label we cannot read, is never over for us.
fn run_is_over(run: &str) -> bool {
    let fields: Vec<&str> = run.split('.').collect();
    let [namespace, pid, start] = fields[..] else {
        return false;
    };
    let (Ok(pid), Ok(start)) = (pid.parse::<u32>(), start.parse::<u64>()) else {
        return false;
    };
    namespace == pid_namespace() && start_time(pid) != Some(start)
}

/// A name no other test (or test run) uses: `pidone-test-<pid>-<start>-<n>-WHAT`,
/// lowercase as image names must be.
pub fn unique(what: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let me = std::process::id();
    let start = start_time(me).unwrap_or(0);
    format!("pidone-test-{me}-{start}-{n}-{what}")
}

/// The `--label` argument that marks things as ours.
pub fn label() -> String {
    format!("{LABEL}={}", run_id())
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

    /// Removes the containers and images of test runs that are over
    /// (killed before their guards could run), and nothing else: see
    /// [`run_is_over`].
    fn sweep_leftovers(&self) {
        let filter = format!("label={LABEL}");
        let ids = |kind: &str| -> Vec<String> {
            let out = self.output([kind, "--all", "--quiet", "--filter", &filter]);
            String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .map(String::from)
                .collect()
        };
        // `ID RUN` for each object, RUN being the run that made it.
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
                    let (id, run) = line.split_once(' ')?;
                    run_is_over(run).then(|| id.to_string())
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
    let status = poll_until(Instant::now() + deadline, || {
        child.try_wait().ok().flatten()
    });
    let Some(status) = status else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("{description} did not finish within {deadline:?}");
    };
    Output {
        status,
        stdout: out_reader.join().unwrap_or_default(),
        stderr: err_reader.join().unwrap_or_default(),
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

/// One process in a container, from a line of `testee ps`.
#[derive(Debug)]
pub struct Process {
    pub pid: i32,
    pub ppid: i32,
    pub state: char,
    /// Its command line, words joined by spaces (`[NAME]` for a zombie).
    pub command: String,
}

/// The processes in LISTING, the output of `testee ps` (a header line,
/// then `PID PPID STATE COMMAND...`), as run in a container by `docker
/// exec` or `podman exec`; it lists itself too.
pub fn parse_ps(listing: &str) -> Vec<Process> {
    listing
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let (pid, ppid, state) = (fields.next()?, fields.next()?, fields.next()?);
            Some(Process {
                pid: pid.parse().ok()?,
                ppid: ppid.parse().ok()?,
                state: state.chars().next()?,
                command: fields.collect::<Vec<_>>().join(" "),
            })
        })
        .collect()
}

/// Detaches every mount below ROOT, deepest first: what a daemon killed in
/// a hurry (a private dockerd, a private Podman) left mounted.
pub fn unmount_below(root: &std::path::Path) {
    let root = root.to_string_lossy().into_owned();
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
}
