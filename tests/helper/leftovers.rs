//! The modes that leave processes behind when the main child exits, and
//! the ordinary applications that shut down gracefully on SIGTERM. These
//! are apps, so they handle SIGTERM the way Rust apps do, with signal-hook
//! (an iterator over a self-pipe), never with a raw mask.
//!
//!   leave-behind FILE CODE [stubborn|stopped]
//!                      leave a background process that, on SIGTERM, writes
//!                      FILE (in two steps) and exits 0; with `stubborn`, also
//!                      one that ignores SIGTERM; with `stopped`, the graceful
//!                      one is stopped (SIGSTOP) before we leave. Prints
//!                      `graceful ready PID` (and `stubborn ready PID`) as
//!                      each is set up, `leaving` once all are, then exits
//!                      with CODE
//!   graceful FILE      print `ready`, and on SIGTERM write FILE (in two
//!                      steps) and exit 0
//!   slow-helper FILE MS
//!                      leave a background helper that on SIGTERM writes
//!                      `started` to FILE, takes MS milliseconds over its
//!                      clean-up, adds `finished` and exits 0; print `helper
//!                      ready` once it is set up, then wait like `pause`: an
//!                      app (default dispositions) with a helper that needs
//!                      part of the grace period
//!   slow-worker FILE MS
//!                      print `worker ready`; on SIGTERM write `started` to
//!                      FILE, take MS milliseconds over the clean-up, add
//!                      `finished` and exit 0: a background worker of an
//!                      entrypoint shell that needs time to save its state
//!   linger             leave a process that closes every descriptor above 2
//!                      and ignores SIGTERM, print `leaving`, exit 0

use std::ffi::c_int;
use std::time::Duration;

use signal_hook::consts::SIGTERM;
use signal_hook::iterator::Signals;

use crate::kill::kill;
use crate::signals::{die_with_parent, ignore, wait_forever};
use crate::{fail, say, Args};

/// Runs the mode if it is one of ours; false otherwise.
pub fn run(args: &Args) -> bool {
    match args.mode() {
        "leave-behind" => {
            let stubborn = args.text(3) == "stubborn";
            let stopped = args.text(3) == "stopped";
            leave_behind(args.text(1), args.number(2), stubborn, stopped);
        }
        "graceful" => {
            let term = on_term();
            say("ready");
            finish_on_term(term, args.text(1), Duration::ZERO);
        }
        "slow-helper" => slow_helper(args.text(1), args.number(2) as u64),
        "slow-worker" => {
            let term = on_term();
            say("worker ready");
            finish_on_term(
                term,
                args.text(1),
                Duration::from_millis(args.number(2) as u64),
            )
        }
        "linger" => linger(),
        _ => return false,
    }
    true
}

/// SIGTERM's handler, installed before the caller says it is ready.
fn on_term() -> Signals {
    Signals::new([SIGTERM]).unwrap_or_else(|e| fail(&format!("signal-hook: {e}"), 99))
}

/// Waits for SIGTERM, then writes FILE in two steps with TAKES between
/// them (so a SIGKILL in between leaves it visibly incomplete), exits 0.
fn finish_on_term(mut term: Signals, file: &str, takes: Duration) -> ! {
    term.forever().next();
    let _ = std::fs::write(file, "started\n");
    // The app's own clean-up time, the thing a grace period is for.
    std::thread::sleep(takes);
    let _ = std::fs::write(file, "started\nfinished\n");
    std::process::exit(0);
}

/// A pipe on which forked helpers say they are set up.
fn ready_pipe() -> [c_int; 2] {
    let mut fds = [0; 2];
    // SAFETY: FDS has room for two descriptors.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        fail("pipe failed", 98);
    }
    fds
}

/// Writes one byte to FD: "I am set up".
fn signal_ready(fd: c_int) {
    // SAFETY: one byte from a live buffer.
    unsafe { libc::write(fd, b"r".as_ptr().cast(), 1) };
}

/// Reads one byte from FD: waits for one helper to be set up.
fn await_ready(fd: c_int) {
    let mut byte = 0u8;
    // SAFETY: one byte into a live buffer.
    unsafe { libc::read(fd, (&mut byte as *mut u8).cast(), 1) };
}

/// Forks; in the child runs BODY, which is not meant to return.
fn fork_into(body: impl FnOnce()) -> libc::pid_t {
    // SAFETY: single-threaded (signal-hook starts no thread for an
    // iterator), so the child may run Rust code.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        fail("fork failed", 98);
    }
    if pid == 0 {
        body();
        // A body that returns must not run on as a second copy of the mode.
        // SAFETY: no preconditions.
        unsafe { libc::_exit(0) };
    }
    pid
}

/// The `leave-behind` mode; see the module docs.
fn leave_behind(file: &str, code: i32, stubborn: bool, stopped: bool) -> ! {
    let ready = ready_pipe();
    let graceful = fork_into(|| {
        let term = on_term();
        // SAFETY: no preconditions.
        say(&format!("graceful ready {}", unsafe { libc::getpid() }));
        signal_ready(ready[1]);
        finish_on_term(term, file, Duration::ZERO)
    });
    if stubborn {
        fork_into(|| {
            ignore(libc::SIGTERM);
            // SAFETY: no preconditions.
            say(&format!("stubborn ready {}", unsafe { libc::getpid() }));
            signal_ready(ready[1]);
            wait_forever()
        });
    }
    for _ in 0..(1 + stubborn as usize) {
        await_ready(ready[0]);
    }
    if stopped {
        // Stop it and wait until the kernel says it is stopped, so the
        // test starts from a stopped leftover.
        let _ = kill(graceful, libc::SIGSTOP);
        let mut status = 0;
        // SAFETY: plain integers; STATUS is writable.
        unsafe { libc::waitpid(graceful, &mut status, libc::WUNTRACED) };
    }
    say("leaving");
    std::process::exit(code);
}

/// The `slow-helper` mode; see the module docs.
fn slow_helper(file: &str, millis: u64) -> ! {
    let ready = ready_pipe();
    // No die_with_parent in the helper: its parent dies of SIGTERM first,
    // and the helper's whole point is to outlive it by MILLIS.
    fork_into(|| {
        let term = on_term();
        signal_ready(ready[1]);
        finish_on_term(term, file, Duration::from_millis(millis))
    });
    await_ready(ready[0]);
    die_with_parent();
    say("helper ready");
    wait_forever();
}

/// The `linger` mode; see the module docs.
fn linger() {
    let ready = ready_pipe();
    fork_into(|| {
        // Ignore TERM before saying so: the init's SIGTERM may come the
        // moment the parent exits.
        ignore(libc::SIGTERM);
        signal_ready(ready[1]);
        for fd in 3..1024 {
            // SAFETY: closing numbers; none is used by Rust code here.
            unsafe { libc::close(fd) };
        }
        wait_forever()
    });
    await_ready(ready[0]);
    say("leaving");
}
