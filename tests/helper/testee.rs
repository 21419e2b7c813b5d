//! `testee`: the app that pidone's integration tests run as pidone's child.
//!
//! Built by the test harness with plain `rustc` (no crates, so it also builds
//! as a static musl binary for `FROM scratch` images). Every mode that waits
//! prints a `ready` line only after it is set up, so tests never sleep to
//! "let things settle". Modes that run until killed ask the kernel to
//! SIGKILL them when their parent dies, so a test that kills pidone leaves
//! nothing behind.
//!
//! Modes:
//!   exit N             exit with code N
//!   raise SIG          unblock everything and kill itself with SIG (a number)
//!   pause              print `ready`, then wait for signals with default
//!                      dispositions (a TERM-ignoring app it is not: TERM kills)
//!   ack                block every signal, print `ready`, then print
//!                      `got N` for each signal N received, forever
//!   group              fork a grandchild in the same process group; both ack,
//!                      prefixing lines with `child`/`grandchild`; prints
//!                      `grandchild ready PID` and `child ready`
//!   orphans N          make N orphans (each exits once re-parented), print
//!                      `orphans done`, then wait like `pause`
//!   status             print the SigBlk and SigIgn lines of /proc/self/status
//!   argv ARGS...       print each argument as `arg HEX` (its bytes in hex)
//!   with-signals BLK IGN PROGRAM ARGS...
//!                      set the signal mask to BLK and the ignored set to IGN
//!                      (16 hex digits each, as /proc shows them; every other
//!                      signal gets its default) with raw syscalls, then exec
//!                      PROGRAM: an exact start state, whatever the caller's
//!                      C library does to signals 32 and 33
//!   leave-behind FILE CODE [stubborn|stopped]
//!                      leave a background process that, on SIGTERM, writes
//!                      FILE (in two steps) and exits 0; with `stubborn`, also
//!                      one that ignores SIGTERM; with `stopped`, the graceful
//!                      one is stopped (SIGSTOP) before we leave. Prints
//!                      `leaving` once all is set up, then exits with CODE
//!   count MARKER CODE  block every signal, print `ready`, count each signal
//!                      received until MARKER arrives, then print `count N K`
//!                      for every signal N received K times (MARKER included)
//!                      and exit with CODE
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
//!   graceful FILE      block signals, print `ready`, and on SIGTERM write FILE
//!                      (in two steps) and exit 0
//! Wrappers, which change the process and then exec PROGRAM ARGS...:
//!   join-cgroup DIR PROGRAM ARGS...   move into the cgroup DIR
//!   rlimit RES N PROGRAM ARGS...      set resource RES (a number) to N, soft
//!                                     and hard
//!   as-user UID PROGRAM ARGS...       drop to uid and gid UID, no groups
//!   ignore-term        ignore SIGTERM, print `ready`, wait forever
//!   hog                allocate and touch memory, 1 MiB at a time, forever
//!   whoami             print the Uid, Gid and Groups lines of /proc/self/status,
//!                      then `home H`, `user U` (from the environment, `-` if
//!                      unset) and `cwd DIR`
//!   listen             socket activation: print `listen_pid P pid Q fds N`,
//!                      then `ready`, accept one connection on fd 3, print
//!                      `accepted`, exit 0
//!   linger             leave a process that closes every descriptor above 2
//!                      and ignores SIGTERM, print `leaving`, exit 0
//!   pid                print its own pid and parent pid, then wait like `pause`
//!   alloc MIB          allocate MIB mebibytes one at a time, touching every
//!                      page so it is really resident, printing `allocated N
//!                      MiB` after each 8; then print `allocated all` and exit
//!                      0 (under a smaller memory limit the OOM killer ends it
//!                      first)

// Our own C main: Rust's runtime would set SIGPIPE to ignored before `main`,
// and `status` must report exactly the dispositions pidone handed over.
#![no_main]

use std::ffi::{c_char, c_int, CStr};
use std::io::Write;

