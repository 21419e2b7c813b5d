//! Bad input: malformed options, values and environment variables, each
//! run through the real binary. Every one exits 2 with exactly one stderr
//! line that names the bad value, and never panics, hangs or prints a
//! backtrace (`RUST_BACKTRACE=1` is set to make one show if it could).
//!
//! The contract decides over the issue where they differ: arguments after
//! the program pass through untouched, non-UTF-8 bytes included, so bytes
//! that are bad as an option are no error at all there (the program gets
//! them). And a bad variable that a valid flag overrides is never read, so
//! it is no error either.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use crate::util::{self, Log, Mode, Run};

/// Bytes as an argument or a variable's value (anything but NUL).
fn os(bytes: &[u8]) -> OsString {
    OsString::from_vec(bytes.to_vec())
}

/// One malformed invocation: ARGS, ENV, and what the one line must contain.
struct Case {
    args: Vec<OsString>,
    env: Vec<(&'static str, OsString)>,
    names: &'static str,
}

/// A case with arguments only (`PROG` stands for a program that exists).
fn args(list: &[&[u8]], names: &'static str) -> Case {
    Case {
        args: list.iter().map(|a| os(a)).collect(),
        env: vec![],
        names,
    }
}

/// A case with one variable and `true` as the program.
fn var(name: &'static str, value: &[u8], names: &'static str) -> Case {
    Case {
        args: vec!["true".into()],
        env: vec![(name, os(value))],
        names,
    }
}

fn cases() -> Vec<Case> {
    vec![
        // Options pidone does not have, or spelled wrong.
        args(&[b"--bogus", b"true"], "unknown option '--bogus'"),
        args(&[b"-x", b"true"], "unknown option '-x'"),
        args(&[b"-sx", b"true"], "unknown option '-x'"),
        args(&["-é".as_bytes(), b"true"], "unknown option '-é'"),
        args(&["-sé".as_bytes(), b"true"], "unknown option '-é'"),
        args(&[b"--subreaper=1", b"true"], "'--subreaper' takes no value"),
        args(&[b"--=x", b"true"], "unknown option '--=x'"),
        // Options missing their value.
        args(&[b"-e"], "'--remap-exit' needs a value"),
        args(&[b"-p"], "'--parent-death-signal' needs a value"),
        args(&[b"-r"], "'--rewrite' needs a value"),
        args(&[b"--grace"], "'--grace' needs a value"),
        args(&[b"--kill-after"], "'--kill-after' needs a value"),
        args(&[b"--termination-log"], "'--termination-log' needs a value"),
        args(
            &[b"--termination-log=", b"true"],
            "'--termination-log' needs a path",
        ),
        args(&[b"--explain"], "'--explain' needs a value"),
        // Exit codes.
        args(&[b"-e", b"256", b"true"], "invalid exit code '256'"),
        args(&[b"-e", b"-1", b"true"], "invalid exit code '-1'"),
        args(&[b"-e", b"abc", b"true"], "invalid exit code 'abc'"),
        args(
            &[b"-e", b"99999999999999999999", b"true"],
            "'99999999999999999999'",
        ),
        args(&[b"--explain", b"256"], "invalid exit code '256'"),
        // Signals.
        args(&[b"-p", b"NOSUCH", b"true"], "invalid signal 'NOSUCH'"),
        args(&[b"-p", b"0", b"true"], "invalid signal '0'"),
        args(&[b"-p", b"65", b"true"], "invalid signal '65'"),
        args(&[b"-p", b"RTMIN+31", b"true"], "invalid signal 'RTMIN+31'"),
        // Rewrites.
        args(&[b"-r", b"TERM", b"true"], "invalid rewrite 'TERM'"),
        args(&[b"-r", b"TERM:", b"true"], "invalid rewrite 'TERM:'"),
        args(&[b"-r", b":TERM", b"true"], "invalid rewrite ':TERM'"),
        args(&[b"-r", b"TERM:QUIT:HUP", b"true"], "'TERM:QUIT:HUP'"),
        args(&[b"-r", b"KILL:TERM", b"true"], "'KILL:TERM'"),
        // Durations.
        args(&[b"--grace", b"-1s", b"true"], "invalid duration '-1s'"),
        args(&[b"--grace", b"5x", b"true"], "invalid duration '5x'"),
        args(&[b"--kill-after=1y", b"true"], "invalid duration '1y'"),
        args(&[b"--grace", b"400d", b"true"], "invalid duration '400d'"),
        args(&[b"--stop-after=5x", b"true"], "'5x' for --stop-after"),
        // The stop signal must be one an app can catch.
        args(
            &[b"--stop-signal", b"KILL", b"true"],
            "invalid signal 'KILL' for --stop-signal (KILL and STOP cannot be caught",
        ),
        args(
            &[b"--stop-signal=STOP", b"true"],
            "'STOP' for --stop-signal",
        ),
        args(
            &[b"--stop-signal", b"NOSUCH", b"true"],
            "'NOSUCH' for --stop-signal",
        ),
        args(&[b"--report=", b"true"], "'--report' needs a path"),
        args(&[b"--stop-after"], "'--stop-after' needs a value"),
        args(&[b"--stop-signal"], "'--stop-signal' needs a value"),
        args(&[b"--report"], "'--report' needs a value"),
        args(
            &[b"--stop-after", b"-1s", b"true"],
            "'-1s' for --stop-after",
        ),
        args(
            &[b"--stop-after", b"400d", b"true"],
            "'400d' for --stop-after",
        ),
        args(&[b"--stop-after=", b"true"], "'' for --stop-after"),
        // STOP and KILL by number and in any spelling, and no signal at all.
        args(
            &[b"--stop-signal", b"19", b"true"],
            "'19' for --stop-signal (KILL and STOP",
        ),
        args(
            &[b"--stop-signal", b"sigkill", b"true"],
            "'sigkill' for --stop-signal (KILL and STOP",
        ),
        args(
            &[b"--stop-signal", b"0", b"true"],
            "invalid signal '0' for --stop-signal",
        ),
        // No program, an empty one, a program with --pause.
        args(&[], "missing program to run"),
        args(&[b"--"], "missing program to run after '--'"),
        args(&[b"-s", b"--"], "missing program to run after '--'"),
        args(&[b""], "the program name is empty"),
        args(&[b"--", b""], "the program name is empty"),
        args(&[b"--pause", b"--", b"sleep", b"1"], "'sleep' was given"),
        // Non-UTF-8 bytes in option names and values (shown lossily).
        args(&[b"--\xff", b"true"], "unknown option '--\u{fffd}'"),
        args(&[b"-\xff", b"true"], "unknown option '-\u{fffd}'"),
        args(
            &[b"-p", b"TE\xffRM", b"true"],
            "'TE\u{fffd}RM' for --parent-death-signal",
        ),
        args(&[b"--grace=1\xffs", b"true"], "'1\u{fffd}s' for --grace"),
        args(&[b"-e\xfe", b"true"], "'\u{fffd}' for --remap-exit"),
        // Control characters in a value: still one line, shown escaped.
        args(&[b"-e", b"1\n2", b"true"], "invalid exit code '1\\n2'"),
        args(&[b"--bo\ngus", b"true"], "unknown option '--bo\\ngus'"),
        args(&[b"-p", b"TERM\r\x1b[2J", b"true"], "'TERM\\r\\u{1b}[2J'"),
        // The same bad values in the environment.
        var("PIDONE_REMAP_EXIT", b"256", "'256' for PIDONE_REMAP_EXIT"),
        var("PIDONE_REMAP_EXIT", b"-1", "'-1' for PIDONE_REMAP_EXIT"),
        var("PIDONE_REMAP_EXIT", b"abc", "'abc' for PIDONE_REMAP_EXIT"),
        var("PIDONE_REMAP_EXIT", b"143,", "'' for PIDONE_REMAP_EXIT"),
        var(
            "PIDONE_PARENT_DEATH_SIGNAL",
            b"NOSUCH",
            "'NOSUCH' for PIDONE_PARENT_DEATH_SIGNAL",
        ),
        var(
            "PIDONE_PARENT_DEATH_SIGNAL",
            b"0",
            "'0' for PIDONE_PARENT_DEATH_SIGNAL",
        ),
        var(
            "PIDONE_PARENT_DEATH_SIGNAL",
            b"65",
            "'65' for PIDONE_PARENT_DEATH_SIGNAL",
        ),
        var("PIDONE_REWRITE", b"TERM", "'TERM': expected FROM:TO"),
        var("PIDONE_REWRITE", b"TERM:", "'TERM:': unknown signal ''"),
        var("PIDONE_REWRITE", b":TERM", "':TERM': unknown signal ''"),
        var("PIDONE_REWRITE", b"TERM:QUIT:HUP", "'TERM:QUIT:HUP'"),
        var("PIDONE_GRACE", b"-1s", "'-1s' for PIDONE_GRACE"),
        var("PIDONE_GRACE", b"5x", "'5x' for PIDONE_GRACE"),
        var("PIDONE_KILL_AFTER", b"soon", "'soon' for PIDONE_KILL_AFTER"),
        var("PIDONE_SUBREAPER", b"maybe", "'maybe' for PIDONE_SUBREAPER"),
        var("PIDONE_PROCESS_GROUP", b"2", "'2' for PIDONE_PROCESS_GROUP"),
        var("PIDONE_WARN_ON_REAP", b"y", "'y' for PIDONE_WARN_ON_REAP"),
        var("PIDONE_LOG", b"chatty", "'chatty' for PIDONE_LOG"),
        var("PIDONE_LOG", b"debug/re", "'debug/re' for PIDONE_LOG"),
        var("PIDONE_LOG", b"pidone=loud", "'pidone=loud' for PIDONE_LOG"),
        var("PIDONE_STOP_AFTER", b"soon", "'soon' for PIDONE_STOP_AFTER"),
        var("PIDONE_STOP_SIGNAL", b"9", "'9' for PIDONE_STOP_SIGNAL"),
        var(
            "PIDONE_STOP_SIGNAL",
            b"STOP",
            "'STOP' for PIDONE_STOP_SIGNAL",
        ),
        var(
            "PIDONE_STOP_SIGNAL",
            b"NOPE",
            "'NOPE' for PIDONE_STOP_SIGNAL",
        ),
        var("PIDONE_STOP_AFTER", b"-5", "'-5' for PIDONE_STOP_AFTER"),
        var("TINI_VERBOSITY", b"x", "'x' for TINI_VERBOSITY"),
        var("PIDONE_LOG", b"de\xffbug", "'de\u{fffd}bug' for PIDONE_LOG"),
        var("PIDONE_GRACE", b"\xff", "'\u{fffd}' for PIDONE_GRACE"),
        var(
            "PIDONE_REMAP_EXIT",
            b"1\xfe",
            "'1\u{fffd}' for PIDONE_REMAP_EXIT",
        ),
        var("PIDONE_SUBREAPER", b"\xff", "for PIDONE_SUBREAPER"),
        var("PIDONE_LOG", b"debug\nx", "'debug\\nx' for PIDONE_LOG"),
    ]
}

/// Asserts OUT is a usage error: 2, one line naming NAMES, no panic.
fn assert_usage_error(out: &util::Finished, names: &str) {
    out.assert_code(2);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "exactly one line: {out:#?}");
    let line = lines[0];
    assert!(line.starts_with("pidone: "), "{out:#?}");
    assert!(line.contains(names), "must name {names:?}: {out:#?}");
    assert!(line.ends_with("(see 'pidone --help')"), "{out:#?}");
    for bad in ["panicked", "backtrace", "internal error", "RUST_BACKTRACE"] {
        assert!(!out.stderr.contains(bad), "{bad}: {out:#?}");
    }
    assert_eq!(out.stdout, "", "{out:#?}");
}

