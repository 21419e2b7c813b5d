//! A started process's output: stdout line by line on a channel (so a test
//! can await one line under a deadline), stderr collected whole, and every
//! failure message showing the command and everything it printed so far.
//! Shared by the pidone harness (`run::Init`) and the Docker harness
//! (`docker::Attached`); both end in a [`Finished`]. It never waits
//! without a deadline.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::{poll_until, DEADLINE};

/// A spawned process whose stdout lines arrive on a channel and whose
/// stderr is collected. Killed (and reaped) when dropped.
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
    /// otherwise); returns how it ended and all it printed.
    pub fn finish(&mut self, timeout: Duration, what: &str) -> Finished {
        let deadline = Instant::now() + timeout;
        let status = poll_until(deadline, || match self.process.try_wait() {
            Ok(status) => status,
            Err(e) => self.fail(&format!("wait failed: {e}")),
        });
        let Some(status) = status else {
            self.fail(&format!("{what} did not exit in time"))
        };
        // The pipes close with the process, unless something it started
        // still holds them: give the readers a bounded moment to finish.
        if let Some(reader) = self.stderr_reader.take() {
            let _ = poll_until(Instant::now() + DEADLINE, || {
                reader.is_finished().then_some(())
            });
        }
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(1)) {
            self.seen.push_str(&line);
            self.seen.push('\n');
        }
        Finished {
            code: status.code(),
            signal: status.signal(),
            stdout: std::mem::take(&mut self.seen),
            stderr: self.stderr.lock().unwrap().clone(),
            description: self.description.clone(),
        }
    }
}

impl Drop for Captured {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// How a captured process ended: pidone run by the harness, or an
/// attached `docker run` (whose stderr holds pidone's log as PID 1).
#[derive(Debug)]
pub struct Finished {
    pub code: Option<i32>,
    /// The signal that killed it (pidone, or unshare), if one did.
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
