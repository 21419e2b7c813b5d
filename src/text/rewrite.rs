//! `-r FROM:TO`: which signal pidone forwards for each signal it receives.
//!
//! Pure: a fixed table of 65 entries, so a lookup in the event loop can
//! never fail or allocate. TO = 0 means "drop it".

use crate::text::signame;

/// For each received signal 1–64, the signal to forward (0: none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rewrite([u8; 65]);

impl Default for Rewrite {
    /// Every signal forwarded as itself.
    fn default() -> Self {
        let mut table = [0u8; 65];
        for (signo, slot) in table.iter_mut().enumerate() {
            // 0..=64 fits a byte.
            *slot = signo as u8;
        }
        Rewrite(table)
    }
}

impl Rewrite {
    /// Adds one `FROM:TO` pair (names or numbers; TO may be 0). Returns a
    /// message naming what is wrong with a bad pair.
    pub fn add(&mut self, pair: &str) -> Result<(), String> {
        let bad = |why: &str| format!("invalid rewrite '{pair}': {why}");
        let (from, to) = pair
            .split_once(':')
            .ok_or_else(|| bad("expected FROM:TO, like TERM:QUIT or USR1:0"))?;
        if to.contains(':') {
            return Err(bad("expected exactly one ':'"));
        }
        let from = signame::parse(from).ok_or_else(|| bad(&format!("unknown signal '{from}'")))?;
        let to = if to == "0" {
            0
        } else {
            signame::parse(to).ok_or_else(|| bad(&format!("unknown signal '{to}'")))?
        };
        self.set(from, to).map_err(|why| bad(&why))
    }

    /// Forwards FROM (1-64, not KILL, STOP or CHLD) as TO (1-64, or 0 to
    /// drop it). Returns why not when either is out of place.
    pub fn set(&mut self, from: i32, to: i32) -> Result<(), String> {
        match from {
            libc::SIGKILL | libc::SIGSTOP => {
                return Err("SIGKILL and SIGSTOP never reach pidone".into())
            }
            libc::SIGCHLD => return Err("pidone needs SIGCHLD to reap".into()),
            from if !signame::is_signal(from) => {
                return Err(format!("{from} is no signal (expected 1-64)"))
            }
            _ => {}
        }
        if to != 0 && !signame::is_signal(to) {
            return Err(format!("{to} is no signal (expected 1-64, or 0 to drop)"));
        }
        // Both are within 0..=64 here, so the slot exists and TO fits a byte.
        if let (Some(slot), Ok(to)) = (self.0.get_mut(from as usize), u8::try_from(to)) {
            *slot = to;
        }
        Ok(())
    }

    /// The signal to forward for received SIGNO, or `None` to drop it.
    pub fn apply(&self, signo: i32) -> Option<i32> {
        let to = usize::try_from(signo)
            .ok()
            .and_then(|i| self.0.get(i))
            .map_or(signo, |&to| i32::from(to));
        (to != 0).then_some(to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_and_drops() {
        let mut r = Rewrite::default();
        for pair in ["TERM:QUIT", "usr1:0", "SIGHUP:RTMIN+1", "40:SIGKILL"] {
            r.add(pair).unwrap();
        }
        let table: &[(i32, Option<i32>)] = &[
            (15, Some(3)),
            (10, None),
            (1, Some(35)),
            (40, Some(9)),
            (2, Some(2)),
            (64, Some(64)),
        ];
        for (signo, want) in table {
            assert_eq!(r.apply(*signo), *want, "{signo}");
        }
        assert_eq!(Rewrite::default().apply(33), Some(33));
    }

    #[test]
    fn numbers_out_of_place_are_refused() {
        let mut r = Rewrite::default();
        assert_eq!(r.set(15, 3), Ok(()));
        assert_eq!(r.set(10, 0), Ok(()));
        assert_eq!(r.apply(15), Some(3));
        assert_eq!(r.apply(10), None);
        for (from, to) in [
            (0, 1),
            (65, 1),
            (-1, 1),
            (9, 1),
            (19, 1),
            (17, 1),
            (1, 65),
            (1, -2),
        ] {
            assert!(r.set(from, to).is_err(), "{from}:{to}");
        }
    }

    #[test]
    fn bad_pairs_name_the_problem() {
        let table: &[(&str, &str)] = &[
            ("TERM", "expected FROM:TO"),
            ("TERM:", "unknown signal ''"),
            (":TERM", "unknown signal ''"),
            ("TERM:QUIT:HUP", "exactly one ':'"),
            ("NOSUCH:TERM", "unknown signal 'NOSUCH'"),
            ("TERM:65", "unknown signal '65'"),
            ("0:TERM", "unknown signal '0'"),
            ("KILL:TERM", "never reach pidone"),
            ("CHLD:TERM", "needs SIGCHLD"),
        ];
        for (pair, want) in table {
            let err = Rewrite::default().add(pair).unwrap_err();
            assert!(err.contains(want) && err.contains(pair), "{pair}: {err}");
        }
    }
}
