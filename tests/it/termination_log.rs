//! --termination-log PATH: one line saying why pidone exited, for
//! Kubernetes' terminationMessagePath and for people after the fact.

use crate::util::{matrix, Run};

#[test]
fn one_line_for_exits_signal_deaths_and_exec_failures() {
    let missing = "/nonexistent/app/server";
    let cases: [(&[&str], i32, String); 4] = [
        (&["exit", "3"], 3, "exited with code 3\n".into()),
        (&["raise", "15"], 143, "killed by SIGTERM (143)\n".into()),
        (&["raise", "35"], 163, "killed by SIGRTMIN+1 (163)\n".into()),
        (
            &[],
            127,
            format!("failed to start: {missing}: No such file or directory (127)\n"),
        ),
    ];
    for (mode, log) in matrix() {
        for (i, (testee_args, code, want)) in cases.iter().enumerate() {
            let path = std::env::temp_dir().join(format!(
                "pidone-termlog-{}-{mode:?}-{log:?}-{i}",
                std::process::id()
            ));
            for by_env in [false, true] {
                let mut run = Run::new(mode, log);
                run = if by_env {
                    run.env("PIDONE_TERMINATION_LOG", path.to_str().unwrap())
                } else {
                    run.args(["--termination-log".as_ref(), path.as_os_str()])
                };
                run = if testee_args.is_empty() {
                    run.args(["--", missing])
                } else {
                    run.testee(testee_args)
                };
                let out = run.output();
                out.assert_code(*code);
                let written = std::fs::read_to_string(&path).unwrap_or_default();
                assert_eq!(&written, want, "{out:#?}");
                std::fs::remove_file(&path).unwrap();
            }
        }
    }
}

#[test]
fn an_unwritable_termination_log_is_logged_not_fatal() {
    for (mode, log) in matrix() {
        let out = Run::new(mode, log)
            .args(["--termination-log", "/nonexistent/dir/log"])
            .testee(&["exit", "4"])
            .output();
        out.assert_code(4);
        let warned = out.log_lines("WARN");
        assert!(
            warned
                .iter()
                .any(|l| l.contains("failed to write the termination log /nonexistent/dir/log")),
            "{out:#?}"
        );
    }
}
