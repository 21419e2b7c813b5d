//! Where each option's value lands: one match arm per option of the table,
//! the same arm whether the value came from a flag or a variable, and the
//! record of which settings are decided.
//!
//! Pure. It never decides precedence (`parse` and `env` do) and never
//! reads a value itself (`value` does); it only stores.

use log::LevelFilter;

use super::config::{Action, Config};
use super::options::Opt;
use super::value::Value;
use crate::error::UsageError;
use crate::out::logging::LogSpec;

/// The settings so far: the config being built, and `--pause` (which is no
/// field of its own: a paused config has no program).
pub struct Parsed<A> {
    pub config: Config<A>,
    pub pause: bool,
}

/// The settings decided so far, by [`Opt::setting`]: a flag decides its
/// setting, and the environment is read once per setting.
#[derive(Default)]
pub struct Decided(u32);

impl Decided {
    /// Marks OPT's setting as decided; returns whether it was not yet.
    pub fn insert(&mut self, opt: Opt) -> bool {
        // Fewer than 32 options: a bit each (a unit test holds the count).
        let bit = 1 << (opt.setting() as u32);
        let new = self.0 & bit == 0;
        self.0 |= bit;
        new
    }
}

/// Stores VALUE for its option in PARSED. Returns an action when the
/// option ends parsing (`--help`, `--version`, `--explain`).
pub fn store<A>(parsed: &mut Parsed<A>, value: Value<'_>) -> Result<Option<Action<A>>, UsageError> {
    let c = &mut parsed.config;
    match value.row.opt {
        Opt::Subreaper => c.subreaper = value.switch()?,
        Opt::ProcessGroup => c.process_group = value.switch()?,
        Opt::ParentDeathSignal => c.parent_death_signal = Some(value.signal()?),
        Opt::RemapExit => {
            for item in value.items()? {
                c.remap.insert(value.code(item)?);
            }
        }
        Opt::Rewrite => value.rewrite(&mut c.rewrite)?,
        Opt::Grace => c.grace = Some(value.duration()?),
        Opt::KillAfter => c.kill_after = Some(value.duration()?),
        Opt::StopAfter => c.stop_after = Some(value.duration()?),
        Opt::StopSignal => {
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
        Opt::Pause => parsed.pause = true,
        Opt::TerminationLog => c.termination_log = Some(value.non_empty()?),
        Opt::Report => c.report = Some(value.non_empty()?),
        Opt::WarnOnReap => c.warn_on_reap = value.switch()?,
        // UTF-8 was checked by non_empty (Kind::User).
        Opt::User => c.user = Some(value.non_empty()?.to_string_lossy().into_owned()),
        Opt::Workdir => c.workdir = Some(value.non_empty()?),
        // -v and -q share one setting and its variables.
        Opt::Verbose | Opt::Quiet => {
            c.log = match value.var {
                None if value.row.opt == Opt::Quiet => LogSpec::Level(LevelFilter::Error),
                None => LogSpec::Level(more(&c.log)),
                Some("TINI_VERBOSITY") => LogSpec::Level(value.tini_verbosity()?),
                Some(_) => LogSpec::Filters(value.log_filters()?),
            }
        }
        Opt::Explain => return Ok(Some(Action::Explain(value.code(value.text()?)?))),
        Opt::Help => return Ok(Some(Action::Help)),
        Opt::Version => return Ok(Some(Action::Version)),
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
