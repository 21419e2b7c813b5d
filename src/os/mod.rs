//! The operating system: every system call pidone makes, and what it reads
//! from `/proc`, the cgroup files and the image's `/etc`.
//!
//! Raw calls live in `sys` alone (the crate's only `unsafe`); the rest
//! speaks to the kernel through nix and through `sys`. Nothing here decides
//! policy (that is `run`) or formats what users read (that is `out`).

// Our own view of the environment, read once.
pub mod environment;
// Did the OOM killer fire in our cgroup?
pub mod oom;
// Reading /proc: pid and fd lists, stat lines, small files.
pub mod procfs;
// The signal mask, the signalfd and forwarding.
pub mod signals;
// Fork, the one child side, exec.
pub mod spawn;
// Every raw system call nix cannot carry, with its reason.
pub mod sys;
// `--user`: names from the image's /etc/passwd and /etc/group.
pub mod user;
