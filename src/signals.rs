//! The signal mask, the one signalfd, and forwarding: every raw signal
//! syscall pidone makes lives here.
//!
//! We speak to the kernel in raw 64-bit masks and raw signal numbers on
//! purpose. The C libraries hide signals 32–34 (musl's `sigfillset` leaves
//! them out and its `sigaddset` refuses them), and nix cannot represent
//! real-time signals at all, so an init built on either is killed by
//! `kill -33` and cannot forward `RTMIN+1`. The kernel reads the first 64
//! bits of a mask, so a `u64` with every bit set blocks everything it lets us
//! block (KILL and STOP are silently kept unblockable).
//!
//! This module must never change a signal's disposition in pidone itself:
//! dispositions survive `exec`, and the child must start with the ones
//! pidone inherited.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

/// A raw kernel signal mask: bit N-1 stands for signal N.
pub type Mask = u64;

/// Every signal 1–64.
const ALL: Mask = !0;

/// The size of a mask as the kernel's `rt_sigprocmask`/`signalfd4` want it.
const MASK_SIZE: libc::size_t = std::mem::size_of::<Mask>();

/// Size of one `struct signalfd_siginfo` record.
const SIGINFO_SIZE: usize = 128;

/// Blocks every signal and returns the mask pidone was started with.
///
/// Blocked signals stay pending until the signalfd reads them, which also
/// works at PID 1 where the kernel would otherwise drop signals that have no
/// handler. Fault signals are blocked too: a real fault is forced through
/// the mask by the kernel and still kills us, while a `kill -SEGV` sent by a
/// person is forwarded instead of killing the init.
pub fn block_all() -> io::Result<Mask> {
    let mut original: Mask = 0;
    // SAFETY: both pointers point to live, properly sized u64 masks and the
    // size argument says 8 bytes, which is what the kernel reads on x86_64.
    // The raw syscall (not libc's sigprocmask) is used because musl's
    // wrapper clears bits 32-34 of the old mask it returns.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_BLOCK,
            &ALL as *const Mask,
            &mut original as *mut Mask,
            MASK_SIZE,
        )
    };
    if rc == 0 {
        Ok(original)
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Sets the calling thread's mask to MASK.
///
/// Async-signal-safe (one raw syscall, no allocation): the child calls it
/// between `fork` and `exec`, as the last step before `exec`, so that the
/// app starts with exactly the mask pidone was given.
pub fn set_mask(mask: Mask) -> io::Result<()> {
    // SAFETY: the pointer points to a live u64 for the duration of the call;
    // the old-mask pointer is null, which the kernel accepts.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_SETMASK,
            &mask as *const Mask,
            std::ptr::null_mut::<Mask>(),
            MASK_SIZE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// One signal read from the signalfd.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Received {
    /// The raw signal number (1–64).
    pub signo: i32,
    /// The pid that sent it (0 for the kernel).
    pub sender: u32,
}

/// The one signalfd, receiving every signal 1–64.
pub struct SignalFd(OwnedFd);

impl SignalFd {
    /// Opens a close-on-exec signalfd for every signal. The signals must
    /// already be blocked (see [`block_all`]), or they would be delivered
    /// the ordinary way instead.
    pub fn new() -> io::Result<Self> {
        // SAFETY: the mask pointer points to a live u64 and the size says 8
        // bytes; fd -1 asks for a new descriptor. The raw syscall is used so
        // that signals 32-34 are included (libc's sigset_t helpers drop them).
        let fd = unsafe {
            libc::syscall(
                libc::SYS_signalfd4,
                -1,
                &ALL as *const Mask,
                MASK_SIZE,
                libc::SFD_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // File descriptors fit an i32; the kernel never returns more.
        let fd = fd as libc::c_int;
        // SAFETY: the kernel just handed us this descriptor; nothing else
        // owns it.
        Ok(SignalFd(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    /// Blocks until at least one signal is pending, then appends every
    /// signal read (up to 32 at a time) to OUT. With no TIMEOUT it waits
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
    pub fn wait(&self, out: &mut Vec<Received>, timeout: Option<Duration>) -> io::Result<()> {
        if let Some(timeout) = timeout {
            if !self.readable_within(timeout)? {
                return Ok(());
            }
        }
        let mut buf = [0u8; SIGINFO_SIZE * 32];
        let n = loop {
            // SAFETY: buf is a live, writable buffer of buf.len() bytes.
            let n = unsafe {
                libc::read(
                    self.0.as_raw_fd(),
                    buf.as_mut_ptr().cast::<libc::c_void>(),
                    buf.len(),
                )
            };
            if n >= 0 {
                // Non-negative, so the conversion cannot fail.
                break usize::try_from(n).unwrap_or(0);
            }
            let err = io::Error::last_os_error();
            if err.kind() != io::ErrorKind::Interrupted {
                return Err(err);
            }
        };
        // Each record is a struct signalfd_siginfo: ssi_signo (u32) at
        // offset 0 and ssi_pid (u32) at offset 12.
        for record in buf.get(..n).unwrap_or_default().chunks_exact(SIGINFO_SIZE) {
            let word = |at: usize| {
                let mut bytes = [0u8; 4];
                if let Some(field) = record.get(at..at + 4) {
                    bytes.copy_from_slice(field);
                }
                u32::from_ne_bytes(bytes)
            };
            let received = Received {
                signo: i32::try_from(word(0)).unwrap_or(0),
                sender: word(12),
            };
            // Our own broken-pipe SIGPIPE (see above). Nobody else sends
            // with our pid; a `kill -PIPE` from outside still goes through.
            if received.signo == libc::SIGPIPE && received.sender == std::process::id() {
                continue;
            }
            out.push(received);
        }
        Ok(())
    }
}

impl SignalFd {
    /// The descriptor number, so pidone can keep it when it closes the rest.
    pub fn raw_fd(&self) -> libc::c_int {
        self.0.as_raw_fd()
    }

    /// Waits up to TIMEOUT (rounded up to whole milliseconds, so we never
    /// wake just before a deadline) for a signal to be pending.
    fn readable_within(&self, timeout: Duration) -> io::Result<bool> {
        // In u64: u128 arithmetic (Duration::as_micros) pulls in 1 KB of
        // 128-bit division support.
        let millis = timeout
            .as_secs()
            .saturating_mul(1_000)
            .saturating_add(u64::from(timeout.subsec_nanos().div_ceil(1_000_000)));
        let millis = libc::c_int::try_from(millis).unwrap_or(libc::c_int::MAX);
        let mut fd = libc::pollfd {
            fd: self.0.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        loop {
            // SAFETY: fd is one live pollfd, and we pass a count of 1.
            let n = unsafe { libc::poll(&mut fd, 1, millis) };
            if n >= 0 {
                return Ok(n > 0);
            }
            let err = io::Error::last_os_error();
            if err.kind() != io::ErrorKind::Interrupted {
                return Err(err);
            }
        }
    }
}

/// Sends signal SIGNO to TARGET (a pid, or `-pgid` for a process group).
/// Raw `kill` because nix's version only takes the standard signals.
pub fn send(target: libc::pid_t, signo: i32) -> io::Result<()> {
    // SAFETY: kill has no memory preconditions.
    if unsafe { libc::kill(target, signo) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Asks the kernel to send SIGNO to pidone when its parent dies
/// (`PR_SET_PDEATHSIG`); like every signal, it is then forwarded.
pub fn set_parent_death_signal(signo: i32) -> io::Result<()> {
    let signo = libc::c_ulong::try_from(signo).map_err(|_| io::ErrorKind::InvalidInput)?;
    // SAFETY: prctl with PR_SET_PDEATHSIG takes plain integers.
    if unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, signo, 0, 0, 0) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}
