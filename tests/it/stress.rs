//! Stress: pidone under load. A storm of 10,000 signals, 5,000 orphans in
//! bursts, and hundreds of runs where the main child exits at the same
//! moment as hundreds of orphans and a burst of signals. Each prints its
//! figures (run with `--nocapture` to see them).
//!
//! Sized for a loaded 2-core machine: the whole module took 25–47 s there
//! (the 240 races are most of it), at load averages from 3 to 256.

use std::time::Instant;

use crate::util::{self, matrix, Log, Run};

/// `SigQ` of PID: signals queued for its real uid, and its
/// RLIMIT_SIGPENDING.
fn sigq(pid: i32) -> (u64, u64) {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let value = text
        .lines()
        .find_map(|l| l.strip_prefix("SigQ:"))
        .unwrap_or_else(|| panic!("no SigQ for {pid}"));
    let (queued, limit) = value.trim().split_once('/').expect("SigQ: N/M");
    (queued.parse().unwrap(), limit.parse().unwrap())
}

/// The standard signals of the storm. They coalesce: while one is pending
/// (at pidone, or at the child) another of the same number is merged into
/// it by the kernel, so each kind arrives at least once and at most as
/// often as it was sent.
const STANDARD: [i32; 4] = [libc::SIGUSR1, libc::SIGUSR2, libc::SIGHUP, libc::SIGWINCH];
/// The real-time signals of the storm. They queue: every one the kernel
/// accepts for pidone must reach the child, none lost, none made up.
const REALTIME: [i32; 6] = [34, 35, 40, 50, 60, 63];
/// Sent last, after every kill of the storm has returned: the lowest
/// pending signal is always read first (pidone's signalfd, then the
/// child's), and every storm signal is below 64, so when the child reads
/// this one it has read everything pidone forwarded before it.
const MARKER: i32 = 64;
/// Signals of each kind: 10 kinds, 10,000 signals.
const PER_KIND: usize = 1_000;

#[test]
fn signal_storm_of_10000_loses_no_realtime_signal_and_ends_with_the_childs_code() {
    let kinds: Vec<i32> = STANDARD.iter().chain(&REALTIME).copied().collect();
    for (mode, log) in matrix() {
        let what = format!("{mode:?} {log:?}");
        let mut init = Run::new(mode, log)
            .testee(&["count", &MARKER.to_string(), "42"])
            .start();
        init.expect("ready");
        let pidone = init.pid();
        // kill(2) never refuses a real-time signal: past RLIMIT_SIGPENDING
        // (counted per user over every queue) the kernel drops the queue
        // entry and keeps only the pending bit, silently. So "accepted"
        // means "queued" only below that limit; the storm must fit, with
        // room for pidone's queue and the child's at once.
        let (queued, limit) = sigq(pidone);
        let realtime_sent = (REALTIME.len() * PER_KIND) as u64;
        assert!(
            queued + 2 * realtime_sent < limit,
            "{what}: RLIMIT_SIGPENDING {limit} has no room for the storm ({queued} queued)"
        );
        let mut sent = [0usize; 65];
        let started = Instant::now();
        for _ in 0..PER_KIND {
            for &sig in &kinds {
                assert_eq!(util::kill(pidone, sig), Ok(()), "{what}: kill {sig}");
                sent[sig as usize] += 1;
            }
        }
        let sending = started.elapsed();
        assert_eq!(util::kill(pidone, MARKER), Ok(()));
        let out = init.finish();
        let total = started.elapsed();
        // pidone never died: it exited with the child's own code.
        out.assert_code(42);
        assert!(out.log_lines("WARN").is_empty(), "{what}: {out:#?}");
        let mut received = [0usize; 65];
        for line in out.stdout.lines().filter_map(|l| l.strip_prefix("count ")) {
            let (sig, count) = line.split_once(' ').unwrap();
            received[sig.parse::<usize>().unwrap()] = count.parse().unwrap();
        }
        let mut figures = vec![];
        for &sig in &kinds {
            let (s, r) = (sent[sig as usize], received[sig as usize]);
            if REALTIME.contains(&sig) {
                assert_eq!(r, s, "{what}: signal {sig} queues, none may be lost");
            } else {
                assert!((1..=s).contains(&r), "{what}: signal {sig}: {r} of {s}");
            }
            figures.push(format!("{sig}:{r}/{s}"));
        }
        assert_eq!(received[MARKER as usize], 1);
        // Nothing else reached the child (no SIGPIPE, no SIGCHLD).
        let expected: usize = kinds.iter().map(|&s| received[s as usize]).sum::<usize>() + 1;
        assert_eq!(received.iter().sum::<usize>(), expected, "{what}");
        eprintln!(
            "signal storm {what}: {} sent in {} ms, done in {} ms; received/sent {}",
            sent.iter().sum::<usize>() + 1,
            sending.as_millis(),
            total.as_millis(),
            figures.join(" ")
        );
    }
}

/// Orphans per burst and bursts after the warm-up burst: 5,000 orphans.
const BURST: usize = 200;
const BURSTS: usize = 25;
/// How much pidone's resident memory may grow over the 5,000 reaps: 16
/// pages. Reaping allocates nothing that outlives one SIGCHLD.
const RSS_SLACK_KB: u64 = 64;

