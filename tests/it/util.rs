//! The harness: runs the real pidone, as PID 1 of a fresh PID namespace
//! (`unshare --pid --fork --kill-child --mount-proc`, as a container runtime
//! would) or as a subreaper (`-s`) outside one, with `testee` as its child.
//!
//! Nothing here sleeps to let things settle: lines are awaited with a
//! deadline, and state is observed with a bounded poll. On failure every
//! assertion shows the command, its exit status and what it printed.

use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

/// How long any single expected event may take before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(15);

/// The pidone binary under test: `PIDONE_BIN` if set (to test a release or
/// musl build), else the one cargo built for this test run.
pub fn pidone() -> PathBuf {
    std::env::var_os("PIDONE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_pidone")))
}

/// The `testee` helper (tests/helper/testee.rs), compiled once per test run
/// with the `rustc` on PATH.
pub fn testee() -> &'static Path {
    static TESTEE: OnceLock<PathBuf> = OnceLock::new();
    TESTEE.get_or_init(|| {
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/helper/testee.rs");
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("testee");
        let status = Command::new("rustc")
            .args(["--edition", "2021", "-O", "-o"])
            .arg(&out)
            .arg(&source)
            .status()
            .expect("run rustc to build the testee helper");
        assert!(status.success(), "building {} failed", source.display());
        out
    })
}

/// Where pidone runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// PID 1 of its own PID namespace.
    Pid1,
    /// A plain process with `-s`, outside any namespace.
    Subreaper,
    /// A plain process without `-s`: neither PID 1 nor subreaper.
    Plain,
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

/// Both log settings, for scenarios that only make sense in one mode.
pub const LOGS: [Log; 2] = [Log::Default, Log::Debug];

/// A pidone invocation being put together.
pub struct Run {
    mode: Mode,
    log: Log,
    args: Vec<OsString>,
    env: Vec<(String, OsString)>,
    unset: Vec<String>,
    start_signals: Option<(u64, u64)>,
    wrappers: Vec<OsString>,
    broken_stderr: bool,
}

