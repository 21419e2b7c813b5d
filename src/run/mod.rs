//! pidone's life from start to exit: start the child, supervise it, shut
//! the leftovers down, write what the run leaves behind, and turn the
//! ending into pidone's exit code. Two front doors lead here: the command
//! line ([`command_line`], the `pidone` binary) and embedded mode
//! ([`embedded`], `pidone::launch()`); both run [`run`].
//!
//! Everything before the child exists may fail (and becomes an [`Error`]
//! with its exit code); everything after may not: an init that bails out
//! takes the container with it.

use std::ffi::{CStr, CString, OsString};
use std::time::{Duration, Instant};

use log::{debug, info, warn};

use crate::error::Error;
use crate::os::environment::Environment;
use crate::os::signals::{self, Mask, SignalFd};
use crate::os::sys::{self, Argv, CStrArray, Standard};
use crate::os::{oom, spawn, user};
use crate::out::{console, logging, out_file, report, termination_log};
use crate::text::cli::{self, Action, Config, DEFAULT_GRACE, STOP_GRACE};
use crate::text::exit_codes::Own;
use crate::text::explain;
use crate::text::fate::Fate;

pub mod ending;
pub mod reaper;
pub mod retry;
pub mod shutdown;
pub mod supervisor;
pub mod tally;

use ending::Ending;
use supervisor::{Outcome, Supervisor};
use tally::{GraceRule, Run};

/// What pidone runs: the program `exec` looks up, and its argv.
pub struct Program<'a> {
    /// Looked up on `PATH` like `execvp`.
    pub path: &'a CStr,
    /// argv\[0\] first.
    pub argv: CStrArray<'a>,
}

/// The `pidone` command line from start to exit code: blocks every signal
/// first (before anything can be delivered the ordinary way), reads ARGV
/// and the environment, and runs.
pub fn command_line(argv: Argv) -> u8 {
    let mask = signals::block_all();
    std::panic::set_hook(Box::new(console::report_panic));
    let standard = Standard::ensure();
    let env = Environment::read();
    let result = mask
        .map_err(|cause| Error::setup("block signals", cause))
        .and_then(|mask| match cli::parse(argv.args(), &env)? {
            Action::Run(config) => {
                // PROGRAM ARGS... is the tail of our own argv: exec it as
                // it stands.
                let program = config.program.and_then(|arg| {
                    let argv = argv.tail_from(arg)?;
                    Some(Program {
                        path: arg.as_c_str(),
                        argv,
                    })
                });
                run(&config, program, mask, &env, standard)
            }
            Action::Help => answer(standard, &cli::usage()),
            Action::Version => answer(standard, cli::VERSION),
            Action::Explain(code) => answer(standard, &explain::explain(code)),
        });
    result.unwrap_or_else(|err| {
        console::error_line(standard, &err);
        err.exit_code()
    })
}

/// Prints an answer and gives the exit code that goes with it.
fn answer(standard: Option<Standard>, text: &str) -> Result<u8, Error> {
    console::answer(standard, text);
    Ok(Own::Done.code())
}

/// Embedded mode's init: this very program (`/proc/self/exe`), started
/// again with ARGV (its own) and the same environment, as the child of an
/// init configured by CONFIG. Exits with the child's status, as the binary
/// does; never returns.
pub fn embedded(config: &Config, argv: &[CString]) -> ! {
    let mask = signals::block_all();
    std::panic::set_hook(Box::new(console::report_panic));
    let standard = Standard::ensure();
    let env = Environment::read();
    let program = Program {
        path: c"/proc/self/exe",
        argv: CStrArray::new(argv.iter().map(CString::as_c_str)),
    };
    let result = mask
        .map_err(|cause| Error::setup("block signals", cause))
        .and_then(|mask| run(config, Some(program), mask, &env, standard));
    let code = result.unwrap_or_else(|err| {
        console::error_line(standard, &err);
        err.exit_code()
    });
    std::process::exit(code.into())
}

