//! Running pidone: where it runs (PID 1 of its own namespace, subreaper,
//! neither), at which log level, with which options, environment, start
//! state and wrappers; then the running `Init`, which ends in a `Finished`.
//! Every run starts from a clean environment: no variable of the option
//! table (`PIDONE_*`, `TINI_*`) and no `LISTEN_*` of the developer's leaks
//! in.

use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::binaries::testee_embedded;
use super::captured::{Captured, Finished};
use super::kill::kill;
use super::procfs::{children, exe};
use super::{pidone, poll, poll_until, testee, DEADLINE};

/// Where pidone runs, and as what.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// PID 1 of its own PID namespace.
    Pid1,
    /// A plain process with `-s`, outside any namespace.
    Subreaper,
    /// A plain process without `-s`: neither PID 1 nor subreaper.
    Plain,
    /// Embedded: no pidone binary, but `testee-embedded` (the test child
    /// calling `pidone::launch()` first) as PID 1 of its own namespace,
    /// its own init. Settings come from `PIDONE_*` variables only.
    Embedded,
    /// Embedded, as a plain process asking for a subreaper
    /// (`PIDONE_SUBREAPER=1`).
    EmbeddedSubreaper,
}

impl Mode {
    /// Whether pidone is embedded in the test child here.
    pub fn embedded(self) -> bool {
        matches!(self, Mode::Embedded | Mode::EmbeddedSubreaper)
    }
}

/// pidone's log level in a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Log {
    /// No log variable at all: warn.
    Default,
    /// `PIDONE_LOG=debug`.
    Debug,
}

/// Every (mode, log) combination; each scenario runs in all of them.
pub fn matrix() -> impl Iterator<Item = (Mode, Log)> {
    [Mode::Pid1, Mode::Subreaper]
        .into_iter()
        .flat_map(|mode| [Log::Default, Log::Debug].map(|log| (mode, log)))
}

/// [`matrix`] and the same with pidone embedded in the test child: for the
/// behaviours a program gets from `pidone::launch()` as from the binary
/// (forwarding, reaping, exit codes, the report). Such a scenario gives
/// pidone its settings as `PIDONE_*` variables, never as flags.
pub fn with_embedded() -> impl Iterator<Item = (Mode, Log)> {
    let embedded = [Mode::Embedded, Mode::EmbeddedSubreaper]
        .into_iter()
        .flat_map(|mode| [Log::Default, Log::Debug].map(|log| (mode, log)));
    matrix().chain(embedded)
}

/// Both log settings, for scenarios that only make sense in one mode.
pub const LOGS: [Log; 2] = [Log::Default, Log::Debug];

/// A pidone invocation being put together.
pub struct Run {
    mode: Mode,
    log: Log,
    args: Vec<OsString>,
    env: Vec<(String, OsString)>,
    unset: Vec<String>,
    dir: Option<std::path::PathBuf>,
    start_signals: Option<(u64, u64)>,
    wrappers: Vec<OsString>,
    broken_stderr: bool,
}

impl Run {
    /// pidone in MODE with LOG; add options with [`Run::arg`].
    pub fn new(mode: Mode, log: Log) -> Run {
        let args = match mode {
            Mode::Subreaper => vec!["-s".into()],
            _ => vec![],
        };
        Run {
            mode,
            log,
            args,
            env: vec![],
            unset: vec![],
            dir: None,
            start_signals: None,
            wrappers: vec![],
            broken_stderr: false,
        }
    }

