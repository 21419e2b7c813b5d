//! Embedded mode: `pidone::launch()` first in a program's `main`. The
//! behaviours it shares with the binary (forwarding, reaping, exit codes,
//! the report, the child's signal mask) run in the suite's matrix
//! (`util::with_embedded`); here is what is its own:
//!
//! - outside PID 1, and in the child, `launch()` changes nothing: the
//!   signal mask and dispositions, descriptors, environment and working
//!   directory read from /proc before and after are the same;
//! - with a subreaper asked for, outside PID 1, the program becomes its own
//!   init, and the copy it starts runs as the program;
//! - a program that already runs threads, or a malformed `PIDONE_*`
//!   variable, gets an error and nothing changed;
//! - `examples/embedded.rs` as the only file of a `FROM scratch` image:
//!   `docker stop`, `docker kill -s USR1`, orphans, exit codes, the report.
//!
//! The test child becomes a program with pidone embedded under the name
//! `testee-embedded` (see tests/helper/main.rs).

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::util::{self, announce, docker, Engine, TempDir};

/// `testee with-signals BLK IGN testee-embedded ARGS...` in a fresh PID
/// namespace when PID1 (testee-embedded is then its PID 1), plainly
/// otherwise; with the variables ENV. Returns (exit code, stdout).
fn embedded(pid1: bool, env: &[(&str, &str)], args: &[&str]) -> (Option<i32>, String) {
    let mut line: Vec<String> = vec![];
    if pid1 {
        line.extend(
            ["unshare", "--pid", "--fork", "--kill-child", "--mount-proc"].map(String::from),
        );
    }
    line.push(util::testee().display().to_string());
    line.extend(["with-signals", "0000000000001200", "0000000000000800"].map(String::from));
    line.push(util::testee_embedded().display().to_string());
    line.extend(args.iter().map(|a| a.to_string()));
    let mut command = Command::new(&line[0]);
    command.args(&line[1..]).stdin(Stdio::null());
    for (var, _) in std::env::vars_os() {
        if var.to_string_lossy().starts_with("PIDONE_") {
            command.env_remove(var);
        }
    }
    command.envs(env.iter().copied());
    let out = util::run_with_deadline(command, util::DEADLINE);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{line:?}: {:?}\n{stdout}{stderr}", out.status.code());
    (out.status.code(), stdout)
}

/// What `launch-probe` prints when `launch` returned and the signal mask
/// and dispositions are those `with-signals` gave the program (SIGUSR1 and
/// SIGPIPE blocked, SIGUSR2 ignored).
fn assert_launch_left_the_state_as_given(out: &str) {
    assert!(
        out.contains("launch returned Ok(())\nlaunch changed nothing\n"),
        "{out}"
    );
    assert!(out.contains("SigBlk:\t0000000000001200\n"), "{out}");
    assert!(out.contains("SigIgn:\t0000000000000800\n"), "{out}");
}

#[test]
fn outside_pid1_launch_returns_and_changes_nothing() {
    let (code, out) = embedded(false, &[], &["launch-probe"]);
    assert_eq!(code, Some(0), "{out}");
    // The probe sees the state it was started with.
    assert_launch_left_the_state_as_given(&out);
    assert!(out.contains("Threads:\t1\n"), "{out}");
}

#[test]
fn in_the_child_launch_returns_and_the_child_has_what_the_program_was_given() {
    let env = [("PIDONE_PROBE_MARK", "x=y")];
    let (code, out) = embedded(true, &env, &["launch-probe"]);
    assert_eq!(code, Some(0), "{out}");
    // Printed by the child: PID 1 became the init and never printed. The
    // init restored the mask and left the dispositions as given.
    assert_launch_left_the_state_as_given(&out);
    assert!(out.contains("env PIDONE_PROBE_MARK=x=y\n"), "{out}");
    // Descriptors 0-2 and what the test hands down, none of the init's
    // own (its signalfd is close-on-exec).
    let fds: Vec<&str> = out.lines().filter(|l| l.starts_with("fd ")).collect();
    assert!(fds.iter().any(|l| l.starts_with("fd 2 ")), "{out}");
    assert!(!fds.iter().any(|l| l.contains("signalfd")), "{out}");
}

