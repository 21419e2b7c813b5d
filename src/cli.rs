//! The command line and the environment, turned into a [`Config`].
//!
//! Pure: reads nothing itself (the environment comes in as a lookup function)
//! and makes no syscalls, so every rule here is unit-tested with tables. It
//! must never look past the program name: everything after it belongs to the
//! app, untouched, even when it looks like an option or is not UTF-8.
//!
//! Precedence, for every setting: a flag beats `PIDONE_*`, which beats the
//! `TINI_*` variable that images written for tini already set. A variable is
//! only read (and so can only be an error) when no flag decides.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

use log::LevelFilter;

use crate::duration;
pub use crate::error::UsageError;
use crate::exit_status::Remap;
use crate::number;
use crate::rewrite::Rewrite;
use crate::signame;
use std::time::Duration;

/// Everything pidone needs to run a program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The program to run, looked up on `PATH` like `execvp`; never empty.
    /// `None` in `--pause` mode, which runs no program.
    pub program: Option<OsString>,
    /// Its arguments, exactly as given.
    pub args: Vec<OsString>,
    /// Become a child subreaper when not PID 1.
    pub subreaper: bool,
    /// Forward signals to the child's process group instead of the child.
    pub process_group: bool,
    /// Signal the kernel sends pidone when its parent dies.
    pub parent_death_signal: Option<i32>,
    /// Child exit codes treated as success.
    pub remap: Remap,
    /// Log every orphan reaped at warn level.
    pub warn_on_reap: bool,
    /// How much pidone logs on stderr.
    pub log_level: LevelFilter,
    /// Which signal to forward for each one received.
    pub rewrite: Rewrite,
    /// After the main child exits: how long leftovers get between SIGTERM
    /// and SIGKILL.
    pub grace: Duration,
    /// After forwarding TERM/INT/QUIT/HUP: SIGKILL the child if it is still
    /// there this much later.
    pub kill_after: Option<Duration>,
    /// Where to write the one-line reason pidone exited.
    pub termination_log: Option<OsString>,
    /// `USER[:GROUP]` to run the child as.
    pub user: Option<String>,
    /// The child's working directory.
    pub workdir: Option<OsString>,
    /// `--stop-after`: act as if the stop signal arrived this long after
    /// the child started.
    pub stop_after: Option<Duration>,
    /// `--stop-signal`: what `--stop-after` acts as (default SIGTERM).
    pub stop_signal: i32,
    /// `--report`: where to write the JSON report on exit.
    pub report: Option<OsString>,
}

/// The grace period when neither `--grace` nor `PIDONE_GRACE` says.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(2);

/// What the command line asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Run a program under pidone.
    Run(Box<Config>),
    /// Print usage on stdout and exit 0.
    Help,
    /// Print the version on stdout and exit 0.
    Version,
    /// Print what this exit code means and exit 0.
    Explain(u8),
}

/// The version line. Its shape, `<name> version X.Y.Z - git.<commit>`, is
/// what `docker info` parses for the init it runs with `--init`.
pub fn version() -> String {
    format!(
        "pidone version {} - git.{}",
        env!("CARGO_PKG_VERSION"),
        env!("PIDONE_GIT_COMMIT")
    )
}

/// The usage text for `--help`.
pub const USAGE: &str = "\
Usage: pidone [OPTIONS] [--] PROGRAM [ARGS...]
       pidone --pause [OPTIONS]
       pidone --explain CODE

A minimal init for containers: runs PROGRAM as its child, forwards every
signal to it, reaps every zombie, and exits with the child's status
(N for exit(N), 128+S for death by signal S).

