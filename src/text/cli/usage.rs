//! The answers that end parsing: `--help`, generated from the option table,
//! the defaults and the exit-code table, and `--version`.
//!
//! Built at run time, only when asked. Never lists an option, a variable or
//! an exit code by hand: the tables are the only lists. The defaults the
//! help texts name are held to their constants by a unit test.

use std::fmt::Write;

use super::options::{self, Kind, Opt, Row};
use crate::text::exit_codes::RULES;

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

/// Below the options, above the exit codes.
const TAIL: &str = "
Signals are named TERM, SIGTERM, term, 15 or RTMIN+3 (RTMIN is 34).
Durations are 500ms, 2s, 1m, or a bare number of seconds.

Exit codes: the child's N, or 128+S when signal S killed it; and pidone's own:
";

/// Where the help text starts on each line.
const COLUMN: usize = 27;

/// The width of the help text's column.
const WIDTH: usize = 50;

/// How `--help` marks an option that may be given more than once.
const REPEATABLE: &str = "; repeatable";

/// The usage text for `--help`.
pub fn usage() -> String {
    let mut text = String::with_capacity(4096);
    text.push_str(HEAD);
    for (i, row) in options::rows().enumerate() {
        let mut lines: Vec<String> = row.help.lines().map(str::to_owned).collect();
        if row.repeatable {
            match lines.last_mut() {
                Some(last) if last.len() + REPEATABLE.len() <= WIDTH => last.push_str(REPEATABLE),
                _ => lines.push("repeatable".into()),
            }
        }
        // Options sharing a setting (-v, -q) show its variables once, last.
        let shares_next = Opt::ALL
            .get(i + 1)
            .is_some_and(|next| next.setting() == row.opt.setting());
        if !row.env.is_empty() && !shares_next {
            lines.push(variables(&row));
        }
        let left = names(&row);
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
    for rule in &RULES {
        let _ = writeln!(text, "  {:>3}  {}", rule.code, rule.situation);
    }
    text
}

/// `  -p, --parent-death-signal SIG` or `      --grace DURATION`.
fn names(row: &Row) -> String {
    let mut left = match row.short {
        Some(short) => format!("  -{short}, --{}", row.long),
        None => format!("      --{}", row.long),
    };
    if row.kind.takes_value() {
        left.push(' ');
        left.push_str(row.kind.placeholder());
    }
    left
}

/// `[PIDONE_SUBREAPER=1, TINI_SUBREAPER]`: the first variable with an
/// example value, if there is one.
fn variables(row: &Row) -> String {
    let example = match row.kind {
        Kind::Switch => "1",
        _ => row.example,
    };
    let mut list = String::from("[");
    for (i, var) in row.env.iter().enumerate() {
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
/// `--init`.
pub const VERSION: &str = concat!(
    "pidone version ",
    env!("CARGO_PKG_VERSION"),
    " - git.",
    env!("PIDONE_GIT_COMMIT"),
    "\n"
);
