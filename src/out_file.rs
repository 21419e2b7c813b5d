//! The files pidone writes on its way out (`--termination-log`,
//! `--report`): one line each, replacing what was there.
//!
//! Best-effort by design: pidone is on its way out, and its exit code must
//! not change because a file could not be written, so a failure is logged
//! once at warn and otherwise ignored.

use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;

use log::warn;

/// Writes LINE and a newline to PATH, replacing what was there. WHAT names
/// the file in the warning when that fails.
///
/// Opened non-blocking: a plain `open` of a FIFO for writing waits for a
/// reader, and with every signal blocked nothing interrupts it, so a FIFO
/// nobody reads hung pidone after its child had exited (SIGTERM could not
/// end it; the SIGKILL that did replaced the child's status with 137).
/// Now that is ENXIO, logged. No effect on a regular file. O_NOCTTY: a
/// terminal given as PATH must not become pidone's controlling terminal.
pub fn write(path: &OsStr, line: &str, what: &str) {
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path);
    let result = file.and_then(|mut file| {
        // One write for line and newline: a reader never sees half.
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        file.write_all(&bytes)
    });
    if let Err(err) = result {
        warn!(
            "failed to write the {what} {}: {err}",
            path.to_string_lossy()
        );
    }
}
