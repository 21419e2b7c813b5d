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

use crate::procfs;

/// The longest cgroup directory kept inline; a longer one (rare even on
/// hosts) goes on the heap.
const DIR_CAP: usize = 200;

/// A cgroup directory's path, kept without allocating when it is short:
/// `/sys/fs/cgroup` in a container, a few dozen bytes more on a host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dir {
    Short { len: usize, bytes: [u8; DIR_CAP] },
    Long(String),
}

impl Dir {
    /// PARTS joined, inline when they fit.
    fn new(parts: &[&str]) -> Dir {
        let mut bytes = [0u8; DIR_CAP];
        let mut len = 0;
        for part in parts {
            let Some(room) = bytes.get_mut(len..len + part.len()) else {
                return Dir::Long(parts.concat());
            };
            room.copy_from_slice(part.as_bytes());
            len += part.len();
        }
        Dir::Short { len, bytes }
    }

    /// The path. Always UTF-8: it was joined from `str`s.
    fn as_str(&self) -> &str {
        match self {
            Dir::Short { len, bytes } => {
                std::str::from_utf8(bytes.get(..*len).unwrap_or_default()).unwrap_or_default()
            }
            Dir::Long(path) => path,
        }
    }
}

impl From<&str> for Dir {
    fn from(path: &str) -> Dir {
        Dir::new(&[path])
    }
}

/// The counter and limit files of our memory cgroup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Files {
    /// Our memory cgroup's directory.
    dir: Dir,
    /// The name of the file holding the OOM kill count.
    counter: &'static str,
    /// The key of the count in that file (`oom_kill`), or `None` when the
    /// whole file is one number (cgroup v1 `memory.failcnt`).
    key: Option<&'static str>,
    /// The name of the memory limit file.
    limit: &'static str,
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
    ///
    /// This runs on every start, so the common path allocates nothing and
    /// formats nothing: files are read into stack buffers, paths joined in
    /// them, and mountinfo is only read when the hierarchy is not mounted
    /// where every runtime mounts it (it used to cost a quarter of
    /// pidone's start-up).
    pub fn start() -> Watch {
        let mut buf = [0u8; 512];
        let cgroup = procfs::read_text(c"/proc/self/cgroup", &mut buf);
        let found = locate(
            cgroup.as_deref().unwrap_or_default(),
            || procfs::read_small("/proc/self/mountinfo").unwrap_or_default(),
            |dir| {
                let mut path = [0u8; 256];
                procfs::c_path(&[dir], &mut path).is_some_and(|p| procfs::is_dir(&p))
            },
        );
        let Some((dir, v2)) = found else {
            return Watch {
                files: None,
                before: None,
            };
        };
        // Kernels before 4.13 have no oom_kill count in cgroup v1. Read
        // memory.oom_control once: it is both the test and the count.
        let v1_count = (!v2)
            .then(|| read_in(&dir, "memory.oom_control", |t| parse_keyed(t, "oom_kill")))
            .flatten()
            .flatten();
        let files = files(dir, v2, v1_count.is_some());
        let before = v1_count.or_else(|| files.count());
        Watch {
            files: Some(files),
            before,
        }
    }

    /// Whether the OOM killer fired since [`Watch::start`]; with the limit.
    pub fn fired(&self) -> Option<Limit> {
        let files = self.files.as_ref()?;
        let after = files.count()?;
        if after <= self.before? {
            return None;
        }
        let limit = read_in(&files.dir, files.limit, parse_limit).unwrap_or(Limit::Unknown);
        Some(limit)
    }
}

impl Files {
    /// The OOM kill count now, if readable.
    fn count(&self) -> Option<u64> {
        read_in(&self.dir, self.counter, |text| match self.key {
            Some(key) => parse_keyed(text, key),
            None => crate::number::parse(text.trim()),
        })
        .flatten()
    }
}

/// PARSE applied to the text of file NAME in DIR, if readable. Both the
/// path and the text live in stack buffers (cgroup files are a few lines).
fn read_in<T>(dir: &Dir, name: &str, parse: impl FnOnce(&str) -> T) -> Option<T> {
    let mut path = [0u8; 256];
    let path = procfs::c_path(&[dir.as_str(), "/", name], &mut path)?;
    let mut text = [0u8; 512];
    Some(parse(&procfs::read_text(&path, &mut text)?))
}

