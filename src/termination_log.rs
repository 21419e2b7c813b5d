//! `--termination-log PATH`: one human-readable line saying why pidone
//! exited, for Kubernetes (`/dev/termination-log` shows in the pod status)
//! and for people reading a bind-mounted file after the fact.
//!
//! Only the line lives here, built by pure code (unit-tested); `out_file`
//! writes it, best-effort, as it writes the report.

use crate::ending::Ending;
use crate::exit_status::Fate;
use crate::oom::Limit;
use crate::signame::Name;

/// The Kubernetes limit for a termination message is 4096 bytes.
const MAX_LINE: usize = 4095;

/// The one line for ENDING (without the newline).
pub fn line(ending: &Ending) -> String {
    let mut line = match ending {
        Ending::Child { fate, oom, code } => {
            let mut line = match *fate {
                Fate::Exited(n) => format!("exited with code {n}"),
                Fate::Signaled(signo) => format!("killed by {} ({})", Name(signo), fate.code()),
            };
            if let Some(limit) = oom {
                line.push_str(": OOM killer");
                if let Limit::Bytes(_) = limit {
                    line.push_str(&format!(", {limit}"));
                }
            }
            if *code != fate.code() {
                line.push_str(&format!(" (remapped to exit code {code})"));
            }
            line
        }
        Ending::Paused { signo } => format!("pause ended by {} (0)", Name(*signo)),
        Ending::NotStarted { message, code } => format!("failed to start: {message} ({code})"),
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

    #[test]
    fn one_line_for_every_ending() {
        let child = |fate: Fate, oom, code| Ending::Child { fate, oom, code };
        let table: &[(Ending, &str)] = &[
            (child(Fate::Exited(3), None, 3), "exited with code 3"),
            (child(Fate::Exited(0), None, 0), "exited with code 0"),
            (
                child(Fate::Signaled(15), None, 143),
                "killed by SIGTERM (143)",
            ),
            (
                child(Fate::Signaled(9), None, 137),
                "killed by SIGKILL (137)",
            ),
            (
                child(Fate::Signaled(9), Some(Limit::Bytes(64 << 20)), 137),
                "killed by SIGKILL (137): OOM killer, memory limit 64 MiB",
            ),
            (
                child(Fate::Signaled(9), Some(Limit::Unlimited), 137),
                "killed by SIGKILL (137): OOM killer",
            ),
            (
                child(Fate::Signaled(15), None, 0),
                "killed by SIGTERM (143) (remapped to exit code 0)",
            ),
            (
                child(Fate::Signaled(35), None, 163),
                "killed by SIGRTMIN+1 (163)",
            ),
            (Ending::Paused { signo: 15 }, "pause ended by SIGTERM (0)"),
            (
                Ending::NotStarted {
                    message: "/app/server: No such file or directory".into(),
                    code: 127,
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
            code: 126,
        };
        let text = line(&ending);
        assert!(text.len() <= MAX_LINE, "{}", text.len());
    }
}
