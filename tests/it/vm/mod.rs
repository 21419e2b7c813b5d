//! Kernel tests in virtual machines: pidone's checks on kernels this
//! machine does not run, a cgroup v2 amd64 kernel (the host is cgroup v1)
//! and an arm64 kernel (the arm64 binary's other tests run under qemu-user,
//! which has no `PR_SET_CHILD_SUBREAPER` and emulates signals in user
//! space). Debian's own kernels boot under qemu-system-* with software
//! emulation (TCG: no KVM here) from an initramfs built here: busybox as
//! the shell, the static pidone and testee of the guest's architecture,
//! and `guest.sh` as `/init`, which runs the checks and reports each on the
//! serial console (see its header for the protocol) before powering off.
//!
//! The kernels and the guests' busybox come from Debian packages that
//! `scripts/vm-setup` (run by `.ci/run`) unpacks into a cache directory,
//! `PIDONE_VM_CACHE` or `/var/cache/pidone-vm`; nothing is downloaded at
//! test time. Without qemu or the cache the tests skip with one loud line,
//! and fail under `CI=true`. A guest that does not power off by
//! [`VM_DEADLINE`] is killed, and every failure shows the whole console.
//!
//! Parts: `cpio` (the initramfs), `cross` (the aarch64 pidone and testee),
//! `amd64` and `arm64` (the tests).

mod amd64;
mod arm64;
mod cpio;
mod cross;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::Captured;
use crate::util::{announce, command_exists, TempDir};

/// How long one guest may take from qemu's start to its power-off: a boot
/// of about ten seconds and checks of under a minute, with room for a
/// machine whose two cores also run the rest of the suite.
const VM_DEADLINE: Duration = Duration::from_secs(300);

/// How long qemu may take to exit once the guest has said its summary.
const POWER_OFF: Duration = Duration::from_secs(30);

/// The guest's RAM: the OOM check's cgroup gets a small part of it, and
/// its child asks for less than the rest (arm64 keeps 64 MiB for CMA).
const GUEST_MEMORY: &str = "256M";

/// The orphans each reaping check makes (`ORPHANS` in guest.sh).
const ORPHANS: u64 = 300;

/// An architecture we boot a kernel of.
#[derive(Clone, Copy, Debug)]
pub enum Arch {
    Amd64,
    Arm64,
}

impl Arch {
    /// Docker's name for it, also the cache's subdirectory.
    fn name(self) -> &'static str {
        match self {
            Arch::Amd64 => "amd64",
            Arch::Arm64 => "arm64",
        }
    }

    /// The emulator and the machine it emulates. amd64: QEMU's default PC,
    /// which boots the uncompressed kernel through its PVH entry (no
    /// decompression under emulation). arm64: the `virt` board with a
    /// Cortex-A57 (QEMU's `max` CPU emulates pointer authentication in
    /// software and boots several times slower).
    fn qemu(self) -> (&'static str, &'static [&'static str]) {
        match self {
            Arch::Amd64 => ("qemu-system-x86_64", &[]),
            Arch::Arm64 => (
                "qemu-system-aarch64",
                &["-machine", "virt", "-cpu", "cortex-a57"],
            ),
        }
    }

    /// The serial console's device in the guest.
    fn console(self) -> &'static str {
        match self {
            Arch::Amd64 => "ttyS0",
            Arch::Arm64 => "ttyAMA0",
        }
    }
}

/// What `scripts/vm-setup` unpacked for one architecture: `kernel`,
/// `busybox` and `packages` (the Debian packages and versions they came
/// from) under `<cache>/<arch>/`.
pub struct Guest {
    arch: Arch,
    dir: PathBuf,
}

/// The cache directory `scripts/vm-setup` fills.
fn cache() -> PathBuf {
    std::env::var_os("PIDONE_VM_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/cache/pidone-vm"))
}

/// Skips (returning None; one loud line per reason, so a fresh machine,
/// which has no cache at all, gets one) or, under `CI=true`, fails because
/// WHY keeps the VM tests of ARCH from running.
pub fn skip<T>(arch: Arch, why: &str) -> Option<T> {
    crate::util::skip(
        &format!("the {} VM tests", arch.name()),
        why,
        "Run scripts/vm-setup as root (.ci/run does)",
    );
    None
}

