//! An idle pidone makes no wake-ups at all: it blocks in one `read` on its
//! signalfd (tini wakes once a second). Measured as the voluntary context
//! switches of pidone over a 2-second window while the child sleeps (and
//! with --pause, while there is no child at all).

use std::thread;
use std::time::Duration;

use crate::util::{self, matrix, Run};

#[test]
fn idle_pidone_never_wakes_up() {
    // Start all four together so the one measurement window covers them.
    let mut inits: Vec<_> = matrix()
        .map(|(mode, log)| {
            (
                mode,
                log,
                false,
                Run::new(mode, log).testee(&["pause"]).start(),
            )
        })
        .collect();
    // And --pause, which has no child at all.
    inits.extend(matrix().map(|(mode, log)| {
        (
            mode,
            log,
            true,
            Run::new(mode, log).args(["--pause"]).start(),
        )
    }));
    let mut before = vec![];
    for (mode, log, pause, init) in &mut inits {
        if !*pause {
            init.expect("ready");
        }
        let pid = init.pid();
        // "ready" comes from the child, so pidone has spawned it; wait until
        // pidone itself is asleep in its read.
        util::wait_asleep(&format!("{mode:?} {log:?}"), pid);
        before.push((pid, util::status_number(pid, "voluntary_ctxt_switches")));
    }
    // The measurement window itself, not a wait for something to happen.
    thread::sleep(Duration::from_secs(2));
    for ((mode, log, pause, _), (pid, count)) in inits.iter().zip(before) {
        let after = util::status_number(pid, "voluntary_ctxt_switches");
        assert_eq!(
            after, count,
            "{mode:?} {log:?} pause={pause}: pidone woke up while idle"
        );
    }
}