extern "C" {
    fn syscall(number: i64, ...) -> i64;
    fn fork() -> c_int;
    fn getpid() -> c_int;
    fn getppid() -> c_int;
    fn kill(pid: c_int, sig: c_int) -> c_int;
    fn pause() -> c_int;
    fn pipe(fds: *mut c_int) -> c_int;
    fn read(fd: c_int, buf: *mut u8, count: usize) -> isize;
    fn close(fd: c_int) -> c_int;
    fn waitpid(pid: c_int, status: *mut c_int, options: c_int) -> c_int;
    fn prctl(option: c_int, arg2: u64, arg3: u64, arg4: u64, arg5: u64) -> c_int;
    fn _exit(code: c_int) -> !;
    fn execvp(file: *const c_char, argv: *const *const c_char) -> c_int;
    fn write(fd: c_int, buf: *const u8, count: usize) -> isize;
    fn accept(fd: c_int, addr: *mut u8, len: *mut u32) -> c_int;
    fn setrlimit(resource: c_int, limit: *const [u64; 2]) -> c_int;
    fn setgroups(size: usize, list: *const u32) -> c_int;
    fn setresgid(r: u32, e: u32, s: u32) -> c_int;
    fn setresuid(r: u32, e: u32, s: u32) -> c_int;
}

const SYS_RT_SIGPROCMASK: i64 = 14;
const SYS_SIGNALFD4: i64 = 289;
const SYS_RT_SIGACTION: i64 = 13;
const SIG_IGN: usize = 1;
const SIG_DFL: usize = 0;
const SIG_SETMASK: c_int = 2;
const PR_SET_PDEATHSIG: c_int = 1;
const SIGKILL: u64 = 9;
const SIGSTOP: c_int = 19;
const WUNTRACED: c_int = 2;

fn set_mask(mask: u64) {
    // SAFETY: valid pointer to an 8-byte mask.
    unsafe { syscall(SYS_RT_SIGPROCMASK, SIG_SETMASK, &mask as *const u64, 0usize, 8usize) };
}

fn die_with_parent() {
    // SAFETY: plain integers.
    unsafe { prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) };
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(line.as_bytes());
    let _ = out.write_all(b"\n");
    let _ = out.flush();
}

/// Blocks every signal, then reports each one received as `PREFIX got N`.
fn ack_forever(prefix: &str, ready: &str) -> ! {
    set_mask(!0);
    let all: u64 = !0;
    // SAFETY: valid pointer to an 8-byte mask.
    let fd = unsafe { syscall(SYS_SIGNALFD4, -1i64, &all as *const u64, 8usize, 0) } as c_int;
    if fd < 0 {
        say("signalfd failed");
        std::process::exit(99);
    }
    say(ready);
    let mut buf = [0u8; 128 * 16];
    loop {
        // SAFETY: buf is writable for its length.
        let n = unsafe { read(fd, buf.as_mut_ptr(), buf.len()) };
        if n <= 0 {
            continue;
        }
        for record in buf[..n as usize].chunks_exact(128) {
            let signo = u32::from_ne_bytes([record[0], record[1], record[2], record[3]]);
            say(&format!("{prefix}got {signo}"));
        }
    }
}

/// Sets SIG's disposition to ignored (raw rt_sigaction).
fn ignore(sig: i64) {
    let action: [u64; 4] = [SIG_IGN as u64, 0, 0, 0];
    // SAFETY: a valid kernel_sigaction; no handler code is installed.
    unsafe { syscall(SYS_RT_SIGACTION, sig, action.as_ptr(), 0usize, 8usize) };
}

/// Blocks every signal and returns a signalfd for them.
fn signalfd_all() -> c_int {
    set_mask(!0);
    let all: u64 = !0;
    // SAFETY: valid pointer to an 8-byte mask.
    unsafe { syscall(SYS_SIGNALFD4, -1i64, &all as *const u64, 8usize, 0) as c_int }
}

/// Reads one signal number from a signalfd.
fn next_signal(fd: c_int) -> u32 {
    let mut record = [0u8; 128];
    // SAFETY: record is writable for its length.
    while unsafe { read(fd, record.as_mut_ptr(), 128) } != 128 {}
    u32::from_ne_bytes([record[0], record[1], record[2], record[3]])
}

/// Reads the next signal from a signalfd that is not SIGCHLD: modes that
/// fork get one for each child of their own that exits, and those are not
/// the signals pidone forwards.
fn next_forwarded(fd: c_int) -> u32 {
    loop {
        let signo = next_signal(fd);
        if signo != 17 {
            return signo;
        }
    }
}

