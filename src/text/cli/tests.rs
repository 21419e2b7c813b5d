//! The parser's unit tests: tables of command lines and environments, one
//! table per rule. Test-only (`#[cfg(test)]` in `mod.rs`).

use std::ffi::OsString;
use std::time::Duration;

use log::LevelFilter;

use super::*;
use crate::error::UsageError;
use crate::out::logging::LogSpec;
use crate::text::fate::Remap;
use crate::text::rewrite::Rewrite;

// The error tables: every bad input names its problem in one line.
mod errors;

/// A level setting.
fn level(level: LevelFilter) -> LogSpec {
    LogSpec::Level(level)
}

/// A PIDONE_LOG setting.
fn filters(text: &str) -> LogSpec {
    LogSpec::Filters(text.into())
}

/// Arguments and environment of one table row.
type Args = &'static [&'static str];
type Env = &'static [(&'static str, &'static str)];

fn os(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

fn run(args: &[&str], env: &[(&str, &str)]) -> Result<Action, UsageError> {
    let env: Vec<(String, OsString)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), OsString::from(v)))
        .collect();
    parse(&os(args), |name: &str| {
        env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    })
}

fn config(args: &[&str], env: &[(&str, &str)]) -> Config {
    match run(args, env) {
        Ok(Action::Run(config)) => config,
        other => panic!("{args:?} {env:?}: expected a config, got {other:?}"),
    }
}

fn error(args: &[&str], env: &[(&str, &str)]) -> String {
    match run(args, env) {
        Err(UsageError(message)) => message,
        other => panic!("{args:?} {env:?}: expected an error, got {other:?}"),
    }
}

fn remap(codes: &[u8]) -> Remap {
    let mut remap = Remap::default();
    codes.iter().for_each(|c| remap.insert(*c));
    remap
}

#[test]
fn program_and_arguments_with_and_without_double_dash() {
    let table: &[(&[&str], &str, &[&str])] = &[
        (&["sh", "-c", "exit 3"], "sh", &["-c", "exit 3"]),
        (&["--", "sh", "-c", "exit 3"], "sh", &["-c", "exit 3"]),
        (&["-s", "--", "prog", "--", "-s"], "prog", &["--", "-s"]),
        (&["-s", "prog", "-g", "--help"], "prog", &["-g", "--help"]),
        (&["--", "--help"], "--help", &[]),
        (&["--", "-"], "-", &[]),
        (&["-"], "-", &[]),
        (&["-vvv", "x"], "x", &[]),
    ];
    for (args, program, rest) in table {
        let c = config(args, &[]);
        assert_eq!(c.program, Some(OsString::from(program)), "{args:?}");
        assert_eq!(c.args, os(rest), "{args:?}");
    }
}

#[test]
fn flags_set_their_settings() {
    let c = config(
        &["-s", "-g", "-w", "-p", "TERM", "-e", "3", "-e143", "x"],
        &[],
    );
    assert!(c.subreaper && c.process_group && c.warn_on_reap);
    assert_eq!(c.parent_death_signal, Some(15));
    assert_eq!(c.remap, remap(&[3, 143]));
    let c = config(&["-sgw", "-pRTMIN+1", "x"], &[]);
    assert!(c.subreaper && c.process_group && c.warn_on_reap);
    assert_eq!(c.parent_death_signal, Some(35));
    let c = config(
        &[
            "--subreaper",
            "--process-group",
            "--warn-on-reap",
            "--parent-death-signal=KILL",
            "--remap-exit",
            "0",
            "--remap-exit=255",
            "x",
        ],
        &[],
    );
    assert!(c.subreaper && c.process_group && c.warn_on_reap);
    assert_eq!(c.parent_death_signal, Some(9));
    assert_eq!(c.remap, remap(&[0, 255]));
    let c = config(&["x"], &[]);
    assert!(!c.subreaper && !c.process_group && !c.warn_on_reap);
    assert_eq!(c.parent_death_signal, None);
    assert_eq!(c.remap, Remap::default());
    assert_eq!(c.log, level(LevelFilter::Warn));
}

