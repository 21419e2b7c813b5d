//! pidone's own file descriptors and working directory: making sure 0, 1
//! and 2 exist before we open anything, and, once the child exists,
//! holding on to nothing the child or the runtime may be waiting on.
//!
//! A runtime may start us with stdin, stdout or stderr closed. Then the
//! signalfd would take the lowest free number, say 1, our log and `--help`
//! would write into it, and the child would inherit a hole where its stdout
//! should be. Rust's runtime normally guards against this before `main`;
//! pidone has its own entry point (see `main.rs`), so it does it here.

use crate::procfs;

/// Opens `/dev/null` onto whichever of descriptors 0–2 is closed. Failures
/// are ignored: a container without `/dev/null` still gets to run its app.
pub fn ensure_standard_fds() {
    for fd in 0..=2 {
        // SAFETY: F_GETFD only queries the descriptor's flags.
        let closed = unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1
            && std::io::Error::last_os_error().raw_os_error() == Some(libc::EBADF);
        if closed {
            // SAFETY: the path is a NUL-terminated static string. open()
            // returns the lowest free descriptor, which is `fd` here since
            // every lower one is open.
            unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) };
        }
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
pub fn close_inherited(keep: libc::c_int) {
    let ranges = [(3, keep - 1), (keep + 1, libc::c_int::MAX)];
    let mut done = true;
    for (first, last) in ranges {
        if first > last {
            continue;
        }
        // SAFETY: close_range only closes descriptors; nothing in pidone
        // other than KEEP (and 0-2) is open or used after this point.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_close_range,
                libc::c_uint::try_from(first).unwrap_or(0),
                libc::c_uint::try_from(last).unwrap_or(libc::c_uint::MAX),
                0,
            )
        };
        done &= rc == 0;
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
        // SAFETY: closing a descriptor number; see above.
        unsafe { libc::close(fd) };
    }
}

/// Changes pidone's own working directory to `/`, so it never pins the
/// directory it was started in (Podman had containers whose home could not
/// be unmounted because the init's cwd held it). Failure is ignored.
pub fn leave_working_directory() {
    // SAFETY: the path is a NUL-terminated static string.
    unsafe { libc::chdir(c"/".as_ptr()) };
}
