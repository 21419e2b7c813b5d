//! A randomized run of the argument and environment parser, standing in for
//! `cargo fuzz` (which needs nightly) without a dependency: a seeded
//! xorshift generator mixes pidone's real option names, good and bad
//! values, glued forms (`-e143`, `--grace=5x`), random bytes (non-UTF-8,
//! control characters, `-`, `=`, `:`) and the environment variables pidone
//! reads, and checks on every input that [`cli::parse`]:
//!
//! - never panics;
//! - on error, gives a message that prints as exactly one line
//!   (`pidone: … (see 'pidone --help')`, no control character in it);
//! - on success, hands the program (never empty) and everything after it
//!   over untouched, and yields durations no longer than 366 days (so `Instant::now() + grace` in the
//!   supervisor and in shutdown can never overflow and panic);
//! - gives the same answer twice (it is pure).
//!
//! Bounded: `PIDONE_FUZZ_ITERATIONS` inputs (default 100,000, about a second
//! in a debug build) or `PIDONE_FUZZ_SECONDS`, whichever ends first, from
//! `PIDONE_FUZZ_SEED` (default fixed, so a plain `cargo test` is
//! reproducible). `.ci/run` runs it longer with a fresh seed and prints it.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use crate::cli::{self, Action, UsageError};
use crate::error::Error;

