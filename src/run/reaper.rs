//! Reaping: collects every exited child, the main one and every orphan
//! re-parented to us, and keeps the main child's raw status.
//!
//! Raw `waitpid` (in `sys`), not nix's: nix returns EINVAL for a child
//! killed by a real-time signal *after* the kernel has reaped it, and its
//! status would be lost. This module never signals anyone and never blocks.

use log::{debug, warn};

use nix::sys::prctl;

use crate::os::sys;
use crate::text::fate::Fate;

/// What one drain found.
#[derive(Debug, Default)]
pub struct Drain {
    /// The raw status of the main child, if it was among the reaped.
    pub main: Option<i32>,
    /// How many other processes (orphans, leftovers) were reaped.
    pub orphans: u64,
    /// No children are left at all (ECHILD). Then no descendants are left
    /// either: every descendant's chain of parents passes through a child.
    pub none_left: bool,
    /// `waitpid` failed with something else than "no children": exited
    /// children may be left, and the caller must try again.
    pub failed: Option<std::io::Error>,
}

/// Reaps every child that has exited, without blocking, until none is left.
///
/// SIGCHLD coalesces (one may stand for a thousand deaths), so one signal
/// means "drain everything". MAIN is the main child's pid, if it still
/// runs. Orphans are logged at debug, or at warn with `warn_on_reap` (in
/// tini's words, so scripts written for tini keep working).
pub fn reap_all(main: Option<libc::pid_t>, warn_on_reap: bool) -> Drain {
    let mut drain = Drain::default();
    loop {
        match sys::waitpid(-1, libc::WNOHANG) {
            Ok(Some((pid, status))) => {
                if Some(pid) == main {
                    drain.main = Some(status);
                    continue;
                }
                drain.orphans += 1;
                if warn_on_reap {
                    warn!("Reaped zombie process with pid={pid}");
                } else {
                    debug!("reaped orphan {pid}: {}", Fate::from_raw(status));
                }
            }
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            // Children remain but none has exited.
            Ok(None) => return drain,
            Err(err) if err.raw_os_error() == Some(libc::ECHILD) => {
                drain.none_left = true;
                return drain;
            }
            Err(err) => {
                drain.failed = Some(err);
                return drain;
            }
        }
    }
}

/// Registers pidone as a child subreaper (`PR_SET_CHILD_SUBREAPER`), so
/// orphans among its descendants are re-parented to it rather than to the
/// host's init, and it can reap them when it is not PID 1.
pub fn become_subreaper() -> std::io::Result<()> {
    Ok(prctl::set_child_subreaper(true)?)
}

/// Whether pidone already is a child subreaper: a supervisor (or tini's
/// own test-suite proxy) may set the bit and then exec pidone, and the bit
/// survives exec. Unknown (the call failed) counts as no.
pub fn is_subreaper() -> bool {
    prctl::get_child_subreaper().unwrap_or(false)
}
