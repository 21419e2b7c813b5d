//! The event loop: owns the signalfd once the child exists, forwards every
//! signal (after `--rewrite`), reaps on SIGCHLD, enforces `--kill-after`,
//! and returns when the main child is gone (or, with `--pause`, when
//! SIGTERM or SIGINT arrives).
//!
//! This is the part of pidone that runs after the child exists, so it must
//! never return an error or panic: a PID 1 that exits takes the whole
//! container down. Every failure in here is logged and survived.

use std::time::{Duration, Instant};

use log::{debug, info, warn};

use crate::exit_status::Fate;
use crate::reaper;
use crate::report::{Run, Source, Stop};
use crate::rewrite::Rewrite;
use crate::signals::{self, Batch, Received, SignalFd};
use crate::signame::Name;

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
    /// The main child ended this way.
    Child(Fate),
    /// `--pause` was ended by this signal (SIGTERM or SIGINT).
    Paused(i32),
}

/// The signals that ask a process to end; `--kill-after` starts counting
/// when pidone receives one of them (and forwards something for it).
pub const TERMINATING: [i32; 4] = [libc::SIGTERM, libc::SIGINT, libc::SIGQUIT, libc::SIGHUP];

/// Whether SIGNO from SOURCE asks the child to stop: a terminating signal,
/// or whatever `--stop-signal` is when `--stop-after` acts. A stop signal
/// outside [`TERMINATING`] (httpd's STOPSIGNAL is SIGWINCH) used to leave
/// the report's `stop` null and never start `--kill-after`, so a drill of
/// an app that ignored it hung for good.
fn is_stop(signo: i32, source: Source) -> bool {
    source == Source::StopAfter || TERMINATING.contains(&signo)
}

impl Supervisor {
    /// Runs until the main child has exited and been reaped (or `--pause`
    /// ends), tallying what the report says in RUN. Blocks in `read`
    /// between events; the only timeouts ever set are a pending
    /// `--kill-after` or `--stop-after` deadline, so an idle pidone never
    /// wakes.
    pub fn run(&self, run: &mut Run) -> Outcome {
        let mut batch = Batch::new();
        let mut kill_deadline: Option<Instant> = None;
        let mut stop_at = self.stop_at;
        loop {
            let next = match (kill_deadline, stop_at) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let timeout = next.map(|d| d.saturating_duration_since(Instant::now()));
            if let Err(err) = self.signals.wait(&mut batch, timeout) {
                warn!("failed to read signals: {err}");
                continue;
            }
            // The clock only when a deadline is set: most runs have none,
            // and never read it (see `report::Run::new`).
            let now = next.map(|_| Instant::now());
            let due =
                |deadline: Option<Instant>| deadline.zip(now).is_some_and(|(d, now)| now >= d);
            if due(kill_deadline) {
                kill_deadline = None;
                if let Some(stop) = run.stop.as_mut() {
                    stop.kill_after_fired = true;
                }
                self.kill_after_expired();
            }
            if due(stop_at) {
                stop_at = None;
                info!(
                    "--stop-after: acting as if {} had arrived",
                    Name(self.stop_signal)
                );
                let stop = Received {
                    signo: self.stop_signal,
                    sender: 0,
                };
                if let Some(outcome) = self.handle(stop, Source::StopAfter, run, &mut kill_deadline)
                {
                    return outcome;
                }
            }
            for received in batch.iter() {
                if let Some(outcome) =
                    self.handle(*received, Source::External, run, &mut kill_deadline)
                {
                    return outcome;
                }
            }
        }
    }

    /// Acts on one signal RECEIVED from SOURCE: SIGCHLD reaps, anything
    /// else is forwarded (or, in `--pause`, may end the pause). Returns the
    /// outcome once the loop is over.
    fn handle(
        &self,
        received: Received,
        source: Source,
        run: &mut Run,
        kill_deadline: &mut Option<Instant>,
    ) -> Option<Outcome> {
        if received.signo == libc::SIGCHLD {
            let drain = reaper::reap_all(self.child, self.warn_on_reap);
            run.orphans_reaped += drain.orphans;
            let status = drain.main?;
            let fate = Fate::from_raw(status);
            run.child_ended = run.now();
            run.core_dumped = libc::WIFSIGNALED(status) && libc::WCOREDUMP(status);
            if let Some(child) = self.child {
                info!("child {child} {fate}");
            }
            return Some(Outcome::Child(fate));
        }
        self.note_stop(run, received.signo, source);
        if self.child.is_none() {
            if [libc::SIGTERM, libc::SIGINT].contains(&received.signo) {
                info!("pause ended by {}", Name(received.signo));
                return Some(Outcome::Paused(received.signo));
            }
            info!("pause: ignoring {}", Name(received.signo));
            return None;
        }
        if !self.forward(received) {
            return None;
        }
        run.signals_forwarded += 1;
        if kill_deadline.is_none() && is_stop(received.signo, source) {
            *kill_deadline = self.kill_after.map(|after| Instant::now() + after);
        }
        None
    }

    /// Records the run's first stop (see [`is_stop`]): SIGNO from SOURCE, now.
    fn note_stop(&self, run: &mut Run, signo: i32, source: Source) {
        if run.stop.is_none() && is_stop(signo, source) {
            run.stop = Some(Stop {
                signal: signo,
                source,
                at: Instant::now(),
                kill_after_fired: false,
            });
        }
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

    /// Forwards one signal (rewritten) to the child or its group. Returns
    /// whether anything was sent. A failure is logged, never fatal: "there
    /// is nothing we can do if we fail to forward the signal".
    fn forward(&self, received: Received) -> bool {
        let Received { signo, sender } = received;
        let Some((target, whom, child)) = self.target() else {
            return false;
        };
        let Some(to) = self.rewrite.apply(signo) else {
            debug!("dropped {} from pid {sender} (--rewrite)", Name(signo));
            return false;
        };
        let what = Rewritten(signo, to);
        match signals::send(target, to) {
            Ok(()) => debug!("forwarded {what} from pid {sender} to {whom} {child}"),
            Err(err) => warn!("failed to forward {what} to {whom} {child}: {err}"),
        }
        true
    }

    /// `--kill-after` ran out: SIGKILL the child (or its group).
    fn kill_after_expired(&self) {
        let (Some((target, whom, child)), Some(after)) = (self.target(), self.kill_after) else {
            return;
        };
        warn!(
            "{whom} {child} did not exit within {} of a terminating signal (--kill-after): sending SIGKILL",
            crate::duration::show(after)
        );
        if let Err(err) = signals::send(target, libc::SIGKILL) {
            warn!("failed to send SIGKILL to {whom} {child}: {err}");
        }
    }
}

/// A forwarded signal as the log names it: `SIGTERM`, or `SIGTERM as
/// SIGQUIT` when `--rewrite` changed it. Formatted only if the line is
/// logged: forwarding is the hot path, and it used to build a String for
/// every signal, logged or not.
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
