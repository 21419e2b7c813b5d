//! Every raw syscall that nix cannot carry, each with its one-line reason,
//! and the crate's one rc -> `io::Result` helper ([`cvt`]).
//!
//! nix expresses most of what pidone asks of the kernel with types (pipes,
//! `chdir`, `setpgid`, identity, `poll`, `Dir`, `prctl` for the subreaper),
//! and the rest of the crate uses it directly. What is left here is what nix
//! cannot say: the real-time signal core (nix's `SigSet` drops signals
//! 32-34 and its `Signal` enum has no real-time signals, so it can neither
//! block, receive, forward nor decode them), `waitpid` that must keep a
//! real-time death (nix's returns EINVAL for one *after* the kernel reaped
//! it, and the status is lost), and the few calls the child makes between
//! fork and exec that nix only offers with an allocation (`execvp` builds
//! its argument array) or not at all (`_exit`).
//!
//! This module must never decide anything: no logging, no policy, no
//! allocation (the child side calls [`set_mask`], [`exec`] and
//! [`exit_now`] after fork, where only async-signal-safe code may run).

use std::ffi::{c_char, CStr, OsStr};
use std::fmt;
use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

/// A raw kernel signal mask: bit N-1 stands for signal N. The kernel reads
/// the first 64 bits of a mask on every architecture Linux supports.
pub type Mask = u64;

/// Every signal 1-64 (the kernel silently keeps KILL and STOP unblocked).
pub const ALL: Mask = !0;

/// The size of a mask as `rt_sigprocmask` and `signalfd4` want it.
const MASK_SIZE: libc::size_t = std::mem::size_of::<Mask>();

/// How many `signalfd_siginfo` records one read takes at most.
pub const SIGNALS_PER_READ: usize = 32;

/// The rc -> `io::Result` rule of every raw call: -1 means "see errno".
pub fn cvt<T: Copy + PartialEq + From<i8>>(rc: T) -> io::Result<T> {
    if rc == T::from(-1) {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}

/// `rt_sigprocmask(HOW, SET)`, returning the mask before the call.
/// Raw syscall: libc's wrappers drop signals 32-34 from both the new and
/// the old mask. Async-signal-safe.
pub fn sigprocmask(how: libc::c_int, set: Mask) -> io::Result<Mask> {
    let mut old: Mask = 0;
    // SAFETY: both pointers point to live u64 masks for the duration of
    // the call, and MASK_SIZE says 8 bytes, which is what the kernel reads.
    cvt(unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            how,
            &set as *const Mask,
            &mut old as *mut Mask,
            MASK_SIZE,
        )
    })?;
    Ok(old)
}

