//! Names that are this test run's alone, and the sweeps' question about
//! anyone else's: is the run that made it over? A run is named by its
//! test process's pid and start time (the pid alone may be reused), and,
//! on the labels of a Docker daemon other people's runs share, by its PID
//! namespace too. Whatever these names mark may be removed only once its
//! run is provably over: never a live run's, never one we cannot read.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use super::procfs::start_time;

/// The label key every Docker image and container of ours carries, its
/// value naming the run ([`label`]). Not `pidone-test`: a sweep that reads
/// that key's value as a bare pid would take ours for a dead one and
/// remove a live run's images.
pub const LABEL: &str = "pidone-test-run";

/// This test process: its pid and its start time.
fn me() -> (u32, u64) {
    static ME: OnceLock<(u32, u64)> = OnceLock::new();
    *ME.get_or_init(|| {
        let pid = std::process::id();
        (pid, start_time(pid).expect("our own start time"))
    })
}

/// This run, as `<pid>-<start time>`.
pub fn this_run() -> String {
    let (pid, start) = me();
    format!("{pid}-{start}")
}

/// A name no other test (or test run) uses: `pidone-test-<pid>-<start>-<n>-WHAT`,
/// lowercase as image names must be.
pub fn unique(what: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("pidone-test-{}-{n}-{what}", this_run())
}

/// The `--label` argument that marks Docker objects as ours: [`LABEL`]
/// `=<pid namespace>.<pid>.<start time>`. The namespace is there because a
/// pid may be another process's in another PID namespace (someone running
/// the suite in a container, on the same daemon).
pub fn label() -> String {
    static LABELLED: OnceLock<String> = OnceLock::new();
    LABELLED
        .get_or_init(|| {
            let (pid, start) = me();
            format!("{LABEL}={}.{pid}.{start}", pid_namespace())
        })
        .clone()
}

/// Our PID namespace's inode number (`pid:[4026531836]` → `4026531836`).
fn pid_namespace() -> String {
    let link = std::fs::read_link("/proc/self/ns/pid").expect("read /proc/self/ns/pid");
    link.to_string_lossy()
        .chars()
        .filter(char::is_ascii_digit)
        .collect()
}

/// Whether the run whose label value (see [`label`]) is VALUE is provably
/// over: it was in our PID namespace and no process there has its pid and
/// start time. A run in another namespace, or a label we cannot read, is
/// never over for us.
pub fn label_is_over(value: &str) -> bool {
    match value.split('.').collect::<Vec<_>>()[..] {
        [namespace, pid, start] => namespace == pid_namespace() && is_over(pid, start),
        _ => false,
    }
}

/// Whether the test process PID with start time START (both as text) is
/// gone: the same pid with another start time is another process. False
/// for text that is not a pid and a start time.
fn is_over(pid: &str, start: &str) -> bool {
    let (Ok(pid), Ok(start)) = (pid.parse::<u32>(), start.parse::<u64>()) else {
        return false;
    };
    start_time(pid) != Some(start)
}

/// The entries of the system temp dir named `PREFIX<pid>-<start>…SUFFIX`
/// (what [`this_run`] and [`unique`] make) whose run is over: what runs
/// killed before their guards could clean up left behind.
pub fn left_by_runs_that_are_over(prefix: &str, suffix: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return vec![];
    };
    entries
        .flatten()
        .filter(|entry| {
            let name = entry.file_name();
            let run = name
                .to_str()
                .and_then(|n| n.strip_prefix(prefix)?.strip_suffix(suffix));
            let mut fields = run.unwrap_or_default().split('-');
            match (fields.next(), fields.next()) {
                (Some(pid), Some(start)) => is_over(pid, start),
                _ => false,
            }
        })
        .map(|entry| entry.path())
        .collect()
}
