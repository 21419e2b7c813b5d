//! Every raw system call that nix cannot carry, each with its one-line
//! reason, and the crate's one rc -> `io::Result` helper ([`cvt`]).
//!
//! nix expresses most of what pidone asks of the kernel with types (pipes,
//! `chdir`, `setpgid`, identity, `poll`, `Dir`, `prctl` for the subreaper),
//! and the rest of the crate uses it directly. What is left here is what nix
//! cannot say: the real-time signal core (nix's `SigSet` drops signals
//! 32-34 and its `Signal` enum has no real-time signals, so it can neither
//! block, receive, forward nor decode them), `waitpid` that must keep a
//! real-time death (nix's returns EINVAL for one *after* the kernel reaped
//! it, and the status is lost), the C runtime's own argv and environment,
//! and the calls the child makes between fork and exec that nix only
//! offers with an allocation (`execvp` builds its argument array) or not at
//! all (`_exit`).
//!
//! Every function here is sound for any argument its types allow: raw
//! pointers only cross this module's boundary inside types whose
//! constructors check or promise (`unsafe fn`) what the calls need. This
//! module must never decide anything: no logging, no policy, no allocation
//! on the paths the child of a fork takes ([`set_mask`], [`exec`],
//! [`exit_now`], [`Standard`]).

use std::borrow::Cow;
use std::ffi::{c_char, CStr, OsStr};
use std::fmt;
use std::io;
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

use nix::errno::Errno;
use nix::fcntl::{open, OFlag};
use nix::sys::stat::Mode;

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
pub fn waitpid(pid: libc::pid_t, flags: libc::c_int) -> io::Result<Option<(libc::pid_t, i32)>> {
    let mut status = 0;
    // SAFETY: status is a live, writable int.
    let pid = cvt(unsafe { libc::waitpid(pid, &mut status, flags) })?;
    Ok((pid > 0).then_some((pid, status)))
}

/// Forks: `Some(child pid)` in the parent, `None` in the child.
///
/// The child of a single-threaded process may run any async-signal-safe
/// code until it execs; pidone is single-threaded from start to exit (it
/// starts no threads, neither do its dependencies, and embedded mode
/// refuses to start in a process that has more than one).
pub fn fork() -> io::Result<Option<libc::pid_t>> {
    // SAFETY: pidone is single-threaded (see above), so the child is a
    // faithful copy in which async-signal-safe code may run until exec.
    match unsafe { nix::unistd::fork() }? {
        nix::unistd::ForkResult::Parent { child } => Ok(Some(child.as_raw())),
        nix::unistd::ForkResult::Child => Ok(None),
    }
}

/// A NULL-terminated array of pointers to C strings that live for `'a`:
/// the shape `exec` takes arguments and environments in. Built from
/// `&CStr`s, or borrowed from the C runtime's argv ([`Argv::tail_from`]),
/// so every pointer in it is valid for as long as the array is.
#[derive(Debug)]
pub struct CStrArray<'a> {
    /// The pointers, the NULL last.
    ptrs: Cow<'a, [Arg]>,
    life: PhantomData<&'a CStr>,
}

