//! The event loop: owns the signalfd once the child exists, forwards every
//! signal (after `--rewrite`), reaps on SIGCHLD, enforces `--kill-after`
//! and `--stop-after`, and returns when the main child is gone (or, with
//! `--pause`, when SIGTERM or SIGINT arrives).
//!
//! This is the part of pidone that runs after the child exists, so it must
//! never return an error or panic: a PID 1 that exits takes the whole
//! container down. Every failure in here is logged and survived, and none
//! may leave pidone blocked while a child waits to be reaped.

use std::time::{Duration, Instant};

use log::{debug, info, warn};

use crate::os::signals::{self, Batch, Received, SignalFd};
use crate::run::reaper;
use crate::run::retry::Retry;
use crate::run::tally::{Run, Source, Stop};
use crate::text::duration;
use crate::text::fate::Fate;
use crate::text::rewrite::Rewrite;
use crate::text::signame::Name;

/// The running main child and how to treat it.
pub struct Supervisor {
    /// Receives every signal sent to pidone.
    pub signals: SignalFd,
    /// The main child's pid (also its process group id); `None` in
    /// `--pause` mode.
    pub child: Option<libc::pid_t>,
    /// Forward to the child's whole process group.
    pub process_group: bool,
    /// Log reaped orphans at warn.
    pub warn_on_reap: bool,
    /// Which signal to forward for each one received.
    pub rewrite: Rewrite,
    /// SIGKILL the child this long after forwarding a terminating signal.
    pub kill_after: Option<Duration>,
    /// `--stop-after`: when to act as if the stop signal had arrived.
    pub stop_at: Option<Instant>,
    /// `--stop-signal`: the signal `--stop-after` acts as.
    pub stop_signal: i32,
}

/// Why the loop ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The main child ended this way (its raw wait status).
    Child(i32),
    /// `--pause` was ended by this signal (SIGTERM or SIGINT).
    Paused(i32),
}

/// The signals that ask a process to end; `--kill-after` starts counting
/// when pidone receives one of them (and forwards something for it).
pub const TERMINATING: [i32; 4] = [libc::SIGTERM, libc::SIGINT, libc::SIGQUIT, libc::SIGHUP];

/// Whether SIGNO from SOURCE asks the child to stop: a terminating signal,
/// or whatever `--stop-signal` is when `--stop-after` acts (httpd's
/// STOPSIGNAL is SIGWINCH: a drill of it must still count as a stop and
/// start `--kill-after`).
fn is_stop(signo: i32, source: Source) -> bool {
    source == Source::StopAfter || TERMINATING.contains(&signo)
}

/// The deadlines the loop may sleep until, none of them periodic.
#[derive(Default)]
struct Deadlines {
    /// `--kill-after`, once a stop was forwarded.
    kill: Option<Instant>,
    /// `--stop-after`, until it acts.
    stop: Option<Instant>,
    /// The next reaping pass after one failed.
    reap: Option<Instant>,
}

impl Deadlines {
    /// The earliest one.
    fn next(&self) -> Option<Instant> {
        [self.kill, self.stop, self.reap]
            .into_iter()
            .flatten()
            .min()
    }
}

impl Supervisor {
    /// Runs until the main child has exited and been reaped (or `--pause`
    /// ends), tallying what the report says in RUN. Blocks in `read`
    /// between events; the only timeouts ever set are pending deadlines
    /// (`--kill-after`, `--stop-after`, a reaping pass to try again), so an
    /// idle pidone never wakes.
    pub fn run(&self, run: &mut Run) -> Outcome {
        let mut batch = Batch::new();
        let mut due = Deadlines {
            stop: self.stop_at,
            ..Deadlines::default()
        };
        let mut reaping = Retry::new("reap exited children");
        let mut reading = Retry::new("read signals");
        loop {
            let next = due.next();
            let timeout = next.map(|d| d.saturating_duration_since(Instant::now()));
            match self.signals.wait(&mut batch, timeout) {
                Ok(()) => reading.succeeded(),
                Err(err) => {
                    // Back off rather than spin, and reap meanwhile: the
                    // SIGCHLD that says a child exited may be what cannot
                    // be read.
                    signals::sleep(reading.failed(&err));
                    if let Some(outcome) = self.reap(run, &mut reaping, &mut due) {
                        return outcome;
                    }
                    continue;
                }
            }
            // The clock only when a deadline is set: most runs have none.
            let now = next.map(|_| Instant::now());
            let passed = |deadline: Option<Instant>| deadline.zip(now).is_some_and(|(d, n)| n >= d);
            if passed(due.reap) {
                due.reap = None;
                if let Some(outcome) = self.reap(run, &mut reaping, &mut due) {
                    return outcome;
                }
            }
            if passed(due.kill) {
                due.kill = None;
                if let Some(stop) = run.stop.as_mut() {
                    stop.kill_after_fired = true;
                }
                self.kill_after_expired();
            }
            if passed(due.stop) {
                due.stop = None;
                info!(
                    "--stop-after: acting as if {} had arrived",
                    Name(self.stop_signal)
                );
                let stop = Received {
                    signo: self.stop_signal,
                    sender: 0,
                };
                if let Some(outcome) = self.handle(stop, Source::StopAfter, run, &mut due) {
                    return outcome;
                }
            }
            for received in batch.iter() {
                let outcome = if received.signo == libc::SIGCHLD {
                    self.reap(run, &mut reaping, &mut due)
                } else {
                    self.handle(*received, Source::External, run, &mut due)
                };
                if let Some(outcome) = outcome {
                    return outcome;
                }
            }
        }
    }