Options (each can also be set from the environment; the flag wins):
  -s, --subreaper          become a child subreaper when not PID 1
                           [PIDONE_SUBREAPER=1, TINI_SUBREAPER]
  -g, --process-group      forward signals to the child's process group
                           [PIDONE_PROCESS_GROUP=1, TINI_KILL_PROCESS_GROUP]
  -p, --parent-death-signal SIG
                           have the kernel send SIG to pidone when its parent
                           dies (it is forwarded like any other signal)
                           [PIDONE_PARENT_DEATH_SIGNAL=SIG]
  -e, --remap-exit CODE    treat the child exiting with CODE (0-255) as
                           success; repeatable [PIDONE_REMAP_EXIT=143,130]
  -r, --rewrite FROM:TO    forward signal FROM as TO (TO of 0 drops it);
                           repeatable [PIDONE_REWRITE=TERM:QUIT,USR1:0]
      --grace DURATION     when the main child has exited, give leftover
                           processes this long between SIGTERM and SIGKILL
                           (default 2s; 0 kills at once) [PIDONE_GRACE]
      --kill-after DURATION
                           after forwarding TERM, INT, QUIT or HUP, SIGKILL
                           the child if it has not exited within DURATION
                           [PIDONE_KILL_AFTER]
  -P, --pause              run no program: sleep, reap orphans, exit 0 on
                           SIGTERM or SIGINT (a pod's pause container)
      --termination-log PATH
                           on exit, write one line saying why to PATH
                           [PIDONE_TERMINATION_LOG=/dev/termination-log]
  -w, --warn-on-reap       log a warning for every orphan reaped
                           [PIDONE_WARN_ON_REAP=1]
  -u, --user USER[:GROUP]  run the child as USER (name or uid) and GROUP
                           (default: USER's primary group), with USER's
                           supplementary groups and HOME; pidone itself stays
                           as it was started [PIDONE_USER]
      --workdir DIR        start the child in DIR [PIDONE_WORKDIR]
  -v, --verbose            log more (repeatable: info, debug, trace)
  -q, --quiet              log errors only
                           [PIDONE_LOG=error|warn|info|debug|trace,
                            TINI_VERBOSITY=0..3; default warn]
      --explain CODE       say what exit code CODE means, and exit
  -h, --help               print this help and exit
      --version            print the version and exit

Signals are named TERM, SIGTERM, term, 15 or RTMIN+3 (RTMIN is 34).
Durations are 500ms, 2s, 1m, or a bare number of seconds.
Exit codes: the child's N or 128+S; 127 program not found; 126 program not
executable; 125 pidone failed before the child started; 2 usage error.
";

/// The options pidone knows, by long name, with their short letter and
/// whether they take a value.
const OPTIONS: &[(&str, Option<char>, bool)] = &[
    ("subreaper", Some('s'), false),
    ("process-group", Some('g'), false),
    ("parent-death-signal", Some('p'), true),
    ("remap-exit", Some('e'), true),
    ("warn-on-reap", Some('w'), false),
    ("rewrite", Some('r'), true),
    ("grace", None, true),
    ("kill-after", None, true),
    ("pause", Some('P'), false),
    ("termination-log", None, true),
    ("explain", None, true),
    ("user", Some('u'), true),
    ("workdir", None, true),
    ("verbose", Some('v'), false),
    ("quiet", Some('q'), false),
    ("help", Some('h'), false),
    ("version", None, false),
];

/// What the flags said, before the environment fills the gaps.
#[derive(Default)]
struct Flags {
    subreaper: bool,
    process_group: bool,
    parent_death_signal: Option<i32>,
    remap: Option<Remap>,
    warn_on_reap: bool,
    log_level: Option<LevelFilter>,
    rewrite: Option<Rewrite>,
    grace: Option<Duration>,
    kill_after: Option<Duration>,
    pause: bool,
    termination_log: Option<OsString>,
    user: Option<String>,
    workdir: Option<OsString>,
}

/// Parses pidone's arguments (without argv\[0\]) and environment.
///
/// `env` looks a variable up; it is called only for settings no flag made.
pub fn parse(
    args: &[OsString],
    env: impl Fn(&str) -> Option<OsString>,
) -> Result<Action, UsageError> {
    let mut flags = Flags::default();
    let mut rest = args.iter();
    let program = loop {
        let Some(arg) = rest.next() else {
            break None;
        };
        let bytes = arg.as_bytes();
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
        let (name, inline) = if let Some(long) = cluster.strip_prefix(b"-") {
            match long.split_once_byte(b'=') {
                Some((name, value)) => (name, Some(OsStr::from_bytes(value))),
                None => (long, None),
            }
        } else {
            // A cluster of short options: -sg, -vvv, -e143, -p TERM.
            let mut letters = cluster.iter();
            let mut action = None;
            while let Some(&letter) = letters.next() {
                let (long, takes_value) = short_option(letter, letters.as_slice())?;
                let value = if takes_value {
                    let attached = letters.as_slice();
                    letters = [].iter();
                    Some(if attached.is_empty() {
                        next_value(&mut rest, long)?
                    } else {
                        OsStr::from_bytes(attached)
                    })
                } else {
                    None
                };
                if let Some(done) = apply(&mut flags, long, value)? {
                    action = Some(done);
                    break;
                }
            }
            match action {
                Some(done) => return Ok(done),
                None => continue,
            }
        };
        let name = std::str::from_utf8(name)
            .map_err(|_| UsageError(format!("unknown option '{}'", arg.to_string_lossy())))?;
        let Some(&(long, _, takes_value)) = OPTIONS.iter().find(|(long, _, _)| *long == name)
        else {
            // `--=x` has an empty name: show what was given, not `--`.
            let shown = match name {
                "" => arg.to_string_lossy().into_owned(),
                _ => format!("--{name}"),
            };
            return Err(UsageError(format!("unknown option '{shown}'")));
        };
        let value = match (takes_value, inline) {
            (true, Some(value)) => Some(value),
            (true, None) => Some(next_value(&mut rest, long)?),
            (false, Some(_)) => {
                return Err(UsageError(format!("option '--{long}' takes no value")))
            }
            (false, None) => None,
        };
        if let Some(done) = apply(&mut flags, long, value)? {
            return Ok(done);
        }
    };
    match program {
        Some(program) if flags.pause => {
            return Err(UsageError(format!(
                "--pause runs no program, but '{}' was given",
                program.to_string_lossy()
            )))
        }
        Some(program) if program.is_empty() => {
            return Err(UsageError("the program name is empty".into()))
        }
        None if !flags.pause => return Err(UsageError("missing program to run".into())),
        _ => {}
    }
    let config = Config {
        program: program.cloned(),
        args: rest.cloned().collect(),
        subreaper: flags.subreaper || env_flag(&env, "PIDONE_SUBREAPER", "TINI_SUBREAPER")?,
        process_group: flags.process_group
            || env_flag(&env, "PIDONE_PROCESS_GROUP", "TINI_KILL_PROCESS_GROUP")?,
        parent_death_signal: match flags.parent_death_signal {
            Some(sig) => Some(sig),
            None => env_value(&env, "PIDONE_PARENT_DEATH_SIGNAL")?
                .map(|v| parse_signal(&v, "PIDONE_PARENT_DEATH_SIGNAL"))
                .transpose()?,
        },
        remap: match flags.remap {
            Some(remap) => remap,
            None => env_value(&env, "PIDONE_REMAP_EXIT")?
                .map(|v| parse_remap_list(&v))
                .transpose()?
                .unwrap_or_default(),
        },
        warn_on_reap: flags.warn_on_reap || env_flag(&env, "PIDONE_WARN_ON_REAP", "")?,
        log_level: match flags.log_level {
            Some(level) => level,
            None => env_log_level(&env)?,
        },
        rewrite: match flags.rewrite {
            Some(rewrite) => rewrite,
            None => env_value(&env, "PIDONE_REWRITE")?
                .map(|v| parse_rewrite_list(&v))
                .transpose()?
                .unwrap_or_default(),
        },
        grace: match flags.grace {
            Some(grace) => grace,
            None => env_value(&env, "PIDONE_GRACE")?
                .map(|v| parse_duration(&v, "PIDONE_GRACE"))
                .transpose()?
                .unwrap_or(DEFAULT_GRACE),
        },
        kill_after: match flags.kill_after {
            Some(after) => Some(after),
            None => env_value(&env, "PIDONE_KILL_AFTER")?
                .map(|v| parse_duration(&v, "PIDONE_KILL_AFTER"))
                .transpose()?,
        },
        termination_log: flags
            .termination_log
            .or_else(|| env("PIDONE_TERMINATION_LOG").filter(|v| !v.is_empty())),
        user: match flags.user {
            Some(user) => Some(user),
            None => env_value(&env, "PIDONE_USER")?,
        },
        workdir: flags
            .workdir
            .or_else(|| env("PIDONE_WORKDIR").filter(|v| !v.is_empty())),
        stop_after: None,
        stop_signal: libc::SIGTERM,
        report: None,
    };
    Ok(Action::Run(Box::new(config)))
}

/// `split_once` for byte strings (stable std has it only for `str`).
trait SplitOnceByte {
    fn split_once_byte(&self, at: u8) -> Option<(&[u8], &[u8])>;
}

impl SplitOnceByte for [u8] {
    fn split_once_byte(&self, at: u8) -> Option<(&[u8], &[u8])> {
        let mut parts = self.splitn(2, |&b| b == at);
        let first = parts.next()?;
        Some((first, parts.next()?))
    }
}

/// The long name and value-taking of short option LETTER; REST is what
/// follows it in its cluster.
fn short_option(letter: u8, rest: &[u8]) -> Result<(&'static str, bool), UsageError> {
    OPTIONS
        .iter()
        .find(|(_, short, _)| *short == Some(char::from(letter)))
        .map(|&(long, _, takes_value)| (long, takes_value))
        .ok_or_else(|| {
            // A byte outside ASCII starts a character: name that character
            // (`-é`), not a lone byte shown as `-\u{fffd}`.
            let bytes: Vec<u8> = std::iter::once(letter)
                .chain(rest.iter().copied().take(3))
                .collect();
            let shown = String::from_utf8_lossy(&bytes)
                .chars()
                .next()
                .unwrap_or(char::REPLACEMENT_CHARACTER);
            UsageError(format!("unknown option '-{shown}'"))
        })
}

/// The next argument, as the value of option LONG.
fn next_value<'a>(
    rest: &mut std::slice::Iter<'a, OsString>,
    long: &str,
) -> Result<&'a OsStr, UsageError> {
    rest.next()
        .map(OsString::as_os_str)
        .ok_or_else(|| UsageError(format!("option '--{long}' needs a value")))
}

