//! pidone's log: env_logger on stderr, one line per record in tini's shape
//! `[LEVEL pidone (PID)] message`, so scripts written for tini's log keep
//! working.
//!
//! The filter comes from pidone's own settings (`-v`/`-q`, `PIDONE_LOG`,
//! `TINI_VERBOSITY`, decided in `cli`), never from `RUST_LOG`: that
//! variable belongs to the app, which inherits pidone's environment, so the
//! builder starts from `Builder::new()` and never reads the environment.
//!
//! env_logger formats each record into its buffer and writes it with one
//! `write`, so pidone's lines never interleave mid-line with the app's
//! output on a shared stderr. Control characters in a message (a program
//! name or path quoted from the command line) are escaped: one record is
//! one line. Nothing may log between fork and exec.

use std::io::Write;

use env_logger::fmt::Formatter;
use env_logger::{Builder, Target, WriteStyle};
use log::Record;

use crate::cli::LogSpec;

/// Installs the logger with SPEC: a level (from `-v`/`-q`,
/// `TINI_VERBOSITY` or the default), or `PIDONE_LOG`'s filters in
/// env_logger's syntax (a bare level, or `TARGET=LEVEL,...`; `cli` has
/// checked them). Only the first call installs (pidone calls it once).
pub fn init(spec: &LogSpec) {
    let pid = std::process::id();
    let mut builder = Builder::new();
    match spec {
        LogSpec::Level(level) => builder.filter_level(*level),
        LogSpec::Filters(filters) => builder.parse_filters(filters),
    };
    let _ = builder
        .target(Target::Stderr)
        .write_style(WriteStyle::Never)
        .format(move |buf: &mut Formatter, record: &Record<'_>| line(buf, pid, record))
        .try_init();
}

/// Writes RECORD as one line: `[LEVEL pidone (PID)] message`.
fn line(out: &mut impl Write, pid: u32, record: &Record<'_>) -> std::io::Result<()> {
    // A message without arguments is a static string: no formatting.
    match record.args().as_str() {
        Some(text) => writeln!(
            out,
            "[{} pidone ({pid})] {}",
            record.level(),
            crate::error::one_line(text)
        ),
        None => {
            let text = record.args().to_string();
            writeln!(
                out,
                "[{} pidone ({pid})] {}",
                record.level(),
                crate::error::one_line(&text)
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_in_tinis_shape_with_control_characters_escaped() {
        let table: &[(log::Level, std::fmt::Arguments<'_>, &str)] = &[
            (
                log::Level::Warn,
                format_args!("plain"),
                "[WARN pidone (7)] plain\n",
            ),
            (
                log::Level::Debug,
                format_args!("child {} {}", 42, "a\nb"),
                "[DEBUG pidone (7)] child 42 a\\nb\n",
            ),
        ];
        for (level, args, want) in table {
            let record = Record::builder().level(*level).args(*args).build();
            let mut out = Vec::new();
            line(&mut out, 7, &record).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), *want);
        }
    }
}
