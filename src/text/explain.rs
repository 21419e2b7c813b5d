//! `--explain CODE`: what an exit code means, in words a person on call at
//! 3 a.m. can act on.
//!
//! Pure: the text for every code 0–255 is computed here and unit-tested.

use crate::text::exit_codes;
use crate::text::signame::{Name, RTMAX, RTMIN};

/// What signal SIGNO usually means when it kills a program, and who sends it.
fn signal_causes(signo: i32) -> &'static str {
    match signo {
        1 => "its terminal hung up, or someone asked it to reload (kill -HUP)",
        2 => "Ctrl-C on its terminal (or kill -INT)",
        3 => "Ctrl-\\ on its terminal (or kill -QUIT); may leave a core dump",
        4 => "it crashed executing an illegal instruction (corrupt binary, wrong CPU features)",
        5 => "a breakpoint or trace trap: a debugger, or a crash",
        6 => "it aborted itself: abort(), a failed assertion, a C++ exception or a Rust panic with panic=abort",
        7 => "it crashed on a bus error (bad memory mapping, e.g. a truncated mmapped file)",
        8 => "it crashed on an arithmetic fault (such as an integer divided by zero)",
        9 => "kill -9, docker kill, docker stop after its timeout (10 s by default), or the kernel OOM killer when memory ran out. Check `docker inspect --format '{{.State.OOMKilled}}' CONTAINER`, or the oom_kill counter in the cgroup's memory.events (cgroup v2) or memory.oom_control (v1); pidone logs it when it sees it",
        10 | 12 => "a user-defined signal it did not handle (kill -USR1/-USR2)",
        11 => "it crashed: a segmentation fault (invalid memory access)",
        13 => "it wrote to a pipe or socket nobody reads any more",
        14 => "an alarm timer it set went off unhandled",
        15 => "a polite request to stop: docker stop, Kubernetes pod termination, systemctl stop, or plain kill",
        16 => "a coprocessor stack fault (practically never seen)",
        17 => "a child-process notification (normally ignored, not fatal)",
        18..=22 => "a job-control signal (these normally stop or continue, not kill)",
        24 => "it exceeded its CPU time limit (RLIMIT_CPU)",
        25 => "it exceeded its file size limit (RLIMIT_FSIZE)",
        26 | 27 => "a profiling or virtual timer it set went off unhandled",
        28 => "its terminal was resized (normally ignored, not fatal)",
        23 | 29 => "an I/O or urgent-data notification it did not handle",
        30 => "a power failure notification",
        31 => "it made a bad system call, often one forbidden by a seccomp profile",
        32 | 33 => "a signal reserved by the C library for its threads",
        _ => "a real-time signal, sent by another program (no default meaning)",
    }
}

