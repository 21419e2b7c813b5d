//! Which directory is our memory cgroup: the v1 memory controller's or the
//! v2 hierarchy's, from the bytes of `/proc/self/cgroup` and, when the
//! hierarchy is not mounted where runtimes mount it, `/proc/self/mountinfo`.
//! Pure: it must never do I/O itself (the caller reads the files, and
//! whether a directory exists is a parameter), so every case is testable
//! without a cgroup filesystem.
//!
//! It runs on every start of pidone: it works on bytes, skips the lines
//! that cannot be the one wanted, and allocates nothing on the common path
//! (the directory found borrows the caller's text instead of copying it).

use std::borrow::Cow;
use std::ffi::{CStr, CString};

use super::scan::{find_short, find_word, next_line};

/// Our memory cgroup's directory: a mount point of the hierarchy and our
/// cgroup's path below it. Kept in two parts and borrowed, not joined into
/// a buffer of its own: the mount point is a literal wherever runtimes
/// mount it, and the part below is a slice of the caller's text of
/// `/proc/self/cgroup`. A watch holding a joined path inline would copy
/// that whole buffer each time it moves (a few times on its way to the
/// event loop).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dir<'t> {
    /// The mount point: a literal, or (rarely) found in mountinfo.
    pub mount: Cow<'static, CStr>,
    /// Our cgroup below the mount point, without leading or trailing
    /// slashes; empty when the mount point itself is our cgroup.
    pub below: Cow<'t, [u8]>,
}

impl Dir<'_> {
    /// The directory as it stands, owning whatever it borrowed.
    pub fn into_owned(self) -> Dir<'static> {
        Dir {
            mount: self.mount,
            below: Cow::Owned(self.below.into_owned()),
        }
    }

    /// The NUL-terminated path of file NAME in this directory, or of the
    /// directory itself when NAME is empty: the mount point as it is when
    /// nothing is to be joined, else joined in BUF (on the heap when too
    /// long for it). `None` only when a part holds a NUL byte.
    pub fn path<'b>(&'b self, name: &[u8], buf: &'b mut [u8]) -> Option<Cow<'b, CStr>> {
        let below: &[u8] = &self.below;
        if below.is_empty() && name.is_empty() {
            return Some(Cow::Borrowed(&self.mount));
        }
        let mut mount = self.mount.to_bytes();
        while let [rest @ .., b'/'] = mount {
            mount = rest;
        }
        // MOUNT/BELOW/NAME without the parts that are empty (not both).
        let (first, second) = if below.is_empty() {
            (name, &b""[..])
        } else {
            (below, name)
        };
        let parts = [mount, b"/", first, b"/", second];
        let used = if second.is_empty() { 3 } else { 5 };
        crate::os::procfs::c_path(parts.get(..used).unwrap_or_default(), buf)
    }
}

