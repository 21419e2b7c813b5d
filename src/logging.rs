//! pidone's log: stderr only, `[LEVEL pidone (PID)] message`, level from
//! `-v`/`-q`/`PIDONE_LOG`/`TINI_VERBOSITY` (decided in `cli`).
//!
//! It never reads `RUST_LOG`: that variable belongs to the app, which
//! inherits pidone's environment. Nothing may log between fork and exec.

use std::io::Write;

use log::LevelFilter;

/// Installs the logger at LEVEL. Safe to call once; a second call is a
/// no-op rather than a panic.
pub fn init(level: LevelFilter) {
    // Our pid never changes, so read it once instead of on every line.
    let pid = std::process::id();
    let _ = env_logger::Builder::new()
        .filter_level(level)
        .target(env_logger::Target::Stderr)
        .format(move |buf, record| {
            writeln!(buf, "[{} pidone ({pid})] {}", record.level(), record.args())
        })
        .try_init();
}
