//! Containers of ours: a guard per container that removes it (with its
//! anonymous volumes) when dropped, what tests ask of a running one
//! (inspect, its processes, stop, kill, its exit code), and an attached
//! `docker run` whose output is read line by line.

use std::process::Command;
use std::time::{Duration, Instant};

use super::Docker;
use crate::util::engine::{Engine, Process, COMMAND_DEADLINE};
use crate::util::{Captured, Finished, DEADLINE};

/// A container of ours; removed (with its anonymous volumes) when dropped.
pub struct Container {
    pub(super) docker: Docker,
    pub name: String,
}

/// What the tests ask of a container, through the shared [`Engine`].
impl Container {
    /// `docker inspect --format FORMAT` on this container.
    pub fn inspect(&self, format: &str) -> String {
        self.docker.inspect(&self.name, format)
    }

    /// The processes in the container, from its own /proc.
    pub fn processes(&self) -> Vec<Process> {
        self.docker.processes(&self.name)
    }

    /// `docker stop -t TIMEOUT NAME`; returns how long the command took.
    pub fn stop(&self, timeout: u32) -> Duration {
        self.docker.stop(&self.name, timeout)
    }

    /// `docker kill --signal SIGNAL NAME`.
    pub fn kill(&self, signal: &str) {
        self.docker.kill(&self.name, signal);
    }

    /// The exit code Docker recorded (`.State.ExitCode`).
    pub fn exit_code(&self) -> i32 {
        self.docker.exit_code(&self.name)
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = self
            .docker
            .output(["rm", "--force", "--volumes", &self.name]);
    }
}

/// An attached `docker run` (or anything whose stdout is a container's):
/// stdout lines arrive on a channel, stderr is collected.
pub struct Attached {
    // Dropped first: the command is killed before the container goes.
    captured: Captured,
    pub container: Container,
}

impl Attached {
    /// Spawns COMMAND (stdout and stderr piped) for CONTAINER.
    pub fn start(command: Command, container: Container) -> Attached {
        let description = format!("{command:?}");
        Attached {
            captured: Captured::spawn(command, description, true),
            container,
        }
    }

    /// Waits for the exact stdout line WANT; earlier lines are skipped.
    pub fn expect(&mut self, want: &str) {
        let deadline = Instant::now() + DEADLINE;
        while self.captured.next_line(deadline, want) != want {}
    }

    /// The command's stdin, if it was piped (once).
    pub fn take_stdin(&mut self) -> Option<std::process::ChildStdin> {
        self.captured.process.stdin.take()
    }

    /// Waits (bounded) for the command to exit; returns how it ended and
    /// everything it printed. The container stays until `self` is dropped,
    /// so it can still be inspected. (Dropping kills the command first;
    /// the container guard, dropped right after, removes the container.)
    pub fn finish(&mut self) -> Finished {
        self.captured
            .finish(COMMAND_DEADLINE, "the attached command")
    }
}
