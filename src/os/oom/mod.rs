//! OOM diagnosis: did the kernel's OOM killer fire in our cgroup while the
//! main child ran? Read at start, read again when the child dies by SIGKILL.
//!
//! A SIGKILL death (137) is the most ambiguous exit code there is: `kill
//! -9`, `docker kill`, a stop timeout, or memory running out. The kernel
//! counts OOM kills per cgroup, so comparing the counter before and after
//! tells us which, without guessing. Reading files only; no claim at all when
//! nothing is readable, and never an error: this module must not be able to
//! stop pidone from starting or exiting.
//!
//! Finding our cgroup's directory is not just joining `/proc/self/cgroup`
//! to the mount point: under Docker on cgroup v1 with the host's cgroup
//! namespace, `/proc/self/cgroup` says `/docker/<id>` while the mount inside
//! the container already *is* that cgroup. So the path is resolved against
//! the mount's root from `/proc/self/mountinfo`, with the mount point itself
//! as the fallback.
//!
//! This file owns the reading (through `procfs`, into the caller's buffer)
//! and the watch; what the bytes mean is for `cgroup` (which directory)
//! and `scan` (lines and numbers), which never read a file.

// Which directory is our memory cgroup: pure, from the files' bytes.
mod cgroup;
// A memory limit, read and shown: pure.
mod limit;
// Lines, bytes and numbers in those bytes: pure.
mod scan;

use std::borrow::Cow;

use crate::os::procfs;
use cgroup::{locate, Dir};
use limit::parse_limit;
pub use limit::Limit;
use scan::{number, parse_keyed};

/// Which of our memory cgroup's files count OOM kills, and which holds
/// the limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Counter {
    /// cgroup v2: `oom_kill` in `memory.events`.
    Events,
    /// cgroup v1 on kernel 4.13 and later: `oom_kill` in
    /// `memory.oom_control`.
    OomControl,
    /// cgroup v1 before that: the number of times the limit was hit
    /// (`memory.failcnt`), the next best witness.
    Failcnt,
}

impl Counter {
    /// The counter for cgroup v2 (V2) or v1; V1_COUNT: the v1
    /// `memory.oom_control` has an `oom_kill` line.
    fn new(v2: bool, v1_count: bool) -> Counter {
        match (v2, v1_count) {
            (true, _) => Counter::Events,
            (false, true) => Counter::OomControl,
            (false, false) => Counter::Failcnt,
        }
    }

    /// The file holding the count; the key of the count in it, or `None`
    /// when the whole file is one number; the file holding the limit.
    fn files(self) -> (&'static str, Option<&'static str>, &'static str) {
        match self {
            Counter::Events => ("memory.events", Some("oom_kill"), "memory.max"),
            Counter::OomControl => (
                "memory.oom_control",
                Some("oom_kill"),
                "memory.limit_in_bytes",
            ),
            Counter::Failcnt => ("memory.failcnt", None, "memory.limit_in_bytes"),
        }
    }

    /// The OOM kill count in directory DIR now, if readable (see
    /// [`read_in`] for SCRATCH).
    fn count(self, dir: &Dir<'_>, scratch: &mut [u8]) -> Option<u64> {
        self.read(dir, scratch).flatten()
    }

    /// The counter's file in DIR read now: `None` when it cannot be read,
    /// `Some(None)` when it holds no count (see [`read_in`] for SCRATCH).
    fn read(self, dir: &Dir<'_>, scratch: &mut [u8]) -> Option<Option<u64>> {
        let (file, key, _) = self.files();
        read_in(dir, file, scratch, |text| match key {
            Some(key) => parse_keyed(text, key.as_bytes()),
            None => number(text),
        })
    }
}

/// Room for the text of `/proc/self/cgroup`, which the caller keeps as
/// long as the [`Watch`]: our cgroup's path is a slice of it, borrowed
/// rather than copied into the watch (see [`cgroup::Dir`]). What the text
/// leaves of it is the scratch space of [`Watch::start`].
pub struct CgroupText([u8; 512]);

impl CgroupText {
    /// Empty room.
    pub fn new() -> CgroupText {
        CgroupText([0; 512])
    }
}

/// Watches our cgroup's OOM kill counter from start to the child's death.
#[derive(Debug)]
pub struct Watch<'t> {
    /// Our memory cgroup's directory and its counter, if found.
    cgroup: Option<(Dir<'t>, Counter)>,
    /// The count at start, if read.
    before: Option<u64>,
}

