//! Reading `/proc`: the numeric entries of a directory (pids in `/proc`,
//! descriptors in `/proc/self/fd`), the parent pid in a `stat` file, and
//! small files read into the caller's buffer (`/proc/self/cgroup` and the
//! cgroup counters on every start, with no allocation).
//!
//! nix's `Dir` rather than `std::fs::read_dir`: it hands out the listing's
//! own descriptor (which the descriptor closer must skip) and names as C
//! strings, with no `PathBuf` per entry. Read-only; never fails loudly: an
//! unreadable `/proc` gives `None` and the caller decides.

use std::borrow::Cow;
use std::ffi::{CStr, CString};
use std::os::fd::{AsRawFd, OwnedFd};

use nix::dir::Dir;
use nix::fcntl::OFlag;
use nix::sys::stat::Mode;

use crate::text::number;

/// The entries of directory PATH whose names are numbers, or `None` when it
/// cannot be opened. Also returns the descriptor the listing itself used
/// (already closed), so a caller closing descriptors can skip it.
pub fn numeric_entries(path: &CStr) -> Option<(Vec<i32>, i32)> {
    let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
    let mut dir = Dir::open(path, flags, Mode::empty()).ok()?;
    let own_fd = dir.as_raw_fd();
    let numbers = dir
        .iter()
        .filter_map(|entry| {
            entry
                .ok()?
                .file_name()
                .to_str()
                .ok()
                .and_then(number::parse)
        })
        .collect();
    Some((numbers, own_fd))
}

/// The text of a file that is usually small (`/proc` and cgroup files, a
/// few hundred bytes; `/etc/passwd`), or `None` (also when it is not
/// UTF-8), read onto the heap. Through nix rather than `std::fs`: pidone
/// then links no `std::fs` file code at all.
pub fn read_small(path: &str) -> Option<String> {
    let mut buf = [0u8; 256];
    let path = c_path(&[path.as_bytes()], &mut buf)?;
    // No buffer of the caller's: read_bytes goes straight to the heap.
    String::from_utf8(read_bytes(&path, &mut [])?.into_owned()).ok()
}

/// Reads FD to its end onto OUT; `None` on a read error.
fn read_all(fd: &OwnedFd, out: &mut Vec<u8>) -> Option<()> {
    let mut chunk = [0u8; 512];
    loop {
        match nix::unistd::read(fd, &mut chunk) {
            Ok(0) => return Some(()),
            Ok(n) => out.extend_from_slice(chunk.get(..n)?),
            Err(nix::errno::Errno::EINTR) => {}
            Err(_) => return None,
        }
    }
}

/// PARTS joined into one NUL-terminated path: in BUF when it fits (always,
/// for the paths pidone reads on every start), else on the heap. `None`
/// when a part holds a NUL byte, which no path can. Bytes, not `str`: the
/// cgroup paths come straight from files, and nothing here needs UTF-8.
pub fn c_path<'b>(parts: &[&[u8]], buf: &'b mut [u8]) -> Option<Cow<'b, CStr>> {
    // Plain copies as long as they fit, no iterator chain, and no call to
    // copy a separator's one byte, or nothing.
    let mut len = 0;
    for part in parts {
        let end = len + part.len();
        match (part, buf.get_mut(len..end)) {
            ([], _) => {}
            ([byte], Some([slot])) => *slot = *byte,
            (_, Some(room)) => room.copy_from_slice(part),
            (_, None) => return CString::new(parts.concat()).ok().map(Cow::Owned),
        }
        len = end;
    }
    match buf.get_mut(len) {
        Some(nul) => *nul = 0,
        None => return CString::new(parts.concat()).ok().map(Cow::Owned),
    }
    CStr::from_bytes_with_nul(buf.get(..=len)?)
        .ok()
        .map(Cow::Borrowed)
}

/// The bytes of file PATH: read into BUF when they fit (a `/proc` or
/// cgroup file of a few lines: no allocation), else read on onto the heap.
/// `None` when it cannot be opened or read. Not checked for UTF-8: the
/// parsers on the start path work on bytes, and checking costs.
pub fn read_bytes<'b>(path: &CStr, buf: &'b mut [u8]) -> Option<Cow<'b, [u8]>> {
    let flags = OFlag::O_RDONLY | OFlag::O_CLOEXEC;
    let fd = nix::fcntl::open(path, flags, Mode::empty()).ok()?;
    let mut len = 0;
    loop {
        let free = buf.get_mut(len..).unwrap_or_default();
        if free.is_empty() {
            // Full: there may be more. Go on from here on the heap.
            let mut all = buf.to_vec();
            read_all(&fd, &mut all)?;
            return Some(Cow::Owned(all));
        }
        match nix::unistd::read(&fd, free) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(nix::errno::Errno::EINTR) => {}
            Err(_) => return None,
        }
    }
    buf.get(..len).map(Cow::Borrowed)
}

/// Whether PATH names a directory (following symlinks, as `stat` does).
pub fn is_dir(path: &CStr) -> bool {
    nix::sys::stat::stat(path).is_ok_and(|st| st.st_mode & libc::S_IFMT == libc::S_IFDIR)
}

/// The signals that cannot be blocked (KILL and STOP): `SigBlk` in
/// `/proc/PID/status` never shows them, however much is blocked.
pub const UNBLOCKABLE: u64 = 1 << (libc::SIGKILL - 1) | 1 << (libc::SIGSTOP - 1);

