//! The command line and the environment, turned into an [`Action`].
//!
//! Every option is declared once, in `options::ROWS`; the rest reads
//! that table, as [`OPTIONS`]:
//!
//! - `options.rs`: THE table (names, value kind, variables, help text);
//! - `packed.rs`: the table packed at compile time into pointer-free rows
//!   (nothing to relocate at start-up), and the look-ups by name;
//! - `parse.rs`: the walk over argv, up to the program and never past it;
//! - `env.rs`: precedence, flag > `PIDONE_*` > `TINI_*`, empty = unset;
//! - `value.rs`: reading one value as its kind, and every bad-value message;
//! - `store.rs`: one match arm per option, storing its value in [`Config`];
//! - `usage.rs`: `--help`, generated from the table, and `--version`.
//!
//! Pure, all of it: no syscalls, and the environment comes in from outside
//! as [`Lookup`] (a lookup function will do), so every rule is
//! unit-tested with tables (`tests.rs`) and by the property test in
//! `tests/it/cli_props.rs`.

use std::ffi::OsString;
use std::time::Duration;

use log::LevelFilter;

pub use crate::error::UsageError;
use crate::exit_status::Remap;
use crate::rewrite::Rewrite;

mod env;
pub mod options;
mod packed;
mod parse;
mod store;
#[cfg(test)]
mod tests;
mod usage;
mod value;

pub use env::Lookup;
pub use options::Kind;
pub use packed::{Opt, Vars, OPTIONS};
pub use parse::parse;
pub use usage::{usage, VERSION};

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
    /// and SIGKILL.
    pub grace: Duration,
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
            log: LogSpec::Level(LevelFilter::Warn),
            rewrite: Rewrite::default(),
            grace: DEFAULT_GRACE,
            kill_after: None,
            stop_after: None,
            stop_signal: libc::SIGTERM,
            termination_log: None,
            report: None,
            user: None,
            workdir: None,
        }
    }
}

/// What pidone logs, for the logger (env_logger) to apply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogSpec {
    /// One level for everything: from `-v`/`-q` (default warn, each `-v`
    /// one more, `-q` errors only), `TINI_VERBOSITY`, or the default.
    Level(LevelFilter),
    /// `PIDONE_LOG` exactly as given, already checked to be comma-separated
    /// `LEVEL` or `TARGET=LEVEL` directives (env_logger's filter syntax,
    /// without its `/regex` suffix).
    Filters(String),
}

/// The grace period when neither `--grace` nor `PIDONE_GRACE` says.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(2);

/// What the command line asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
// Built once and taken apart at once: boxing the config would cost an
// allocation on every start for nothing.
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
