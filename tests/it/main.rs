//! pidone's integration tests: one binary, one module per behaviour. Every
//! test runs the real pidone as PID 1 of a fresh PID namespace and, where it
//! makes sense, as a subreaper outside one, with logging at its default and
//! at debug.

// The harness: the binaries, running pidone, awaiting lines, reading /proc,
// signalling, and the Docker and Podman set-ups.
mod util;

// Exit codes: N, 128+S, -e remaps, 127/126 for exec failures.
mod exit_codes;
// Every signal sent to pidone reaches the child (or its group with -g).
mod signals;
// Orphans are reaped, as PID 1 and as subreaper.
mod reaping;
// The child starts with pidone's original signal mask and ignored set.
mod signal_mask;
// Options, environment, usage errors, --help, --version and --explain.
mod cli;
// CHANGELOG.md has a dated section for the version Cargo.toml gives.
mod changelog;
// When the main child exits, leftovers get SIGTERM, a grace period, SIGKILL.
mod shutdown;
// During a stop, leftovers get until they exit; a second signal ends that.
mod stop_grace;
// --kill-after: SIGKILL a child that outlives a terminating signal.
mod kill_after;
// -r FROM:TO rewrites or drops signals before forwarding.
mod rewrite;
// Embedded mode: pidone::launch() changes nothing outside PID 1 and in the
// child; the example program as the only file of a scratch image.
mod embedded;
// --pause: no program, reap orphans, exit 0 on TERM/INT.
mod pause;
// A child killed by the OOM killer is named as such.
mod oom;
// --termination-log: one line saying why pidone exited.
mod termination_log;
// --report with --stop-after and --stop-signal: the shutdown drill's JSON.
mod report;
// --user and --workdir: the child's identity and directory.
mod identity;
// pidone pins no directory or descriptor; socket activation's LISTEN_PID.
mod neighbour;
// Ctrl-C on a terminal reaches the app in the foreground.
mod tty;
// An idle pidone never wakes up.
mod idle;
// The shipped release build is static, position-independent and small.
mod static_binary;
// pidone in Docker end to end: exit codes, docker stop, kill, zombies, TTY,
// OOM, whole-tree shutdown, and pidone as dockerd's --init-path.
mod docker;
// pidone under Podman: --init-path, the image's ENTRYPOINT, a pod's infra.
mod podman;
// docs/pid1.md: every experiment in the guide prints what the guide says.
mod guide;
// Stress: a 10,000-signal storm, 5,000 orphans, and the race at exit.
mod stress;
// A failed reaping pass or signalfd read is tried again with a back-off.
mod retry;
// Faults: fork limits, descriptor exhaustion, hostile and stop signals,
// stopped leftovers, a stderr nobody reads.
mod faults;
// Bad input: 30+ malformed invocations and variables, each exit 2 with
// one line; bad variables overridden by flags; pass-through after PROGRAM.
mod bad_input;
// docs/recipes.md: real servers from Debian under pidone, stopped as
// `docker stop` does, with and without each recipe's flags.
mod recipes;
// Real kernels under qemu-system-*: the OOM verdict on cgroup v2 (amd64),
// and the behaviour checks on an arm64 kernel with the arm64 binary.
mod vm;
