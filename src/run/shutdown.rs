//! Whole-tree shutdown: once the main child has exited, every process it
//! left behind gets SIGTERM, a grace period to finish, then SIGKILL; pidone
//! reaps them all and only then exits with the main child's status.
//!
//! tini and catatonit simply exit, and the kernel SIGKILLs everything left
//! in the namespace at once: a background job that was writing a file is
//! cut off mid-write. This module never fails and never blocks without a
//! deadline; it only logs.
//!
//! SIGTERM always comes with a SIGCONT, so that a stopped leftover can act
//! on it (a stopped process only ever reacts to SIGKILL and SIGCONT).
//!
//! As PID 1, "everything left" is every other process in the namespace
//! (`kill(-1, …)` reaches exactly those, atomically). As a subreaper (or a
//! plain process) it is pidone's own descendants, found from `/proc`.

use std::time::{Duration, Instant};

use log::{debug, info, warn};

use crate::os::procfs;
use crate::os::signals::{self, Batch, SignalFd};
use crate::run::reaper;
use crate::run::supervisor::TERMINATING;
use crate::run::tally::{GraceRule, Leftovers};
use crate::text::duration;
use crate::text::signame::Name;

/// How long to wait for SIGKILLed processes to be reaped before giving up
/// (a process stuck in uninterruptible sleep cannot die until it wakes).
const KILL_WAIT: Duration = Duration::from_secs(5);

/// How often to look again for leftovers that are not our children: they
/// send us no SIGCHLD when they exit (see [`all_gone`]).
const RECHECK: Duration = Duration::from_millis(50);

/// Terminates and reaps every leftover process (see the module docs),
/// giving them GRACE (chosen by RULE), and says what became of them. Every
/// process reaped on the way is counted in REAPED.
///
/// During a stop (RULE is [`GraceRule::Stop`]) a second terminating signal
/// from outside ends the grace at once: the one who stopped us wants us
/// gone now.
pub fn leftovers(
    signals: &SignalFd,
    (grace, rule): (Duration, GraceRule),
    pid1: bool,
    warn_on_reap: bool,
    reaped: &mut u64,
) -> Leftovers {
    let mut tree = Tree {
        signals,
        pid1,
        warn_on_reap,
        reaped,
        hurry: rule == GraceRule::Stop,
    };
    let counted = |found, exited_in_grace, killed| Leftovers {
        found,
        exited_in_grace,
        killed,
        grace,
        rule,
    };
    if tree.all_gone().0 {
        return counted(0, 0, 0);
    }
    let first = if grace.is_zero() {
        libc::SIGKILL
    } else {
        libc::SIGTERM
    };
    let count = signal_all(first, pid1);
    let found = count.unwrap_or(0);
    let many = Count(count, "the");
    if grace.is_zero() {
        info!("main child gone: sent SIGKILL to {many} leftover processes (--grace 0)");
        tree.wait_until_gone(KILL_WAIT);
        return counted(found, 0, found);
    }
    info!(
        "main child gone: sent SIGTERM to {many} leftover processes, waiting up to {}",
        duration::show(grace)
    );
    if tree.wait_until_gone(grace) {
        info!("all {many} leftover processes exited within the grace period");
        return counted(found, found, 0);
    }
    // Nothing may cut the wait for the SIGKILLed: they cannot delay it.
    tree.hurry = false;
    let killed = signal_all(libc::SIGKILL, pid1);
    let shown = Count(killed, "some");
    info!(
        "{shown} of {many} leftover processes did not exit within {}: sent SIGKILL",
        duration::show(grace)
    );
    if !tree.wait_until_gone(KILL_WAIT) {
        warn!(
            "leftover processes survived SIGKILL for {}s; exiting anyway",
            KILL_WAIT.as_secs()
        );
    }
    let killed = killed.unwrap_or(0).min(found);
    counted(found, found - killed, killed)
}

/// A count for the log, or WORD when `/proc` could not tell it.
struct Count(Option<usize>, &'static str);

impl std::fmt::Display for Count {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(n) => write!(f, "{n}"),
            None => f.write_str(self.1),
        }
    }
}

/// The leftovers being shut down, and the count of those reaped.
struct Tree<'a> {
    signals: &'a SignalFd,
    pid1: bool,
    warn_on_reap: bool,
    reaped: &'a mut u64,
    /// Whether a terminating signal from outside ends the wait.
    hurry: bool,
}