#[test]
fn orphan_storm_of_5000_all_reaped_and_memory_does_not_grow() {
    for (mode, log) in matrix() {
        let what = format!("{mode:?} {log:?}");
        let mut init = Run::new(mode, log)
            .testee(&["orphan-bursts", &BURSTS.to_string(), &BURST.to_string()])
            .start();
        init.expect("warm");
        let pidone = init.pid();
        let settled = || {
            (util::zombies_of(pidone).is_empty() && util::descendants(pidone).len() == 1)
                .then_some(())
        };
        // The warm-up burst is reaped: every code path has run once.
        util::poll(&what, "the warm-up orphans reaped", settled);
        let before = util::status_number(pidone, "VmRSS");
        let started = Instant::now();
        init.signal(libc::SIGUSR1);
        init.expect(&format!("orphans done {}", BURST * BURSTS));
        util::poll(&what, "every orphan reaped", settled);
        let took = started.elapsed();
        let after = util::status_number(pidone, "VmRSS");
        init.signal(libc::SIGTERM);
        let out = init.finish();
        out.assert_code(143);
        let reaped = out.reaped_orphans();
        if log == Log::Debug {
            assert_eq!(reaped, BURST * (BURSTS + 1), "{what}");
        }
        assert!(
            after <= before + RSS_SLACK_KB,
            "{what}: VmRSS grew from {before} kB to {after} kB"
        );
        eprintln!(
            "orphan storm {what}: {} orphans in {BURSTS} bursts of {BURST} reaped in {} ms \
             (+{BURST} warm-up), no zombie; VmRSS {before} kB before, {after} kB after{}",
            BURST * BURSTS,
            took.as_millis(),
            if log == Log::Debug {
                format!("; {reaped} 'reaped orphan' lines")
            } else {
                String::new()
            }
        );
    }
}

/// A pidfd for PID, so that signals can never reach another process that
/// got the same pid after pidone exited (the burst runs into its exit).
struct PidFd(i32);

impl PidFd {
    fn open(pid: i32) -> PidFd {
        // SAFETY: pidfd_open takes plain integers.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        assert!(
            fd >= 0,
            "pidfd_open {pid}: {}",
            std::io::Error::last_os_error()
        );
        PidFd(fd as i32)
    }

    /// Sends SIG; false once the process is gone.
    fn send(&self, sig: i32) -> bool {
        // SAFETY: a null siginfo means "as kill(2)"; flags 0.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                self.0,
                sig,
                std::ptr::null::<libc::siginfo_t>(),
                0,
            )
        };
        rc == 0
    }
}

impl Drop for PidFd {
    fn drop(&mut self) {
        // SAFETY: our own descriptor, closed once.
        unsafe { libc::close(self.0) };
    }
}

/// Runs per (mode, log) cell: 4 cells, 240 runs.
const RACE_RUNS: usize = 60;
/// Orphans that exit together with the main child in each run.
const RACE_ORPHANS: &str = "200";
/// Signals in the burst that triggers (and follows) the main child's exit.
const RACE_BURST: usize = 64;

#[test]
fn race_at_exit_always_returns_the_main_childs_own_status() {
    // How the main child ends in run i: its own codes and signal deaths,
    // never 99 (the orphans' code) so a mix-up could not pass unseen.
    let endings: [(&str, i32, i32); 8] = [
        ("exit", 0, 0),
        ("exit", 3, 3),
        ("exit", 42, 42),
        ("exit", 255, 255),
        ("signal", libc::SIGKILL, 137),
        ("signal", libc::SIGTERM, 143),
        ("signal", libc::SIGINT, 130),
        ("signal", 35, 163),
    ];
    let burst = [
        libc::SIGUSR1,
        libc::SIGUSR2,
        libc::SIGHUP,
        libc::SIGWINCH,
        40,
        50,
    ];
    let started = Instant::now();
    let mut runs = 0;
    let mut signals_sent = 0;
    let mut orphans_reaped = 0;
    for (mode, log) in matrix() {
        for i in 0..RACE_RUNS {
            let (how, value, want) = endings[i % endings.len()];
            let what = format!("{mode:?} {log:?} run {i}: {how} {value}");
            let mut init = Run::new(mode, log)
                .testee(&["race", RACE_ORPHANS, how, &value.to_string()])
                .start();
            init.expect("ready");
            // pidone cannot exit before the first signal: the child waits
            // for it. From here the pidfd keeps us on the right process.
            let pidone = PidFd::open(init.pid());
            for k in 0..RACE_BURST {
                if !pidone.send(burst[k % burst.len()]) {
                    break;
                }
                signals_sent += 1;
            }
            let out = init.finish();
            assert_eq!(out.code, Some(want), "{what}: {out:#?}");
            assert!(out.log_lines("WARN").is_empty(), "{what}: {out:#?}");
            if log == Log::Debug {
                // pidone exits only when no child is left: it reaped them all.
                let reaped = out.reaped_orphans();
                assert_eq!(reaped.to_string(), RACE_ORPHANS, "{what}: {out:#?}");
                orphans_reaped += reaped;
            }
            runs += 1;
        }
    }
    eprintln!(
        "race at exit: {runs} runs, each with {RACE_ORPHANS} orphans exiting with the main \
         child and a burst of up to {RACE_BURST} signals ({signals_sent} accepted in all); \
         every status was the main child's own; {orphans_reaped} orphans counted reaped in \
         the debug runs; {} ms",
        started.elapsed().as_millis()
    );
}