/// Finds our memory cgroup's directory, and whether it is cgroup v2, from
/// the text of `/proc/self/cgroup` and (only when the hierarchy is not
/// mounted where every runtime mounts it) `/proc/self/mountinfo`. IS_DIR
/// says whether a directory exists (parameters, so the logic is testable
/// without a cgroup filesystem).
pub fn locate(
    cgroup: &str,
    mountinfo: impl FnOnce() -> String,
    is_dir: impl Fn(&str) -> bool,
) -> Option<(Dir, bool)> {
    let (path, v2) = cgroup_path(cgroup)?;
    // Where Docker, Podman, Kubernetes and systemd mount it. Reading and
    // parsing mountinfo on every start cost more than all the rest of
    // pidone's start-up together, so it is only the fallback. The mount's
    // root is then unknown, which the joined-path test below covers: a root
    // of "/" makes the joined path exist, a root equal to our cgroup (Docker
    // v1 with the host's cgroup namespace) makes the mount point the cgroup.
    let standard = if v2 {
        "/sys/fs/cgroup"
    } else {
        "/sys/fs/cgroup/memory"
    };
    let mounts;
    let (root, mount_point) = if is_dir(standard) {
        ("/", standard)
    } else {
        mounts = mountinfo();
        mounts.lines().find_map(|line| mount_of(line, v2))?
    };
    let relative = path.strip_prefix(root).unwrap_or(path).trim_matches('/');
    if !relative.is_empty() {
        let joined = Dir::new(&[mount_point.trim_end_matches('/'), "/", relative]);
        if is_dir(joined.as_str()) {
            return Some((joined, v2));
        }
    }
    Some((Dir::new(&[mount_point]), v2))
}

/// Our memory cgroup's path in the text of `/proc/self/cgroup`
/// (`ID:CONTROLLERS:PATH` lines), and whether it is cgroup v2. The v1
/// memory controller comes first: on hybrid systems the v2 hierarchy
/// (`0::PATH`) exists too, but without the memory controller.
///
/// Byte by byte, in one pass: `str::lines` and `split` cost a hundred
/// instructions a field, on a file read on every start.
fn cgroup_path(cgroup: &str) -> Option<(&str, bool)> {
    let mut v2 = None;
    for line in fields(cgroup, b'\n') {
        let Some((id, rest)) = split_once(line, b':') else {
            continue;
        };
        let Some((controllers, path)) = split_once(rest, b':') else {
            continue;
        };
        if fields(controllers, b',').any(|c| c == "memory") {
            return Some((path, false));
        }
        if v2.is_none() && id == "0" && controllers.is_empty() {
            v2 = Some(path);
        }
    }
    v2.map(|path| (path, true))
}

/// The pieces of TEXT between SEPARATOR bytes (an ASCII byte, so every
/// piece is a `str`), scanned byte by byte.
fn fields(text: &str, separator: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let text = rest?;
        let (piece, after) = split_once(text, separator).unzip();
        rest = after;
        piece.or(Some(text))
    })
}

/// TEXT before and after its first SEPARATOR (an ASCII byte).
fn split_once(text: &str, separator: u8) -> Option<(&str, &str)> {
    let at = text.bytes().position(|b| b == separator)?;
    Some((text.get(..at)?, text.get(at + 1..)?))
}

/// (root, mount point) from a `/proc/self/mountinfo` LINE when it mounts the
/// v2 hierarchy (V2) or the v1 memory controller:
/// `id parent major:minor root mount-point options [optional...] - fstype
/// source super-options`.
fn mount_of(line: &str, v2: bool) -> Option<(&str, &str)> {
    let mut fields = line.split(' ');
    let root = fields.nth(3)?;
    let mount_point = fields.next()?;
    let mut fs = fields.skip_while(|f| *f != "-").skip(1);
    let (fstype, _source, options) = (fs.next()?, fs.next()?, fs.next()?);
    let wanted = if v2 {
        fstype == "cgroup2"
    } else {
        fstype == "cgroup" && options.split(',').any(|o| o == "memory")
    };
    wanted.then_some((root, mount_point))
}

/// The counter and limit files in cgroup directory DIR. V1_COUNT: the v1
/// `memory.oom_control` has an `oom_kill` line (kernel 4.13 and later);
/// before that, the number of times the limit was hit (`memory.failcnt`)
/// is the next best witness.
fn files(dir: Dir, v2: bool, v1_count: bool) -> Files {
    let (counter, key, limit) = if v2 {
        ("memory.events", Some("oom_kill"), "memory.max")
    } else if v1_count {
        (
            "memory.oom_control",
            Some("oom_kill"),
            "memory.limit_in_bytes",
        )
    } else {
        ("memory.failcnt", None, "memory.limit_in_bytes")
    };
    Files {
        dir,
        counter,
        key,
        limit,
    }
}

