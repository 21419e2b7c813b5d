//! One option's value, from a flag or a variable, read as its kind, and the
//! one shape of every bad-value message:
//! `invalid KIND 'VALUE' for WHAT (EXPECTED)`, where WHAT is `--grace` or
//! `PIDONE_GRACE`, whichever the value came from.
//!
//! Pure: no syscalls, no environment. It never decides *whether* a value is
//! read (that is `parse` and `env`), only what it means.

use std::ffi::{OsStr, OsString};
use std::time::Duration;

use log::LevelFilter;

use super::options::{Kind, Row};
use crate::error::UsageError;
use crate::text::rewrite::Rewrite;
use crate::text::{duration, number, signame};

/// A value for ROW's option: from its flag (VAR is `None`; empty for a
/// switch) or from variable VAR.
#[derive(Clone, Copy)]
pub struct Value<'a> {
    pub row: Row,
    pub var: Option<&'static str>,
    pub raw: &'a OsStr,
}

impl<'a> Value<'a> {
    /// Where the value came from, as messages name it.
    fn what(&self) -> String {
        match self.var {
            Some(var) => var.to_owned(),
            None => format!("--{}", self.row.long),
        }
    }

    /// `invalid KIND 'TEXT' for WHAT (EXPECTED)`.
    pub fn invalid(&self, kind: &str, text: &str, expected: &str) -> UsageError {
        UsageError(format!(
            "invalid {kind} '{text}' for {} ({expected})",
            self.what()
        ))
    }

    /// The value as UTF-8.
    pub fn text(&self) -> Result<&'a str, UsageError> {
        self.raw
            .to_str()
            .ok_or_else(|| self.invalid("value", &self.raw.to_string_lossy(), "not valid UTF-8"))
    }

    /// The items of a repeatable option: a flag gives one, a variable a
    /// comma-separated list (spaces around items allowed).
    pub fn items(&self) -> Result<Vec<&'a str>, UsageError> {
        let text = self.text()?;
        Ok(match self.var {
            Some(_) => text.split(',').map(str::trim).collect(),
            None => vec![text],
        })
    }

    /// A switch: a flag turns it on; `PIDONE_*` says 1 or 0 (true/false,
    /// yes/no, on/off); tini's variables turn it on by being set at all.
    pub fn switch(&self) -> Result<bool, UsageError> {
        match self.var {
            None => Ok(true),
            Some(var) if var.starts_with("TINI_") => Ok(true),
            Some(_) => {
                let text = self.text()?;
                match text.to_ascii_lowercase().as_str() {
                    "1" | "true" | "yes" | "on" => Ok(true),
                    "0" | "false" | "no" | "off" => Ok(false),
                    _ => Err(self.invalid("value", text, "expected 1 or 0")),
                }
            }
        }
    }

    /// A signal by name or number (1–64).
    pub fn signal(&self) -> Result<i32, UsageError> {
        let text = self.text()?;
        signame::parse(text).ok_or_else(|| {
            self.invalid(
                "signal",
                text,
                "expected a name like TERM or RTMIN+1, or 1-64",
            )
        })
    }

    /// ITEM (this value or one item of it) as an exit code 0–255.
    pub fn code(&self, item: &str) -> Result<u8, UsageError> {
        let digits =
            !item.is_empty() && item.len() <= 3 && item.bytes().all(|b| b.is_ascii_digit());
        digits
            .then(|| number::parse::<u8>(item))
            .flatten()
            .ok_or_else(|| self.invalid("exit code", item, "expected 0-255"))
    }

    /// A duration: `500ms`, `2s`, `1m`, or seconds; at most 366 days.
    pub fn duration(&self) -> Result<Duration, UsageError> {
        let text = self.text()?;
        duration::parse(text).ok_or_else(|| {
            self.invalid(
                "duration",
                text,
                "expected e.g. 500ms, 2s, 1m or a number of seconds",
            )
        })
    }

    /// Adds this value's `FROM:TO` pairs to REWRITE.
    pub fn rewrite(&self, rewrite: &mut Rewrite) -> Result<(), UsageError> {
        for pair in self.items()? {
            rewrite.add(pair).map_err(|e| match self.var {
                Some(var) => UsageError(format!("{e} in {var}")),
                None => UsageError(e),
            })?;
        }
        Ok(())
    }

    /// A path, a directory or a user: any bytes (a user: UTF-8), never
    /// empty. (An empty variable never gets here: empty means unset.)
    pub fn non_empty(&self) -> Result<OsString, UsageError> {
        if self.row.kind == Kind::User {
            self.text()?;
        }
        if self.raw.is_empty() {
            let noun = match self.row.kind {
                Kind::User => "a user",
                Kind::Dir => "a directory",
                _ => "a path",
            };
            return Err(UsageError(format!(
                "option '--{}' needs {noun}",
                self.row.long
            )));
        }
        Ok(self.raw.to_owned())
    }

    /// `TINI_VERBOSITY` on tini's scale: 0 errors only, 1 warnings (its
    /// default), 2 info, 3 debug, more is trace.
    pub fn tini_verbosity(&self) -> Result<LevelFilter, UsageError> {
        let text = self.text()?;
        match number::parse::<u32>(text) {
            Some(0) => Ok(LevelFilter::Error),
            Some(1) => Ok(LevelFilter::Warn),
            Some(2) => Ok(LevelFilter::Info),
            Some(3) => Ok(LevelFilter::Debug),
            Some(_) => Ok(LevelFilter::Trace),
            None => Err(self.invalid("value", text, "expected 0-3")),
        }
    }

    /// `PIDONE_LOG`, checked more strictly than env_logger would: alone it
    /// takes `chatty` as a module name and logs nothing, so a typo would
    /// silence pidone instead of being an error. Comma-separated
    /// directives, each a bare level or `TARGET=LEVEL` with TARGET a Rust
    /// module path; no `/regex` suffix. Returns the text as given.
    pub fn log_filters(&self) -> Result<String, UsageError> {
        let text = self.text()?;
        if text.split(',').all(directive_ok) {
            Ok(text.to_owned())
        } else {
            Err(self.invalid(
                "value",
                text,
                "expected a level such as warn or debug, or TARGET=LEVEL,...",
            ))
        }
    }
}

/// One `PIDONE_LOG` directive: `LEVEL` or `TARGET=LEVEL` (spaces around
/// either allowed, as env_logger trims them).
pub fn directive_ok(directive: &str) -> bool {
    let is_level = |s: &str| {
        ["off", "error", "warn", "info", "debug", "trace"]
            .iter()
            .any(|level| s.trim().eq_ignore_ascii_case(level))
    };
    match directive.split_once('=') {
        None => is_level(directive),
        Some((target, level)) => {
            let target = target.trim();
            !target.is_empty()
                && target
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':')
                && is_level(level)
        }
    }
}