/// xorshift64*: tiny, fast, and good enough to pick from tables.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        // Zero is xorshift's one fixed point.
        Rng(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in 0..N (N > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability PERCENT / 100.
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a>(&mut self, items: &[&'a [u8]]) -> &'a [u8] {
        items[self.below(items.len())]
    }
}

/// Option words: every real option, short and long, clusters, glued and
/// `=` forms, near misses.
const OPTIONS: &[&[u8]] = &[
    b"-s",
    b"-g",
    b"-w",
    b"-P",
    b"-v",
    b"-q",
    b"-h",
    b"-p",
    b"-e",
    b"-r",
    b"-vvv",
    b"-sgw",
    b"-sP",
    b"-pTERM",
    b"-e143",
    b"-rTERM:QUIT",
    b"-se",
    b"-qv",
    b"--subreaper",
    b"--process-group",
    b"--parent-death-signal",
    b"--remap-exit",
    b"--warn-on-reap",
    b"--rewrite",
    b"--grace",
    b"--kill-after",
    b"--pause",
    b"--termination-log",
    b"--explain",
    b"--verbose",
    b"--quiet",
    b"--help",
    b"--version",
    b"--",
    b"-",
    b"---",
    b"--=",
    b"--grace=",
    b"--remap-exit=",
    b"--explain=",
    b"--subreaper=1",
    b"--bogus",
    b"-x",
    b"-\xff",
    b"--\xff",
    "-é".as_bytes(),
    b"--termination-log=",
    b"--parent-death-signal=",
    b"--rewrite=",
];

/// Values: good and bad signals, codes, rewrites, durations, switches.
const VALUES: &[&[u8]] = &[
    b"0",
    b"1",
    b"15",
    b"64",
    b"65",
    b"-1",
    b"255",
    b"256",
    b"999",
    b"1000",
    b"abc",
    b"",
    b"TERM",
    b"SIGTERM",
    b"term",
    b"sigRtMin+3",
    b"RTMIN",
    b"RTMIN+30",
    b"RTMIN+31",
    b"RTMAX-30",
    b"RTMAX-31",
    b"RTMAX",
    b"KILL",
    b"STOP",
    b"CHLD",
    b"IOT",
    b"SIG",
    b"TERM:QUIT",
    b"USR1:0",
    b"TERM:",
    b":TERM",
    b":",
    b"TERM:QUIT:HUP",
    b"KILL:TERM",
    b"40:SIGKILL",
    b"500ms",
    b"2s",
    b"1m",
    b"1.5s",
    b"1h",
    b".5",
    b".",
    b"1.2.3",
    b"1e3",
    b"5x",
    b"-1s",
    b"8784h",
    b"8785h",
    b"999999999999",
    b"9999999999999",
    b"0.000001s",
    b"143,130",
    b"143,,130",
    b" 1 ",
    b"yes",
    b"no",
    b"on",
    b"off",
    b"TRUE",
    b"maybe",
    b"debug",
    b"trace",
    b"chatty",
    b"3",
    b"/tmp/x",
    b"a\xffz",
    b"1\n2",
    b"TERM\x1b[2J",
    b"caf\xc3\xa9",
    b"\xc3",
    b"sleep",
];

/// The variables pidone reads.
const VARIABLES: &[&str] = &[
    "PIDONE_SUBREAPER",
    "TINI_SUBREAPER",
    "PIDONE_PROCESS_GROUP",
    "TINI_KILL_PROCESS_GROUP",
    "PIDONE_PARENT_DEATH_SIGNAL",
    "PIDONE_REMAP_EXIT",
    "PIDONE_WARN_ON_REAP",
    "PIDONE_REWRITE",
    "PIDONE_GRACE",
    "PIDONE_KILL_AFTER",
    "PIDONE_TERMINATION_LOG",
    "PIDONE_LOG",
    "TINI_VERBOSITY",
];

/// Bytes that make parsers stumble, for random strings.
const AWKWARD: &[u8] = b"-=:,.+ \t\n\r\x1b\x7f\xc3\xa9\xff\xfe0123456789sSmMhHtTeErR";

/// A random byte string without NUL (argv and environ cannot hold one).
fn random_bytes(rng: &mut Rng) -> Vec<u8> {
    let len = rng.below(10);
    (0..len)
        .map(|_| {
            if rng.chance(70) {
                AWKWARD[rng.below(AWKWARD.len())]
            } else {
                rng.below(255) as u8 + 1
            }
        })
        .collect()
}

/// A value: from the table, random, or two glued together.
fn value(rng: &mut Rng) -> Vec<u8> {
    match rng.below(10) {
        0..=5 => rng.pick(VALUES).to_vec(),
        6 | 7 => random_bytes(rng),
        _ => [rng.pick(VALUES), b",", rng.pick(VALUES)].concat(),
    }
}

/// One argument for pidone's command line.
fn argument(rng: &mut Rng) -> OsString {
    let bytes = match rng.below(20) {
        0..=8 => rng.pick(OPTIONS).to_vec(),
        9..=13 => value(rng),
        14 | 15 => random_bytes(rng),
        16 | 17 => [rng.pick(OPTIONS), &value(rng)[..]].concat(),
        _ => [rng.pick(OPTIONS), b"=", &value(rng)[..]].concat(),
    };
    OsString::from_vec(bytes)
}

/// A command line and an environment.
type Input = (Vec<OsString>, Vec<(&'static str, OsString)>);

/// Valid option words with a valid value where they take one, for inputs
/// that mostly parse (a bad value or variable here and there).
const GOOD: &[&[u8]] = &[
    b"-s",
    b"-g",
    b"-w",
    b"-v",
    b"-q",
    b"-vv",
    b"-sgw",
    b"-pTERM",
    b"-e143",
    b"-rTERM:QUIT",
    b"--grace=1s",
    b"--kill-after=500ms",
    b"--termination-log=/tmp/t",
    b"-e0",
    b"-pRTMIN+1",
];

fn input(rng: &mut Rng) -> Input {
    let args = if rng.chance(30) {
        // Good options, maybe "--", a program, then anything at all.
        let mut args: Vec<OsString> = (0..rng.below(4))
            .map(|_| OsString::from_vec(rng.pick(GOOD).to_vec()))
            .collect();
        if rng.chance(50) {
            args.push("--".into());
        }
        args.push(OsString::from_vec(
            [b"prog", &random_bytes(rng)[..]].concat(),
        ));
        args.extend((0..rng.below(6)).map(|_| argument(rng)));
        args
    } else {
        (0..rng.below(9)).map(|_| argument(rng)).collect()
    };
    let mut env = vec![];
    for &name in VARIABLES {
        if rng.chance(8) {
            env.push((name, OsString::from_vec(value(rng))));
        }
    }
    (args, env)
}

/// Parses INPUT as pidone would.
fn parse(input: &Input) -> Result<Action, UsageError> {
    let (args, env) = input;
    cli::parse(args, |name| {
        env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone())
    })
}

/// What is wrong with the result of parsing INPUT, if anything.
fn check(input: &Input, result: &Result<Action, UsageError>) -> Option<String> {
    let longest = Duration::from_secs(366 * 24 * 3600);
    match result {
        Err(usage) => {
            // Exactly what main prints: `pidone: {err}`.
            let line = format!("pidone: {}", Error::Usage(usage.clone()));
            if usage.0.is_empty() || line.chars().any(char::is_control) {
                return Some(format!("not one clean line: {line:?}"));
            }
            if !line.ends_with(" (see 'pidone --help')") {
                return Some(format!("no hint: {line:?}"));
            }
        }
        Ok(Action::Run(config)) => {
            if let Some(program) = &config.program {
                if program.is_empty() {
                    return Some("an empty program".into());
                }
                // PROGRAM ARGS... must be the untouched tail of argv.
                let args = &input.0;
                let tail = args.len().checked_sub(config.args.len() + 1);
                let intact = tail.is_some_and(|at| {
                    args.get(at) == Some(program) && args.get(at + 1..) == Some(&config.args)
                });
                if !intact {
                    return Some(format!("program or arguments changed: {config:?}"));
                }
            }
            if config.grace > longest || config.kill_after.is_some_and(|d| d > longest) {
                return Some(format!("a duration over 366 days: {config:?}"));
            }
        }
        Ok(_) => {}
    }
    None
}

/// A number from the environment, or DEFAULT.
fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn random_command_lines_and_environments_never_panic_and_fail_in_one_line() {
    let seed = setting("PIDONE_FUZZ_SEED", 7_2025);
    let iterations = setting("PIDONE_FUZZ_ITERATIONS", 100_000);
    let seconds = setting("PIDONE_FUZZ_SECONDS", u64::MAX / 4);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut rng = Rng::new(seed);
    let (mut runs, mut errors) = (0u64, 0u64);
    while runs < iterations && Instant::now() < deadline {
        let input = input(&mut rng);
        let result = catch_unwind(AssertUnwindSafe(|| parse(&input)));
        let problem = match &result {
            Err(_) => Some("panicked".to_string()),
            Ok(result) if parse(&input) != *result => Some("not deterministic".to_string()),
            Ok(result) => check(&input, result),
        };
        if let Some(problem) = problem {
            panic!(
                "seed {seed} (PIDONE_FUZZ_SEED), input {runs}: {problem}\n  args: {:?}\n  env: {:?}",
                input.0, input.1
            );
        }
        errors += u64::from(matches!(result, Ok(Err(_))));
        runs += 1;
    }
    eprintln!(
        "cli fuzz: seed {seed}, {runs} inputs, {errors} usage errors, {} accepted",
        runs - errors
    );
    assert!(runs > 0);
}
