//! pidone's own file descriptors: making sure 0, 1 and 2 exist before we
//! open anything.
//!
//! A runtime may start us with stdin, stdout or stderr closed. Then the
//! signalfd would take the lowest free number, say 1, our log and `--help`
//! would write into it, and the child would inherit a hole where its stdout
//! should be. Rust's runtime normally guards against this before `main`;
//! pidone has its own entry point (see `main.rs`), so it does it here.

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