#[test]
fn every_malformed_invocation_exits_2_with_one_line_naming_the_bad_value() {
    let cases = cases();
    assert!(cases.len() >= 30, "the issue asks for at least 30");
    for mode in [Mode::Pid1, Mode::Plain] {
        for case in &cases {
            // Log::Default: no PIDONE_LOG unless the case sets one.
            let mut run = Run::new(mode, Log::Default)
                .args(&case.args)
                .env("RUST_BACKTRACE", "1");
            for (name, value) in &case.env {
                run = run.env_os(name, value);
            }
            assert_usage_error(&run.output(), case.names);
        }
    }
    eprintln!(
        "bad input: {} malformed invocations, each as PID 1 and as a plain process",
        cases.len()
    );
}

#[test]
fn bad_variables_overridden_by_a_valid_flag_are_no_error() {
    let cases: &[(&str, &[u8], &[&str])] = &[
        ("PIDONE_REMAP_EXIT", b"256", &["-e", "1"]),
        ("PIDONE_REMAP_EXIT", b"\xff", &["--remap-exit=1"]),
        ("PIDONE_PARENT_DEATH_SIGNAL", b"NOSUCH", &["-p", "HUP"]),
        ("PIDONE_REWRITE", b"TERM:QUIT:HUP", &["-r", "USR1:0"]),
        ("PIDONE_GRACE", b"5x", &["--grace", "1s"]),
        ("PIDONE_KILL_AFTER", b"\xff", &["--kill-after", "1m"]),
        ("PIDONE_SUBREAPER", b"maybe", &["-s"]),
        ("PIDONE_PROCESS_GROUP", b"2", &["-g"]),
        ("PIDONE_WARN_ON_REAP", b"y", &["-w"]),
        ("PIDONE_LOG", b"chatty", &["-q"]),
        ("PIDONE_STOP_SIGNAL", b"KILL", &["--stop-signal", "HUP"]),
        ("PIDONE_STOP_AFTER", b"soon", &["--stop-after", "1h"]),
        ("PIDONE_LOG", b"de\xffbug", &["-v"]),
        ("TINI_VERBOSITY", b"x", &["-q"]),
    ];
    for mode in [Mode::Pid1, Mode::Plain] {
        for (name, value, flags) in cases {
            let out = Run::new(mode, Log::Default)
                .args(*flags)
                .env_os(name, os(value))
                .testee(&["exit", "3"])
                .output();
            out.assert_code(3);
            assert!(!out.stderr.contains("invalid"), "{name}: {out:#?}");
        }
    }
}

