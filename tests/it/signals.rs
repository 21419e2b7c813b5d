//! Every signal sent to pidone, as a runtime sends it to the init's host
//! pid, reaches the child: all of 1–64 but KILL, STOP and CHLD, including
//! 32 and 33 that the C libraries hide. With -g the whole process group
//! gets it; without, only the child.

use std::process::{Command, Stdio};

use crate::util::{self, matrix, with_embedded, Mode, Run, LOGS};

#[test]
fn term_to_the_init_ends_the_child_with_143() {
    for (mode, log) in with_embedded() {
        let mut init = Run::new(mode, log).testee(&["pause"]).start();
        init.expect("ready");
        init.signal(libc::SIGTERM);
        init.finish().assert_code(143);
    }
}

#[test]
fn every_catchable_signal_reaches_the_child() {
    let standard = (1..=31).filter(|s| ![libc::SIGKILL, libc::SIGSTOP, libc::SIGCHLD].contains(s));
    let signals: Vec<i32> = standard.chain([32, 33, 34, 35, 40, 50, 63, 64]).collect();
    for (mode, log) in with_embedded() {
        let mut init = Run::new(mode, log).testee(&["ack"]).start();
        init.expect("ready");
        // One at a time, each acknowledged before the next: standard
        // signals coalesce, so sending ahead could merge two into one.
        for &sig in &signals {
            init.signal(sig);
            init.expect(&format!("got {sig}"));
        }
    }
}

/// Starts the `group` testee and returns it with the grandchild's host pid.
fn start_group(run: Run) -> (util::Init, i32) {
    let mut init = run.testee(&["group"]).start();
    init.expect("child ready");
    init.line_where("grandchild ready", |l| l.starts_with("grandchild ready "));
    let pidone = init.pid();
    let grandchild = util::poll("group", "the grandchild", || {
        let child = *util::children(pidone).first()?;
        util::children(child).first().copied()
    });
    (init, grandchild)
}

#[test]
fn process_group_flag_reaches_the_grandchild() {
    for (mode, log) in matrix() {
        for run in [
            Run::new(mode, log).args(["-g"]),
            Run::new(mode, log).env("PIDONE_PROCESS_GROUP", "1"),
            Run::new(mode, log).env("TINI_KILL_PROCESS_GROUP", "1"),
        ] {
            let (mut init, _) = start_group(run);
            for sig in [libc::SIGUSR1, libc::SIGHUP, 40] {
                init.signal(sig);
                init.expect(&format!("child got {sig}"));
                init.expect(&format!("grandchild got {sig}"));
            }
        }
    }
}

#[test]
fn without_process_group_the_grandchild_gets_nothing() {
    for (mode, log) in matrix() {
        let (mut init, grandchild) = start_group(Run::new(mode, log));
        init.signal(libc::SIGUSR1);
        init.expect("child got 10");
        // Had pidone signalled the group, USR1 would now be pending in the
        // grandchild, and a pending 10 is read before a later 28: so the
        // grandchild's next line must be the WINCH we send it ourselves.
        assert_eq!(util::kill(grandchild, libc::SIGWINCH), Ok(()));
        let next = init.line_where("grandchild's next line", |l| {
            l.starts_with("grandchild got")
        });
        assert_eq!(
            next, "grandchild got 28",
            "the grandchild must not get USR1"
        );
    }
}

#[test]
fn parent_death_signal_is_sent_and_forwarded() {
    for log in LOGS {
        for how in [["-p", "USR1"], ["--parent-death-signal", "SIGUSR1"]] {
            // A parent that exists only to die: pidone's parent is the sh.
            let mut parent = Command::new("sh")
                .arg("-c")
                .arg("\"$0\" \"$@\" & wait")
                .arg(util::pidone())
                .args(["-s", how[0], how[1], "--"])
                .arg(util::testee())
                .arg("ack")
                .env_remove("PIDONE_LOG")
                .envs((log == util::Log::Debug).then_some(("PIDONE_LOG", "debug")))
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let stdout = parent.stdout.take().unwrap();
            let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stdout));
            assert_eq!(lines.next().unwrap().unwrap(), "ready");
            let sh = parent.id() as i32;
            let pidone = util::poll("sh", "pidone under sh", || {
                util::children(sh)
                    .into_iter()
                    .find(|&p| util::exe(p) == util::pidone())
            });
            parent.kill().unwrap();
            parent.wait().unwrap();
            assert_eq!(lines.next().unwrap().unwrap(), "got 10");
            let _ = util::kill(pidone, libc::SIGKILL);
        }
    }
}

#[test]
fn pidone_is_not_killed_by_hidden_or_fault_signals() {
    // tini dies from kill -33 and kill -SEGV when not PID 1; pidone blocks
    // and forwards them. As a subreaper the kernel's defaults would apply.
    let mut init = Run::new(Mode::Subreaper, util::Log::Default)
        .testee(&["ack"])
        .start();
    init.expect("ready");
    for sig in [
        32,
        33,
        34,
        libc::SIGSEGV,
        libc::SIGILL,
        libc::SIGABRT,
        libc::SIGTSTP,
    ] {
        init.signal(sig);
        init.expect(&format!("got {sig}"));
    }
}