/// The `leave-behind` mode; see the module docs.
fn leave_behind(file: &str, code: i32, stubborn: bool, stopped: bool) -> ! {
    let mut fds = [0; 2];
    // SAFETY: fds has room for two descriptors.
    unsafe { pipe(fds.as_mut_ptr()) };
    let ready = |fd: c_int| {
        // SAFETY: writing one byte from a live buffer.
        unsafe { write(fd, b"r".as_ptr(), 1) };
    };
    // SAFETY: single-threaded; the children only use the helpers above.
    let graceful = unsafe { fork() };
    if graceful == 0 {
        let sfd = signalfd_all();
        // SAFETY: no preconditions.
        say(&format!("graceful ready {}", unsafe { getpid() }));
        ready(fds[1]);
        while next_signal(sfd) != 15 {}
        // Two steps, so a kill in between would leave it incomplete.
        let _ = std::fs::write(file, "started\n");
        let _ = std::fs::write(file, "started\nfinished\n");
        std::process::exit(0);
    }
    if stubborn {
        // SAFETY: as above.
        if unsafe { fork() } == 0 {
            ignore(15);
            // SAFETY: no preconditions.
            say(&format!("stubborn ready {}", unsafe { getpid() }));
            ready(fds[1]);
            wait_forever();
        }
    }
    let mut byte = 0u8;
    for _ in 0..(1 + stubborn as usize) {
        // SAFETY: reading one byte into a live buffer.
        unsafe { read(fds[0], &mut byte, 1) };
    }
    if stopped {
        let mut status = 0;
        // SAFETY: plain integers; status is writable. Stop it and wait
        // until the kernel says it is stopped, so the test starts from a
        // stopped leftover.
        unsafe {
            kill(graceful, SIGSTOP);
            waitpid(graceful, &mut status, WUNTRACED);
        }
    }
    say("leaving");
    std::process::exit(code);
}

fn wait_forever() -> ! {
    loop {
        // SAFETY: pause has no preconditions.
        unsafe { pause() };
    }
}

fn make_orphans(count: usize) {
    for _ in 0..count {
        let mut fds = [0; 2];
        // SAFETY: fds has room for two descriptors.
        if unsafe { pipe(fds.as_mut_ptr()) } != 0 {
            say("pipe failed");
            std::process::exit(98);
        }
        // SAFETY: single-threaded; the children only make raw syscalls.
        let middle = unsafe { fork() };
        if middle == 0 {
            // SAFETY: as above.
            if unsafe { fork() } == 0 {
                // The grandchild: wait until the middle process is gone (the
                // pipe's write end closes with it), so it is a true orphan,
                // re-parented to the init, before it exits.
                // SAFETY: closing our copy of the write end; buf is writable.
                unsafe {
                    close(fds[1]);
                    let mut byte = 0u8;
                    while read(fds[0], &mut byte, 1) != 0 {}
                    _exit(0);
                }
            }
            // SAFETY: _exit skips Rust and libc cleanup, as a forked child should.
            unsafe { _exit(0) };
        }
        // SAFETY: close our copies; reap the middle process ourselves.
        unsafe {
            close(fds[0]);
            close(fds[1]);
            let mut status = 0;
            waitpid(middle, &mut status, 0);
        }
    }
}

/// Execs PROGRAM ARGS... starting at our argument FIRST (the mode is
/// argument 0; the C argv has our own path before it, hence the + 1).
fn exec_from(argv: *const *const c_char, first: usize) -> ! {
    // SAFETY: the C runtime's argv is NULL-terminated and FIRST + 1 is
    // within it (callers check their own arguments first).
    unsafe { execvp(*argv.add(first + 1), argv.add(first + 1)) };
    say("exec failed");
    std::process::exit(95);
}