impl Run {
    /// pidone in MODE with LOG; add options with [`Run::arg`].
    pub fn new(mode: Mode, log: Log) -> Run {
        let args = match mode {
            Mode::Pid1 | Mode::Plain => vec![],
            Mode::Subreaper => vec!["-s".into()],
        };
        Run {
            mode,
            log,
            args,
            env: vec![],
            unset: vec![],
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

    /// Starts pidone with a stderr pipe whose reading end is already
    /// closed, as when the runtime's log reader has gone away: every write
    /// pidone makes to stderr fails with EPIPE and raises SIGPIPE.
    pub fn broken_stderr(mut self) -> Run {
        self.broken_stderr = true;
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
        if self.mode == Mode::Pid1 {
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
        line.push(pidone().into());
        line.extend(self.args.iter().cloned());
        let mut command = Command::new(&line[0]);
        command.args(&line[1..]);
        for var in [
            "PIDONE_LOG",
            "PIDONE_SUBREAPER",
            "PIDONE_PROCESS_GROUP",
            "PIDONE_PARENT_DEATH_SIGNAL",
            "PIDONE_REMAP_EXIT",
            "PIDONE_WARN_ON_REAP",
            "PIDONE_REWRITE",
            "PIDONE_GRACE",
            "PIDONE_KILL_AFTER",
            "PIDONE_TERMINATION_LOG",
            "PIDONE_USER",
            "PIDONE_WORKDIR",
            "LISTEN_PID",
            "LISTEN_FDS",
            "TINI_SUBREAPER",
            "TINI_KILL_PROCESS_GROUP",
            "TINI_VERBOSITY",
        ] {
            command.env_remove(var);
        }
        if self.log == Log::Debug {
            command.env("PIDONE_LOG", "debug");
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

/// A spawned process whose stdout lines arrive on a channel and whose
/// stderr is collected; what the pidone harness (`Init`) and the Docker
/// harness (`docker_util::Attached`) share. Failures show the command and
/// everything it printed so far.
pub struct Captured {
    pub process: Child,
    lines: Receiver<String>,
    /// Every stdout line received so far.
    seen: String,
    stderr: Arc<Mutex<String>>,
    stderr_reader: Option<thread::JoinHandle<()>>,
    pub description: String,
}

impl Captured {
    /// Spawns COMMAND with stdout and stderr piped. Without KEEP_STDERR the
    /// reading end of stderr is closed at once (a log reader that is gone).
    pub fn spawn(mut command: Command, description: String, keep_stderr: bool) -> Captured {
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut process = command
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {description}: {e}"));
        let (sender, lines) = mpsc::channel();
        let stdout = process.stdout.take().expect("piped stdout");
        thread::spawn(move || {
            for line in BufReader::new(stdout).split(b'\n') {
                let Ok(line) = line else { break };
                // A terminal's output ends lines with \r\n.
                let text = String::from_utf8_lossy(&line);
                if sender
                    .send(text.trim_end_matches('\r').to_string())
                    .is_err()
                {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = process.stderr.take().expect("piped stderr");
        let sink = Arc::clone(&stderr);
        let stderr_reader = keep_stderr.then(|| {
            thread::spawn(move || {
                let mut chunk = [0u8; 4096];
                while let Ok(n) = pipe.read(&mut chunk) {
                    if n == 0 {
                        break;
                    }
                    let text = String::from_utf8_lossy(&chunk[..n]);
                    sink.lock().unwrap().push_str(&text);
                }
            })
        });
        Captured {
            process,
            lines,
            seen: String::new(),
            stderr,
            stderr_reader,
            description,
        }
    }

    /// Panics with everything known about this run.
    pub fn fail(&self, why: &str) -> ! {
        panic!(
            "{why}\n  run: {}\n  stdout so far:\n{}\n  stderr so far:\n{}",
            self.description,
            self.seen,
            self.stderr.lock().unwrap()
        )
    }

    /// The next stdout line, by DEADLINE; fails naming WHAT otherwise.
    pub fn next_line(&mut self, deadline: Instant, what: &str) -> String {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.lines.recv_timeout(left) {
            Ok(line) => {
                self.seen.push_str(&line);
                self.seen.push('\n');
                line
            }
            Err(RecvTimeoutError::Timeout) => {
                self.fail(&format!("timed out waiting for a line: {what}"))
            }
            Err(RecvTimeoutError::Disconnected) => {
                self.fail(&format!("stdout closed while waiting for: {what}"))
            }
        }
    }

    /// Waits up to TIMEOUT for the process to exit (failing with WHAT
    /// otherwise); returns its status, all of its stdout and its stderr.
    pub fn wait(&mut self, timeout: Duration, what: &str) -> (ExitStatus, String, String) {
        let deadline = Instant::now() + timeout;
        let status = loop {
            match self.process.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
                Ok(None) => self.fail(&format!("{what} did not exit in time")),
                Err(e) => self.fail(&format!("wait failed: {e}")),
            }
        };
        // The pipes close with the process, unless something it started
        // still holds them: give the readers a bounded moment to finish.
        if let Some(reader) = self.stderr_reader.take() {
            let _ = try_poll(|| reader.is_finished().then_some(()));
        }
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(1)) {
            self.seen.push_str(&line);
            self.seen.push('\n');
        }
        let stderr = self.stderr.lock().unwrap().clone();
        (status, std::mem::take(&mut self.seen), stderr)
    }
}

impl Drop for Captured {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
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
            Mode::Subreaper | Mode::Plain => top,
            // unshare forks pidone; wait until the child has exec'd pidone.
            Mode::Pid1 => poll(
                &self.captured.description,
                "pidone to start under unshare",
                || children(top).into_iter().find(|&pid| exe(pid) != exe(top)),
            ),
        }
    }

    /// Sends SIG to pidone's host pid, as `docker kill` would.
    pub fn signal(&self, sig: i32) {
        // SAFETY: kill has no memory preconditions.
        let rc = unsafe { libc::kill(self.pid(), sig) };
        assert_eq!(rc, 0, "kill {sig} pidone");
    }

    /// Waits (bounded) for pidone to exit and returns what it did.
    pub fn finish(mut self) -> Finished {
        let (status, stdout, stderr) = self.captured.wait(DEADLINE, "pidone");
        Finished {
            code: status.code(),
            signal: std::os::unix::process::ExitStatusExt::signal(&status),
            stdout,
            stderr,
            description: self.captured.description.clone(),
        }
    }
}

/// How a pidone run ended.
#[derive(Debug)]
pub struct Finished {
    pub code: Option<i32>,
    /// The signal that killed pidone (or unshare), if one did.
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// Shown through `Debug` when an assertion fails.
    #[allow(dead_code)]
    pub description: String,
}

impl Finished {
    /// Asserts the exit code, showing everything on failure.
    pub fn assert_code(&self, want: i32) -> &Self {
        assert_eq!(self.code, Some(want), "exit code of {self:#?}");
        self
    }

    /// How many orphans pidone logged as reaped (at debug level).
    pub fn reaped_orphans(&self) -> usize {
        self.log_lines("DEBUG")
            .iter()
            .filter(|l| l.contains("reaped orphan"))
            .count()
    }

    /// The stderr lines that are pidone log lines at LEVEL.
    pub fn log_lines(&self, level: &str) -> Vec<&str> {
        let prefix = format!("[{level} pidone (");
        self.stderr
            .lines()
            .filter(|l| l.starts_with(&prefix))
            .collect()
    }
}

/// Polls CHECK every 10 ms until it returns a value or DEADLINE passes.
pub fn poll<T>(context: &str, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(value) = check() {
            return value;
        }
        if Instant::now() >= deadline {
            panic!("timed out waiting for {what}\n  run: {context}");
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// One line of `/proc/PID/stat`, split around the command name.
pub struct Stat {
    pub comm: String,
    pub state: char,
    pub ppid: i32,
    pub pgrp: i32,
    pub tpgid: i32,
}

/// Reads `/proc/PID/stat` (None once the process is gone).
pub fn stat(pid: i32) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The name may hold spaces and parentheses: split at the last ')'.
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let rest: Vec<&str> = text[close + 1..].split_whitespace().collect();
    let field = |i: usize| rest.get(i).and_then(|f| f.parse().ok());
    Some(Stat {
        comm: text[open + 1..close].to_string(),
        state: rest.first()?.chars().next()?,
        ppid: field(1)?,
        pgrp: field(2)?,
        tpgid: field(5)?,
    })
}

/// The pids of every process on the host.
pub fn all_pids() -> Vec<i32> {
    std::fs::read_dir("/proc")
        .map(|dir| {
            dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// The direct children of PID (any state).
pub fn children(pid: i32) -> Vec<i32> {
    all_pids()
        .into_iter()
        .filter(|&p| stat(p).is_some_and(|s| s.ppid == pid))
        .collect()
}

/// The zombies whose parent is PID.
pub fn zombies_of(pid: i32) -> Vec<i32> {
    all_pids()
        .into_iter()
        .filter(|&p| stat(p).is_some_and(|s| s.ppid == pid && s.state == 'Z'))
        .collect()
}

/// Every descendant of PID, with its stat.
pub fn descendants(pid: i32) -> Vec<(i32, Stat)> {
    let stats: Vec<(i32, Stat)> = all_pids()
        .into_iter()
        .filter_map(|p| Some((p, stat(p)?)))
        .collect();
    let mut found = vec![pid];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(
            stats
                .iter()
                .filter(|(_, s)| s.ppid == parent)
                .map(|(p, _)| *p),
        );
        i += 1;
    }
    stats
        .into_iter()
        .filter(|(p, _)| *p != pid && found.contains(p))
        .collect()
}

/// The executable of PID (empty once it is gone).
pub fn exe(pid: i32) -> PathBuf {
    std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default()
}

/// A field of `/proc/PID/status`, as a number.
pub fn status_number(pid: i32, field: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

/// Waits (bounded) for CHILD to exit and collects its output.
pub fn wait_output(mut child: Child, what: &str) -> std::process::Output {
    let deadline = Instant::now() + DEADLINE;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
            _ => {
                let _ = child.kill();
                panic!("{what} did not exit in time");
            }
        }
    }
    child.wait_with_output().expect("collect output")
}

/// Like [`poll`], but gives up quietly at the deadline (for clean-up).
pub fn try_poll<T>(mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(value) = check() {
            return Some(value);
        }
        if Instant::now() >= deadline {
            return None;
        }
        thread::sleep(Duration::from_millis(10));
    }
}
