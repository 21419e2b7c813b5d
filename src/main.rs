//! The `pidone` binary: the C entry point and the binary's allocator, and
//! nothing else. Everything pidone does lives in the library, starting at
//! [`pidone::run_command_line`].
//!
//! pidone has its own C `main` (`#![no_main]`) instead of Rust's: Rust's
//! runtime sets SIGPIPE to ignored before `main` runs, and the child would
//! inherit that ignore through exec (an app that ignores SIGPIPE by
//! accident never dies in `app | head`). With our own entry point pidone's
//! dispositions stay exactly as the runtime that started it set them.
#![no_main]

use std::alloc::{GlobalAlloc, Layout, System};

/// The process entry point, called by the C runtime.
///
/// # Safety
/// `argv` must hold `argc` valid NUL-terminated strings followed by a NULL
/// pointer, as the C runtime guarantees for `main`.
#[no_mangle]
unsafe extern "C" fn main(argc: libc::c_int, argv: *const *const libc::c_char) -> libc::c_int {
    // SAFETY: the C runtime's argv: argc strings and a NULL, alive (and
    // never changed by pidone) until the process exits.
    let argv = unsafe { pidone::Argv::from_raw(argc, argv) };
    libc::c_int::from(pidone::run_command_line(argv))
}

/// The system allocator, with running out of memory as one line and exit
/// 125 ("pidone itself failed") instead of Rust's abort: with SIGABRT
/// blocked, an abort ends in a SIGSEGV that looks like the app's 139. The
/// binary's choice alone: the library never picks its user's allocator.
struct OutOfMemoryIsOneLine;

#[global_allocator]
static ALLOCATOR: OutOfMemoryIsOneLine = OutOfMemoryIsOneLine;

// SAFETY: every call goes to the system allocator with the caller's
// arguments, as GlobalAlloc's contract has them; a null block never
// returns.
unsafe impl GlobalAlloc for OutOfMemoryIsOneLine {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's layout, forwarded as is.
        let block = unsafe { System.alloc(layout) };
        if block.is_null() {
            out_of_memory();
        }
        block
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        // SAFETY: a block this allocator (the system's) gave out, with its
        // layout, as the caller promises.
        unsafe { System.dealloc(block, layout) }
    }
}

/// Writes the one line and exits 125, without allocating or running
/// anything else: there is no memory.
fn out_of_memory() -> ! {
    const LINE: &[u8] = b"pidone: failed to allocate memory: out of memory\n";
    // std's stderr handle is a static: borrowing its descriptor allocates
    // nothing, and neither does one write from a static buffer.
    let _ = nix::unistd::write(std::io::stderr(), LINE);
    // 125 is "pidone itself failed" in the exit-code table.
    // SAFETY: _exit has no preconditions and never returns; unlike std's
    // exit, it runs nothing that could allocate on the way out.
    unsafe { libc::_exit(125) }
}