/// Forks a middle process that forks a grandchild and exits at once, so
/// the grandchild is an orphan (re-parented to the init). The grandchild
/// waits until every write end of RELEASE is closed, then exits with CODE.
/// Returns false when a fork failed (the middle's fork, or the grandchild's).
fn orphan_on(release: [c_int; 2], code: c_int) -> bool {
    // SAFETY: single-threaded; the children only make raw syscalls.
    let middle = unsafe { fork() };
    if middle < 0 {
        return false;
    }
    if middle == 0 {
        // SAFETY: as above.
        let grandchild = unsafe { fork() };
        if grandchild == 0 {
            // SAFETY: closing our copy of the write end; byte is writable.
            unsafe {
                close(release[1]);
                let mut byte = 0u8;
                while read(release[0], &mut byte, 1) > 0 {}
                _exit(code);
            }
        }
        // SAFETY: _exit skips Rust and libc cleanup, as a forked child should.
        unsafe { _exit(if grandchild < 0 { 1 } else { 0 }) };
    }
    let mut status = 0;
    // SAFETY: status is writable; the middle is our own child.
    unsafe { waitpid(middle, &mut status, 0) };
    status == 0
}

/// A pipe whose closing releases orphans made with [`orphan_on`].
fn release_pipe() -> [c_int; 2] {
    let mut fds = [0; 2];
    // SAFETY: fds has room for two descriptors.
    if unsafe { pipe(fds.as_mut_ptr()) } != 0 {
        say("pipe failed");
        std::process::exit(98);
    }
    fds
}

/// Closes both ends of RELEASE: every orphan waiting on it exits now.
fn release(fds: [c_int; 2]) {
    // SAFETY: our own descriptors, closed once.
    unsafe {
        close(fds[0]);
        close(fds[1]);
    }
}

/// One burst: SIZE orphans made, then released together.
fn orphan_burst(size: usize) {
    let fds = release_pipe();
    for _ in 0..size {
        if !orphan_on(fds, 0) {
            say("fork failed");
            std::process::exit(98);
        }
    }
    release(fds);
}

/// The `count` mode; see the module docs.
fn count_signals(marker: u32, code: i32) -> ! {
    let sfd = signalfd_all();
    let mut counts = [0u64; 65];
    say("ready");
    let mut buf = [0u8; 128 * 64];
    loop {
        // SAFETY: buf is writable for its length.
        let n = unsafe { read(sfd, buf.as_mut_ptr(), buf.len()) };
        if n <= 0 {
            continue;
        }
        let mut done = false;
        for record in buf[..n as usize].chunks_exact(128) {
            let signo = u32::from_ne_bytes([record[0], record[1], record[2], record[3]]);
            counts[signo as usize % 65] += 1;
            done |= signo == marker;
        }
        if done {
            break;
        }
    }
    for (signo, count) in counts.iter().enumerate().filter(|(_, c)| **c > 0) {
        say(&format!("count {signo} {count}"));
    }
    std::process::exit(code);
}

/// The `race` mode; see the module docs.
fn race(orphans: usize, signal: bool, value: i32) -> ! {
    let sfd = signalfd_all();
    let fds = release_pipe();
    for _ in 0..orphans {
        if !orphan_on(fds, 99) {
            say("fork failed");
            std::process::exit(98);
        }
    }
    say("ready");
    next_forwarded(sfd);
    release(fds);
    if signal {
        // Unblock only VALUE, so the signals still pending cannot kill us
        // first; then deliver it to ourselves.
        set_mask(!0 & !(1u64 << (value - 1)));
        // SAFETY: plain integers.
        unsafe { kill(getpid(), value) };
    }
    // SAFETY: no preconditions; skip every destructor, as fast as possible.
    unsafe { _exit(value) }
}

/// The `fill-pids` mode; see the module docs.
fn fill_pids(code: i32) -> ! {
    let sfd = signalfd_all();
    let fds = release_pipe();
    let mut made = 0;
    while orphan_on(fds, 0) {
        made += 1;
        if made > 100_000 {
            say("fill-pids: no limit reached");
            std::process::exit(93);
        }
    }
    say(&format!("full {made}"));
    say(&format!("got {}", next_forwarded(sfd)));
    release(fds);
    say("released");
    say(&format!("got {}", next_forwarded(sfd)));
    std::process::exit(code);
}

