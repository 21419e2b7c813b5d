//! Stops that lose nothing: when pidone shuts down because of a stop (a
//! terminating signal from outside, as `docker stop` sends, or
//! `--stop-after`), leftover processes get until they exit, since the
//! runtime enforces its own deadline; a second terminating signal ends
//! that wait. (Without a stop the default grace stays short: shutdown.rs.)

use std::time::{Duration, Instant};

use crate::util::{self, announce, docker, matrix, static_pidone, static_testee, Run, TempDir};

/// `sh -c` running WORKERS background workers that each need MS on SIGTERM
/// to save their state (to FILES), and `wait`ing for them: an entrypoint
/// shell. Its `ready` is the workers' own.
fn entrypoint_shell(testee: &str, files: &[std::path::PathBuf], ms: u32) -> Vec<String> {
    let workers: String = files
        .iter()
        .map(|f| format!("{testee} slow-worker {} {ms} & ", f.display()))
        .collect();
    vec!["sh".into(), "-c".into(), format!("{workers}wait")]
}

#[test]
fn during_a_stop_leftovers_get_until_they_exit() {
    // docker stop: SIGTERM to the init. The shell dies of it at once; its
    // two workers each need 3 s to save their state, more than the short
    // default grace: during a stop they get it, as the runtime's own
    // deadline (10 s) is the limit.
    for (mode, log) in matrix() {
        let files = [util::temp_path("worker-a"), util::temp_path("worker-b")];
        let shell = entrypoint_shell(&util::testee().to_string_lossy(), &files, 3_000);
        let shell: Vec<&str> = shell.iter().map(String::as_str).collect();
        let mut init = Run::new(mode, log).args(["--"]).args(shell).start();
        init.expect("worker ready");
        init.expect("worker ready");
        let stopped = init.docker_stop(Duration::from_secs(10));
        eprintln!("{mode:?} {log:?}: stopped in {:?}", stopped.took);
        assert!(!stopped.killed, "{stopped:#?}");
        stopped.finished.assert_code(143);
        for file in &files {
            let saved = std::fs::read_to_string(file).unwrap_or_default();
            assert_eq!(saved, "started\nfinished\n", "{file:?}: {stopped:#?}");
            std::fs::remove_file(file).unwrap();
        }
        assert!(stopped.took >= Duration::from_secs(3), "{stopped:#?}");
    }
}

#[test]
fn a_second_terminating_signal_ends_the_stops_wait() {
    // After docker stop, a leftover that ignores SIGTERM keeps pidone
    // waiting (up to the stop's bound); a second SIGTERM ends the wait.
    for (mode, log) in matrix() {
        let file = util::temp_path("hurry");
        let mut init = Run::new(mode, log)
            .testee(&["slow-helper", file.to_str().unwrap(), "60000"])
            .start();
        init.expect("helper ready");
        let pid = init.pid();
        init.signal(libc::SIGTERM);
        // The app is gone and the helper is saving (for a minute): the
        // stop's wait is on.
        util::poll(&format!("{mode:?}"), "the helper to start saving", || {
            std::fs::read_to_string(&file)
                .ok()
                .filter(|t| t == "started\n")
        });
        let again = Instant::now();
        util::kill(pid, libc::SIGTERM).unwrap();
        let out = init.finish();
        assert!(again.elapsed() < Duration::from_secs(5), "{out:#?}");
        out.assert_code(143);
        let _ = std::fs::remove_file(&file);
    }
}

#[test]
fn docker_stop_lets_an_entrypoint_shells_workers_save_their_state() {
    let Some(docker) = docker::docker() else {
        return;
    };
    if !util::command_exists("busybox") {
        util::skip(
            "the entrypoint-shell Docker test",
            "it needs a static shell for its image",
            "apt-get install busybox-static (or run .ci/run)",
        );
        return;
    }
    let busybox = util::which("busybox").expect("busybox on PATH");
    let image = docker.build_image(
        &[
            (static_pidone(), "/pidone"),
            (static_testee(), "/bin/testee"),
            (&busybox, "/bin/sh"),
        ],
        r#"ENV PATH=/bin
ENTRYPOINT ["/pidone", "--"]"#,
    );
    let out = TempDir::new("stop-grace");
    let volume = format!("{}:/out", out.path().display());
    let files = ["/out/a".into(), "/out/b".into()];
    let shell = entrypoint_shell("testee", &files, 3_000);
    let shell: Vec<&str> = shell.iter().map(String::as_str).collect();
    let mut run = docker.run_attached(&["--volume", &volume], &image, &shell);
    run.expect("worker ready");
    run.expect("worker ready");
    // docker stop's default: SIGTERM, then SIGKILL after 10 s.
    let took = run.container.stop(10);
    let ended = run.finish();
    announce(&format!(
        "docker stop, entrypoint shell with two 3 s workers: {:.2} s",
        took.as_secs_f64()
    ));
    for file in ["a", "b"] {
        let saved = std::fs::read_to_string(out.path().join(file)).unwrap_or_default();
        assert_eq!(saved, "started\nfinished\n", "worker {file}: {ended:#?}");
    }
    // The shell's own fate, and no SIGKILL from Docker.
    assert_eq!(ended.code, Some(143), "{ended:#?}");
    assert!(
        took >= Duration::from_secs(3) && took < Duration::from_secs(9),
        "{took:?}"
    );
}