/// Records option LONG (with its VALUE) in FLAGS. Returns an action when the
/// option ends parsing (`--help`, `--version`).
fn apply(
    flags: &mut Flags,
    long: &str,
    value: Option<&OsStr>,
) -> Result<Option<Action>, UsageError> {
    let text = |what: &str| utf8(value.unwrap_or_default(), what);
    match long {
        "subreaper" => flags.subreaper = true,
        "process-group" => flags.process_group = true,
        "warn-on-reap" => flags.warn_on_reap = true,
        "parent-death-signal" => {
            let what = "--parent-death-signal";
            flags.parent_death_signal = Some(parse_signal(&text(what)?, what)?);
        }
        "remap-exit" => {
            let code = parse_code(&text("--remap-exit")?, "--remap-exit")?;
            flags.remap.get_or_insert_with(Remap::default).insert(code);
        }
        "verbose" => {
            let level = flags.log_level.unwrap_or(LevelFilter::Warn);
            flags.log_level = Some(match level {
                LevelFilter::Off => LevelFilter::Error,
                LevelFilter::Error => LevelFilter::Warn,
                LevelFilter::Warn => LevelFilter::Info,
                LevelFilter::Info => LevelFilter::Debug,
                LevelFilter::Debug | LevelFilter::Trace => LevelFilter::Trace,
            });
        }
        "quiet" => flags.log_level = Some(LevelFilter::Error),
        "rewrite" => {
            let pair = text("--rewrite")?;
            let rewrite = flags.rewrite.get_or_insert_with(Rewrite::default);
            rewrite.add(&pair).map_err(UsageError)?;
        }
        "grace" => flags.grace = Some(parse_duration(&text("--grace")?, "--grace")?),
        "kill-after" => {
            flags.kill_after = Some(parse_duration(&text("--kill-after")?, "--kill-after")?)
        }
        "pause" => flags.pause = true,
        "user" => {
            let user = text("--user")?;
            if user.is_empty() {
                return Err(UsageError("option '--user' needs a user".into()));
            }
            flags.user = Some(user);
        }
        "workdir" => {
            let dir = value.unwrap_or_default();
            if dir.is_empty() {
                return Err(UsageError("option '--workdir' needs a directory".into()));
            }
            flags.workdir = Some(dir.to_owned());
        }
        "termination-log" => {
            let path = value.unwrap_or_default();
            if path.is_empty() {
                return Err(UsageError("option '--termination-log' needs a path".into()));
            }
            flags.termination_log = Some(path.to_owned());
        }
        "explain" => {
            return Ok(Some(Action::Explain(parse_code(
                &text("--explain")?,
                "--explain",
            )?)))
        }
        "help" => return Ok(Some(Action::Help)),
        "version" => return Ok(Some(Action::Version)),
        _ => return Err(UsageError(format!("unknown option '--{long}'"))),
    }
    Ok(None)
}

