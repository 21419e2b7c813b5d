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

use std::path::{Path, PathBuf};

/// The counter and limit files of our memory cgroup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Files {
    /// The file holding the OOM kill count.
    counter: PathBuf,
    /// The key of the count in that file (`oom_kill`), or `None` when the
    /// whole file is one number (cgroup v1 `memory.failcnt`).
    key: Option<&'static str>,
    /// The memory limit file.
    limit: PathBuf,
}

/// A cgroup's memory limit, as far as we can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// A limit of this many bytes.
    Bytes(u64),
    /// No limit on this cgroup itself.
    Unlimited,
    /// The limit file could not be read.
    Unknown,
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Limit::Bytes(bytes) => write!(f, "memory limit {}", show_bytes(bytes)),
            Limit::Unlimited => f.write_str("no memory limit on this cgroup itself"),
            Limit::Unknown => f.write_str("memory limit not readable"),
        }
    }
}

/// Watches our cgroup's OOM kill counter from start to the child's death.
#[derive(Debug)]
pub struct Watch {
    files: Option<Files>,
    before: Option<u64>,
}

impl Watch {
    /// Finds our memory cgroup and reads its counter now. Never fails: a
    /// watch that found nothing simply never reports an OOM kill.
    pub fn start() -> Watch {
        let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
        let files = locate(
            &read("/proc/self/cgroup"),
            &read("/proc/self/mountinfo"),
            |p| p.is_dir(),
        );
        let before = files.as_ref().and_then(Files::count);
        Watch { files, before }
    }

    /// Whether the OOM killer fired since [`Watch::start`]; with the limit.
    pub fn fired(&self) -> Option<Limit> {
        let files = self.files.as_ref()?;
        let after = files.count()?;
        if after <= self.before? {
            return None;
        }
        let limit = std::fs::read_to_string(&files.limit)
            .ok()
            .map_or(Limit::Unknown, |text| parse_limit(&text));
        Some(limit)
    }
}

impl Files {
    /// The OOM kill count now, if readable.
    fn count(&self) -> Option<u64> {
        let text = std::fs::read_to_string(&self.counter).ok()?;
        match self.key {
            Some(key) => parse_keyed(&text, key),
            None => text.trim().parse().ok(),
        }
    }
}

/// Finds our memory cgroup's files from the text of `/proc/self/cgroup` and
/// `/proc/self/mountinfo`. IS_DIR says whether a directory exists (a
/// parameter so the logic is testable without a cgroup filesystem).
pub fn locate(cgroup: &str, mountinfo: &str, is_dir: impl Fn(&Path) -> bool) -> Option<Files> {
    // cgroup v1 with a memory controller first: on hybrid systems the v2
    // hierarchy exists too, but without the memory controller.
    let v1 = cgroup.lines().find_map(|line| {
        let mut fields = line.splitn(3, ':');
        let (_, controllers, path) = (fields.next()?, fields.next()?, fields.next()?);
        controllers
            .split(',')
            .any(|c| c == "memory")
            .then_some(path)
    });
    let (path, v2) = match v1 {
        Some(path) => (path, false),
        None => (cgroup.lines().find_map(|l| l.strip_prefix("0::"))?, true),
    };
    let (root, mount_point) = mountinfo.lines().find_map(|line| {
        let (mount, fs) = line.split_once(" - ")?;
        let mut fs = fs.split(' ');
        let (fstype, _source, options) = (fs.next()?, fs.next()?, fs.next()?);
        let wanted = if v2 {
            fstype == "cgroup2"
        } else {
            fstype == "cgroup" && options.split(',').any(|o| o == "memory")
        };
        let fields: Vec<&str> = mount.split(' ').collect();
        wanted.then(|| (fields.get(3).copied(), fields.get(4).copied()))
    })?;
    let (root, mount_point) = (root?, Path::new(mount_point?));
    let relative = path
        .strip_prefix(root)
        .unwrap_or(path)
        .trim_start_matches('/');
    let joined = mount_point.join(relative);
    let dir = if is_dir(&joined) {
        joined
    } else {
        mount_point.to_path_buf()
    };
    Some(if v2 {
        Files {
            counter: dir.join("memory.events"),
            key: Some("oom_kill"),
            limit: dir.join("memory.max"),
        }
    } else if is_dir(&dir) && dir.join("memory.oom_control").exists() && has_oom_kill(&dir) {
        Files {
            counter: dir.join("memory.oom_control"),
            key: Some("oom_kill"),
            limit: dir.join("memory.limit_in_bytes"),
        }
    } else {
        // Kernels before 4.13 have no oom_kill count in v1: the number of
        // times the limit was hit is the next best witness.
        Files {
            counter: dir.join("memory.failcnt"),
            key: None,
            limit: dir.join("memory.limit_in_bytes"),
        }
    })
}

/// Whether DIR's `memory.oom_control` has an `oom_kill` line (kernel ≥ 4.13).
fn has_oom_kill(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("memory.oom_control"))
        .is_ok_and(|text| parse_keyed(&text, "oom_kill").is_some())
}

/// The number after KEY in a `key value` per line file (`memory.events`,
/// `memory.oom_control`).
pub fn parse_keyed(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let (k, v) = line.split_once(' ')?;
        (k == key).then(|| v.trim().parse().ok()).flatten()
    })
}