    /// Adds arguments for pidone (options, or the program and its args).
    pub fn args<S: AsRef<OsStr>>(mut self, args: impl IntoIterator<Item = S>) -> Run {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Adds `-- testee ARGS...`.
    pub fn testee(self, args: &[&str]) -> Run {
        self.args(["--".as_ref(), testee().as_os_str()]).args(args)
    }

    /// Sets an environment variable for pidone.
    pub fn env(self, name: &str, value: &str) -> Run {
        self.env_os(name, value)
    }

    /// Sets an environment variable for pidone to any bytes (non-UTF-8 too).
    pub fn env_os(mut self, name: &str, value: impl AsRef<OsStr>) -> Run {
        self.env.push((name.into(), value.as_ref().to_owned()));
        self
    }

    /// Runs `testee MODE ARGS... <pidone ...>` instead of pidone directly
    /// (inside the namespace, after unshare): one of the testee's wrapper
    /// modes that change the process (cgroup, rlimit, user) and then exec
    /// the rest of the command line. Repeatable; applied in order.
    pub fn wrap(mut self, mode: &str, args: &[&str]) -> Run {
        self.wrappers.push(testee().into());
        self.wrappers.push(mode.into());
        self.wrappers.extend(args.iter().map(OsString::from));
        self
    }

    /// Runs PROGRAM ARGS... in front of pidone (after any `wrap`): a
    /// program that runs the rest of the command line, such as strace.
    pub fn under(mut self, program: &str, args: &[&str]) -> Run {
        self.wrappers.push(program.into());
        self.wrappers.extend(args.iter().map(OsString::from));
        self
    }

    /// Starts pidone with a stderr pipe whose reading end is already
    /// closed, as when the runtime's log reader has gone away: every write
    /// pidone makes to stderr fails with EPIPE and raises SIGPIPE.
    pub fn broken_stderr(mut self) -> Run {
        self.broken_stderr = true;
        self
    }

    /// Starts pidone in DIR (the test's own directory otherwise).
    pub fn current_dir(mut self, dir: &std::path::Path) -> Run {
        self.dir = Some(dir.to_owned());
        self
    }

    /// Removes an environment variable for pidone.
    pub fn env_unset(mut self, name: &str) -> Run {
        self.unset.push(name.into());
        self
    }

    /// Starts pidone with exactly this signal mask and ignored set (raw
    /// 64-bit masks, bit N-1 for signal N), everything else at its default.
    /// Set by `testee with-signals` right before pidone's exec, so neither
    /// this test process nor unshare can disturb them.
    pub fn start_signals(mut self, blocked: u64, ignored: u64) -> Run {
        self.start_signals = Some((blocked, ignored));
        self
    }

    fn command(&self) -> Command {
        let mut line: Vec<OsString> = vec![];
        if matches!(self.mode, Mode::Pid1 | Mode::Embedded) {
            line.extend(
                ["unshare", "--pid", "--fork", "--kill-child", "--mount-proc"].map(OsString::from),
            );
        }
        if let Some((blocked, ignored)) = self.start_signals {
            line.push(testee().into());
            line.push("with-signals".into());
            line.push(format!("{blocked:016x}").into());
            line.push(format!("{ignored:016x}").into());
        }
        line.extend(self.wrappers.iter().cloned());
        if self.mode.embedded() {
            // `-- testee ARGS...` becomes `testee-embedded ARGS...`: there
            // is no pidone binary, and no flag to give it.
            let testee = [OsString::from("--"), testee().into()];
            let rest = self.args.strip_prefix(&testee[..]).unwrap_or_else(|| {
                panic!(
                    "embedded mode runs the test child and takes PIDONE_* variables only: {:?}",
                    self.args
                )
            });
            line.push(testee_embedded().into());
            line.extend(rest.iter().cloned());
        } else {
            line.push(pidone().into());
            line.extend(self.args.iter().cloned());
        }
        let mut command = Command::new(&line[0]);
        if let Some(dir) = &self.dir {
            command.current_dir(dir);
        }
        command.args(&line[1..]);
        // Every variable pidone reads (a new option's too: they all start
        // so), and socket activation's, which pidone reads for its child.
        let prefixes = ["PIDONE_", "TINI_", "LISTEN_"];
        for (var, _) in std::env::vars_os() {
            if prefixes
                .iter()
                .any(|p| var.to_string_lossy().starts_with(p))
            {
                command.env_remove(var);
            }
        }
        if self.log == Log::Debug {
            command.env("PIDONE_LOG", "debug");
        }
        if self.mode == Mode::EmbeddedSubreaper {
            command.env("PIDONE_SUBREAPER", "1");
        }
        for (name, value) in &self.env {
            command.env(name, value);
        }
        for name in &self.unset {
            command.env_remove(name);
        }
        command
    }

    /// Starts pidone with stdout and stderr captured, stdin empty.
    pub fn start(self) -> Init {
        let mut command = self.command();
        command.stdin(Stdio::null());
        let description = format!("{:?} {:?} {:?}", self.mode, self.log, command);
        // With broken_stderr, nobody will ever read pidone's stderr.
        let captured = Captured::spawn(command, description, !self.broken_stderr);
        Init {
            mode: self.mode,
            captured,
            pending: VecDeque::new(),
        }
    }

    /// Runs pidone to the end and returns what happened.
    pub fn output(self) -> Finished {
        self.start().finish()
    }
}

/// A running pidone.
pub struct Init {
    mode: Mode,
    captured: Captured,
    pending: VecDeque<String>,
}

impl Init {
    /// Waits for the first stdout line matching WANT (consuming it) and
    /// returns it; other lines are kept for later calls.
    pub fn line_where(&mut self, what: &str, want: impl Fn(&str) -> bool) -> String {
        if let Some(i) = self.pending.iter().position(|l| want(l)) {
            return self.pending.remove(i).unwrap_or_default();
        }
        let deadline = Instant::now() + DEADLINE;
        loop {
            let line = self.captured.next_line(deadline, what);
            if want(&line) {
                return line;
            }
            self.pending.push_back(line);
        }
    }

