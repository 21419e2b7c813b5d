//! The settings a run needs ([`Config`]), what a command line asks for
//! ([`Action`]), and the defaults: the data the rest of `cli` fills in.
//! Data only.

use std::ffi::OsString;
use std::time::Duration;

use crate::out::logging::LogSpec;
use crate::text::fate::Remap;
use crate::text::rewrite::Rewrite;

/// Everything pidone needs to run a program. A is how an argument is held:
/// `OsString` by default, pidone's own argv in place when pidone runs
/// (see [`parse`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config<A = OsString> {
    /// The program to run, looked up on `PATH` like `execvp`; never empty.
    /// `None` in `--pause` mode, which runs no program.
    pub program: Option<A>,
    /// Its arguments, exactly as given.
    pub args: Vec<A>,
    /// Become a child subreaper when not PID 1.
    pub subreaper: bool,
    /// Forward signals to the child's process group instead of the child.
    pub process_group: bool,
    /// Signal the kernel sends pidone when its parent dies.
    pub parent_death_signal: Option<i32>,
    /// Child exit codes treated as success.
    pub remap: Remap,
    /// Log every orphan reaped at warn level.
    pub warn_on_reap: bool,
    /// How much pidone logs on stderr.
    pub log: LogSpec,
    /// Which signal to forward for each one received.
    pub rewrite: Rewrite,
    /// After the main child exits: how long leftovers get between SIGTERM
    /// and SIGKILL. `None`: [`DEFAULT_GRACE`] when the child ended on its
    /// own, up to [`STOP_GRACE`] during a stop.
    pub grace: Option<Duration>,
    /// After forwarding TERM/INT/QUIT/HUP: SIGKILL the child if it is still
    /// there this much later.
    pub kill_after: Option<Duration>,
    /// This long after the child started, act as if `stop_signal` had just
    /// arrived from outside.
    pub stop_after: Option<Duration>,
    /// The signal `stop_after` acts as: SIGTERM unless set; never SIGKILL
    /// or SIGSTOP.
    pub stop_signal: i32,
    /// Where to write the one-line reason pidone exited.
    pub termination_log: Option<OsString>,
    /// Where to write the one-line JSON report of the run.
    pub report: Option<OsString>,
    /// `USER[:GROUP]` to run the child as.
    pub user: Option<String>,
    /// The child's working directory.
    pub workdir: Option<OsString>,
}

impl<A> Default for Config<A> {
    /// Every setting as it is when no flag or variable says otherwise, and
    /// no program yet.
    fn default() -> Config<A> {
        Config {
            program: None,
            args: Vec::new(),
            subreaper: false,
            process_group: false,
            parent_death_signal: None,
            remap: Remap::default(),
            warn_on_reap: false,
            log: LogSpec::default(),
            rewrite: Rewrite::default(),
            grace: None,
            kill_after: None,
            stop_after: None,
            stop_signal: DEFAULT_STOP_SIGNAL,
            termination_log: None,
            report: None,
            user: None,
            workdir: None,
        }
    }
}

/// The grace leftovers get when the main child ended on its own and
/// neither `--grace` nor `PIDONE_GRACE` says: short, because nothing else
/// bounds it, and a container whose program has ended should not hang on
/// a stray process.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(2);

/// The most leftovers get during a stop (a terminating signal from outside,
/// or `--stop-after`) when no grace is set: the runtime enforces its own
/// deadline (`docker stop -t`, `terminationGracePeriodSeconds`) and
/// SIGKILLs everything when it runs out, so cutting leftovers short before
/// that only loses their work. This bound only matters where nobody else
/// stops the wait.
pub const STOP_GRACE: Duration = Duration::from_secs(300);

/// The signal `--stop-after` acts as when `--stop-signal` does not say:
/// what `docker stop` and the kubelet send.
pub const DEFAULT_STOP_SIGNAL: i32 = libc::SIGTERM;

/// What the command line asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
// Built once and taken apart at once: a Box would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum Action<A = OsString> {
    /// Run a program under pidone.
    Run(Config<A>),
    /// Print usage on stdout and exit 0.
    Help,
    /// Print the version on stdout and exit 0.
    Version,
    /// Print what this exit code means and exit 0.
    Explain(u8),
}
