//! pidone: a minimal PID-1 init for containers. It runs one program as its
//! child, forwards every signal to it, reaps every zombie, and exits with
//! the child's status (N, or 128+S for death by signal S).
//!
//! This file is the only exit point: it blocks signals first, parses, sets
//! up, hands over to the supervisor, and turns the outcome into an exit code.
//!
//! pidone has its own C `main` (`#![no_main]`) instead of Rust's: Rust's
//! runtime sets SIGPIPE to ignored before `main` runs, and the child would
//! inherit that ignore through exec (an app that ignores SIGPIPE by
//! accident never dies in `app | head`). With our own entry point pidone's
//! dispositions stay exactly as the runtime that started it set them.
#![cfg_attr(not(test), no_main)]
// The unit-test build has libtest's main instead of ours, so everything only
// reachable from our `main` looks dead there.
#![cfg_attr(test, allow(dead_code, unused_imports))]
// An init must not panic: no unwrap, expect, panic or slice indexing in
// pidone's own code (tests may). Enforced by `cargo clippy -- -D warnings`.
// indexing_slicing does not cover `&text[a..b]` on a str (which panics off
// a char boundary); string_slice does.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::string_slice,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]

mod allocator;
mod cli;
// Test only (issue 7): a randomized run of cli::parse.
#[cfg(test)]
mod cli_fuzz;
mod duration;
mod error;
mod exit_status;
mod explain;
mod fds;
mod logging;
mod number;
mod oom;
mod procfs;
// Test only (issue 7): the panic hook, on a real panic in a child run.
#[cfg(test)]
mod panic_hook_test;
mod reaper;
mod rewrite;
mod shutdown;
mod signals;
mod signame;
mod spawn;
mod supervisor;
mod termination_log;
mod tty;
mod user;

use std::ffi::{CStr, OsString};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;

use log::{debug, info, warn};

use crate::cli::{Action, Config};

/// Out of memory means one line and exit 125 (see `allocator`).
#[global_allocator]
static ALLOCATOR: allocator::ExitOnOom = allocator::ExitOnOom;
use crate::error::Error;
use crate::exit_status::Fate;
use crate::signals::{Mask, SignalFd};
use crate::supervisor::{Outcome, Supervisor};
use crate::termination_log::Ending;

/// The process entry point, called by the C runtime.
///
/// # Safety
/// `argv` must hold `argc` valid NUL-terminated strings, as the C runtime
/// guarantees for `main`.
#[cfg(not(test))]
#[no_mangle]
unsafe extern "C" fn main(argc: libc::c_int, argv: *const *const libc::c_char) -> libc::c_int {
    // First thing, before anything can be delivered the ordinary way.
    let mask = signals::block_all();
    std::panic::set_hook(Box::new(report_panic));
    fds::ensure_standard_fds();
    let count = usize::try_from(argc).unwrap_or(0);
    // Skip argv[0]; the kernel may even pass argc == 0.
    let args: Vec<OsString> = (1..count)
        .map(|i| {
            // SAFETY: i < argc, and the C runtime guarantees argv[0..argc]
            // are valid NUL-terminated strings that live for the process.
            let arg = unsafe { CStr::from_ptr(*argv.add(i)) };
            std::ffi::OsStr::from_bytes(arg.to_bytes()).to_owned()
        })
        .collect();
    let code = match run(mask, &args) {
        Ok(code) => code,
        Err(err) => {
            // Exactly one line. Writing may fail (stderr closed): ignore it,
            // the exit code still tells.
            let _ = writeln!(std::io::stderr(), "pidone: {err}");
            err.exit_code()
        }
    };
    libc::c_int::from(code)
}

/// The panic hook: one line on stderr and exit 125, never a backtrace.
///
/// Clippy denies unwrap, expect, panic and indexing in pidone's code, so a
/// panic would be a bug in pidone or std; this keeps even that to the
/// contract's "pidone itself failed" code instead of an abort (which, with
/// SIGABRT blocked, would end in a SIGSEGV that looks like the app's 139).
fn report_panic(info: &std::panic::PanicHookInfo<'_>) {
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
fn run(mask: std::io::Result<Mask>, args: &[OsString]) -> Result<u8, Error> {
    let original_mask = mask.map_err(|cause| Error::Setup {
        what: "block signals".into(),
        cause,
    })?;
    let config = match cli::parse(args, |name| std::env::var_os(name))? {
        Action::Run(config) => config,
        Action::Help => return Ok(print(cli::USAGE)),
        Action::Version => return Ok(print(&format!("{}\n", cli::version()))),
        Action::Explain(code) => return Ok(print(&explain::explain(code))),
    };
    logging::init(config.log_level);
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