#[test]
fn environment_fills_what_flags_leave() {
    let env = [
        ("PIDONE_SUBREAPER", "1"),
        ("PIDONE_PROCESS_GROUP", "yes"),
        ("PIDONE_PARENT_DEATH_SIGNAL", "SIGUSR1"),
        ("PIDONE_REMAP_EXIT", "143, 130"),
        ("PIDONE_WARN_ON_REAP", "true"),
        ("PIDONE_LOG", "debug"),
    ];
    let c = config(&["x"], &env);
    assert!(c.subreaper && c.process_group && c.warn_on_reap);
    assert_eq!(c.parent_death_signal, Some(10));
    assert_eq!(c.remap, remap(&[130, 143]));
    assert_eq!(c.log, filters("debug"));
}

#[test]
fn tini_variables_work_when_present() {
    let env = [
        ("TINI_SUBREAPER", ""),
        ("TINI_KILL_PROCESS_GROUP", "1"),
        ("TINI_VERBOSITY", "2"),
    ];
    let c = config(&["x"], &env);
    assert!(c.subreaper && c.process_group);
    assert_eq!(c.log, level(LevelFilter::Info));
    // PIDONE_* decides over TINI_*.
    let env = [
        ("TINI_SUBREAPER", "1"),
        ("PIDONE_SUBREAPER", "0"),
        ("TINI_VERBOSITY", "3"),
        ("PIDONE_LOG", "error"),
    ];
    let c = config(&["x"], &env);
    assert!(!c.subreaper);
    assert_eq!(c.log, filters("error"));
}

#[test]
fn flags_beat_the_environment_even_a_bad_one() {
    let env = [
        ("PIDONE_PARENT_DEATH_SIGNAL", "NOSUCH"),
        ("PIDONE_REMAP_EXIT", "abc"),
        ("PIDONE_LOG", "loud"),
        ("TINI_VERBOSITY", "x"),
    ];
    let c = config(&["-p", "HUP", "-e", "1", "-v", "x"], &env);
    assert_eq!(c.parent_death_signal, Some(1));
    assert_eq!(c.remap, remap(&[1]));
    assert_eq!(c.log, level(LevelFilter::Info));
}

#[test]
fn log_levels_from_flags_and_environment() {
    use LevelFilter::*;
    let table: &[(Args, Env, LogSpec)] = &[
        (&["x"], &[], level(Warn)),
        (&["-v", "x"], &[], level(Info)),
        (&["-vv", "x"], &[], level(Debug)),
        (&["-v", "-v", "-v", "x"], &[], level(Trace)),
        (&["-vvvvv", "x"], &[], level(Trace)),
        (&["--verbose", "x"], &[], level(Info)),
        (&["-q", "x"], &[], level(Error)),
        (&["--quiet", "x"], &[], level(Error)),
        (&["-qv", "x"], &[], level(Warn)),
        (&["-q", "x"], &[("PIDONE_LOG", "trace")], level(Error)),
        (&["-v", "x"], &[("TINI_VERBOSITY", "0")], level(Info)),
        (&["x"], &[("PIDONE_LOG", "INFO")], filters("INFO")),
        (&["x"], &[("PIDONE_LOG", "off")], filters("off")),
        (&["x"], &[("PIDONE_LOG", "")], level(Warn)),
        (
            &["x"],
            &[("PIDONE_LOG", "pidone=debug")],
            filters("pidone=debug"),
        ),
        (
            &["x"],
            &[("PIDONE_LOG", "warn,pidone::supervisor=trace")],
            filters("warn,pidone::supervisor=trace"),
        ),
        (
            &["x"],
            &[("PIDONE_LOG", "debug"), ("TINI_VERBOSITY", "0")],
            filters("debug"),
        ),
        (&["x"], &[("TINI_VERBOSITY", "0")], level(Error)),
        (&["x"], &[("TINI_VERBOSITY", "1")], level(Warn)),
        (&["x"], &[("TINI_VERBOSITY", "2")], level(Info)),
        (&["x"], &[("TINI_VERBOSITY", "3")], level(Debug)),
        (&["x"], &[("TINI_VERBOSITY", "9")], level(Trace)),
        (&["x"], &[("TINI_VERBOSITY", "")], level(Warn)),
        (&["x"], &[("RUST_LOG", "trace")], level(Warn)),
    ];
    for (args, env, want) in table {
        assert_eq!(config(args, env).log, *want, "{args:?} {env:?}");
    }
}

