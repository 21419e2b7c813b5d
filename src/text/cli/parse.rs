//! The command line, walked once: options (long, short, clusters such as
//! `-sgw`, glued values `-e143`, `--opt=value`), then `--` or the program,
//! after which nothing is parsed.
//!
//! Pure: no syscalls; the environment comes in from outside (a lookup
//! function, see `env::Lookup`) and is consulted only after the walk,
//! for what no flag decided (see `env`). It
//! must never look past the program name: everything after it belongs to
//! the app, untouched, even when it looks like an option or is not UTF-8.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use super::config::{Action, Config};
use super::env::{self, Lookup};
use super::options::{self, Row};
use super::store::{store, Decided, Parsed};
use super::value::Value;
use crate::error::UsageError;

/// Parses pidone's arguments (without argv\[0\]) and environment.
///
/// `env` looks a variable up (a closure will do); it is called only for
/// settings no flag made, and not at all when it says none is set.
/// The arguments are anything that reads as an `OsStr`: pidone hands in
/// its argv as the C runtime holds it (nothing copied), tests `OsString`s.
/// The program and its arguments come back as they went in.
pub fn parse<A: AsRef<OsStr> + Clone>(
    args: &[A],
    env: impl Lookup,
) -> Result<Action<A>, UsageError> {
    let mut parsed = Parsed {
        config: Config::default(),
        pause: false,
    };
    // The first variable of each setting a flag decided.
    let mut decided = Decided::default();
    let mut rest = args.iter();
    let mut flag = |parsed: &mut Parsed<A>, row: Row, raw: &OsStr| {
        decided.insert(row.opt);
        store(
            parsed,
            Value {
                row,
                var: None,
                raw,
            },
        )
    };
    let program = loop {
        let Some(arg) = rest.next() else {
            break None;
        };
        let bytes = arg.as_ref().as_bytes();
        if bytes == b"--" {
            match rest.next() {
                Some(program) => break Some(program),
                None => return Err(UsageError("missing program to run after '--'".into())),
            }
        }
        // The first argument that is not an option is the program; a lone
        // "-" is not an option either.
        let cluster = match bytes.strip_prefix(b"-") {
            Some(cluster) if !cluster.is_empty() => cluster,
            _ => break Some(arg),
        };
        let Some(long) = cluster.strip_prefix(b"-") else {
            // A cluster of short options: -sg, -vvv, -e143, -p TERM. A
            // letter that takes a value takes the rest of the cluster, or
            // the next argument.
            let mut letters = cluster;
            while let Some((&letter, after)) = letters.split_first() {
                let row = options::by_short(letter).ok_or_else(|| unknown_short(letters))?;
                letters = after;
                let raw = match row.kind {
                    kind if !kind.takes_value() => OsStr::new(""),
                    _ if after.is_empty() => next_value(&mut rest, &row)?,
                    _ => std::mem::take(&mut letters).as_os_str(),
                };
                if let Some(done) = flag(&mut parsed, row, raw)? {
                    return Ok(done);
                }
            }
            continue;
        };
        let (name, inline) = match long.iter().position(|&b| b == b'=') {
            Some(at) => (long.get(..at).unwrap_or_default(), long.get(at + 1..)),
            None => (long, None),
        };
        let row = std::str::from_utf8(name)
            .ok()
            .and_then(options::by_long)
            .ok_or_else(|| {
                // `--=x` has an empty name: show what was given, not `--`.
                let shown = match name {
                    b"" => arg.as_ref().to_string_lossy().into_owned(),
                    _ => format!("--{}", String::from_utf8_lossy(name)),
                };
                UsageError(format!("unknown option '{shown}'"))
            })?;
        let raw = match (row.kind.takes_value(), inline) {
            (false, None) => OsStr::new(""),
            (false, Some(_)) => {
                return Err(UsageError(format!(
                    "option '--{}' takes no value",
                    row.long
                )))
            }
            (true, Some(value)) => value.as_os_str(),
            (true, None) => next_value(&mut rest, &row)?,
        };
        if let Some(done) = flag(&mut parsed, row, raw)? {
            return Ok(done);
        }
    };
    match program {
        Some(program) if parsed.pause => {
            return Err(UsageError(format!(
                "--pause runs no program, but '{}' was given",
                program.as_ref().to_string_lossy()
            )))
        }
        Some(program) if program.as_ref().is_empty() => {
            return Err(UsageError("the program name is empty".into()))
        }
        None if !parsed.pause => return Err(UsageError("missing program to run".into())),
        _ => {}
    }
    env::fill(&mut parsed, decided, &env)?;
    let mut config = parsed.config;
    config.program = program.cloned();
    config.args = rest.cloned().collect();
    Ok(Action::Run(config))
}

/// Bytes as an `OsStr`.
trait AsOsStr {
    fn as_os_str(&self) -> &OsStr;
}

impl AsOsStr for [u8] {
    fn as_os_str(&self) -> &OsStr {
        OsStr::from_bytes(self)
    }
}

/// The error for an unknown short option at the start of LETTERS.
fn unknown_short(letters: &[u8]) -> UsageError {
    // A byte outside ASCII starts a character: name that character (`-é`),
    // not a lone byte shown as `-\u{fffd}`.
    let start = letters.get(..letters.len().min(4)).unwrap_or_default();
    let shown = String::from_utf8_lossy(start)
        .chars()
        .next()
        .unwrap_or(char::REPLACEMENT_CHARACTER);
    UsageError(format!("unknown option '-{shown}'"))
}

/// The next argument, as the value of ROW's option.
fn next_value<'a, A: AsRef<OsStr>>(
    rest: &mut std::slice::Iter<'a, A>,
    row: &Row,
) -> Result<&'a OsStr, UsageError> {
    rest.next()
        .map(AsRef::as_ref)
        .ok_or_else(|| UsageError(format!("option '--{}' needs a value", row.long)))
}
