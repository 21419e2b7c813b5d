//! The Podman harness: a rootful Podman (Debian's 4.3 is what CI installs)
//! whose every file lives in a directory of the test's own, images made
//! from our own static binaries, and a teardown that leaves nothing behind,
//! whether the test passed or panicked.
//!
//! Each test gets its own [`Podman`]: its own `containers.conf` and
//! `storage.conf`, vfs storage, graph root, run root and tmp dir, so tests
//! run in parallel without sharing a database, and the machine's own
//! Podman set-up is neither used nor touched. Images come from `podman
//! import` of a tarball (`/pidone` plus `/bin/testee`): no registry, no
//! shell, no busybox. Containers run with `--network none`. Dropping the
//! guard removes every pod, container and image, unmounts whatever Podman
//! left mounted below the directory, removes it, and removes the
//! `libpod_parent` cgroups Podman leaves once no Podman test is running.
//!
//! Without Podman these tests skip with one loud line, except under
//! `CI=true` (`.ci/run` installs podman), where they fail; so does a Podman
//! that is installed but cannot run a container. Every podman command runs
//! under a deadline.

use std::ffi::OsStr;
use std::fs::File;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::docker_util::{
    announce, command_exists, in_ci, parse_ps, run_with_deadline, unique, unmount_below, Process,
    Recipe,
};
use crate::util::{poll_until, start_time, static_pidone, static_testee};

/// How long one podman command may take (a cold vfs import on a slow disk).
const COMMAND_DEADLINE: Duration = Duration::from_secs(60);

/// How long the cgroups Podman left may stay busy before we leave them.
const CGROUP_DEADLINE: Duration = Duration::from_secs(5);

/// The image with no entrypoint: `/pidone`, `/bin/testee`, `PATH=/bin`.
pub const PLAIN: &str = "localhost/pidone-test:plain";

/// [`PLAIN`] with `Dockerfile.example`'s ENTRYPOINT (`["/pidone", "--"]`).
pub const ENTRYPOINT: &str = "localhost/pidone-test:entrypoint";

/// What our private directories' names end with (the rest is
/// [`unique`]'s `pidone-test-<pid>-<start>-<n>-`), for the sweep.
const DIR_SUFFIX: &str = "-podman";

/// A lock file every live [`Podman`] holds shared; whoever can take it
/// exclusive knows no Podman test runs anywhere on the machine, and only
/// then may remove the cgroups all of them use. Never removed: a lock file
/// that is replaced no longer locks anything.
const LOCK_FILE: &str = "pidone-test-podman.lock";

/// The Podman the tests use, or `None` when there is none (then the caller
/// returns early). Outside CI a Podman that is missing or cannot run a
/// container is announced once, loudly; under `CI=true` it fails the test.
pub fn podman() -> Option<Podman> {
    static AVAILABLE: OnceLock<Result<(), String>> = OnceLock::new();
    let available = AVAILABLE.get_or_init(probe);
    match available {
        Ok(()) => Some(Podman::new().unwrap_or_else(|why| panic!("set up Podman: {why}"))),
        Err(why) if in_ci() => panic!("CI=true but {why}"),
        Err(why) => {
            static SAID: OnceLock<()> = OnceLock::new();
            SAID.get_or_init(|| {
                announce(&format!(
                    "!!! SKIPPING every Podman test: {why}. Install podman (or run \
                     .ci/run), or set CI=true to make this a failure."
                ))
            });
            None
        }
    }
}

/// Whether Podman can run a container here: installed, and a throwaway
/// set-up runs `testee exit 0` without any init (so a failure is Podman's,
/// never pidone's). Sweeps what killed runs left first.
fn probe() -> Result<(), String> {
    if !command_exists("podman") {
        return Err("podman is not installed".into());
    }
    // Before any podman command of ours, the sweep's included.
    cgroups_before_us();
    sweep_stale_dirs();
    let podman = Podman::new().map_err(|why| format!("Podman cannot start here: {why}"))?;
    let no_init = [
        "run",
        "--rm",
        "--network",
        "none",
        PLAIN,
        "testee",
        "exit",
        "0",
    ];
    let out = podman.output(no_init);
    if !out.status.success() {
        return Err(format!(
            "Podman cannot run a container here: {}",
            last_lines(&out.stderr)
        ));
    }
    Ok(())
}

