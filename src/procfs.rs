//! Reading `/proc`: the numeric entries of a directory (pids in `/proc`,
//! descriptors in `/proc/self/fd`) and the parent pid in a `stat` file.
//!
//! Plain libc `opendir`/`readdir` rather than `std::fs::read_dir`: the C
//! functions are linked anyway, and std's iterator machinery cost about
//! 3 KB of a binary with a size budget. Read-only; never fails loudly: an
//! unreadable `/proc` gives `None` and the caller decides.

use std::ffi::CStr;

/// The entries of directory PATH whose names are numbers, or `None` when it
/// cannot be opened. Also returns the descriptor the listing itself used
/// (already closed), so a caller closing descriptors can skip it.
pub fn numeric_entries(path: &CStr) -> Option<(Vec<i32>, i32)> {
    // SAFETY: path is a valid C string; opendir returns null or a stream
    // that we close below.
    let dir = unsafe { libc::opendir(path.as_ptr()) };
    if dir.is_null() {
        return None;
    }
    let mut numbers = Vec::new();
    loop {
        // SAFETY: dir is a live stream; readdir returns null at the end or
        // an entry valid until the next call, whose d_name is NUL-terminated.
        let name = unsafe {
            let entry = libc::readdir(dir);
            if entry.is_null() {
                break;
            }
            CStr::from_ptr((*entry).d_name.as_ptr())
        };
        if let Some(n) = name.to_str().ok().and_then(crate::number::parse::<i32>) {
            numbers.push(n);
        }
    }
    // SAFETY: dir is the live stream from opendir; dirfd only reads it.
    let own_fd = unsafe { libc::dirfd(dir) };
    // SAFETY: dir is the live stream from opendir, closed exactly once.
    unsafe { libc::closedir(dir) };
    Some((numbers, own_fd))
}

/// The text of a file that is usually small (`/proc` and cgroup files, a
/// few hundred bytes; `/etc/passwd`), or `None`. The one file reader in
/// pidone, so std's `read_to_string` is not linked in twice. Proc files report a size of 0, so std's
/// `read_to_string` would start small and grow; one kilobyte up front
/// spares the reallocations on every start.
pub fn read_small(path: &str) -> Option<String> {
    use std::io::Read;
    let mut text = String::with_capacity(1024);
    std::fs::File::open(path)
        .ok()?
        .read_to_string(&mut text)
        .ok()?;
    Some(text)
}

/// (pid, parent pid) from `/proc/NAME/stat`.
pub fn stat_ppid(name: &str) -> Option<(i32, i32)> {
    let text = read_small(&format!("/proc/{name}/stat"))?;
    parse_stat(&text)
}

/// (pid, parent pid) from the text of a `/proc/PID/stat` file. The command
/// name may contain spaces and parentheses, so split at the last ')'.
pub fn parse_stat(text: &str) -> Option<(i32, i32)> {
    let pid = crate::number::parse(text.split(' ').next()?)?;
    let rest = text.get(text.rfind(')')? + 1..)?;
    let ppid = crate::number::parse(rest.split_whitespace().nth(1)?)?;
    Some((pid, ppid))
}

#[cfg(test)]
mod tests {
    use super::*;

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