impl Tree<'_> {
    /// Reaps what exited, then says whether every leftover is gone, and
    /// whether to look again soon rather than wait for a SIGCHLD: what
    /// remains are only processes that are not our children, or reaping
    /// failed.
    ///
    /// No children left means no descendants left. But as PID 1, processes can
    /// also enter the namespace from outside (`docker exec`, `kubectl exec`,
    /// `nsenter`): their parent is the runtime, not us, yet they are ours to
    /// shut down, and the contract says every other process in the namespace.
    fn all_gone(&mut self) -> (bool, bool) {
        let pid1 = self.pid1;
        let drain = reaper::reap_all(None, self.warn_on_reap);
        *self.reaped += drain.orphans;
        if let Some(err) = &drain.failed {
            // No SIGCHLD may come for what is left to reap: look again soon.
            debug!("failed to reap leftovers: {err}");
            return (false, true);
        }
        if !drain.none_left {
            return (false, false);
        }
        let me = i32::try_from(std::process::id()).unwrap_or(0);
        let strangers =
            pid1 && process_table(me).is_some_and(|table| table.iter().any(|(pid, _)| *pid != me));
        (!strangers, strangers)
    }

    /// Reaps until every leftover is gone or TIMEOUT passes, waking on
    /// signals (SIGCHLD) or the deadline. Only while the processes left are
    /// not our children, which exit without telling us, or while reaping
    /// fails, does it look again every [`RECHECK`]: a bounded wait at
    /// shutdown, never while pidone is idle. Returns whether all are gone.
    fn wait_until_gone(&mut self, timeout: Duration) -> bool {
        // Set after the first look: most runs leave nothing behind and then
        // never read the clock.
        let mut deadline = None;
        let mut batch = Batch::new();
        loop {
            let (gone, look_soon) = self.all_gone();
            if gone {
                return true;
            }
            let now = Instant::now();
            let deadline = *deadline.get_or_insert(now + timeout);
            let left = deadline.saturating_duration_since(now);
            if left.is_zero() {
                return false;
            }
            let wait = if look_soon { left.min(RECHECK) } else { left };
            if let Err(err) = self.signals.wait(&mut batch, Some(wait)) {
                warn!("failed to read signals: {err}");
                return false;
            }
            for received in batch.iter().filter(|r| r.signo != libc::SIGCHLD) {
                if self.hurry && TERMINATING.contains(&received.signo) {
                    info!(
                        "{} during the stop's grace: not waiting any longer",
                        Name(received.signo)
                    );
                    return false;
                }
                debug!(
                    "ignoring {} during shutdown: the main child is gone",
                    Name(received.signo)
                );
            }
        }
    }
}

/// Sends SIG to every leftover process; returns how many there were, when
/// `/proc` can tell.
///
/// SIGTERM is followed by SIGCONT, as systemd does: a stopped process
/// (SIGSTOP, a shell job suspended with Ctrl-Z, a debugger's) cannot act on
/// SIGTERM until it runs again, and would sit out the whole grace period
/// and be SIGKILLed with its clean-up never run.
fn signal_all(sig: i32, pid1: bool) -> Option<usize> {
    let me = i32::try_from(std::process::id()).unwrap_or(0);
    let table = process_table(me);
    let sigs: &[i32] = if sig == libc::SIGTERM {
        &[libc::SIGTERM, libc::SIGCONT]
    } else {
        &[sig]
    };
    if pid1 {
        // Everyone in the namespace but us, atomically: no fork escapes.
        for &sig in sigs {
            if let Err(err) = signals::send(-1, sig) {
                debug!("kill(-1, {}): {err}", Name(sig));
            }
        }
        return table.map(|t| t.iter().filter(|(pid, _)| *pid != me).count());
    }
    let targets = descendants(me, &table?);
    for &sig in sigs {
        for &pid in &targets {
            if let Err(err) = signals::send(pid, sig) {
                debug!("failed to send {} to {pid}: {err}", Name(sig));
            }
        }
    }
    Some(targets.len())
}

/// Every (pid, parent pid) in `/proc`, or `None` when `/proc` is not this
/// PID namespace's (its `self` is not us) or cannot be read.
fn process_table(me: i32) -> Option<Vec<(i32, i32)>> {
    if procfs::stat_ppid("self")?.0 != me {
        return None;
    }
    let (pids, _) = procfs::numeric_entries(c"/proc")?;
    Some(
        pids.into_iter()
            .filter_map(|pid| procfs::stat_ppid(&pid.to_string()))
            .collect(),
    )
}

/// Every descendant of ME in TABLE, children first.
fn descendants(me: i32, table: &[(i32, i32)]) -> Vec<i32> {
    let mut found = vec![me];
    let mut i = 0;
    while let Some(&parent) = found.get(i) {
        found.extend(
            table
                .iter()
                .filter(|(pid, ppid)| *ppid == parent && *pid != me)
                .map(|(pid, _)| *pid),
        );
        i += 1;
    }
    found.remove(0);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_all_descendants_and_nothing_else() {
        // 10 is us; 11 and 12 our children; 13 a grandchild; 20 a stranger
        // with its own child 21.
        let table = [
            (1, 0),
            (10, 1),
            (11, 10),
            (12, 10),
            (13, 11),
            (20, 1),
            (21, 20),
        ];
        let mut found = descendants(10, &table);
        found.sort_unstable();
        assert_eq!(found, vec![11, 12, 13]);
        assert!(descendants(13, &table).is_empty());
    }
}
