//! --kill-after: after forwarding a terminating signal, SIGKILL the child
//! if it is still there after the given time.

use std::time::{Duration, Instant};

use crate::util::{matrix, Run};

#[test]
fn a_child_that_ignores_sigterm_is_killed_after_the_deadline() {
    let after = Duration::from_millis(300);
    for (mode, log) in matrix() {
        for run in [
            Run::new(mode, log).args(["--kill-after", "300ms"]),
            Run::new(mode, log).env("PIDONE_KILL_AFTER", "0.3"),
        ] {
            let mut init = run.testee(&["ignore-term"]).start();
            init.expect("ready");
            let sent = Instant::now();
            init.signal(libc::SIGTERM);
            let out = init.finish();
            let took = sent.elapsed();
            eprintln!("{mode:?} {log:?}: killed after {} ms", took.as_millis());
            out.assert_code(137);
            assert!(took >= after, "killed too early: {took:?}");
            let warned = out.log_lines("WARN");
            assert!(
                warned
                    .iter()
                    .any(|l| l.contains("--kill-after") && l.contains("SIGKILL")),
                "{out:#?}"
            );
        }
    }
}

#[test]
fn without_kill_after_a_child_that_ignores_sigterm_keeps_running() {
    for (mode, log) in matrix() {
        let mut init = Run::new(mode, log).testee(&["ignore-term"]).start();
        init.expect("ready");
        init.signal(libc::SIGTERM);
        // Still alive: it answers a signal it does not ignore.
        init.signal(libc::SIGINT);
        init.finish().assert_code(130);
    }
}
