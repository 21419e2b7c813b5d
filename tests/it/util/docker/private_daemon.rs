//! A throwaway second `dockerd` (for pidone as its `--init-path`): started
//! isolated from the machine's daemon, stopped and cleaned up on drop.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use nix::sys::prctl;
use nix::sys::signal::Signal;

use super::Docker;
use crate::util::engine::{unmount_below, Engine, COMMAND_DEADLINE};
use crate::util::{kill, poll_until, TempDir};

/// A throwaway second `dockerd` with its own socket, data root, exec root,
/// pid file and network namespace, no bridge and no iptables rules (so it
/// cannot disturb the main daemon), the vfs storage driver (works on any
/// filesystem) and pidone as its `--init-path`. Stopped, and everything it
/// left removed, when dropped.
pub struct PrivateDaemon {
    pub docker: Docker,
    process: Child,
    log: PathBuf,
    dir: TempDir,
}

impl PrivateDaemon {
    /// Starts the daemon and waits (bounded) until it answers.
    pub fn start(init_path: &Path) -> PrivateDaemon {
        let dir = TempDir::new("dockerd");
        let root = dir.path();
        // An empty config file: the machine's /etc/docker/daemon.json may set
        // data-root too, and dockerd refuses a setting given twice.
        std::fs::write(root.join("daemon.json"), "{}").expect("write daemon.json");
        let log = root.join("dockerd.log");
        let log_file = std::fs::File::create(&log).expect("create the dockerd log");
        let socket = format!("unix://{}", root.join("docker.sock").display());
        // Its own network namespace: with --bridge=none, dockerd deletes the
        // host's `docker0` at start-up (removeDefaultBridgeInterface), which
        // cuts the main daemon's containers off their default network.
        let mut command = Command::new("unshare");
        command
            .args(["--net", "--", "dockerd"])
            .arg("--config-file")
            .arg(root.join("daemon.json"))
            .arg("--data-root")
            .arg(root.join("data"))
            .arg("--exec-root")
            .arg(root.join("exec"))
            .arg("--pidfile")
            .arg(root.join("docker.pid"))
            .args(["--host", &socket])
            .args(["--bridge=none", "--iptables=false", "--storage-driver=vfs"])
            .arg("--init-path")
            .arg(init_path)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("dup the dockerd log"))
            .stderr(log_file);
        // SAFETY: prctl is async-signal-safe. If this test process dies
        // without running Drop, the daemon is told to shut down too (the
        // signal comes when the spawning test thread ends, after Drop).
        unsafe {
            command.pre_exec(|| Ok(prctl::set_pdeathsig(Signal::SIGTERM)?));
        }
        let process = command
            .spawn()
            .unwrap_or_else(|e| panic!("start dockerd (is docker.io installed?): {e}"));
        let mut daemon = PrivateDaemon {
            docker: Docker { host: Some(socket) },
            process,
            log,
            dir,
        };
        let answered = poll_until(Instant::now() + COMMAND_DEADLINE, || {
            if let Ok(Some(status)) = daemon.process.try_wait() {
                panic!("dockerd exited with {status}:\n{}", daemon.log_text());
            }
            let probe = daemon.docker.command(["info"]).output();
            probe.is_ok_and(|out| out.status.success()).then_some(())
        });
        if answered.is_none() {
            panic!("dockerd did not answer in time:\n{}", daemon.log_text());
        }
        daemon
    }

    /// Everything the daemon has logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for PrivateDaemon {
    fn drop(&mut self) {
        // SIGTERM: dockerd stops its containers and its own containerd.
        let _ = kill(self.process.id() as i32, libc::SIGTERM);
        let _ = poll_until(Instant::now() + COMMAND_DEADLINE, || {
            (!matches!(self.process.try_wait(), Ok(None))).then_some(())
        });
        if matches!(self.process.try_wait(), Ok(None)) {
            let _ = self.process.kill();
            let _ = self.process.wait();
            // A SIGKILLed dockerd leaves its containerd running.
            let pidfile = self.dir.path().join("exec/containerd/containerd.pid");
            if let Some(pid) = std::fs::read_to_string(pidfile)
                .ok()
                .and_then(|p| p.trim().parse::<i32>().ok())
            {
                let _ = kill(pid, libc::SIGKILL);
            }
        }
        // Whatever is still mounted below our directory, deepest first.
        unmount_below(self.dir.path());
        // The TempDir field, dropped next, removes the directory.
    }
}
