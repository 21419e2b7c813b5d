//! Outside commands (docker, podman, tar, bash, script, a pidone the test
//! started itself) run to their end under a deadline: their stdout and
//! stderr drained on threads while they run, so a chatty command cannot
//! block on a full pipe, and killed at the deadline. Nothing here waits
//! without one.

use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::{poll_until, DEADLINE};

/// Runs COMMAND (stdout and stderr piped) to completion, failing the test
/// if it cannot start or is still running after DEADLINE.
pub fn run_with_deadline(mut command: Command, deadline: Duration) -> Output {
    let description = format!("{command:?}");
    let child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {description}: {e}"));
    bounded(child, deadline)
        .unwrap_or_else(|out| panic!("{description} did not finish within {deadline:?}: {out:#?}"))
}

/// Runs COMMAND, which must succeed, under DEADLINE; its trimmed stdout.
pub fn succeed(command: Command, deadline: Duration) -> String {
    let description = format!("{command:?}");
    let out = run_with_deadline(command, deadline);
    assert!(out.status.success(), "{description} failed: {out:#?}");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Waits for CHILD (started by the test, its output piped or not) to exit
/// within the usual deadline and collects its output; kills it and fails
/// naming WHAT if it does not exit in time.
pub fn wait_output(child: Child, what: &str) -> Output {
    bounded(child, DEADLINE).unwrap_or_else(|out| panic!("{what} did not exit in time: {out:#?}"))
}

/// Runs COMMAND with its output discarded, killing it after DEADLINE.
/// Never panics: it serves guards' `Drop`s, maybe while a failed test
/// unwinds.
pub fn run_quietly(mut command: Command, deadline: Duration) {
    command.stdout(Stdio::null()).stderr(Stdio::null());
    if let Ok(child) = command.spawn() {
        let _ = bounded(child, deadline);
    }
}

/// Waits up to DEADLINE for CHILD to exit, draining whichever of its
/// stdout and stderr are piped; its output, or `Err` with what it printed
/// until it was killed at the deadline. Never panics.
fn bounded(mut child: Child, deadline: Duration) -> Result<Output, Output> {
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        thread::spawn(move || {
            let mut bytes = vec![];
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let out = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let err = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let exited = poll_until(Instant::now() + deadline, || {
        child.try_wait().ok().flatten()
    });
    let Some(status) = exited else {
        let _ = child.kill();
        let status = child.wait().unwrap_or(ExitStatus::from_raw(libc::SIGKILL));
        // Something the command started may still hold its pipes open:
        // take what the readers have only if they are done, never wait.
        let so_far = |reader: thread::JoinHandle<Vec<u8>>| match reader.is_finished() {
            true => reader.join().unwrap_or_default(),
            false => vec![],
        };
        return Err(Output {
            status,
            stdout: so_far(out),
            stderr: so_far(err),
        });
    };
    Ok(Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    })
}
