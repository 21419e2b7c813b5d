//! `--report PATH`: one JSON object on one line describing the run, for
//! signal-handling tests and shutdown drills ("does my app shut down
//! cleanly, how long does it take, what does it leave behind?").
//!
//! [`render`] turns the run's tally (`run::tally`) and its [`Ending`] into
//! the JSON line (pure, unit-tested); writing goes through `out_file`, like the
//! termination log: never blocking on a FIFO, a failure logged once and
//! never changing the exit code. The schema is small and flat, so a
//! hand-written writer with correct string escaping does the job of a JSON
//! library at no cost to the binary.

use std::fmt::Write;
use std::time::{Duration, Instant};

use crate::run::ending::Ending;
use crate::run::tally::{GraceRule, Run, Source};
use crate::text::fate::Fate;
use crate::text::signame::Name;

/// Whole milliseconds from A to B (0 if B is earlier, or either is unknown:
/// an untimed run, which no report shows).
fn millis(a: Option<Instant>, b: Option<Instant>) -> u64 {
    match (a, b) {
        (Some(a), Some(b)) => whole_millis(b.saturating_duration_since(a)),
        _ => 0,
    }
}

/// D in whole milliseconds.
fn whole_millis(d: Duration) -> u64 {
    d.as_secs()
        .saturating_mul(1_000)
        .saturating_add(u64::from(d.subsec_millis()))
}

/// The report line (without the newline) for a run that ended as ENDING,
/// rendered at NOW.
pub fn render(run: &Run, ending: &Ending, now: Instant) -> String {
    let mut out = Json(String::with_capacity(512));
    out.open();
    out.key("version");
    out.string(env!("CARGO_PKG_VERSION"));
    out.key("exit_code");
    out.number(u64::from(ending.exit_code()));
    out.key("child");
    match (ending, run.child) {
        (Ending::Child { fate, oom, .. }, Some((pid, started))) => {
            out.open();
            out.key("pid");
            out.number(u64::try_from(pid).unwrap_or(0));
            let (code, signal) = match *fate {
                Fate::Exited(code) => (Some(code), None),
                Fate::Signaled(signo) => (None, Some(signo)),
            };
            out.key("exit_code");
            match code {
                Some(code) => out.number(u64::from(code)),
                None => out.null(),
            }
            out.key("signal");
            out.signal(signal);
            out.key("core_dumped");
            out.boolean(run.core_dumped);
            out.key("oom_killed");
            out.boolean(oom.is_some());
            out.key("runtime_ms");
            out.number(millis(started, run.child_ended.or(Some(now))));
            out.close();
        }
        _ => out.null(),
    }
    out.key("error");
    match ending {
        Ending::NotStarted { message, .. } => out.string(message),
        _ => out.null(),
    }
    out.key("stop");
    match (run.stop, run.child) {
        (Some(stop), child) => {
            out.open();
            out.key("signal");
            out.signal(Some(stop.signal));
            out.key("sent");
            out.signal(stop.sent);
            out.key("source");
            out.string(match stop.source {
                Source::External => "external",
                Source::StopAfter => "stop-after",
            });
            out.key("at_ms");
            out.number(millis(
                child.map_or(run.started, |(_, at)| at),
                Some(stop.at),
            ));
            out.key("child_exited_after_ms");
            match run.child_ended {
                Some(ended) if child.is_some() => out.number(millis(Some(stop.at), Some(ended))),
                _ => out.null(),
            }
            out.key("kill_after_fired");
            out.boolean(stop.kill_after_fired);
            out.close();
        }
        (None, _) => out.null(),
    }
    out.key("signals_forwarded");
    out.number(run.signals_forwarded);
    out.key("orphans_reaped");
    out.number(run.orphans_reaped);
    out.key("leftovers");
    out.open();
    let counts = [
        ("found", run.leftovers.found),
        ("exited_in_grace", run.leftovers.exited_in_grace),
        ("killed", run.leftovers.killed),
    ];
    for (name, count) in counts {
        out.key(name);
        out.number(u64::try_from(count).unwrap_or(u64::MAX));
    }
    out.key("grace_ms");
    out.number(whole_millis(run.leftovers.grace));
    out.key("grace");
    out.string(match run.leftovers.rule {
        GraceRule::Default => "default",
        GraceRule::Stop => "stop",
        GraceRule::Set => "set",
    });
    out.close();
    out.key("duration_ms");
    out.number(millis(run.started, Some(now)));
    out.close();
    out.0
}

/// A minimal JSON writer: objects, keys and scalars, in order. Commas are
/// placed by looking at the last byte written, so callers cannot get them
/// wrong.
struct Json(String);

impl Json {
    /// Writes a comma if a value or object already stands before this one.
    fn separate(&mut self) {
        if !matches!(self.0.as_bytes().last(), None | Some(b'{' | b':')) {
            self.0.push(',');
        }
    }

    fn open(&mut self) {
        self.separate();
        self.0.push('{');
    }

    fn close(&mut self) {
        self.0.push('}');
    }

    fn key(&mut self, name: &str) {
        self.string(name);
        self.0.push(':');
    }

    fn null(&mut self) {
        self.separate();
        self.0.push_str("null");
    }

    fn boolean(&mut self, value: bool) {
        self.separate();
        self.0.push_str(if value { "true" } else { "false" });
    }

    /// A signal's name (`"SIGTERM"`), or null. Names need no escaping.
    fn signal(&mut self, signo: Option<i32>) {
        self.separate();
        let _ = match signo {
            Some(signo) => write!(self.0, "\"{}\"", Name(signo)),
            None => self.0.write_str("null"),
        };
    }

    fn number(&mut self, value: u64) {
        self.separate();
        let _ = write!(self.0, "{value}");
    }

    /// TEXT as a JSON string: quotes and backslashes escaped, control
    /// characters as `\u00XX` (a program name from the command line may
    /// hold anything), everything else as UTF-8.
    fn string(&mut self, text: &str) {
        self.separate();
        self.0.push('"');
        for c in text.chars() {
            match c {
                '"' => self.0.push_str("\\\""),
                '\\' => self.0.push_str("\\\\"),
                '\n' => self.0.push_str("\\n"),
                '\r' => self.0.push_str("\\r"),
                '\t' => self.0.push_str("\\t"),
                c if u32::from(c) < 0x20 || c == '\u{7f}' => {
                    let _ = write!(self.0, "\\u{:04x}", u32::from(c));
                }
                c => self.0.push(c),
            }
        }
        self.0.push('"');
    }
}

#[cfg(test)]
mod tests;
