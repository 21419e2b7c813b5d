//! Embedded mode's front door: [`launch`] and its builder [`Init`].
//!
//! Decides the role (the init, or the program itself) and hands the init's
//! role to `run`. Until it knows it is the init, it changes nothing in the
//! process: it reads the environment and `/proc`, nothing else.

use std::ffi::OsString;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::{Error, UsageError};
use crate::os::procfs;
use crate::out::logging::LogSpec;
use crate::text::cli::{self, Config};
use crate::text::{duration, signame};

/// Makes this process its own init when it is PID 1, configured by the
/// `PIDONE_*` variables; elsewhere returns at once. Call it first in
/// `main`. The same as `Init::from_env()?.launch()`: see [`Init::launch`].
///
/// # Errors
/// A malformed `PIDONE_*` (or `TINI_*`) variable, as the `pidone` binary
/// would reject it; and, in the init's role, see [`Init::launch`].
///
/// # Examples
/// ```
/// fn main() -> Result<(), pidone::Error> {
///     pidone::launch()?;
///     println!("the program runs here, under an init when it is PID 1");
///     Ok(())
/// }
/// ```
pub fn launch() -> Result<(), Error> {
    Init::from_env()?.launch()
}

/// An init's settings, for [`Init::launch`]: the `pidone` binary's options,
/// in code. Start from the defaults ([`Init::new`]) or from the `PIDONE_*`
/// variables ([`Init::from_env`]), change what you need, and launch. A
/// setting with a bad value (a signal outside 1-64, a duration over 366
/// days) makes `launch` fail, as the binary's usage errors do.
///
/// # Examples
/// ```
/// use std::time::Duration;
///
/// fn main() -> Result<(), pidone::Error> {
///     pidone::Init::from_env()?
///         .grace(Duration::from_secs(10))
///         .rewrite(libc::SIGTERM, libc::SIGQUIT)
///         .report("/var/log/run.json")
///         .launch()?;
///     Ok(())
/// }
/// ```
#[derive(Clone, Debug)]
pub struct Init {
    config: Config,
    /// The first bad value given, reported by `launch`.
    invalid: Option<UsageError>,
}

impl Default for Init {
    fn default() -> Init {
        Init::new()
    }
}

impl Init {
    /// The defaults: those of the `pidone` binary run with no option and
    /// no variable.
    pub fn new() -> Init {
        Init {
            config: Config::default(),
            invalid: None,
        }
    }

    /// The defaults, then every `PIDONE_*` (and `TINI_*`) variable that is
    /// set, read as the `pidone` binary reads them.
    ///
    /// # Errors
    /// A variable with a malformed value: the error names it.
    pub fn from_env() -> Result<Init, Error> {
        let config = cli::from_env(|name: &str| std::env::var_os(name))?;
        Ok(Init {
            config,
            invalid: None,
        })
    }

    /// Becomes a child subreaper when not PID 1 (`-s`): the init then
    /// takes this role outside a container too (see [`Init::launch`]).
    pub fn subreaper(&mut self, on: bool) -> &mut Init {
        self.config.subreaper = on;
        self
    }

    /// Forwards signals to the child's whole process group (`-g`).
    pub fn process_group(&mut self, on: bool) -> &mut Init {
        self.config.process_group = on;
        self
    }

    /// Treats the child ending with CODE as success: the init exits 0
    /// (`-e`). Adds to the codes set before.
    pub fn remap_exit(&mut self, code: u8) -> &mut Init {
        self.config.remap.insert(code);
        self
    }

    /// Forwards signal FROM as TO, or drops it when TO is 0 (`-r FROM:TO`).
    /// Signals are numbers 1-64 (`libc::SIGTERM`); FROM cannot be KILL,
    /// STOP or CHLD.
    pub fn rewrite(&mut self, from: i32, to: i32) -> &mut Init {
        if let Err(message) = self.config.rewrite.set(from, to) {
            self.invalid.get_or_insert(UsageError(message));
        }
        self
    }

    /// How long leftover processes get between SIGTERM and SIGKILL once
    /// the child has exited (`--grace`), whether it ended on its own or
    /// was stopped.
    pub fn grace(&mut self, grace: Duration) -> &mut Init {
        self.config.grace = self.duration("grace", grace);
        self
    }

    /// SIGKILLs the child this long after forwarding a terminating signal
    /// to it, if it is still there (`--kill-after`).
    pub fn kill_after(&mut self, after: Duration) -> &mut Init {
        self.config.kill_after = self.duration("kill_after", after);
        self
    }

    /// This long after the child started, acts as if the stop signal had
    /// come from outside (`--stop-after`): for shutdown drills.
    pub fn stop_after(&mut self, after: Duration) -> &mut Init {
        self.config.stop_after = self.duration("stop_after", after);
        self
    }

