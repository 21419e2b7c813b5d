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

use super::options::Kind;
use super::packed::{Opt, OPTIONS};
use super::parse::Decided;
use super::store::{store, Parsed};
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
    /// the parser looks nothing up. That is the common case, and the walk it
    /// skips (every option's every variable, looked up one by one) was
    /// 1,741 of the 22,491 instructions `pidone -- true` took.
    fn none_set(&self) -> bool {
        false
    }
}

impl<F: Fn(&str) -> Option<OsString>> Lookup for F {
    fn var(&self, name: &str) -> Option<OsString> {
        self(name)
    }
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
fn deciding_variable(opt: &Opt, env: &impl Lookup) -> Option<(&'static str, OsString)> {
    opt.env().find_map(|var| {
        let value = env.var(var)?;
        let set = !value.is_empty() || (opt.kind == Kind::Switch && var.starts_with("TINI_"));
        set.then_some((var, value))
    })
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::ffi::OsString;
    use std::time::Duration;

    use super::Lookup;
    use crate::cli::{parse, Action, DEFAULT_GRACE};

    /// Variables from a list, counting the lookups made.
    struct Listed {
        vars: &'static [(&'static str, &'static str)],
        none_set: bool,
        asked: Cell<usize>,
    }

    impl Lookup for &Listed {
        fn var(&self, name: &str) -> Option<OsString> {
            self.asked.set(self.asked.get() + 1);
            let found = self.vars.iter().find(|(n, _)| *n == name);
            found.map(|(_, value)| value.into())
        }

        fn none_set(&self) -> bool {
            self.none_set
        }
    }

    #[test]
    fn nothing_is_looked_up_when_no_variable_is_set() {
        type Vars = &'static [(&'static str, &'static str)];
        // (variables, none_set, whether any lookup is made, the grace)
        let table: &[(Vars, bool, bool, Duration)] = &[
            (&[], true, false, DEFAULT_GRACE),
            (&[], false, true, DEFAULT_GRACE),
            (
                &[("PIDONE_GRACE", "5s")],
                false,
                true,
                Duration::from_secs(5),
            ),
        ];
        for &(vars, none_set, looked, grace) in table {
            let env = Listed {
                vars,
                none_set,
                asked: Cell::new(0),
            };
            match parse(&[OsString::from("prog")], &env) {
                Ok(Action::Run(config)) => assert_eq!(config.grace, grace, "{vars:?}"),
                other => panic!("{vars:?}: {other:?}"),
            }
            assert_eq!(env.asked.get() > 0, looked, "{vars:?} {none_set}");
        }
    }
}
