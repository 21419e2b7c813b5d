//! The modes that make orphans: processes whose parent is gone, so the
//! kernel re-parents them to the init (or the nearest subreaper), which
//! must reap them. Every orphan here is a true orphan before it exits: it
//! waits on a pipe until its parent is gone (or until it is released).
//!
//!   orphans N          make N orphans (each exits once re-parented), print
//!                      `orphans done`, then wait like `pause`
//!   spawn-zombies N    make N orphans as `orphans` does, then exit 0 at
//!                      once: under an init that never reaps (or through
//!                      `docker exec`) they stay as N zombies
//!   orphan-bursts BURSTS SIZE
//!                      block every signal, make one burst of SIZE orphans,
//!                      print `warm`, wait for one signal, then make BURSTS
//!                      bursts of SIZE orphans each: a burst's orphans all
//!                      exit together, while the next burst is being made.
//!                      Prints `orphans done N` (N orphans after the warm-up),
//!                      then unblocks everything and waits like `pause`
//!   race N HOW VALUE   block every signal, make N orphans that wait for a
//!                      release, print `ready`; on the first signal received,
//!                      release them all and at once exit with VALUE (HOW =
//!                      `exit`) or kill itself with signal VALUE (HOW =
//!                      `signal`). The orphans exit with 99
//!   fill-pids CODE     block every signal, make orphans that wait for a
//!                      release until fork fails, print `full K` (K orphans);
//!                      on the first signal: `got N`, release the orphans,
//!                      `released`; on the second: `got N`, exit CODE

use std::ffi::c_int;

use crate::kill::kill;
use crate::signals::{die_with_parent, next_forwarded, set_mask, signalfd_all, wait_forever};
use crate::{fail, say, Args};

/// Runs the mode if it is one of ours; false otherwise.
pub fn run(args: &Args) -> bool {
    match args.mode() {
        "orphans" => {
            die_with_parent();
            make_orphans(args.number(1) as usize);
            say("orphans done");
            wait_forever();
        }
        "spawn-zombies" => make_orphans(args.number(1) as usize),
        "orphan-bursts" => {
            die_with_parent();
            orphan_bursts(args.number(1) as usize, args.number(2) as usize);
        }
        "race" => race(
            args.number(1) as usize,
            args.text(2) == "signal",
            args.number(3),
        ),
        "fill-pids" => {
            die_with_parent();
            fill_pids(args.number(1));
        }
        _ => return false,
    }
    true
}

/// A pipe whose closing releases orphans made with [`orphan_on`].
fn release_pipe() -> [c_int; 2] {
    let mut fds = [0; 2];
    // SAFETY: FDS has room for two descriptors.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        fail("pipe failed", 98);
    }
    fds
}

/// Closes both ends of RELEASE: every orphan waiting on it exits now.
fn release(fds: [c_int; 2]) {
    // SAFETY: our own descriptors, closed once.
    unsafe {
        libc::close(fds[0]);
        libc::close(fds[1]);
    }
}

/// Forks a middle process that forks a grandchild and exits at once, so
/// the grandchild is an orphan (re-parented to the init). The grandchild
/// waits until every write end of RELEASE is closed, then exits with CODE.
/// Returns false when a fork failed (the middle's fork, or the grandchild's).
fn orphan_on(release: [c_int; 2], code: c_int) -> bool {
    // SAFETY: single-threaded; the children only make raw calls and _exit.
    let middle = unsafe { libc::fork() };
    if middle < 0 {
        return false;
    }
    if middle == 0 {
        // SAFETY: as above.
        let grandchild = unsafe { libc::fork() };
        if grandchild == 0 {
            // SAFETY: closing our copy of the write end; BYTE is writable;
            // _exit skips Rust and libc clean-up, as a forked child should.
            unsafe {
                libc::close(release[1]);
                let mut byte = 0u8;
                while libc::read(release[0], (&mut byte as *mut u8).cast(), 1) > 0 {}
                libc::_exit(code);
            }
        }
        // SAFETY: as above.
        unsafe { libc::_exit(if grandchild < 0 { 1 } else { 0 }) };
    }
    let mut status = 0;
    // SAFETY: STATUS is writable; the middle is our own child.
    unsafe { libc::waitpid(middle, &mut status, 0) };
    status == 0
}

/// Makes COUNT orphans, one at a time, each of which exits as soon as its
/// middle process is gone (the pipe's write end closes with it), so each is
/// re-parented to the init before it exits.
fn make_orphans(count: usize) {
    for _ in 0..count {
        let fds = release_pipe();
        // Closing our copies right away: the middle's exit then closes the
        // last write end the grandchild does not hold itself.
        let made = orphan_on(fds, 0);
        release(fds);
        if !made {
            fail("fork failed", 98);
        }
    }
}

/// One burst: SIZE orphans made, then released together.
fn orphan_burst(size: usize) {
    let fds = release_pipe();
    for _ in 0..size {
        if !orphan_on(fds, 0) {
            fail("fork failed", 98);
        }
    }
    release(fds);
}

/// The `orphan-bursts` mode; see the module docs.
fn orphan_bursts(bursts: usize, size: usize) -> ! {
    let fd = signalfd_all();
    orphan_burst(size);
    say("warm");
    next_forwarded(fd);
    for _ in 0..bursts {
        orphan_burst(size);
    }
    say(&format!("orphans done {}", bursts * size));
    set_mask(0);
    wait_forever();
}

/// The `race` mode; see the module docs.
fn race(orphans: usize, signal: bool, value: i32) -> ! {
    let fd = signalfd_all();
    let fds = release_pipe();
    for _ in 0..orphans {
        if !orphan_on(fds, 99) {
            fail("fork failed", 98);
        }
    }
    say("ready");
    next_forwarded(fd);
    release(fds);
    if signal {
        // Unblock only VALUE, so the signals still pending cannot kill us
        // first; then deliver it to ourselves.
        set_mask(!(1u64 << (value - 1)));
        let _ = kill(std::process::id() as i32, value);
    }
    // SAFETY: no preconditions; skip every destructor, as fast as possible.
    unsafe { libc::_exit(value) }
}

/// The `fill-pids` mode; see the module docs.
fn fill_pids(code: i32) -> ! {
    let fd = signalfd_all();
    let fds = release_pipe();
    let mut made = 0;
    while orphan_on(fds, 0) {
        made += 1;
        if made > 100_000 {
            fail("fill-pids: no limit reached", 93);
        }
    }
    say(&format!("full {made}"));
    say(&format!("got {}", next_forwarded(fd)));
    release(fds);
    say("released");
    say(&format!("got {}", next_forwarded(fd)));
    std::process::exit(code);
}
