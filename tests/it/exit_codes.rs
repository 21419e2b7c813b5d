//! pidone exits with exactly the child's status: N for `exit(N)`, 128+S for
//! death by signal S (real-time too), `-e` remaps, 127/126 for exec failures.

use crate::util::{matrix, with_embedded, Run};

#[test]
fn exit_codes_pass_through() {
    for (mode, log) in with_embedded() {
        for code in [0, 1, 2, 32, 64, 127, 254, 255] {
            Run::new(mode, log)
                .testee(&["exit", &code.to_string()])
                .output()
                .assert_code(code);
        }
    }
}

#[test]
fn death_by_signal_is_128_plus_n() {
    // HUP, QUIT, KILL, TERM and SIGRTMIN+1 (35 in bash's numbering).
    for (mode, log) in with_embedded() {
        for sig in [1, 3, 9, 15, 35] {
            // A clean start: under `nohup` the suite itself would have
            // SIGHUP ignored, and pidone rightly hands that on.
            let out = Run::new(mode, log)
                .start_signals(0, 0)
                .testee(&["raise", &sig.to_string()])
                .output();
            out.assert_code(128 + sig);
            assert!(!out.stdout.contains("still alive"), "{out:#?}");
        }
    }
}

#[test]
fn remap_exit_turns_listed_codes_into_success() {
    for (mode, log) in matrix() {
        let run = || Run::new(mode, log);
        run()
            .args(["-e", "3"])
            .testee(&["exit", "3"])
            .output()
            .assert_code(0);
        run()
            .args(["-e", "3"])
            .testee(&["exit", "4"])
            .output()
            .assert_code(4);
        run()
            .args(["-e3", "-e", "4"])
            .testee(&["exit", "4"])
            .output()
            .assert_code(0);
        run()
            .args(["--remap-exit=143"])
            .testee(&["raise", "15"])
            .output()
            .assert_code(0);

        // The flag replaces the variable.
        run()
            .env("PIDONE_REMAP_EXIT", "3")
            .args(["-e", "5"])
            .testee(&["exit", "3"])
            .output()
            .assert_code(3);
    }
}

#[test]
fn remapped_codes_from_the_environment_are_success_embedded_too() {
    for (mode, log) in with_embedded() {
        let run = || Run::new(mode, log).env("PIDONE_REMAP_EXIT", "143,3");
        run().testee(&["exit", "3"]).output().assert_code(0);
        run().testee(&["raise", "15"]).output().assert_code(0);
        run().testee(&["exit", "4"]).output().assert_code(4);
    }
}

#[test]
fn exec_failures_are_127_and_126_with_one_line() {
    let dir = std::env::temp_dir().join(format!("pidone-exec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let plain = dir.join("not-executable");
    std::fs::write(&plain, "#!/bin/sh\nexit 0\n").unwrap();
    let missing = dir.join("no-such-program");
    let cases = [
        (missing.to_str().unwrap(), 127, "No such file or directory"),
        ("no-such-program-on-path", 127, "No such file or directory"),
        (plain.to_str().unwrap(), 126, "Permission denied"),
        (dir.to_str().unwrap(), 126, "Permission denied"),
    ];
    for (mode, log) in matrix() {
        for (program, code, cause) in cases {
            let out = Run::new(mode, log).args(["--", program]).output();
            out.assert_code(code);
            let lines: Vec<&str> = out.stderr.lines().collect();
            assert_eq!(lines.len(), 1, "exactly one line: {out:#?}");
            assert!(
                lines[0].starts_with(&format!("pidone: failed to start '{program}': {cause}")),
                "{out:#?}"
            );
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
