//! pidone's log: stderr only, one line per record,
//! `[LEVEL pidone (PID)] message`, level from `-v`/`-q`/`PIDONE_LOG`/
//! `TINI_VERBOSITY` (decided in `cli`).
//!
//! A twenty-line `log::Log` of our own instead of env_logger: env_logger
//! (even without default features) added 16.5 KB (475,800 against 459,312
//! bytes, measured) to a binary whose size budget is 450 KB, for features
//! pidone cannot use (directive parsing, per-module filters, styles). Each line is formatted into one buffer and written
//! with a single `write`, so lines from pidone never interleave mid-line
//! with the app's output on a shared stderr.
//!
//! It never reads `RUST_LOG`: that variable belongs to the app, which
//! inherits pidone's environment. Nothing may log between fork and exec.

use std::io::Write;

use log::{LevelFilter, Log, Metadata, Record};

/// The logger: writes to stderr, prefixed with our pid.
struct Stderr {
    pid: u32,
}

impl Log for Stderr {
    fn enabled(&self, metadata: &Metadata) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        // One line per record, whatever a program name or path in the
        // message holds (see `error::one_line`).
        let message = record.args().to_string();
        let mut line = Vec::with_capacity(128);
        let _ = writeln!(
            line,
            "[{} pidone ({})] {}",
            record.level(),
            self.pid,
            crate::error::one_line(&message)
        );
        // A failed write to stderr has nowhere else to be reported.
        let _ = std::io::stderr().write_all(&line);
    }

    fn flush(&self) {}
}

/// Installs the logger at LEVEL. Safe to call more than once: later calls
/// only change the level.
pub fn init(level: LevelFilter) {
    // The logger lives for the whole process; leaking one small box is how
    // `log` wants a logger that carries data (our pid, read once).
    let logger = Box::leak(Box::new(Stderr {
        pid: std::process::id(),
    }));
    let _ = log::set_logger(logger);
    log::set_max_level(level);
}
