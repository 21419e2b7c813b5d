//! --user and --workdir: the child runs as another user (groups, gid, uid,
//! HOME and USER from the image's own /etc/passwd and /etc/group) in
//! another directory, while pidone stays root and keeps reaping and
//! forwarding.

use std::process::{Command, Stdio};

use crate::util::{self, matrix, Log, Mode, Run, LOGS};

/// The `whoami` lines of a testee run as SPEC, with HOME and USER unset.
fn whoami(mode: Mode, log: Log, spec: &str) -> (util::Finished, Vec<String>) {
    let out = Run::new(mode, log)
        .args(["--user", spec])
        .env_unset("HOME")
        .env_unset("USER")
        .testee(&["whoami"])
        .output();
    let lines = out.stdout.lines().map(str::to_string).collect();
    (out, lines)
}

#[test]
fn the_child_runs_as_the_user_and_groups_asked_for() {
    let cases: &[(&str, &[&str])] = &[
        (
            "nobody",
            &[
                "Uid:\t65534\t65534\t65534\t65534",
                "Gid:\t65534\t65534\t65534\t65534",
                "Groups:\t65534",
                "home /nonexistent",
                "user nobody",
            ],
        ),
        (
            "65534:0",
            &[
                "Uid:\t65534\t65534\t65534\t65534",
                "Gid:\t0\t0\t0\t0",
                "Groups:\t0",
                "user nobody",
            ],
        ),
        // A uid the passwd file does not know: its own number as the group,
        // no HOME or USER from us.
        (
            "4321",
            &[
                "Uid:\t4321\t4321\t4321\t4321",
                "Gid:\t4321\t4321\t4321\t4321",
                "Groups:\t4321",
                "home -",
                "user -",
            ],
        ),
        (
            "4321:99",
            &[
                "Uid:\t4321\t4321\t4321\t4321",
                "Gid:\t99\t99\t99\t99",
                "Groups:\t99",
            ],
        ),
    ];
    for (mode, log) in matrix() {
        for (spec, wants) in cases {
            let (out, lines) = whoami(mode, log, spec);
            out.assert_code(0);
            for want in *wants {
                assert!(
                    lines.iter().any(|l| l == want),
                    "{spec}: {want:?} in {out:#?}"
                );
            }
        }
    }
}

#[test]
fn home_and_user_already_set_are_kept() {
    for (mode, log) in matrix() {
        let out = Run::new(mode, log)
            .args(["--user", "nobody"])
            .env("HOME", "/srv/app")
            .env("USER", "someone")
            .testee(&["whoami"])
            .output();
        out.assert_code(0);
        assert!(
            out.stdout.contains("home /srv/app\nuser someone\n"),
            "{out:#?}"
        );
    }
}

#[test]
fn pidone_still_forwards_and_reaps_for_an_unprivileged_child() {
    for (mode, log) in matrix() {
        let mut init = Run::new(mode, log)
            .env("PIDONE_USER", "nobody")
            .testee(&["ack"])
            .start();
        init.expect("ready");
        for sig in [libc::SIGTERM, libc::SIGUSR1, 40] {
            init.signal(sig);
            init.expect(&format!("got {sig}"));
        }
        drop(init);
        let mut init = Run::new(mode, log)
            .args(["--user", "nobody"])
            .testee(&["orphans", "100"])
            .start();
        init.expect("orphans done");
        let pidone = init.pid();
        util::poll("--user nobody", "no zombie left", || {
            util::zombies_of(pidone).is_empty().then_some(())
        });
        // pidone itself is still root.
        assert_eq!(util::status_number(pidone, "Uid"), 0);
        init.signal(libc::SIGTERM);
        init.finish().assert_code(143);
    }
}

#[test]
fn an_unknown_user_or_group_is_a_usage_error() {
    for (mode, log) in matrix() {
        for (spec, named) in [
            ("no-such-user", "'no-such-user'"),
            ("nobody:no-such-group", "'no-such-group'"),
        ] {
            let out = Run::new(mode, log)
                .args(["--user", spec])
                .testee(&["exit", "0"])
                .output();
            out.assert_code(2);
            let lines: Vec<&str> = out.stderr.lines().collect();
            assert_eq!(lines.len(), 1, "{out:#?}");
            assert!(lines[0].contains(named), "{out:#?}");
        }
    }
}

#[test]
fn a_scratch_image_with_only_etc_passwd_works() {
    // A mount namespace whose /etc holds nothing but a passwd file, like a
    // FROM scratch image: pidone reads the real file, no NSS, no group file.
    let etc = std::env::temp_dir().join(format!("pidone-scratch-etc-{}", std::process::id()));
    std::fs::create_dir_all(&etc).unwrap();
    std::fs::write(
        etc.join("passwd"),
        "app:x:4242:4343:The App:/home/app:/bin/sh\n",
    )
    .unwrap();
    for log in LOGS {
        let mut command = Command::new("unshare");
        command
            .args(["--mount", "--pid", "--fork", "--kill-child", "--mount-proc"])
            .args(["sh", "-c", r#"mount --bind "$0" /etc && exec "$@""#])
            .arg(&etc)
            .arg(util::pidone())
            .args(["--user", "app", "--"])
            .arg(util::testee())
            .arg("whoami")
            .env_remove("HOME")
            .env_remove("USER")
            .env_remove("PIDONE_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if log == Log::Debug {
            command.env("PIDONE_LOG", "debug");
        }
        let out = util::wait_output(
            command.spawn().unwrap(),
            "pidone --user app in a scratch-like root",
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{out:#?}");
        for want in [
            "Uid:\t4242\t4242\t4242\t4242",
            "Gid:\t4343\t4343\t4343\t4343",
            "Groups:\t4343",
            "home /home/app",
            "user app",
        ] {
            assert!(stdout.lines().any(|l| l == want), "{want:?} in {stdout}");
        }
    }
    std::fs::remove_dir_all(&etc).unwrap();
}

#[test]
fn workdir_sets_the_childs_directory() {
    for (mode, log) in matrix() {
        for run in [
            Run::new(mode, log).args(["--workdir", "/tmp"]),
            Run::new(mode, log).env("PIDONE_WORKDIR", "/tmp"),
        ] {
            let out = run.testee(&["whoami"]).output();
            out.assert_code(0);
            assert!(out.stdout.contains("\ncwd /tmp\n"), "{out:#?}");
        }
        let out = Run::new(mode, log)
            .args(["--workdir", "/nonexistent"])
            .testee(&["whoami"])
            .output();
        out.assert_code(125);
        assert_eq!(out.stdout, "", "the app must not run: {out:#?}");
        let lines: Vec<&str> = out.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{out:#?}");
        assert!(
            lines[0].contains("'/nonexistent'") && lines[0].contains("No such file"),
            "{out:#?}"
        );
    }
}
