//! The panic hook, proven on a real panic: one line on stderr, exit 125,
//! never a backtrace, even with `RUST_BACKTRACE=full`.
//!
//! The shipped binary has no input that panics (that is the point of the
//! clippy deny list in `lib.rs`), and a test-only trigger in it would be a
//! backdoor. So this test runs the integration-test binary itself again as a child
//! process, which installs the same hook `main` installs (`pidone::report_panic`)
//! and then panics for real; the parent checks what the child printed and
//! how it ended. What it does not cover: that `main` installs the hook
//! first thing, which is one line there to read.

use std::process::Command;

/// Set in the child run only.
const CHILD: &str = "PIDONE_PANIC_HOOK_CHILD";

#[test]
fn a_panic_prints_one_line_and_exits_125_never_a_backtrace() {
    if std::env::var_os(CHILD).is_some() {
        std::panic::set_hook(Box::new(pidone::report_panic));
        let why = String::from("deliberate\npanic");
        panic!("{why}");
    }
    let me = std::env::current_exe().expect("the test binary");
    let out = Command::new(me)
        .args([
            "--exact",
            "panic_hook::a_panic_prints_one_line_and_exits_125_never_a_backtrace",
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
        lines[0].starts_with("pidone: internal error at tests/it/panic_hook.rs:"),
        "{stderr}"
    );
    // The newline in the message is escaped, as in every pidone message.
    assert!(lines[0].ends_with(": deliberate\\npanic"), "{stderr}");
}
