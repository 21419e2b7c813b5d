//! The answers that end parsing: `--help`, generated from the option table,
//! and `--version`.
//!
//! Built at run time, only when asked: `--help` is rare, and nothing here
//! runs (or formats anything) on pidone's normal start-up path. Never
//! lists an option or a variable by hand: the table is the only list.

use std::fmt::Write;

use super::options::Kind;
use super::packed::{Opt, OPTIONS, SETTING};

/// Above the options.
const HEAD: &str = "\
Usage: pidone [OPTIONS] [--] PROGRAM [ARGS...]
       pidone --pause [OPTIONS]
       pidone --explain CODE

A minimal init for containers: runs PROGRAM as its child, forwards every
signal to it, reaps every zombie, and exits with the child's status
(N for exit(N), 128+S for death by signal S).

Options (each can also be set from the environment; the flag wins):
";

/// Below the options.
const TAIL: &str = "
Signals are named TERM, SIGTERM, term, 15 or RTMIN+3 (RTMIN is 34).
Durations are 500ms, 2s, 1m, or a bare number of seconds.
Exit codes: the child's N or 128+S; 127 program not found; 126 program not
executable; 125 pidone failed before the child started; 2 usage error.
";

/// Where the help text starts on each line.
const COLUMN: usize = 27;

/// The usage text for `--help`.
pub fn usage() -> String {
    let mut text = String::with_capacity(4096);
    text.push_str(HEAD);
    for (i, opt) in OPTIONS.iter().enumerate() {
        let mut lines: Vec<String> = opt.help().lines().map(str::to_owned).collect();
        // Options sharing a setting (-v, -q) show its variables once, last.
        let shares_next = SETTING.get(i + 1) == SETTING.get(i);
        if opt.env().len() > 0 && !shares_next {
            lines.push(variables(opt));
        }
        let left = names(opt);
        let mut lines = lines.iter();
        if left.len() < COLUMN - 1 {
            let first = lines.next().map_or("", String::as_str);
            let _ = writeln!(text, "{left:COLUMN$}{first}");
        } else {
            let _ = writeln!(text, "{left}");
        }
        for line in lines {
            let _ = writeln!(text, "{:COLUMN$}{line}", "");
        }
    }
    text.push_str(TAIL);
    text
}

/// `  -p, --parent-death-signal SIG` or `      --grace DURATION`.
fn names(opt: &Opt) -> String {
    let mut left = match opt.short {
        Some(short) => format!("  -{short}, --{}", opt.long()),
        None => format!("      --{}", opt.long()),
    };
    if opt.kind.takes_value() {
        left.push(' ');
        left.push_str(opt.kind.placeholder());
    }
    left
}

/// `[PIDONE_SUBREAPER=1, TINI_SUBREAPER]`: the first variable with an
/// example value, if there is one.
fn variables(opt: &Opt) -> String {
    let example = match opt.kind {
        Kind::Switch => "1",
        _ => opt.example(),
    };
    let mut list = String::from("[");
    for (i, var) in opt.env().enumerate() {
        if i > 0 {
            list.push_str(", ");
        }
        list.push_str(var);
        if i == 0 && !example.is_empty() {
            list.push('=');
            list.push_str(example);
        }
    }
    list.push(']');
    list
}

/// The version line, with its newline. Its shape, `<name> version X.Y.Z -
/// git.<commit>`, is what `docker info` parses for the init it runs with
/// `--init`. Built at compile time: nothing to format at run time.
pub const VERSION: &str = concat!(
    "pidone version ",
    env!("CARGO_PKG_VERSION"),
    " - git.",
    env!("PIDONE_GIT_COMMIT"),
    "\n"
);
