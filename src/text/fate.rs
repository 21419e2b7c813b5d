//! What the main child's end means as an exit code: N for `exit(N)`, 128+S
//! for death by signal S (real-time signals too), then `-e` remaps.
//!
//! Pure: takes raw `wait` statuses, makes no syscalls. The shell and
//! `docker run` conventions are the contract here, so a user reading 137 or
//! 143 in a dashboard knows what happened without knowing pidone.

use std::fmt;

use crate::text::signame;

/// How the main child ended, decoded from a raw `wait` status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// It called `exit(code)` (or returned from `main`).
    Exited(u8),
    /// It was killed by this signal number (1–64).
    Signaled(i32),
}

impl Fate {
    /// Decodes a raw status from `waitpid` without `WUNTRACED`, so it is
    /// either an exit or a death by signal. We decode with libc's macros on
    /// the raw integer because nix cannot represent real-time deaths.
    pub fn from_raw(status: i32) -> Fate {
        if libc::WIFSIGNALED(status) {
            Fate::Signaled(libc::WTERMSIG(status))
        } else {
            // WEXITSTATUS is already masked to 0–255.
            Fate::Exited(libc::WEXITSTATUS(status) as u8)
        }
    }

    /// The code a shell would report: N, or 128+S. Signals are at most 64 on
    /// Linux, so 128+S fits a byte; anything stranger is clamped to 255
    /// rather than wrapped into a misleading small number.
    pub fn code(self) -> u8 {
        match self {
            Fate::Exited(code) => code,
            Fate::Signaled(sig) => u8::try_from(128 + sig.clamp(0, 127)).unwrap_or(255),
        }
    }
}

impl fmt::Display for Fate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Fate::Exited(code) => write!(f, "exited with code {code}"),
            Fate::Signaled(sig) => {
                write!(f, "was killed by {} ({})", signame::Name(sig), self.code())
            }
        }
    }
}

/// Codes that `-e`/`PIDONE_REMAP_EXIT` turn into 0: a fixed bit set of 256
/// entries, so a lookup can never fail or allocate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Remap([u64; 4]);

impl Remap {
    /// Adds CODE to the set of codes treated as success.
    pub fn insert(&mut self, code: u8) {
        if let Some(word) = self.0.get_mut(usize::from(code / 64)) {
            *word |= 1 << (code % 64);
        }
    }

    /// Whether CODE is treated as success.
    pub fn contains(&self, code: u8) -> bool {
        self.0
            .get(usize::from(code / 64))
            .is_some_and(|word| word & (1 << (code % 64)) != 0)
    }

    /// pidone's own exit code for the child's FATE: its code, or 0 when that
    /// code was remapped. Remaps apply to 128+S codes too, so
    /// `PIDONE_REMAP_EXIT=143` makes a SIGTERM shutdown count as success.
    pub fn exit_code(&self, fate: Fate) -> u8 {
        let code = fate.code();
        if self.contains(code) {
            0
        } else {
            code
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds the raw status the kernel reports for `exit(code)`.
    fn exited(code: i32) -> i32 {
        (code & 0xff) << 8
    }

    /// Builds the raw status for a death by SIG (without a core dump).
    fn signaled(sig: i32) -> i32 {
        sig & 0x7f
    }

    #[test]
    fn maps_raw_statuses_to_codes() {
        let table: &[(i32, Fate, u8)] = &[
            (exited(0), Fate::Exited(0), 0),
            (exited(1), Fate::Exited(1), 1),
            (exited(2), Fate::Exited(2), 2),
            (exited(32), Fate::Exited(32), 32),
            (exited(64), Fate::Exited(64), 64),
            (exited(127), Fate::Exited(127), 127),
            (exited(254), Fate::Exited(254), 254),
            (exited(255), Fate::Exited(255), 255),
            (signaled(1), Fate::Signaled(1), 129),
            (signaled(2), Fate::Signaled(2), 130),
            (signaled(3), Fate::Signaled(3), 131),
            (signaled(9), Fate::Signaled(9), 137),
            (signaled(15), Fate::Signaled(15), 143),
            (signaled(35), Fate::Signaled(35), 163),
            (signaled(64), Fate::Signaled(64), 192),
            // A core dump sets bit 7; the signal is still SIGSEGV.
            (signaled(11) | 0x80, Fate::Signaled(11), 139),
        ];
        for (raw, fate, code) in table {
            assert_eq!(Fate::from_raw(*raw), *fate, "raw {raw:#x}");
            assert_eq!(fate.code(), *code, "{fate:?}");
            assert_eq!(Remap::default().exit_code(*fate), *code);
        }
    }

    #[test]
    fn remaps_only_the_listed_codes() {
        let mut remap = Remap::default();
        for code in [0, 3, 63, 64, 143, 255] {
            remap.insert(code);
        }
        let table: &[(Fate, u8)] = &[
            (Fate::Exited(3), 0),
            (Fate::Exited(4), 4),
            (Fate::Exited(63), 0),
            (Fate::Exited(64), 0),
            (Fate::Exited(65), 65),
            (Fate::Exited(255), 0),
            (Fate::Signaled(15), 0),
            (Fate::Signaled(9), 137),
        ];
        for (fate, want) in table {
            assert_eq!(remap.exit_code(*fate), *want, "{fate:?}");
        }
    }

    #[test]
    fn describes_fates_for_logs() {
        assert_eq!(Fate::Exited(3).to_string(), "exited with code 3");
        assert_eq!(
            Fate::Signaled(15).to_string(),
            "was killed by SIGTERM (143)"
        );
        assert_eq!(
            Fate::Signaled(35).to_string(),
            "was killed by SIGRTMIN+1 (163)"
        );
    }
}
