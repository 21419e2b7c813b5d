//! Faults: pidone keeps working when the system says no. Fork limits (a
//! pids cgroup's `pids.max`, `RLIMIT_NPROC`), descriptor exhaustion at
//! start-up, every signal 1–64 thrown at pidone itself, a child stopped
//! and continued, a leftover that is stopped at shutdown, and a stderr
//! nobody reads any more.
//!
//! Limits are set on pidone alone, inside the namespace, by the testee's
//! wrapper modes (`join-cgroup`, `rlimit`, `as-user`), which change the
//! process and then exec pidone: unshare and the test itself stay outside.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::util::{self, matrix, Log, Mode, Run, LOGS};

/// `RLIMIT_NOFILE` and `RLIMIT_NPROC` on x86_64 Linux, for `testee rlimit`.
const RLIMIT_NOFILE: &str = "7";
const RLIMIT_NPROC: &str = "6";

/// A pids cgroup made for one run, with a `pids.max`; removed on drop.
struct PidsCgroup {
    dir: PathBuf,
}

impl PidsCgroup {
    /// Makes a pids cgroup (v1 `/sys/fs/cgroup/pids`, else v2) allowing MAX
    /// tasks. Panics with the reason when this machine has neither: the
    /// fork-limit scenarios are part of the contract, not optional.
    fn new(name: &str, max: u32) -> PidsCgroup {
        let v1 = Path::new("/sys/fs/cgroup/pids");
        let v2 = Path::new("/sys/fs/cgroup");
        let parent = if v1.join("pids.max").exists() || v1.join("cgroup.procs").exists() {
            v1
        } else {
            let controllers =
                std::fs::read_to_string(v2.join("cgroup.subtree_control")).unwrap_or_default();
            if !controllers.split_whitespace().any(|c| c == "pids") {
                std::fs::write(v2.join("cgroup.subtree_control"), "+pids")
                    .unwrap_or_else(|e| panic!("no pids cgroup controller here: {e}"));
            }
            v2
        };
        let dir = parent.join(format!("pidone-test-{name}-{}", std::process::id()));
        std::fs::create_dir(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
        let cgroup = PidsCgroup { dir };
        std::fs::write(cgroup.dir.join("pids.max"), max.to_string()).expect("set pids.max");
        cgroup
    }

    /// The directory, as the `join-cgroup` wrapper wants it.
    fn path(&self) -> &str {
        self.dir.to_str().expect("a UTF-8 cgroup path")
    }

    /// How many times a fork failed because `pids.max` was reached.
    fn times_limit_hit(&self) -> u64 {
        let events = std::fs::read_to_string(self.dir.join("pids.events")).unwrap_or_default();
        events
            .lines()
            .find_map(|l| l.strip_prefix("max "))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for PidsCgroup {
    fn drop(&mut self) {
        // Every process in it is gone (pidone reaped them); the kernel may
        // take a moment to agree, so retry briefly.
        let dir = self.dir.clone();
        let deadline = std::time::Instant::now() + util::DEADLINE;
        let _ = util::poll_until(deadline, || std::fs::remove_dir(&dir).ok());
    }
}

/// Runs `testee fill-pids 42` under RUN (which sets the limit), and checks
/// that at the limit pidone still forwards, reaps every orphan the child
/// made, and returns the child's status. Returns how many orphans it took.
fn fill_and_recover(run: Run, log: Log, what: &str) -> usize {
    let mut init = run.testee(&["fill-pids", "42"]).start();
    let full = init.line_where("full N", |l| l.starts_with("full "));
    let made: usize = full["full ".len()..].parse().expect("a count");
    assert!(made >= 10, "{what}: only {made} orphans before the limit");
    let pidone = init.pid();
    // At the limit, pidone forwards (the child acks)...
    init.signal(libc::SIGUSR1);
    init.expect("got 10");
    init.expect("released");
    // ...and reaps every orphan, with nothing left as a zombie...
    util::poll(what, "every orphan reaped", || {
        (util::zombies_of(pidone).is_empty() && util::descendants(pidone).len() == 1).then_some(())
    });
    // ...and returns the child's own status.
    init.signal(libc::SIGUSR2);
    init.expect("got 12");
    let out = init.finish();
    out.assert_code(42);
    assert_eq!(out.log_lines("WARN"), Vec::<&str>::new(), "{out:#?}");
    if log == Log::Debug {
        let reaped = out.reaped_orphans();
        assert_eq!(reaped, made, "{what}: {out:#?}");
    }
    made
}

#[test]
fn at_the_pids_max_limit_pidone_forwards_reaps_and_returns_the_status() {
    for (mode, log) in matrix() {
        let what = format!("pids.max {mode:?} {log:?}");
        let cgroup = PidsCgroup::new(&format!("fill-{mode:?}-{log:?}"), 48);
        let run = Run::new(mode, log).wrap("join-cgroup", &[cgroup.path()]);
        let made = fill_and_recover(run, log, &what);
        let hits = cgroup.times_limit_hit();
        assert!(hits >= 1, "{what}: the limit was never reached");
        eprintln!("{what}: {made} orphans made until fork failed ({hits} refused), all reaped");
    }
}

#[test]
fn at_the_rlimit_nproc_limit_pidone_forwards_reaps_and_returns_the_status() {
    // Root ignores RLIMIT_NPROC (the kernel exempts uid 0 outright), so
    // pidone runs as an otherwise unused uid; the limit counts every
    // process of that uid: pidone, the child and its orphans.
    for (mode, log) in matrix() {
        let what = format!("RLIMIT_NPROC {mode:?} {log:?}");
        let run = Run::new(mode, log)
            .wrap("rlimit", &[RLIMIT_NPROC, "48"])
            .wrap("as-user", &["61234"]);
        let made = fill_and_recover(run, log, &what);
        eprintln!("{what}: {made} orphans made until fork failed, all reaped");
    }
}

/// Asserts OUT is pidone's one-line failure to fork the child: 125.
fn assert_fork_failed(out: &util::Finished) {
    out.assert_code(125);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "exactly one line: {out:#?}");
    assert!(
        lines[0].starts_with("pidone: failed to fork the child: Resource temporarily unavailable"),
        "{out:#?}"
    );
}

#[test]
fn when_the_child_cannot_be_forked_at_all_pidone_exits_125_with_one_line() {
    for (mode, log) in matrix() {
        // pids.max = 1: pidone itself is the one task allowed.
        let cgroup = PidsCgroup::new(&format!("nofork-{mode:?}-{log:?}"), 1);
        let out = Run::new(mode, log)
            .wrap("join-cgroup", &[cgroup.path()])
            .testee(&["exit", "0"])
            .output();
        assert_fork_failed(&out);
        assert!(cgroup.times_limit_hit() >= 1);
        // RLIMIT_NPROC = 1 for a uid that has only pidone.
        let out = Run::new(mode, log)
            .wrap("rlimit", &[RLIMIT_NPROC, "1"])
            .wrap("as-user", &["61235"])
            .testee(&["exit", "0"])
            .output();
        assert_fork_failed(&out);
    }
}

#[test]
fn without_descriptors_for_set_up_pidone_exits_125_with_one_line_not_a_panic() {
    // 3 descriptors: stdin, stdout and stderr take them all, so the
    // signalfd cannot be made. 4: the signalfd fits, the exec status pipe
    // (two descriptors) does not.
    let cases = [
        ("3", "pidone: failed to create signalfd: "),
        ("4", "pidone: failed to create the exec status pipe: "),
    ];
    for (mode, log) in matrix() {
        for (limit, want) in cases {
            let out = Run::new(mode, log)
                .wrap("rlimit", &[RLIMIT_NOFILE, limit])
                .testee(&["exit", "0"])
                .env("RUST_BACKTRACE", "1")
                .output();
            out.assert_code(125);
            let lines: Vec<&str> = out.stderr.lines().collect();
            assert_eq!(lines.len(), 1, "exactly one line: {out:#?}");
            // EMFILE, in musl's words ("No file descriptors available").
            assert!(
                lines[0].starts_with(want) && lines[0].ends_with("(os error 24)"),
                "{out:#?}"
            );
        }
    }
}

/// The state letter of PID from /proc (R, S, T, Z...), if it exists.
fn state(pid: i32) -> Option<char> {
    util::stat(pid).map(|s| s.state)
}

#[test]
fn every_signal_1_to_64_leaves_pidone_running_but_sigkill_and_sigstop() {
    // Not PID 1, where the kernel would apply default actions (tini dies
    // on 33 and on kill -SEGV there). pidone blocks everything it can, so
    // each signal is forwarded instead (CHLD only makes it reap).
    for mode in [Mode::Subreaper, Mode::Plain] {
        for log in LOGS {
            let what = format!("{mode:?} {log:?}");
            let mut init = Run::new(mode, log).testee(&["ack"]).start();
            init.expect("ready");
            let pidone = init.pid();
            for sig in (1..=64).filter(|s| ![libc::SIGKILL, libc::SIGSTOP].contains(s)) {
                assert_eq!(util::kill(pidone, sig), Ok(()), "{what}: kill {sig}");
                if sig != libc::SIGCHLD {
                    // One at a time, acknowledged: standard signals coalesce.
                    init.expect(&format!("got {sig}"));
                }
                let now = state(pidone);
                assert!(
                    matches!(now, Some('R' | 'S')),
                    "{what}: after signal {sig} pidone is {now:?}"
                );
            }
            // STOP does stop it (nobody can catch it); CONT resumes it, and
            // is forwarded like any other signal.
            assert_eq!(util::kill(pidone, libc::SIGSTOP), Ok(()));
            util::poll(&what, "pidone stopped", || {
                (state(pidone) == Some('T')).then_some(())
            });
            assert_eq!(util::kill(pidone, libc::SIGCONT), Ok(()));
            util::poll(&what, "pidone running", || {
                matches!(state(pidone), Some('R' | 'S')).then_some(())
            });
            init.expect("got 18");
            init.signal(libc::SIGUSR1);
            init.expect("got 10");
            // KILL is the one signal that ends it.
            assert_eq!(util::kill(pidone, libc::SIGKILL), Ok(()));
            let out = init.finish();
            assert_eq!(out.signal, Some(libc::SIGKILL), "{what}: {out:#?}");
        }
    }
}

#[test]
fn a_stopped_and_continued_child_is_not_taken_for_an_exited_one() {
    for (mode, log) in matrix() {
        let what = format!("{mode:?} {log:?}");
        // Stopped from outside: SIGSTOP straight to the child. pidone gets
        // a SIGCHLD for the stop (and another for the continue) and must
        // find nothing to reap.
        let mut init = Run::new(mode, log).testee(&["ack"]).start();
        init.expect("ready");
        let pidone = init.pid();
        let child = util::poll(&what, "the child", || {
            util::children(pidone).first().copied()
        });
        assert_eq!(util::kill(child, libc::SIGSTOP), Ok(()));
        util::poll(&what, "child stopped", || {
            (state(child) == Some('T')).then_some(())
        });
        // Still supervised: a signal to pidone is forwarded (it waits,
        // pending, in the stopped child).
        init.signal(libc::SIGUSR1);
        assert_eq!(util::kill(child, libc::SIGCONT), Ok(()));
        init.expect("got 10");
        init.expect("got 18");
        init.signal(libc::SIGUSR2);
        init.expect("got 12");
        assert!(matches!(state(pidone), Some('R' | 'S')), "{what}");
        drop(init);

        // Stopped through pidone: TSTP is forwarded and stops an app with
        // default dispositions, CONT resumes it, TERM ends it: 143, not the
        // 19 or 147 a stop status would have been mistaken for.
        let mut init = Run::new(mode, log).testee(&["pause"]).start();
        init.expect("ready");
        let pidone = init.pid();
        let child = util::poll(&what, "the child", || {
            util::children(pidone).first().copied()
        });
        init.signal(libc::SIGTSTP);
        util::poll(&what, "child stopped", || {
            (state(child) == Some('T')).then_some(())
        });
        init.signal(libc::SIGCONT);
        util::poll(&what, "child running", || {
            matches!(state(child), Some('R' | 'S')).then_some(())
        });
        init.signal(libc::SIGTERM);
        let out = init.finish();
        out.assert_code(143);
        if log == Log::Debug {
            let fates: Vec<&str> = out
                .log_lines("INFO")
                .into_iter()
                .filter(|l| l.contains(" was killed by ") || l.contains(" exited with code "))
                .collect();
            assert_eq!(fates.len(), 1, "one fate only: {out:#?}");
            assert!(
                fates[0].ends_with("was killed by SIGTERM (143)"),
                "{out:#?}"
            );
        }
    }
}

#[test]
fn regression_own_sigpipe_from_a_broken_stderr_is_never_forwarded() {
    // When nobody reads pidone's stderr any more, each log line pidone
    // writes fails with EPIPE and the kernel raises SIGPIPE at pidone. It
    // is blocked, so it arrived through the signalfd like a signal from
    // outside: pidone forwarded it, killing the app with 141 for a pipe it
    // never touched; at debug level every forward logged, failed, raised
    // SIGPIPE and was forwarded again, forever (21,784 SIGPIPEs a second
    // to the app and pidone at full CPU, measured before the fix).
    for mode in [Mode::Pid1, Mode::Subreaper, Mode::Plain] {
        // Debug: "started child" is logged before the app runs.
        let mut init = Run::new(mode, Log::Debug)
            .broken_stderr()
            .testee(&["count", "64", "42"])
            .start();
        init.expect("ready");
        init.signal(libc::SIGUSR1);
        init.signal(libc::SIGWINCH);
        init.signal(64);
        let out = init.finish();
        out.assert_code(42);
        assert_eq!(
            out.stdout, "ready\ncount 10 1\ncount 28 1\ncount 64 1\n",
            "{mode:?}: exactly what was sent, no SIGPIPE"
        );
    }
    // Default level: the not-PID-1 warning is written before the child
    // exists; -w warns for every orphan reaped while it runs.
    let runs = [
        (Run::new(Mode::Plain, Log::Default), "pause", ""),
        (
            Run::new(Mode::Pid1, Log::Default).args(["-w"]),
            "orphans",
            "5",
        ),
        (
            Run::new(Mode::Subreaper, Log::Default).args(["-w"]),
            "orphans",
            "5",
        ),
    ];
    for (run, testee, arg) in runs {
        let args: Vec<&str> = [testee, arg]
            .into_iter()
            .filter(|a| !a.is_empty())
            .collect();
        let mut init = run.broken_stderr().testee(&args).start();
        if testee == "orphans" {
            init.expect("orphans done");
            let pidone = init.pid();
            util::poll(testee, "no zombie left", || {
                util::zombies_of(pidone).is_empty().then_some(())
            });
        } else {
            init.expect("ready");
        }
        init.signal(libc::SIGTERM);
        init.finish().assert_code(143);
    }
}

#[test]
fn regression_a_stopped_leftover_gets_sigcont_with_its_sigterm() {
    // A leftover that is stopped when the main child exits cannot act on
    // SIGTERM until it is continued: before the fix it sat out the whole
    // grace period and was SIGKILLed mid-nothing, its clean-up never run.
    let grace = Duration::from_secs(5);
    for (mode, log) in matrix() {
        let file = util::temp_path("stopped-leftover");
        let mut init = Run::new(mode, log)
            .args(["--grace", "5s"])
            .testee(&["leave-behind", file.to_str().unwrap(), "7", "stopped"])
            .start();
        init.line_where("graceful ready", |l| l.starts_with("graceful ready "));
        init.expect("leaving");
        let left = Instant::now();
        let out = init.finish();
        let took = left.elapsed();
        out.assert_code(7);
        let written = std::fs::read_to_string(&file).unwrap_or_default();
        let _ = std::fs::remove_file(&file);
        assert_eq!(written, "started\nfinished\n", "{mode:?} {log:?}: {out:#?}");
        assert!(
            took < grace,
            "{mode:?} {log:?}: waited out the grace: {took:?}"
        );
    }
}

#[test]
fn regression_a_termination_log_fifo_without_a_reader_never_hangs_pidone() {
    // open(2) for writing blocks until a FIFO has a reader, and with every
    // signal blocked nothing interrupts it: pidone hung after its child had
    // exited, SIGTERM could not end it, and the status was lost to the
    // SIGKILL that finally did (137 instead of the child's code).
    for (mode, log) in matrix() {
        let fifo = util::temp_path("termination-fifo");
        util::mkfifo(&fifo);
        let out = Run::new(mode, log)
            .args(["--termination-log".as_ref(), fifo.as_os_str()])
            .testee(&["exit", "4"])
            .output();
        let _ = std::fs::remove_file(&fifo);
        out.assert_code(4);
        let warned = out.log_lines("WARN");
        assert!(
            warned.len() == 1 && warned[0].contains("failed to write the termination log"),
            "{mode:?} {log:?}: {out:#?}"
        );
    }
}

#[test]
fn regression_out_of_memory_is_one_line_and_125_never_an_abort() {
    // Rust's default on a failed allocation printed "memory allocation of
    // 72 bytes failed" twice and aborted (134). Sweep RLIMIT_AS across the
    // range where the static pidone still starts but runs out of memory
    // (about 700 KB to 1 MB here); pidone must then say one line and exit
    // 125. Below the range the kernel cannot even start the process and
    // kills it with SIGSEGV before any code of ours runs: accepted, and
    // counted, but not pidone's to handle.
    //
    // The value of --grace is long, so its error message needs memory the
    // limit starves. That message once failed half written: "pidone: "
    // went out, then the allocation for the rest failed, and the
    // allocator's line followed it on the same line.
    const RLIMIT_AS: &str = "9";
    let pidone = util::static_pidone();
    let long = "x".repeat(70_000);
    let (mut out_of_memory, mut worked) = (0, 0);
    for kb in (400..=1_400).step_by(8) {
        let bytes = (kb * 1024).to_string();
        let out = std::process::Command::new(util::testee())
            .args(["rlimit", RLIMIT_AS, &bytes])
            .arg(pidone)
            .args(["--grace", &long, "--", "true"])
            .env_remove("PIDONE_LOG")
            .env("RUST_BACKTRACE", "1")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let shown: String = stderr.chars().take(200).collect();
        let what = format!("RLIMIT_AS {kb} KB: {:?} {shown:?}", out.status);
        assert!(!stderr.contains("memory allocation of"), "{what}");
        assert!(!stderr.contains("backtrace"), "{what}");
        assert_ne!(out.status.code(), Some(134), "{what}");
        if out.status.code().is_some() {
            assert_eq!(stderr.lines().count(), 1, "{what}");
            assert!(stderr.starts_with("pidone: "), "{what}");
            assert!(!stderr.starts_with("pidone: pidone: "), "{what}");
        }
        match out.status.code() {
            Some(2) if stderr.starts_with("pidone: invalid duration 'xxx") => worked += 1,
            Some(125) if stderr == "pidone: failed to allocate memory: out of memory\n" => {
                out_of_memory += 1
            }
            // Killed by the kernel before main (no stack or no room to map).
            None => {}
            Some(_) => panic!("unexpected: {what}"),
        }
    }
    eprintln!("RLIMIT_AS sweep: {out_of_memory} out-of-memory exits, {worked} normal runs");
    assert!(
        out_of_memory >= 1,
        "the sweep never reached pidone's out-of-memory path"
    );
    assert!(worked >= 1, "the sweep never let pidone run normally");
}
