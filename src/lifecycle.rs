//! pidone's life from start to exit: parse, set up, supervise the child,
//! shut the leftovers down, write the termination log, and turn the outcome
//! into pidone's exit code, in one place.
//!
//! Everything before the child exists may fail (and becomes an [`Error`]
//! with its exit code); everything after may not: an init that bails out
//! takes the container with it.

use std::ffi::OsString;
use std::io::Write;

use log::{debug, info, warn};

use crate::cli::{Action, Config, LogSpec};
use crate::{
    cli, explain, fds, logging, oom, reaper, shutdown, signals, spawn, termination_log, user,
};

use crate::error::Error;
use crate::exit_status::Fate;
use crate::signals::{Mask, SignalFd};
use crate::supervisor::{Outcome, Supervisor};
use crate::termination_log::Ending;

/// pidone from start to exit: blocks every signal (first thing, before
/// anything can be delivered the ordinary way), reads ARGS (without
/// argv\[0\]), runs, and returns the exit code. The one exit point: every
/// outcome becomes a code here and nowhere else.
pub fn run(args: impl IntoIterator<Item = OsString>) -> u8 {
    let mask = signals::block_all();
    std::panic::set_hook(Box::new(report_panic));
    fds::ensure_standard_fds();
    let args: Vec<OsString> = args.into_iter().collect();
    match run_parsed(mask, &args) {
        Ok(code) => code,
        Err(err) => {
            // Exactly one line. Writing may fail (stderr closed): ignore it,
            // the exit code still tells.
            let _ = writeln!(std::io::stderr(), "pidone: {err}");
            err.exit_code()
        }
    }
}

/// The panic hook: one line on stderr and exit 125, never a backtrace.
///
/// Clippy denies unwrap, expect, panic and indexing in pidone's code, so a
/// panic would be a bug in pidone or std; this keeps even that to the
/// contract's "pidone itself failed" code instead of an abort (which, with
/// SIGABRT blocked, would end in a SIGSEGV that looks like the app's 139).
pub fn report_panic(info: &std::panic::PanicHookInfo<'_>) {
    let payload = info.payload();
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("panic");
    let (file, line) = info.location().map_or(("?", 0), |l| (l.file(), l.line()));
    let message = message.replace('\n', " ");
    let _ = writeln!(
        std::io::stderr(),
        "pidone: internal error at {file}:{line}: {message}"
    );
    // SAFETY: _exit ends the process at once, which is the point; it runs
    // no destructors that could panic again.
    unsafe { libc::_exit(125) }
}

/// Writes TEXT to stdout and flushes it (there is no Rust runtime to flush
/// stdout on the way out, and only these answers use stdout). Returns the
/// exit code 0. A closed stdout is not worth a different exit code.
fn print(text: &str) -> u8 {
    let mut out = std::io::stdout();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
    0
}

/// Parses, sets up, runs the child and returns pidone's exit code.
fn run_parsed(mask: std::io::Result<Mask>, args: &[OsString]) -> Result<u8, Error> {
    let original_mask = mask.map_err(|cause| Error::Setup {
        what: "block signals".into(),
        cause,
    })?;
    let config = match cli::parse(args, |name| std::env::var_os(name))? {
        Action::Run(config) => config,
        Action::Help => return Ok(print(&cli::usage())),
        Action::Version => return Ok(print(&format!("{}\n", cli::version()))),
        Action::Explain(code) => return Ok(print(&explain::explain(code))),
    };
    logging::init(most_verbose(&config.log));
    let started = start(&config, original_mask);
    let (supervisor, oom) = match started {
        Ok(started) => started,
        Err(err) => {
            if let Some(path) = &config.termination_log {
                let ending = Ending::NotStarted {
                    message: err.summary(),
                    code: err.exit_code(),
                };
                termination_log::write(path, &termination_log::line(&ending));
            }
            return Err(err);
        }
    };
    // From here on pidone must never bail out: nothing below can fail.
    let outcome = supervisor.run();
    let ending = match outcome {
        Outcome::Child(fate) => {
            let oom = match fate {
                Fate::Signaled(libc::SIGKILL) => oom.as_ref().and_then(oom::Watch::fired),
                _ => None,
            };
            if let (Some(limit), Some(child)) = (oom, supervisor.child) {
                warn!(
                    "child {child} was killed by SIGKILL: the kernel OOM killer fired in this \
                     container's cgroup ({limit})"
                );
            }
            let code = config.remap.exit_code(fate);
            Ending::Child { fate, oom, code }
        }
        Outcome::Paused(signo) => Ending::Paused { signo },
    };
    shutdown::leftovers(
        &supervisor.signals,
        config.grace,
        std::process::id() == 1,
        config.warn_on_reap,
    );
    if let Some(path) = &config.termination_log {
        termination_log::write(path, &termination_log::line(&ending));
    }
    Ok(match ending {
        Ending::Child { code, .. } => code,
        _ => 0,
    })
}

/// The most verbose level LOG allows anywhere. A bridge for today's
/// one-level logger until the env_logger one takes `LogSpec` itself: for a
/// bare level (`PIDONE_LOG=debug`, the usual form) it is exact.
fn most_verbose(log: &LogSpec) -> log::LevelFilter {
    match log {
        LogSpec::Level(level) => *level,
        LogSpec::Filters(filters) => filters
            .split(',')
            .filter_map(|d| d.rsplit('=').next()?.trim().parse().ok())
            .max()
            .unwrap_or(log::LevelFilter::Warn),
    }
}

/// Everything between parsing and the event loop: the signalfd, our role
/// in the process tree, the OOM watch, and the child. Every failure here
/// happens before the child exists.
fn start(config: &Config, original_mask: Mask) -> Result<(Supervisor, Option<oom::Watch>), Error> {
    let signals = SignalFd::new().map_err(|cause| Error::Setup {
        what: "create signalfd".into(),
        cause,
    })?;
    if let Some(signo) = config.parent_death_signal {
        signals::set_parent_death_signal(signo).map_err(|cause| Error::Setup {
            what: "set the parent death signal".into(),
            cause,
        })?;
    }
    let pid1 = std::process::id() == 1;
    if config.subreaper && !pid1 {
        reaper::become_subreaper().map_err(|cause| Error::Setup {
            what: "become a child subreaper".into(),
            cause,
        })?;
    } else if !pid1 {
        warn!(
            "pidone is not running as PID 1 and is not a child subreaper: orphans will not be \
             re-parented to it, so zombie reaping won't work (use -s or PIDONE_SUBREAPER=1, \
             or run pidone as PID 1)"
        );
    }
    let (child, oom) = match &config.program {
        Some(program) => {
            let identity = config.user.as_deref().map(user::resolve_here).transpose()?;
            // Read the OOM counter before the child can use any memory.
            let oom = oom::Watch::start();
            let child = spawn::spawn(&spawn::Launch {
                program,
                args: &config.args,
                mask: original_mask,
                identity: identity.as_ref(),
                workdir: config.workdir.as_deref(),
            })?;
            debug!("started child {child}: {}", program.to_string_lossy());
            (Some(child), Some(oom))
        }
        None => {
            info!("pause: running no program; exit with SIGTERM or SIGINT");
            (None, None)
        }
    };
    // Pin nothing: the child has its own copies of our descriptors and its
    // own working directory now.
    fds::leave_working_directory();
    fds::close_inherited(signals.raw_fd());
    let supervisor = Supervisor {
        signals,
        child,
        process_group: config.process_group,
        warn_on_reap: config.warn_on_reap,
        rewrite: config.rewrite,
        kill_after: config.kill_after,
    };
    Ok((supervisor, oom))
}