#[no_mangle]
extern "C" fn main(argc: c_int, argv: *const *const c_char) -> c_int {
    let raw: Vec<Vec<u8>> = (1..argc.max(0) as usize)
        // SAFETY: the C runtime hands us argc valid C strings.
        .map(|i| unsafe { CStr::from_ptr(*argv.add(i)) }.to_bytes().to_vec())
        .collect();
    let args: Vec<String> = raw
        .iter()
        .map(|arg| String::from_utf8_lossy(arg).into_owned())
        .collect();
    let mode = args.first().map(String::as_str).unwrap_or("");
    let number = |i: usize| -> i32 {
        args.get(i)
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("testee {mode}: missing number"))
    };
    match mode {
        "exit" => std::process::exit(number(1)),
        "raise" => {
            set_mask(0);
            // SAFETY: plain integers.
            unsafe { kill(getpid(), number(1)) };
            say("still alive after raise");
            std::process::exit(97);
        }
        "pause" => {
            die_with_parent();
            say("ready");
            wait_forever();
        }
        "ack" => {
            die_with_parent();
            ack_forever("", "ready");
        }
        "group" => {
            die_with_parent();
            // SAFETY: single-threaded.
            let pid = unsafe { fork() };
            if pid == 0 {
                die_with_parent();
                // SAFETY: no preconditions.
                let me = unsafe { getpid() };
                ack_forever("grandchild ", &format!("grandchild ready {me}"));
            }
            ack_forever("child ", "child ready");
        }
        "orphans" => {
            die_with_parent();
            make_orphans(number(1) as usize);
            say("orphans done");
            wait_forever();
        }
        "status" => {
            let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
            for line in status.lines() {
                if line.starts_with("SigBlk:") || line.starts_with("SigIgn:") {
                    say(line);
                }
            }
        }
        "with-signals" => {
            let hex = |i: usize| {
                u64::from_str_radix(args.get(i).map(String::as_str).unwrap_or(""), 16)
                    .unwrap_or_else(|_| panic!("with-signals: bad mask"))
            };
            let (blocked, ignored) = (hex(1), hex(2));
            for sig in 1..=64i64 {
                if sig == 9 || sig == 19 {
                    continue;
                }
                // struct kernel_sigaction: handler, flags, restorer, mask.
                let handler = if ignored & (1 << (sig - 1)) != 0 { SIG_IGN } else { SIG_DFL };
                let action: [u64; 4] = [handler as u64, 0, 0, 0];
                // SAFETY: a valid kernel_sigaction; no handler code is installed.
                unsafe { syscall(SYS_RT_SIGACTION, sig, action.as_ptr(), 0usize, 8usize) };
            }
            set_mask(blocked);
            // argv[4..] of the C argv: PROGRAM ARGS..., NULL-terminated.
            // SAFETY: the C runtime's argv is NULL-terminated.
            unsafe { execvp(*argv.add(4), argv.add(4)) };
            say("with-signals: exec failed");
            std::process::exit(95);
        }
        "leave-behind" => {
            let file = args.get(1).cloned().unwrap_or_default();
            let stubborn = args.get(3).is_some_and(|a| a == "stubborn");
            let stopped = args.get(3).is_some_and(|a| a == "stopped");
            leave_behind(&file, number(2), stubborn, stopped);
        }
        "graceful" => {
            let file = args.get(1).cloned().unwrap_or_default();
            let sfd = signalfd_all();
            say("ready");
            while next_signal(sfd) != 15 {}
            let _ = std::fs::write(&file, "started\n");
            let _ = std::fs::write(&file, "started\nfinished\n");
            std::process::exit(0);
        }
        "ignore-term" => {
            die_with_parent();
            ignore(15);
            say("ready");
            wait_forever();
        }
        "hog" => {
            die_with_parent();
            let mut chunks: Vec<Vec<u8>> = Vec::new();
            loop {
                // Touch every page so the memory is really used.
                chunks.push(vec![1u8; 1 << 20]);
                if chunks.len() % 64 == 0 {
                    say(&format!("allocated {} MiB", chunks.len()));
                }
            }
        }
        "whoami" => {
            let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
            for line in status.lines() {
                if ["Uid:", "Gid:", "Groups:"].iter().any(|p| line.starts_with(p)) {
                    say(line.trim_end());
                }
            }
            let var = |name: &str| std::env::var(name).unwrap_or_else(|_| "-".into());
            say(&format!("home {}", var("HOME")));
            say(&format!("user {}", var("USER")));
            let cwd = std::env::current_dir().unwrap_or_default();
            say(&format!("cwd {}", cwd.display()));
        }
        "listen" => {
            let var = |name: &str| std::env::var(name).unwrap_or_else(|_| "-".into());
            // SAFETY: no preconditions.
            let me = unsafe { getpid() };
            say(&format!(
                "listen_pid {} pid {me} fds {}",
                var("LISTEN_PID"),
                var("LISTEN_FDS")
            ));
            say("ready");
            // SAFETY: null address arguments are allowed.
            let conn = unsafe { accept(3, std::ptr::null_mut(), std::ptr::null_mut()) };
            say(if conn >= 0 { "accepted" } else { "accept failed" });
        }
        "linger" => {
            let mut fds = [0; 2];
            // SAFETY: fds has room for two descriptors.
            unsafe { pipe(fds.as_mut_ptr()) };
            // SAFETY: single-threaded; the child makes raw syscalls only.
            if unsafe { fork() } == 0 {
                // Ignore TERM before saying so: the init's SIGTERM may come
                // the moment the parent exits.
                ignore(15);
                // SAFETY: one byte from a live buffer; then closing numbers.
                unsafe {
                    write(fds[1], b"r".as_ptr(), 1);
                    for fd in 3..1024 {
                        close(fd);
                    }
                }
                wait_forever();
            }
            let mut byte = 0u8;
            // SAFETY: reading one byte into a live buffer.
            unsafe { read(fds[0], &mut byte, 1) };
            say("leaving");
        }
        "argv" => {
            for arg in &raw[1..] {
                let hex: String = arg.iter().map(|b| format!("{b:02x}")).collect();
                say(&format!("arg {hex}"));
            }
        }
        "count" => {
            die_with_parent();
            count_signals(number(1) as u32, number(2));
        }
        "orphan-bursts" => {
            die_with_parent();
            let (bursts, size) = (number(1) as usize, number(2) as usize);
            let sfd = signalfd_all();
            orphan_burst(size);
            say("warm");
            next_forwarded(sfd);
            for _ in 0..bursts {
                orphan_burst(size);
            }
            say(&format!("orphans done {}", bursts * size));
            set_mask(0);
            wait_forever();
        }
        "race" => {
            let signal = args.get(2).is_some_and(|a| a == "signal");
            race(number(1) as usize, signal, number(3));
        }
        "fill-pids" => {
            die_with_parent();
            fill_pids(number(1));
        }
        "join-cgroup" => {
            let dir = args.get(1).cloned().unwrap_or_default();
            // SAFETY: no preconditions.
            let me = unsafe { getpid() };
            if let Err(e) = std::fs::write(format!("{dir}/cgroup.procs"), me.to_string()) {
                say(&format!("join-cgroup: {e}"));
                std::process::exit(94);
            }
            exec_from(argv, 2);
        }
        "rlimit" => {
            let limit = [number(2) as u64; 2];
            // SAFETY: limit is a valid struct rlimit (soft, hard).
            if unsafe { setrlimit(number(1), &limit) } != 0 {
                say("rlimit: setrlimit failed");
                std::process::exit(94);
            }
            exec_from(argv, 3);
        }
        "as-user" => {
            let id = number(1) as u32;
            // SAFETY: plain integers; an empty group list.
            let ok = unsafe {
                setgroups(0, std::ptr::null()) == 0
                    && setresgid(id, id, id) == 0
                    && setresuid(id, id, id) == 0
            };
            if !ok {
                say("as-user: failed to change user");
                std::process::exit(94);
            }
            exec_from(argv, 2);
        }
        "pid" => {
            die_with_parent();
            // SAFETY: no preconditions.
            let (me, parent) = unsafe { (getpid(), getppid()) };
            say(&format!("pid {me} ppid {parent}"));
            wait_forever();
        }
        "alloc" => {
            let mib = number(1) as usize;
            let mut kept: Vec<Vec<u8>> = Vec::with_capacity(mib);
            for n in 1..=mib {
                // Non-zero bytes on every page: the kernel must back each one.
                kept.push(vec![0xa5; 1 << 20]);
                if n % 8 == 0 {
                    say(&format!("allocated {n} MiB"));
                }
            }
            say("allocated all");
            drop(kept);
        }
        _ => {
            say(&format!("testee: unknown mode {mode:?}"));
            std::process::exit(96);
        }
    }
    let _ = std::io::stdout().flush();
    0
}
