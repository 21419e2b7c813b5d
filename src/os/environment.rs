//! pidone's own view of its environment, read once at start-up.
//!
//! One pass over `environ` keeps the few variables pidone reads (its own
//! `PIDONE_*`, tini's `TINI_*`, `LISTEN_PID`, and whether `HOME` and `USER`
//! are set); every later question is a look-up in that short list, rather
//! than a scan and a copy of the whole environment per variable.
//!
//! Read-only: pidone never changes its environment (the child inherits it
//! untouched, see `spawn`).

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

use crate::os::sys;
use crate::text::cli;

/// The variables pidone reads, as found at start-up.
#[derive(Debug, Default)]
pub struct Environment {
    /// (name, value) of every `PIDONE_*`, `TINI_*` and `LISTEN_PID` entry,
    /// first occurrence first (as `getenv` answers).
    vars: Vec<(&'static [u8], &'static [u8])>,
    /// Whether `HOME` / `USER` are set at all (`--user` keeps them then).
    pub has_home: bool,
    pub has_user: bool,
}

impl Environment {
    /// Reads the process's environment once.
    pub fn read() -> Environment {
        Environment::from_entries(sys::environ().map(|entry| entry.to_bytes()))
    }

    /// Keeps what pidone reads from ENTRIES (`NAME=VALUE` byte strings).
    pub fn from_entries(entries: impl Iterator<Item = &'static [u8]>) -> Environment {
        let mut env = Environment::default();
        for entry in entries {
            let Some(eq) = entry.iter().position(|&b| b == b'=') else {
                continue;
            };
            let (name, value) = entry.split_at(eq);
            let value = value.get(1..).unwrap_or_default();
            match name {
                b"HOME" => env.has_home = true,
                b"USER" => env.has_user = true,
                b"LISTEN_PID" => env.vars.push((name, value)),
                _ if name.starts_with(b"PIDONE_") || name.starts_with(b"TINI_") => {
                    env.vars.push((name, value))
                }
                _ => {}
            }
        }
        env
    }

    /// The value of NAME, if set; the first entry wins, as with `getenv`.
    pub fn get(&self, name: &str) -> Option<&'static OsStr> {
        self.vars
            .iter()
            .find(|(n, _)| *n == name.as_bytes())
            .map(|(_, v)| OsStr::from_bytes(v))
    }

    /// NAME's value as an owned string, the shape `cli::parse` asks for.
    pub fn lookup(&self, name: &str) -> Option<OsString> {
        self.get(name).map(OsStr::to_owned)
    }
}

/// What `cli::parse` reads. Having kept the few candidates already, the
/// environment can say at once that none of pidone's variables is set, so
/// the parser skips its walk over every option's variables.
impl cli::Lookup for &Environment {
    fn var(&self, name: &str) -> Option<OsString> {
        self.lookup(name)
    }

    fn none_set(&self) -> bool {
        // LISTEN_PID is kept for the child, not for the parser.
        self.vars.iter().all(|(name, _)| *name == b"LISTEN_PID")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_what_pidone_reads_and_the_first_of_duplicates() {
        let entries: &[&'static [u8]] = &[
            b"PATH=/bin",
            b"PIDONE_GRACE=5s",
            b"TINI_SUBREAPER=",
            b"PIDONE_GRACE=9s",
            b"NOEQUALS",
            b"LISTEN_PID=7",
            b"HOME=/root",
            b"RUST_LOG=debug",
        ];
        let env = Environment::from_entries(entries.iter().copied());
        assert_eq!(env.lookup("PIDONE_GRACE"), Some("5s".into()));
        assert_eq!(env.lookup("TINI_SUBREAPER"), Some("".into()));
        assert_eq!(env.lookup("LISTEN_PID"), Some("7".into()));
        assert_eq!(env.lookup("PATH"), None);
        assert_eq!(env.lookup("RUST_LOG"), None);
        assert!(env.has_home && !env.has_user);
    }

    #[test]
    fn says_none_is_set_only_when_no_pidone_or_tini_variable_is() {
        use crate::text::cli::Lookup;
        let table: &[(&[&'static [u8]], bool)] = &[
            (&[], true),
            (&[b"PATH=/bin", b"HOME=/root"], true),
            (&[b"LISTEN_PID=7", b"LISTEN_FDS=1"], true),
            (&[b"PIDONE_GRACE="], false),
            (&[b"TINI_SUBREAPER="], false),
            (&[b"LISTEN_PID=7", b"PIDONE_NOT_AN_OPTION=1"], false),
        ];
        for (entries, none) in table {
            let env = Environment::from_entries(entries.iter().copied());
            assert_eq!((&env).none_set(), *none, "{entries:?}");
        }
    }
}