#[test]
fn help_and_version_end_parsing() {
    let table: &[(&[&str], Action)] = &[
        (&["-h"], Action::Help),
        (&["--help"], Action::Help),
        (&["-sh"], Action::Help),
        (&["--version"], Action::Version),
        (&["-s", "--version", "prog"], Action::Version),
    ];
    for (args, want) in table {
        assert_eq!(run(args, &[]).as_ref(), Ok(want), "{args:?}");
    }
    assert!(VERSION.starts_with(&format!(
        "pidone version {} - git.",
        env!("CARGO_PKG_VERSION")
    )));
    assert!(VERSION.ends_with('\n') && VERSION.lines().count() == 1);
}

#[test]
fn beyond_the_peers_options_and_their_variables() {
    let ms = Duration::from_millis;
    let c = config(&["x"], &[]);
    assert_eq!(c.grace, None);
    assert_eq!(c.kill_after, None);
    assert_eq!(c.rewrite, Rewrite::default());
    assert_eq!(c.termination_log, None);
    let c = config(
        &[
            "--grace",
            "500ms",
            "--kill-after=300ms",
            "-r",
            "TERM:QUIT",
            "-rUSR1:0",
            "--termination-log",
            "/dev/termination-log",
            "x",
        ],
        &[],
    );
    assert_eq!(c.grace, Some(ms(500)));
    assert_eq!(c.kill_after, Some(ms(300)));
    assert_eq!(c.rewrite.apply(15), Some(3));
    assert_eq!(c.rewrite.apply(10), None);
    assert_eq!(c.termination_log, Some("/dev/termination-log".into()));
    let env = [
        ("PIDONE_GRACE", "0"),
        ("PIDONE_KILL_AFTER", "1m"),
        ("PIDONE_REWRITE", "TERM:QUIT, USR1:0"),
        ("PIDONE_TERMINATION_LOG", "/tmp/why"),
    ];
    let c = config(&["x"], &env);
    assert_eq!(c.grace, Some(ms(0)));
    assert_eq!(c.kill_after, Some(ms(60_000)));
    assert_eq!(c.rewrite.apply(15), Some(3));
    assert_eq!(c.rewrite.apply(10), None);
    assert_eq!(c.termination_log, Some("/tmp/why".into()));
    // Flags beat bad variables.
    let env = [
        ("PIDONE_GRACE", "5x"),
        ("PIDONE_KILL_AFTER", "-1s"),
        ("PIDONE_REWRITE", "TERM"),
    ];
    let c = config(
        &["--grace", "1s", "--kill-after", "2", "-r", "HUP:0", "x"],
        &env,
    );
    assert_eq!(c.grace, Some(ms(1_000)));
    assert_eq!(c.kill_after, Some(ms(2_000)));
    assert_eq!(c.rewrite.apply(1), None);
    assert_eq!(c.rewrite.apply(15), Some(15));
}