/// The guest of ARCH, or None (after [`skip`]) when qemu or the unpacked
/// packages are missing.
pub fn guest(arch: Arch) -> Option<Guest> {
    if !cache().is_dir() {
        let why = format!("no kernels to boot ({} does not exist)", cache().display());
        return skip(arch, &why);
    }
    let (qemu, _) = arch.qemu();
    if !command_exists(qemu) {
        return skip(arch, &format!("{qemu} is not installed"));
    }
    let dir = cache().join(arch.name());
    for file in ["kernel", "busybox", "packages"] {
        if !dir.join(file).is_file() {
            return skip(arch, &format!("{} is missing", dir.join(file).display()));
        }
    }
    Some(Guest { arch, dir })
}

/// What the guest runs (guest.sh's /vm/config).
pub struct Config {
    /// The check groups, in order: exit deaths forward reap grace oom.
    pub checks: &'static str,
    /// pidone's roles: `pid1` and/or `sub`.
    pub modes: &'static str,
    /// The OOM cgroup's memory.max (`max` for no limit).
    pub memory_max: &'static str,
}

impl Config {
    /// Every check, in both roles, with a 24 MiB limit for the OOM checks.
    pub const ALL: Config = Config {
        checks: "exit deaths forward reap grace oom",
        modes: "pid1 sub",
        memory_max: "24M",
    };
}

impl Guest {
    /// Boots the guest with PIDONE and TESTEE (static binaries, which
    /// need not be of the guest's architecture) and CONFIG, and returns its
    /// console once it has powered off. Fails, showing the console so far,
    /// if it never reports a summary, or runs past [`VM_DEADLINE`].
    pub fn run(&self, pidone: &Path, testee: &Path, config: &Config) -> Console {
        let read = |path: &Path| {
            std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
        };
        let settings = format!(
            "CHECKS='{}'\nMODES='{}'\nMEMORY_MAX='{}'\n",
            config.checks, config.modes, config.memory_max
        );
        let mut image = cpio::Cpio::new();
        for dir in ["bin", "dev", "proc", "sys", "tmp", "vm"] {
            image.dir(dir);
        }
        image
            .char_device("dev/console", 5, 1)
            .file("init", 0o755, include_bytes!("guest.sh"))
            .file("bin/busybox", 0o755, &read(&self.dir.join("busybox")))
            .file("bin/pidone", 0o755, &read(pidone))
            .file("bin/testee", 0o755, &read(testee))
            // Not executable: the check for exit code 126 runs it.
            .file("vm/config", 0o644, settings.as_bytes());
        let scratch = TempDir::new(&format!("vm-{}", self.arch.name()));
        let initramfs = scratch.path().join("initramfs.cpio");
        std::fs::write(&initramfs, image.finish()).expect("write the initramfs");

        let (qemu, machine) = self.arch.qemu();
        let mut command = Command::new(qemu);
        command
            .args(machine)
            .args(["-accel", "tcg,thread=multi", "-smp", "2"])
            .args(["-m", GUEST_MEMORY])
            // No network card, no display, no monitor: only the serial
            // console, on stdout. -no-reboot turns a kernel panic (panic=-1
            // reboots at once) into qemu's exit.
            .args(["-nodefaults", "-no-user-config", "-display", "none"])
            .args(["-serial", "stdio", "-no-reboot", "-kernel"])
            .arg(self.dir.join("kernel"))
            .arg("-initrd")
            .arg(&initramfs)
            .arg("-append")
            // loglevel=1: kernel messages would break the guest's lines.
            .arg(format!(
                "console={} panic=-1 loglevel=1",
                self.arch.console()
            ))
            .stdin(Stdio::null());
        let started = Instant::now();
        let description = format!("{} guest: {command:?}", self.arch.name());
        let mut qemu = Captured::spawn(command, description, true);
        let deadline = started + VM_DEADLINE;
        let mut console = Console {
            arch: self.arch,
            packages: std::fs::read_to_string(self.dir.join("packages")).unwrap_or_default(),
            lines: Vec::new(),
            boot: None,
            took: Duration::ZERO,
        };
        loop {
            let line = qemu.next_line(deadline, "the guest's summary line");
            if line.starts_with("VM: boot ") {
                console.boot = Some(started.elapsed());
            }
            let done = line.starts_with("VM: summary ");
            console.lines.push(line);
            if done {
                break;
            }
        }
        // `poweroff -f` follows the summary at once: a guest still up long
        // after it will not go down by itself.
        let left = deadline.saturating_duration_since(Instant::now());
        let ended = qemu.finish(left.min(POWER_OFF), "qemu after the guest's summary");
        console.took = started.elapsed();
        if ended.code != Some(0) {
            console.fail(&format!(
                "qemu ended with {:?}/{:?}: {}",
                ended.code, ended.signal, ended.stderr
            ));
        }
        console
    }
}

