//! pidone's global allocator: a small start-up arena in front of the
//! system allocator, and out of memory as one line and exit 125.
//!
//! Out of memory. Rust's default reaction to a failed allocation prints
//! "memory allocation of N bytes failed", tries to print a backtrace, and
//! aborts (134; with SIGABRT blocked in pidone, musl's abort then crashes
//! with another signal). The contract gives pidone's own failures 125 and
//! one line, and the stable way to get that is a global allocator that
//! checks for null itself.
//!
//! The arena. pidone's own start-up allocates nothing, but env_logger does
//! when it logs its first line (the not-PID-1 warning every plain
//! `pidone -- app` outside a container prints): its filter, its formatter's
//! shared buffer, the line buffer. musl's malloc sets up each new size
//! class on first use: 3,355 instructions for those three and std's
//! thread-local destructor list (which std asks of musl directly, so it
//! still does), a seventh of pidone's whole start-up (issue 15,
//! docs/benchmarks.md). So the first [`ARENA_SIZE`] bytes come from a
//! static buffer by bumping an offset; the newest block can grow, shrink
//! and be freed in place (what a growing `Vec` and a short-lived buffer
//! do), any other freed block stays used. When the arena is full, or a
//! block needs a larger alignment than the arena's, the system allocator
//! serves it as before. The arena is a fixed size in .bss, so however long
//! pidone runs it can never hold more than that: steady-state allocation is
//! the system allocator's.
//!
//! It must never allocate or format: it runs when there is no memory.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicU64, Ordering};

/// Bytes in the start-up arena: a page, several times what the first log
/// line needs (about 500 bytes), and untouched (no RSS) until used.
pub const ARENA_SIZE: usize = 4096;

/// The largest alignment the arena serves; its buffer is aligned to it.
const ARENA_ALIGN: usize = 16;

/// The arena's bytes. Only ever reached through raw pointers handed out by
/// [`Allocator`], never as a Rust reference.
#[repr(C, align(16))]
struct Bytes(UnsafeCell<[u8; ARENA_SIZE]>);

// SAFETY: the bytes are only reached through pointers to disjoint blocks,
// each handed to one owner by a compare-and-swap of the arena's state.
unsafe impl Sync for Bytes {}

/// The arena's state in one word, so that one compare-and-swap moves it:
/// the offset of the first free byte (every block below it is in use, or
/// was freed out of order and stays used) in the low half, and the offset
/// of the newest block, the one that can grow or go back, in the high half.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct State {
    top: usize,
    newest: usize,
}

impl State {
    fn pack(self) -> u64 {
        (self.newest as u64) << 32 | self.top as u64
    }

    fn unpack(word: u64) -> State {
        State {
            top: (word & 0xFFFF_FFFF) as usize,
            newest: (word >> 32) as usize,
        }
    }
}

/// pidone's global allocator: the arena first, then the system allocator;
/// exits 125 with one line when neither has memory.
pub struct Allocator {
    bytes: Bytes,
    state: AtomicU64,
}

impl Allocator {
    /// An allocator with an empty arena.
    pub const fn new() -> Allocator {
        Allocator {
            bytes: Bytes(UnsafeCell::new([0; ARENA_SIZE])),
            state: AtomicU64::new(0),
        }
    }

    /// The arena's first byte.
    fn base(&self) -> *mut u8 {
        self.bytes.0.get().cast()
    }

    /// PTR's offset in the arena, if it points into it.
    fn offset_of(&self, ptr: *mut u8) -> Option<usize> {
        let offset = (ptr as usize).wrapping_sub(self.base() as usize);
        (offset < ARENA_SIZE).then_some(offset)
    }

    /// Moves the state with NEXT (None: leave it) until a compare-and-swap
    /// takes; the state it set, or None when NEXT declined.
    fn update(&self, next: impl Fn(State) -> Option<State>) -> Option<State> {
        let mut word = self.state.load(Ordering::Relaxed);
        loop {
            let new = next(State::unpack(word))?;
            match self.state.compare_exchange_weak(
                word,
                new.pack(),
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Some(new),
                Err(seen) => word = seen,
            }
        }
    }

    /// A block of SIZE bytes aligned to ALIGN from the arena, if it has
    /// room and ALIGN is one it serves.
    fn bump(&self, size: usize, align: usize) -> Option<*mut u8> {
        if align > ARENA_ALIGN {
            return None;
        }
        let placed = self.update(|now| {
            let start = now.top.checked_next_multiple_of(align)?;
            let top = start.checked_add(size).filter(|&end| end <= ARENA_SIZE)?;
            Some(State { top, newest: start })
        })?;
        Some(self.base().wrapping_add(placed.newest))
    }

