//! The modes that report what the child was given: its signal state,
//! identity, arguments, pids, passed sockets, and the processes around it.
//! Each prints and exits (or waits), and reads the process's own view
//! (/proc/self, its environment), never a shell's.
//!
//!   status             print the SigBlk and SigIgn lines of /proc/self/status
//!   whoami             print the Uid, Gid and Groups lines of /proc/self/status,
//!                      then `home H`, `user U` (from the environment, `-` if
//!                      unset) and `cwd DIR`
//!   argv ARGS...       print each argument as `arg HEX` (its bytes in hex)
//!   pid                print `pid P ppid Q`, then wait like `pause`
//!   listen             socket activation: print `listen_pid P pid Q fds N`,
//!                      then `ready`, accept one connection on fd 3, print
//!                      `accepted`, exit 0
//!   hello CODE         print `app is PID P under NAME` (NAME: the parent's
//!                      command name, `nothing` when the parent is outside
//!                      the PID namespace, as for a container's PID 1), then
//!                      exit with CODE
//!   ps                 list the processes in /proc, `ps`-style: a header,
//!                      then `PID PPID STAT COMMAND` for each, COMMAND being
//!                      the command line, or `[NAME]` when it has none (a
//!                      zombie)
//!   launch-probe       look at the process (signal mask and dispositions,
//!                      descriptors, environment, working directory,
//!                      threads), call `pidone::launch()`, look again; print
//!                      `launch returned RESULT`, then `launch changed
//!                      nothing` or `launch changed: …`, then what it saw

use crate::signals::{die_with_parent, wait_forever};
use crate::{say, Args};

/// Runs the mode if it is one of ours; false otherwise.
pub fn run(args: &Args) -> bool {
    match args.mode() {
        "status" => print_status_lines(&["SigBlk:", "SigIgn:"]),
        "whoami" => {
            print_status_lines(&["Uid:", "Gid:", "Groups:"]);
            say(&format!("home {}", var("HOME")));
            say(&format!("user {}", var("USER")));
            let cwd = std::env::current_dir().unwrap_or_default();
            say(&format!("cwd {}", cwd.display()));
        }
        "argv" => {
            for arg in args.raw_from(1) {
                let hex: String = arg.iter().map(|b| format!("{b:02x}")).collect();
                say(&format!("arg {hex}"));
            }
        }
        "pid" => {
            die_with_parent();
            // SAFETY: no preconditions.
            let (me, parent) = unsafe { (libc::getpid(), libc::getppid()) };
            say(&format!("pid {me} ppid {parent}"));
            wait_forever();
        }
        "listen" => listen(),
        "hello" => {
            // SAFETY: no preconditions.
            let (me, parent) = unsafe { (libc::getpid(), libc::getppid()) };
            let name = match parent {
                0 => "nothing".to_string(),
                _ => comm(parent).unwrap_or_else(|| "-".into()),
            };
            say(&format!("app is PID {me} under {name}"));
            std::process::exit(args.number(1));
        }
        "ps" => ps(),
        "launch-probe" => launch_probe(),
        "launch-after-thread" => {
            // A thread that outlives the call, as a runtime's would.
            let _thread =
                std::thread::spawn(|| std::thread::sleep(std::time::Duration::from_secs(60)));
            let result = pidone::launch();
            say(&format!(
                "launch returned {:?}",
                result.map_err(|e| e.to_string())
            ));
        }
        _ => return false,
    }
    true
}

/// An environment variable, `-` when unset.
fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| "-".into())
}

/// Prints the lines of /proc/self/status that start with one of PREFIXES.
fn print_status_lines(prefixes: &[&str]) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    for line in status.lines() {
        if prefixes.iter().any(|p| line.starts_with(p)) {
            say(line.trim_end());
        }
    }
}

/// The `listen` mode; see the module docs.
fn listen() {
    // SAFETY: no preconditions.
    let me = unsafe { libc::getpid() };
    say(&format!(
        "listen_pid {} pid {me} fds {}",
        var("LISTEN_PID"),
        var("LISTEN_FDS")
    ));
    say("ready");
    // SAFETY: null address arguments are allowed.
    let conn = unsafe { libc::accept(3, std::ptr::null_mut(), std::ptr::null_mut()) };
    say(if conn >= 0 {
        "accepted"
    } else {
        "accept failed"
    });
}

/// The command name of PID (`/proc/PID/comm`).
fn comm(pid: libc::pid_t) -> Option<String> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    Some(text.trim_end().to_string())
}

/// The `ps` mode; see the module docs.
fn ps() {
    let mut pids: Vec<i32> = std::fs::read_dir("/proc")
        .map(|dir| {
            dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    pids.sort_unstable();
    say(&format!("{:>5} {:>5} {:<4} COMMAND", "PID", "PPID", "STAT"));
    for pid in pids {
        // Gone between the listing and now: not worth a line.
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // The name may hold spaces and parentheses: split at the last ')'.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let rest: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        let (Some(state), Some(ppid)) = (rest.first(), rest.get(1)) else {
            continue;
        };
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let command = if cmdline.is_empty() {
            format!("[{}]", &stat[open + 1..close])
        } else {
            let words: Vec<String> = cmdline
                .split(|&b| b == 0)
                .filter(|w| !w.is_empty())
                .map(|w| String::from_utf8_lossy(w).into_owned())
                .collect();
            words.join(" ")
        };
        say(&format!("{pid:>5} {ppid:>5} {state:<4} {command}"));
    }
}

/// What `launch-probe` compares: the process as /proc and libc show it.
fn snapshot() -> Vec<String> {
    let mut seen = vec![];
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    for line in status.lines() {
        let wanted = ["SigBlk:", "SigIgn:", "SigCgt:", "Threads:"];
        if wanted.iter().any(|w| line.starts_with(w)) {
            seen.push(line.trim_end().to_string());
        }
    }
    let mut fds: Vec<String> = std::fs::read_dir("/proc/self/fd")
        .map(|dir| {
            dir.flatten()
                .map(|e| {
                    let target = std::fs::read_link(e.path()).unwrap_or_default();
                    format!(
                        "fd {} {}",
                        e.file_name().to_string_lossy(),
                        target.display()
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    fds.sort();
    seen.extend(fds);
    let mut env: Vec<String> = std::env::vars_os()
        .map(|(k, v)| format!("env {}={}", k.to_string_lossy(), v.to_string_lossy()))
        .collect();
    env.sort();
    seen.extend(env);
    let environ = std::fs::read("/proc/self/environ").unwrap_or_default();
    seen.push(format!("environ {} bytes", environ.len()));
    let cwd = std::env::current_dir().unwrap_or_default();
    seen.push(format!("cwd {}", cwd.display()));
    seen
}

/// `launch-probe`: see the module docs.
fn launch_probe() {
    let before = snapshot();
    let result = pidone::launch();
    let after = snapshot();
    say(&format!(
        "launch returned {:?}",
        result.map_err(|e| e.to_string())
    ));
    if before == after {
        say("launch changed nothing");
    } else {
        say(&format!("launch changed: {before:?} -> {after:?}"));
    }
    for line in before {
        say(&line);
    }
}