    /// The signal [`Init::stop_after`] acts as (`--stop-signal`; SIGTERM
    /// unless set); not SIGKILL or SIGSTOP.
    pub fn stop_signal(&mut self, signo: i32) -> &mut Init {
        match signo {
            libc::SIGKILL | libc::SIGSTOP => self.invalid(format!(
                "invalid stop signal {signo}: KILL and STOP cannot be caught"
            )),
            signo if signame::is_signal(signo) => self.config.stop_signal = signo,
            _ => self.invalid(format!("invalid stop signal {signo}: expected 1-64")),
        }
        self
    }

    /// Writes one JSON line describing the run to PATH when the init exits
    /// (`--report`).
    pub fn report(&mut self, path: impl Into<PathBuf>) -> &mut Init {
        self.config.report = self.path(path.into());
        self
    }

    /// Writes one line saying why the init exited to PATH
    /// (`--termination-log`; Kubernetes reads `/dev/termination-log`).
    pub fn termination_log(&mut self, path: impl Into<PathBuf>) -> &mut Init {
        self.config.termination_log = self.path(path.into());
        self
    }

    /// Logs every orphan reaped at warn level (`-w`).
    pub fn warn_on_reap(&mut self, on: bool) -> &mut Init {
        self.config.warn_on_reap = on;
        self
    }

    /// How much the init logs on stderr (`-v`, `-q`, `PIDONE_LOG`; warn
    /// unless set).
    pub fn log_level(&mut self, level: log::LevelFilter) -> &mut Init {
        self.config.log = LogSpec::Level(level);
        self
    }

    /// Becomes this program's init, or returns at once.
    ///
    /// - **PID 1**: starts this program again (`/proc/self/exe`, the same
    ///   argv and environment) as its child, and is that child's init until
    ///   it ends: forwards every signal, reaps every zombie, shuts leftovers
    ///   down, and exits with the child's status (N, or 128+S) as the
    ///   `pidone` binary does, with the same log, report and termination
    ///   log. Never returns.
    /// - **Subreaper asked for, not PID 1**: the same, as a child subreaper
    ///   (orphans among its descendants are re-parented to it), unless this
    ///   process is already the child of such an init: its parent runs the
    ///   same executable with every signal blocked (or cannot be looked
    ///   at). Then it returns, as below.
    /// - **Otherwise** (the child, or a program run outside a container):
    ///   returns `Ok(())` at once, having changed nothing: signal mask,
    ///   dispositions, descriptors, environment and working directory are
    ///   as the program started with them.
    ///
    /// # Errors
    /// A bad setting (see [`Init`]); or, about to become the init, a
    /// process that already runs more than one thread (signals would reach
    /// the other threads instead of the init: call `launch` first in
    /// `main`). Either way nothing was changed. Once the init's role has
    /// begun, a failure to start the child ends the process as the binary
    /// does: one line `pidone: …` on stderr and exit 125, 126 or 127.
    pub fn launch(&self) -> Result<(), Error> {
        if let Some(invalid) = &self.invalid {
            return Err(invalid.clone().into());
        }
        // The init's role: PID 1, or a subreaper asked for by a process
        // that is not the child of its own init already.
        let init = std::process::id() == 1 || (self.config.subreaper && !parent_is_our_init());
        if !init {
            return Ok(());
        }
        match procfs::threads() {
            Some(1) => {}
            threads => {
                return Err(Error::setup(
                    "become the init",
                    io::Error::other(format!(
                        "the process runs {} threads; launch() must come first in main",
                        threads.map_or_else(|| "an unknown number of".into(), |n| n.to_string())
                    )),
                ))
            }
        }
        // The kernel's copy of our argv: what the program was started with,
        // whatever its own `main` is (std only records it for a Rust main).
        let argv = procfs::command_line()
            .ok_or_else(|| Error::setup("read /proc/self/cmdline", io::Error::last_os_error()))?;
        crate::run::embedded(&self.config, &argv)
    }

    /// D, when it is at most what the command line takes; else noted as
    /// the error of setting NAME.
    fn duration(&mut self, name: &str, d: Duration) -> Option<Duration> {
        if d <= duration::MAX {
            return Some(d);
        }
        self.invalid(format!("invalid {name}: longer than 366 days"));
        None
    }

    /// PATH, when it is not empty; else noted as an error.
    fn path(&mut self, path: PathBuf) -> Option<OsString> {
        if path.as_os_str().is_empty() {
            self.invalid("an empty path for a report or termination log".into());
            return None;
        }
        Some(path.into_os_string())
    }

    /// Notes MESSAGE as the error `launch` reports, unless one came first.
    fn invalid(&mut self, message: String) {
        self.invalid.get_or_insert(UsageError(message));
    }
}

/// Whether this process's parent is this program's own init: the same
/// executable, holding every signal blocked as pidone does. When the
/// parent cannot be looked at, yes: a child that wrongly stays the program
/// loses only its own subreaper, where one that wrongly becomes an init
/// again would start yet another copy of the program.
fn parent_is_our_init() -> bool {
    let parent = nix::unistd::getppid().as_raw();
    match (
        procfs::same_executable(parent),
        procfs::blocked_signals(parent),
    ) {
        (Some(same), Some(blocked)) => same && blocked | procfs::UNBLOCKABLE == !0,
        _ => true,
    }
}
