//! Where each option's value lands: one match arm per option of the table,
//! the same arm whether the value came from a flag or a variable. Arms are
//! chosen by row number, each named by a const found from the option's
//! long name when compiling.
//!
//! Pure. It never decides precedence (`parse` and `env` do) and never
//! reads a value itself (`value` does); it only stores.

use log::LevelFilter;

use super::packed::row_of;
use super::value::Value;
use super::{Action, Config, LogSpec};
use crate::error::UsageError;

/// The settings so far: the config being built, and `--pause` (which is no
/// field of its own: a paused config has no program).
pub struct Parsed<A> {
    pub config: Config<A>,
    pub pause: bool,
}

// Each option's row in the table, found by its long name when compiling:
// a name that is no option's fails the build, and the match below is a
// jump on a number. (Matching the long names themselves compared strings
// arm by arm: 560 bytes more code on 386, where the binary sits at a page
// step, and a string compare per arm passed on every option given.)
const SUBREAPER: usize = row_of("subreaper");
const PROCESS_GROUP: usize = row_of("process-group");
const PARENT_DEATH_SIGNAL: usize = row_of("parent-death-signal");
const REMAP_EXIT: usize = row_of("remap-exit");
const REWRITE: usize = row_of("rewrite");
const GRACE: usize = row_of("grace");
const KILL_AFTER: usize = row_of("kill-after");
const STOP_AFTER: usize = row_of("stop-after");
const STOP_SIGNAL: usize = row_of("stop-signal");
const PAUSE: usize = row_of("pause");
const TERMINATION_LOG: usize = row_of("termination-log");
const REPORT: usize = row_of("report");
const WARN_ON_REAP: usize = row_of("warn-on-reap");
const USER: usize = row_of("user");
const WORKDIR: usize = row_of("workdir");
const VERBOSE: usize = row_of("verbose");
const QUIET: usize = row_of("quiet");
const EXPLAIN: usize = row_of("explain");
const HELP: usize = row_of("help");
const VERSION: usize = row_of("version");

/// Stores VALUE for the option of row ROW in PARSED. Returns an action
/// when the option ends parsing (`--help`, `--version`, `--explain`).
pub fn store<A>(
    parsed: &mut Parsed<A>,
    row: usize,
    value: Value<'_>,
) -> Result<Option<Action<A>>, UsageError> {
    let c = &mut parsed.config;
    match row {
        SUBREAPER => c.subreaper = value.switch()?,
        PROCESS_GROUP => c.process_group = value.switch()?,
        PARENT_DEATH_SIGNAL => c.parent_death_signal = Some(value.signal()?),
        REMAP_EXIT => {
            for item in value.items()? {
                c.remap.insert(value.code(item)?);
            }
        }
        REWRITE => value.rewrite(&mut c.rewrite)?,
        GRACE => c.grace = value.duration()?,
        KILL_AFTER => c.kill_after = Some(value.duration()?),
        STOP_AFTER => c.stop_after = Some(value.duration()?),
        STOP_SIGNAL => {
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
        PAUSE => parsed.pause = true,
        TERMINATION_LOG => c.termination_log = Some(value.non_empty()?),
        REPORT => c.report = Some(value.non_empty()?),
        WARN_ON_REAP => c.warn_on_reap = value.switch()?,
        // UTF-8 was checked by non_empty (Kind::User).
        USER => c.user = Some(value.non_empty()?.to_string_lossy().into_owned()),
        WORKDIR => c.workdir = Some(value.non_empty()?),
        // -v and -q share one setting and its variables.
        VERBOSE | QUIET => {
            c.log = match value.var {
                None if row == QUIET => LogSpec::Level(LevelFilter::Error),
                None => LogSpec::Level(more(&c.log)),
                Some("TINI_VERBOSITY") => LogSpec::Level(value.tini_verbosity()?),
                Some(_) => LogSpec::Filters(value.log_filters()?),
            }
        }
        EXPLAIN => return Ok(Some(Action::Explain(value.code(value.text()?)?))),
        HELP => return Ok(Some(Action::Help)),
        VERSION => return Ok(Some(Action::Version)),
        // Only a row without an arm gets here; a unit test walks the table.
        _ => {
            return Err(UsageError(format!(
                "unknown option '--{}'",
                value.opt.long()
            )))
        }
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
