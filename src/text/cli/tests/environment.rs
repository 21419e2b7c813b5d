//! The environment as the parser sees it: nothing is looked up when
//! nothing is set.

use std::cell::Cell;
use std::ffi::OsString;
use std::time::Duration;

use crate::text::cli::{parse, Action, Lookup};

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
    let table: &[(Vars, bool, bool, Option<Duration>)] = &[
        (&[], true, false, None),
        (&[], false, true, None),
        (
            &[("PIDONE_GRACE", "5s")],
            false,
            true,
            Some(Duration::from_secs(5)),
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
