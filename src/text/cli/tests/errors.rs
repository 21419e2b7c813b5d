//! Bad input, as unit-test tables: every malformed command line or
//! variable is one line naming the bad value and where it came from.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use super::{config, error, filters, Args, Env};
use crate::text::cli::{parse, Action};

#[test]
fn pidone_log_takes_env_logger_directives_and_nothing_looser() {
    let good = [
        "off",
        "error",
        "Warn",
        "INFO",
        "debug",
        "trace",
        "pidone=debug",
        "pidone::supervisor=trace",
        "warn,pidone=debug",
        "warn, pidone = debug",
        "a_b::c9=off",
    ];
    let bad = [
        "chatty",
        "loud",
        "debug,",
        ",debug",
        "debug,,warn",
        "=debug",
        "pidone=",
        "pidone=chatty",
        "pidone=debug=trace",
        "debug/foo",
        "pidone=debug/re.*",
        "pid-one=debug",
        "pidone debug",
        "3",
        "debug\nx",
        "dé=debug",
    ];
    let want = "(expected a level such as warn or debug, or TARGET=LEVEL,...)";
    for text in good {
        assert_eq!(
            config(&["x"], &[("PIDONE_LOG", text)]).log,
            filters(text),
            "{text:?}"
        );
    }
    for text in bad {
        let message = error(&["x"], &[("PIDONE_LOG", text)]);
        assert_eq!(
            message,
            format!("invalid value '{text}' for PIDONE_LOG {want}"),
            "{text:?}"
        );
    }
}

#[test]
fn bad_input_names_the_problem() {
    let table: &[(Args, Env, &str)] = &[
        (&[], &[], "missing program"),
        (&["-s"], &[], "missing program"),
        (&["--"], &[], "missing program to run after '--'"),
        (&[""], &[], "program name is empty"),
        (&["--", ""], &[], "program name is empty"),
        (&["-x", "prog"], &[], "unknown option '-x'"),
        (&["-sx", "prog"], &[], "unknown option '-x'"),
        (&["--bogus", "prog"], &[], "unknown option '--bogus'"),
        (
            &["--subreaper=1", "prog"],
            &[],
            "'--subreaper' takes no value",
        ),
        (&["-e"], &[], "'--remap-exit' needs a value"),
        (&["-p"], &[], "'--parent-death-signal' needs a value"),
        (&["-e", "256", "x"], &[], "invalid exit code '256'"),
        (&["-e", "-1", "x"], &[], "invalid exit code '-1'"),
        (&["-e", "abc", "x"], &[], "invalid exit code 'abc'"),
        (&["-e", "", "x"], &[], "invalid exit code ''"),
        (&["-e", "+1", "x"], &[], "invalid exit code '+1'"),
        (&["-p", "NOSUCH", "x"], &[], "invalid signal 'NOSUCH'"),
        (&["-p", "0", "x"], &[], "invalid signal '0'"),
        (&["-p", "65", "x"], &[], "invalid signal '65'"),
        (
            &["x"],
            &[("PIDONE_SUBREAPER", "maybe")],
            "'maybe' for PIDONE_SUBREAPER",
        ),
        (
            &["x"],
            &[("PIDONE_PROCESS_GROUP", "2")],
            "'2' for PIDONE_PROCESS_GROUP",
        ),
        (
            &["x"],
            &[("PIDONE_WARN_ON_REAP", "y")],
            "'y' for PIDONE_WARN_ON_REAP",
        ),
        (
            &["x"],
            &[("PIDONE_PARENT_DEATH_SIGNAL", "65")],
            "invalid signal '65'",
        ),
        (
            &["x"],
            &[("PIDONE_REMAP_EXIT", "143,,130")],
            "invalid exit code ''",
        ),
        (
            &["x"],
            &[("PIDONE_REMAP_EXIT", "256")],
            "invalid exit code '256'",
        ),
        (&["x"], &[("PIDONE_LOG", "loud")], "'loud' for PIDONE_LOG"),
        (&["x"], &[("TINI_VERBOSITY", "x")], "'x' for TINI_VERBOSITY"),
    ];
    for (args, env, want) in table {
        let message = error(args, env);
        assert!(message.contains(want), "{args:?} {env:?}: {message:?}");
        assert!(!message.contains('\n'), "one line: {message:?}");
    }
}

