//! Starting the main child: fork, the child-side set-up, and exec.
//!
//! The child must start as if pidone were not there: same environment,
//! working directory, descriptors, and the signal mask and dispositions
//! pidone itself was given. It also gets its own process group (so `-g` can
//! signal the app's whole group without hitting pidone) and, on a terminal,
//! the foreground.
//!
//! We fork and exec ourselves instead of using `std::process::Command`:
//! Command resets SIGPIPE to the default in every child (the app must get
//! what pidone inherited), cannot tell a failed fork (125) from a failed
//! exec (126/127), and costs about 20 KB of a binary whose size is a goal.
//! [`child_side`] is the crate's one piece of code that runs between fork
//! and exec; only async-signal-safe calls are allowed there: no allocation,
//! no logging, no locks.

use std::ffi::{CString, OsStr, OsString};
use std::io;
use std::os::unix::ffi::OsStrExt;

use crate::error::Error;
use crate::signals::{self, Mask};
use crate::tty;

/// Forks and execs PROGRAM with ARGS, looked up on `PATH` like `execvp`,
/// restoring MASK (the signal mask pidone was started with) in the child.
///
/// Returns the child's pid once `exec` has succeeded, so by then the child
/// is in its own process group. A failed `exec` comes back as
/// [`Error::Start`] with its errno (127 or 126); a failed fork or pipe as
/// [`Error::Setup`] (125).
pub fn spawn(program: &OsStr, args: &[OsString], mask: Mask) -> Result<i32, Error> {
    // Everything the child needs is allocated here, before the fork.
    let cstring = |arg: &OsStr| CString::new(arg.as_bytes());
    let argv_owned = std::iter::once(program)
        .chain(args.iter().map(OsString::as_os_str))
        .map(cstring)
        .collect::<Result<Vec<CString>, _>>()
        // Arguments come from our own argv, which holds C strings: a NUL
        // inside one cannot happen, but if it did it is the program's fault.
        .map_err(|_| Error::Start {
            program: program.to_owned(),
            cause: io::ErrorKind::InvalidInput.into(),
        })?;
    let mut argv: Vec<*const libc::c_char> = argv_owned.iter().map(|a| a.as_ptr()).collect();
    argv.push(std::ptr::null());

    // The child reports a failed exec through this pipe; a successful exec
    // closes it (O_CLOEXEC), which the parent sees as end-of-file.
    let mut fds = [0; 2];
    // SAFETY: fds is a live array of two ints, as pipe2 requires.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(setup("create the exec status pipe"));
    }
    let [read_end, write_end] = fds;

    // SAFETY: pidone is single-threaded, so the child is a faithful copy;
    // the child only runs `child_side`, which is async-signal-safe.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // SAFETY: argv is a NULL-terminated array of pointers to live C
        // strings (argv_owned outlives this call in the child's copy).
        unsafe { child_side(argv.as_ptr(), mask, write_end) }
    }
    let fork_error = (pid < 0).then(|| setup("fork the child"));
    // SAFETY: write_end is our own descriptor, closed exactly once.
    unsafe { libc::close(write_end) };
    if let Some(err) = fork_error {
        // SAFETY: read_end is our own descriptor, closed exactly once.
        unsafe { libc::close(read_end) };
        return Err(err);
    }
    let errno = read_exec_status(read_end);
    // SAFETY: read_end is our own descriptor, closed exactly once.
    unsafe { libc::close(read_end) };
    match errno {
        None => Ok(pid),
        Some(errno) => {
            // The child exited right after reporting; nobody else waits for
            // it yet, so collect it here rather than leave a zombie.
            let mut status = 0;
            // SAFETY: status is a live, writable int.
            unsafe { libc::waitpid(pid, &mut status, 0) };
            Err(Error::Start {
                program: program.to_owned(),
                cause: io::Error::from_raw_os_error(errno),
            })
        }
    }
}

/// The [`Error::Setup`] for WHAT, from the last OS error.
fn setup(what: &'static str) -> Error {
    Error::Setup {
        what,
        cause: io::Error::last_os_error(),
    }
}

/// Reads the child's exec report from FD: `None` at end-of-file (the exec
/// succeeded and closed the pipe), `Some(errno)` when the exec failed.
fn read_exec_status(fd: libc::c_int) -> Option<i32> {
    let mut buf = [0u8; 4];
    loop {
        // SAFETY: buf is a live, writable 4-byte buffer.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
            continue;
        }
        // A short or failed read cannot come from our child, which writes
        // 4 bytes at once into an empty pipe; treat it as a successful exec.
        return (n == 4).then(|| i32::from_ne_bytes(buf));
    }
}

/// The child between fork and exec. Never returns.
///
/// Order matters: own process group first; then the terminal, while every
/// signal is still blocked (a background group calling `tcsetpgrp` would
/// otherwise be stopped by SIGTTOU); the original signal mask last, so the
/// app starts with exactly what pidone was given. Dispositions are left
/// alone: pidone never changed any, so the app inherits the runtime's.
///
/// # Safety
/// Must only be called in a freshly forked child of a single-threaded
/// process, with ARGV a NULL-terminated array of valid C strings.
unsafe fn child_side(argv: *const *const libc::c_char, mask: Mask, report: libc::c_int) -> ! {
    // Cannot fail for a fresh child of ours (it is not a session leader).
    // SAFETY: setpgid is an async-signal-safe syscall with no memory
    // preconditions; the rest of this block is commented below.
    unsafe {
        libc::setpgid(0, 0);
        tty::claim_foreground();
        // A failure here would leave every signal blocked in the app; exec
        // anyway is worse than reporting it, so report it like an exec error.
        if signals::set_mask(mask).is_ok() {
            // argv is valid per this function's contract.
            libc::execvp(*argv, argv);
        }
        // Reading errno and writing 4 bytes are async-signal-safe.
        let errno = *libc::__errno_location();
        let bytes = errno.to_ne_bytes();
        libc::write(report, bytes.as_ptr().cast(), bytes.len());
        libc::_exit(127);
    }
}
