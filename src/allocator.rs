//! Out of memory: one line and exit 125, never an abort.
//!
//! Rust's default reaction to a failed allocation prints "memory
//! allocation of N bytes failed", tries to print a backtrace, and aborts
//! (134; with SIGABRT blocked in pidone, musl's abort then crashes with
//! another signal). The contract gives pidone's own failures 125 and one
//! line, and the stable way to get that is a global allocator that checks
//! for null itself: it is the system allocator, plus that check.
//!
//! It must never allocate or format: it runs when there is no memory.

use std::alloc::{GlobalAlloc, Layout, System};

/// The system allocator, exiting 125 with one line when it has no memory.
pub struct ExitOnOom;

/// Writes the one line and exits 125 without running anything else.
fn out_of_memory() -> ! {
    const LINE: &[u8] = b"pidone: failed to allocate memory: out of memory\n";
    // std's stderr handle is a static: borrowing its descriptor allocates
    // nothing, and neither does one write from a static buffer.
    let _ = nix::unistd::write(std::io::stderr(), LINE);
    crate::sys::exit_now(125)
}

/// Returns PTR, or exits when it is null.
fn checked(ptr: *mut u8) -> *mut u8 {
    if ptr.is_null() {
        out_of_memory()
    }
    ptr
}

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged, so System's guarantees hold; a null result never returns.
unsafe impl GlobalAlloc for ExitOnOom {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is; see the impl's comment.
        checked(unsafe { System.alloc(layout) })
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is; see the impl's comment.
        checked(unsafe { System.alloc_zeroed(layout) })
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as is; see the impl's comment.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded as is; see the impl's comment.
        checked(unsafe { System.realloc(ptr, layout, new_size) })
    }
}
