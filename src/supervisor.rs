//! The event loop: owns the signalfd once the child exists, forwards every
//! signal, reaps on SIGCHLD, and returns when the main child is gone.
//!
//! This is the part of pidone that runs after the child exists, so it must
//! never return an error or panic: a PID 1 that exits takes the whole
//! container down. Every failure in here is logged and survived.

use log::{debug, info, warn};

use crate::exit_status::Fate;
use crate::reaper;
use crate::signals::{self, Received, SignalFd};
use crate::signame::Name;

/// The running main child and how to treat it.
pub struct Supervisor {
    /// Receives every signal sent to pidone.
    pub signals: SignalFd,
    /// The main child's pid; also its process group id.
    pub child: libc::pid_t,
    /// Forward to the child's whole process group.
    pub process_group: bool,
    /// Log reaped orphans at warn.
    pub warn_on_reap: bool,
}

impl Supervisor {
    /// Runs until the main child has exited and been reaped; returns how it
    /// ended. Blocks in `read` between events: no timers, no wake-ups.
    pub fn run(self) -> Fate {
        let mut batch = Vec::with_capacity(32);
        loop {
            batch.clear();
            if let Err(err) = self.signals.wait(&mut batch) {
                // Nothing sensible to do but try again; say so once per
                // failure rather than dying.
                warn!("failed to read signals: {err}");
                continue;
            }
            for received in &batch {
                if received.signo == libc::SIGCHLD {
                    if let Some(status) = reaper::reap_all(self.child, self.warn_on_reap) {
                        let fate = Fate::from_raw(status);
                        info!("child {} {fate}", self.child);
                        return fate;
                    }
                } else {
                    self.forward(*received);
                }
            }
        }
    }

    /// Forwards one signal to the child (or its group). A failure is
    /// logged, never fatal: "there is nothing we can do if we fail to
    /// forward the signal".
    fn forward(&self, received: Received) {
        let Received { signo, sender } = received;
        let (target, whom) = if self.process_group {
            (-self.child, "process group")
        } else {
            (self.child, "child")
        };
        match signals::send(target, signo) {
            Ok(()) => debug!(
                "forwarded {} from pid {sender} to {whom} {}",
                Name(signo),
                self.child
            ),
            Err(err) => warn!(
                "failed to forward {} to {whom} {}: {err}",
                Name(signo),
                self.child
            ),
        }
    }
}