/// The one shape of every bad-value message:
/// `invalid KIND 'VALUE' for WHAT (EXPECTED)`.
fn invalid(kind: &str, value: &str, what: &str, expected: &str) -> UsageError {
    UsageError(format!("invalid {kind} '{value}' for {what} ({expected})"))
}

/// VALUE as UTF-8, or an error naming WHAT got a non-UTF-8 value.
fn utf8(value: &OsStr, what: &str) -> Result<String, UsageError> {
    value
        .to_str()
        .map(str::to_owned)
        .ok_or_else(|| invalid("value", &value.to_string_lossy(), what, "not valid UTF-8"))
}

/// A signal for WHAT, by name or number (1–64).
fn parse_signal(text: &str, what: &str) -> Result<i32, UsageError> {
    signame::parse(text).ok_or_else(|| {
        invalid(
            "signal",
            text,
            what,
            "expected a name like TERM or RTMIN+1, or 1-64",
        )
    })
}

/// An exit code 0–255 for WHAT.
fn parse_code(text: &str, what: &str) -> Result<u8, UsageError> {
    let digits = !text.is_empty() && text.len() <= 3 && text.bytes().all(|b| b.is_ascii_digit());
    digits
        .then(|| number::parse::<u8>(text))
        .flatten()
        .ok_or_else(|| invalid("exit code", text, what, "expected 0-255"))
}

