//! pidone under a real Podman, rootful, the three ways people use it:
//! Podman's own `--init` with `--init-path` pointing at pidone, pidone as
//! the image's ENTRYPOINT (as `Dockerfile.example` has it), and pidone as a
//! pod's infra process. Every image holds only `/pidone` and `/bin/testee`,
//! the static builds of this run (see util::podman for the private Podman
//! set-up and why each part of it is there). Each scenario is what a user
//! sees from `podman run`, `podman stop`, `podman exec` and `podman
//! inspect`. Without Podman these tests skip loudly, except under
//! `CI=true`, where they fail.

use std::os::unix::fs::MetadataExt;
use std::time::Duration;

use crate::util::podman::{self, Podman, ENTRYPOINT, PLAIN};
use crate::util::{self, announce, poll, Engine};

/// How long `podman stop` (or `podman pod stop`) may take when pidone
/// forwards the SIGTERM: Podman's own round trip is about 150 ms here.
/// Without a working init the app ignores the signal and Podman waits out
/// its `-t 10` before SIGKILL (137).
const INSTANT: Duration = Duration::from_secs(1);

/// Waits (bounded) until the container NAME's PID 1 (pidone) has started
/// its child. pidone blocks every signal before it forks, so from then on
/// a SIGTERM is queued for it; one sent earlier would hit a PID 1 with no
/// handler and be dropped, and the stop would wait out its timeout.
fn await_app_started(podman: &Podman, name: &str) -> i32 {
    let init = podman.host_pid(name);
    poll(name, "pidone to start the app", || {
        (!util::children(init).is_empty()).then_some(())
    });
    init
}

#[test]
fn podman_run_init_path_pidone_passes_the_exit_code_and_stops_a_sleeping_app_at_once() {
    let Some(podman) = podman::podman() else {
        return;
    };
    let pidone = util::static_pidone().to_str().expect("a UTF-8 path");
    let init = ["--init", "--init-path", pidone];

    // The exit code passes through, and the app's parent is Podman's init.
    let mut argv = vec!["run", "--rm", "--network", "none"];
    argv.extend(init);
    argv.extend([PLAIN, "testee", "hello", "3"]);
    let out = podman.output(argv);
    assert_eq!(out.status.code(), Some(3), "{out:#?}");
    let said = String::from_utf8_lossy(&out.stdout);
    let pid = said
        .strip_prefix("app is PID ")
        .and_then(|rest| rest.strip_suffix(" under podman-init\n"))
        .and_then(|pid| pid.parse::<u32>().ok());
    assert!(pid.is_some_and(|pid| pid > 1), "{out:#?}");

    // `podman stop` of an app with no signal handler (`sleep`).
    let name = podman.run_detached(&init, PLAIN, &["testee", "sleep", "1000"]);
    let host_pid = await_app_started(&podman, &name);
    // PID 1 is Podman's init (bind-mounted at /run/podman-init), and that
    // file is our pidone.
    let cmdline = std::fs::read_to_string(format!("/proc/{host_pid}/cmdline")).unwrap_or_default();
    let words: Vec<&str> = cmdline.split_terminator('\0').collect();
    assert_eq!(words, ["/run/podman-init", "--", "testee", "sleep", "1000"]);
    let exe = std::fs::metadata(format!("/proc/{host_pid}/exe")).expect("stat PID 1's exe");
    let ours = std::fs::metadata(pidone).unwrap();
    assert_eq!((exe.dev(), exe.ino()), (ours.dev(), ours.ino()));

    stops_at_once_with_143(
        &podman,
        &name,
        "podman run --init --init-path pidone … testee sleep 1000",
    );
}

