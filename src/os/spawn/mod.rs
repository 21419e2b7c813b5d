//! Starting the main child: fork, the child-side set-up, and exec.
//!
//! The child must start as if pidone were not there: same environment,
//! working directory, descriptors, and the signal mask and dispositions
//! pidone itself was given. It also gets its own process group (so `-g` can
//! signal the app's whole group without hitting pidone) and, on a terminal,
//! the foreground. With `--user` and `--workdir` it also changes identity
//! and directory; with socket activation it gets its own `LISTEN_PID`.
//!
//! We fork and exec ourselves instead of using `std::process::Command`:
//! Command resets SIGPIPE to the default in every child (the app must get
//! what pidone inherited), cannot tell a failed fork (125) from a failed
//! exec (126/127), and weighs on a binary whose size is a goal.
//! [`child::child_side`] is the crate's one piece of code that runs between
//! fork and exec; everything it needs is prepared here, before the fork.

use std::ffi::{CStr, CString, OsStr};
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;

use nix::fcntl::OFlag;
use nix::unistd::{Gid, Uid};

use crate::error::Error;
use crate::os::signals::Mask;
use crate::os::sys::{self, CStrArray, Standard};
use crate::os::user::Identity;
use crate::text::number;

mod child;

use child::{Prepared, Step, LISTEN_PID_PREFIX};

/// What to start, and how.
pub struct Launch<'a> {
    /// The program, looked up on `PATH` like `execvp` (named in errors).
    pub program: &'a CStr,
    /// The program's argv, argv\[0\] first.
    pub argv: CStrArray<'a>,
    /// The signal mask pidone was started with, restored in the child.
    pub mask: Mask,
    /// Who the child runs as (`--user`), if not pidone's own identity.
    pub identity: Option<&'a Identity>,
    /// Where the child starts (`--workdir`), if not pidone's directory.
    pub workdir: Option<&'a OsStr>,
    /// The `LISTEN_PID` variable pidone was started with, if any.
    pub listen_pid: Option<&'a OsStr>,
    /// Whether `HOME` and `USER` are already set (then `--user` keeps them).
    pub has_home: bool,
    pub has_user: bool,
    /// Descriptors 0-2, if known to be open: the child claims the
    /// terminal on stdin.
    pub standard: Option<Standard>,
}

/// Forks and execs as LAUNCH says.
///
/// Returns the child's pid once `exec` has succeeded, so by then the child
/// is in its own process group. A failed `exec` comes back as a start
/// failure with its errno (127 or 126); a failed fork, pipe, identity
/// switch or working directory as a setup failure (125). The app never
/// runs if any step before `exec` failed.
pub fn spawn(launch: Launch<'_>) -> Result<i32, Error> {
    let bad_input = || {
        Error::start(
            program_name(launch.program),
            io::ErrorKind::InvalidInput.into(),
        )
    };
    // Arguments from the command line cannot hold a NUL; a directory from
    // a variable could not either, but is checked all the same.
    let workdir = launch
        .workdir
        .map(|dir| CString::new(dir.as_bytes()).map_err(|_| bad_input()))
        .transpose()?;
    let env = environment(&launch);
    let envp = env
        .as_ref()
        .map(|(env, _)| CStrArray::new(env.iter().map(CString::as_c_str)));
    let prepared = Prepared {
        program: launch.program,
        argv: launch.argv,
        envp,
        listen_pid: env.as_ref().and_then(|(_, at)| *at),
        groups: launch
            .identity
            .map(|i| i.groups.iter().map(|&g| Gid::from_raw(g)).collect())
            .unwrap_or_default(),
        ids: launch
            .identity
            .map(|i| (Uid::from_raw(i.uid), Gid::from_raw(i.gid))),
        workdir: workdir.as_deref(),
        mask: launch.mask,
        standard: launch.standard,
    };
    // The child reports a failed step through this pipe; a successful exec
    // closes it (O_CLOEXEC), which the parent sees as end-of-file.
    let (read_end, write_end) = nix::unistd::pipe2(OFlag::O_CLOEXEC)
        .map_err(|e| Error::setup("create the exec status pipe", e.into()))?;
    let pid = match sys::fork() {
        Ok(Some(pid)) => pid,
        Ok(None) => child::child_side(prepared, &write_end),
        Err(err) => return Err(Error::setup("fork the child", err)),
    };
    drop(write_end);
    let Some((step, errno)) = read_report(&read_end) else {
        return Ok(pid);
    };
    // The child exited right after reporting; nobody else waits for it
    // yet, so collect it here rather than leave a zombie.
    let _ = sys::waitpid(pid, 0);
    let cause = io::Error::from_raw_os_error(errno);
    let identity = launch.identity;
    let what = match Step::from_code(step) {
        Step::Groups => "set the child's supplementary groups".to_string(),
        Step::Gid => format!(
            "switch the child to group {}",
            identity.map_or(0, |i| i.gid)
        ),
        Step::Uid => format!("switch the child to user {}", identity.map_or(0, |i| i.uid)),
        Step::Workdir => format!(
            "change the child's working directory to '{}'",
            launch.workdir.unwrap_or_default().to_string_lossy()
        ),
        Step::Exec => return Err(Error::start(program_name(launch.program), cause)),
    };
    Err(Error::setup(what, cause))
}

