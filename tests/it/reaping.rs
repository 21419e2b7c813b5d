//! Orphans re-parented to pidone are reaped while the main child keeps
//! running, as PID 1 and as a subreaper; `-w` logs each in tini's words.

use crate::util::{self, matrix, with_embedded, Log, Mode, Run};

#[test]
fn a_thousand_orphans_are_all_reaped_while_the_child_runs() {
    for (mode, log) in with_embedded() {
        let mut init = Run::new(mode, log).testee(&["orphans", "1000"]).start();
        init.expect("orphans done");
        let pidone = init.pid();
        util::poll(&format!("{mode:?} {log:?}"), "every orphan reaped", || {
            (util::descendants(pidone).len() == 1 && util::zombies_of(pidone).is_empty())
                .then_some(())
        });
        // The main child is still there, alive.
        let alive: Vec<_> = util::children(pidone)
            .into_iter()
            .filter(|&p| util::stat(p).is_some_and(|s| s.state != 'Z'))
            .collect();
        assert_eq!(alive.len(), 1, "the main child must still run: {alive:?}");
        init.signal(libc::SIGTERM);
        let out = init.finish();
        out.assert_code(143);
        if log == Log::Debug {
            // Proof that pidone itself reaped them (not some other init).
            let reaped = out.reaped_orphans();
            assert_eq!(reaped, 1000, "{}", out.stderr);
        }
    }
}

#[test]
fn warn_on_reap_logs_every_orphan() {
    for (mode, log) in matrix() {
        for run in [
            Run::new(mode, log).args(["-w"]),
            Run::new(mode, log).env("PIDONE_WARN_ON_REAP", "1"),
        ] {
            let mut init = run.testee(&["orphans", "5"]).start();
            init.expect("orphans done");
            let pidone = init.pid();
            // Until every orphan has exited and been reaped: only the main
            // child is left under pidone. ("No zombie" alone can hold while
            // the orphans still run.)
            util::poll("-w", "only the main child left", || {
                (util::descendants(pidone).len() == 1).then_some(())
            });
            init.signal(libc::SIGTERM);
            let out = init.finish();
            out.assert_code(143);
            let warned = out
                .log_lines("WARN")
                .iter()
                .filter(|l| l.contains("] Reaped zombie process with pid="))
                .count();
            assert_eq!(warned, 5, "{out:#?}");
        }
    }
}

/// Regression (drop-in with tini): a supervisor that set
/// `PR_SET_CHILD_SUBREAPER` and then exec'd pidone (the bit survives exec)
/// got the "zombie reaping won't work" warning, which suites written for
/// tini treat as a failure. pidone is a subreaper there: it must stay
/// silent, and orphans must be reaped by it.
#[test]
fn regression_already_a_subreaper_is_silent_and_reaps() {
    let mut init = Run::new(Mode::Plain, Log::Default)
        .wrap("subreaper", &[])
        .testee(&["orphans", "20"])
        .start();
    init.expect("orphans done");
    let pidone = init.pid();
    util::poll("already a subreaper", "every orphan reaped", || {
        (util::descendants(pidone).len() == 1 && util::zombies_of(pidone).is_empty()).then_some(())
    });
    init.signal(libc::SIGTERM);
    let out = init.finish();
    out.assert_code(143);
    assert_eq!(out.stderr, "", "pidone must print nothing: {out:#?}");
    // Without the bit (and without -s), the warning is still there.
    let out = Run::new(Mode::Plain, Log::Default)
        .testee(&["exit", "0"])
        .output();
    out.assert_code(0);
    assert!(out.stderr.contains("zombie reaping won't work"), "{out:#?}");
}
