//! The child side: the crate's one piece of code that runs between `fork`
//! and `exec`.
//!
//! Only async-signal-safe calls are allowed here: no allocation, no
//! logging, no locks, no `std::io::stdin()` (it allocates its buffer on
//! first use). Everything the child reads was prepared before the fork
//! (see [`Prepared`]); every call below is a single syscall, through nix
//! where nix makes it without allocating, else through `sys`.

use std::ffi::CStr;
use std::os::fd::OwnedFd;

use nix::errno::Errno;
use nix::unistd::{self, Gid, Pid, Uid};

use crate::os::signals::{self, Mask};
use crate::os::sys::{self, CStrArray, Standard};

/// The steps of the child side, as reported back when one fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Restoring the mask, or `exec` itself: the program's failure.
    Exec,
    Groups,
    Gid,
    Uid,
    Workdir,
}

impl Step {
    /// The step's number in the report.
    fn code(self) -> i32 {
        match self {
            Step::Exec => 0,
            Step::Groups => 1,
            Step::Gid => 2,
            Step::Uid => 3,
            Step::Workdir => 4,
        }
    }

    /// The step a report names; an unknown number is the program's.
    pub fn from_code(code: i32) -> Step {
        [Step::Groups, Step::Gid, Step::Uid, Step::Workdir]
            .into_iter()
            .find(|step| step.code() == code)
            .unwrap_or(Step::Exec)
    }
}

/// The start of the `LISTEN_PID` entry the child rewrites.
pub const LISTEN_PID_PREFIX: &[u8] = b"LISTEN_PID=";

/// Room for `LISTEN_PID=`, any pid and the NUL.
const LISTEN_PID_SIZE: usize = LISTEN_PID_PREFIX.len() + 11;

/// Everything the child side reads, prepared (and allocated) before fork.
pub struct Prepared<'a> {
    /// The program, looked up on `PATH`.
    pub program: &'a CStr,
    /// Its argv, argv\[0\] first.
    pub argv: CStrArray<'a>,
    /// The environment to exec with, or `None` to inherit pidone's as is.
    pub envp: Option<CStrArray<'a>>,
    /// Which `envp` entry is `LISTEN_PID=`, which the child replaces with
    /// its own pid (socket activation).
    pub listen_pid: Option<usize>,
    /// Supplementary groups, then (uid, gid), from `--user`.
    pub groups: Vec<Gid>,
    pub ids: Option<(Uid, Gid)>,
    /// The child's working directory (`--workdir`).
    pub workdir: Option<&'a CStr>,
    /// The signal mask pidone was started with, restored last.
    pub mask: Mask,
    /// Descriptors 0-2, if known to be open.
    pub standard: Option<Standard>,
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
pub fn child_side(prepared: Prepared<'_>, report: &OwnedFd) -> ! {
    let fail = |step: Step, errno: i32| -> ! {
        let mut bytes = [0u8; 8];
        let (first, second) = bytes.split_at_mut(4);
        first.copy_from_slice(&step.code().to_ne_bytes());
        second.copy_from_slice(&errno.to_ne_bytes());
        let _ = unistd::write(report, &bytes);
        sys::exit_now(127)
    };
    if let Some((uid, gid)) = prepared.ids {
        if let Err(e) = unistd::setgroups(&prepared.groups) {
            fail(Step::Groups, e as i32);
        }
        if let Err(e) = unistd::setresgid(gid, gid, gid) {
            fail(Step::Gid, e as i32);
        }
        if let Err(e) = unistd::setresuid(uid, uid, uid) {
            fail(Step::Uid, e as i32);
        }
    }
    if let Some(dir) = prepared.workdir {
        if let Err(e) = unistd::chdir(dir) {
            fail(Step::Workdir, e as i32);
        }
    }
    // Cannot fail for a fresh child of ours (it is not a session leader).
    let _ = unistd::setpgid(Pid::from_raw(0), Pid::from_raw(0));
    // Claim the terminal's foreground so Ctrl-C in `docker run -it` reaches
    // the app. ENOTTY (stdin is no terminal) is the usual case, and a
    // terminal we cannot claim is no reason not to run the app.
    if let Some(standard) = prepared.standard {
        let _ = unistd::tcsetpgrp(standard.fd(libc::STDIN_FILENO), unistd::getpgrp());
    }
    // The child's own pid, for socket activation: known only now, where
    // nothing may allocate, so it is written into a buffer on this stack.
    let mut listen_pid = [0u8; LISTEN_PID_SIZE];
    let mut envp = prepared.envp;
    if let (Some(envp), Some(index)) = (envp.as_mut(), prepared.listen_pid) {
        let entry = write_listen_pid(&mut listen_pid, unistd::getpid().as_raw());
        envp.replace(index, entry);
    }
    // A failure here would leave every signal blocked in the app: report it
    // like an exec error rather than exec anyway.
    if let Err(e) = signals::set_mask(prepared.mask) {
        fail(Step::Exec, e.raw_os_error().unwrap_or(0));
    }
    let err = sys::exec(prepared.program, &prepared.argv, envp.as_ref());
    fail(
        Step::Exec,
        err.raw_os_error().unwrap_or(Errno::EINVAL as i32),
    )
}

/// `LISTEN_PID=PID` in BUF, as a C string. Async-signal-safe: no
/// allocation, no formatting machinery.
fn write_listen_pid(buf: &mut [u8; LISTEN_PID_SIZE], pid: libc::pid_t) -> &CStr {
    let mut digits = [0u8; 10];
    let digits = crate::text::number::decimal(u32::try_from(pid).unwrap_or(0), &mut digits);
    let (prefix, rest) = buf.split_at_mut(LISTEN_PID_PREFIX.len());
    prefix.copy_from_slice(LISTEN_PID_PREFIX);
    // Room for ten digits and the NUL.
    rest.fill(0);
    for (slot, &digit) in rest.iter_mut().zip(digits) {
        *slot = digit;
    }
    CStr::from_bytes_until_nul(buf).unwrap_or(c"LISTEN_PID=")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_pid_is_written_in_decimal_and_terminated() {
        let table = [
            (1, c"LISTEN_PID=1"),
            (42, c"LISTEN_PID=42"),
            (i32::MAX, c"LISTEN_PID=2147483647"),
        ];
        for (pid, want) in table {
            let mut buf = [b'x'; LISTEN_PID_SIZE];
            assert_eq!(write_listen_pid(&mut buf, pid), want);
        }
    }

    #[test]
    fn steps_survive_the_report() {
        for step in [
            Step::Exec,
            Step::Groups,
            Step::Gid,
            Step::Uid,
            Step::Workdir,
        ] {
            assert_eq!(Step::from_code(step.code()), step);
        }
        assert_eq!(Step::from_code(99), Step::Exec);
    }
}
