//! The command line and the environment, turned into an [`Action`].
//!
//! Every option is declared once, in `options.rs`; the rest reads that
//! table:
//!
//! - `options.rs`: THE table (names, value kind, variables, help text);
//! - `config.rs`: the settings it fills in, and their defaults;
//! - `parse.rs`: the walk over argv, up to the program and never past it;
//! - `env.rs`: precedence, flag > `PIDONE_*` > `TINI_*`, empty = unset;
//! - `value.rs`: reading one value as its kind, and every bad-value message;
//! - `store.rs`: one match arm per option, storing its value in [`Config`];
//! - `usage.rs`: `--help`, generated from the table, and `--version`.
//!
//! Pure, all of it: no syscalls, and the environment comes in from outside
//! as [`Lookup`] (a lookup function will do), so every rule is
//! unit-tested with tables (`tests.rs`) and by a property test on inputs
//! generated from the table (`tests/props.rs`).

mod config;
mod env;
mod options;
mod parse;
mod store;
#[cfg(test)]
mod tests;
mod usage;
mod value;

pub use config::{Action, Config, DEFAULT_GRACE, STOP_GRACE};
pub use env::{from_env, Lookup};
pub use parse::parse;
pub use usage::{usage, VERSION};
