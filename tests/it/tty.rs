//! On a terminal the child's process group is the foreground group, so the
//! terminal's Ctrl-C goes to the app (not to pidone) and ends it with 130,
//! as in `docker run -it`. A pseudo-terminal comes from `script`; the test
//! writes the ^C byte to its master side.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::util::{self, LOGS};

#[test]
fn ctrl_c_on_the_terminal_ends_the_foreground_child_with_130() {
    for log in LOGS {
        let inner = format!(
            "unshare --pid --fork --kill-child --mount-proc {} -- cat",
            util::pidone().display()
        );
        let mut script = Command::new("script")
            .args(["--quiet", "--return", "--command", &inner, "/dev/null"])
            .env_remove("PIDONE_LOG")
            .envs((log == util::Log::Debug).then_some(("PIDONE_LOG", "debug")))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run script (util-linux) for a pseudo-terminal");
        let script_pid = script.id() as i32;
        // Ready when `cat` runs under pidone and its group owns the terminal.
        util::poll("script", "cat in the terminal's foreground", || {
            util::descendants(script_pid)
                .into_iter()
                .find(|(pid, s)| s.comm == "cat" && s.pgrp == *pid && s.tpgid == s.pgrp)
        });
        let mut stdin = script.stdin.take().unwrap();
        stdin.write_all(b"\x03").unwrap();
        stdin.flush().unwrap();
        let out = util::wait_output(script, "script");
        drop(stdin);
        assert_eq!(out.status.code(), Some(130), "{out:#?}");
        // The ^C went to the app's group, never to pidone.
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!text.contains("forwarded SIGINT"), "{text}");
        if log == util::Log::Debug {
            assert!(text.contains("was killed by SIGINT (130)"), "{text}");
        }
    }
}