/// The number after KEY in a `key value` per line file (`memory.events`,
/// `memory.oom_control`).
pub fn parse_keyed(text: &str, key: &str) -> Option<u64> {
    fields(text, b'\n').find_map(|line| {
        let value = line.strip_prefix(key)?.strip_prefix(' ')?;
        crate::number::parse(value.trim())
    })
}

/// A limit file: `max` (v2) or a number; v1 says "no limit" with a number
/// near 2^63, which we treat as unlimited.
pub fn parse_limit(text: &str) -> Limit {
    let text = text.trim();
    if text == "max" {
        return Limit::Unlimited;
    }
    match crate::number::parse::<u64>(text) {
        Some(bytes) if bytes >= 1 << 62 => Limit::Unlimited,
        Some(bytes) => Limit::Bytes(bytes),
        None => Limit::Unknown,
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
        let dir = |cgroup: &str, mounts: &str, exists: &dyn Fn(&str) -> bool| {
            locate(cgroup, || mounts.to_string(), exists)
        };
        // Only the mount points themselves exist (not the standard ones):
        // the answer must come from mountinfo.
        let custom = |p: &str| p.starts_with("/custom");
        let v1_custom = V1_MOUNTS_HOST_NS.replace("/sys/fs/cgroup", "/custom");
        // Docker, cgroup v1, host cgroup namespace: the mount is the cgroup.
        assert_eq!(
            dir(V1_CGROUP, &v1_custom, &custom),
            Some(("/custom/memory".into(), false))
        );
        // The same at the standard place, without reading mountinfo.
        let standard_only = |p: &str| p == "/sys/fs/cgroup/memory";
        assert_eq!(
            locate(V1_CGROUP, || panic!("mountinfo read"), standard_only),
            Some(("/sys/fs/cgroup/memory".into(), false))
        );
        // On the host: the cgroup is a directory below the mount.
        let cgroup = "5:memory:/pidone-test\n";
        let yes = |_: &str| true;
        assert_eq!(
            locate(cgroup, || panic!("mountinfo read"), yes),
            Some(("/sys/fs/cgroup/memory/pidone-test".into(), false))
        );
        let v1_host_custom = V1_MOUNTS_HOST.replace("/sys/fs/cgroup", "/custom");
        assert_eq!(
            dir(cgroup, &v1_host_custom, &custom),
            Some(("/custom/memory/pidone-test".into(), false))
        );
        // A joined path that does not exist falls back to the mount point.
        assert_eq!(
            dir(cgroup, &v1_host_custom, &|p: &str| p == "/custom/memory"),
            Some(("/custom/memory".into(), false))
        );
        // cgroup v2 with a private namespace: "/" is the mount itself.
        assert_eq!(
            locate(V2_CGROUP, || panic!("mountinfo read"), yes),
            Some(("/sys/fs/cgroup".into(), true))
        );
        assert_eq!(
            locate("0::/app.slice/x\n", || panic!("mountinfo read"), yes),
            Some(("/sys/fs/cgroup/app.slice/x".into(), true))
        );
        let v2_custom = V2_MOUNTS.replace("/sys/fs/cgroup", "/custom");
        assert_eq!(
            dir("0::/app.slice/x\n", &v2_custom, &custom),
            Some(("/custom/app.slice/x".into(), true))
        );
        // Nothing mounted: no claim.
        assert_eq!(dir(V1_CGROUP, "", &|_| false), None);
        assert_eq!(dir("", V2_MOUNTS, &yes), None);
    }

    #[test]
    fn picks_the_counter_files() {
        let table: &[(bool, bool, &str, Option<&str>, &str)] = &[
            (true, false, "memory.events", Some("oom_kill"), "memory.max"),
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
            let want = Files {
                dir: "/c".into(),
                counter,
                key,
                limit,
            };
            assert_eq!(files("/c".into(), v2, v1_count), want);
        }
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
    fn keeps_short_directories_inline_and_long_ones_whole() {
        let short = Dir::new(&["/sys/fs/cgroup/memory", "/", "docker/abc"]);
        assert!(matches!(short, Dir::Short { .. }));
        assert_eq!(short.as_str(), "/sys/fs/cgroup/memory/docker/abc");
        let name = "x".repeat(DIR_CAP);
        let long = Dir::new(&["/sys/fs/cgroup", "/", &name]);
        assert!(matches!(long, Dir::Long(_)));
        assert_eq!(long.as_str(), format!("/sys/fs/cgroup/{name}"));
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