/// Runs PROGRAM (none: `--pause`) under pidone as CONFIG says, MASK being
/// the signal mask pidone was started with; returns pidone's exit code.
fn run<A: AsRef<std::ffi::OsStr>>(
    config: &Config<A>,
    program: Option<Program<'_>>,
    mask: Mask,
    env: &Environment,
    standard: Option<Standard>,
) -> Result<u8, Error> {
    // The files written on exit are named relative to where pidone
    // started, which it leaves once the child runs.
    let outputs = Outputs {
        termination_log: config.termination_log.clone().map(out_file::anchored),
        report: config.report.clone().map(out_file::anchored),
    };
    logging::init(&config.log);
    // Only a run whose times something shows reads the clock; it starts
    // counting once the settings are read.
    let timed = config.report.is_some() || config.stop_after.is_some();
    let mut tally = Run::new(timed.then(Instant::now));
    // Outlives the OOM watch, which borrows our cgroup's path from it.
    let mut cgroup_text = oom::CgroupText::new();
    let started = start(
        config,
        program,
        mask,
        env,
        standard,
        &mut tally,
        &mut cgroup_text,
    );
    let (supervisor, watch) = match started {
        Ok(started) => started,
        Err(err) => {
            let ending = Ending::NotStarted {
                message: err.summary(),
                situation: err.situation(),
            };
            outputs.write(&ending, &tally);
            return Err(err);
        }
    };
    // From here on pidone must never bail out: nothing below can fail.
    let outcome = supervisor.run(&mut tally);
    let ending = verdict(outcome, watch.as_ref(), config, supervisor.child);
    tally.leftovers = shutdown::leftovers(
        &supervisor.signals,
        grace(config.grace, tally.stop.is_some()),
        std::process::id() == 1,
        config.warn_on_reap,
        &mut tally.orphans_reaped,
    );
    outputs.write(&ending, &tally);
    Ok(ending.exit_code())
}

/// The grace leftovers get: SET when `--grace` gives one, else the short
/// default, or during a STOPPED run until they exit (at most the stop
/// bound), because the runtime that stops us enforces its own deadline.
fn grace(set: Option<Duration>, stopped: bool) -> (Duration, GraceRule) {
    match (set, stopped) {
        (Some(grace), _) => (grace, GraceRule::Set),
        (None, true) => (STOP_GRACE, GraceRule::Stop),
        (None, false) => (DEFAULT_GRACE, GraceRule::Default),
    }
}

/// How the run ended, with the OOM killer's part in it: a child killed by
/// SIGKILL is checked against our cgroup's OOM counter (WATCH).
fn verdict<A>(
    outcome: Outcome,
    watch: Option<&oom::Watch<'_>>,
    config: &Config<A>,
    child: Option<libc::pid_t>,
) -> Ending {
    let status = match outcome {
        Outcome::Child(status) => status,
        Outcome::Paused(signo) => return Ending::Paused { signo },
    };
    let fate = Fate::from_raw(status);
    let oom = match fate {
        Fate::Signaled(libc::SIGKILL) => watch.and_then(oom::Watch::fired),
        _ => None,
    };
    if let (Some(limit), Some(child)) = (oom, child) {
        warn!(
            "child {child} was killed by SIGKILL: the kernel OOM killer fired in this \
             container's cgroup ({limit})"
        );
    }
    Ending::Child {
        fate,
        oom,
        remap: config.remap,
    }
}

/// Where pidone leaves word of the run on its way out.
struct Outputs {
    termination_log: Option<OsString>,
    report: Option<OsString>,
}

impl Outputs {
    /// Writes the termination log and the report for ENDING, however the
    /// run ended.
    fn write(&self, ending: &Ending, tally: &Run) {
        if let Some(path) = &self.termination_log {
            out_file::write(path, &termination_log::line(ending), "termination log");
        }
        if let Some(path) = &self.report {
            let line = report::render(tally, ending, Instant::now());
            out_file::write(path, &line, "report");
        }
    }
}