/// A duration for WHAT: `500ms`, `2s`, `1m`, or seconds.
fn parse_duration(text: &str, what: &str) -> Result<Duration, UsageError> {
    duration::parse(text).ok_or_else(|| {
        invalid(
            "duration",
            text,
            what,
            "expected e.g. 500ms, 2s, 1m or a number of seconds",
        )
    })
}

/// `PIDONE_REWRITE`: `FROM:TO` pairs separated by commas.
fn parse_rewrite_list(text: &str) -> Result<Rewrite, UsageError> {
    let mut rewrite = Rewrite::default();
    for pair in text.split(',') {
        rewrite
            .add(pair.trim())
            .map_err(|e| UsageError(format!("{e} in PIDONE_REWRITE")))?;
    }
    Ok(rewrite)
}

/// `PIDONE_REMAP_EXIT`: codes separated by commas, spaces around them allowed.
fn parse_remap_list(text: &str) -> Result<Remap, UsageError> {
    let mut remap = Remap::default();
    for item in text.split(',') {
        remap.insert(parse_code(item.trim(), "PIDONE_REMAP_EXIT")?);
    }
    Ok(remap)
}

/// The value of variable NAME; unset and empty are the same ("not set"),
/// since `docker run -e NAME=` is how people clear a variable.
fn env_value(
    env: &impl Fn(&str) -> Option<OsString>,
    name: &str,
) -> Result<Option<String>, UsageError> {
    match env(name) {
        Some(value) if !value.is_empty() => utf8(&value, name).map(Some),
        _ => Ok(None),
    }
}

/// A yes/no setting: `PIDONE` decides when set (1/true/yes/on or
/// 0/false/no/off); otherwise `TINI` (if any) switches it on by merely being
/// present, as tini itself reads it.
fn env_flag(
    env: &impl Fn(&str) -> Option<OsString>,
    pidone: &str,
    tini: &str,
) -> Result<bool, UsageError> {
    if let Some(value) = env_value(env, pidone)? {
        return match value.to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(true),
            "0" | "false" | "no" | "off" => Ok(false),
            _ => Err(invalid("value", &value, pidone, "expected 1 or 0")),
        };
    }
    Ok(!tini.is_empty() && env(tini).is_some())
}

