//! The arm64 guest: Debian's arm64 kernel under qemu-system-aarch64, with
//! the arm64 pidone and arm64 test child (see `cross`). Every check of
//! guest.sh runs, as PID 1 of a PID namespace and as a subreaper: exit
//! codes and exec failures, deaths by ordinary and real-time signals,
//! forwarding of 14 signals (32, 33 and real-time ones included), 300
//! orphans reaped, leftovers' grace, and the OOM verdict on cgroup v2.
//! Given the amd64 pidone instead, the same guest must pass nothing.

use super::cross::{self, Binaries};
use super::{guest, skip, Arch, Config, Guest};
use crate::util::static_pidone;

/// Every check of guest.sh, by id: ALL must pass in both roles.
const ALL_CHECKS: &[&str] = &[
    "exit-0",
    "exit-1",
    "exit-2",
    "exit-32",
    "exit-64",
    "exit-127",
    "exit-254",
    "exit-255",
    "exit-missing",
    "exit-not-executable",
    "exit-usage",
    "death-9",
    "death-15",
    "death-37",
    "death-64",
    "stop-term-pid1",
    "stop-term-sub",
    "forward-pid1",
    "forward-sub",
    "reap-pid1",
    "reap-sub",
    "grace-pid1",
    "grace-sub",
    "oom-kill-pid1",
    "oom-kill9-pid1",
    "oom-kill-sub",
    "oom-kill9-sub",
];

/// The guest and its binaries, or None (after a loud skip) without them.
fn set_up() -> Option<(Guest, &'static Binaries)> {
    let guest = guest(Arch::Arm64)?;
    match cross::arm64() {
        Ok(binaries) => Some((guest, binaries)),
        Err(why) => skip(Arch::Arm64, &why),
    }
}

#[test]
fn on_an_arm64_kernel_every_behaviour_check_passes() {
    let Some((guest, binaries)) = set_up() else {
        return;
    };
    let console = guest.run(&binaries.pidone, &binaries.testee, &Config::ALL);
    console.assert_passed(ALL_CHECKS);
    console.announce(&format!(
        "every check, pidone from {}",
        binaries.pidone_source
    ));
}

/// The kernel refuses to run an x86-64 pidone; the guest's shell then
/// reads it as a script, which must not pass a single check.
#[test]
fn the_arm64_guest_passes_nothing_with_the_amd64_pidone() {
    let Some((guest, binaries)) = set_up() else {
        return;
    };
    let console = guest.run(static_pidone(), &binaries.testee, &Config::ALL);
    let (passed, failed) = (console.checks("ok"), console.checks("FAIL"));
    if !passed.is_empty() || failed.len() != ALL_CHECKS.len() {
        console.fail(&format!(
            "with the amd64 pidone every check must fail; passed: {passed:?}"
        ));
    }
    console.announce("every check with the amd64 pidone (must fail)");
}