/// PROGRAM as errors name it.
fn program_name(program: &CStr) -> std::ffi::OsString {
    OsStr::from_bytes(program.to_bytes()).to_owned()
}

/// The child's environment as C strings, when it must differ from
/// pidone's: `HOME` and `USER` from `--user` (unless already set), and a
/// `LISTEN_PID` entry the child replaces with its own pid when the runtime
/// socket-activated pidone (with that entry's index). `None` means
/// "inherit pidone's environment unchanged", the common case, which copies
/// nothing.
fn environment(launch: &Launch<'_>) -> Option<(Vec<CString>, Option<usize>)> {
    let mut digits = [0u8; 10];
    let activated = launch
        .listen_pid
        .is_some_and(|pid| pid.as_bytes() == number::decimal(std::process::id(), &mut digits));
    let mut additions: Vec<(&str, &str)> = vec![];
    if let Some(identity) = launch.identity {
        if let (Some(home), false) = (&identity.home, launch.has_home) {
            additions.push(("HOME", home));
        }
        if let (Some(name), false) = (&identity.name, launch.has_user) {
            additions.push(("USER", name));
        }
    }
    if !activated && additions.is_empty() {
        return None;
    }
    // The environment exactly as the C runtime holds it, entry by entry.
    let mut env: Vec<CString> = sys::environ().map(CStr::to_owned).collect();
    let listen_pid = activated
        .then(|| {
            env.iter()
                .position(|entry| entry.to_bytes().starts_with(LISTEN_PID_PREFIX))
        })
        .flatten();
    for (name, value) in additions {
        // Names and values from /etc/passwd hold no NUL: lines are split
        // at NUL-free fields.
        if let Ok(entry) = CString::new(format!("{name}={value}")) {
            env.push(entry);
        }
    }
    Some((env, listen_pid))
}

/// Reads the child's report from FD: `None` at end-of-file (the exec
/// succeeded and closed the pipe), `Some((step, errno))` when a step failed.
fn read_report(fd: &OwnedFd) -> Option<(i32, i32)> {
    let mut buf = [0u8; 8];
    loop {
        match nix::unistd::read(fd, &mut buf) {
            Err(nix::errno::Errno::EINTR) => continue,
            // A short or failed read cannot come from our child, which
            // writes 8 bytes at once into an empty pipe; treat it as a
            // successful exec.
            Ok(8) => {
                let [a, b, c, d, e, f, g, h] = buf;
                return Some((
                    i32::from_ne_bytes([a, b, c, d]),
                    i32::from_ne_bytes([e, f, g, h]),
                ));
            }
            _ => return None,
        }
    }
}
