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
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use nix::fcntl::{Flock, FlockArg};

use super::command::{run_quietly, succeed};
use super::docker::Recipe;
use super::engine::{unmount_below, Engine, COMMAND_DEADLINE};
use super::env::{command_exists, skip};
use super::names::{left_by_runs_that_are_over, unique};
use super::{poll_until, static_pidone, static_testee};

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
/// returns early). A Podman that is missing or cannot run a container is a
/// [`skip`]: announced once, loudly, or under `CI=true` a failure.
pub fn podman() -> Option<Podman> {
    static AVAILABLE: OnceLock<Result<(), String>> = OnceLock::new();
    match AVAILABLE.get_or_init(probe) {
        Ok(()) => Some(Podman::new().unwrap_or_else(|why| panic!("set up Podman: {why}"))),
        Err(why) => {
            skip("every Podman test", why, "Install podman (or run .ci/run)");
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
    for dir in left_by_runs_that_are_over("pidone-test-", DIR_SUFFIX) {
        teardown(&dir);
    }
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
    lock: Option<Flock<File>>,
}

impl Podman {
    /// Makes the directory, its configuration and the two images.
    fn new() -> Result<Podman, String> {
        // Before our first podman command, so that the cgroups we find are
        // the ones that were there before us.
        cgroups_before_us();
        let lock = Flock::lock(lock_file(), FlockArg::LockShared)
            .unwrap_or_else(|(_, e)| panic!("flock {LOCK_FILE}: {e}"));
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
        succeed(tar, COMMAND_DEADLINE);
        tarball
    }
}

impl Engine for Podman {
    /// A `podman` command using our configuration, with ARGS.
    fn command<S: AsRef<OsStr>>(&self, args: impl IntoIterator<Item = S>) -> Command {
        podman_command(&self.dir, args)
    }
}

impl Drop for Podman {
    fn drop(&mut self) {
        teardown(&self.dir);
        // Ours is gone; if nobody else holds the lock, no Podman test runs
        // and the cgroups Podman left may go (those it made, not before us).
        drop(self.lock.take());
        // Held exclusive until the cgroups are gone, so no Podman test
        // starts meanwhile.
        if let Ok(_exclusive) = Flock::lock(lock_file(), FlockArg::LockExclusiveNonblock) {
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
            run_quietly(podman_command(dir, args), COMMAND_DEADLINE);
        }
    }
    unmount_below(dir);
    let _ = std::fs::remove_dir_all(dir);
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
