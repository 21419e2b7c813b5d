//! The command line: `--` or not, pass-through of the program's arguments,
//! --help, --version, usage errors (exit 2, one line naming the problem),
//! and the not-PID-1 warning.

use std::os::unix::ffi::OsStrExt;

use crate::util::{self, matrix, Log, Mode, Run, LOGS};

#[test]
fn double_dash_is_optional_and_arguments_pass_through_untouched() {
    let bad_utf8 = std::ffi::OsStr::from_bytes(b"caf\xe9");
    for (mode, log) in matrix() {
        // Without "--": parsing stops at the program; its options are its own.
        let out = Run::new(mode, log)
            .args([util::testee().as_os_str()])
            .args([
                "argv".as_ref(),
                "-s".as_ref(),
                "--help".as_ref(),
                "--".as_ref(),
                bad_utf8,
            ])
            .output();
        out.assert_code(0);
        assert_eq!(
            out.stdout, "arg 2d73\narg 2d2d68656c70\narg 2d2d\narg 636166e9\n",
            "{out:#?}"
        );
        // With "--", the same.
        let out = Run::new(mode, log).testee(&["argv", "-g", "x"]).output();
        out.assert_code(0);
        assert_eq!(out.stdout, "arg 2d67\narg 78\n", "{out:#?}");
    }
}

#[test]
fn help_prints_usage_with_every_option_and_variable() {
    for flag in ["-h", "--help"] {
        let out = Run::new(Mode::Subreaper, Log::Default)
            .args([flag])
            .output();
        out.assert_code(0);
        assert!(out.stdout.starts_with("Usage: pidone"), "{out:#?}");
        // Every option and variable the README's table names (a unit test
        // holds that table to the one the parser reads).
        let names = readme_option_names();
        assert!(names.len() > 30, "{names:?}");
        for name in &names {
            assert!(out.stdout.contains(name), "--help must mention {name}");
        }
        assert_eq!(out.stderr, "", "{out:#?}");
    }
}

#[test]
fn version_has_the_form_docker_info_parses() {
    let out = Run::new(Mode::Subreaper, Log::Default)
        .args(["--version"])
        .output();
    out.assert_code(0);
    let line = out.stdout.strip_suffix('\n').expect("one line");
    let rest = line
        .strip_prefix(&format!(
            "pidone version {} - git.",
            env!("CARGO_PKG_VERSION")
        ))
        .unwrap_or_else(|| panic!("{line:?}"));
    assert!(
        !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
        "{line:?}"
    );
}

#[test]
fn usage_errors_exit_2_with_one_line_naming_the_problem() {
    type Case = (
        &'static [&'static str],
        &'static [(&'static str, &'static str)],
        &'static str,
    );
    let cases: &[Case] = &[
        (&[], &[], "missing program"),
        (&["--"], &[], "missing program"),
        (&["--bogus", "true"], &[], "'--bogus'"),
        (&["-x", "true"], &[], "'-x'"),
        (&["-e"], &[], "'--remap-exit' needs a value"),
        (&["-e", "256", "true"], &[], "'256'"),
        (&["-e", "-1", "true"], &[], "'-1'"),
        (&["-e", "abc", "true"], &[], "'abc'"),
        (&["-p", "NOSUCH", "true"], &[], "'NOSUCH'"),
        (&["-p", "0", "true"], &[], "'0'"),
        (&["-p", "65", "true"], &[], "'65'"),
        (&[""], &[], "program name is empty"),
        (&["true"], &[("PIDONE_REMAP_EXIT", "1,x")], "'x'"),
        (
            &["true"],
            &[("PIDONE_PARENT_DEATH_SIGNAL", "NOSUCH")],
            "'NOSUCH'",
        ),
        (&["true"], &[("PIDONE_LOG", "chatty")], "'chatty'"),
        (&["true"], &[("PIDONE_SUBREAPER", "maybe")], "'maybe'"),
    ];
    // Not in -s mode: there the flag rightly wins over PIDONE_SUBREAPER=maybe.
    for mode in [Mode::Pid1, Mode::Plain] {
        for log in LOGS {
            for (args, env, names) in cases {
                let mut run = Run::new(mode, log).args(*args);
                for (name, value) in *env {
                    run = run.env(name, value);
                }
                // PIDONE_LOG=chatty replaces the matrix's debug level: fine.
                let out = run.output();
                out.assert_code(2);
                let lines: Vec<&str> = out.stderr.lines().collect();
                assert_eq!(lines.len(), 1, "exactly one line: {out:#?}");
                assert!(lines[0].starts_with("pidone: "), "{out:#?}");
                assert!(lines[0].contains(names), "must name {names}: {out:#?}");
                assert!(lines[0].contains("--help"), "must hint at --help: {out:#?}");
            }
        }
    }
}

