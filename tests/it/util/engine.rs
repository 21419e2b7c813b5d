//! A container engine's command line, once for Docker and Podman: both
//! take the same words for what the tests ask of them (`run`, `inspect
//! --format`, `exec`, `stop --time`, `kill --signal`, `logs`), so each
//! engine says only how to make its command ([`Engine::command`]: the
//! daemon to talk to, the configuration to use) and everything else is
//! here. Every command runs under a deadline, with stdin empty: an engine
//! reading the test's stdin would wait for ever.
//!
//! Also what both engines leave behind when killed in a hurry: mounts
//! below their private directories ([`unmount_below`]).

use std::ffi::OsStr;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use super::command::{run_with_deadline, succeed};
use super::names::{label, unique};
use super::{poll_until, DEADLINE};

/// How long one engine command other than an image build may take (a
/// cold vfs import on a slow disk).
pub const COMMAND_DEADLINE: Duration = Duration::from_secs(60);

/// Docker or Podman: how to make its command; the rest is shared.
pub trait Engine {
    /// The engine's command (`docker`, `podman`) with its set-up and ARGS,
    /// stdin empty.
    fn command<S: AsRef<OsStr>>(&self, args: impl IntoIterator<Item = S>) -> Command;

    /// Runs `ENGINE ARGS` to completion under a deadline.
    fn output<S: AsRef<OsStr>>(&self, args: impl IntoIterator<Item = S>) -> Output {
        run_with_deadline(self.command(args), COMMAND_DEADLINE)
    }

    /// Runs `ENGINE ARGS`, which must succeed; returns its trimmed stdout.
    fn ok<S: AsRef<OsStr>>(&self, args: impl IntoIterator<Item = S>) -> String {
        succeed(self.command(args), COMMAND_DEADLINE)
    }

    /// Runs `ENGINE ARGS`, which must succeed; returns how long it took.
    fn timed<S: AsRef<OsStr>>(&self, args: impl IntoIterator<Item = S>) -> Duration {
        let start = Instant::now();
        self.ok(args);
        start.elapsed()
    }

    /// A `run --name NAME` command for IMAGE with ARGS, with our label,
    /// no network, and OPTIONS; not started.
    fn run_command(&self, name: &str, options: &[&str], image: &str, args: &[&str]) -> Command {
        let mut command = self.command(["run", "--name", name, "--label", &label()]);
        command
            .args(["--network", "none"])
            .args(options)
            .arg(image)
            .args(args);
        command
    }

    /// Starts `run --detach` (see [`Engine::run_command`]) under a unique
    /// name, which it returns.
    fn run_detached(&self, options: &[&str], image: &str, args: &[&str]) -> String {
        let name = unique("run");
        let options = [&["--detach"], options].concat();
        succeed(
            self.run_command(&name, &options, image, args),
            COMMAND_DEADLINE,
        );
        name
    }

    /// `inspect --format FORMAT NAME`, trimmed.
    fn inspect(&self, name: &str, format: &str) -> String {
        self.ok(["inspect", "--format", format, name])
    }

    /// The exit code the engine recorded for container NAME.
    fn exit_code(&self, name: &str) -> i32 {
        self.state_number(name, "ExitCode")
    }

    /// The host pid of container NAME's PID 1.
    fn host_pid(&self, name: &str) -> i32 {
        self.state_number(name, "Pid")
    }

    /// The number in container NAME's `.State.FIELD`.
    fn state_number(&self, name: &str, field: &str) -> i32 {
        let value = self.inspect(name, &format!("{{{{.State.{field}}}}}"));
        value
            .parse()
            .unwrap_or_else(|_| panic!("{field} of {name}: {value:?}"))
    }

    /// `exec NAME ARGS`, which must succeed; its stdout.
    fn exec(&self, name: &str, args: &[&str]) -> String {
        self.ok([&["exec", name], args].concat())
    }

    /// The processes in container NAME, from its own /proc (`exec …
    /// testee ps`, which lists itself too).
    fn processes(&self, name: &str) -> Vec<Process> {
        parse_ps(&self.exec(name, &["testee", "ps"]))
    }

    /// `stop --time TIMEOUT NAME`; returns how long the command took.
    fn stop(&self, name: &str, timeout: u32) -> Duration {
        self.timed(["stop", "--time", &timeout.to_string(), name])
    }

    /// `kill --signal SIGNAL NAME`, SIGNAL as users write it (`USR1`,
    /// `SIGHUP`, `RTMIN+3`, `40`).
    fn kill(&self, name: &str, signal: &str) {
        self.ok(["kill", "--signal", signal, name]);
    }

    /// Waits (bounded) until container NAME's log has the line WANT: the
    /// app's `ready`, printed once its set-up is done.
    fn await_log_line(&self, name: &str, want: &str) {
        let found = poll_until(Instant::now() + DEADLINE, || {
            let out = self.output(["logs", name]);
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .any(|line| line == want)
                .then_some(())
        });
        if found.is_none() {
            let out = self.output(["logs", name]);
            panic!("{name} never printed {want:?}: {out:#?}");
        }
    }
}

/// One process in a container, from a line of `testee ps`.
#[derive(Debug)]
pub struct Process {
    pub pid: i32,
    pub ppid: i32,
    pub state: char,
    /// Its command line, words joined by spaces (`[NAME]` for a zombie).
    pub command: String,
}

/// The processes in LISTING, the output of `testee ps` (a header line,
/// then `PID PPID STATE COMMAND...`).
fn parse_ps(listing: &str) -> Vec<Process> {
    listing
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let (pid, ppid, state) = (fields.next()?, fields.next()?, fields.next()?);
            Some(Process {
                pid: pid.parse().ok()?,
                ppid: ppid.parse().ok()?,
                state: state.chars().next()?,
                command: fields.collect::<Vec<_>>().join(" "),
            })
        })
        .collect()
}

/// Detaches every mount below ROOT, deepest first: what an engine killed
/// in a hurry (a private dockerd, a private Podman) left mounted.
pub fn unmount_below(root: &std::path::Path) {
    let root = root.to_string_lossy().into_owned();
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let mut mounts: Vec<&str> = mountinfo
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .filter(|m| m.starts_with(&root))
        .collect();
    mounts.sort_by_key(|m| std::cmp::Reverse(m.len()));
    for mount in mounts {
        if let Ok(path) = std::ffi::CString::new(mount) {
            // Raw: nix's `mount` feature is not among those the crate
            // builds nix with, and the tests share pidone's nix.
            // SAFETY: a valid NUL-terminated path.
            unsafe { libc::umount2(path.as_ptr(), libc::MNT_DETACH) };
        }
    }
}
