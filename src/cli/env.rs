//! Precedence, for every setting at once: a flag beats `PIDONE_*`, which
//! beats the `TINI_*` variable that images written for tini already set.
//!
//! A variable is only read (and so can only be an error) when no flag
//! decided its setting. Empty means unset (`docker run -e NAME=` is how
//! people clear a variable), except that tini's switches count by mere
//! presence, as tini itself reads them (`TINI_SUBREAPER=` switches on).
//!
//! Pure: the environment comes in as a lookup function; this module never
//! calls `std::env` itself.

use std::ffi::OsString;

use super::options::Kind;
use super::packed::{Opt, OPTIONS};
use super::parse::Decided;
use super::store::{store, Parsed};
use super::value::Value;
use crate::error::UsageError;

/// Fills from the environment every setting that no flag decided. DECIDED
/// holds the settings a flag decided.
pub fn fill<A>(
    parsed: &mut Parsed<A>,
    mut decided: Decided,
    env: &impl Fn(&str) -> Option<OsString>,
) -> Result<(), UsageError> {
    for (row, opt) in OPTIONS.iter().enumerate() {
        // Options sharing a setting (-v, -q) share its variables: look once.
        if opt.env().len() == 0 || !decided.insert(row) {
            continue;
        }
        if let Some((var, raw)) = deciding_variable(opt, env) {
            let value = Value {
                opt,
                var: Some(var),
                raw: &raw,
            };
            // Variables never end parsing (only --help and the like do).
            store(parsed, row, value)?;
        }
    }
    Ok(())
}

/// The first of OPT's variables that is set, with its value.
fn deciding_variable(
    opt: &Opt,
    env: &impl Fn(&str) -> Option<OsString>,
) -> Option<(&'static str, OsString)> {
    opt.env().find_map(|var| {
        let value = env(var)?;
        let set = !value.is_empty() || (opt.kind == Kind::Switch && var.starts_with("TINI_"));
        set.then_some((var, value))
    })
}
