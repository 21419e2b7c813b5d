//! The modes about receiving signals, and the one place that touches the
//! raw signal mask and the signalfd. Everything here must see all 64
//! signals exactly, 32 and 33 and the fault signals included, which is why
//! it does not use signal-hook (it refuses SIGILL, SIGFPE, SIGSEGV, KILL and
//! STOP, and libc reserves 32 and 33): the ordinary-application modes that
//! signal-hook fits live in leftovers.rs.
//!
//!   exit N             exit with code N
//!   raise SIG          unblock everything and kill itself with SIG (a number)
//!   pause              print `ready`, then wait for signals with default
//!                      dispositions (a TERM-ignoring app it is not: TERM kills)
//!   sleep SECS         sleep SECS seconds (fractions allowed) with default
//!                      dispositions and no output, like coreutils `sleep`:
//!                      the app with no signal handler of docs/pid1.md
//!   ignore-term        ignore SIGTERM, print `ready`, wait forever
//!   ack                block every signal, print `ready`, then print
//!                      `got N` for each signal N received, forever
//!   group              fork a grandchild in the same process group; both ack,
//!                      prefixing lines with `child`/`grandchild`; prints
//!                      `grandchild ready PID` and `child ready`
//!   count MARKER CODE  block every signal, print `ready`, count each signal
//!                      received until MARKER arrives, then print `count N K`
//!                      for every signal N received K times (MARKER included)
//!                      and exit with CODE

use std::ffi::c_int;
use std::time::Duration;

use crate::kill::kill;
use crate::{fail, say, Args};

/// Every signal 1-64, bit N-1 for signal N, as the kernel and /proc count.
pub const ALL: u64 = !0;

/// The kernel's sigset size (_NSIG / 8) on every Linux architecture we
/// build for: 64 signals, whatever size the C library's `sigset_t` has.
const KERNEL_SIGSET_SIZE: usize = 8;

/// Runs the mode if it is one of ours; false otherwise.
pub fn run(args: &Args) -> bool {
    match args.mode() {
        "exit" => std::process::exit(args.number(1)),
        "raise" => {
            set_mask(0);
            let _ = kill(std::process::id() as i32, args.number(1));
            fail("still alive after raise", 97);
        }
        "pause" => {
            die_with_parent();
            say("ready");
            wait_forever();
        }
        "sleep" => {
            let secs: f64 = args.text(1).parse().unwrap_or_else(|_| {
                fail(
                    &format!("sleep: bad number of seconds {:?}", args.text(1)),
                    2,
                )
            });
            // std's sleep restarts after EINTR, as coreutils `sleep` does.
            std::thread::sleep(Duration::from_secs_f64(secs));
        }
        "ignore-term" => {
            die_with_parent();
            ignore(libc::SIGTERM);
            say("ready");
            wait_forever();
        }
        "ack" => {
            die_with_parent();
            ack_forever("", "ready");
        }
        "group" => {
            die_with_parent();
            // SAFETY: single-threaded, so the child may run Rust code.
            if unsafe { libc::fork() } == 0 {
                die_with_parent();
                // SAFETY: no preconditions.
                let me = unsafe { libc::getpid() };
                ack_forever("grandchild ", &format!("grandchild ready {me}"));
            }
            ack_forever("child ", "child ready");
        }
        "count" => {
            die_with_parent();
            count_signals(args.number(1) as u32, args.number(2));
        }
        _ => return false,
    }
    true
}

/// Sets the signal mask to exactly MASK (bit N-1 for signal N).
pub fn set_mask(mask: u64) {
    // Raw rt_sigprocmask: musl's sigprocmask and sigaddset refuse or clear
    // signals 32-34 (glibc's 32 and 33), and these modes need an exact mask
    // over all 64, as pidone's own contract is about all 64.
    // SAFETY: MASK outlives the call; the kernel reads KERNEL_SIGSET_SIZE
    // bytes of it and writes no old mask (null).
    let rc = unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_SETMASK as libc::c_long,
            &mask as *const u64,
            std::ptr::null_mut::<u64>(),
            KERNEL_SIGSET_SIZE,
        )
    };
    if rc != 0 {
        fail("rt_sigprocmask failed", 99);
    }
}