/// The last few lines of a command's stderr, for a one-line reason.
fn last_lines(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(3)..].join(" / ")
}

/// One private Podman set-up; everything in it is removed when dropped.
pub struct Podman {
    dir: PathBuf,
    /// Held shared while we live: see [`LOCK_FILE`].
    lock: Option<File>,
}

impl Podman {
    /// Makes the directory, its configuration and the two images.
    fn new() -> Result<Podman, String> {
        // Before our first podman command, so that the cgroups we find are
        // the ones that were there before us.
        cgroups_before_us();
        let lock = lock_file();
        flock(&lock, libc::LOCK_SH);
        let dir = std::env::temp_dir().join(unique(DIR_SUFFIX.trim_start_matches('-')));
        std::fs::create_dir_all(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
        // From here on Drop cleans up, whatever fails.
        let podman = Podman {
            dir,
            lock: Some(lock),
        };
        podman.write_config();
        let tarball = podman.image_tarball();
        let entrypoint = Recipe::read().entrypoint;
        for (name, change) in [(PLAIN, None), (ENTRYPOINT, Some(entrypoint.as_str()))] {
            let mut argv = vec!["import", "--quiet", "--change", "ENV PATH=/bin"];
            argv.extend(change.map(|c| ["--change", c]).into_iter().flatten());
            argv.extend([tarball.to_str().expect("a UTF-8 temp dir"), name]);
            let out = podman.output(argv);
            if !out.status.success() {
                return Err(format!("podman import: {}", last_lines(&out.stderr)));
            }
        }
        Ok(podman)
    }

    /// Writes `containers.conf` and `storage.conf` into our directory.
    fn write_config(&self) {
        let dir = self.dir.display();
        // default_ulimits = []: Podman's default nofile/nproc limits are
        // higher than this kind of sandbox allows, and runc then fails every
        // container with "error setting rlimit type 7: operation not
        // permitted". cgroupfs and a file event log: there is no systemd.
        let containers = format!(
            "[containers]\ndefault_ulimits = []\n\n[engine]\ncgroup_manager = \"cgroupfs\"\n\
             events_logger = \"file\"\nevents_logfile_path = \"{dir}/events.log\"\n\
             tmp_dir = \"{dir}/tmp\"\n"
        );
        // vfs works on any filesystem (overlay on overlay does not).
        let storage = format!(
            "[storage]\ndriver = \"vfs\"\ngraphroot = \"{dir}/root\"\nrunroot = \"{dir}/run\"\n"
        );
        for (name, text) in [("containers.conf", containers), ("storage.conf", storage)] {
            std::fs::write(self.dir.join(name), text).expect("write Podman's configuration");
        }
    }

    /// The image's files, `/pidone` and `/bin/testee` (both static), as a
    /// tarball for `podman import`; returns its path.
    fn image_tarball(&self) -> PathBuf {
        let root = self.dir.join("image");
        std::fs::create_dir_all(root.join("bin")).expect("create the image's /bin");
        std::fs::copy(static_pidone(), root.join("pidone")).expect("copy pidone");
        std::fs::copy(static_testee(), root.join("bin/testee")).expect("copy testee");
        let tarball = self.dir.join("image.tar");
        let mut tar = Command::new("tar");
        tar.arg("-C").arg(&root).arg("-cf").arg(&tarball).arg(".");
        let description = format!("{tar:?}");
        let out = run_with_deadline(tar, COMMAND_DEADLINE);
        assert!(out.status.success(), "{description} failed: {out:#?}");
        tarball
    }

    /// A `podman` command using our configuration, with ARGS.
    pub fn command<S: AsRef<OsStr>>(&self, args: impl IntoIterator<Item = S>) -> Command {
        podman_command(&self.dir, args)
    }

    /// Runs `podman ARGS` to completion under a deadline.
    pub fn output<S: AsRef<OsStr>>(&self, args: impl IntoIterator<Item = S>) -> Output {
        run_with_deadline(self.command(args), COMMAND_DEADLINE)
    }

    /// Runs `podman ARGS`, which must succeed; returns its trimmed stdout.
    pub fn ok<S: AsRef<OsStr>>(&self, args: impl IntoIterator<Item = S>) -> String {
        let command = self.command(args);
        let description = format!("{command:?}");
        let out = run_with_deadline(command, COMMAND_DEADLINE);
        assert!(out.status.success(), "{description} failed: {out:#?}");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Runs `podman ARGS`, which must succeed; returns how long it took.
    pub fn timed<S: AsRef<OsStr>>(&self, args: impl IntoIterator<Item = S>) -> Duration {
        let start = Instant::now();
        self.ok(args);
        start.elapsed()
    }

    /// Starts `podman run -d --name <unique> --network none OPTIONS IMAGE
    /// ARGS`; returns the container's name.
    pub fn run_detached(&self, options: &[&str], image: &str, args: &[&str]) -> String {
        let name = unique("podman-run");
        let mut argv = vec!["run", "--detach", "--name", &name, "--network", "none"];
        argv.extend(options);
        argv.push(image);
        argv.extend(args);
        self.ok(argv);
        name
    }

    /// `podman inspect --format FORMAT NAME`, trimmed.
    pub fn inspect(&self, name: &str, format: &str) -> String {
        self.ok(["inspect", "--format", format, name])
    }

    /// The exit code Podman recorded (`.State.ExitCode`).
    pub fn exit_code(&self, name: &str) -> i32 {
        let code = self.inspect(name, "{{.State.ExitCode}}");
        code.parse()
            .unwrap_or_else(|_| panic!("exit code of {name}: {code:?}"))
    }

    /// The host pid of the container's PID 1 (`.State.Pid`).
    pub fn host_pid(&self, name: &str) -> i32 {
        let pid = self.inspect(name, "{{.State.Pid}}");
        pid.parse()
            .unwrap_or_else(|_| panic!("host pid of {name}: {pid:?}"))
    }

    /// Waits (bounded) until the container's log has the line WANT: the
    /// app's `ready`, printed once its set-up is done.
    pub fn await_log_line(&self, name: &str, want: &str) {
        let found = poll_until(Instant::now() + crate::util::DEADLINE, || {
            let out = self.output(["logs", name]);
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .any(|line| line == want)
                .then_some(())
        });
        if found.is_none() {
            let out = self.output(["logs", name]);
            panic!("{name} never printed {want:?}: {out:#?}");
        }
    }

    /// The processes in container NAME, from its own /proc (`podman exec
    /// … testee ps`, which lists itself too).
    pub fn processes(&self, name: &str) -> Vec<Process> {
        parse_ps(&self.ok(["exec", name, "testee", "ps"]))
    }
}

impl Drop for Podman {
    fn drop(&mut self) {
        teardown(&self.dir);
        // Ours is gone; if nobody else holds the lock, no Podman test runs
        // and the cgroups Podman left may go (those it made, not before us).
        drop(self.lock.take());
        let lock = lock_file();
        // SAFETY: flock on a descriptor we own; no memory is involved.
        if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            remove_new_cgroups();
        }
    }
}

/// A `podman` command for the private set-up in DIR. stdin is empty: a
/// podman reading the test's stdin would wait for ever.
fn podman_command<S: AsRef<OsStr>>(dir: &Path, args: impl IntoIterator<Item = S>) -> Command {
    let mut command = Command::new("podman");
    command
        .env("CONTAINERS_CONF", dir.join("containers.conf"))
        .env("CONTAINERS_STORAGE_CONF", dir.join("storage.conf"))
        .args(args)
        .stdin(Stdio::null());
    command
}

/// Removes every pod, container and image of the set-up in DIR, whatever
/// Podman left mounted below DIR (shm, the containers' root file systems),
/// and DIR itself. Never panics: it runs in Drop, maybe while a failed
/// test unwinds.
fn teardown(dir: &Path) {
    if dir.join("containers.conf").exists() {
        for args in [
            &["pod", "rm", "--all", "--force", "--time", "0"][..],
            &["rm", "--all", "--force", "--time", "0"],
            &["rmi", "--all", "--force"],
        ] {
            quietly(podman_command(dir, args));
        }
    }
    unmount_below(dir);
    let _ = std::fs::remove_dir_all(dir);
}

/// Runs COMMAND with its output discarded, killing it after the deadline.
/// Never panics.
fn quietly(mut command: Command) {
    command.stdout(Stdio::null()).stderr(Stdio::null());
    let Ok(mut child) = command.spawn() else {
        return;
    };
    let exited = poll_until(Instant::now() + COMMAND_DEADLINE, || {
        child.try_wait().ok().flatten()
    });
    if exited.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Tears down the set-ups of test runs that are over (killed before their
/// guards could run): their directory names hold the run's pid and start
/// time (`pidone-test-<pid>-<start>-<n>-podman`).
fn sweep_stale_dirs() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(run) = name
            .to_str()
            .and_then(|n| n.strip_prefix("pidone-test-")?.strip_suffix(DIR_SUFFIX))
        else {
            continue;
        };
        let fields: Vec<&str> = run.split('-').collect();
        let [pid, start, _n] = fields[..] else {
            continue;
        };
        let (Ok(pid), Ok(start)) = (pid.parse::<u32>(), start.parse::<u64>()) else {
            continue;
        };
        // The same pid with another start time is another process.
        if start_time(pid) != Some(start) {
            teardown(&entry.path());
        }
    }
}

/// The shared lock file, opened (close-on-exec, so no conmon inherits it).
fn lock_file() -> File {
    let path = std::env::temp_dir().join(LOCK_FILE);
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()))
}

