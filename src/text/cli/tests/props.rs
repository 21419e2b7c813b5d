//! The parser's properties, on command lines and environments generated
//! from the option table itself, so a new option
//! is covered the day it is declared: its long, short, clustered, glued
//! and `=` forms, good and bad values of its kind, random bytes (non-UTF-8
//! and control characters included), and its variables.
//!
//! For every input [`cli::parse`] must: never panic; fail with a message
//! that `main` prints as exactly one line with the `--help` hint and no
//! control character; on success hand over the program (never empty) and
//! everything after it untouched, with every duration at most 366 days (so
//! `Instant::now() + d` can never overflow in the supervisor); give the
//! same answer twice. And a flag always beats its variables, however bad.
//!
//! `PROPTEST_CASES` sets the number of inputs (default below, a few seconds
//! in a debug build); `.ci/run` runs many more. Generated from the table,
//! not from a list by hand: such a list once missed `--user`.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::time::Duration;

use crate::error::{Error, UsageError};
use crate::text::cli::options::{self, Kind, Row};
use crate::text::cli::{self, Action};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

/// Inputs per property when `PROPTEST_CASES` is not set.
const DEFAULT_CASES: u32 = 2_000;

/// A command line and an environment.
type Env = Vec<(&'static str, OsString)>;

/// Values of KIND that are valid on the command line, for every option of
/// that kind.
fn good(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Switch | Kind::Log => &[""],
        Kind::Signal => &["TERM", "SIGUSR1", "hup", "15", "RTMIN+3", "rtmax-2", "64"],
        Kind::Code => &["0", "1", "143", "255"],
        Kind::Rewrite => &["TERM:QUIT", "USR1:0", "RTMIN+1:HUP", "1:2"],
        Kind::Duration => &["0", "500ms", "2s", "1m", "1.5s", ".5", "8784h"],
        Kind::Path | Kind::Dir => &["/tmp/x", "/dev/termination-log", "rel", "-"],
        Kind::User => &["nobody", "1000", "1000:50", "app:app"],
    }
}

/// Values of KIND that are wrong or odd somewhere: on the command line, in
/// a variable, or for one option of the kind but not another (KILL).
fn odd(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Switch => &["1", "0", "yes", "off", "TRUE", "maybe", "2", " 1 "],
        Kind::Log => &[
            "debug",
            "INFO",
            "off",
            "pidone=trace,warn",
            "0",
            "3",
            "9",
            "chatty",
            "debug,",
            "=debug",
            "debug/x",
            "x=loud",
            "-1",
        ],
        Kind::Signal => &[
            "KILL", "STOP", "9", "0", "65", "-1", "NOSUCH", "SIG", "RTMIN+31", "RTMAX-31", "CHLD",
            "IOT", "TERM ", "",
        ],
        Kind::Code => &[
            "256", "-1", "+1", "abc", "", "143,130", "143,,130", " 1 ", "0015",
        ],
        Kind::Rewrite => &[
            "TERM",
            "TERM:",
            ":TERM",
            ":",
            "TERM:QUIT:HUP",
            "KILL:TERM",
            "CHLD:0",
            "40:SIGKILL",
            "TERM:QUIT, USR1:0",
        ],
        Kind::Duration => &[
            "8785h",
            "367d",
            "-1s",
            "5x",
            "1e3",
            "1.2.3",
            ".",
            "",
            "9999999999999",
            "0.000001s",
        ],
        Kind::Path | Kind::Dir | Kind::User => &["", "a:b:c", ":", "root:"],
    }
}

/// Bytes that make parsers stumble.
const AWKWARD: &[u8] = b"-=:,.+ \t\n\r\x1b\x7f\xc3\xa9\xff\xfe0123456789sSmMhHtTeErR";

/// A short random byte string without NUL (argv and environ cannot hold one).
fn bytes() -> impl Strategy<Value = Vec<u8>> {
    vec(prop_oneof![3 => select(AWKWARD), 1 => 1u8..=255], 0..10)
}

/// A value for KIND: good, odd, random, or two glued with a comma.
fn value(kind: Kind) -> BoxedStrategy<Vec<u8>> {
    let pick = |list: &'static [&'static str]| select(list).prop_map(|s| s.as_bytes().to_vec());
    prop_oneof![
        4 => pick(good(kind)),
        3 => pick(odd(kind)),
        2 => bytes(),
        1 => (pick(good(kind)), pick(odd(kind))).prop_map(|(a, b)| [a, b].join(&b',')),
    ]
    .boxed()
}

/// Every option's row.
fn rows() -> Vec<Row> {
    options::rows().collect()
}

/// The switches' short letters, to build clusters such as `-sgw`.
fn switch_letters() -> Vec<u8> {
    rows()
        .iter()
        .filter(|o| o.kind == Kind::Switch && !matches!(o.long, "help" | "pause"))
        .filter_map(|o| o.short)
        .map(|c| c as u8)
        .collect()
}

/// The argv words that give OPT the value VALUE, in the form FORM:
/// `--long v`, `--long=v`, `-x v`, `-xv`, or at the end of a cluster.
fn spell(opt: &Row, form: u8, value: Vec<u8>, cluster: Vec<u8>) -> Vec<Vec<u8>> {
    let long = format!("--{}", opt.long).into_bytes();
    let takes = opt.kind.takes_value();
    let Some(short) = opt.short.map(|c| c as u8) else {
        return match (takes, form % 2) {
            (true, 0) => vec![long, value],
            (true, _) => vec![[&long[..], b"=", &value].concat()],
            (false, _) => vec![long],
        };
    };
    let mut word = vec![b'-'];
    if form >= 3 {
        word.extend(&cluster);
    }
    word.push(short);
    match (takes, form) {
        (false, 0) => vec![long],
        (false, _) => vec![word],
        (true, 0) => vec![long, value],
        (true, 1) => vec![[&long[..], b"=", &value].concat()],
        (true, 2) | (true, 3) => vec![word, value],
        (true, _) => vec![[word, value].concat()],
    }
}

