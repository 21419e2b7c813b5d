//! `testee`: the app that pidone's integration tests run as pidone's child
//! (and, in the Docker tests and docs/pid1.md, as the app in the image).
//! This file owns the command line: it parses the mode and hands over to the
//! module that owns that role. It must never hold a mode's logic itself.
//!
//! A cargo example (`cargo test` builds it; static with the musl target, so
//! it also runs in `FROM scratch` images). Every mode that waits prints a
//! `ready` line only after it is set up, so tests never sleep to "let things
//! settle". Modes that run until killed ask the kernel to SIGKILL them when
//! their parent dies, so a test that kills pidone leaves nothing behind.
//!
//! Modes (see each module for the details):
//!   signals.rs: exit N, raise SIG, pause, sleep SECS, ignore-term, ack,
//!               group, count MARKER CODE
//!   orphans.rs: orphans N, spawn-zombies N, orphan-bursts BURSTS SIZE,
//!               race N HOW VALUE, fill-pids CODE
//!   leftovers.rs: leave-behind FILE CODE [stubborn|stopped], graceful FILE,
//!               slow-helper FILE MS, linger
//!   wrappers.rs (change the process, then exec PROGRAM ARGS...):
//!               with-signals BLK IGN, join-cgroup DIR, rlimit RES N,
//!               as-user UID, subreaper
//!   probe.rs:   status, whoami, argv ARGS..., pid, listen, hello CODE, ps,
//!               launch-probe, launch-after-thread
//!   memory.rs:  hog, hog-on-usr1, alloc MIB

// Our own C `main`: Rust's runtime would set SIGPIPE to ignored before a Rust
// `main` runs, and `status` must report exactly the dispositions pidone
// handed over (the signal_mask tests start pidone with SIGPIPE ignored and
// with it at its default). With `no_main`, the C library's start-up calls
// this `main` directly and no Rust runtime set-up touches a disposition.
#![no_main]

// The tests' one signal-sending helper, shared rather than copied: the
// raises below send real-time numbers too, which only its raw path takes.
#[path = "../it/util/kill.rs"]
mod kill;
mod leftovers;
mod memory;
mod orphans;
mod probe;
mod signals;
mod wrappers;

use std::ffi::{c_char, c_int, CStr};
use std::io::Write;

/// Prints LINE and flushes at once: the tests wait for each line, and a
/// forked child must not leave half a buffer to its parent.
pub fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(line.as_bytes());
    let _ = out.write_all(b"\n");
    let _ = out.flush();
}

/// Says WHY and exits with CODE: a set-up step failed, and the test that
/// waits for `ready` fails showing this line instead of timing out blind.
pub fn fail(why: &str, code: i32) -> ! {
    say(why);
    std::process::exit(code);
}

/// The command line after the program name: the mode is word 0.
pub struct Args {
    raw: Vec<Vec<u8>>,
    words: Vec<String>,
    /// The C runtime's argv, for the wrappers that exec the rest of it.
    argv: *const *const c_char,
}

impl Args {
    /// The mode (word 0), or "" when there is none.
    pub fn mode(&self) -> &str {
        self.text(0)
    }

    /// Word I as text, "" when missing (a missing file name then fails
    /// loudly where it is used).
    pub fn text(&self, i: usize) -> &str {
        self.words.get(i).map(String::as_str).unwrap_or("")
    }

    /// Word I as a number; a missing or bad one is a bug in the test.
    pub fn number(&self, i: usize) -> i32 {
        self.words
            .get(i)
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("testee {}: missing number", self.mode()))
    }

    /// The raw bytes of the words from I on (they may not be UTF-8).
    pub fn raw_from(&self, i: usize) -> &[Vec<u8>] {
        self.raw.get(i..).unwrap_or(&[])
    }

    /// Execs the words from FIRST on as PROGRAM ARGS..., looked up on PATH.
    pub fn exec_from(&self, first: usize) -> ! {
        if first >= self.words.len() {
            fail(&format!("{}: no program to exec", self.mode()), 95);
        }
        // The C argv has our own path before word 0, hence the + 1.
        // SAFETY: the C runtime's argv is NULL-terminated and FIRST + 1 is
        // within it (checked just above).
        unsafe {
            let rest = self.argv.add(first + 1);
            libc::execvp(*rest, rest);
        }
        fail(&format!("{}: exec failed", self.mode()), 95);
    }
}

/// Whether this process is `testee-embedded`: the test child with pidone
/// embedded, as a program of the users' would have it (tests/it/embedded.rs).
fn is_embedded(argv: *const *const c_char) -> bool {
    // SAFETY: the C runtime's argv: argv[0], when not NULL, is a C string.
    let name = unsafe {
        argv.as_ref()
            .filter(|p| !p.is_null())
            .map(|p| CStr::from_ptr(*p))
    };
    name.is_some_and(|n| {
        n.to_bytes().ends_with(b"/testee-embedded") || n.to_bytes() == b"testee-embedded"
    })
}

#[no_mangle]
extern "C" fn main(argc: c_int, argv: *const *const c_char) -> c_int {
    // Under the name testee-embedded, pidone::launch() comes first, as the
    // docs tell a program to call it: as PID 1 the process becomes its own
    // init and never gets further; anywhere else it goes on as the test
    // child. `launch-probe` calls it itself, to look before and after.
    if is_embedded(argv) {
        // SAFETY: argv holds argc strings; word 1 is the mode, if any.
        let mode = (argc > 1).then(|| unsafe { CStr::from_ptr(*argv.add(1)) });
        let calls_it_itself = [c"launch-probe", c"launch-after-thread"];
        if !mode.is_some_and(|m| calls_it_itself.contains(&m)) {
            if let Err(err) = pidone::launch() {
                fail(&format!("pidone: {err}"), err.exit_code().into());
            }
        }
    }
    let raw: Vec<Vec<u8>> = (1..argc.max(0) as usize)
        // SAFETY: the C runtime hands us argc valid C strings.
        .map(|i| unsafe { CStr::from_ptr(*argv.add(i)) }.to_bytes().to_vec())
        .collect();
    let words = raw
        .iter()
        .map(|arg| String::from_utf8_lossy(arg).into_owned())
        .collect();
    let args = Args { raw, words, argv };
    let known = signals::run(&args)
        || orphans::run(&args)
        || leftovers::run(&args)
        || wrappers::run(&args)
        || probe::run(&args)
        || memory::run(&args);
    if !known {
        fail(&format!("testee: unknown mode {:?}", args.mode()), 96);
    }
    let _ = std::io::stdout().flush();
    0
}
