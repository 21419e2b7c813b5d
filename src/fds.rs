//! pidone's own file descriptors and working directory: making sure 0, 1
//! and 2 exist before we open anything, and, once the child exists,
//! holding on to nothing the child or the runtime may be waiting on.
//!
//! A runtime may start us with stdin, stdout or stderr closed. Then the
//! signalfd would take the lowest free number, say 1, our log and `--help`
//! would write into it, and the child would inherit a hole where its stdout
//! should be. Rust's runtime normally guards against this before `main`;
//! pidone has its own entry point (see `main.rs`), so it does it here.

use std::os::fd::{AsRawFd, IntoRawFd, RawFd};

use nix::fcntl::{open, OFlag};
use nix::sys::stat::Mode;

use crate::{procfs, sys};

/// Opens `/dev/null` onto whichever of descriptors 0-2 is closed. `open`
/// returns the lowest free number, so opening until the number is above 2
/// fills exactly the holes; that last descriptor is closed again. Failures
/// are ignored: a container without `/dev/null` still gets to run its app.
pub fn ensure_standard_fds() {
    while let Ok(fd) = open(c"/dev/null", OFlag::O_RDWR, Mode::empty()) {
        if fd.as_raw_fd() > 2 {
            // Dropping closes it: 0, 1 and 2 were all open.
            return;
        }
        // One of 0-2 was closed: it is /dev/null now, for the whole process.
        let _ = fd.into_raw_fd();
    }
}

/// Closes every descriptor above 2 except KEEP: once the child exists,
/// pidone must not hold an inherited pipe open (a reader waiting for EOF
/// would wait for pidone instead of the app) or pin what the descriptors
/// point to. The child keeps its own copies.
///
/// Uses `close_range` (Linux 5.9+) around KEEP, else the list in
/// `/proc/self/fd`. Failures are ignored: a descriptor we cannot close is
/// no reason for an init to stop.
pub fn close_inherited(keep: RawFd) {
    let ranges = [(3, keep - 1), (keep + 1, RawFd::MAX)];
    let mut done = true;
    for (first, last) in ranges {
        if first > last {
            continue;
        }
        let (Ok(first), Ok(last)) = (u32::try_from(first), u32::try_from(last)) else {
            continue;
        };
        done &= sys::close_range(first, last).is_ok();
    }
    if done {
        return;
    }
    // Older kernels: list /proc/self/fd first, then close (closing while
    // listing would close the directory's own descriptor under it).
    let Some((open, listing_fd)) = procfs::numeric_entries(c"/proc/self/fd") else {
        return;
    };
    for fd in open
        .into_iter()
        .filter(|&fd| fd > 2 && fd != keep && fd != listing_fd)
    {
        // A number from the listing, not a descriptor anything in pidone
        // owns (KEEP and 0-2 are skipped): closing it pulls nothing from
        // under safe code.
        let _ = nix::unistd::close(fd);
    }
}

/// Changes pidone's own working directory to `/`, so it never pins the
/// directory it was started in (Podman had containers whose home could not
/// be unmounted because the init's cwd held it). Failure is ignored.
pub fn leave_working_directory() {
    let _ = nix::unistd::chdir(c"/");
}
