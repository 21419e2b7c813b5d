//! pidone's own words outside the log: an answer on stdout (`--help`,
//! `--version`, `--explain`), the one error line on stderr when pidone
//! cannot start its program, and the panic hook's line.
//!
//! Written with plain `write`s on descriptors 0-2 (no Rust runtime runs
//! after pidone to flush a buffer), as far as they go: a closed stdout or
//! stderr is not worth a different exit code.

use std::fmt::Write as _;

use crate::os::sys::{self, Standard};
use crate::text::exit_codes::Own;
use crate::text::one_line::one_line;

/// Writes TEXT to stdout.
pub fn answer(standard: Option<Standard>, text: &str) {
    write_all(standard, libc::STDOUT_FILENO, text);
}

/// Writes `pidone: ERROR` to stderr: one line, built whole before any of
/// it is written, so that nothing (not even running out of memory midway)
/// can leave half a line.
pub fn error_line(standard: Option<Standard>, error: &dyn std::fmt::Display) {
    let mut line = String::new();
    let _ = writeln!(line, "pidone: {error}");
    write_all(standard, libc::STDERR_FILENO, &line);
}

/// Writes TEXT whole to standard descriptor FD, as far as it can.
fn write_all(standard: Option<Standard>, fd: libc::c_int, text: &str) {
    let Some(standard) = standard else {
        return;
    };
    let mut rest = text.as_bytes();
    while !rest.is_empty() {
        match nix::unistd::write(standard.fd(fd), rest) {
            Ok(n) if n > 0 => rest = rest.get(n..).unwrap_or_default(),
            Err(nix::errno::Errno::EINTR) => {}
            _ => break,
        }
    }
}

/// The panic hook: one line on stderr and exit 125, never a backtrace.
///
/// Clippy denies unwrap, expect, panic and indexing in pidone's code, so a
/// panic would be a bug in pidone or std; this keeps even that to the
/// contract's "pidone itself failed" code instead of an abort (which, with
/// SIGABRT blocked, ends in a SIGSEGV that looks like the app's 139).
pub fn report_panic(info: &std::panic::PanicHookInfo<'_>) {
    let payload = info.payload();
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("panic");
    let (file, line) = info.location().map_or(("?", 0), |l| (l.file(), l.line()));
    let message = one_line(message);
    let line = format!("pidone: internal error at {file}:{line}: {message}\n");
    // std's stderr handle is a static: borrowing its descriptor needs no
    // proof that descriptors 0-2 are open, and the hook has none at hand.
    let _ = nix::unistd::write(std::io::stderr(), line.as_bytes());
    // At once: no destructor may run and panic again.
    sys::exit_now(Own::Failed.code().into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// Set in the child run only.
    const CHILD: &str = "PIDONE_PANIC_HOOK_CHILD";

    /// The hook, proven on a real panic: this test runs its own test binary
    /// again, which installs the hook and panics for real; the parent checks
    /// what the child printed and how it ended. (pidone has no input that
    /// panics, and a trigger for tests in it would be a backdoor.)
    #[test]
    fn a_panic_prints_one_line_and_exits_125_never_a_backtrace() {
        if std::env::var_os(CHILD).is_some() {
            std::panic::set_hook(Box::new(report_panic));
            let why = String::from("deliberate\npanic");
            panic!("{why}");
        }
        let me = std::env::current_exe().expect("the test binary");
        let out = Command::new(me)
            .args([
                "--exact",
                "out::console::tests::a_panic_prints_one_line_and_exits_125_never_a_backtrace",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, "1")
            .env("RUST_BACKTRACE", "full")
            .output()
            .expect("run the test binary again");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(125), "{stderr}");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "exactly one line: {stderr}");
        assert!(
            lines[0].starts_with("pidone: internal error at src/out/console.rs:"),
            "{stderr}"
        );
        // The newline in the message is escaped, as in every pidone message.
        assert!(lines[0].ends_with(": deliberate\\npanic"), "{stderr}");
    }
}
