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
//! exec (126/127), and costs about 40 KB of a binary whose size is a goal.
//! [`child::child_side`] is the crate's one piece of code that runs between
//! fork and exec; everything it needs is prepared here, before the fork.

use std::ffi::{c_char, CString, OsStr};
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;

use nix::fcntl::OFlag;
use nix::unistd::{Gid, Uid};

use crate::error::Error;
use crate::number;
use crate::signals::Mask;
use crate::sys;
use crate::user::Identity;

mod child;

use child::{Prepared, LISTEN_PID_PREFIX, LISTEN_PID_SIZE};

/// What to start, and how.
pub struct Launch<'a> {
    /// The program, looked up on `PATH` like `execvp` (named in errors).
    pub program: &'a OsStr,
    /// The program and its arguments as `exec` takes them: C strings and a
    /// NULL, the tail of pidone's own argv (`None` if it could not be
    /// found there, which cannot happen).
    pub argv: Option<&'static [*const c_char]>,
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
}

/// Forks and execs as LAUNCH says.
///
/// Returns the child's pid once `exec` has succeeded, so by then the child
/// is in its own process group. A failed `exec` comes back as
/// [`Error::Start`] with its errno (127 or 126); a failed fork, pipe,
/// identity switch or working directory as [`Error::Setup`] (125). The app
/// never runs if any step before `exec` failed.
pub fn spawn(launch: &Launch<'_>) -> Result<i32, Error> {
    let mut prepared = prepare(launch)?;
    // The child reports a failed step through this pipe; a successful exec
    // closes it (O_CLOEXEC), which the parent sees as end-of-file.
    let (read_end, write_end) = nix::unistd::pipe2(OFlag::O_CLOEXEC)
        .map_err(|e| setup("create the exec status pipe", e.into()))?;
    let pid = match sys::fork() {
        Ok(Some(pid)) => pid,
        Ok(None) => child::child_side(&mut prepared, &write_end),
        Err(err) => return Err(setup("fork the child", err)),
    };
    drop(write_end);
    let report = read_report(&read_end);
    let Some((step, errno)) = report else {
        return Ok(pid);
    };
    // The child exited right after reporting; nobody else waits for it
    // yet, so collect it here rather than leave a zombie.
    let _ = sys::waitpid(pid, 0);
    let cause = io::Error::from_raw_os_error(errno);
    let identity = launch.identity;
    let what = match step {
        child::STEP_GROUPS => "set the child's supplementary groups".to_string(),
        child::STEP_GID => format!(
            "switch the child to group {}",
            identity.map_or(0, |i| i.gid)
        ),
        child::STEP_UID => format!("switch the child to user {}", identity.map_or(0, |i| i.uid)),
        child::STEP_WORKDIR => format!(
            "change the child's working directory to '{}'",
            launch.workdir.unwrap_or_default().to_string_lossy()
        ),
        _ => {
            return Err(Error::Start {
                program: launch.program.to_owned(),
                cause,
            })
        }
    };
    Err(Error::Setup {
        what: what.into(),
        cause,
    })
}

/// Everything the child side will read, built now. The common case
/// allocates nothing: the arguments are pidone's own argv as it stands,
/// and the environment is inherited as it is.
fn prepare(launch: &Launch<'_>) -> Result<Prepared, Error> {
    // Arguments come from our own argv, which holds C strings, so a NUL
    // inside one cannot happen; if it did, it is the program's fault.
    let bad_input = || Error::Start {
        program: launch.program.to_owned(),
        cause: io::ErrorKind::InvalidInput.into(),
    };
    let argv = launch.argv.ok_or_else(bad_input)?;
    let workdir = launch
        .workdir
        .map(|dir| CString::new(dir.as_bytes()).map_err(|_| bad_input()))
        .transpose()?;
    let (env, listen_pid) = match environment(launch) {
        Some((env, listen_pid)) => (Some(env), listen_pid),
        None => (None, None),
    };
    // Room for the NULL at the end from the start: no regrowth. The
    // pointers stay valid when `env` moves into Prepared: each entry's
    // bytes live on the heap.
    let envp = env.as_ref().map(|env| {
        let mut envp = Vec::with_capacity(env.len() + 1);
        envp.extend(env.iter().map(|entry| entry.as_ptr().cast()));
        envp.push(std::ptr::null());
        envp
    });
    Ok(Prepared {
        argv,
        env,
        envp,
        listen_pid,
        groups: launch
            .identity
            .map(|i| i.groups.iter().map(|&g| Gid::from_raw(g)).collect())
            .unwrap_or_default(),
        ids: launch
            .identity
            .map(|i| (Uid::from_raw(i.uid), Gid::from_raw(i.gid))),
        workdir,
        mask: launch.mask,
    })
}

/// The child's environment as `NAME=VALUE\0` buffers, when it must differ
/// from pidone's: `HOME` and `USER` from `--user` (unless already set), and
/// a `LISTEN_PID` placeholder when the runtime socket-activated pidone
/// (with the placeholder's index). `None` means "inherit pidone's
/// environment unchanged", the common case, which copies nothing.
fn environment(launch: &Launch<'_>) -> Option<(Vec<Vec<u8>>, Option<usize>)> {
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
    let mut env: Vec<Vec<u8>> = Vec::new();
    let mut listen_pid = None;
    for entry in sys::environ() {
        let bytes = entry.to_bytes_with_nul();
        if activated && bytes.starts_with(LISTEN_PID_PREFIX) {
            // The child writes its own pid here after the fork: its pid is
            // not known before, and it may not allocate after.
            let mut placeholder = LISTEN_PID_PREFIX.to_vec();
            placeholder.resize(LISTEN_PID_SIZE, 0);
            listen_pid = Some(env.len());
            env.push(placeholder);
        } else {
            env.push(bytes.to_vec());
        }
    }
    for (name, value) in additions {
        env.push(format!("{name}={value}\0").into_bytes());
    }
    Some((env, listen_pid))
}

/// The [`Error::Setup`] for WHAT, caused by CAUSE.
fn setup(what: &'static str, cause: io::Error) -> Error {
    Error::Setup {
        what: what.into(),
        cause,
    }
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
