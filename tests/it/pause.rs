//! --pause: no program; sleep without wake-ups, reap orphans, exit 0 on
//! SIGTERM or SIGINT, log and ignore every other signal. The pod "pause"
//! container role.

use std::process::{Command, Stdio};

use crate::util::{self, Log, Mode, Run, LOGS};

#[test]
fn pause_ends_with_0_on_term_and_int() {
    for log in LOGS {
        for mode in [Mode::Pid1, Mode::Subreaper] {
            for (flag, sig) in [("--pause", libc::SIGTERM), ("-P", libc::SIGINT)] {
                let init = Run::new(mode, log).args([flag]).start();
                let pid = init.pid();
                util::wait_asleep("pause", pid);
                // Other signals are logged and ignored.
                init.signal(libc::SIGHUP);
                init.signal(libc::SIGUSR1);
                init.signal(sig);
                let out = init.finish();
                out.assert_code(0);
                let info = out.log_lines("INFO");
                if log == Log::Debug {
                    assert!(
                        info.iter().any(|l| l.contains("ignoring SIGHUP")),
                        "{out:#?}"
                    );
                }
            }
        }
    }
}

#[test]
fn pause_as_pid1_reaps_orphans_of_processes_that_join_the_namespace() {
    for log in LOGS {
        let init = Run::new(Mode::Pid1, log).args(["--pause"]).start();
        let pidone = init.pid();
        // A process entering the namespace (as `kubectl exec` would) makes
        // orphans; they are re-parented to pidone, the namespace's init.
        let mut joiner = Command::new("nsenter")
            .args(["--target", &pidone.to_string(), "--pid", "--mount", "--"])
            .arg(util::testee())
            .args(["orphans", "200"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("run nsenter");
        let stdout = joiner.stdout.take().unwrap();
        let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stdout));
        assert_eq!(lines.next().unwrap().unwrap(), "orphans done");
        util::poll("pause", "no zombie left under pidone", || {
            util::zombies_of(pidone).is_empty().then_some(())
        });
        let _ = joiner.kill();
        let _ = joiner.wait();
        init.signal(libc::SIGTERM);
        let out = init.finish();
        out.assert_code(0);
        if log == Log::Debug {
            let reaped = out.reaped_orphans();
            assert!(reaped >= 200, "reaped {reaped}: {out:#?}");
        }
    }
}

#[test]
fn pause_with_a_program_is_a_usage_error() {
    let out = Run::new(Mode::Plain, Log::Default)
        .args(["--pause", "--", "sleep", "1"])
        .output();
    out.assert_code(2);
    assert!(out.stderr.contains("'sleep'"), "{out:#?}");
}
