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
//! [`child_side`] is the crate's one piece of code that runs between fork
//! and exec; only async-signal-safe calls are allowed there: no allocation,
//! no logging, no locks. Everything it needs is prepared before the fork.

use std::ffi::{CString, OsStr, OsString};
use std::io;
use std::os::unix::ffi::OsStrExt;

use crate::error::Error;
use crate::signals::{self, Mask};
use crate::tty;
use crate::user::Identity;

/// What to start, and how.
pub struct Launch<'a> {
    /// The program, looked up on `PATH` like `execvp`.
    pub program: &'a OsStr,
    /// Its arguments.
    pub args: &'a [OsString],
    /// The signal mask pidone was started with, restored in the child.
    pub mask: Mask,
    /// Who the child runs as (`--user`), if not pidone's own identity.
    pub identity: Option<&'a Identity>,
    /// Where the child starts (`--workdir`), if not pidone's directory.
    pub workdir: Option<&'a OsStr>,
}

/// The steps of the child side, as reported back when one fails.
const STEP_EXEC: i32 = 0;
const STEP_GROUPS: i32 = 1;
const STEP_GID: i32 = 2;
const STEP_UID: i32 = 3;
const STEP_WORKDIR: i32 = 4;

/// `LISTEN_PID=` plus room for any pid and the NUL.
const LISTEN_PID_PREFIX: &[u8] = b"LISTEN_PID=";
const LISTEN_PID_SIZE: usize = LISTEN_PID_PREFIX.len() + 12;

/// Everything the child side reads, prepared (and allocated) before fork.
struct Prepared {
    argv: Vec<*const libc::c_char>,
    /// The environment to exec with, or `None` to inherit pidone's as is.
    envp: Option<Vec<*const libc::c_char>>,
    /// The `LISTEN_PID=` buffer inside `envp` that the child fills with its
    /// own pid (socket activation), or null.
    listen_pid: *mut u8,
    groups: Vec<libc::gid_t>,
    ids: Option<(libc::uid_t, libc::gid_t)>,
    workdir: Option<CString>,
}

/// Forks and execs as LAUNCH says.
///
/// Returns the child's pid once `exec` has succeeded, so by then the child
/// is in its own process group. A failed `exec` comes back as
/// [`Error::Start`] with its errno (127 or 126); a failed fork, pipe,
/// identity switch or working directory as [`Error::Setup`] (125). The app
/// never runs if any step before `exec` failed.
pub fn spawn(launch: &Launch<'_>) -> Result<i32, Error> {
    let program = launch.program;
    let cstring = |arg: &OsStr| CString::new(arg.as_bytes());
    // Arguments come from our own argv, which holds C strings, so a NUL
    // inside one cannot happen; if it did, it is the program's fault.
    let bad_input = || Error::Start {
        program: program.to_owned(),
        cause: io::ErrorKind::InvalidInput.into(),
    };
    let argv_owned = std::iter::once(program)
        .chain(launch.args.iter().map(OsString::as_os_str))
        .map(cstring)
        .collect::<Result<Vec<CString>, _>>()
        .map_err(|_| bad_input())?;
    let mut env_owned = environment(launch.identity);
    let workdir = launch
        .workdir
        .map(|dir| CString::new(dir.as_bytes()).map_err(|_| bad_input()))
        .transpose()?;
    // Room for the NULL at the end from the start: no regrowth.
    let mut argv = Vec::with_capacity(argv_owned.len() + 1);
    argv.extend(argv_owned.iter().map(|a| a.as_ptr()));
    let mut prepared = Prepared {
        argv,
        envp: None,
        listen_pid: std::ptr::null_mut(),
        groups: launch
            .identity
            .map(|i| i.groups.clone())
            .unwrap_or_default(),
        ids: launch.identity.map(|i| (i.uid, i.gid)),
        workdir,
    };
    prepared.argv.push(std::ptr::null());
    if let Some(env) = env_owned.as_mut() {
        let mut envp: Vec<*const libc::c_char> = Vec::with_capacity(env.len() + 1);
        for entry in env.iter_mut() {
            if entry.starts_with(LISTEN_PID_PREFIX) && entry.len() == LISTEN_PID_SIZE {
                prepared.listen_pid = entry.as_mut_ptr();
            }
            envp.push(entry.as_ptr().cast());
        }
        envp.push(std::ptr::null());
        prepared.envp = Some(envp);
    }

    // The child reports a failed step through this pipe; a successful exec
    // closes it (O_CLOEXEC), which the parent sees as end-of-file.
    let mut fds = [0; 2];
    // SAFETY: fds is a live array of two ints, as pipe2 requires.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(setup("create the exec status pipe".into()));
    }
    let [read_end, write_end] = fds;

    // SAFETY: pidone is single-threaded, so the child is a faithful copy;
    // the child only runs `child_side`, which is async-signal-safe.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // SAFETY: `prepared` and the buffers it points into (argv_owned,
        // env_owned) live in the child's copy of our memory until exec.
        unsafe { child_side(&prepared, launch.mask, write_end) }
    }
    let fork_error = (pid < 0).then(|| setup("fork the child".into()));
    // SAFETY: write_end is our own descriptor, closed exactly once.
    unsafe { libc::close(write_end) };
    if let Some(err) = fork_error {
        // SAFETY: read_end is our own descriptor, closed exactly once.
        unsafe { libc::close(read_end) };
        return Err(err);
    }
    let report = read_report(read_end);
    // SAFETY: read_end is our own descriptor, closed exactly once.
    unsafe { libc::close(read_end) };
    // The buffers must outlive the fork; keep them alive until here.
    drop((argv_owned, env_owned));
    let Some((step, errno)) = report else {
        return Ok(pid);
    };
    // The child exited right after reporting; nobody else waits for it
    // yet, so collect it here rather than leave a zombie.
    let mut status = 0;
    // SAFETY: status is a live, writable int.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    let cause = io::Error::from_raw_os_error(errno);
    let identity = launch.identity;
    let what = match step {
        STEP_GROUPS => "set the child's supplementary groups".to_string(),
        STEP_GID => format!(
            "switch the child to group {}",
            identity.map_or(0, |i| i.gid)
        ),
        STEP_UID => format!("switch the child to user {}", identity.map_or(0, |i| i.uid)),
        STEP_WORKDIR => format!(
            "change the child's working directory to '{}'",
            launch.workdir.unwrap_or_default().to_string_lossy()
        ),
        _ => {
            return Err(Error::Start {
                program: program.to_owned(),
                cause,
            })
        }
    };
    Err(Error::Setup {
        what: what.into(),
        cause,
    })
}

