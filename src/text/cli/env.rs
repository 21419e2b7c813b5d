//! Precedence, for every setting at once: a flag beats `PIDONE_*`, which
//! beats the `TINI_*` variable that images written for tini already set.
//!
//! A variable is only read (and so can only be an error) when no flag
//! decided its setting. Empty means unset (`docker run -e NAME=` is how
//! people clear a variable), except that tini's switches count by mere
//! presence, as tini itself reads them (`TINI_SUBREAPER=` switches on).
//!
//! Pure: the environment comes in from outside, as [`Lookup`]; this
//! module never calls `std::env` itself.

use std::ffi::OsString;

use super::config::Config;
use super::options::{self, Kind, Row};
use super::store::{store, Decided, Parsed};
use super::value::Value;
use crate::error::UsageError;

/// Where the parser looks variables up: a function (what the tests pass;
/// type its argument, `|name: &str|`, so that Rust sees it takes any
/// string), or anything that can also tell that none of pidone's variables
/// is set (pidone's own environment, see `environment`).
pub trait Lookup {
    /// The value of NAME, if it is set.
    fn var(&self, name: &str) -> Option<OsString>;

    /// True when no `PIDONE_*` or `TINI_*` variable is set at all: then
    /// the parser looks nothing up, which is the common case.
    fn none_set(&self) -> bool {
        false
    }
}

impl<F: Fn(&str) -> Option<OsString>> Lookup for F {
    fn var(&self, name: &str) -> Option<OsString> {
        self(name)
    }
}

/// The settings the environment alone makes: the defaults, then every
/// variable that is set (what embedded mode starts from, as no command
/// line is pidone's there).
pub fn from_env(env: impl Lookup) -> Result<Config, UsageError> {
    let mut parsed = Parsed {
        config: Config::default(),
        pause: false,
    };
    fill(&mut parsed, Decided::default(), &env)?;
    Ok(parsed.config)
}

/// Fills from the environment every setting that no flag decided. DECIDED
/// holds the settings a flag decided.
pub fn fill<A>(
    parsed: &mut Parsed<A>,
    mut decided: Decided,
    env: &impl Lookup,
) -> Result<(), UsageError> {
    if env.none_set() {
        return Ok(());
    }
    for row in options::rows() {
        // Options sharing a setting (-v, -q) share its variables: look once.
        if row.env.is_empty() || !decided.insert(row.opt) {
            continue;
        }
        if let Some((var, raw)) = deciding_variable(row, env) {
            let value = Value {
                row,
                var: Some(var),
                raw: &raw,
            };
            // Variables never end parsing (only --help and the like do).
            store(parsed, value)?;
        }
    }
    Ok(())
}

/// The first of ROW's variables that is set, with its value.
fn deciding_variable(row: Row, env: &impl Lookup) -> Option<(&'static str, OsString)> {
    row.env.iter().find_map(|&var| {
        let value = env.var(var)?;
        let set = !value.is_empty() || (row.kind == Kind::Switch && var.starts_with("TINI_"));
        set.then_some((var, value))
    })
}