#[test]
fn not_pid1_without_subreaper_warns_once_and_still_works() {
    for log in LOGS {
        let out = Run::new(Mode::Plain, log).testee(&["exit", "7"]).output();
        out.assert_code(7);
        let warnings = out.log_lines("WARN");
        assert_eq!(warnings.len(), 1, "{out:#?}");
        assert!(
            warnings[0].contains("zombie reaping won't work"),
            "{out:#?}"
        );
        assert!(warnings[0].contains("-s") && warnings[0].contains("PIDONE_SUBREAPER"));
        if log == Log::Default {
            assert_eq!(out.stderr.lines().count(), 1, "{out:#?}");
        }
        // With -s (or its variables), or as PID 1: no warning at all.
        for run in [
            Run::new(Mode::Subreaper, log),
            Run::new(Mode::Plain, log).env("PIDONE_SUBREAPER", "1"),
            Run::new(Mode::Plain, log).env("TINI_SUBREAPER", ""),
            Run::new(Mode::Pid1, log),
        ] {
            let out = run.testee(&["exit", "7"]).output();
            out.assert_code(7);
            assert_eq!(out.log_lines("WARN").len(), 0, "{out:#?}");
        }
    }
}

#[test]
fn explain_says_what_an_exit_code_means() {
    // The wording of every code is held by the unit tests of
    // src/text/explain.rs; here, that the binary prints it.
    let cases: &[(&str, &[&str])] = &[
        ("0", &["0: success"]),
        ("130", &["130 = 128 + 2: killed by SIGINT", "Ctrl-C"]),
        ("137", &["137 = 128 + 9: killed by SIGKILL", "OOM killer"]),
        ("143", &["143 = 128 + 15: killed by SIGTERM", "docker stop"]),
        ("255", &["255: the program exited with code 255"]),
    ];
    for (code, wants) in cases {
        let out = Run::new(Mode::Plain, Log::Default)
            .args(["--explain", code])
            .output();
        out.assert_code(0);
        for want in *wants {
            assert!(out.stdout.contains(want), "{code}: {want:?} in {out:#?}");
        }
        assert_eq!(out.stderr, "");
    }
    for bad in [
        &["--explain", "300"][..],
        &["--explain", "abc"],
        &["--explain"],
    ] {
        let out = Run::new(Mode::Plain, Log::Default).args(bad).output();
        out.assert_code(2);
        assert_eq!(out.stderr.lines().count(), 1, "{out:#?}");
    }
}

/// The options (`--grace`, `-s`) and variables (`PIDONE_GRACE`) that the
/// README's "Options" table names.
fn readme_option_names() -> Vec<String> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let section = readme
        .split("\n## ")
        .find(|s| s.starts_with("Options"))
        .expect("README.md has a '## Options' section");
    let table = section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2);
    let mut names = vec![];
    for row in table {
        let cells: Vec<&str> = row.split(" | ").collect();
        let spans = cells
            .iter()
            .take(2)
            .flat_map(|cell| cell.split('`').skip(1).step_by(2));
        for span in spans {
            let word = span.split([' ', '=']).next().unwrap_or_default();
            if word.starts_with('-') || word.starts_with("PIDONE_") || word.starts_with("TINI_") {
                names.push(word.to_string());
            }
        }
    }
    names
}
