//! The wrapper modes: each changes one thing about the process and then
//! execs PROGRAM ARGS... (usually pidone), so that pidone starts in exactly
//! the state a test needs, set by nothing that could disturb it after.
//!
//!   with-signals BLK IGN PROGRAM ARGS...
//!                      set the signal mask to BLK and the ignored set to IGN
//!                      (16 hex digits each, as /proc shows them; every other
//!                      signal gets its default) with raw syscalls, then exec
//!                      PROGRAM: an exact start state, whatever the caller's
//!                      C library does to signals 32 and 33
//!   join-cgroup DIR PROGRAM ARGS...   move into the cgroup DIR
//!   rlimit RES N PROGRAM ARGS...      set resource RES (a number) to N, soft
//!                                     and hard
//!   as-user UID PROGRAM ARGS...       drop to uid and gid UID, no groups
//!   subreaper PROGRAM ARGS...         become a child subreaper, then exec
//!                                     (the bit survives exec, as process
//!                                     supervisors and tini's test proxy use it)

use crate::signals::set_mask;
use crate::{fail, Args};

/// Runs the mode if it is one of ours; false otherwise.
pub fn run(args: &Args) -> bool {
    match args.mode() {
        "with-signals" => with_signals(args),
        "join-cgroup" => join_cgroup(args),
        "rlimit" => rlimit(args),
        "as-user" => as_user(args),
        "subreaper" => subreaper(args),
        _ => false,
    }
}

/// The `with-signals` mode; see the module docs.
fn with_signals(args: &Args) -> ! {
    let hex = |i: usize| {
        u64::from_str_radix(args.text(i), 16).unwrap_or_else(|_| fail("with-signals: bad mask", 2))
    };
    let (blocked, ignored) = (hex(1), hex(2));
    for sig in 1..=64 {
        if sig != libc::SIGKILL && sig != libc::SIGSTOP {
            set_disposition(sig, ignored & (1 << (sig - 1)) != 0);
        }
    }
    set_mask(blocked);
    args.exec_from(3);
}

/// The `join-cgroup` mode; see the module docs.
fn join_cgroup(args: &Args) -> ! {
    // SAFETY: no preconditions.
    let me = unsafe { libc::getpid() };
    let procs = format!("{}/cgroup.procs", args.text(1));
    if let Err(e) = std::fs::write(procs, me.to_string()) {
        fail(&format!("join-cgroup: {e}"), 94);
    }
    args.exec_from(2);
}

/// The `rlimit` mode; see the module docs.
fn rlimit(args: &Args) -> ! {
    let value = args.number(2) as libc::rlim_t;
    let limit = libc::rlimit {
        rlim_cur: value,
        rlim_max: value,
    };
    // SAFETY: LIMIT is a valid struct rlimit. The resource's C type
    // differs between glibc and musl, hence `as _`.
    if unsafe { libc::setrlimit(args.number(1) as _, &limit) } != 0 {
        fail("rlimit: setrlimit failed", 94);
    }
    args.exec_from(3);
}

/// The `subreaper` mode; see the module docs.
fn subreaper(args: &Args) -> ! {
    // SAFETY: prctl with PR_SET_CHILD_SUBREAPER takes plain integers.
    if unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) } != 0 {
        fail("subreaper: prctl failed", 94);
    }
    args.exec_from(1);
}

/// The `as-user` mode; see the module docs.
fn as_user(args: &Args) -> ! {
    let id = args.number(1) as libc::uid_t;
    // SAFETY: plain integers; an empty group list.
    let ok = unsafe {
        libc::setgroups(0, std::ptr::null()) == 0
            && libc::setresgid(id, id, id) == 0
            && libc::setresuid(id, id, id) == 0
    };
    if !ok {
        fail("as-user: failed to change user", 94);
    }
    args.exec_from(2);
}

/// The kernel's `struct sigaction` for rt_sigaction, in the generic layout
/// that x86_64, i386 and arm64 share (all three define SA_RESTORER):
/// handler, flags, restorer, then the 64-bit mask as the kernel's array of
/// `unsigned long`. Not libc's `sigaction`, whose layout is the C library's.
#[repr(C)]
struct KernelSigaction {
    handler: libc::sighandler_t,
    flags: libc::c_ulong,
    restorer: libc::sighandler_t,
    mask: [libc::c_ulong; 64 / libc::c_ulong::BITS as usize],
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "x86", target_arch = "aarch64")))]
compile_error!("check KernelSigaction's layout against this architecture's kernel headers");

/// Sets SIG to ignored or to its default action.
fn set_disposition(sig: libc::c_int, ignored: bool) {
    let action = KernelSigaction {
        handler: if ignored {
            libc::SIG_IGN
        } else {
            libc::SIG_DFL
        },
        flags: 0,
        restorer: 0,
        mask: [0; 64 / libc::c_ulong::BITS as usize],
    };
    // Raw rt_sigaction: musl's sigaction refuses 32-34 (glibc's 32 and
    // 33), and IGN may name them; SIG_IGN and SIG_DFL need no restorer.
    // SAFETY: ACTION is a valid kernel sigaction that installs no handler
    // code; no old action is asked for (null).
    let rc = unsafe {
        libc::syscall(
            libc::SYS_rt_sigaction,
            sig as libc::c_long,
            &action as *const KernelSigaction,
            std::ptr::null_mut::<KernelSigaction>(),
            std::mem::size_of_val(&action.mask),
        )
    };
    if rc != 0 {
        fail(&format!("with-signals: rt_sigaction {sig} failed"), 95);
    }
}