/// One option from the table, spelled some way, with a value of its kind.
fn option_words() -> impl Strategy<Value = Vec<Vec<u8>>> {
    select(rows())
        .prop_flat_map(|opt| {
            (
                Just(opt),
                0u8..5,
                value(opt.kind),
                vec(select(switch_letters()), 0..3),
            )
        })
        .prop_map(|(opt, form, value, cluster)| spell(&opt, form, value, cluster))
}

/// Words that are almost options, or only look like them.
const NEAR_MISSES: &[&[u8]] = &[
    b"--", b"-", b"---", b"--=", b"--=x", b"-x", b"--bogus", b"-\xff", b"--\xff",
];

/// Any word at all: an option, a value, bytes, `--`, `-`, a near miss.
fn any_words() -> impl Strategy<Value = Vec<Vec<u8>>> {
    let near = select(NEAR_MISSES);
    prop_oneof![
        5 => option_words(),
        2 => bytes().prop_map(|b| vec![b]),
        1 => near.prop_map(|w| vec![w.to_vec()]),
    ]
}

/// A command line: mostly options then a program and anything after it,
/// sometimes anything at all.
fn argv() -> impl Strategy<Value = Vec<OsString>> {
    let program = bytes().prop_map(|b| [&b"prog"[..], &b].concat());
    let structured = (
        vec(option_words(), 0..4),
        any::<bool>(),
        program,
        vec(any_words(), 0..4),
    )
        .prop_map(|(options, dashes, program, rest)| {
            let mut words: Vec<Vec<u8>> = options.into_iter().flatten().collect();
            if dashes {
                words.push(b"--".to_vec());
            }
            words.push(program);
            words.extend(rest.into_iter().flatten());
            words
        });
    let chaos = vec(any_words(), 0..8).prop_map(|w| w.into_iter().flatten().collect());
    prop_oneof![1 => structured, 1 => chaos]
        .prop_map(|words: Vec<Vec<u8>>| words.into_iter().map(OsString::from_vec).collect())
}

/// Every variable in the table, with the kind of its option.
fn variables() -> Vec<(&'static str, Kind)> {
    rows()
        .iter()
        .flat_map(|o| o.env.iter().map(|&var| (var, o.kind)))
        .collect()
}

/// A few of the table's variables with values of their kind.
fn environment() -> impl Strategy<Value = Env> {
    let one = select(variables())
        .prop_flat_map(|(var, kind)| (Just(var), value(kind)))
        .prop_map(|(var, value)| (var, OsString::from_vec(value)));
    vec(one, 0..4)
}

/// Parses ARGS with ENV as pidone would.
fn parse(args: &[OsString], env: &Env) -> Result<Action, UsageError> {
    cli::parse(args, |name: &str| {
        env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone())
    })
}

fn config() -> ProptestConfig {
    let mut config = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = DEFAULT_CASES;
    }
    config
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn parse_never_panics_and_fails_in_one_clean_line(args in argv(), env in environment()) {
        // A panic fails the test by itself; proptest shrinks it.
        let result = parse(&args, &env);
        prop_assert_eq!(&parse(&args, &env), &result, "not deterministic");
        match &result {
            Err(usage) => {
                // Exactly what main prints: `pidone: {err}`.
                let line = format!("pidone: {}", Error::from(usage.clone()));
                prop_assert!(!usage.0.is_empty());
                prop_assert!(!line.chars().any(char::is_control), "{:?}", line);
                prop_assert!(line.ends_with(" (see 'pidone --help')"), "{:?}", line);
            }
            Ok(Action::Run(config)) => {
                if let Some(program) = &config.program {
                    prop_assert!(!program.is_empty());
                    // PROGRAM ARGS... is the untouched tail of argv.
                    let at = args.len().checked_sub(config.args.len() + 1);
                    let at = at.expect("program and arguments come from argv");
                    prop_assert_eq!(&args[at], program);
                    prop_assert_eq!(&args[at + 1..], &config.args[..]);
                }
                let longest = Duration::from_secs(366 * 24 * 3600);
                for d in [config.grace, config.kill_after, config.stop_after].into_iter().flatten() {
                    prop_assert!(d <= longest);
                }
                prop_assert!(![libc::SIGKILL, libc::SIGSTOP].contains(&config.stop_signal));
            }
            Ok(_) => {}
        }
    }

    #[test]
    fn a_flag_beats_its_variables_however_bad(
        (opt, form, value, junk) in select(rows())
            .prop_filter("has variables", |o| !o.env.is_empty())
            .prop_flat_map(|opt| (
                Just(opt),
                0u8..5,
                select(good(opt.kind)),
                vec(prop_oneof![
                    select(odd(opt.kind)).prop_map(|s| s.as_bytes().to_vec()),
                    bytes(),
                ], opt.env.len()),
            )),
    ) {
        let mut args: Vec<OsString> = spell(&opt, form, value.as_bytes().to_vec(), vec![])
            .into_iter()
            .map(OsString::from_vec)
            .collect();
        args.push("prog".into());
        let env: Env = opt.env.iter().copied().zip(junk.into_iter().map(OsString::from_vec)).collect();
        let alone = parse(&args, &vec![]);
        prop_assert!(matches!(alone, Ok(Action::Run(_))), "{:?}: {:?}", args, alone);
        prop_assert_eq!(parse(&args, &env), alone, "{:?} {:?}", args, env);
    }
}
