//! pidone's log: env_logger on stderr, one line per record in tini's shape
//! `[LEVEL pidone (PID)] message`, so scripts written for tini's log keep
//! working; and the log setting itself ([`LogSpec`], [`DEFAULT_LEVEL`]).
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
//!
//! Most runs log nothing at all (the default level is warn), so with a
//! plain level the env_logger is built on the first record that passes it,
//! not at start-up: nothing is allocated for a logger that never writes.

use std::borrow::Cow;
use std::io::Write;
use std::sync::OnceLock;

use env_logger::fmt::Formatter;
use env_logger::{Builder, Logger, Target, WriteStyle};
use log::{LevelFilter, Log, Metadata, Record};

use crate::text::number;
use crate::text::one_line::one_line;

/// What pidone logs when nothing says otherwise.
pub const DEFAULT_LEVEL: LevelFilter = LevelFilter::Warn;

/// What pidone logs, for the logger (env_logger) to apply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogSpec {
    /// One level for everything: from `-v`/`-q` (default warn, each `-v`
    /// one more, `-q` errors only), `TINI_VERBOSITY`, or the default.
    Level(LevelFilter),
    /// `PIDONE_LOG` exactly as given, already checked to be comma-separated
    /// `LEVEL` or `TARGET=LEVEL` directives (env_logger's filter syntax,
    /// without its `/regex` suffix).
    Filters(String),
}

impl Default for LogSpec {
    fn default() -> LogSpec {
        LogSpec::Level(DEFAULT_LEVEL)
    }
}

/// The installed logger: env_logger, built on first use.
struct Lazy(OnceLock<Logger>);

/// The one logger pidone installs.
static LOGGER: Lazy = Lazy(OnceLock::new());

impl Lazy {
    /// The env_logger, built now if no record has needed it yet. With a
    /// plain level, `log::max_level()` is that level: [`init`] set it and
    /// nothing else changes it.
    fn logger(&self) -> &Logger {
        self.0
            .get_or_init(|| build(&LogSpec::Level(log::max_level())))
    }
}

impl Log for Lazy {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        self.logger().enabled(metadata)
    }

    fn log(&self, record: &Record<'_>) {
        self.logger().log(record);
    }

    fn flush(&self) {
        if let Some(logger) = self.0.get() {
            logger.flush();
        }
    }
}

/// Installs the logger with SPEC: a level (from `-v`/`-q`,
/// `TINI_VERBOSITY` or the default), or `PIDONE_LOG`'s filters in
/// env_logger's syntax (a bare level, or `TARGET=LEVEL,...`; `cli` has
/// checked them). Only the first call installs (pidone calls it once).
pub fn init(spec: &LogSpec) {
    let max_level = match spec {
        LogSpec::Level(level) => *level,
        // Filters decide their own maximum: build the logger now.
        LogSpec::Filters(_) => {
            let logger = build(spec);
            let max_level = logger.filter();
            let _ = LOGGER.0.set(logger);
            max_level
        }
    };
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(max_level);
    }
}