/// A limit file: `max` (v2) or a number; v1 says "no limit" with a number
/// near 2^63, which we treat as unlimited.
pub fn parse_limit(text: &str) -> Limit {
    let text = text.trim();
    if text == "max" {
        return Limit::Unlimited;
    }
    match text.parse::<u64>() {
        Ok(bytes) if bytes >= 1 << 62 => Limit::Unlimited,
        Ok(bytes) => Limit::Bytes(bytes),
        Err(_) => Limit::Unknown,
    }
}

/// BYTES for people: `64 MiB`, `1.5 GiB`, `512 KiB`, `100 bytes`.
pub fn show_bytes(bytes: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (unit, size) in UNITS {
        if bytes >= size {
            let tenths = bytes * 10 / size;
            return if tenths % 10 == 0 {
                format!("{} {unit}", tenths / 10)
            } else {
                format!("{}.{} {unit}", tenths / 10, tenths % 10)
            };
        }
    }
    format!("{bytes} bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1_CGROUP: &str =
        "12:pids:/docker/abc\n9:memory:/docker/abc\n1:name=systemd:/docker/abc\n";
    const V1_MOUNTS_HOST_NS: &str = "\
100 90 0:40 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755
101 100 0:41 /docker/abc /sys/fs/cgroup/memory ro,nosuid - cgroup cgroup rw,memory
102 100 0:42 /docker/abc /sys/fs/cgroup/pids ro,nosuid - cgroup cgroup rw,pids
";
    const V1_MOUNTS_HOST: &str = "\
30 25 0:26 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
31 25 0:27 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
";
    const V2_CGROUP: &str = "0::/\n";
    const V2_MOUNTS: &str = "\
200 190 0:50 / /sys/fs/cgroup ro,nosuid - cgroup2 cgroup rw,nsdelegate
";

    #[test]
    fn finds_the_memory_cgroup() {
        // Docker, cgroup v1, host cgroup namespace: the mount is the cgroup.
        let files = locate(V1_CGROUP, V1_MOUNTS_HOST_NS, |_| true).unwrap();
        assert_eq!(
            files.limit,
            Path::new("/sys/fs/cgroup/memory/memory.limit_in_bytes")
        );
        // On the host: the cgroup is a directory below the mount.
        let cgroup = "5:memory:/pidone-test\n";
        let files = locate(cgroup, V1_MOUNTS_HOST, |_| true).unwrap();
        assert_eq!(
            files.limit,
            Path::new("/sys/fs/cgroup/memory/pidone-test/memory.limit_in_bytes")
        );
        // A joined path that does not exist falls back to the mount point.
        let files = locate(cgroup, V1_MOUNTS_HOST, |p| {
            p == Path::new("/sys/fs/cgroup/memory")
        })
        .unwrap();
        assert_eq!(
            files.limit,
            Path::new("/sys/fs/cgroup/memory/memory.limit_in_bytes")
        );
        // cgroup v2 with a private namespace: "/" is the mount itself.
        let files = locate(V2_CGROUP, V2_MOUNTS, |_| true).unwrap();
        assert_eq!(files.counter, Path::new("/sys/fs/cgroup/memory.events"));
        assert_eq!(files.key, Some("oom_kill"));
        assert_eq!(files.limit, Path::new("/sys/fs/cgroup/memory.max"));
        // v2 nested.
        let files = locate("0::/app.slice/x\n", V2_MOUNTS, |_| true).unwrap();
        assert_eq!(
            files.counter,
            Path::new("/sys/fs/cgroup/app.slice/x/memory.events")
        );
        // Nothing mounted: no claim.
        assert_eq!(locate(V1_CGROUP, "", |_| true), None);
        assert_eq!(locate("", V2_MOUNTS, |_| true), None);
    }

    #[test]
    fn parses_counters_and_limits() {
        let events = "low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\noom_group_kill 0\n";
        assert_eq!(parse_keyed(events, "oom_kill"), Some(2));
        let control = "oom_kill_disable 0\nunder_oom 0\noom_kill 7\n";
        assert_eq!(parse_keyed(control, "oom_kill"), Some(7));
        assert_eq!(
            parse_keyed("oom_kill_disable 0\nunder_oom 0\n", "oom_kill"),
            None
        );
        let table: &[(&str, Limit)] = &[
            ("max\n", Limit::Unlimited),
            ("33554432\n", Limit::Bytes(32 << 20)),
            ("9223372036854771712\n", Limit::Unlimited),
            ("junk", Limit::Unknown),
        ];
        for (text, want) in table {
            assert_eq!(parse_limit(text), *want, "{text:?}");
        }
    }

    #[test]
    fn shows_sizes_for_people() {
        let table: &[(u64, &str)] = &[
            (32 << 20, "32 MiB"),
            (64 << 20, "64 MiB"),
            (3 << 29, "1.5 GiB"),
            (512 << 10, "512 KiB"),
            (100, "100 bytes"),
        ];
        for (bytes, want) in table {
            assert_eq!(show_bytes(*bytes), *want);
        }
        assert_eq!(Limit::Bytes(64 << 20).to_string(), "memory limit 64 MiB");
    }
}
