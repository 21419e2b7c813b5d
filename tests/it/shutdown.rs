//! Whole-tree shutdown: when the main child exits, pidone sends SIGTERM to
//! every leftover process, waits up to --grace, SIGKILLs the rest, reaps
//! them all, and only then exits with the main child's status. (tini exits
//! at once and the kernel SIGKILLs the leftovers mid-write.)

use std::time::{Duration, Instant};

use crate::util::{self, matrix, Log, Mode, Run};

/// The pid announced in a `NAME ready PID` line.
fn announced_pid(init: &mut util::Init, name: &str) -> i32 {
    let prefix = format!("{name} ready ");
    let line = init.line_where(&prefix, |l| l.starts_with(&prefix));
    line[prefix.len()..].parse().unwrap()
}

#[test]
fn leftovers_get_sigterm_and_time_to_finish() {
    for (mode, log) in matrix() {
        let file = util::temp_path("graceful");
        let mut init = Run::new(mode, log)
            .testee(&["leave-behind", file.to_str().unwrap(), "7"])
            .start();
        let graceful = announced_pid(&mut init, "graceful");
        init.expect("leaving");
        let out = init.finish();
        out.assert_code(7);
        let written = std::fs::read_to_string(&file).unwrap_or_default();
        assert_eq!(written, "started\nfinished\n", "{out:#?}");
        std::fs::remove_file(&file).unwrap();
        if mode == Mode::Subreaper {
            assert!(util::stat(graceful).is_none(), "the leftover survived");
        }
        if log == Log::Debug {
            let said = out
                .log_lines("INFO")
                .iter()
                .any(|l| l.contains("sent SIGTERM to 1 leftover processes"));
            assert!(said, "{out:#?}");
        }
    }
}

#[test]
fn a_leftover_that_ignores_sigterm_is_killed_after_the_grace_period() {
    let grace = Duration::from_millis(1_000);
    for (mode, log) in matrix() {
        let file = util::temp_path("stubborn");
        let started = Instant::now();
        let mut init = Run::new(mode, log)
            .args(["--grace", "1s"])
            .testee(&["leave-behind", file.to_str().unwrap(), "5", "stubborn"])
            .start();
        announced_pid(&mut init, "graceful");
        let stubborn = announced_pid(&mut init, "stubborn");
        init.expect("leaving");
        let left = Instant::now();
        let out = init.finish();
        let (total, after_exit) = (started.elapsed(), left.elapsed());
        eprintln!(
            "{mode:?} {log:?}: exit {:?}, {} ms after the main child left ({} ms since start)",
            out.code,
            after_exit.as_millis(),
            total.as_millis()
        );
        out.assert_code(5);
        // The grace period runs entirely between the start and pidone's exit.
        assert!(total >= grace, "exited before the grace period: {total:?}");
        assert!(
            after_exit < grace * 2,
            "took {after_exit:?}, grace {grace:?}"
        );
        assert_eq!(
            std::fs::read_to_string(&file).unwrap_or_default(),
            "started\nfinished\n"
        );
        std::fs::remove_file(&file).unwrap();
        if mode == Mode::Subreaper {
            assert!(
                util::stat(stubborn).is_none(),
                "the stubborn leftover survived"
            );
        }
        if log == Log::Debug {
            let said = out.log_lines("INFO").iter().any(|l| {
                l.contains("1 of 2 leftover processes did not exit within 1s: sent SIGKILL")
            });
            assert!(said, "{out:#?}");
        }
    }
}

#[test]
fn without_a_stop_the_default_grace_is_short() {
    // The main child ended on its own: a leftover that ignores SIGTERM
    // holds the run up for the short default only.
    for (mode, log) in matrix() {
        let file = util::temp_path("default-grace");
        let mut init = Run::new(mode, log)
            .testee(&["leave-behind", file.to_str().unwrap(), "5", "stubborn"])
            .start();
        announced_pid(&mut init, "graceful");
        announced_pid(&mut init, "stubborn");
        init.expect("leaving");
        let left = Instant::now();
        let out = init.finish();
        let after_exit = left.elapsed();
        out.assert_code(5);
        let default = Duration::from_secs(2);
        assert!(after_exit >= default, "{mode:?}: {after_exit:?}");
        assert!(
            after_exit < default + Duration::from_secs(2),
            "{mode:?}: {after_exit:?}"
        );
        let _ = std::fs::remove_file(&file);
    }
}

#[test]
fn grace_zero_kills_at_once() {
    for (mode, log) in matrix() {
        for run in [
            Run::new(mode, log).args(["--grace", "0"]),
            Run::new(mode, log).env("PIDONE_GRACE", "0"),
        ] {
            let file = util::temp_path("grace0");
            let mut init = run
                .testee(&["leave-behind", file.to_str().unwrap(), "6", "stubborn"])
                .start();
            init.expect("leaving");
            let left = Instant::now();
            let out = init.finish();
            out.assert_code(6);
            // SIGKILL straight away: the graceful one never got to write.
            assert!(!file.exists(), "{out:#?}");
            assert!(
                left.elapsed() < Duration::from_secs(1),
                "{:?}",
                left.elapsed()
            );
        }
    }
}

#[test]
fn without_leftovers_pidone_exits_at_once() {
    for (mode, log) in matrix() {
        let started = Instant::now();
        Run::new(mode, log)
            .args(["--grace", "10s"])
            .testee(&["exit", "0"])
            .output()
            .assert_code(0);
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}

#[test]
fn regression_processes_that_entered_the_namespace_get_sigterm_and_time_too() {
    // `docker exec` / `nsenter` processes are not pidone's children (their
    // parent is outside the namespace), so no SIGCHLD tells pidone about
    // them; as PID 1 it must still shut them down gracefully. pidone used
    // to exit at once, and the kernel SIGKILLed them mid-write.
    for log in [Log::Default, Log::Debug] {
        let file = util::temp_path("entered");
        let mut init = Run::new(Mode::Pid1, log).testee(&["pause"]).start();
        init.expect("ready");
        let pidone = init.pid();
        let mut joiner = std::process::Command::new("nsenter")
            .args(["--target", &pidone.to_string(), "--pid", "--mount", "--"])
            .arg(util::testee())
            .args(["graceful", file.to_str().unwrap()])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("run nsenter");
        let stdout = joiner.stdout.take().unwrap();
        let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stdout));
        assert_eq!(lines.next().unwrap().unwrap(), "ready");
        init.signal(libc::SIGTERM);
        let out = init.finish();
        out.assert_code(143);
        assert_eq!(
            std::fs::read_to_string(&file).unwrap_or_default(),
            "started\nfinished\n",
            "{out:#?}"
        );
        std::fs::remove_file(&file).unwrap();
        let _ = joiner.wait();
    }
}
