//! The C entry point, and nothing else: everything pidone does lives in the
//! library (`lib.rs`), starting at [`pidone::run`].
//!
//! pidone has its own C `main` (`#![no_main]`) instead of Rust's: Rust's
//! runtime sets SIGPIPE to ignored before `main` runs, and the child would
//! inherit that ignore through exec (an app that ignores SIGPIPE by
//! accident never dies in `app | head`). With our own entry point pidone's
//! dispositions stay exactly as the runtime that started it set them.
#![no_main]

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
    libc::c_int::from(pidone::run(argv))
}
