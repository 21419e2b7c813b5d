//! The C entry point, and nothing else: everything pidone does lives in the
//! library (`lib.rs`), starting at [`pidone::run`].
//!
//! pidone has its own C `main` (`#![no_main]`) instead of Rust's: Rust's
//! runtime sets SIGPIPE to ignored before `main` runs, and the child would
//! inherit that ignore through exec (an app that ignores SIGPIPE by
//! accident never dies in `app | head`). With our own entry point pidone's
//! dispositions stay exactly as the runtime that started it set them.
#![no_main]

use std::ffi::{CStr, OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

/// The process entry point, called by the C runtime.
///
/// # Safety
/// `argv` must hold `argc` valid NUL-terminated strings, as the C runtime
/// guarantees for `main`.
#[no_mangle]
unsafe extern "C" fn main(argc: libc::c_int, argv: *const *const libc::c_char) -> libc::c_int {
    let count = usize::try_from(argc).unwrap_or(0);
    // Skip argv[0]; the kernel may even pass argc == 0.
    let args = (1..count).map(|i| {
        // SAFETY: i < argc, and the C runtime guarantees argv[0..argc] are
        // valid NUL-terminated strings that live for the process.
        let arg = unsafe { CStr::from_ptr(*argv.add(i)) };
        OsStr::from_bytes(arg.to_bytes()).to_owned()
    });
    libc::c_int::from(pidone::run(args.collect::<Vec<OsString>>()))
}
