//! `--termination-log PATH`: one human-readable line saying why pidone
//! exited, for Kubernetes (`/dev/termination-log` shows in the pod status)
//! and for people reading a bind-mounted file after the fact.
//!
//! Only the line lives here, built by pure code (unit-tested); `out_file`
//! writes it, best-effort, as it writes the report.

use std::fmt::Write;

use crate::os::oom::Limit;
use crate::run::ending::Ending;
use crate::text::fate::Fate;
use crate::text::signame::Name;

/// The Kubernetes limit for a termination message is 4096 bytes.
const MAX_LINE: usize = 4095;

/// The one line for ENDING (without the newline).
pub fn line(ending: &Ending) -> String {
    let code = ending.exit_code();
    let mut line = String::new();
    // Writing to a String cannot fail.
    let _ = match ending {
        Ending::Child { fate, oom, .. } => {
            let _ = match *fate {
                Fate::Exited(n) => write!(line, "exited with code {n}"),
                Fate::Signaled(signo) => {
                    write!(line, "killed by {} ({})", Name(signo), fate.code())
                }
            };
            if let Some(limit) = oom {
                line.push_str(": OOM killer");
                if let Limit::Bytes(_) = limit {
                    let _ = write!(line, ", {limit}");
                }
            }
            if code != fate.code() {
                let _ = write!(line, " (remapped to exit code {code})");
            }
            Ok(())
        }
        Ending::Paused { signo } => write!(line, "pause ended by {} ({code})", Name(*signo)),
        Ending::NotStarted { message, .. } => write!(line, "failed to start: {message} ({code})"),
    };
    if line.len() > MAX_LINE {
        let mut end = MAX_LINE;
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        line.truncate(end);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::exit_codes::Own;
    use crate::text::fate::Remap;

    #[test]
    fn one_line_for_every_ending() {
        let child = |fate: Fate, oom, remapped: Option<u8>| {
            let mut remap = Remap::default();
            remapped.into_iter().for_each(|code| remap.insert(code));
            Ending::Child { fate, oom, remap }
        };
        let table: &[(Ending, &str)] = &[
            (child(Fate::Exited(3), None, None), "exited with code 3"),
            (child(Fate::Exited(0), None, None), "exited with code 0"),
            (
                child(Fate::Signaled(15), None, None),
                "killed by SIGTERM (143)",
            ),
            (
                child(Fate::Signaled(9), None, None),
                "killed by SIGKILL (137)",
            ),
            (
                child(Fate::Signaled(9), Some(Limit::Bytes(64 << 20)), None),
                "killed by SIGKILL (137): OOM killer, memory limit 64 MiB",
            ),
            (
                child(Fate::Signaled(9), Some(Limit::Unlimited), None),
                "killed by SIGKILL (137): OOM killer",
            ),
            (
                child(Fate::Signaled(15), None, Some(143)),
                "killed by SIGTERM (143) (remapped to exit code 0)",
            ),
            (
                child(Fate::Signaled(35), None, None),
                "killed by SIGRTMIN+1 (163)",
            ),
            (Ending::Paused { signo: 15 }, "pause ended by SIGTERM (0)"),
            (
                Ending::NotStarted {
                    message: "/app/server: No such file or directory".into(),
                    situation: Own::NotFound,
                },
                "failed to start: /app/server: No such file or directory (127)",
            ),
        ];
        for (ending, want) in table {
            assert_eq!(line(ending), *want);
        }
    }

    #[test]
    fn long_lines_are_cut_under_4_kib() {
        let ending = Ending::NotStarted {
            message: "é".repeat(5000),
            situation: Own::NotExecutable,
        };
        let text = line(&ending);
        assert!(text.len() <= MAX_LINE, "{}", text.len());
    }
}
