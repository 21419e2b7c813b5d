//! The child side: the crate's one piece of code that runs between `fork`
//! and `exec`.
//!
//! Only async-signal-safe calls are allowed here: no allocation, no
//! logging, no locks, no `std::io::stdin()` (it allocates its buffer on
//! first use). Everything the child reads was prepared before the fork
//! (see [`Prepared`]); every call below is a single syscall, through nix
//! where nix makes it without allocating, else through `sys`.

use std::ffi::{c_char, CString};
use std::os::fd::OwnedFd;

use nix::errno::Errno;
use nix::unistd::{self, Gid, Pid, Uid};

use crate::signals::{self, Mask};
use crate::sys;

/// The steps of the child side, as reported back when one fails.
pub const STEP_EXEC: i32 = 0;
pub const STEP_GROUPS: i32 = 1;
pub const STEP_GID: i32 = 2;
pub const STEP_UID: i32 = 3;
pub const STEP_WORKDIR: i32 = 4;

/// `LISTEN_PID=` plus room for any pid and the NUL.
pub const LISTEN_PID_PREFIX: &[u8] = b"LISTEN_PID=";
pub const LISTEN_PID_SIZE: usize = LISTEN_PID_PREFIX.len() + 12;

/// Everything the child side reads, prepared (and allocated) before fork.
pub struct Prepared {
    /// The program and its arguments: NULL-terminated pointers to C strings
    /// that live for the process (pidone's own argv).
    pub argv: &'static [*const c_char],
    /// The environment to exec with (`NAME=VALUE\0` buffers), or `None` to
    /// inherit pidone's as is.
    pub env: Option<Vec<Vec<u8>>>,
    /// NULL-terminated pointers into `env`, when there is one.
    pub envp: Option<Vec<*const c_char>>,
    /// Which `env` entry is the `LISTEN_PID=` buffer that the child fills
    /// with its own pid (socket activation).
    pub listen_pid: Option<usize>,
    /// Supplementary groups, then (uid, gid), from `--user`.
    pub groups: Vec<Gid>,
    pub ids: Option<(Uid, Gid)>,
    /// The child's working directory (`--workdir`).
    pub workdir: Option<CString>,
    /// The signal mask pidone was started with, restored last.
    pub mask: Mask,
}

/// The child between fork and exec. Never returns.
///
/// Order matters: identity first (groups, gid, then uid last, since after
/// it we may no longer change the others), then the working directory (as
/// the new user, so it only enters what the user may), its own process
/// group, the terminal while every signal is still blocked (a background
/// group calling `tcsetpgrp` would otherwise be stopped by SIGTTOU), its
/// `LISTEN_PID`, and the original signal mask last, so the app starts with
/// exactly what pidone was given. Dispositions are left alone: pidone never
/// changed any, so the app inherits the runtime's. Any failed step is
/// written to REPORT as (step, errno) and the app is never started.
///
/// Must only be called in a freshly forked child of single-threaded pidone
/// (see `sys::fork`); PREPARED is the child's own copy.
pub fn child_side(prepared: &mut Prepared, report: &OwnedFd) -> ! {
    let fail = |step: i32, errno: i32| -> ! {
        let mut bytes = [0u8; 8];
        let (first, second) = bytes.split_at_mut(4);
        first.copy_from_slice(&step.to_ne_bytes());
        second.copy_from_slice(&errno.to_ne_bytes());
        let _ = unistd::write(report, &bytes);
        sys::exit_now(127)
    };
    if let Some((uid, gid)) = prepared.ids {
        if let Err(e) = unistd::setgroups(&prepared.groups) {
            fail(STEP_GROUPS, e as i32);
        }
        if let Err(e) = unistd::setresgid(gid, gid, gid) {
            fail(STEP_GID, e as i32);
        }
        if let Err(e) = unistd::setresuid(uid, uid, uid) {
            fail(STEP_UID, e as i32);
        }
    }
    if let Some(dir) = &prepared.workdir {
        // A &CStr path: nix passes it through without copying.
        if let Err(e) = unistd::chdir(dir.as_c_str()) {
            fail(STEP_WORKDIR, e as i32);
        }
    }
    // Cannot fail for a fresh child of ours (it is not a session leader).
    let _ = unistd::setpgid(Pid::from_raw(0), Pid::from_raw(0));
    // Claim the terminal's foreground so Ctrl-C in `docker run -it` reaches
    // the app. ENOTTY (stdin is no terminal) is the usual case, and a
    // terminal we cannot claim is no reason not to run the app.
    let _ = unistd::tcsetpgrp(sys::standard_fd(libc::STDIN_FILENO), unistd::getpgrp());
    let listen_pid = prepared.listen_pid;
    if let Some(entry) = listen_pid.and_then(|i| prepared.env.as_mut()?.get_mut(i)) {
        write_listen_pid(entry, unistd::getpid().as_raw());
    }
    // A failure here would leave every signal blocked in the app: report it
    // like an exec error rather than exec anyway.
    if let Err(e) = signals::set_mask(prepared.mask) {
        fail(STEP_EXEC, e.raw_os_error().unwrap_or(0));
    }
    let err = sys::exec(prepared.argv, prepared.envp.as_deref());
    fail(
        STEP_EXEC,
        err.raw_os_error().unwrap_or(Errno::EINVAL as i32),
    )
}

/// Writes PID in decimal, NUL-terminated, after the `LISTEN_PID=` prefix of
/// ENTRY (a `LISTEN_PID_SIZE`-byte buffer). Async-signal-safe: no
/// allocation, no formatting machinery.
fn write_listen_pid(entry: &mut [u8], pid: libc::pid_t) {
    let mut digits = [0u8; 11];
    let mut n = u32::try_from(pid).unwrap_or(0);
    let mut len = 0;
    while let Some(slot) = digits.get_mut(len) {
        // n % 10 < 10: always a digit.
        *slot = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let value = entry.get_mut(LISTEN_PID_PREFIX.len()..).unwrap_or_default();
    let mut out = value.iter_mut();
    for &digit in digits.iter().take(len).rev() {
        if let Some(slot) = out.next() {
            *slot = digit;
        }
    }
    if let Some(slot) = out.next() {
        *slot = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_pid_is_written_in_decimal_and_terminated() {
        for (pid, want) in [(1, "1"), (42, "42"), (4_194_304, "4194304")] {
            let mut entry = LISTEN_PID_PREFIX.to_vec();
            entry.resize(LISTEN_PID_SIZE, b'x');
            write_listen_pid(&mut entry, pid);
            let text = &entry[..LISTEN_PID_PREFIX.len() + want.len() + 1];
            assert_eq!(text, format!("LISTEN_PID={want}\0").as_bytes());
        }
    }
}