/// env_logger configured with SPEC, writing tini's line shape on stderr.
fn build(spec: &LogSpec) -> Logger {
    let mut builder = Builder::new();
    match spec {
        LogSpec::Level(level) => builder.filter_level(*level),
        LogSpec::Filters(filters) => builder.parse_filters(filters),
    };
    builder
        .target(Target::Stderr)
        .write_style(WriteStyle::Never)
        .format(|buf: &mut Formatter, record: &Record<'_>| line(buf, std::process::id(), record))
        .build()
}

/// The level that `init` installs for SPEC, as `log::max_level` will say.
#[cfg(test)]
fn max_level(spec: &LogSpec) -> LevelFilter {
    match spec {
        LogSpec::Level(level) => *level,
        LogSpec::Filters(_) => build(spec).filter(),
    }
}

/// Writes RECORD as one line: `[LEVEL pidone (PID)] message`, with control
/// characters in the message escaped. The line is put together first and
/// handed over in one write, so env_logger's buffer grows once.
fn line(out: &mut impl Write, pid: u32, record: &Record<'_>) -> std::io::Result<()> {
    let message = match record.args().as_str() {
        // A message without arguments is one of pidone's string literals,
        // which cannot quote a program name or a path, and no literal of a
        // log call holds a control character (a test reads them all).
        Some(text) => Cow::Borrowed(text),
        None => Cow::Owned(one_line(&record.args().to_string()).into_owned()),
    };
    let mut digits = [0u8; 10];
    let pid = number::decimal(pid, &mut digits);
    let level = record.level().as_str();
    let parts = [
        b"[",
        level.as_bytes(),
        b" pidone (",
        pid,
        b")] ",
        message.as_bytes(),
        b"\n",
    ];
    // Most lines fit a buffer on the stack; the rest are put together on
    // the heap. Either way env_logger's buffer gets the line in one piece.
    let mut stack = [0u8; 512];
    let mut heap = Vec::new();
    let len = parts.iter().map(|part| part.len()).sum();
    let line = match stack.get_mut(..len) {
        Some(line) => line,
        None => {
            heap.resize(len, 0);
            &mut heap
        }
    };
    let mut at = 0;
    for part in parts {
        if let Some(slot) = line.get_mut(at..at + part.len()) {
            slot.copy_from_slice(part);
        }
        at += part.len();
    }
    out.write_all(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_in_tinis_shape_with_control_characters_escaped() {
        let long = "x".repeat(300);
        let long_line = format!("[INFO pidone (4194304)] {long}\n");
        // Not a literal: Rust would inline it into the message.
        let quoted = String::from("a\nb");
        let controls = String::from("tab\there, bell\u{7}, C1\u{85}, é");
        let table: &[(log::Level, u32, std::fmt::Arguments<'_>, &str)] = &[
            (
                log::Level::Warn,
                7,
                format_args!("plain"),
                "[WARN pidone (7)] plain\n",
            ),
            (
                log::Level::Debug,
                7,
                format_args!("child {} {}", 42, quoted),
                "[DEBUG pidone (7)] child 42 a\\nb\n",
            ),
            (
                log::Level::Error,
                1,
                format_args!("{}", controls),
                "[ERROR pidone (1)] tab\\there, bell\\u{7}, C1\\u{85}, é\n",
            ),
            (
                log::Level::Info,
                4_194_304,
                format_args!("{long}"),
                &long_line,
            ),
        ];
        for (level, pid, args, want) in table {
            let record = Record::builder().level(*level).args(*args).build();
            let mut out = Vec::new();
            line(&mut out, *pid, &record).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), *want);
        }
    }

    #[test]
    fn no_log_literal_holds_a_control_character() {
        // `line` writes a message without arguments as it stands: hold that
        // no literal of a log call in pidone's source needs escaping.
        let mut files = Vec::new();
        crate::layers::sources(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        let mut literals = 0;
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            // The code, not its tests (which quote the macros' names).
            let code = text.split("#[cfg(test)]").next().unwrap();
            for call in ["error!(", "warn!(", "info!(", "debug!(", "trace!("] {
                for (at, _) in code.match_indices(call) {
                    // Every literal of the call, its arguments too: Rust
                    // inlines literal arguments into the message.
                    let rest = &code[at + call.len()..];
                    let args = &rest[..rest.find(");").unwrap()];
                    for literal in args.split('"').skip(1).step_by(2) {
                        // A line continuation is not in the string.
                        let literal = literal.replace("\\\n", "");
                        literals += 1;
                        assert!(
                            !literal.chars().any(char::is_control)
                                && !["\\n", "\\t", "\\r", "\\x", "\\u", "\\0"]
                                    .iter()
                                    .any(|escape| literal.contains(escape)),
                            "{}: {call}\"{literal}\"",
                            file.display()
                        );
                    }
                }
            }
        }
        assert!(literals > 20, "found only {literals} log literals");
    }

    #[test]
    fn the_maximum_level_follows_the_spec() {
        use log::LevelFilter;
        let table: &[(LogSpec, LevelFilter)] = &[
            (LogSpec::Level(LevelFilter::Warn), LevelFilter::Warn),
            (LogSpec::Filters("debug".into()), LevelFilter::Debug),
            (
                LogSpec::Filters("warn,pidone=trace".into()),
                LevelFilter::Trace,
            ),
        ];
        for (spec, want) in table {
            assert_eq!(max_level(spec), *want, "{spec:?}");
        }
    }
}