/// Finds our memory cgroup's directory, and whether it is cgroup v2, from
/// the bytes of `/proc/self/cgroup` and (only when the hierarchy is not
/// mounted where every runtime mounts it) `/proc/self/mountinfo`.
/// IS_OURS says whether a candidate directory exists (and is given whether
/// the hierarchy is cgroup v2, so that it can probe with the counter file
/// it will read anyway).
pub fn locate<'t>(
    cgroup: &'t [u8],
    mountinfo: impl FnOnce() -> String,
    mut is_ours: impl FnMut(&Dir<'_>, bool) -> bool,
) -> Option<(Dir<'t>, bool)> {
    let (path, v2) = cgroup_path(cgroup)?;
    // Where Docker, Podman, Kubernetes and systemd mount it, with the
    // hierarchy's root there ("/"): our cgroup is the directory PATH below
    // it (on a host, or with a cgroup namespace of our own, where PATH is
    // "/" and the mount point itself is our cgroup). That it exists proves
    // the mount point does too, so it is probed first: one stat on a host.
    let standard = if v2 {
        c"/sys/fs/cgroup"
    } else {
        c"/sys/fs/cgroup/memory"
    };
    let mut dir = Dir {
        mount: Cow::Borrowed(standard),
        // Below a root of "/": what trimming the slashes leaves.
        below: Cow::Borrowed(trim_slashes(path)),
    };
    if !dir.below.is_empty() && is_ours(&dir, v2) {
        return Some((dir, v2));
    }
    // A mount point that is our cgroup although PATH is not "/": Docker on
    // cgroup v1 with the host's cgroup namespace mounts our cgroup itself
    // there (its root is PATH). Either way the mount point is the answer.
    dir.below = Cow::Borrowed(&[]);
    if is_ours(&dir, v2) {
        return Some((dir, v2));
    }
    // Mounted elsewhere: mountinfo is long on a host, and reading and
    // parsing it on every start would outweigh the rest of pidone's start,
    // so it is only the fallback. Its root may be our cgroup (the case
    // above), or above.
    let mounts = mountinfo();
    let (root, mount_point) = mounts.lines().find_map(|line| mount_of(line, v2))?;
    dir.mount = Cow::Owned(CString::new(mount_point.as_bytes().to_vec()).ok()?);
    let below = match path.split_at_checked(root.len()) {
        Some((head, tail)) if head == root.as_bytes() => tail,
        _ => path,
    };
    dir.below = Cow::Borrowed(trim_slashes(below));
    if !dir.below.is_empty() && !is_ours(&dir, v2) {
        dir.below = Cow::Borrowed(&[]);
    }
    Some((dir, v2))
}

/// PATH without its leading and trailing slashes.
fn trim_slashes(mut path: &[u8]) -> &[u8] {
    while let [b'/', rest @ ..] = path {
        path = rest;
    }
    while let [rest @ .., b'/'] = path {
        path = rest;
    }
    path
}

/// Our memory cgroup's path in the bytes of `/proc/self/cgroup`
/// (`ID:CONTROLLERS:PATH` lines), and whether it is cgroup v2. The v1
/// memory controller comes first: on hybrid systems the v2 hierarchy
/// (`0::PATH`) exists too, but without the memory controller.
fn cgroup_path(cgroup: &[u8]) -> Option<(&[u8], bool)> {
    if let Some(path) = v1_memory_path(cgroup) {
        return Some((path, false));
    }
    let mut rest = cgroup;
    while let Some(line) = next_line(&mut rest) {
        if let Some((b"0", b"", path)) = fields(line) {
            return Some((path, true));
        }
    }
    None
}

/// The path on the first line whose controllers list `memory` (cgroup
/// v1). Only the lines that hold the word anywhere are split into fields:
/// a host lists a dozen hierarchies, and every line on the way to the
/// memory one would be split for nothing.
fn v1_memory_path(cgroup: &[u8]) -> Option<&[u8]> {
    let mut rest = cgroup;
    loop {
        let at = find_word(rest, b"memory")?;
        let before = rest.get(..at)?;
        let start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        rest = rest.get(start..)?;
        let line = next_line(&mut rest)?;
        if let Some((_, controllers, path)) = fields(line) {
            if lists(controllers, b"memory") {
                return Some(path);
            }
        }
    }
}

/// The ID, CONTROLLERS and PATH of a `/proc/self/cgroup` LINE. The first
/// two are a few bytes: found byte by byte.
fn fields(line: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let (id, rest) = line.split_at_checked(find_short(line, b':'))?;
    let rest = rest.get(1..)?;
    let (controllers, path) = rest.split_at_checked(find_short(rest, b':'))?;
    Some((id, controllers, path.get(1..)?))
}

/// Whether the comma-separated LIST holds ITEM.
fn lists(list: &[u8], item: &[u8]) -> bool {
    let mut rest = list;
    loop {
        let end = find_short(rest, b',');
        if rest.get(..end) == Some(item) {
            return true;
        }
        let Some(after) = rest.get(end + 1..) else {
            return false;
        };
        rest = after;
    }
}