/// The log level from `PIDONE_LOG`, else `TINI_VERBOSITY`, else warn.
fn env_log_level(env: &impl Fn(&str) -> Option<OsString>) -> Result<LevelFilter, UsageError> {
    if let Some(value) = env_value(env, "PIDONE_LOG")? {
        return match value.to_ascii_lowercase().as_str() {
            "off" => Ok(LevelFilter::Off),
            "error" => Ok(LevelFilter::Error),
            "warn" => Ok(LevelFilter::Warn),
            "info" => Ok(LevelFilter::Info),
            "debug" => Ok(LevelFilter::Debug),
            "trace" => Ok(LevelFilter::Trace),
            _ => Err(invalid(
                "value",
                &value,
                "PIDONE_LOG",
                "expected error, warn, info, debug or trace",
            )),
        };
    }
    if let Some(value) = env_value(env, "TINI_VERBOSITY")? {
        // tini's scale: 0 errors only, 1 warnings (its default), 2 info, 3 debug.
        return match number::parse::<u32>(&value).ok_or(()) {
            Ok(0) => Ok(LevelFilter::Error),
            Ok(1) => Ok(LevelFilter::Warn),
            Ok(2) => Ok(LevelFilter::Info),
            Ok(3) => Ok(LevelFilter::Debug),
            Ok(_) => Ok(LevelFilter::Trace),
            Err(_) => Err(invalid("value", &value, "TINI_VERBOSITY", "expected 0-3")),
        };
    }
    Ok(LevelFilter::Warn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStringExt;

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
        parse(&os(args), |name| {
            env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    fn config(args: &[&str], env: &[(&str, &str)]) -> Config {
        match run(args, env) {
            Ok(Action::Run(config)) => *config,
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
        assert_eq!(c.log_level, LevelFilter::Warn);
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
        assert_eq!(c.log_level, LevelFilter::Debug);
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
        assert_eq!(c.log_level, LevelFilter::Info);
        // PIDONE_* decides over TINI_*.
        let env = [
            ("TINI_SUBREAPER", "1"),
            ("PIDONE_SUBREAPER", "0"),
            ("TINI_VERBOSITY", "3"),
            ("PIDONE_LOG", "error"),
        ];
        let c = config(&["x"], &env);
        assert!(!c.subreaper);
        assert_eq!(c.log_level, LevelFilter::Error);
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
        assert_eq!(c.log_level, LevelFilter::Info);
    }

    #[test]
    fn log_levels_from_flags_and_environment() {
        let table: &[(Args, Env, LevelFilter)] = &[
            (&["x"], &[], LevelFilter::Warn),
            (&["-v", "x"], &[], LevelFilter::Info),
            (&["-vv", "x"], &[], LevelFilter::Debug),
            (&["-v", "-v", "-v", "x"], &[], LevelFilter::Trace),
            (&["-vvvvv", "x"], &[], LevelFilter::Trace),
            (&["-q", "x"], &[], LevelFilter::Error),
            (&["-q", "x"], &[("PIDONE_LOG", "trace")], LevelFilter::Error),
            (&["x"], &[("PIDONE_LOG", "INFO")], LevelFilter::Info),
            (&["x"], &[("PIDONE_LOG", "off")], LevelFilter::Off),
            (&["x"], &[("PIDONE_LOG", "")], LevelFilter::Warn),
            (&["x"], &[("TINI_VERBOSITY", "0")], LevelFilter::Error),
            (&["x"], &[("TINI_VERBOSITY", "1")], LevelFilter::Warn),
            (&["x"], &[("TINI_VERBOSITY", "3")], LevelFilter::Debug),
            (&["x"], &[("TINI_VERBOSITY", "9")], LevelFilter::Trace),
            (&["x"], &[("RUST_LOG", "trace")], LevelFilter::Warn),
        ];
        for (args, env, want) in table {
            assert_eq!(config(args, env).log_level, *want, "{args:?} {env:?}");
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
        assert!(version().starts_with(&format!(
            "pidone version {} - git.",
            env!("CARGO_PKG_VERSION")
        )));
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
        match parse(&args, |_| None) {
            Ok(Action::Run(c)) => assert_eq!(c.args, vec![bad.clone(), OsString::from("-s")]),
            other => panic!("{other:?}"),
        }
        let args = vec![bad.clone()];
        match parse(&args, |_| None) {
            Ok(Action::Run(c)) => assert_eq!(c.program, Some(bad.clone())),
            other => panic!("{other:?}"),
        }
        let option = OsString::from_vec(vec![b'-', b'-', 0xff]);
        let err = parse(&[option, "x".into()], |_| None).unwrap_err();
        assert!(err.0.contains("unknown option '--\u{fffd}'"), "{err}");
        let err = parse(&["-p".into(), bad.clone(), "x".into()], |_| None).unwrap_err();
        assert!(
            err.0.contains("'a\u{fffd}z'") && err.0.contains("UTF-8"),
            "{err}"
        );
        let err = parse(&["x".into()], |name| {
            (name == "PIDONE_LOG").then(|| bad.clone())
        })
        .unwrap_err();
        assert!(err.0.contains("PIDONE_LOG"), "{err}");
    }

    #[test]
    fn beyond_the_peers_options_and_their_variables() {
        let ms = Duration::from_millis;
        let c = config(&["x"], &[]);
        assert_eq!(c.grace, DEFAULT_GRACE);
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
        assert_eq!(c.grace, ms(500));
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
        assert_eq!(c.grace, ms(0));
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
        assert_eq!(c.grace, ms(1_000));
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
}
