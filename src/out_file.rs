//! The files pidone writes on its way out (`--termination-log`,
//! `--report`): one line each, replacing what was there.
//!
//! Best-effort by design: pidone is on its way out, and its exit code must
//! not change because a file could not be written, so a failure is logged
//! once at warn and otherwise ignored.

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;

use log::warn;

/// PATH made absolute against the current directory, if it is relative.
///
/// Called before pidone leaves its working directory for `/` (see
/// `fds::leave_working_directory`): the files are written on the way out,
/// long after, and `--report r.json` used to land in `/r.json` (or fail
/// with EACCES when not root) instead of where the user ran pidone. If the
/// current directory cannot be read, PATH is kept as it is.
pub fn anchored(path: OsString) -> OsString {
    let relative = std::path::Path::new(&path).is_relative();
    match std::env::current_dir() {
        Ok(dir) if relative => dir.join(&path).into_os_string(),
        _ => path,
    }
}

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
