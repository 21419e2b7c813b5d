//! The files pidone writes on its way out (`--termination-log`,
//! `--report`): one line each, replacing what was there.
//!
//! Best-effort by design: pidone is on its way out, and its exit code must
//! not change because a file could not be written, so a failure is logged
//! once at warn and otherwise ignored.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use log::warn;
use nix::fcntl::OFlag;
use nix::sys::stat::Mode;

/// PATH made absolute against the current directory, if it is relative.
///
/// Called before pidone leaves its working directory for `/` (see
/// `run::start`): the files are written on the way out, long after, and
/// `--report r.json` must land where the user ran pidone, not in
/// `/r.json` (or fail with EACCES when not root). If the current directory
/// cannot be read, PATH is kept as it is.
pub fn anchored(path: OsString) -> OsString {
    if path.as_bytes().first() == Some(&b'/') {
        return path;
    }
    // Joined by hand: `Path::join` costs more binary than this needs.
    match nix::unistd::getcwd() {
        Ok(dir) => {
            let mut joined = dir.into_os_string().into_vec();
            joined.push(b'/');
            joined.extend_from_slice(path.as_bytes());
            OsString::from_vec(joined)
        }
        Err(_) => path,
    }
}

/// Writes LINE and a newline to PATH, replacing what was there. WHAT names
/// the file in the warning when that fails.
///
/// Opened non-blocking: a plain `open` of a FIFO for writing waits for a
/// reader, and with every signal blocked nothing interrupts it, so a FIFO
/// nobody reads would hang pidone after its child has exited (SIGTERM
/// cannot end it, and the SIGKILL that does replaces the child's status
/// with 137). Non-blocking, that is ENXIO, logged. No effect on a regular
/// file. O_NOCTTY: a terminal given as PATH must not become pidone's
/// controlling terminal.
pub fn write(path: &OsStr, line: &str, what: &str) {
    let flags = OFlag::O_WRONLY
        | OFlag::O_CREAT
        | OFlag::O_TRUNC
        | OFlag::O_NONBLOCK
        | OFlag::O_NOCTTY
        | OFlag::O_CLOEXEC;
    let mode = Mode::from_bits_truncate(0o666);
    let result = nix::fcntl::open(path, flags, mode).and_then(|file| {
        // One write for line and newline: a reader never sees half.
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        let mut rest = bytes.as_slice();
        while !rest.is_empty() {
            match nix::unistd::write(&file, rest) {
                Ok(0) => return Err(nix::errno::Errno::EIO),
                Ok(n) => rest = rest.get(n..).unwrap_or_default(),
                Err(nix::errno::Errno::EINTR) => {}
                Err(err) => return Err(err),
            }
        }
        Ok(())
    });
    if let Err(err) = result.map_err(std::io::Error::from) {
        warn!(
            "failed to write the {what} {}: {err}",
            path.to_string_lossy()
        );
    }
}