impl<'t> Watch<'t> {
    /// Finds our memory cgroup and reads its counter now, reading
    /// `/proc/self/cgroup` into TEXT. Never fails: a watch that found
    /// nothing simply never reports an OOM kill.
    ///
    /// This runs on every start, so the common path allocates nothing and
    /// formats nothing: files are read into TEXT, paths joined in the room
    /// it has left, and mountinfo (long, on a host) is only read when the
    /// hierarchy is not mounted where every runtime mounts it.
    pub fn start(text: &'t mut CgroupText) -> Watch<'t> {
        // How much of TEXT the file took, or its bytes when they did not
        // fit. The rest of TEXT is the scratch space for the paths and
        // files read below: one buffer zeroed, not one for each.
        let read = match procfs::read_bytes(c"/proc/self/cgroup", &mut text.0) {
            Some(Cow::Borrowed(cgroup)) => Ok(cgroup.len()),
            Some(Cow::Owned(cgroup)) => Err(Some(cgroup)),
            None => Err(None),
        };
        let (cgroup, scratch) = text.0.split_at_mut(*read.as_ref().unwrap_or(&0));
        // A candidate directory is probed with the counter file read
        // anyway (memory.events on v2, memory.oom_control on v1): readable,
        // it is both the proof and the count at start, with no stat of the
        // directory first. Only an unreadable counter falls back to the
        // stat (a v2 cgroup without the memory controller has no
        // memory.events, yet it is ours).
        let mut probed: Option<Option<u64>> = None;
        // The file a watch reads first: memory.events or memory.oom_control.
        let first_counter = |v2| Counter::new(v2, true);
        let mut is_ours = |dir: &Dir<'_>, v2: bool| {
            probed = first_counter(v2).read(dir, scratch);
            probed.is_some() || dir.path(b"", scratch).is_some_and(|p| procfs::is_dir(&p))
        };
        let found = match &read {
            Ok(_) => locate(cgroup, mountinfo, &mut is_ours),
            // Longer than TEXT: the directory keeps its own copy.
            Err(Some(cgroup)) => {
                locate(cgroup, mountinfo, &mut is_ours).map(|(dir, v2)| (dir.into_owned(), v2))
            }
            Err(None) => None,
        };
        let Some((dir, v2)) = found else {
            return Watch {
                cgroup: None,
                before: None,
            };
        };
        // The probe's read belongs to DIR: locate returns (or keeps) the
        // directory of the last probe that said yes, right after it.
        let first = probed.or_else(|| first_counter(v2).read(&dir, scratch));
        // Kernels before 4.13 have no oom_kill count in cgroup v1:
        // memory.oom_control is both the test and the count.
        let v1_count = if v2 { None } else { first.flatten() };
        let counter = Counter::new(v2, v1_count.is_some());
        let before = match counter {
            Counter::Failcnt => counter.count(&dir, scratch),
            Counter::Events | Counter::OomControl => first.flatten(),
        };
        Watch {
            cgroup: Some((dir, counter)),
            before,
        }
    }

    /// Whether the OOM killer fired since [`Watch::start`]; with the limit.
    pub fn fired(&self) -> Option<Limit> {
        let (dir, counter) = self.cgroup.as_ref()?;
        let mut scratch = [0u8; 512];
        let after = counter.count(dir, &mut scratch)?;
        if after <= self.before? {
            return None;
        }
        let (_, _, limit) = counter.files();
        let limit = read_in(dir, limit, &mut scratch, parse_limit);
        Some(limit.unwrap_or(Limit::Unknown))
    }
}

/// The text of `/proc/self/mountinfo`, or nothing.
fn mountinfo() -> String {
    procfs::read_small("/proc/self/mountinfo").unwrap_or_default()
}

/// PARSE applied to the bytes of file NAME in DIR, if readable. The path
/// and the bytes share SCRATCH, half each (cgroup files are a few lines,
/// their paths a few dozen bytes); either goes on the heap if too long.
fn read_in<T>(
    dir: &Dir<'_>,
    name: &str,
    scratch: &mut [u8],
    parse: impl FnOnce(&[u8]) -> T,
) -> Option<T> {
    let (path, text) = scratch.split_at_mut(scratch.len() / 2);
    let path = dir.path(name.as_bytes(), path)?;
    Some(parse(&procfs::read_bytes(&path, text)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_counter_files() {
        let table: &[(bool, bool, &str, Option<&str>, &str)] = &[
            (true, false, "memory.events", Some("oom_kill"), "memory.max"),
            (true, true, "memory.events", Some("oom_kill"), "memory.max"),
            (
                false,
                true,
                "memory.oom_control",
                Some("oom_kill"),
                "memory.limit_in_bytes",
            ),
            (
                false,
                false,
                "memory.failcnt",
                None,
                "memory.limit_in_bytes",
            ),
        ];
        for &(v2, v1_count, counter, key, limit) in table {
            let files = Counter::new(v2, v1_count).files();
            assert_eq!(files, (counter, key, limit), "{v2} {v1_count}");
        }
    }
}
