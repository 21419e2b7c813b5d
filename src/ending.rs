//! How pidone's run ended, and the exit code that follows from it: the one
//! place where an ending becomes pidone's exit code. The termination log
//! and the report describe an [`Ending`]; neither computes a code.

use crate::exit_status::Fate;
use crate::oom::Limit;

/// How pidone's run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// The main child ended; OOM holds the limit when the OOM killer did it.
    Child {
        fate: Fate,
        oom: Option<Limit>,
        code: u8,
    },
    /// `--pause` ended by this signal.
    Paused { signo: i32 },
    /// The program never ran: MESSAGE says why, CODE is pidone's exit code.
    NotStarted { message: String, code: u8 },
}

impl Ending {
    /// pidone's exit code for this ending: the child's (remapped) code,
    /// 0 for a pause ended by TERM or INT, or the code of the failure that
    /// kept the program from starting.
    pub fn exit_code(&self) -> u8 {
        match *self {
            Ending::Child { code, .. } | Ending::NotStarted { code, .. } => code,
            Ending::Paused { .. } => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_come_from_the_ending() {
        let table: &[(Ending, u8)] = &[
            (
                Ending::Child {
                    fate: Fate::Exited(3),
                    oom: None,
                    code: 3,
                },
                3,
            ),
            (
                Ending::Child {
                    fate: Fate::Signaled(15),
                    oom: None,
                    code: 0,
                },
                0,
            ),
            (Ending::Paused { signo: 15 }, 0),
            (
                Ending::NotStarted {
                    message: "x".into(),
                    code: 127,
                },
                127,
            ),
        ];
        for (ending, code) in table {
            assert_eq!(ending.exit_code(), *code, "{ending:?}");
        }
    }
}
