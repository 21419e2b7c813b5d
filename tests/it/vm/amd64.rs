//! The amd64 guest: Debian's amd64 kernel with cgroup v2, which this
//! machine's cgroup v1 host cannot give the host tests. A child over its
//! cgroup's memory.max is OOM-killed under pidone (as PID 1 and as a
//! subreaper): 137, and pidone's log, termination log and report name the
//! OOM kill; a kill -9 of a child in the same cgroup is 137 with no OOM
//! claim. The same checks in a cgroup with no limit must fail.

use super::{guest, Arch, Config};
use crate::util::{static_pidone, static_testee};

#[test]
fn on_cgroup_v2_an_oom_kill_is_named_and_a_kill_9_is_not() {
    let Some(guest) = guest(Arch::Amd64) else {
        return;
    };
    let config = Config {
        checks: "oom",
        ..Config::ALL
    };
    let console = guest.run(static_pidone(), static_testee(), &config);
    console.assert_passed(&[
        "oom-kill-pid1",
        "oom-kill9-pid1",
        "oom-kill-sub",
        "oom-kill9-sub",
    ]);
    console.announce("the OOM checks on cgroup v2");
}

/// Without a limit the child's 64 MiB fit in the guest, it exits 0, and the
/// OOM checks must say so rather than pass.
#[test]
fn the_oom_checks_fail_in_a_cgroup_without_a_memory_limit() {
    let Some(guest) = guest(Arch::Amd64) else {
        return;
    };
    let config = Config {
        checks: "oom",
        memory_max: "max",
        ..Config::ALL
    };
    let console = guest.run(static_pidone(), static_testee(), &config);
    let failed = console.checks("FAIL");
    if failed != ["oom-kill-pid1", "oom-kill-sub"] {
        console.fail(&format!(
            "expected exactly the two OOM-kill checks to fail, failed: {failed:?}"
        ));
    }
    console.announce("the OOM checks without a memory limit (must fail)");
}