/// A new close-on-exec signalfd for every signal in MASK. Raw syscall:
/// libc's `sigset_t` helpers (and nix's `SigSet`) leave out 32-34.
pub fn signalfd(mask: Mask) -> io::Result<OwnedFd> {
    // SAFETY: the mask pointer points to a live u64 and the size says 8
    // bytes; fd -1 asks the kernel for a new descriptor.
    let fd = cvt(unsafe {
        libc::syscall(
            libc::SYS_signalfd4,
            -1,
            &mask as *const Mask,
            MASK_SIZE,
            libc::SFD_CLOEXEC,
        )
    })?;
    // Descriptors fit a c_int; the kernel never returns more.
    let fd = libc::c_int::try_from(fd).map_err(|_| io::Error::from(io::ErrorKind::InvalidData))?;
    // SAFETY: the kernel just handed us this descriptor; nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Reads up to [`SIGNALS_PER_READ`] records from signalfd FD and calls
/// EACH with (signal number, sender pid) for every one. Raw `read` into
/// libc's own `signalfd_siginfo`: nix has no signalfd reader that keeps
/// real-time signals (its `SignalFd` decodes into the `Signal` enum).
pub fn read_signals(fd: BorrowedFd<'_>, mut each: impl FnMut(u32, u32)) -> io::Result<()> {
    let mut records = [MaybeUninit::<libc::signalfd_siginfo>::uninit(); SIGNALS_PER_READ];
    let size = std::mem::size_of::<libc::signalfd_siginfo>();
    // SAFETY: records is a live, writable buffer of exactly that many
    // bytes; the kernel writes only whole records into it.
    let n = cvt(unsafe {
        libc::read(
            fd.as_raw_fd(),
            records.as_mut_ptr().cast(),
            records.len() * size,
        )
    })?;
    let whole = usize::try_from(n).unwrap_or(0) / size;
    for record in records.iter().take(whole) {
        // SAFETY: the first `whole` records were written by the kernel.
        let info = unsafe { record.assume_init_ref() };
        each(info.ssi_signo, info.ssi_pid);
    }
    Ok(())
}

/// Sends signal SIGNO (any of 1-64) to TARGET (a pid, `-pgid`, or -1 for
/// everyone we may signal). Raw: nix's `kill` only takes the `Signal` enum.
pub fn kill(target: libc::pid_t, signo: libc::c_int) -> io::Result<()> {
    // SAFETY: kill has no memory preconditions.
    cvt(unsafe { libc::kill(target, signo) }).map(drop)
}

/// `waitpid(PID, FLAGS)`: `Some((pid, raw status))` for a reaped child,
/// `None` when WNOHANG found nobody exited. Raw: nix's `waitpid` turns a
/// real-time death into EINVAL after the kernel has already reaped it.
// Inline: the reaping loop calls it once per orphan, and returning the
// result through memory from a call cost 23 of the 72 user-space
// instructions pidone spent per reaped orphan (49 now; tini's is 26;
// callgrind over 1,000 and 3,000 zombies).
#[inline]
pub fn waitpid(pid: libc::pid_t, flags: libc::c_int) -> io::Result<Option<(libc::pid_t, i32)>> {
    let mut status = 0;
    // SAFETY: status is a live, writable int.
    let pid = cvt(unsafe { libc::waitpid(pid, &mut status, flags) })?;
    Ok((pid > 0).then_some((pid, status)))
}

/// Forks: `Some(child pid)` in the parent, `None` in the child.
///
/// The child of a single-threaded process may run any async-signal-safe
/// code; pidone is single-threaded from start to exit (it starts no
/// threads, and neither do its dependencies), so the caller's child side
/// need only keep to async-signal-safe calls.
pub fn fork() -> io::Result<Option<libc::pid_t>> {
    // SAFETY: pidone is single-threaded (see above), so the child is a
    // faithful copy in which async-signal-safe code may run until exec.
    match unsafe { nix::unistd::fork() }? {
        nix::unistd::ForkResult::Parent { child } => Ok(Some(child.as_raw())),
        nix::unistd::ForkResult::Child => Ok(None),
    }
}

/// `execvp`, or `execvpe` with ENVP: returns only on failure. Raw: nix's
/// versions build their pointer arrays on the heap, which the child of a
/// fork must not touch. Async-signal-safe.
///
/// ARGV and ENVP must be NULL-terminated arrays of pointers to C strings
/// (checked: an array without its NULL is refused with EINVAL).
pub fn exec(argv: &[*const c_char], envp: Option<&[*const c_char]>) -> io::Error {
    let terminated = |a: &[*const c_char]| a.last().is_some_and(|p| p.is_null());
    let program = match argv.first() {
        Some(&program) if !program.is_null() => program,
        _ => return io::Error::from_raw_os_error(libc::EINVAL),
    };
    if !terminated(argv) || !envp.map_or(true, terminated) {
        return io::Error::from_raw_os_error(libc::EINVAL);
    }
    // SAFETY: both arrays are NULL-terminated (checked above) and, by the
    // caller's contract, point to C strings that live until exec.
    unsafe {
        match envp {
            Some(envp) => libc::execvpe(program, argv.as_ptr(), envp.as_ptr()),
            None => libc::execvp(program, argv.as_ptr()),
        };
    }
    io::Error::last_os_error()
}

/// Returns PTR, a block of the C allocator (`malloc`), to it. Raw: the
/// global allocator's free takes no size, so that the many places that
/// free need not compute one, and std's `System.dealloc` asks for the
/// block's layout.
///
/// # Safety
/// PTR must come from the C allocator and not be freed yet.
pub unsafe fn free(ptr: *mut u8) {
    // SAFETY: the caller's promise: a live block of the C allocator.
    unsafe { libc::free(ptr.cast()) }
}

/// Ends the process at once with CODE, running no destructors, atexit
/// handlers or stdio flushes. Raw: nix has no `_exit`, and std's `exit`
/// is not async-signal-safe (the child of a fork must not run it).
pub fn exit_now(code: libc::c_int) -> ! {
    // SAFETY: _exit has no preconditions and never returns.
    unsafe { libc::_exit(code) }
}

/// Standard descriptor FD (0, 1 or 2; anything else is taken as 2).
/// Borrowed raw because `std::io::stdin()` allocates its buffer on first
/// use, which the child of a fork must not, and `std::io::stdout()` links
/// a line-buffered writer (about 2 KB of binary) for pidone's two answers.
pub fn standard_fd(fd: libc::c_int) -> BorrowedFd<'static> {
    let fd = if (0..=2).contains(&fd) { fd } else { 2 };
    // SAFETY: descriptors 0-2 are open for the whole process: pidone opens
    // /dev/null onto any that was closed at start-up
    // (fds::ensure_standard_fds), and never closes them.
    unsafe { BorrowedFd::borrow_raw(fd) }
}

