//! Reading `/proc`: the numeric entries of a directory (pids in `/proc`,
//! descriptors in `/proc/self/fd`) and the parent pid in a `stat` file.
//!
//! nix's `Dir` rather than `std::fs::read_dir`: it hands out the listing's
//! own descriptor (which the descriptor closer must skip) and names as C
//! strings, with no `PathBuf` per entry. Read-only; never fails loudly: an
//! unreadable `/proc` gives `None` and the caller decides.

use std::ffi::CStr;
use std::os::fd::AsRawFd;

use nix::dir::Dir;
use nix::fcntl::OFlag;
use nix::sys::stat::Mode;

use crate::number;

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