    /// A block of SIZE bytes aligned to ALIGN: from the arena while it has
    /// room, else from the system allocator (null when it has none: the
    /// caller checks, inline, so that every caller knows the block is
    /// never null).
    #[inline(never)]
    fn allocate(&self, size: usize, align: usize) -> *mut u8 {
        match self.bump(size, align) {
            Some(ptr) => ptr,
            // SAFETY: the caller's layout (GlobalAlloc::alloc's contract:
            // valid, non-zero size), forwarded as is.
            None => unsafe { System.alloc(Layout::from_size_align_unchecked(size, align)) },
        }
    }

    /// Frees PTR: the newest arena block goes back, an older one stays
    /// used, a system block goes to the system allocator. Takes no size,
    /// so that the many places that free need not compute one.
    #[inline(never)]
    fn free(&self, ptr: *mut u8) {
        match self.offset_of(ptr) {
            Some(start) => {
                let _ = self.update(|now| {
                    (now.newest == start && now.top > start).then_some(State {
                        top: start,
                        newest: start,
                    })
                });
            }
            // SAFETY: a block the system allocator (C malloc) gave out, not
            // yet freed (GlobalAlloc::dealloc's contract).
            None => unsafe { crate::sys::free(ptr) },
        }
    }

    /// PTR (OLD bytes, aligned to ALIGN) resized to NEW bytes.
    #[inline(never)]
    fn resize(&self, ptr: *mut u8, old: usize, align: usize, new: usize) -> *mut u8 {
        let Some(start) = self.offset_of(ptr) else {
            // SAFETY: a live system block and the caller's layout, forwarded
            // as is (GlobalAlloc::realloc's contract).
            return unsafe {
                System.realloc(ptr, Layout::from_size_align_unchecked(old, align), new)
            };
        };
        // The newest block grows or shrinks where it is; any other block
        // shrinks where it is (its tail stays used).
        let in_place = new <= old
            || self
                .update(|now| {
                    let top = start.checked_add(new).filter(|&end| end <= ARENA_SIZE)?;
                    (now.newest == start && now.top > start).then_some(State { top, newest: start })
                })
                .is_some();
        if in_place {
            return ptr;
        }
        let moved = self.allocate(new, align);
        if moved.is_null() {
            return moved;
        }
        // SAFETY: both blocks are live and distinct, and at least OLD bytes
        // long (NEW > OLD here); then the old block is freed.
        unsafe { std::ptr::copy_nonoverlapping(ptr, moved, old) };
        self.free(ptr);
        moved
    }
}

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

