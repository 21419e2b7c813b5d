//! Pure text: reading what people type (the command line, signal names,
//! durations, numbers) and naming what happened (exit codes, fates,
//! explanations).
//!
//! Nothing here makes a system call, reads the environment or logs: every
//! rule is a function of its arguments, unit-tested with tables.

// The command line and the environment, turned into a Config.
pub mod cli;
// Durations: parsing `500ms`/`2s`/`1m` and showing them.
pub mod duration;
// THE exit-code table: pidone's own codes, their situations and meanings.
pub mod exit_codes;
// `--explain CODE`: what an exit code means.
pub mod explain;
// A child's raw wait status as a Fate, and `-e` remapping.
pub mod fate;
// Decimal numbers, parsed and written one way for the whole crate.
pub mod number;
// Control characters escaped: one line per message.
pub mod one_line;
// `-r FROM:TO` signal rewriting.
pub mod rewrite;
// Signal names and numbers.
pub mod signame;
