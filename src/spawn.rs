//! Starting the main child: the `Command`, and the crate's one `pre_exec`.
//!
//! The child must start as if pidone were not there: same environment,
//! working directory, descriptors, and the signal mask and dispositions
//! pidone itself was given. It also gets its own process group (so `-g` can
//! signal the app's whole group without hitting pidone) and, on a terminal,
//! the foreground.
//!
//! Between `fork` and `exec` only async-signal-safe calls are allowed: no
//! allocation, no logging, no locks.

use std::ffi::{OsStr, OsString};
use std::os::unix::process::CommandExt;
use std::process::Command;

use crate::error::Error;
use crate::signals::{self, Mask};
use crate::tty;

/// What the child must get back from pidone's start-up state.
#[derive(Clone, Copy, Debug)]
pub struct Inherited {
    /// The signal mask pidone was started with.
    pub mask: Mask,
    /// Whether pidone was started with SIGPIPE ignored.
    pub sigpipe_ignored: bool,
}

/// Forks and execs PROGRAM with ARGS, looked up on `PATH` like `execvp`.
///
/// Returns the child's pid once `exec` has succeeded (std waits on a
/// close-on-exec pipe for that), so by then the child is in its own process
/// group. An `exec` failure comes back as [`Error::Start`] with the errno,
/// which maps to 127 or 126.
pub fn spawn(program: &OsStr, args: &[OsString], inherited: Inherited) -> Result<i32, Error> {
    let mut command = Command::new(program);
    command.args(args);
    // SAFETY: the closure only makes async-signal-safe syscalls (setpgid,
    // getpgrp, tcsetpgrp, sigaction, rt_sigprocmask), allocates nothing and
    // takes no locks, as required between fork and exec.
    unsafe {
        command.pre_exec(move || {
            // Its own group, so the app and its helpers can be signalled as
            // one with -g, and so the terminal can be handed to it alone.
            // It cannot fail for a fresh child of ours.
            libc::setpgid(0, 0);
            // Still fully blocked here: tcsetpgrp from a background group
            // would otherwise stop us with SIGTTOU.
            tty::claim_foreground();
            // std resets SIGPIPE to the default in every child it spawns;
            // undo that if pidone was given SIGPIPE ignored.
            if inherited.sigpipe_ignored {
                signals::ignore_sigpipe();
            }
            // Last: from here on, signals reach the child the ordinary way.
            signals::set_mask(inherited.mask)
        });
    }
    let child = command.spawn().map_err(|cause| Error::Start {
        program: program.to_owned(),
        cause,
    })?;
    // Pids are at most 2^22 on Linux: the conversion cannot fail, and the
    // child has been reaped by no one, so the pid is still its own.
    let pid = i32::try_from(child.id()).unwrap_or(i32::MAX);
    // Dropping the handle neither kills nor waits: the reaper owns waiting.
    drop(child);
    Ok(pid)
}
