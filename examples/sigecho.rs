//! Says which signals reach it: `sigecho COUNT` prints
//! `sigecho: ready, pid N`, then `got S` for each of the next COUNT signals
//! it receives (any of 1-64 but KILL and STOP), and exits 0.
//!
//! Use it to see what your init passes on: `pidone -- sigecho 3`, then
//! `kill -s TERM`, `kill -n 37` and `kill -n 33` pidone from another shell.
//! scripts/arch-tests runs it under every architecture's pidone.
//!
//! Why not a shell with `trap`: sh and dash cannot name signals 32-34 or
//! most real-time ones, and the C libraries refuse to install handlers for
//! 32-34 at all (musl's `sigaction` and `sigaddset` return EINVAL). So it
//! blocks every signal with the raw system call, bits filled by hand, and
//! takes them one at a time with `rt_sigtimedwait`: no handler, no libc
//! filter.

use std::process::ExitCode;

/// All 64 signals, as the kernel reads a `sigset_t`: one bit per signal,
/// signal S at bit S-1. KILL and STOP are in it; the kernel ignores them.
const ALL: u64 = u64::MAX;
/// The kernel's sigset size in bytes (64 signals), for the raw calls.
const SIGSET_SIZE: usize = 8;

fn main() -> ExitCode {
    let Some(count) = std::env::args().nth(1).and_then(|c| c.parse::<u32>().ok()) else {
        eprintln!("sigecho: usage: sigecho COUNT (how many signals to echo before exiting 0)");
        return ExitCode::from(2);
    };
    let set = ALL;
    // SAFETY: `set` is a valid 8-byte signal set that outlives the call, the
    // old-set pointer may be null, and the size is the kernel's sigset size.
    let blocked = unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_BLOCK,
            &set as *const u64,
            std::ptr::null_mut::<u64>(),
            SIGSET_SIZE,
        )
    };
    if blocked != 0 {
        eprintln!(
            "sigecho: failed to block signals: {}",
            std::io::Error::last_os_error()
        );
        return ExitCode::from(1);
    }
    // Only now: a signal sent after this line is queued, never lost.
    println!("sigecho: ready, pid {}", std::process::id());
    let mut echoed = 0;
    while echoed < count {
        // SAFETY: `set` is valid as above; a null siginfo and a null timeout
        // (wait forever) are allowed.
        let signal = unsafe {
            libc::syscall(
                libc::SYS_rt_sigtimedwait,
                &set as *const u64,
                std::ptr::null_mut::<libc::siginfo_t>(),
                std::ptr::null::<libc::timespec>(),
                SIGSET_SIZE,
            )
        };
        if signal < 0 {
            let error = std::io::Error::last_os_error();
            // A stop and continue (SIGSTOP, then SIGCONT) interrupts the wait.
            if error.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            eprintln!("sigecho: failed to wait for a signal: {error}");
            return ExitCode::from(1);
        }
        // stdout is line-buffered: each line is out before the next wait.
        println!("got {signal}");
        echoed += 1;
    }
    ExitCode::SUCCESS
}