#[test]
fn non_utf8_passes_through_after_the_program_and_is_named_before_it() {
    let bad = OsString::from_vec(vec![b'a', 0xff, b'z']);
    let args = vec![OsString::from("prog"), bad.clone(), OsString::from("-s")];
    match parse(&args, |_: &str| None) {
        Ok(Action::Run(c)) => assert_eq!(c.args, vec![bad.clone(), OsString::from("-s")]),
        other => panic!("{other:?}"),
    }
    let args = vec![bad.clone()];
    match parse(&args, |_: &str| None) {
        Ok(Action::Run(c)) => assert_eq!(c.program, Some(bad.clone())),
        other => panic!("{other:?}"),
    }
    let option = OsString::from_vec(vec![b'-', b'-', 0xff]);
    let err = parse(&[option, "x".into()], |_: &str| None).unwrap_err();
    assert!(err.0.contains("unknown option '--\u{fffd}'"), "{err}");
    let err = parse(&["-p".into(), bad.clone(), "x".into()], |_: &str| None).unwrap_err();
    assert!(
        err.0.contains("'a\u{fffd}z'") && err.0.contains("UTF-8"),
        "{err}"
    );
    let err = parse(&[OsString::from("x")], |name: &str| {
        (name == "PIDONE_LOG").then(|| bad.clone())
    })
    .unwrap_err();
    assert!(err.0.contains("PIDONE_LOG"), "{err}");
}

#[test]
fn bad_beyond_the_peers_values_name_the_problem() {
    let table: &[(Args, Env, &str)] = &[
        (&["-r", "TERM", "x"], &[], "'TERM'"),
        (&["-r", "TERM:", "x"], &[], "'TERM:'"),
        (&["-r", ":TERM", "x"], &[], "':TERM'"),
        (&["-r", "TERM:QUIT:HUP", "x"], &[], "'TERM:QUIT:HUP'"),
        (&["--grace", "-1s", "x"], &[], "'-1s'"),
        (&["--grace", "5x", "x"], &[], "'5x'"),
        (&["--kill-after", "", "x"], &[], "invalid duration ''"),
        (&["--termination-log=", "x"], &[], "needs a path"),
        (&["x"], &[("PIDONE_GRACE", "5x")], "'5x' for PIDONE_GRACE"),
        (
            &["x"],
            &[("PIDONE_KILL_AFTER", "soon")],
            "'soon' for PIDONE_KILL_AFTER",
        ),
        (&["x"], &[("PIDONE_REWRITE", "TERM")], "PIDONE_REWRITE"),
    ];
    for (args, env, want) in table {
        let message = error(args, env);
        assert!(message.contains(want), "{args:?} {env:?}: {message:?}");
    }
}

#[test]
fn bad_stop_values_name_the_problem() {
    let uncatchable = "(KILL and STOP cannot be caught, so no app can shut down on them)";
    let table: &[(Args, Env, String)] = &[
        (
            &["--stop-signal", "KILL", "x"],
            &[],
            format!("invalid signal 'KILL' for --stop-signal {uncatchable}"),
        ),
        (
            &["--stop-signal=SIGSTOP", "x"],
            &[],
            format!("invalid signal 'SIGSTOP' for --stop-signal {uncatchable}"),
        ),
        (
            &["x"],
            &[("PIDONE_STOP_SIGNAL", "9")],
            format!("invalid signal '9' for PIDONE_STOP_SIGNAL {uncatchable}"),
        ),
        (
            &["--stop-signal", "NOSUCH", "x"],
            &[],
            "invalid signal 'NOSUCH' for --stop-signal (expected a name like TERM or \
             RTMIN+1, or 1-64)"
                .into(),
        ),
        (
            &["--stop-after", "5x", "x"],
            &[],
            "invalid duration '5x' for --stop-after (expected e.g. 500ms, 2s, 1m or a \
             number of seconds)"
                .into(),
        ),
        (
            &["x"],
            &[("PIDONE_STOP_AFTER", "400d")],
            "invalid duration '400d' for PIDONE_STOP_AFTER (expected e.g. 500ms, 2s, 1m \
             or a number of seconds)"
                .into(),
        ),
        (
            &["--report=", "x"],
            &[],
            "option '--report' needs a path".into(),
        ),
        (
            &["--stop-signal"],
            &[],
            "option '--stop-signal' needs a value".into(),
        ),
    ];
    for (args, env, want) in table {
        assert_eq!(&error(args, env), want, "{args:?} {env:?}");
    }
}