/// A guest's serial console, as the host test reads it.
pub struct Console {
    arch: Arch,
    packages: String,
    /// Every line, `\r` removed.
    lines: Vec<String>,
    /// From qemu's start to `/init`'s first line.
    boot: Option<Duration>,
    /// From qemu's start to its exit.
    took: Duration,
}

impl Console {
    /// Panics with WHY and the whole console.
    pub fn fail(&self, why: &str) -> ! {
        let mut text = String::new();
        for line in &self.lines {
            let _ = writeln!(text, "    {line}");
        }
        panic!("{} guest: {why}\n  console:\n{text}", self.arch.name())
    }

    /// The ids of the checks that reported STATUS (`ok` or `FAIL`).
    pub fn checks(&self, status: &str) -> Vec<&str> {
        let prefix = format!("VM: {status} ");
        self.lines
            .iter()
            .filter_map(|line| line.strip_prefix(prefix.as_str()))
            .filter_map(|rest| rest.split(':').next())
            .collect()
    }

    /// Every check passed, and REQUIRED are among them (so a guest that
    /// silently ran fewer checks does not pass); the reports agree.
    pub fn assert_passed(&self, required: &[&str]) {
        let (passed, failed) = (self.checks("ok"), self.checks("FAIL"));
        if !failed.is_empty() {
            self.fail(&format!("checks failed: {failed:?}"));
        }
        let missing: Vec<_> = required.iter().filter(|id| !passed.contains(id)).collect();
        if !missing.is_empty() {
            self.fail(&format!("checks never reported: {missing:?}"));
        }
        self.check_reports();
    }

    /// pidone's `--report` of check ID, read as JSON.
    fn report(&self, id: &str) -> serde_json::Value {
        let prefix = format!("VM: report {id} ");
        let Some(json) = self.lines.iter().find_map(|l| l.strip_prefix(&prefix)) else {
            self.fail(&format!("no report for {id}"))
        };
        serde_json::from_str(json)
            .unwrap_or_else(|e| self.fail(&format!("the report of {id} is not JSON: {e}")))
    }

    /// Every report agrees with what its check did: the OOM kill is
    /// `oom_killed` and the kill -9 is not, every orphan is counted, and
    /// the leftovers were one that exited in the grace period and one
    /// that was killed.
    fn check_reports(&self) {
        let ids: Vec<&str> = self
            .lines
            .iter()
            .filter_map(|l| l.strip_prefix("VM: report "))
            .filter_map(|rest| rest.split(' ').next())
            .collect();
        for id in ids {
            let report = self.report(id);
            let expected = if id.starts_with("oom-kill-") {
                serde_json::json!({"exit_code": 137, "child.signal": "SIGKILL", "child.oom_killed": true})
            } else if id.starts_with("oom-kill9-") {
                serde_json::json!({"exit_code": 137, "child.signal": "SIGKILL", "child.oom_killed": false})
            } else if id.starts_with("reap-") {
                serde_json::json!({"exit_code": 143, "orphans_reaped": ORPHANS})
            } else if id.starts_with("grace-") {
                serde_json::json!({"exit_code": 7, "leftovers.found": 2,
                    "leftovers.exited_in_grace": 1, "leftovers.killed": 1})
            } else {
                self.fail(&format!("a report from an unknown check {id}"))
            };
            for (key, want) in expected.as_object().into_iter().flatten() {
                let got = key.split('.').fold(&report, |value, part| &value[part]);
                if got != want {
                    self.fail(&format!("report of {id}: {key} is {got}, expected {want}"));
                }
            }
        }
    }

    /// Says on stderr what ran and how long it took.
    pub fn announce(&self, what: &str) {
        let boot = self
            .boot
            .map_or("?".into(), |b| format!("{:.1} s", b.as_secs_f64()));
        announce(&format!(
            "vm: {} guest ({}), {what}: booted in {boot}; checks ok {}, FAIL {}; \
             {:.1} s in all",
            self.arch.name(),
            self.packages.trim().replace('\n', "; "),
            self.checks("ok").len(),
            self.checks("FAIL").len(),
            self.took.as_secs_f64()
        ));
    }
}