#[test]
fn podman_with_pidone_as_the_entrypoint_reaps_zombies_and_stops_with_143() {
    let Some(podman) = podman::podman() else {
        return;
    };
    let app = ["testee", "sleep", "1000"];
    let name = podman.run_detached(&[], ENTRYPOINT, &app);
    // The control: testee itself as PID 1 never reaps. It proves that the
    // orphans of `podman exec` go to PID 1, and that `testee ps` sees them.
    let control = podman.run_detached(&["--entrypoint", "/bin/testee"], ENTRYPOINT, &app[1..]);
    for container in [&name, &control] {
        podman.ok(["exec", container, "testee", "spawn-zombies", "50"]);
    }
    poll(&control, "50 zombies without an init", || {
        let zombies = podman
            .processes(&control)
            .iter()
            .filter(|p| p.state == 'Z')
            .count();
        (zombies == 50).then_some(())
    });
    // Under pidone all 50 are gone, not just dead: only pidone, the app and
    // `testee ps` itself are left.
    let left = poll(&name, "every orphan reaped under pidone", || {
        let all = podman.processes(&name);
        (all.len() == 3 && all.iter().all(|p| p.state != 'Z')).then_some(all)
    });
    let init = left.iter().find(|p| p.pid == 1);
    assert!(
        init.is_some_and(|p| p.command == "/pidone -- testee sleep 1000"),
        "{left:#?}"
    );
    assert!(
        left.iter()
            .any(|p| p.ppid == 1 && p.command == "testee sleep 1000"),
        "the app must still run, as pidone's child: {left:#?}"
    );

    // The app runs as pidone's child (seen just above), so pidone has
    // blocked its signals and the stop cannot be dropped.
    stops_at_once_with_143(
        &podman,
        &name,
        "podman with ENTRYPOINT [\"/pidone\", \"--\"], 50 orphans reaped",
    );
}

/// `podman stop` on container NAME (the app, testee sleep, has no SIGTERM
/// handler) ends it at once with 143; announces how long it took, as WHAT.
fn stops_at_once_with_143(podman: &Podman, name: &str, what: &str) {
    let took = podman.stop(name, 10);
    let code = podman.exit_code(name);
    announce(&format!(
        "{what}: podman stop took {:.2} s, exit {code}",
        took.as_secs_f64()
    ));
    assert_eq!(code, 143);
    assert!(took < INSTANT, "podman stop took {took:?}");
}

#[test]
fn podman_pod_with_pidone_as_its_infra_process_stops_with_0_and_the_app_with_143() {
    let Some(podman) = podman::podman() else {
        return;
    };
    let pod = util::unique("pod");
    // --share ...,pid: the app's processes live in the infra's PID
    // namespace, with `pidone -P` as their PID 1 (Kubernetes'
    // shareProcessNamespace). Without it the app is PID 1 of its own
    // namespace, ignores SIGTERM, and only dies of SIGKILL (137) after the
    // stop timeout: the app then needs its own init.
    podman.ok([
        "pod",
        "create",
        "--name",
        &pod,
        "--network",
        "none",
        "--share",
        "ipc,net,uts,pid",
        "--infra-image",
        PLAIN,
        "--infra-command",
        "/pidone -P",
    ]);
    let infra = podman.ok(["pod", "inspect", "--format", "{{.InfraContainerID}}", &pod]);
    let app = podman.run_detached(&["--pod", &pod], PLAIN, &["testee", "pause"]);
    podman.await_log_line(&app, "ready");
    let state = podman.ok(["pod", "inspect", "--format", "{{.State}}", &pod]);
    assert_eq!(state, "Running");
    let all = podman.processes(&app);
    let init = all.iter().find(|p| p.pid == 1);
    assert!(
        init.is_some_and(|p| p.command == "/pidone -P"),
        "the pod's PID 1 must be pidone -P: {all:#?}"
    );

    let took = podman.timed(["pod", "stop", "--time", "10", &pod]);
    let (infra_code, app_code) = (podman.exit_code(&infra), podman.exit_code(&app));
    announce(&format!(
        "podman pod with --infra-command '/pidone -P': podman pod stop took {:.2} s, \
         infra exit {infra_code}, app exit {app_code}",
        took.as_secs_f64()
    ));
    assert_eq!(infra_code, 0, "the infra's exit code");
    assert_eq!(app_code, 143, "the app's exit code");
    assert!(took < INSTANT, "podman pod stop took {took:?}");
}
