//! pidone's own view of its environment, read once at start-up.
//!
//! One pass over `environ` keeps the few variables pidone reads (its own
//! `PIDONE_*`, tini's `TINI_*`, `LISTEN_PID`, and whether `HOME` and `USER`
//! are set); every later question is a look-up in that short list. Before,
//! each of some fourteen `std::env::var_os` calls scanned the whole
//! environment again and copied its answer (6,700 instructions of a
//! 54,500-instruction start).
//!
//! Read-only: pidone never changes its environment (the child inherits it
//! untouched, see `spawn`).

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

use crate::sys;

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
}