/// Blocks every signal and returns a signalfd that reads all 64 of them.
pub fn signalfd_all() -> c_int {
    set_mask(ALL);
    // Raw signalfd4 for the same reason as `set_mask`: a libc `sigset_t`
    // cannot hold 32-34 through sigaddset.
    // SAFETY: ALL is a static; the kernel reads KERNEL_SIGSET_SIZE bytes.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_signalfd4,
            -1 as libc::c_long,
            &ALL as *const u64,
            KERNEL_SIGSET_SIZE,
            0 as libc::c_long,
        )
    };
    if fd < 0 {
        fail("signalfd failed", 99);
    }
    fd as c_int
}

/// One read from signalfd FD: the signal numbers received (empty on a
/// short or failed read, which callers retry).
pub fn read_signals(fd: c_int) -> Vec<u32> {
    // SAFETY: signalfd_siginfo is plain integers; all zeroes is valid.
    let mut records: [libc::signalfd_siginfo; 64] = unsafe { std::mem::zeroed() };
    // SAFETY: RECORDS is writable for its whole size.
    let n = unsafe {
        libc::read(
            fd,
            records.as_mut_ptr().cast(),
            std::mem::size_of_val(&records),
        )
    };
    let whole = n.max(0) as usize / std::mem::size_of::<libc::signalfd_siginfo>();
    records[..whole].iter().map(|r| r.ssi_signo).collect()
}

/// The next signal from signalfd FD.
pub fn next_signal(fd: c_int) -> u32 {
    loop {
        // One record at a time, so nothing read is lost to the caller.
        // SAFETY: as in `read_signals`.
        let mut record: libc::signalfd_siginfo = unsafe { std::mem::zeroed() };
        let size = std::mem::size_of_val(&record);
        // SAFETY: RECORD is writable for SIZE bytes.
        let n = unsafe {
            libc::read(
                fd,
                (&mut record as *mut libc::signalfd_siginfo).cast(),
                size,
            )
        };
        if n == size as isize {
            return record.ssi_signo;
        }
    }
}

/// The next signal from signalfd FD that is not SIGCHLD: modes that fork
/// get one for each child of their own that exits, and those are not the
/// signals pidone forwards.
pub fn next_forwarded(fd: c_int) -> u32 {
    loop {
        let signo = next_signal(fd);
        if signo != libc::SIGCHLD as u32 {
            return signo;
        }
    }
}

/// Asks the kernel to SIGKILL us when our parent dies, so that a test
/// that kills pidone (or a test that panics) leaves no testee behind.
pub fn die_with_parent() {
    // SAFETY: plain integers.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) };
}

/// Sets SIG's disposition to ignored: an app that ignores it, as opposed
/// to one that handles it (SigIgn in /proc shows the difference).
pub fn ignore(sig: c_int) {
    // SAFETY: SIG_IGN installs no handler code.
    if unsafe { libc::signal(sig, libc::SIG_IGN) } == libc::SIG_ERR {
        fail(&format!("cannot ignore signal {sig}"), 99);
    }
}

/// Waits for signals forever, with whatever dispositions are in force.
pub fn wait_forever() -> ! {
    loop {
        // SAFETY: pause has no preconditions.
        unsafe { libc::pause() };
    }
}

/// Blocks every signal, says READY, then reports each one received as
/// `PREFIXgot N`, forever.
fn ack_forever(prefix: &str, ready: &str) -> ! {
    let fd = signalfd_all();
    say(ready);
    loop {
        for signo in read_signals(fd) {
            say(&format!("{prefix}got {signo}"));
        }
    }
}

/// The `count` mode; see the module docs.
fn count_signals(marker: u32, code: i32) -> ! {
    let fd = signalfd_all();
    let mut counts = [0u64; 65];
    say("ready");
    loop {
        let batch = read_signals(fd);
        for &signo in &batch {
            counts[signo as usize % 65] += 1;
        }
        if batch.contains(&marker) {
            break;
        }
    }
    for (signo, count) in counts.iter().enumerate().filter(|(_, c)| **c > 0) {
        say(&format!("count {signo} {count}"));
    }
    std::process::exit(code);
}
