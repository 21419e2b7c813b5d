//! The harness: runs the real pidone, as PID 1 of a fresh PID namespace
//! (`unshare --pid --fork --kill-child --mount-proc`, as a container runtime
//! would) or as a subreaper (`-s`) outside one, with `testee` as its child.
//! This module owns the one deadline and the one bounded poll; its parts
//! own the rest:
//!
//! - `binaries`: where pidone and testee come from, and their copies that
//!   an unprivileged child can reach;
//! - `run`: putting a pidone invocation together and starting it;
//! - `captured`: a started process's output, line by line, under deadlines,
//!   and how it ended;
//! - `command`: an outside command run to its end under a deadline;
//! - `procfs`: reading /proc (states, parents, descendants, counters);
//! - `kill`: the one way to send a signal, through nix;
//! - `env`: CI or not, programs on PATH, the loud line and the loud skip;
//! - `names`: names that are this run's alone, and whether another's is over;
//! - `tempdir`: a directory removed when its guard goes, a fresh file path;
//! - `engine`: the container-engine commands Docker and Podman share;
//! - `docker`, `podman`: each engine's set-up, guards and sweeps.
//!
//! Nothing here sleeps to let things settle: lines are awaited with a
//! deadline, and state is observed with [`poll_until`]. On failure every
//! assertion shows the command, its exit status and what it printed.

mod binaries;
mod captured;
mod command;
pub mod docker;
pub mod engine;
mod env;
mod kill;
mod names;
pub mod podman;
mod procfs;
mod run;
mod tempdir;

use std::time::{Duration, Instant};

pub use binaries::{
    pidone, static_build, static_graceful, static_pidone, static_testee, testee, testee_embedded,
};
pub use captured::{Captured, Finished};
pub use command::{run_with_deadline, wait_output};
pub use engine::Engine;
pub use env::{announce, command_exists, skip, which};
pub use kill::kill;
pub use names::{label, unique};
pub use procfs::{children, descendants, exe, stat, status_number, wait_asleep, zombies_of};
pub use run::{matrix, with_embedded, Init, Log, Mode, Run, Stopped, LOGS};
pub use tempdir::{temp_path, TempDir};

/// How long any single expected event may take before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(15);

/// How often [`poll_until`] looks: fast enough not to slow a test down,
/// slow enough not to steal a core from what it waits for.
const POLL_STEP: Duration = Duration::from_millis(10);

/// THE bounded poll: calls CHECK every 10 ms until it returns a value, or
/// until DEADLINE has passed (then None; CHECK runs at least once). Every
/// wait on state in the suite goes through here; a sleep anywhere else is
/// a bug.
pub fn poll_until<T>(deadline: Instant, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    loop {
        if let Some(value) = check() {
            return Some(value);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(POLL_STEP);
    }
}

/// Makes a FIFO at PATH (mode 0600), failing the test if it cannot.
pub fn mkfifo(path: &std::path::Path) {
    use nix::sys::stat::Mode;
    nix::unistd::mkfifo(path, Mode::S_IRUSR | Mode::S_IWUSR)
        .unwrap_or_else(|e| panic!("mkfifo {path:?}: {e}"));
}

/// [`poll_until`] with the usual [`DEADLINE`], failing the test naming
/// WHAT it waited for and the run (CONTEXT) it waited in.
pub fn poll<T>(context: &str, what: &str, check: impl FnMut() -> Option<T>) -> T {
    poll_until(Instant::now() + DEADLINE, check)
        .unwrap_or_else(|| panic!("timed out waiting for {what}\n  run: {context}"))
}