/// How many threads this process runs, from `/proc/self/status`.
pub fn threads() -> Option<u64> {
    status_field("self", "Threads")
        .as_deref()
        .and_then(number::parse)
}

/// Process PID's blocked signals (`SigBlk` in its status, a hex mask).
pub fn blocked_signals(pid: i32) -> Option<u64> {
    let hex = status_field(&pid.to_string(), "SigBlk")?;
    u64::from_str_radix(&hex, 16).ok()
}

/// The value of field NAME in `/proc/PROC/status` (`Threads:\t1`).
fn status_field(proc: &str, name: &str) -> Option<String> {
    let text = read_small(&format!("/proc/{proc}/status"))?;
    text.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key == name).then(|| value.trim().to_string())
    })
}

/// This process's argv as the kernel holds it (`/proc/self/cmdline`: each
/// argument and its NUL), or `None` when it cannot be read.
pub fn command_line() -> Option<Vec<CString>> {
    let bytes = read_bytes(c"/proc/self/cmdline", &mut [])?;
    if bytes.is_empty() {
        return Some(vec![]);
    }
    let args = bytes.strip_suffix(b"\0").unwrap_or(&bytes);
    args.split(|&b| b == 0)
        .map(|arg| CString::new(arg).ok())
        .collect()
}

/// Whether process PID runs the same executable as this one (the same
/// file: device and inode of `/proc/PID/exe`); `None` when it cannot be
/// told (a process of another user, or gone).
pub fn same_executable(pid: i32) -> Option<bool> {
    let id = |path: &str| {
        let st = nix::sys::stat::stat(path).ok()?;
        Some((st.st_dev, st.st_ino))
    };
    Some(id("/proc/self/exe")? == id(&format!("/proc/{pid}/exe"))?)
}

/// (pid, parent pid) from `/proc/NAME/stat`.
pub fn stat_ppid(name: &str) -> Option<(i32, i32)> {
    let text = read_small(&format!("/proc/{name}/stat"))?;
    parse_stat(&text)
}

/// (pid, parent pid) from the text of a `/proc/PID/stat` file. The command
/// name may contain spaces and parentheses, so split at the last ')'.
pub fn parse_stat(text: &str) -> Option<(i32, i32)> {
    let pid = crate::text::number::parse(text.split(' ').next()?)?;
    let rest = text.get(text.rfind(')')? + 1..)?;
    let ppid = crate::text::number::parse(rest.split_whitespace().nth(1)?)?;
    Some((pid, ppid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_paths_in_the_buffer_or_on_the_heap() {
        let mut small = [0u8; 8];
        let joined = c_path(&[b"/a", b"/", b"b"], &mut small).unwrap();
        assert!(matches!(joined, Cow::Borrowed(_)));
        assert_eq!(joined.to_bytes(), b"/a/b");
        let long = c_path(&[b"/sys/fs/cgroup", b"/", b"memory.events"], &mut small).unwrap();
        assert!(matches!(long, Cow::Owned(_)));
        assert_eq!(long.to_bytes(), b"/sys/fs/cgroup/memory.events");
        assert!(c_path(&[b"a\0b"], &mut small).is_none());
        // Exactly full: the NUL does not fit, so the heap.
        let full = c_path(&[b"/1234567"], &mut small).unwrap();
        assert!(matches!(full, Cow::Owned(_)));
        assert_eq!(full.to_bytes(), b"/1234567");
    }

    #[test]
    fn reads_small_files_in_place_and_large_ones_whole() {
        let path = std::env::temp_dir().join(format!("pidone-procfs-{}", std::process::id()));
        let text = "line one\nline two\n".repeat(20);
        std::fs::write(&path, &text).unwrap();
        let c = CString::new(path.to_str().unwrap()).unwrap();
        let mut big = [0u8; 1024];
        let read = read_bytes(&c, &mut big).unwrap();
        assert!(matches!(read, Cow::Borrowed(_)));
        assert_eq!(&*read, text.as_bytes());
        let mut small = [0u8; 16];
        let read = read_bytes(&c, &mut small).unwrap();
        assert!(matches!(read, Cow::Owned(_)));
        assert_eq!(&*read, text.as_bytes());
        assert_eq!(read_small(path.to_str().unwrap()).as_deref(), Some(&*text));
        std::fs::remove_file(&path).unwrap();
        assert!(read_bytes(&c, &mut small).is_none());
        assert!(is_dir(c"/proc") && !is_dir(c"/proc/self/stat"));
    }

    #[test]
    fn reads_its_own_command_line() {
        let want: Vec<CString> = std::env::args_os()
            .map(|a| CString::new(std::os::unix::ffi::OsStrExt::as_bytes(a.as_os_str())).unwrap())
            .collect();
        assert_eq!(command_line(), Some(want));
    }

    #[test]
    fn reads_its_own_status() {
        assert!(threads().is_some_and(|n| n >= 1));
        let me = i32::try_from(std::process::id()).unwrap();
        assert_eq!(same_executable(me), Some(true));
        assert_eq!(same_executable(i32::MAX), None);
        let blocked = blocked_signals(me).unwrap();
        assert_eq!(blocked & UNBLOCKABLE, 0);
    }

    #[test]
    fn parses_stat_lines() {
        let table: &[(&str, Option<(i32, i32)>)] = &[
            ("42 (sleep) S 7 42 7 0 -1", Some((42, 7))),
            ("43 (a b) c)) R 1 43 1 0", Some((43, 1))),
            ("garbage", None),
        ];
        for (text, want) in table {
            assert_eq!(parse_stat(text), *want, "{text}");
        }
    }
}
