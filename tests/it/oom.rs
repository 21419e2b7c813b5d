//! OOM diagnosis: a child killed by the kernel's OOM killer in pidone's
//! cgroup is reported as such, in the log and in the termination log.
//!
//! The test makes its own memory cgroup (v1 or v2, whichever this machine
//! has writable) with a 32 MiB limit, starts pidone inside it, and has the
//! child allocate until the kernel kills it.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{self, Log, LOGS};

/// A memory cgroup made for one test, removed on drop.
struct Cgroup {
    dir: PathBuf,
}

impl Cgroup {
    /// Makes a cgroup with a 32 MiB limit, or says why it cannot.
    fn new(name: &str) -> Result<Cgroup, String> {
        let limit = (32u64 << 20).to_string();
        let v1 = Path::new("/sys/fs/cgroup/memory");
        let v2 = Path::new("/sys/fs/cgroup");
        let (dir, limit_file) = if v1.join("memory.limit_in_bytes").exists() {
            (v1.join(name), "memory.limit_in_bytes")
        } else if v2.join("cgroup.controllers").exists() {
            let controllers =
                std::fs::read_to_string(v2.join("cgroup.subtree_control")).unwrap_or_default();
            if !controllers.split_whitespace().any(|c| c == "memory") {
                std::fs::write(v2.join("cgroup.subtree_control"), "+memory")
                    .map_err(|e| format!("cannot enable the v2 memory controller: {e}"))?;
            }
            (v2.join(name), "memory.max")
        } else {
            return Err("no cgroup v1 memory controller and no cgroup v2 here".into());
        };
        std::fs::create_dir(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let cgroup = Cgroup { dir };
        std::fs::write(cgroup.dir.join(limit_file), &limit)
            .map_err(|e| format!("cannot set the limit: {e}"))?;
        // Without swap accounting a v1 cgroup could swap instead; this
        // machine kind has no swap, but be explicit where the file exists.
        let _ = std::fs::write(cgroup.dir.join("memory.memsw.limit_in_bytes"), &limit);
        let _ = std::fs::write(cgroup.dir.join("memory.swap.max"), "0");
        Ok(cgroup)
    }
}

impl Drop for Cgroup {
    fn drop(&mut self) {
        // Every process in it is gone by now (pidone reaped them all);
        // removal may race the kernel's own bookkeeping, so retry briefly.
        let dir = self.dir.clone();
        let deadline = std::time::Instant::now() + util::DEADLINE;
        let _ = util::poll_until(deadline, || std::fs::remove_dir(&dir).ok());
    }
}

#[test]
fn an_oom_kill_is_named_in_the_log_and_the_termination_log() {
    for log in LOGS {
        let name = format!("pidone-test-oom-{}-{log:?}", std::process::id());
        let cgroup = match Cgroup::new(&name) {
            Ok(cgroup) => cgroup,
            Err(why) => {
                eprintln!("!!! SKIPPING the OOM test: {why}");
                return;
            }
        };
        let termination_log = std::env::temp_dir().join(format!("{name}.log"));
        // Join the cgroup first, then become pidone as PID 1 inside it.
        let script = r#"echo $$ > "$1/cgroup.procs" && shift && exec "$@""#;
        let mut command = Command::new("sh");
        command
            .args(["-c", script, "sh"])
            .arg(&cgroup.dir)
            .args(["unshare", "--pid", "--fork", "--kill-child", "--mount-proc"])
            .arg(util::pidone())
            .arg("--termination-log")
            .arg(&termination_log)
            .args(["--".as_ref(), util::testee().as_os_str(), "hog".as_ref()])
            .env_remove("PIDONE_LOG");
        if log == Log::Debug {
            command.env("PIDONE_LOG", "debug");
        }
        let out = util::wait_output(
            command
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap(),
            "pidone in a 32 MiB cgroup",
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(137), "{stderr}");
        let warn = stderr
            .lines()
            .find(|l| l.starts_with("[WARN pidone (1)]") && l.contains("OOM killer"))
            .unwrap_or_else(|| panic!("no OOM line in: {stderr}"));
        assert!(warn.contains("was killed by SIGKILL"), "{warn}");
        assert!(warn.contains("memory limit 32 MiB"), "{warn}");
        let written = std::fs::read_to_string(&termination_log).unwrap_or_default();
        assert_eq!(
            written,
            "killed by SIGKILL (137): OOM killer, memory limit 32 MiB\n"
        );
        std::fs::remove_file(&termination_log).unwrap();
        drop(cgroup);
    }
}

#[test]
fn a_plain_sigkill_is_not_called_an_oom_kill() {
    for log in LOGS {
        let out = crate::util::Run::new(crate::util::Mode::Pid1, log)
            .testee(&["raise", "9"])
            .output();
        out.assert_code(137);
        assert!(!out.stderr.contains("OOM"), "{out:#?}");
    }
}
