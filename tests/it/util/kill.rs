//! The one way the tests send a signal to a process: [`kill`], through nix
//! wherever nix can name the signal. It depends on nothing else in the
//! harness, because the test child (tests/helper/) includes this very file
//! for its own `raise`, and must never grow a second copy.

use nix::errno::Errno;
use nix::sys::signal::{self, Signal};
use nix::unistd::Pid;

/// Sends signal number SIG to PID, as kill(2) does; the kernel's refusal
/// (ESRCH for a process that is gone, EINVAL for a number it does not
/// know) comes back as the error. The tests send signals by number
/// because they iterate over 1-64 and because pidone's contract is about
/// numbers.
pub fn kill(pid: i32, sig: i32) -> nix::Result<()> {
    match Signal::try_from(sig) {
        Ok(sig) => signal::kill(Pid::from_raw(pid), sig),
        Err(_) => {
            // nix's Signal has no real-time signals (32-64), and
            // `signal::kill` takes nothing else: those go raw.
            // SAFETY: kill(2) takes plain integers; no memory is involved.
            let rc = unsafe { libc::kill(pid, sig) };
            Errno::result(rc).map(drop)
        }
    }
}
