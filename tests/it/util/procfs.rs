//! Reading /proc: a process's state, parent and group, its children and
//! descendants, its executable and its status counters. Readers only: a
//! process that is gone reads as None or empty, never as a failure, since
//! processes come and go while tests look.

use std::path::PathBuf;

/// One line of `/proc/PID/stat`, split around the command name.
pub struct Stat {
    pub comm: String,
    pub state: char,
    pub ppid: i32,
    pub pgrp: i32,
    pub tpgid: i32,
}

/// Reads `/proc/PID/stat` (None once the process is gone).
pub fn stat(pid: i32) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The name may hold spaces and parentheses: split at the last ')'.
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let rest: Vec<&str> = text[close + 1..].split_whitespace().collect();
    let field = |i: usize| rest.get(i).and_then(|f| f.parse().ok());
    Some(Stat {
        comm: text[open + 1..close].to_string(),
        state: rest.first()?.chars().next()?,
        ppid: field(1)?,
        pgrp: field(2)?,
        tpgid: field(5)?,
    })
}

/// The pids of every process on the host.
pub fn all_pids() -> Vec<i32> {
    std::fs::read_dir("/proc")
        .map(|dir| {
            dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// The direct children of PID (any state).
pub fn children(pid: i32) -> Vec<i32> {
    all_pids()
        .into_iter()
        .filter(|&p| stat(p).is_some_and(|s| s.ppid == pid))
        .collect()
}

/// The zombies whose parent is PID.
pub fn zombies_of(pid: i32) -> Vec<i32> {
    all_pids()
        .into_iter()
        .filter(|&p| stat(p).is_some_and(|s| s.ppid == pid && s.state == 'Z'))
        .collect()
}

/// Every descendant of PID, with its stat.
pub fn descendants(pid: i32) -> Vec<(i32, Stat)> {
    let stats: Vec<(i32, Stat)> = all_pids()
        .into_iter()
        .filter_map(|p| Some((p, stat(p)?)))
        .collect();
    let mut found = vec![pid];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(
            stats
                .iter()
                .filter(|(_, s)| s.ppid == parent)
                .map(|(p, _)| *p),
        );
        i += 1;
    }
    stats
        .into_iter()
        .filter(|(p, _)| *p != pid && found.contains(p))
        .collect()
}

/// The executable of PID (empty once it is gone).
pub fn exe(pid: i32) -> PathBuf {
    std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default()
}

/// A field of `/proc/PID/status`, as a number.
pub fn status_number(pid: i32, field: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

/// The start time of PID in clock ticks since boot (field 22 of its stat):
/// with the pid, it names one process for good, pid reuse or not.
pub fn start_time(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let close = text.rfind(')')?;
    // Fields after the name start at 3 (state); the start time is 22.
    text[close + 1..]
        .split_whitespace()
        .nth(22 - 3)?
        .parse()
        .ok()
}

/// Waits (bounded, failing the test after the usual deadline) until PID is
/// asleep (state `S`): for pidone, blocked in its read of the signalfd, so
/// a signal sent now goes through the loop rather than start-up.
pub fn wait_asleep(context: &str, pid: i32) {
    super::poll(context, "pidone asleep", || {
        stat(pid).is_some_and(|s| s.state == 'S').then_some(())
    });
}