/// The explanation of exit CODE, one or more lines, ending in a newline.
pub fn explain(code: u8) -> String {
    use std::fmt::Write;
    let signo = i32::from(code) - 128;
    // What a code of pidone's own means beyond the table's words.
    let advice = match code {
        0 => Some("the program exited normally; pidone also exits 0 when its pause ends by SIGTERM or SIGINT, and after --help, --version or --explain."),
        2 => Some("pidone exits 2 for a bad option or environment value; a program (or a shell builtin) uses it when called wrongly."),
        125 => Some("docker run uses 125 when the daemon or runtime fails, and pidone when it fails before starting the program (signalfd, fork, --user, --workdir)."),
        126 => Some("permission denied, a directory, or not a binary this machine can run."),
        127 => Some("check its path, PATH, and that the image contains it (and its dynamic loader, for a dynamically linked binary)."),
        _ => None,
    };
    let own = exit_codes::rule_for(code).zip(advice);
    let fixed = match code {
        1 => Some("general failure: the program exited with code 1, its own catch-all error. See its logs."),
        128 => Some("the program exited with code 128; no signal 0 exists, so this is its own choice (some programs use it for an invalid argument to exit)."),
        _ => None,
    };
    // Writing to a String cannot fail.
    let mut out = String::new();
    if let Some((rule, advice)) = own {
        let _ = write!(out, "{code}: {}: {advice}", rule.meaning);
    } else if let Some(text) = fixed {
        let _ = write!(out, "{code}: {text}");
    } else if (1..=RTMAX).contains(&signo) {
        let name = Name(signo);
        let _ = write!(
            out,
            "{code} = 128 + {signo}: killed by {name} — {}",
            signal_causes(signo)
        );
        if signo >= RTMIN {
            let _ = write!(out, " ({name:#} in bash's and Docker's numbering)");
        }
        out.push('.');
        out.push_str(match signo {
            2 => " Also what a shell reports after Ctrl-C.",
            15 => " The app had no handler for SIGTERM, so it died at once; that is normal for a stop.",
            _ => "",
        });
    } else if code > 192 {
        let why = if code == 255 {
            " (255 is often exit(-1), or ssh reporting a connection failure)"
        } else {
            ""
        };
        let _ = write!(
            out,
            "{code}: the program exited with code {code}. Above 128+64, so it is not a signal death: the program chose it{why}."
        );
    } else {
        let _ = write!(
            out,
            "{code}: the program exited with code {code}: an application-specific error. See its documentation and logs."
        );
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explains_the_codes_people_ask_about() {
        let table: &[(u8, &[&str])] = &[
            (0, &["0: success", "pause", "--help"]),
            (1, &["1: general failure"]),
            (2, &["2: usage error", "environment value"]),
            (3, &["3: the program exited with code 3"]),
            (125, &["125:", "pidone", "before starting", "docker run"]),
            (126, &["126:", "could not be executed"]),
            (127, &["127:", "not found", "PATH"]),
            (128, &["128:", "no signal 0"]),
            (129, &["129 = 128 + 1: killed by SIGHUP"]),
            (130, &["130 = 128 + 2: killed by SIGINT", "Ctrl-C"]),
            (
                137,
                &[
                    "137 = 128 + 9: killed by SIGKILL",
                    "kill -9",
                    "docker kill",
                    "docker stop after its timeout",
                    "OOM killer",
                    "docker inspect --format '{{.State.OOMKilled}}'",
                    "memory.events",
                ],
            ),
            (
                139,
                &["139 = 128 + 11: killed by SIGSEGV", "segmentation fault"],
            ),
            (
                143,
                &[
                    "143 = 128 + 15: killed by SIGTERM",
                    "docker stop",
                    "Kubernetes pod termination",
                ],
            ),
            (145, &["145 = 128 + 17: killed by SIGCHLD", "child-process"]),
            (162, &["162 = 128 + 34: killed by SIGRTMIN", "real-time"]),
            (163, &["163 = 128 + 35: killed by SIGRTMIN+1", "RTMIN+1"]),
            (192, &["192 = 128 + 64: killed by SIGRTMAX"]),
            (193, &["193:", "not a signal death"]),
            (255, &["255:", "exit(-1)"]),
        ];
        for (code, wants) in table {
            let text = explain(*code);
            for want in *wants {
                assert!(text.contains(want), "{code}: {want:?} not in {text:?}");
            }
        }
    }

    #[test]
    fn pidones_own_codes_say_what_the_exit_code_table_says() {
        for rule in &exit_codes::RULES {
            let want = format!("{}: {}: ", rule.code, rule.meaning);
            assert!(explain(rule.code).starts_with(&want), "{rule:?}");
        }
    }

    #[test]
    fn every_code_has_one_line_that_starts_with_it() {
        for code in 0..=255u8 {
            let text = explain(code);
            assert!(text.starts_with(&format!("{code}")), "{text}");
            assert_eq!(text.matches('\n').count(), 1, "{text}");
            assert!(text.len() > 20, "{text}");
        }
    }
}
