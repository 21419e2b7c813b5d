//! The child starts with exactly the signal mask and ignored set pidone was
//! given, not pidone's own everything-blocked mask. Read by the child itself
//! from /proc/self/status, with no shell in between (a shell would clear
//! its mask and hide the bug). The start state is set with raw syscalls
//! right before pidone's exec (`testee with-signals`): glibc programs such as
//! unshare quietly unblock signals 32 and 33 in what they pass on.

use crate::util::{matrix, with_embedded, Run};

/// The mask as /proc shows it: 16 hex digits.
fn hex(mask: u64) -> String {
    format!("{mask:016x}")
}

/// A mask with the bits for SIGNALS set.
fn mask(signals: &[i32]) -> u64 {
    signals.iter().fold(0, |m, s| m | 1 << (s - 1))
}

#[test]
fn the_child_gets_the_mask_and_ignores_pidone_was_given() {
    // USR1, 33 (hidden by libc) and RTMIN+2 blocked; USR2, PIPE and 32 ignored.
    let blocked = mask(&[libc::SIGUSR1, 33, 36]);
    let ignored = mask(&[libc::SIGUSR2, libc::SIGPIPE, 32]);
    for (mode, log) in with_embedded() {
        let mut init = Run::new(mode, log)
            .start_signals(blocked, ignored)
            .testee(&["status"])
            .start();
        init.expect(&format!("SigBlk:\t{}", hex(blocked)));
        init.expect(&format!("SigIgn:\t{}", hex(ignored)));
        init.finish().assert_code(0);
    }
}

#[test]
fn a_clean_start_gives_a_clean_child() {
    for (mode, log) in matrix() {
        let mut init = Run::new(mode, log)
            .start_signals(0, 0)
            .testee(&["status"])
            .start();
        init.expect(&format!("SigBlk:\t{}", hex(0)));
        init.expect(&format!("SigIgn:\t{}", hex(0)));
        init.finish().assert_code(0);
    }
}
