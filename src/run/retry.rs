//! Trying a failing step again: a back-off that grows from a few
//! milliseconds to a second and stays there, and a log that says so once.
//!
//! For the steps the event loop cannot do without (reading signals,
//! reaping): giving up would leave an exited child unreaped and pidone
//! blocked for good, and trying again at once would spin at full CPU with
//! a log line per try.

use std::io;
use std::time::Duration;

use log::warn;

/// The first wait after a failure; each further failure doubles it.
const FIRST: Duration = Duration::from_millis(10);

/// The longest wait between tries.
const LONGEST: Duration = Duration::from_secs(1);

/// One step's failures since it last worked.
#[derive(Debug)]
pub struct Retry {
    /// What the step does, for the log: "reap exited children".
    what: &'static str,
    /// Failures in a row.
    failures: u32,
}

impl Retry {
    /// A step that has not failed yet.
    pub fn new(what: &'static str) -> Retry {
        Retry { what, failures: 0 }
    }

    /// Records a failure with ERR; returns how long to wait before the
    /// next try. Only the first failure in a row is logged.
    pub fn failed(&mut self, err: &io::Error) -> Duration {
        if self.failures == 0 {
            warn!(
                "failed to {}: {err}; trying again, with a back-off, until it works",
                self.what
            );
        }
        self.failures = self.failures.saturating_add(1);
        back_off(self.failures)
    }

    /// Records that the step worked.
    pub fn succeeded(&mut self) {
        self.failures = 0;
    }
}

/// The wait after FAILURES failures in a row.
fn back_off(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(10);
    FIRST.saturating_mul(1 << doublings).min(LONGEST)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_back_off_doubles_up_to_a_second() {
        let ms = Duration::from_millis;
        let table = [
            (1, ms(10)),
            (2, ms(20)),
            (3, ms(40)),
            (7, ms(640)),
            (8, ms(1000)),
            (u32::MAX, ms(1000)),
        ];
        for (failures, want) in table {
            assert_eq!(back_off(failures), want, "{failures}");
        }
    }
}
