//! The signal mask, the one signalfd, and forwarding.
//!
//! We speak to the kernel in raw 64-bit masks and raw signal numbers on
//! purpose (the raw calls themselves live in `sys`). The C libraries hide
//! signals 32-34 (musl's `sigfillset` leaves them out and its `sigaddset`
//! refuses them), and nix cannot represent real-time signals at all, so an
//! init built on either is killed by `kill -33` and cannot forward
//! `RTMIN+1`.
//!
//! This module must never change a signal's disposition in pidone itself:
//! dispositions survive `exec`, and the child must start with the ones
//! pidone inherited.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::Duration;

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

use crate::os::sys;
pub use crate::os::sys::Mask;

/// Blocks every signal and returns the mask pidone was started with.
///
/// Blocked signals stay pending until the signalfd reads them, which also
/// works at PID 1 where the kernel would otherwise drop signals that have no
/// handler. Fault signals are blocked too: a real fault is forced through
/// the mask by the kernel and still kills us, while a `kill -SEGV` sent by a
/// person is forwarded instead of killing the init.
pub fn block_all() -> io::Result<Mask> {
    sys::sigprocmask(libc::SIG_BLOCK, sys::ALL)
}

/// Sets the calling thread's mask to MASK. Async-signal-safe: the child
/// calls it between `fork` and `exec`, as the last step before `exec`, so
/// that the app starts with exactly the mask pidone was given.
pub fn set_mask(mask: Mask) -> io::Result<()> {
    sys::sigprocmask(libc::SIG_SETMASK, mask).map(drop)
}

/// One signal read from the signalfd.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Received {
    /// The raw signal number (1-64).
    pub signo: i32,
    /// The pid that sent it (0 for the kernel).
    pub sender: u32,
}

/// The signals one read returned: at most [`sys::SIGNALS_PER_READ`], held
/// in place (the event loop reads into it for as long as pidone runs, and
/// needs no allocation for that).
pub struct Batch {
    received: [Received; sys::SIGNALS_PER_READ],
    len: usize,
}

impl Batch {
    /// An empty batch.
    pub fn new() -> Batch {
        let none = Received {
            signo: 0,
            sender: 0,
        };
        Batch {
            received: [none; sys::SIGNALS_PER_READ],
            len: 0,
        }
    }

    /// The signals, in the order read.
    pub fn iter(&self) -> impl Iterator<Item = &Received> {
        self.received.iter().take(self.len)
    }

    /// Empties the batch.
    fn clear(&mut self) {
        self.len = 0;
    }

    /// Appends RECEIVED (a read never returns more than fits).
    fn push(&mut self, received: Received) {
        if let Some(slot) = self.received.get_mut(self.len) {
            *slot = received;
            self.len += 1;
        }
    }
}

/// The one signalfd, receiving every signal 1-64.
pub struct SignalFd(OwnedFd);

impl SignalFd {
    /// Opens a close-on-exec signalfd for every signal. The signals must
    /// already be blocked (see [`block_all`]), or they would be delivered
    /// the ordinary way instead.
    pub fn new() -> io::Result<Self> {
        sys::signalfd(sys::ALL).map(SignalFd)
    }

    /// The descriptor, so pidone can keep it when it closes the rest.
    pub fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }

    /// Blocks until at least one signal is pending, then puts every signal
    /// read (up to 32 at a time) in OUT, emptied first. With no TIMEOUT it waits
    /// forever, so an idle pidone makes no wake-ups at all; with one, it
    /// returns with nothing appended once TIMEOUT has passed (a deadline
    /// such as `--kill-after` or the grace period, never a periodic tick).
    /// Retries on EINTR.
    ///
    /// A SIGPIPE that pidone raised itself is read and dropped here, never
    /// handed out: when nobody reads pidone's stderr any more, each log line
    /// fails with EPIPE and the kernel sends SIGPIPE to the writer, with
    /// pidone's own pid as the sender. Forwarded, it killed the app (141)
    /// for a pipe the app never touched, and at debug level each forward
    /// logged, failed and raised the next SIGPIPE: a loop at full CPU that
    /// flooded the app with SIGPIPE. So OUT may stay empty after a read.
    pub fn wait(&self, out: &mut Batch, timeout: Option<Duration>) -> io::Result<()> {
        out.clear();
        if let Some(timeout) = timeout {
            if !self.readable_within(timeout)? {
                return Ok(());
            }
        }
        let me = std::process::id();
        loop {
            let read = sys::read_signals(self.0.as_fd(), |signo, sender| {
                // Our own broken-pipe SIGPIPE (see above). Nobody else sends
                // with our pid; a `kill -PIPE` from outside still goes through.
                let signo = i32::try_from(signo).unwrap_or(0);
                if signo != libc::SIGPIPE || sender != me {
                    out.push(Received { signo, sender });
                }
            });
            match read {
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                other => return other,
            }
        }
    }

    /// Waits up to WITHIN for a signal to be pending.
    fn readable_within(&self, within: Duration) -> io::Result<bool> {
        let timeout = timeout(within);
        loop {
            let mut fds = [PollFd::new(self.0.as_fd(), PollFlags::POLLIN)];
            match poll(&mut fds, timeout) {
                Ok(n) => return Ok(n > 0),
                Err(nix::errno::Errno::EINTR) => continue,
                Err(err) => return Err(err.into()),
            }
        }
    }
}

/// Sleeps for D (rounded up to whole milliseconds); signals stay pending
/// meanwhile, as every one is blocked.
pub fn sleep(d: Duration) {
    let _ = poll(&mut [], timeout(d));
}

/// D as a poll timeout, rounded up to whole milliseconds so that a wait
/// never ends just before its deadline.
fn timeout(d: Duration) -> PollTimeout {
    // In u64: u128 arithmetic (Duration::as_millis) weighs on the size
    // budget.
    let millis = d
        .as_secs()
        .saturating_mul(1_000)
        .saturating_add(u64::from(d.subsec_nanos().div_ceil(1_000_000)));
    PollTimeout::try_from(millis).unwrap_or(PollTimeout::MAX)
}

/// Sends signal SIGNO to TARGET (a pid, or `-pgid` for a process group).
pub fn send(target: libc::pid_t, signo: i32) -> io::Result<()> {
    sys::kill(target, signo)
}