/// The process's environment exactly as the C runtime holds it (entries
/// without '=' and duplicates included, which `std::env::vars_os` drops).
/// Raw: neither std nor nix hands out `environ` itself.
pub fn environ() -> impl Iterator<Item = &'static CStr> {
    environ_starting(&[b""])
}

/// The entries of [`environ`] that start with one of PREFIXES (none of
/// which holds a NUL byte). The others are never measured: each is read
/// only up to its first byte that no prefix has.
pub fn environ_starting(prefixes: &'static [&'static [u8]]) -> impl Iterator<Item = &'static CStr> {
    extern "C" {
        static environ: *const *const c_char;
    }
    // Whether the C string at ENTRY starts with PREFIX: all() stops at the
    // first byte that differs, and a prefix has no NUL, so nothing past
    // the string's NUL is read.
    //
    // SAFETY (for the callers below): ENTRY is one of environ's strings.
    let starts_with = |entry: *const c_char, prefix: &[u8]| {
        prefix
            .iter()
            .enumerate()
            // SAFETY: see the closure's comment; I is at most the index of
            // the string's NUL, as every earlier byte matched a non-NUL one.
            .all(|(i, &byte)| unsafe { *entry.add(i) } as u8 == byte)
    };
    let mut next = 0;
    std::iter::from_fn(move || loop {
        // SAFETY: environ is a NULL-terminated array of C strings that
        // lives for the process; pidone is single-threaded and never
        // changes its environment, so nobody moves it while we read.
        let entry = unsafe {
            let base = environ;
            if base.is_null() || (*base.add(next)).is_null() {
                return None;
            }
            *base.add(next)
        };
        next += 1;
        if prefixes.iter().any(|prefix| starts_with(entry, prefix)) {
            // SAFETY: one of environ's strings, which live for the process.
            return Some(unsafe { CStr::from_ptr(entry) });
        }
    })
}

/// pidone's own command line as the C runtime hands it to `main`: ARGC
/// C strings and the NULL after them, alive for the whole process. Read in
/// place, never copied: the child's argv is the tail of this one, so
/// pidone execs it as it stands (see `spawn`).
#[derive(Clone, Copy, Debug)]
pub struct Argv(&'static [*const c_char]);

/// One argument of [`Argv`]: a C string of pidone's command line.
#[repr(transparent)]
#[derive(Clone, Copy)]
pub struct Arg(*const c_char);

impl Argv {
    /// The command line at ARGV, of ARGC arguments.
    ///
    /// # Safety
    /// ARGV must hold ARGC pointers to NUL-terminated strings followed by a
    /// NULL pointer, all living (unchanged) until the process exits: what
    /// the C runtime passes to `main`.
    pub unsafe fn from_raw(argc: libc::c_int, argv: *const *const c_char) -> Argv {
        let count = usize::try_from(argc).unwrap_or(0);
        if argv.is_null() {
            return Argv(&[]);
        }
        // SAFETY: by the caller's contract ARGV holds COUNT pointers and the
        // NULL after them, and lives for the process.
        Argv(unsafe { std::slice::from_raw_parts(argv, count + 1) })
    }

    /// The arguments after argv\[0\] (the kernel may even pass none).
    pub fn args(&self) -> &'static [Arg] {
        let args = self.0.get(1..self.0.len().saturating_sub(1));
        let args = args.unwrap_or_default();
        // SAFETY: Arg is a repr(transparent) wrapper of `*const c_char`, so
        // the slices have the same layout; every pointer is one of argv's
        // strings (see `from_raw`).
        unsafe { std::slice::from_raw_parts(args.as_ptr().cast::<Arg>(), args.len()) }
    }

    /// The NULL-terminated tail of argv that starts at ARG, ready for
    /// `exec`; `None` when ARG is not one of this command line's.
    pub fn tail_from(&self, arg: Arg) -> Option<&'static [*const c_char]> {
        let at = self.0.iter().position(|&p| p == arg.0 && !p.is_null())?;
        self.0.get(at..)
    }
}

