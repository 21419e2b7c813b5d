//! Where each option's value lands: one match arm per option of the table,
//! the same arm whether the value came from a flag or a variable.
//!
//! Pure. It never decides precedence (`parse` and `env` do) and never
//! reads a value itself (`value` does); it only stores.

use log::LevelFilter;

use super::options::Opt;
use super::value::Value;
use super::{Action, Config, LogSpec};
use crate::error::UsageError;

/// The settings so far: the config being built, and `--pause` (which is no
/// field of its own: a paused config has no program).
pub struct Parsed<A> {
    pub config: Config<A>,
    pub pause: bool,
}

/// Stores VALUE for OPT in PARSED. Returns an action when the option ends
/// parsing (`--help`, `--version`, `--explain`).
pub fn store<A>(
    parsed: &mut Parsed<A>,
    opt: &Opt,
    value: Value<'_>,
) -> Result<Option<Action<A>>, UsageError> {
    let c = &mut parsed.config;
    match opt.long {
        "subreaper" => c.subreaper = value.switch()?,
        "process-group" => c.process_group = value.switch()?,
        "parent-death-signal" => c.parent_death_signal = Some(value.signal()?),
        "remap-exit" => {
            for item in value.items()? {
                c.remap.insert(value.code(item)?);
            }
        }
        "rewrite" => value.rewrite(&mut c.rewrite)?,
        "grace" => c.grace = value.duration()?,
        "kill-after" => c.kill_after = Some(value.duration()?),
        "stop-after" => c.stop_after = Some(value.duration()?),
        "stop-signal" => {
            c.stop_signal = match value.signal()? {
                libc::SIGKILL | libc::SIGSTOP => {
                    return Err(value.invalid(
                        "signal",
                        &value.raw.to_string_lossy(),
                        "KILL and STOP cannot be caught, so no app can shut down on them",
                    ))
                }
                signo => signo,
            }
        }
        "pause" => parsed.pause = true,
        "termination-log" => c.termination_log = Some(value.non_empty()?),
        "report" => c.report = Some(value.non_empty()?),
        "warn-on-reap" => c.warn_on_reap = value.switch()?,
        // UTF-8 was checked by non_empty (Kind::User).
        "user" => c.user = Some(value.non_empty()?.to_string_lossy().into_owned()),
        "workdir" => c.workdir = Some(value.non_empty()?),
        // -v and -q share one setting and its variables.
        "verbose" | "quiet" => {
            c.log = match value.var {
                None if opt.long == "quiet" => LogSpec::Level(LevelFilter::Error),
                None => LogSpec::Level(more(&c.log)),
                Some("TINI_VERBOSITY") => LogSpec::Level(value.tini_verbosity()?),
                Some(_) => LogSpec::Filters(value.log_filters()?),
            }
        }
        "explain" => return Ok(Some(Action::Explain(value.code(value.text()?)?))),
        "help" => return Ok(Some(Action::Help)),
        "version" => return Ok(Some(Action::Version)),
        // Only a row without an arm gets here; a unit test walks the table.
        _ => return Err(UsageError(format!("unknown option '--{}'", opt.long))),
    }
    Ok(None)
}

/// One `-v` more than LOG: warn, info, debug, trace (and stays there).
fn more(log: &LogSpec) -> LevelFilter {
    // Flags come before variables, so LOG is still a level here.
    let level = match log {
        LogSpec::Level(level) => *level,
        LogSpec::Filters(_) => LevelFilter::Warn,
    };
    match level {
        LevelFilter::Off => LevelFilter::Error,
        LevelFilter::Error => LevelFilter::Warn,
        LevelFilter::Warn => LevelFilter::Info,
        LevelFilter::Info => LevelFilter::Debug,
        LevelFilter::Debug | LevelFilter::Trace => LevelFilter::Trace,
    }
}
