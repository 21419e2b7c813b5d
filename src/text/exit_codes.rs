//! THE exit-code table: every code pidone makes of its own, with the
//! situation that makes it and what it means, declared once.
//!
//! The ending of a run (`run::ending`) and pidone's failures (`error`)
//! compute their codes from it; `--help` lists it and `--explain` quotes
//! it; a test holds the README's "Exit codes" table to it. The child's own
//! codes (N, 128+S) are not in it: they are the child's, passed through
//! (`text::fate`).
//!
//! Data only.

/// A situation in which pidone exits with a code of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Own {
    /// `--pause` ended by SIGTERM or SIGINT, or an answer was printed.
    Done,
    /// The command line or the environment was malformed.
    Usage,
    /// pidone itself failed before the child ran.
    Failed,
    /// PROGRAM was found but cannot be executed.
    NotExecutable,
    /// PROGRAM was not found.
    NotFound,
}

/// One row of the table.
#[derive(Debug)]
pub struct Rule {
    /// The code pidone exits with.
    pub code: u8,
    /// The situation, as `--help` and the README's table say it.
    pub situation: &'static str,
    /// What the code means, as `--explain` says it.
    pub meaning: &'static str,
}

/// Every code of pidone's own, in the README's order. These follow the
/// shell and `docker run` (125 the runtime, 126/127 the program), so a
/// failure of pidone never looks like a failure of the app.
pub static RULES: [Rule; 5] = [
    Rule {
        code: 127,
        situation: "PROGRAM not found",
        meaning: "the program was not found",
    },
    Rule {
        code: 126,
        situation: "PROGRAM found but not executable (permission, a directory, wrong format)",
        meaning: "the program was found but could not be executed",
    },
    Rule {
        code: 2,
        situation: "usage error (unknown option, missing program, bad value, unknown user)",
        meaning: "usage error: a bad option or environment value",
    },
    Rule {
        code: 125,
        situation: "pidone itself failed before the child ran (fork, --user, --workdir…)",
        meaning: "pidone (or the container runtime) failed before the program ran",
    },
    Rule {
        code: 0,
        situation: "--pause ended by SIGTERM/SIGINT, --help, --version, --explain",
        meaning: "success",
    },
];

impl Own {
    /// This situation's row of [`RULES`].
    pub fn rule(self) -> &'static Rule {
        let [not_found, not_executable, usage, failed, done] = &RULES;
        match self {
            Own::NotFound => not_found,
            Own::NotExecutable => not_executable,
            Own::Usage => usage,
            Own::Failed => failed,
            Own::Done => done,
        }
    }

    /// The code pidone exits with in this situation.
    pub fn code(self) -> u8 {
        self.rule().code
    }
}

/// The row whose code is CODE, if pidone makes that code itself.
pub fn rule_for(code: u8) -> Option<&'static Rule> {
    RULES.iter().find(|rule| rule.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_situation_is_its_own_row_with_a_code_of_its_own() {
        let all = [
            Own::Done,
            Own::Usage,
            Own::Failed,
            Own::NotExecutable,
            Own::NotFound,
        ];
        for (i, own) in all.iter().enumerate() {
            let rule = own.rule();
            assert!(RULES.iter().any(|r| std::ptr::eq(r, rule)), "{own:?}");
            assert!(std::ptr::eq(rule_for(rule.code).unwrap(), rule), "{own:?}");
            for other in &all[i + 1..] {
                assert!(!std::ptr::eq(other.rule(), rule), "{own:?} {other:?}");
            }
        }
        let mut codes: Vec<u8> = RULES.iter().map(|r| r.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes, [0, 2, 125, 126, 127]);
    }
}