impl AsRef<OsStr> for Arg {
    fn as_ref(&self) -> &OsStr {
        // SAFETY: an Arg only comes from `Argv::args`, whose pointers are
        // NUL-terminated strings that live for the process.
        let arg = unsafe { CStr::from_ptr(self.0) };
        OsStr::from_bytes(arg.to_bytes())
    }
}

impl fmt::Debug for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_ref().fmt(f)
    }
}

impl PartialEq for Arg {
    fn eq(&self, other: &Arg) -> bool {
        self.as_ref() == other.as_ref()
    }
}

impl Eq for Arg {}

/// Closes every descriptor from FIRST to LAST. Raw syscall: nix has no
/// `close_range` (Linux 5.9+); the caller falls back to `/proc/self/fd`.
pub fn close_range(first: libc::c_uint, last: libc::c_uint) -> io::Result<()> {
    // SAFETY: close_range only closes descriptors; the caller owns none in
    // the range that it still uses.
    cvt(unsafe { libc::syscall(libc::SYS_close_range, first, last, 0) }).map(drop)
}

/// Asks the kernel to send SIGNO to us when our parent dies. Raw prctl:
/// nix's `set_pdeathsig` only takes the `Signal` enum, and `-p RTMIN+1`
/// is a real-time signal.
pub fn set_parent_death_signal(signo: libc::c_int) -> io::Result<()> {
    let signo = libc::c_ulong::try_from(signo).map_err(|_| io::ErrorKind::InvalidInput)?;
    // SAFETY: prctl with PR_SET_PDEATHSIG takes plain integers.
    cvt(unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, signo, 0, 0, 0) }).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environ_starting_yields_exactly_the_entries_with_those_prefixes() {
        use std::os::unix::ffi::OsStrExt;
        let all: Vec<Vec<u8>> = environ().map(|e| e.to_bytes().to_vec()).collect();
        assert_eq!(all.len(), std::env::vars_os().count(), "{all:?}");
        let table: &[&'static [&'static [u8]]] = &[&[b"PATH="], &[b"P", b"H"], &[b"NO SUCH="], &[]];
        for &prefixes in table {
            let want: Vec<&Vec<u8>> = all
                .iter()
                .filter(|e| prefixes.iter().any(|p| e.starts_with(p)))
                .collect();
            let got: Vec<Vec<u8>> = environ_starting(prefixes)
                .map(|e| e.to_bytes().to_vec())
                .collect();
            assert_eq!(got.iter().collect::<Vec<_>>(), want, "{prefixes:?}");
        }
        let path = std::env::var_os("PATH").unwrap_or_default();
        let found = environ_starting(&[b"PATH="])
            .next()
            .map(|e| e.to_bytes().to_vec());
        assert_eq!(found, Some([b"PATH=", path.as_bytes()].concat()));
    }

    #[test]
    fn cvt_maps_minus_one_to_the_os_error() {
        assert_eq!(cvt(5i32).ok(), Some(5));
        assert_eq!(cvt(0i64).ok(), Some(0));
        assert!(cvt(-1isize).is_err());
    }

    #[test]
    fn argv_is_read_in_place_and_its_tail_is_execable() {
        let strings = [c"pidone", c"-s", c"--", c"app", c"x"];
        let mut raw: Vec<*const c_char> = strings.iter().map(|s| s.as_ptr()).collect();
        raw.push(std::ptr::null());
        // The test's strings are 'static and RAW is leaked, as argv lives.
        let raw: &'static [*const c_char] = raw.leak();
        // SAFETY: five 'static C strings and the NULL after them.
        let argv = unsafe { Argv::from_raw(5, raw.as_ptr()) };
        let args: Vec<&OsStr> = argv.args().iter().map(AsRef::as_ref).collect();
        assert_eq!(args, ["-s", "--", "app", "x"]);
        let app = argv.args()[2];
        assert_eq!(argv.tail_from(app), Some(&raw[3..]));
        // SAFETY: a null argv is refused, not read.
        let empty = unsafe { Argv::from_raw(0, std::ptr::null()) };
        assert!(empty.args().is_empty());
    }

    #[test]
    fn exec_refuses_arrays_without_their_null() {
        let arg = c"x".as_ptr();
        for (argv, envp) in [
            (vec![arg], None),
            (vec![std::ptr::null()], None),
            (vec![arg, std::ptr::null()], Some(vec![arg])),
        ] {
            let err = exec(&argv, envp.as_deref());
            assert_eq!(err.raw_os_error(), Some(libc::EINVAL));
        }
    }
}
