//! Handing the terminal's foreground to the child, so Ctrl-C in
//! `docker run -it` reaches the app.
//!
//! Only async-signal-safe calls live here: the one function runs in the
//! child between `fork` and `exec`. It must never allocate, log or touch
//! `std::io::stdin()`.

/// Makes the calling process's group the foreground group of the terminal
/// on stdin, if stdin is one.
///
/// Must run while every signal is still blocked: a background group that
/// calls `tcsetpgrp` gets SIGTTOU (and would be stopped by it) unless the
/// signal is blocked or ignored, and we never ignore anything.
///
/// Errors are ignored on purpose: ENOTTY (stdin is no terminal) is the
/// usual case, and a terminal we cannot claim is no reason not to run the
/// app.
pub fn claim_foreground() {
    // SAFETY: getpgrp and tcsetpgrp are plain syscalls (an ioctl for the
    // latter) with no memory preconditions; both are async-signal-safe.
    unsafe {
        libc::tcsetpgrp(libc::STDIN_FILENO, libc::getpgrp());
    }
}