    /// Reaps every exited child; the outcome once the main child is among
    /// them. A pass that fails is tried again after a back-off (see
    /// `retry`), never left for a SIGCHLD that was already read.
    fn reap(&self, run: &mut Run, retry: &mut Retry, due: &mut Deadlines) -> Option<Outcome> {
        let drain = reaper::reap_all(self.child, self.warn_on_reap);
        run.orphans_reaped += drain.orphans;
        match &drain.failed {
            Some(err) => due.reap = Some(Instant::now() + retry.failed(err)),
            None => retry.succeeded(),
        }
        let status = drain.main?;
        run.child_ended = run.now();
        run.core_dumped = libc::WIFSIGNALED(status) && libc::WCOREDUMP(status);
        if let Some(child) = self.child {
            info!("child {child} {}", Fate::from_raw(status));
        }
        Some(Outcome::Child(status))
    }

    /// Acts on one signal RECEIVED from SOURCE (never SIGCHLD): forwards it,
    /// or in `--pause` may end the pause. Returns the outcome once the loop
    /// is over.
    fn handle(
        &self,
        received: Received,
        source: Source,
        run: &mut Run,
        due: &mut Deadlines,
    ) -> Option<Outcome> {
        let signo = received.signo;
        let to = self.rewrite.apply(signo);
        let stop = is_stop(signo, source);
        if stop && run.stop.is_none() {
            run.stop = Some(Stop {
                signal: signo,
                sent: to,
                source,
                at: Instant::now(),
                kill_after_fired: false,
            });
        }
        if self.child.is_none() {
            if [libc::SIGTERM, libc::SIGINT].contains(&signo) {
                info!("pause ended by {}", Name(signo));
                return Some(Outcome::Paused(signo));
            }
            info!("pause: ignoring {}", Name(signo));
            return None;
        }
        let Some(to) = to else {
            debug!(
                "dropped {} from pid {} (--rewrite)",
                Name(signo),
                received.sender
            );
            return None;
        };
        self.forward(received, to);
        run.signals_forwarded += 1;
        if due.kill.is_none() && stop {
            due.kill = self.kill_after.map(|after| Instant::now() + after);
        }
        None
    }

    /// Where signals go: the child, or its process group with `-g`.
    fn target(&self) -> Option<(libc::pid_t, &'static str, libc::pid_t)> {
        let child = self.child?;
        Some(if self.process_group {
            (-child, "process group", child)
        } else {
            (child, "child", child)
        })
    }

    /// Forwards RECEIVED, rewritten as TO, to the child or its group. A
    /// failure is logged, never fatal: "there is nothing we can do if we
    /// fail to forward the signal".
    fn forward(&self, received: Received, to: i32) {
        let Some((target, whom, child)) = self.target() else {
            return;
        };
        let what = Rewritten(received.signo, to);
        match signals::send(target, to) {
            Ok(()) => debug!(
                "forwarded {what} from pid {} to {whom} {child}",
                received.sender
            ),
            Err(err) => warn!("failed to forward {what} to {whom} {child}: {err}"),
        }
    }

    /// `--kill-after` ran out: SIGKILL the child (or its group).
    fn kill_after_expired(&self) {
        let (Some((target, whom, child)), Some(after)) = (self.target(), self.kill_after) else {
            return;
        };
        warn!(
            "{whom} {child} did not exit within {} of a terminating signal (--kill-after): sending SIGKILL",
            duration::show(after)
        );
        if let Err(err) = signals::send(target, libc::SIGKILL) {
            warn!("failed to send SIGKILL to {whom} {child}: {err}");
        }
    }
}

/// A forwarded signal as the log names it: `SIGTERM`, or `SIGTERM as
/// SIGQUIT` when `--rewrite` changed it. Formatted only if the line is
/// logged.
struct Rewritten(i32, i32);

impl std::fmt::Display for Rewritten {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Rewritten(from, to) = *self;
        if from == to {
            write!(f, "{}", Name(from))
        } else {
            write!(f, "{} as {}", Name(from), Name(to))
        }
    }
}