#[test]
fn bytes_after_the_program_pass_through_even_when_bad_as_options() {
    // The spec over the issue: after PROGRAM, nothing is parsed.
    let passed: Vec<OsString> = [
        &b"\xff\xfe"[..],
        b"-e",
        b"256",
        b"--bogus",
        b"-p",
        b"NOSUCH",
        b"--grace=5x",
        b"1\n2",
        b"",
    ]
    .iter()
    .map(|a| os(a))
    .collect();
    for mode in [Mode::Pid1, Mode::Plain] {
        let out = Run::new(mode, Log::Default)
            .testee(&["argv"])
            .args(&passed)
            .output();
        out.assert_code(0);
        let want: String = passed
            .iter()
            .map(|a| {
                let hex: String = a.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
                format!("arg {hex}\n")
            })
            .collect();
        assert_eq!(out.stdout, want, "{out:#?}");
        // A program name that is not UTF-8 is a program, not a usage
        // error: this one does not exist, so 127.
        let out = Run::new(mode, Log::Default)
            .args([os(b"/nonexistent/\xff")])
            .output();
        out.assert_code(127);
        let failures: Vec<&str> = out.stderr.lines().filter(|l| !l.starts_with('[')).collect();
        assert_eq!(failures.len(), 1, "{out:#?}");
        assert!(failures[0].starts_with("pidone: failed to start '/nonexistent/\u{fffd}'"));
    }
}