/// Everything between the settings and the event loop: the signalfd, our
/// role in the process tree, the OOM watch, and the child. Every failure
/// here happens before the child exists.
fn start<'t, A: AsRef<std::ffi::OsStr>>(
    config: &Config<A>,
    program: Option<Program<'_>>,
    mask: Mask,
    env: &Environment,
    standard: Option<Standard>,
    tally: &mut Run,
    cgroup_text: &'t mut oom::CgroupText,
) -> Result<(Supervisor, Option<oom::Watch<'t>>), Error> {
    let signals = SignalFd::new().map_err(|e| Error::setup("create signalfd", e))?;
    if let Some(signo) = config.parent_death_signal {
        sys::set_parent_death_signal(signo)
            .map_err(|e| Error::setup("set the parent death signal", e))?;
    }
    let pid1 = std::process::id() == 1;
    if config.subreaper && !pid1 {
        reaper::become_subreaper().map_err(|e| Error::setup("become a child subreaper", e))?;
    } else if !pid1 && !reaper::is_subreaper() {
        // Already a subreaper counts: a supervisor may set the bit and exec
        // pidone (it survives exec), as tini's own test proxy does, and
        // suites written for tini treat this warning as a failure.
        warn!(
            "pidone is not running as PID 1 and is not a child subreaper: orphans will not be \
             re-parented to it, so zombie reaping won't work (use -s or PIDONE_SUBREAPER=1, \
             or run pidone as PID 1)"
        );
    }
    let (child, watch) = match program {
        Some(program) => {
            let identity = config.user.as_deref().map(user::resolve_here).transpose()?;
            // Read the OOM counter before the child can use any memory.
            let watch = oom::Watch::start(cgroup_text);
            let path = program.path;
            let child = spawn::spawn(spawn::Launch {
                program: path,
                argv: program.argv,
                mask,
                identity: identity.as_ref(),
                workdir: config.workdir.as_ref().map(AsRef::as_ref),
                listen_pid: env.get("LISTEN_PID"),
                has_home: env.has_home,
                has_user: env.has_user,
                standard,
            })?;
            tally.child = Some((child, tally.now()));
            debug!("started child {child}: {}", path.to_string_lossy());
            (Some(child), Some(watch))
        }
        None => {
            info!("pause: running no program; exit with SIGTERM or SIGINT");
            (None, None)
        }
    };
    // Pin nothing: the child has its own copies of our descriptors and its
    // own working directory now. A pipeline reading the app's output sees
    // end-of-file when the app exits, not when pidone does; and the
    // directory pidone started in can be unmounted (Podman had containers
    // whose home could not be, because the init's cwd held it).
    let _ = nix::unistd::chdir(c"/");
    sys::close_inherited(signals.as_fd());
    let supervisor = Supervisor {
        signals,
        child,
        process_group: config.process_group,
        warn_on_reap: config.warn_on_reap,
        rewrite: config.rewrite,
        kill_after: config.kill_after,
        // Counted from the child's start, or pidone's with `--pause`.
        stop_at: config.stop_after.and_then(|after| {
            let from = tally.child.map_or(tally.started, |(_, at)| at)?;
            Some(from + after)
        }),
        stop_signal: config.stop_signal,
    };
    Ok((supervisor, watch))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grace_is_the_flags_else_short_unless_stopped() {
        let five = Duration::from_secs(5);
        let table = [
            (Some(five), false, (five, GraceRule::Set)),
            (Some(five), true, (five, GraceRule::Set)),
            (None, false, (DEFAULT_GRACE, GraceRule::Default)),
            (None, true, (STOP_GRACE, GraceRule::Stop)),
        ];
        for (set, stopped, want) in table {
            assert_eq!(grace(set, stopped), want, "{set:?} {stopped}");
        }
    }
}