#[test]
fn with_a_subreaper_asked_for_outside_pid1_the_program_is_its_own_init() {
    let env = [("PIDONE_SUBREAPER", "1"), ("PIDONE_LOG", "debug")];
    let (code, out) = embedded(false, &env, &["hello", "7"]);
    assert_eq!(code, Some(7), "{out}");
    // The program runs as the child of its copy that became the init.
    assert!(
        out.contains("app is PID ") && out.contains(" under testee-embedded"),
        "{out}"
    );
    // The init's child, asked again for a subreaper, stays the program:
    // had it become an init too, the program would run a level lower.
    let (code, out) = embedded(false, &env, &["launch-probe"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("launch returned Ok(())\nlaunch changed nothing\n"),
        "{out}"
    );
}

#[test]
fn a_program_that_already_runs_threads_gets_an_error_and_goes_on() {
    let (code, out) = embedded(true, &[], &["launch-after-thread"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("launch returned Err(\"failed to become the init: the process runs 2 threads; launch() must come first in main\")"),
        "{out}"
    );
}

#[test]
fn a_malformed_variable_is_an_error_everywhere() {
    for pid1 in [false, true] {
        let (code, out) = embedded(pid1, &[("PIDONE_GRACE", "soon")], &["exit", "0"]);
        assert_eq!(code, Some(2), "{out}");
        assert!(
            out.contains("pidone: invalid duration 'soon' for PIDONE_GRACE"),
            "{out}"
        );
    }
}

/// The static `examples/embedded.rs`, the only file of an image.
fn embedded_image(docker: &docker::Docker) -> docker::Image {
    let binary = util::static_build(["--example", "embedded"], "examples/embedded");
    docker.build_image(&[(&binary, "/embedded")], r#"ENTRYPOINT ["/embedded"]"#)
}

#[test]
fn the_embedded_example_is_its_own_init_in_a_scratch_image() {
    let Some(docker) = docker::docker() else {
        return;
    };
    let image = embedded_image(&docker);
    let out = TempDir::new("embedded");
    let volume = format!("{}:/out", out.path().display());
    let options = ["--volume", &volume, "-e", "PIDONE_REPORT=/out/report.json"];
    let mut run = docker.run_attached(&options, &image, &[]);
    run.expect("embedded: ready");
    // The worker's orphans were re-parented to PID 1, and it reaps them.
    let init = docker.host_pid(&run.container.name);
    util::poll("embedded", "no zombie and only the program left", || {
        let left = util::descendants(init);
        (left.len() == 1 && util::zombies_of(init).is_empty()).then_some(())
    });
    run.container.kill("USR1");
    run.expect("embedded: got SIGUSR1");
    let took = run.container.stop(10);
    let ended = run.finish();
    announce(&format!(
        "embedded example in a FROM scratch image: docker stop took {:.2} s",
        took.as_secs_f64()
    ));
    assert!(
        ended.stdout.contains("embedded: shut down cleanly"),
        "{ended:#?}"
    );
    assert_eq!(ended.code, Some(0), "{ended:#?}");
    assert!(took < Duration::from_secs(1), "{took:?}");
    let report = std::fs::read_to_string(out.path().join("report.json"))
        .unwrap_or_else(|e| panic!("the report: {e}; {ended:#?}"));
    let report: serde_json::Value = serde_json::from_str(&report).expect("JSON");
    assert_eq!(report["exit_code"], 0, "{report}");
    assert_eq!(report["stop"]["signal"], "SIGTERM", "{report}");
    assert_eq!(report["orphans_reaped"], 5, "{report}");
}

#[test]
fn the_embedded_examples_exit_codes_reach_docker() {
    let Some(docker) = docker::docker() else {
        return;
    };
    let image = embedded_image(&docker);
    for (args, want) in [
        (&["exit", "3"][..], 3),
        (&["exit", "0"], 0),
        (&["raise", "9"], 137),
    ] {
        let mut run = docker.run_attached(&[], &image, args);
        let ended = run.finish();
        assert_eq!(ended.code, Some(want), "{args:?}: {ended:#?}");
        assert_eq!(run.container.exit_code(), want, "{args:?}");
    }
}