    /// Waits for the exact stdout line WANT.
    pub fn expect(&mut self, want: &str) {
        self.line_where(want, |line| line == want);
    }

    /// The host pid of pidone itself (what a runtime would signal).
    pub fn pid(&self) -> i32 {
        let top = self.captured.process.id() as i32;
        match self.mode {
            Mode::Subreaper | Mode::Plain | Mode::EmbeddedSubreaper => top,
            // unshare forks pidone; wait until the child has exec'd pidone.
            Mode::Pid1 | Mode::Embedded => poll(
                &self.captured.description,
                "pidone to start under unshare",
                || children(top).into_iter().find(|&pid| exe(pid) != exe(top)),
            ),
        }
    }

    /// Sends SIG to pidone's host pid, as `docker kill` would.
    pub fn signal(&self, sig: i32) {
        kill(self.pid(), sig).unwrap_or_else(|e| panic!("kill {sig} pidone: {e}"));
    }

    /// Stops pidone as `docker stop -t TIMEOUT` does: SIGTERM to pidone
    /// from outside, then, if it has not exited within TIMEOUT, SIGKILL
    /// (which ends its whole PID namespace, as it ends a container).
    pub fn docker_stop(mut self, timeout: Duration) -> Stopped {
        let pid = self.pid();
        let start = Instant::now();
        self.signal(libc::SIGTERM);
        let exited = poll_until(start + timeout, || {
            self.captured.process.try_wait().ok().flatten()
        });
        let took = start.elapsed();
        let killed = exited.is_none();
        if killed {
            let _ = kill(pid, libc::SIGKILL);
        }
        Stopped {
            finished: self.finish(),
            took,
            killed,
        }
    }

    /// Waits (bounded) for pidone to exit and returns what it did.
    pub fn finish(mut self) -> Finished {
        self.captured.finish(DEADLINE, "pidone")
    }
}

/// How a stop made as `docker stop` makes it ([`Init::docker_stop`]) ended.
#[derive(Debug)]
pub struct Stopped {
    /// What pidone (or, when it was SIGKILLed, unshare) did.
    pub finished: Finished,
    /// From the SIGTERM to pidone's exit, or to the timeout when it had to
    /// be SIGKILLed.
    pub took: Duration,
    /// Whether pidone outlived the timeout and was SIGKILLed.
    pub killed: bool,
}
