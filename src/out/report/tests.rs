//! The report's JSON, checked by parsing it back with serde_json.

use super::*;
use crate::os::oom::Limit;
use crate::run::tally::{Leftovers, Stop};
use crate::text::exit_codes::Own;
use crate::text::fate::Remap;

/// `-e` for CODES.
fn remap(codes: &[u8]) -> Remap {
    let mut remap = Remap::default();
    codes.iter().for_each(|&code| remap.insert(code));
    remap
}

fn parse(line: &str) -> serde_json::Value {
    assert!(!line.contains('\n'), "one line: {line}");
    serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
}

#[test]
fn a_stopped_child_is_described_in_full() {
    let t0 = Instant::now();
    let ms = |n| t0 + Duration::from_millis(n);
    let mut run = Run::new(Some(t0));
    run.child = Some((7, Some(ms(5))));
    run.stop = Some(Stop {
        signal: libc::SIGTERM,
        sent: Some(libc::SIGQUIT),
        source: Source::StopAfter,
        at: ms(2005),
        kill_after_fired: false,
    });
    run.child_ended = Some(ms(2017));
    run.signals_forwarded = 1;
    run.orphans_reaped = 3;
    run.leftovers = Leftovers {
        found: 2,
        exited_in_grace: 1,
        killed: 1,
        grace: Duration::from_secs(300),
        rule: GraceRule::Stop,
    };
    let ending = Ending::Child {
        fate: Fate::Signaled(libc::SIGTERM),
        oom: None,
        remap: Remap::default(),
    };
    let json = parse(&render(&run, &ending, ms(2030)));
    assert_eq!(json["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(json["exit_code"], 143);
    assert_eq!(json["child"]["pid"], 7);
    assert_eq!(json["child"]["exit_code"], serde_json::Value::Null);
    assert_eq!(json["child"]["signal"], "SIGTERM");
    assert_eq!(json["child"]["core_dumped"], false);
    assert_eq!(json["child"]["oom_killed"], false);
    assert_eq!(json["child"]["runtime_ms"], 2012);
    assert_eq!(json["error"], serde_json::Value::Null);
    assert_eq!(json["stop"]["signal"], "SIGTERM");
    assert_eq!(json["stop"]["sent"], "SIGQUIT");
    assert_eq!(json["stop"]["source"], "stop-after");
    assert_eq!(json["stop"]["at_ms"], 2000);
    assert_eq!(json["stop"]["child_exited_after_ms"], 12);
    assert_eq!(json["stop"]["kill_after_fired"], false);
    assert_eq!(json["signals_forwarded"], 1);
    assert_eq!(json["orphans_reaped"], 3);
    assert_eq!(json["leftovers"]["found"], 2);
    assert_eq!(json["leftovers"]["exited_in_grace"], 1);
    assert_eq!(json["leftovers"]["killed"], 1);
    assert_eq!(json["leftovers"]["grace_ms"], 300_000);
    assert_eq!(json["leftovers"]["grace"], "stop");
    assert_eq!(json["duration_ms"], 2030);
}

#[test]
fn endings_without_a_child_or_a_stop() {
    let t0 = Instant::now();
    // (ending, the child's pid and start, what the line must contain)
    type Row = (Ending, Option<(libc::pid_t, Option<Instant>)>, &'static str);
    let table: &[Row] = &[
        (
            Ending::NotStarted {
                message: "/app: No such file or directory".into(),
                situation: Own::NotFound,
            },
            None,
            r#""child":null,"error":"/app: No such file or directory","stop":null"#,
        ),
        (
            Ending::Paused { signo: 15 },
            None,
            r#""child":null,"error":null,"stop":null"#,
        ),
        (
            Ending::Child {
                fate: Fate::Exited(3),
                oom: None,
                remap: remap(&[3]),
            },
            Some((9, Some(t0))),
            r#""exit_code":0,"child":{"pid":9,"exit_code":3,"signal":null"#,
        ),
        (
            Ending::Child {
                fate: Fate::Signaled(9),
                oom: Some(Limit::Bytes(1 << 25)),
                remap: Remap::default(),
            },
            Some((9, Some(t0))),
            r#""signal":"SIGKILL","core_dumped":false,"oom_killed":true"#,
        ),
        (
            Ending::Child {
                fate: Fate::Signaled(37),
                oom: None,
                remap: Remap::default(),
            },
            Some((9, Some(t0))),
            r#""signal":"SIGRTMIN+3""#,
        ),
    ];
    for (ending, child, want) in table {
        let mut run = Run::new(Some(t0));
        run.child = *child;
        let line = render(&run, ending, t0);
        parse(&line);
        assert!(line.contains(want), "{want} not in {line}");
    }
}

#[test]
fn a_stop_the_rewrite_dropped_sends_nothing_and_the_grace_is_named() {
    let t0 = Instant::now();
    let mut run = Run::new(Some(t0));
    run.child = Some((7, Some(t0)));
    run.stop = Some(Stop {
        signal: libc::SIGTERM,
        sent: None,
        source: Source::External,
        at: t0,
        kill_after_fired: false,
    });
    for (rule, name) in [
        (GraceRule::Default, "default"),
        (GraceRule::Stop, "stop"),
        (GraceRule::Set, "set"),
    ] {
        run.leftovers.rule = rule;
        run.leftovers.grace = Duration::from_millis(1500);
        let ending = Ending::Paused { signo: 15 };
        let json = parse(&render(&run, &ending, t0));
        assert_eq!(json["stop"]["sent"], serde_json::Value::Null);
        assert_eq!(json["stop"]["source"], "external");
        assert_eq!(json["leftovers"]["grace"], name);
        assert_eq!(json["leftovers"]["grace_ms"], 1500);
    }
}

#[test]
fn strings_are_escaped() {
    let mut out = Json(String::new());
    out.string("a\"b\\c\nd\u{1}e\u{7f}é");
    assert_eq!(out.0, r#""a\"b\\c\nd\u0001e\u007fé""#);
    assert_eq!(parse(&out.0), "a\"b\\c\nd\u{1}e\u{7f}é");
}