impl<'a> CStrArray<'a> {
    /// STRINGS, in order, and the NULL.
    pub fn new(strings: impl IntoIterator<Item = &'a CStr>) -> CStrArray<'a> {
        let mut ptrs: Vec<Arg> = strings.into_iter().map(|s| Arg(s.as_ptr())).collect();
        ptrs.push(Arg(std::ptr::null()));
        CStrArray {
            ptrs: Cow::Owned(ptrs),
            life: PhantomData,
        }
    }

    /// Puts STRING at INDEX, in place: nothing is allocated, so the child
    /// of a fork may call it. An index past the strings (or an array
    /// borrowed from argv) is left as it is.
    pub fn replace(&mut self, index: usize, string: &'a CStr) {
        let strings = self.ptrs.len().saturating_sub(1);
        if let (Cow::Owned(ptrs), true) = (&mut self.ptrs, index < strings) {
            if let Some(slot) = ptrs.get_mut(index) {
                *slot = Arg(string.as_ptr());
            }
        }
    }
}

/// `execvp(PROGRAM, ARGV)`, or `execvpe` with ENVP: returns only on
/// failure. Raw: nix's versions build their pointer arrays on the heap,
/// which the child of a fork must not touch. Async-signal-safe.
pub fn exec(program: &CStr, argv: &CStrArray<'_>, envp: Option<&CStrArray<'_>>) -> io::Error {
    // Args are the pointers themselves (repr(transparent)).
    let array = |a: &CStrArray<'_>| a.ptrs.as_ptr().cast::<*const c_char>();
    // SAFETY: PROGRAM is a C string; ARGV and ENVP are NULL-terminated
    // arrays of C strings that live as long as they do (CStrArray's
    // invariant), so all outlive the call.
    unsafe {
        match envp {
            Some(envp) => libc::execvpe(program.as_ptr(), array(argv), array(envp)),
            None => libc::execvp(program.as_ptr(), array(argv)),
        };
    }
    io::Error::last_os_error()
}

/// Ends the process at once with CODE, running no destructors, atexit
/// handlers or stdio flushes. Raw: nix has no `_exit`, and std's `exit`
/// is not async-signal-safe (the child of a fork must not run it).
pub fn exit_now(code: libc::c_int) -> ! {
    // SAFETY: _exit has no preconditions and never returns.
    unsafe { libc::_exit(code) }
}

/// Proof that descriptors 0, 1 and 2 are open: [`Standard::ensure`] makes
/// them so, and nothing in pidone closes them. Lends them out without
/// `std::io::stdin()`, which allocates its buffer on first use (the child
/// of a fork must not), or `std::io::stdout()`, which links a line-buffered
/// writer for pidone's two answers.
#[derive(Clone, Copy, Debug)]
pub struct Standard(());

impl Standard {
    /// Opens `/dev/null` onto whichever of descriptors 0-2 is closed: a
    /// runtime may start us with one closed, and then the signalfd would
    /// take its number, and the log and the child's stdout would go into
    /// it. `open` returns the lowest free number, so opening until the
    /// number is above 2 fills exactly the holes. `None` when one is still
    /// closed (no `/dev/null`): then nothing is written to them.
    pub fn ensure() -> Option<Standard> {
        loop {
            match open(c"/dev/null", OFlag::O_RDWR, Mode::empty()) {
                // Dropping closes it: 0, 1 and 2 are all open.
                Ok(fd) if fd.as_raw_fd() > 2 => return Some(Standard(())),
                // One of 0-2 was closed: it is /dev/null now, for good.
                Ok(fd) => drop(fd.into_raw_fd()),
                // No descriptor left below the limit: 0-2 are taken (no
                // runtime sets a limit below 3).
                Err(Errno::EMFILE) => return Some(Standard(())),
                Err(_) => return None,
            }
        }
    }

    /// Standard descriptor FD (0, 1 or 2; anything else is taken as 2).
    pub fn fd(self, fd: libc::c_int) -> BorrowedFd<'static> {
        let fd = if (0..=2).contains(&fd) { fd } else { 2 };
        // SAFETY: a Standard exists only once 0-2 were all found open
        // (`ensure`), and nothing in pidone closes them.
        unsafe { BorrowedFd::borrow_raw(fd) }
    }
}

/// The process's environment exactly as the C runtime holds it (entries
/// without '=' and duplicates included, which `std::env::vars_os` drops).
/// Raw: neither std nor nix hands out `environ` itself.
pub fn environ() -> impl Iterator<Item = &'static CStr> {
    extern "C" {
        static environ: *const *const c_char;
    }
    let mut next = 0;
    std::iter::from_fn(move || {
        // SAFETY: environ is a NULL-terminated array of C strings that
        // lives for the process; pidone is single-threaded and never
        // changes its environment, so nobody moves it while we read.
        unsafe {
            let base = environ;
            if base.is_null() || (*base.add(next)).is_null() {
                return None;
            }
            next += 1;
            Some(CStr::from_ptr(*base.add(next - 1)))
        }
    })
}

/// pidone's own command line as the C runtime hands it to `main`: C
/// strings and the NULL after them, alive for the whole process. Read in
/// place, never copied: the child's argv is the tail of this one, so
/// pidone execs it as it stands.
#[derive(Clone, Copy, Debug)]
pub struct Argv(&'static [Arg]);

/// One argument of an [`Argv`], or of a [`CStrArray`]: a pointer to a C
/// string (or the NULL that ends the array).
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
        // NULL after them, and lives for the process; Arg is a
        // repr(transparent) `*const c_char`, so the slices are alike.
        Argv(unsafe { std::slice::from_raw_parts(argv.cast::<Arg>(), count + 1) })
    }

    /// The arguments after argv\[0\] (the kernel may even pass none).
    pub(crate) fn args(&self) -> &'static [Arg] {
        let args = self.0.get(1..self.0.len().saturating_sub(1));
        args.unwrap_or_default()
    }

    /// The tail of argv that starts at ARG, ready for `exec`; `None` when
    /// ARG is not one of this command line's.
    pub(crate) fn tail_from(&self, arg: Arg) -> Option<CStrArray<'static>> {
        let at = self.0.iter().position(|p| p.0 == arg.0 && !p.0.is_null())?;
        Some(CStrArray {
            ptrs: Cow::Borrowed(self.0.get(at..)?),
            life: PhantomData,
        })
    }
}

