//! pidone's life from start to exit: parse, set up, supervise the child,
//! shut the leftovers down, write the termination log, and turn the outcome
//! into pidone's exit code, in one place.
//!
//! Everything before the child exists may fail (and becomes an [`Error`]
//! with its exit code); everything after may not: an init that bails out
//! takes the container with it.

use std::io::Write;
use std::time::Instant;

use log::{debug, info, warn};

use crate::cli::Action;
use crate::environment::Environment;
use crate::{
    cli, explain, fds, logging, oom, out_file, reaper, shutdown, signals, spawn, sys,
    termination_log, user,
};

use crate::ending::Ending;
use crate::error::Error;
use crate::exit_status::Fate;
use crate::report::{self, Run};
use crate::signals::{Mask, SignalFd};
use crate::supervisor::{Outcome, Supervisor};
use crate::sys::{Arg, Argv};

/// The configuration as parsed from pidone's own argv, read in place.
type Config = cli::Config<Arg>;

/// pidone from start to exit: blocks every signal (first thing, before
/// anything can be delivered the ordinary way), reads ARGV, runs, and
/// returns the exit code. The one exit point: every outcome becomes a code
/// here and nowhere else.
pub fn run(argv: Argv) -> u8 {
    let mask = signals::block_all();
    std::panic::set_hook(Box::new(report_panic));
    fds::ensure_standard_fds();
    match run_parsed(mask, argv) {
        Ok(code) => code,
        Err(err) => {
            // Exactly one line, built before any of it is written: a
            // message formatted piece by piece onto stderr once wrote
            // "pidone: " and then ran out of memory, and the allocator's
            // own line followed on the same line. Writing may fail (stderr
            // closed): ignore it, the exit code still tells.
            let mut line = String::new();
            let _ = std::fmt::Write::write_fmt(&mut line, format_args!("pidone: {err}\n"));
            write_to(libc::STDERR_FILENO, &line);
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
    // One line, whatever the message holds (escaped like every message).
    let message = crate::error::one_line(message);
    let _ = writeln!(
        std::io::stderr(),
        "pidone: internal error at {file}:{line}: {message}"
    );
    // At once: no destructor may run and panic again.
    sys::exit_now(125)
}

/// Writes TEXT to stdout, unbuffered (only these answers use stdout, and
/// there is no Rust runtime to flush a buffer on the way out). Returns the
/// exit code 0. A closed stdout is not worth a different exit code.
fn print(text: &str) -> u8 {
    write_to(libc::STDOUT_FILENO, text);
    0
}

/// Writes TEXT whole to standard descriptor FD, as far as it can.
fn write_to(fd: libc::c_int, text: &str) {
    let mut rest = text.as_bytes();
    while !rest.is_empty() {
        match nix::unistd::write(sys::standard_fd(fd), rest) {
            Ok(n) if n > 0 => rest = rest.get(n..).unwrap_or_default(),
            Err(nix::errno::Errno::EINTR) => {}
            _ => break,
        }
    }
}

/// Parses, sets up, runs the child and returns pidone's exit code.
fn run_parsed(mask: std::io::Result<Mask>, argv: Argv) -> Result<u8, Error> {
    let original_mask = mask.map_err(|cause| Error::Setup {
        what: "block signals".into(),
        cause,
    })?;
    let env = Environment::read();
    let config = match cli::parse(argv.args(), &env)? {
        // The files written on exit are named relative to where pidone
        // started, which it leaves once the child runs.
        Action::Run(mut config) => {
            config.termination_log = config.termination_log.map(out_file::anchored);
            config.report = config.report.map(out_file::anchored);
            config
        }
        Action::Help => return Ok(print(&cli::usage())),
        Action::Version => return Ok(print(cli::VERSION)),
        Action::Explain(code) => return Ok(print(&explain::explain(code))),
    };
    logging::init(&config.log);
    // Only a run whose times something shows reads the clock (see
    // `Run::new`); it starts counting once the command line is read.
    let timed = config.report.is_some() || config.stop_after.is_some();
    let mut tally = Run::new(timed.then(Instant::now));
    // Outlives the OOM watch, which borrows our cgroup's path from it.
    let mut cgroup_text = oom::CgroupText::new();
    let ending = match start(
        &config,
        argv,
        original_mask,
        &env,
        &mut tally,
        &mut cgroup_text,
    ) {
        // From here on pidone must never bail out: nothing below can fail.
        Ok((supervisor, oom)) => supervise(&config, &supervisor, oom.as_ref(), &mut tally),
        Err(err) => {
            let ending = Ending::NotStarted {
                message: err.summary(),
                code: err.exit_code(),
            };
            finish(&config, &ending, &tally);
            return Err(err);
        }
    };
    finish(&config, &ending, &tally);
    Ok(ending.exit_code())
}

/// Runs the event loop until the main child is gone (or the pause ends),
/// then shuts the leftovers down. Never fails.
fn supervise(
    config: &Config,
    supervisor: &Supervisor,
    oom: Option<&oom::Watch<'_>>,
    tally: &mut Run,
) -> Ending {
    let ending = match supervisor.run(tally) {
        Outcome::Child(fate) => {
            let oom = match fate {
                Fate::Signaled(libc::SIGKILL) => oom.and_then(oom::Watch::fired),
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
    tally.leftovers = shutdown::leftovers(
        &supervisor.signals,
        config.grace,
        std::process::id() == 1,
        config.warn_on_reap,
        &mut tally.orphans_reaped,
    );
    ending
}

/// What pidone leaves behind on its way out, however the run ended.
fn finish(config: &Config, ending: &Ending, tally: &Run) {
    if let Some(path) = &config.termination_log {
        out_file::write(path, &termination_log::line(ending), "termination log");
    }
    if let Some(path) = &config.report {
        out_file::write(
            path,
            &report::render(tally, ending, Instant::now()),
            "report",
        );
    }
}

/// Everything between parsing and the event loop: the signalfd, our role
/// in the process tree, the OOM watch, and the child. Every failure here
/// happens before the child exists.
fn start<'t>(
    config: &Config,
    argv: Argv,
    original_mask: Mask,
    env: &Environment,
    tally: &mut Run,
    cgroup_text: &'t mut oom::CgroupText,
) -> Result<(Supervisor, Option<oom::Watch<'t>>), Error> {
    let setup = |what: &'static str| {
        move |cause| Error::Setup {
            what: what.into(),
            cause,
        }
    };
    let signals = SignalFd::new().map_err(setup("create signalfd"))?;
    if let Some(signo) = config.parent_death_signal {
        sys::set_parent_death_signal(signo).map_err(setup("set the parent death signal"))?;
    }
    let pid1 = std::process::id() == 1;
    if config.subreaper && !pid1 {
        reaper::become_subreaper().map_err(setup("become a child subreaper"))?;
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
    let (child, oom) = match config.program {
        Some(arg) => {
            let program = arg.as_ref();
            let identity = config.user.as_deref().map(user::resolve_here).transpose()?;
            // Read the OOM counter before the child can use any memory.
            let oom = oom::Watch::start(cgroup_text);
            let child = spawn::spawn(&spawn::Launch {
                program,
                // PROGRAM ARGS... is the tail of our own argv: exec it as
                // it stands.
                argv: argv.tail_from(arg),
                mask: original_mask,
                identity: identity.as_ref(),
                workdir: config.workdir.as_deref(),
                listen_pid: env.get("LISTEN_PID"),
                has_home: env.has_home,
                has_user: env.has_user,
            })?;
            tally.child = Some((child, tally.now()));
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
        // Counted from the child's start, or pidone's with `--pause`.
        stop_at: config.stop_after.and_then(|after| {
            let from = tally.child.map_or(tally.started, |(_, at)| at)?;
            Some(from + after)
        }),
        stop_signal: config.stop_signal,
    };
    Ok((supervisor, oom))
}
