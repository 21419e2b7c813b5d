//! A step the event loop cannot do without is tried again when it fails,
//! with a back-off and one log line, never given up and never spun on:
//! a reaping pass whose `waitpid` fails (a restrictive seccomp profile, a
//! future kernel), and a read of the signalfd that keeps failing. The
//! failures are injected with strace (`-e inject=`), into pidone alone.
//!
//! Without the retry, a failed reaping pass sends pidone back to its
//! blocking read after the child's SIGCHLD was consumed: the exited child
//! stays a zombie and pidone never exits.

use std::time::{Duration, Instant};

use crate::util::{self, Log, Mode, Run};

/// strace, or None after the loud skip (a failure under `CI=true`).
fn strace() -> Option<()> {
    if util::command_exists("strace") {
        return Some(());
    }
    util::skip(
        "the retry tests",
        "they inject failures with strace",
        "apt-get install strace (or run .ci/run)",
    );
    None
}

/// `strace -f` with INJECT, its own output to a file of the run's, in
/// front of pidone: it follows pidone's child too, which makes none of
/// the calls injected.
fn under_strace(run: Run, trace: &std::path::Path, inject: &[&str]) -> Run {
    let mut args = vec!["-f", "-qq", "-o", trace.to_str().unwrap()];
    args.extend(inject);
    run.under("strace", &args)
}

#[test]
fn a_reaping_pass_that_fails_is_tried_again_and_the_childs_exit_is_not_lost() {
    let Some(()) = strace() else {
        return;
    };
    {
        for log in [Log::Default, Log::Debug] {
            let trace = std::env::temp_dir().join(util::unique("wait4.trace"));
            // The first five wait4 calls fail; the reaping pass after
            // SIGCHLD is the first.
            let run = Run::new(Mode::Subreaper, log);
            let run = under_strace(
                run,
                &trace,
                &[
                    "-e",
                    "trace=wait4",
                    "-e",
                    "inject=wait4:error=EIO:when=1..5",
                ],
            );
            let started = Instant::now();
            // pidone exits only once it has reaped its child.
            let out = run.testee(&["exit", "3"]).output();
            let injected = std::fs::read_to_string(&trace).unwrap_or_default();
            let _ = std::fs::remove_file(&trace);
            out.assert_code(3);
            assert_eq!(injected.matches("(INJECTED)").count(), 5, "{injected}");
            let warnings: Vec<&str> = out.log_lines("WARN");
            let failed = warnings
                .iter()
                .filter(|l| l.contains("failed to reap"))
                .count();
            assert_eq!(failed, 1, "one line for the failures: {out:#?}");
            assert!(started.elapsed() < Duration::from_secs(5), "{out:#?}");
        }
    }
}

#[test]
fn a_signalfd_read_that_keeps_failing_backs_off_and_the_child_is_still_reaped() {
    let Some(()) = strace() else {
        return;
    };
    {
        let trace = std::env::temp_dir().join(util::unique("read.trace"));
        // Every read of the signalfd fails while the child sleeps 1.5 s.
        let run = Run::new(Mode::Subreaper, Log::Default);
        let run = under_strace(
            run,
            &trace,
            &[
                "-P",
                "anon_inode:[signalfd]",
                "-e",
                "trace=read",
                "-e",
                "inject=read:error=EIO",
            ],
        );
        let out = run.testee(&["sleep", "1.5"]).output();
        let injected = std::fs::read_to_string(&trace).unwrap_or_default();
        let _ = std::fs::remove_file(&trace);
        out.assert_code(0);
        let tries = injected.matches("(INJECTED)").count();
        // A back-off from 10 ms doubling to 1 s makes a handful of tries in
        // 1.5 s; spinning would make them by the hundred thousand.
        assert!((1..=12).contains(&tries), "{tries} tries: {injected}");
        let failed = out.stderr.matches("failed to read signals").count();
        assert_eq!(failed, 1, "one line for the failures: {out:#?}");
    }
}