/// (root, mount point) from a `/proc/self/mountinfo` LINE when it mounts the
/// v2 hierarchy (V2) or the v1 memory controller:
/// `id parent major:minor root mount-point options [optional...] - fstype
/// source super-options`. The rare path: left on `str` and iterators.
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

    /// A directory's path, as a str.
    fn shown(dir: &Dir<'_>) -> String {
        let mut buf = [0; 256];
        let path = dir.path(b"", &mut buf).unwrap();
        path.to_str().unwrap().to_string()
    }

    /// `locate` on str arguments, with the directory test on a str too,
    /// and the directory found shown as a str.
    fn locate_str(
        cgroup: &str,
        mountinfo: impl FnOnce() -> String,
        exists: impl Fn(&str) -> bool,
    ) -> Option<(String, bool)> {
        let exists = |dir: &Dir<'_>, _v2: bool| exists(&shown(dir));
        let found = locate(cgroup.as_bytes(), mountinfo, exists);
        found.map(|(dir, v2)| (shown(&dir), v2))
    }

    #[test]
    fn finds_the_memory_cgroup() {
        let dir = |cgroup: &str, mounts: &str, exists: &dyn Fn(&str) -> bool| {
            locate_str(cgroup, || mounts.to_string(), exists)
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
            locate_str(V1_CGROUP, || panic!("mountinfo read"), standard_only),
            Some(("/sys/fs/cgroup/memory".into(), false))
        );
        // On the host: the cgroup is a directory below the mount.
        let cgroup = "5:memory:/pidone-test\n";
        let yes = |_: &str| true;
        assert_eq!(
            locate_str(cgroup, || panic!("mountinfo read"), yes),
            Some(("/sys/fs/cgroup/memory/pidone-test".into(), false))
        );
        // The directories probed, in order, where only EXISTS exists.
        let probes: &[(&str, &str, &[&str])] = &[
            // A host: our cgroup's own directory, alone.
            (
                cgroup,
                "/sys/fs/cgroup/memory/pidone-test",
                &["/sys/fs/cgroup/memory/pidone-test"],
            ),
            // A cgroup namespace of our own: the mount point is our cgroup.
            (V2_CGROUP, "/sys/fs/cgroup", &["/sys/fs/cgroup"]),
            // Docker on v1 with the host's namespace: the mount point, after
            // the path below it that is not there.
            (
                V1_CGROUP,
                "/sys/fs/cgroup/memory",
                &["/sys/fs/cgroup/memory/docker/abc", "/sys/fs/cgroup/memory"],
            ),
        ];
        for &(cgroup, exists, want) in probes {
            let probed = std::cell::RefCell::new(vec![]);
            let probe = |p: &str| {
                probed.borrow_mut().push(p.to_string());
                p == exists
            };
            let found = locate_str(cgroup, || panic!("mountinfo read"), probe);
            assert_eq!(found.map(|(dir, _)| dir).as_deref(), Some(exists));
            assert_eq!(probed.into_inner(), want, "{cgroup:?}");
        }
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
            locate_str(V2_CGROUP, || panic!("mountinfo read"), yes),
            Some(("/sys/fs/cgroup".into(), true))
        );
        assert_eq!(
            locate_str("0::/app.slice/x\n", || panic!("mountinfo read"), yes),
            Some(("/sys/fs/cgroup/app.slice/x".into(), true))
        );
        let v2_custom = V2_MOUNTS.replace("/sys/fs/cgroup", "/custom");
        assert_eq!(
            dir("0::/app.slice/x\n", &v2_custom, &custom),
            Some(("/custom/app.slice/x".into(), true))
        );
        // A mount point with a trailing slash is joined with one slash.
        let slash = V2_MOUNTS.replace("/sys/fs/cgroup", "/custom/");
        assert_eq!(
            dir("0::/x/\n", &slash, &custom),
            Some(("/custom/x".into(), true))
        );
        // Nothing mounted: no claim.
        assert_eq!(dir(V1_CGROUP, "", &|_| false), None);
        assert_eq!(dir("", V2_MOUNTS, &yes), None);
    }

    #[test]
    fn reads_the_path_of_our_memory_cgroup() {
        let table: &[(&str, Option<(&str, bool)>)] = &[
            (V1_CGROUP, Some(("/docker/abc", false))),
            (V2_CGROUP, Some(("/", true))),
            // Hybrid: the v2 line comes first but has no memory controller.
            ("0::/user.slice\n4:memory:/m\n", Some(("/m", false))),
            // Co-mounted controllers, a last line without a newline.
            ("3:cpu,memory,pids:/a:b", Some(("/a:b", false))),
            ("3:memoryx:/no\n2:xmemory:/no\n", None),
            // The word elsewhere first: in a path, a named hierarchy, a
            // line that is no line of this file; and in our own path.
            (
                "1:name=systemd:/memory.slice\n4:memory:/m\n",
                Some(("/m", false)),
            ),
            ("1:name=memory:/a\n0::/v2\n", Some(("/v2", true))),
            (
                "memory\n2:cpu:/x/memory\n3:pids,memory:/y",
                Some(("/y", false)),
            ),
            ("4:memory:/memory/x\n", Some(("/memory/x", false))),
            ("3:memory\n0::/only-v2\n", Some(("/only-v2", true))),
            // Only the first v2 line counts; ID must be exactly 0.
            ("0::/first\n0::/second\n", Some(("/first", true))),
            ("10::/ten\n", None),
            ("", None),
            ("garbage\n\n", None),
        ];
        for &(text, want) in table {
            let got = cgroup_path(text.as_bytes());
            let got = got.map(|(path, v2)| (std::str::from_utf8(path).unwrap(), v2));
            assert_eq!(got, want, "{text:?}");
        }
    }

    #[test]
    fn joins_the_paths_of_the_directory_and_its_files() {
        let table: &[(&CStr, &str, &str, &str)] = &[
            (c"/sys/fs/cgroup", "", "", "/sys/fs/cgroup"),
            (
                c"/sys/fs/cgroup",
                "",
                "memory.events",
                "/sys/fs/cgroup/memory.events",
            ),
            (c"/m", "docker/abc", "", "/m/docker/abc"),
            (c"/m/", "a", "memory.failcnt", "/m/a/memory.failcnt"),
            (c"/", "", "memory.max", "/memory.max"),
            (c"/", "x", "", "/x"),
        ];
        for &(mount, below, name, want) in table {
            let dir = Dir {
                mount: Cow::Borrowed(mount),
                below: Cow::Borrowed(below.as_bytes()),
            };
            let mut buf = [0; 64];
            let path = dir.path(name.as_bytes(), &mut buf).unwrap();
            assert_eq!(path.to_str(), Ok(want), "{mount:?} {below:?} {name:?}");
            // Owning changes nothing but the lifetime.
            assert_eq!(dir.clone().into_owned(), dir);
        }
        // Too long for the buffer: joined on the heap all the same.
        let below = "x".repeat(300);
        let dir = Dir {
            mount: Cow::Borrowed(c"/sys/fs/cgroup"),
            below: Cow::Borrowed(below.as_bytes()),
        };
        let mut buf = [0; 64];
        let path = dir.path(b"memory.max", &mut buf).unwrap();
        assert!(matches!(path, Cow::Owned(_)));
        let want = format!("/sys/fs/cgroup/{below}/memory.max");
        assert_eq!(path.to_str(), Ok(&*want));
        // No path holds a NUL byte.
        assert_eq!(dir.path(b"a\0b", &mut [0; 512]), None);
    }
}
