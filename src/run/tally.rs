//! The run's tally: what the supervisor and the shutdown count while pidone
//! runs, for the report to render afterwards.
//!
//! A leaf: plain data that the run owns and fills in, and that `out::report`
//! only reads. It decides nothing and imports nothing of pidone's.

use std::time::{Duration, Instant};

/// Where a stop came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// A terminating signal sent to pidone (`docker stop`, `kill`, Ctrl-C).
    External,
    /// `--stop-after` ran out.
    StopAfter,
}

/// The first stop of the run: a terminating signal that reached pidone
/// while the child ran, or `--stop-after`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stop {
    /// The signal received or acted as, before `--rewrite`.
    pub signal: i32,
    /// What the child was sent for it after `--rewrite`; `None` when the
    /// rewrite dropped it.
    pub sent: Option<i32>,
    pub source: Source,
    /// When it happened.
    pub at: Instant,
    /// Whether `--kill-after` had to SIGKILL the child.
    pub kill_after_fired: bool,
}

/// Which grace the leftovers got (see `cli::DEFAULT_GRACE` and
/// `cli::STOP_GRACE`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GraceRule {
    /// The short default: the main child ended on its own.
    #[default]
    Default,
    /// Until they exit, up to the stop bound: the run was stopped.
    Stop,
    /// What `--grace` or `PIDONE_GRACE` said.
    Set,
}

/// What became of the processes still alive when the main child exited.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Leftovers {
    pub found: usize,
    pub exited_in_grace: usize,
    pub killed: usize,
    /// The grace they were given, and why that one.
    pub grace: Duration,
    pub rule: GraceRule,
}

/// Everything the report says beyond the ending, tallied during the run.
#[derive(Clone, Debug)]
pub struct Run {
    /// When pidone started, for a timed run (see [`Run::new`]).
    pub started: Option<Instant>,
    /// The main child's pid and, for a timed run, when it started.
    pub child: Option<(libc::pid_t, Option<Instant>)>,
    /// When the main child was reaped.
    pub child_ended: Option<Instant>,
    /// Whether the main child dumped core.
    pub core_dumped: bool,
    pub stop: Option<Stop>,
    pub signals_forwarded: u64,
    pub orphans_reaped: u64,
    pub leftovers: Leftovers,
}

impl Run {
    /// A run that started at STARTED and has done nothing yet. A run with
    /// no start time is untimed: nothing will show its times (no
    /// `--report`, no `--stop-after`), so it never reads the clock.
    pub fn new(started: Option<Instant>) -> Run {
        Run {
            started,
            child: None,
            child_ended: None,
            core_dumped: false,
            stop: None,
            signals_forwarded: 0,
            orphans_reaped: 0,
            leftovers: Leftovers::default(),
        }
    }

    /// Now, for a timed run; None for an untimed one.
    pub fn now(&self) -> Option<Instant> {
        self.started.map(|_| Instant::now())
    }
}
