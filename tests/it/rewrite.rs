//! -r FROM:TO rewrites signals before forwarding; TO of 0 drops them.

use crate::util::{matrix, Run};

#[test]
fn rewritten_signals_arrive_as_their_new_selves() {
    for (mode, log) in matrix() {
        for run in [
            Run::new(mode, log).args(["-r", "TERM:QUIT", "--rewrite", "RTMIN+1:RTMIN+2"]),
            Run::new(mode, log).env("PIDONE_REWRITE", "SIGTERM:3,35:36"),
        ] {
            let mut init = run.testee(&["ack"]).start();
            init.expect("ready");
            init.signal(libc::SIGTERM);
            init.expect("got 3");
            init.signal(35);
            init.expect("got 36");
            // Others pass unchanged.
            init.signal(libc::SIGUSR1);
            init.expect("got 10");
        }
    }
}

#[test]
fn a_rewrite_to_zero_drops_the_signal() {
    for (mode, log) in matrix() {
        let mut init = Run::new(mode, log)
            .args(["-r", "USR1:0"])
            .testee(&["ack"])
            .start();
        init.expect("ready");
        init.signal(libc::SIGUSR1);
        init.signal(libc::SIGUSR2);
        // pidone handles signals in order: had USR1 gone through, "got 10"
        // would come first.
        let next = init.line_where("the next signal", |l| l.starts_with("got "));
        assert_eq!(next, "got 12");
    }
}

#[test]
fn rewrite_to_quit_gives_131() {
    for (mode, log) in matrix() {
        let mut init = Run::new(mode, log)
            .args(["-r", "TERM:QUIT"])
            .testee(&["pause"])
            .start();
        init.expect("ready");
        init.signal(libc::SIGTERM);
        init.finish().assert_code(131);
    }
}