/// The child's environment as `NAME=VALUE\0` buffers, when it must differ
/// from pidone's: `HOME` and `USER` from `--user` (unless already set), and
/// a `LISTEN_PID` placeholder when the runtime socket-activated pidone.
/// `None` means "inherit pidone's environment unchanged".
fn environment(identity: Option<&Identity>) -> Option<Vec<Vec<u8>>> {
    let me = std::process::id().to_string();
    let activated =
        std::env::var_os("LISTEN_PID").is_some_and(|pid| pid.as_bytes() == me.as_bytes());
    let mut additions: Vec<(&str, &str)> = vec![];
    if let Some(identity) = identity {
        if let (Some(home), None) = (&identity.home, std::env::var_os("HOME")) {
            additions.push(("HOME", home));
        }
        if let (Some(name), None) = (&identity.name, std::env::var_os("USER")) {
            additions.push(("USER", name));
        }
    }
    if !activated && additions.is_empty() {
        return None;
    }
    extern "C" {
        static environ: *const *const libc::c_char;
    }
    // The environment exactly as the C runtime holds it (entries without
    // '=' and duplicates included, which `std::env::vars_os` would drop),
    // copied entry by entry. About 4 KB smaller than going through std.
    let mut env: Vec<Vec<u8>> = Vec::new();
    // SAFETY: environ is a NULL-terminated array of C strings; we are
    // single-threaded, so nobody changes it while we read.
    unsafe {
        let mut p = environ;
        while !p.is_null() && !(*p).is_null() {
            let bytes = std::ffi::CStr::from_ptr(*p).to_bytes_with_nul();
            if activated && bytes.starts_with(LISTEN_PID_PREFIX) {
                // The child writes its own pid here after the fork: its pid
                // is not known before, and it may not allocate after.
                let mut entry = LISTEN_PID_PREFIX.to_vec();
                entry.resize(LISTEN_PID_SIZE, 0);
                env.push(entry);
            } else {
                env.push(bytes.to_vec());
            }
            p = p.add(1);
        }
    }
    for (name, value) in additions {
        env.push(format!("{name}={value}\0").into_bytes());
    }
    Some(env)
}

/// The [`Error::Setup`] for WHAT, from the last OS error.
fn setup(what: std::borrow::Cow<'static, str>) -> Error {
    Error::Setup {
        what,
        cause: io::Error::last_os_error(),
    }
}

/// Reads the child's report from FD: `None` at end-of-file (the exec
/// succeeded and closed the pipe), `Some((step, errno))` when a step failed.
fn read_report(fd: libc::c_int) -> Option<(i32, i32)> {
    let mut buf = [0u8; 8];
    loop {
        // SAFETY: buf is a live, writable 8-byte buffer.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
            continue;
        }
        // A short or failed read cannot come from our child, which writes
        // 8 bytes at once into an empty pipe; treat it as a successful exec.
        if n != 8 {
            return None;
        }
        let [a, b, c, d, e, f, g, h] = buf;
        return Some((
            i32::from_ne_bytes([a, b, c, d]),
            i32::from_ne_bytes([e, f, g, h]),
        ));
    }
}