// SAFETY: arena blocks are disjoint (each comes from one successful
// compare-and-swap of the state over a range nobody else holds), in bounds,
// aligned as asked (up to ARENA_ALIGN, the buffer's own alignment), and
// only reused after their owner freed them (the top moves down only over
// the newest block, by its owner). Every other call goes to the system
// allocator (C malloc) with a block it gave out. A null result never
// returns.
//
// The methods are thin, with their work out of line and the null check
// inline, as with the system allocator alone (measured, amd64 code): the
// arena inlined into every allocation and free of std and the crates added
// 16.7 KB; out of line, a free taking the block's size made every caller
// compute one (+6.4 KB); a null check out of line left every caller its
// own allocation-failure path (+3.7 KB, over the size budget). As it is:
// +1.3 KB.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        checked(self.allocate(layout.size(), layout.align()))
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        match self.bump(layout.size(), layout.align()) {
            Some(ptr) => {
                // SAFETY: a fresh arena block of layout.size() bytes, zeroed
                // here because it may have been used and freed before.
                unsafe { ptr.write_bytes(0, layout.size()) };
                ptr
            }
            // SAFETY: forwarded as is (calloc: large blocks come as fresh
            // zero pages, never touched here).
            None => checked(unsafe { System.alloc_zeroed(layout) }),
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        self.free(ptr)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        checked(self.resize(ptr, layout.size(), layout.align(), new_size))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh allocator (not the global one), so the tests see its arena
    /// from empty.
    fn fresh() -> Box<Allocator> {
        Box::new(Allocator::new())
    }

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    #[test]
    fn blocks_are_aligned_disjoint_and_the_newest_is_reused() {
        let a = fresh();
        // SAFETY: valid, non-zero layouts, and each block is used
        // within its size and freed once, as GlobalAlloc requires.
        unsafe {
            let first = a.alloc(layout(3, 1));
            let second = a.alloc(layout(8, 8));
            assert_eq!(a.offset_of(first), Some(0));
            assert_eq!(a.offset_of(second), Some(8), "aligned up past the first");
            second.write_bytes(0xAB, 8);
            first.write_bytes(0xCD, 3);
            assert_eq!(*second, 0xAB);
            // The newest block goes back and its room is handed out again.
            a.dealloc(second, layout(8, 8));
            let third = a.alloc(layout(16, 16));
            assert_eq!(a.offset_of(third), Some(16), "16-aligned after byte 3");
            // An older block freed out of order stays used.
            a.dealloc(first, layout(3, 1));
            assert_eq!(State::unpack(a.state.load(Ordering::Relaxed)).top, 32);
        }
    }

    #[test]
    fn the_newest_block_grows_in_place_and_others_move_with_their_bytes() {
        let a = fresh();
        // SAFETY: valid, non-zero layouts, and each block is used
        // within its size and freed once, as GlobalAlloc requires.
        unsafe {
            let old = a.alloc(layout(4, 1));
            old.copy_from_nonoverlapping(b"abcd".as_ptr(), 4);
            let grown = a.realloc(old, layout(4, 1), 100);
            assert_eq!(grown, old, "the newest block grows where it is");
            let other = a.alloc(layout(1, 1));
            let moved = a.realloc(grown, layout(100, 1), 200);
            assert_ne!(moved, grown, "no longer the newest: it moves");
            assert_eq!(std::slice::from_raw_parts(moved, 4), b"abcd");
            a.dealloc(other, layout(1, 1));
        }
    }

    #[test]
    fn what_does_not_fit_comes_from_the_system_allocator() {
        let a = fresh();
        // SAFETY: valid, non-zero layouts, and each block is used
        // within its size and freed once, as GlobalAlloc requires.
        unsafe {
            let table: &[(usize, usize)] = &[(ARENA_SIZE + 1, 1), (8, 64)];
            for &(size, align) in table {
                let ptr = a.alloc(layout(size, align));
                assert_eq!(a.offset_of(ptr), None, "{size} bytes at {align}");
                assert_eq!(ptr as usize % align, 0);
                ptr.write_bytes(1, size);
                a.dealloc(ptr, layout(size, align));
            }
            // Full: the next block is the system's, and growing an arena
            // block past the end moves it there with its bytes.
            let most = a.alloc(layout(ARENA_SIZE - 8, 8));
            assert_eq!(a.offset_of(most), Some(0));
            let spill = a.alloc(layout(16, 8));
            assert_eq!(a.offset_of(spill), None);
            most.write_bytes(7, 8);
            let moved = a.realloc(most, layout(ARENA_SIZE - 8, 8), ARENA_SIZE + 8);
            assert_eq!(a.offset_of(moved), None);
            assert_eq!(*moved, 7);
            a.dealloc(moved, layout(ARENA_SIZE + 8, 8));
            a.dealloc(spill, layout(16, 8));
        }
    }

    #[test]
    fn zeroed_blocks_are_zero_even_where_a_freed_block_was() {
        let a = fresh();
        // SAFETY: valid, non-zero layouts, and each block is used
        // within its size and freed once, as GlobalAlloc requires.
        unsafe {
            let dirty = a.alloc(layout(64, 8));
            dirty.write_bytes(0xFF, 64);
            a.dealloc(dirty, layout(64, 8));
            let clean = a.alloc_zeroed(layout(64, 8));
            assert_eq!(clean, dirty);
            assert!(std::slice::from_raw_parts(clean, 64)
                .iter()
                .all(|&b| b == 0));
        }
    }

    #[test]
    fn threads_never_get_the_same_block() {
        let a: &'static Allocator = Box::leak(fresh());
        let threads: Vec<_> = (0..8u8)
            .map(|id| {
                std::thread::spawn(move || {
                    let mut mine = Vec::new();
                    for _ in 0..20 {
                        // SAFETY: a valid layout; the block is
                        // filled with this thread's id within its size.
                        let ptr = unsafe { a.alloc(layout(24, 8)) };
                        // SAFETY: the 24-byte block just allocated.
                        unsafe { ptr.write_bytes(id, 24) };
                        mine.push(ptr as usize);
                    }
                    std::thread::yield_now();
                    for &ptr in &mine {
                        // SAFETY: this thread's live 24-byte block.
                        let block = unsafe { std::slice::from_raw_parts(ptr as *const u8, 24) };
                        assert!(block.iter().all(|&b| b == id), "block shared");
                    }
                    mine
                })
            })
            .collect();
        let mut all: Vec<usize> = threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 160);
    }
}