#[test]
fn user_and_workdir_from_flags_and_environment() {
    let c = config(&["--user", "nobody", "--workdir", "/tmp", "x"], &[]);
    assert_eq!(c.user.as_deref(), Some("nobody"));
    assert_eq!(c.workdir, Some("/tmp".into()));
    let c = config(&["-u1000:50", "x"], &[]);
    assert_eq!(c.user.as_deref(), Some("1000:50"));
    let env = [("PIDONE_USER", "app"), ("PIDONE_WORKDIR", "/srv")];
    let c = config(&["x"], &env);
    assert_eq!(c.user.as_deref(), Some("app"));
    assert_eq!(c.workdir, Some("/srv".into()));
    let c = config(&["--user=root", "--workdir=/", "x"], &env);
    assert_eq!(c.user.as_deref(), Some("root"));
    assert_eq!(c.workdir, Some("/".into()));
    assert!(error(&["--user", "", "x"], &[]).contains("needs a user"));
    assert!(error(&["--workdir="], &[]).contains("needs a directory"));
}

#[test]
fn pause_runs_no_program() {
    for args in [&["-P"][..], &["--pause"], &["--pause", "-v"]] {
        assert_eq!(config(args, &[]).program, None, "{args:?}");
    }
    let message = error(&["--pause", "--", "sleep", "1"], &[]);
    assert!(message.contains("'sleep'"), "{message}");
    let message = error(&["-P", "sleep"], &[]);
    assert!(message.contains("'sleep'"), "{message}");
}

#[test]
fn explain_takes_a_code() {
    assert_eq!(run(&["--explain", "137"], &[]), Ok(Action::Explain(137)));
    assert_eq!(run(&["--explain=0"], &[]), Ok(Action::Explain(0)));
    for (args, want) in [
        (&["--explain", "300"][..], "'300'"),
        (&["--explain", "abc"], "'abc'"),
        (&["--explain"], "needs a value"),
        (&["--explain", "-1"], "'-1'"),
    ] {
        let message = error(args, &[]);
        assert!(message.contains(want), "{args:?}: {message}");
    }
}

#[test]
fn stop_after_stop_signal_and_report() {
    let c = config(&["x"], &[]);
    assert_eq!(c.stop_after, None);
    assert_eq!(c.stop_signal, libc::SIGTERM);
    assert_eq!(c.report, None);
    let c = config(
        &[
            "--stop-after",
            "1.5s",
            "--stop-signal=sigint",
            "--report",
            "/tmp/r.json",
            "x",
        ],
        &[],
    );
    assert_eq!(c.stop_after, Some(Duration::from_millis(1_500)));
    assert_eq!(c.stop_signal, libc::SIGINT);
    assert_eq!(c.report, Some("/tmp/r.json".into()));
    let env = [
        ("PIDONE_STOP_AFTER", "2"),
        ("PIDONE_STOP_SIGNAL", "RTMIN+1"),
        ("PIDONE_REPORT", "/run/report"),
    ];
    let c = config(&["x"], &env);
    assert_eq!(c.stop_after, Some(Duration::from_secs(2)));
    assert_eq!(c.stop_signal, 35);
    assert_eq!(c.report, Some("/run/report".into()));
    // Empty is unset; flags beat bad variables.
    let empty = [("PIDONE_STOP_SIGNAL", ""), ("PIDONE_REPORT", "")];
    let c = config(&["x"], &empty);
    assert_eq!((c.stop_signal, c.report), (libc::SIGTERM, None));
    let bad = [
        ("PIDONE_STOP_AFTER", "soon"),
        ("PIDONE_STOP_SIGNAL", "KILL"),
    ];
    let c = config(&["--stop-after=1m", "--stop-signal", "HUP", "x"], &bad);
    assert_eq!(c.stop_after, Some(Duration::from_secs(60)));
    assert_eq!(c.stop_signal, libc::SIGHUP);
}

// Nothing is looked up when no variable is set.
mod environment;
// The parser's properties, on inputs generated from the option table.
mod props;
// README.md against the option and exit-code tables and the defaults.
mod readme;
// The option table and --help.
mod table;