/// Writes PID in decimal into the `LISTEN_PID=` buffer at BUF (of
/// `LISTEN_PID_SIZE` bytes), NUL-terminated. Async-signal-safe: no
/// allocation, no formatting machinery.
///
/// # Safety
/// BUF must point to a writable buffer of `LISTEN_PID_SIZE` bytes.
unsafe fn write_listen_pid(buf: *mut u8, pid: libc::pid_t) {
    let mut digits = [0u8; 11];
    let mut n = u32::try_from(pid).unwrap_or(0);
    let mut len = 0;
    loop {
        if let Some(slot) = digits.get_mut(len) {
            // n % 10 < 10: always a digit.
            *slot = b'0' + (n % 10) as u8;
        }
        len += 1;
        n /= 10;
        if n == 0 || len == digits.len() {
            break;
        }
    }
    let start = LISTEN_PID_PREFIX.len();
    for (i, &digit) in digits.iter().take(len).rev().enumerate() {
        // SAFETY: start + i < start + 11 < LISTEN_PID_SIZE per the contract.
        unsafe { *buf.add(start + i) = digit };
    }
    // SAFETY: as above; start + len <= start + 11 < LISTEN_PID_SIZE.
    unsafe { *buf.add(start + len) = 0 };
}

/// The child between fork and exec. Never returns.
///
/// Order matters: identity first (groups, gid, then uid last, since after
/// it we may no longer change the others), then the working directory (as
/// the new user, so it only enters what the user may), its own process
/// group, the terminal while every signal is still blocked (a background
/// group calling `tcsetpgrp` would otherwise be stopped by SIGTTOU), its
/// `LISTEN_PID`, and the original signal mask last, so the app starts with
/// exactly what pidone was given. Dispositions are left alone: pidone never
/// changed any, so the app inherits the runtime's. Any failed step is
/// reported to the parent and the app is never started.
///
/// # Safety
/// Must only be called in a freshly forked child of a single-threaded
/// process, with PREPARED's pointers valid (see [`Prepared`]).
unsafe fn child_side(prepared: &Prepared, mask: Mask, report: libc::c_int) -> ! {
    let fail = |step: i32| -> ! {
        // SAFETY: reading errno and writing 8 bytes from a stack buffer are
        // async-signal-safe; _exit skips every destructor.
        unsafe {
            let errno = *libc::__errno_location();
            let mut bytes = [0u8; 8];
            let (first, second) = bytes.split_at_mut(4);
            first.copy_from_slice(&step.to_ne_bytes());
            second.copy_from_slice(&errno.to_ne_bytes());
            libc::write(report, bytes.as_ptr().cast(), bytes.len());
            libc::_exit(127)
        }
    };
    if let Some((uid, gid)) = prepared.ids {
        // SAFETY: groups points to groups.len() gids; the rest take plain
        // integers. All are async-signal-safe syscalls.
        unsafe {
            if libc::setgroups(prepared.groups.len(), prepared.groups.as_ptr()) != 0 {
                fail(STEP_GROUPS);
            }
            if libc::setgid(gid) != 0 {
                fail(STEP_GID);
            }
            if libc::setuid(uid) != 0 {
                fail(STEP_UID);
            }
        }
    }
    if let Some(dir) = &prepared.workdir {
        // SAFETY: dir is a valid C string prepared before the fork.
        if unsafe { libc::chdir(dir.as_ptr()) } != 0 {
            fail(STEP_WORKDIR);
        }
    }
    // Cannot fail for a fresh child of ours (it is not a session leader).
    // SAFETY: setpgid is an async-signal-safe syscall with no memory
    // preconditions; tcsetpgrp (inside claim_foreground) likewise.
    unsafe { libc::setpgid(0, 0) };
    tty::claim_foreground();
    if !prepared.listen_pid.is_null() {
        // SAFETY: getpid has no preconditions; listen_pid points to the
        // LISTEN_PID_SIZE-byte buffer prepared before the fork.
        unsafe { write_listen_pid(prepared.listen_pid, libc::getpid()) };
    }
    // A failure here would leave every signal blocked in the app: report it
    // like an exec error rather than exec anyway.
    if signals::set_mask(mask).is_ok() {
        let argv = prepared.argv.as_ptr();
        // SAFETY: argv and envp are NULL-terminated arrays of pointers to
        // C strings that live until exec (see Prepared).
        unsafe {
            match &prepared.envp {
                Some(envp) => libc::execvpe(*argv, argv, envp.as_ptr()),
                None => libc::execvp(*argv, argv),
            };
        }
    }
    fail(STEP_EXEC)
}
