//! pidone: a minimal PID-1 init for containers. It runs one program as its
//! child, forwards every signal to it, reaps every zombie, and exits with
//! the child's status (N, or 128+S for death by signal S).
//!
//! The library holds everything; `main.rs` is only the C entry point. The
//! split exists so that tests under `tests/` (the parser's property test,
//! the panic hook's) can reach the pure parts without test-only code living
//! among the production modules. Only [`cli`], [`run`] and [`report_panic`]
//! are public API for those tests (and [`Argv`] for `main.rs`); nothing
//! here is a stable library interface.
//!
//! Dependencies point down: `lifecycle` uses everything; `error` and the
//! pure helpers (`signame`, `duration`, `number`) use nothing of ours.

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

// Out of memory: one line and exit 125 instead of Rust's abort.
mod allocator;
// The command line and the environment, turned into a Config.
pub mod cli;
// How the run ended, and the one exit code that follows.
mod ending;
// The few environment variables pidone reads, read once.
mod environment;
// Durations: parsing `500ms`/`2s`/`1m` and showing them.
mod duration;
// pidone's own failures and their exit codes; imports nothing of ours.
pub mod error;
// A child's raw wait status as a Fate, and `-e` remapping.
mod exit_status;
// `--explain CODE`: what an exit code means.
mod explain;
// pidone's own descriptors and working directory.
mod fds;
// Start -> supervise -> shut down -> report: the one place the exit code is made.
mod lifecycle;
// The logger: env_logger writing tini's line shape on stderr.
mod logging;
// Decimal parsing without std's generic machinery.
mod number;
// Did the OOM killer fire in our cgroup?
mod oom;
// Reading /proc.
mod procfs;
// Reaping every exited child.
mod reaper;
// `-r FROM:TO` signal rewriting.
mod rewrite;
// Whole-tree shutdown of leftovers after the main child exits.
mod shutdown;
// The signal mask, the signalfd and forwarding.
mod signals;
// Signal names and numbers.
mod signame;
// Fork, the one child side, exec.
mod spawn;
// The event loop once the child exists; never returns an error.
mod supervisor;
// The files written on the way out, never blocking on a FIFO.
mod out_file;
// `--report`: one JSON line describing the run.
mod report;
// `--termination-log`: one line saying why pidone exited.
mod termination_log;
// Every raw syscall nix cannot carry, with its reason.
mod sys;
// `--user`: resolving names from the image's /etc/passwd and /etc/group.
mod user;

pub use lifecycle::{report_panic, run};
pub use sys::Argv;

/// A start-up arena before the system allocator, and out of memory as one
/// line and exit 125 (see `allocator`).
#[global_allocator]
static ALLOCATOR: allocator::Allocator = allocator::Allocator::new();
