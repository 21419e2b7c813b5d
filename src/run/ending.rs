//! How pidone's run ended, and the exit code that follows from it: the one
//! place where an ending becomes pidone's exit code, computed from the
//! child's fate and `-e`, or from the exit-code table. The termination log
//! and the report describe an [`Ending`]; neither computes a code.

use crate::os::oom::Limit;
use crate::text::exit_codes::Own;
use crate::text::fate::{Fate, Remap};

/// How pidone's run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// The main child ended as FATE; OOM holds the limit when the OOM
    /// killer did it; REMAP is `-e`.
    Child {
        fate: Fate,
        oom: Option<Limit>,
        remap: Remap,
    },
    /// `--pause` ended by this signal.
    Paused { signo: i32 },
    /// The program never ran: MESSAGE says why, in SITUATION.
    NotStarted { message: String, situation: Own },
}

impl Ending {
    /// pidone's exit code for this ending: the child's code (0 when `-e`
    /// remaps it), or the table's code for a pause or a failure to start.
    pub fn exit_code(&self) -> u8 {
        match self {
            Ending::Child { fate, remap, .. } => remap.exit_code(*fate),
            Ending::Paused { .. } => Own::Done.code(),
            Ending::NotStarted { situation, .. } => situation.code(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_come_from_the_ending() {
        let mut remap = Remap::default();
        remap.insert(143);
        let child = |fate, remap| Ending::Child {
            fate,
            oom: None,
            remap,
        };
        let table: &[(Ending, u8)] = &[
            (child(Fate::Exited(3), Remap::default()), 3),
            (child(Fate::Signaled(15), Remap::default()), 143),
            (child(Fate::Signaled(15), remap), 0),
            (child(Fate::Signaled(9), remap), 137),
            (Ending::Paused { signo: 15 }, 0),
            (
                Ending::NotStarted {
                    message: "x".into(),
                    situation: Own::NotFound,
                },
                127,
            ),
        ];
        for (ending, code) in table {
            assert_eq!(ending.exit_code(), *code, "{ending:?}");
        }
    }
}