/// Takes the flock HOW (blocking) on FILE.
fn flock(file: &File, how: libc::c_int) {
    // SAFETY: flock on a descriptor we own; no memory is involved.
    let rc = unsafe { libc::flock(file.as_raw_fd(), how) };
    assert_eq!(rc, 0, "flock: {}", std::io::Error::last_os_error());
}

/// The cgroups Podman's cgroupfs manager makes in every hierarchy (the
/// `libpod_parent` of v1's controllers, or of v2's single tree) and leaves
/// when done: its `conmon` child, the pods' cgroups.
fn libpod_parents() -> Vec<PathBuf> {
    let mut found = vec![];
    let top = Path::new("/sys/fs/cgroup");
    found.push(top.join("libpod_parent"));
    if let Ok(entries) = std::fs::read_dir(top) {
        found.extend(entries.flatten().map(|e| e.path().join("libpod_parent")));
    }
    found.retain(|p| p.is_dir());
    found
}

/// The `libpod_parent` cgroups there were before this test process first
/// used Podman: those are someone else's and stay.
fn cgroups_before_us() -> &'static [PathBuf] {
    static BEFORE: OnceLock<Vec<PathBuf>> = OnceLock::new();
    BEFORE.get_or_init(libpod_parents)
}

/// Removes the `libpod_parent` cgroups that appeared since we started,
/// deepest first. A cgroup with processes in it refuses: conmon outlives
/// `podman rm` by a moment (seen under strace, which slows it down), and a
/// cgroup left then would count as "there before us" for every later run,
/// so this tries again for a few seconds before it leaves one.
fn remove_new_cgroups() {
    let new: Vec<PathBuf> = libpod_parents()
        .into_iter()
        .filter(|parent| !cgroups_before_us().contains(parent))
        .collect();
    let _ = poll_until(Instant::now() + CGROUP_DEADLINE, || {
        for parent in &new {
            remove_cgroup_tree(parent);
        }
        new.iter().all(|parent| !parent.exists()).then_some(())
    });
}

/// Removes the cgroup DIR and its descendants, children first.
fn remove_cgroup_tree(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                remove_cgroup_tree(&entry.path());
            }
        }
    }
    let _ = std::fs::remove_dir(dir);
}