impl Arg {
    /// The argument as a C string.
    pub fn as_c_str(&self) -> &'static CStr {
        // SAFETY: outside this module an Arg only comes from `Argv::args`
        // (a CStrArray keeps its own, and its NULL, to itself), whose
        // pointers are NUL-terminated strings that live for the process.
        unsafe { CStr::from_ptr(self.0) }
    }
}

impl AsRef<OsStr> for Arg {
    fn as_ref(&self) -> &OsStr {
        OsStr::from_bytes(self.as_c_str().to_bytes())
    }
}

impl fmt::Debug for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_c_str().fmt(f)
    }
}

impl PartialEq for Arg {
    fn eq(&self, other: &Arg) -> bool {
        self.as_c_str() == other.as_c_str()
    }
}

impl Eq for Arg {}

/// Closes every descriptor this process inherited: pidone lets go of them
/// once the child has its own copies. Everything above 2 but KEEP goes,
/// with one `close_range` (Linux 5.9+; raw, as nix has no `close_range`).
///
/// Pidone calls it once, right after the child starts, when it holds no
/// descriptor above 2 but KEEP (its signalfd): every other one there is
/// inherited, and nothing in the process owns it. A caller holding another
/// descriptor would lose it, so this stays within the crate, with that one
/// caller.
///
/// Older kernels: the descriptors listed in `/proc/self/fd`. Failures are
/// ignored: a descriptor that cannot be closed is no reason for an init to
/// stop.
pub(crate) fn close_inherited(keep: BorrowedFd<'_>) {
    let keep = keep.as_raw_fd();
    let below = u32::try_from(keep).unwrap_or(3);
    let ranges = [
        (3, below.saturating_sub(1)),
        (below.saturating_add(1), u32::MAX),
    ];
    let closed = ranges
        .iter()
        .filter(|(first, last)| first <= last)
        .all(|&(first, last)| {
            // SAFETY: close_range only closes descriptors; every one in these
            // ranges is inherited and owned by nothing in the process (see
            // above), so no Rust object is left holding a closed number.
            cvt(unsafe { libc::syscall(libc::SYS_close_range, first, last, 0) }).is_ok()
        });
    if !closed {
        close_listed(keep);
    }
}

/// [`close_inherited`] where `close_range` is missing: the descriptors
/// listed in `/proc/self/fd`, but KEEP and the listing's own.
fn close_listed(keep: i32) {
    let Some((open, listing)) = crate::os::procfs::numeric_entries(c"/proc/self/fd") else {
        return;
    };
    for fd in open
        .into_iter()
        .filter(|&fd| fd > 2 && fd != keep && fd != listing)
    {
        let _ = nix::unistd::close(fd);
    }
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
    fn environ_is_the_whole_environment() {
        let all: Vec<Vec<u8>> = environ().map(|e| e.to_bytes().to_vec()).collect();
        assert_eq!(all.len(), std::env::vars_os().count(), "{all:?}");
        let path = std::env::var_os("PATH").unwrap_or_default();
        let want = [b"PATH=", path.as_bytes()].concat();
        assert!(all.contains(&want), "{all:?}");
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
        let tail = argv.tail_from(app).unwrap();
        let tail: Vec<*const c_char> = tail.ptrs.iter().map(|a| a.0).collect();
        assert_eq!(tail, &raw[3..]);
        // SAFETY: a null argv is refused, not read.
        let empty = unsafe { Argv::from_raw(0, std::ptr::null()) };
        assert!(empty.args().is_empty());
    }

    #[test]
    fn arrays_end_in_null_and_replace_only_their_strings() {
        let (a, b, c) = (c"a", c"b", c"c");
        let mut array = CStrArray::new([a, b]);
        let ptrs = |array: &CStrArray<'_>| -> Vec<*const c_char> {
            array.ptrs.iter().map(|a| a.0).collect()
        };
        assert_eq!(ptrs(&array), [a.as_ptr(), b.as_ptr(), std::ptr::null()]);
        array.replace(1, c);
        array.replace(2, c);
        array.replace(9, c);
        assert_eq!(ptrs(&array), [a.as_ptr(), c.as_ptr(), std::ptr::null()]);
    }
}
