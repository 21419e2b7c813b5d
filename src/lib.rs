//! pidone: a minimal init for Linux containers. It runs one program as its
//! child, forwards every signal to it, reaps every zombie, and exits with
//! the child's status (N, or 128+S for death by signal S).
//!
//! This crate is the `pidone` binary and a library that puts the same init
//! inside your own program. One line, first in `main`:
//!
//! ```
//! fn main() -> Result<(), pidone::Error> {
//!     pidone::launch()?;
//!     // Your program, as it always was.
//!     Ok(())
//! }
//! ```
//!
//! When the process is PID 1 (the `ENTRYPOINT` of a container),
//! [`launch`] starts the same program again (`/proc/self/exe`, the same
//! argv and environment) as its child and stays behind as that child's
//! init: it forwards every signal, reaps every orphan, and exits with the
//! child's status, exactly as the `pidone` binary does. It never returns
//! there. In the child, and in any process that is not PID 1, it returns
//! `Ok(())` at once and changes nothing: signal mask, dispositions,
//! descriptors, environment and working directory stay as the program
//! started with them. So a single static binary `FROM scratch` behaves
//! under `docker stop` as if it had an init in front of it.
//!
//! [`launch`] reads the same `PIDONE_*` variables as the binary
//! (`PIDONE_GRACE=10s`, `PIDONE_REWRITE=TERM:QUIT`, `PIDONE_REPORT=…`);
//! [`Init`] sets them in code. The behaviour contract, the options and the
//! exit codes are in the README.
//!
//! Linking the crate changes nothing in your program until it calls
//! [`launch`]: no allocator, no logger, no signal handler, no thread, no
//! code run at load time.

#![warn(missing_docs)]
// An init must not panic: no unwrap, expect, panic or slice indexing in
// pidone's own code (tests may). Enforced by `cargo clippy -- -D warnings`.
// indexing_slicing does not cover `&text[a..b]` on a str (which panics off
// a char boundary); string_slice does.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::string_slice,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]

// pidone's own failures and their exit codes.
mod error;
// The module graph, read from the source: no two files import each other.
#[cfg(test)]
mod layers;
// The public builder and `launch()`: embedded mode's front door.
mod init;
// The operating system: syscalls, /proc, cgroups, the image's /etc.
mod os;
// What pidone says: the log, its answers, the termination log, the report.
mod out;
// A run from start to exit code: supervise, shut down, report.
mod run;
// Pure text: the command line, names, numbers, exit codes, explanations.
mod text;

pub use error::Error;
pub use init::{launch, Init};
pub use os::sys::Argv;

/// The `pidone` command line, from start to exit code: what the `pidone`
/// binary's `main` runs, for a binary of your own that is pidone (a
/// multi-call binary, say).
///
/// Call it first thing in a C-style entry point (`#![no_main]`), before
/// Rust's runtime can change any signal disposition: the child inherits
/// them. Build ARGV with [`Argv::from_raw`].
pub fn run_command_line(argv: Argv) -> u8 {
    run::command_line(argv)
}
