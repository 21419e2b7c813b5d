//! pidone in Docker, end to end: the image is built `FROM scratch` from
//! the locally built static binaries, with pidone and its ENTRYPOINT as
//! `Dockerfile.example`'s final stage has them and the suite's `testee` as
//! the app (see util/docker/image.rs), and every scenario is what a user
//! sees from `docker run`, `docker stop`, `docker kill` and `docker
//! inspect`.
//! Without a daemon these tests skip loudly, except under `CI=true`, where
//! they fail.
//!
//! Two scenarios need issue 4 (termination log, OOM diagnosis, whole-tree
//! shutdown): `oom_kill_…` and `docker_stop_lets_a_term_trapping_helper_…`.

use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::process::{Command, Stdio};
use std::thread;
use std::time::Duration;

use crate::util::docker::{self, Attached, Container, PrivateDaemon};
use crate::util::engine::{Engine, Process};
use crate::util::{self, announce, TempDir};

/// An app that says it has started, then waits with no signal handler at
/// all (`testee pause`): SIGTERM either kills it (default action) or, as
/// PID 1, is dropped by the kernel.
const SAY_READY_THEN_WAIT: [&str; 2] = ["testee", "pause"];

#[test]
fn the_recipes_entrypoint_runs_the_images_cmd_under_pidone() {
    let Some(docker) = docker::docker() else {
        return;
    };
    let image = docker.test_image();
    // No arguments: the image's own CMD, as `docker run --rm myapp`.
    let mut run = docker.run_attached(&[], &image, &[]);
    let ended = run.finish();
    assert_eq!(ended.code, Some(3), "{ended:#?}");
    // Not PID 1: that is pidone. (Docker's runc has used a few pids in the
    // namespace before the app's, so the number itself varies.)
    let pid = ended
        .stdout
        .strip_prefix("app is PID ")
        .and_then(|rest| rest.strip_suffix(" under pidone\n"))
        .and_then(|pid| pid.parse::<u32>().ok());
    assert!(pid.is_some_and(|pid| pid > 1), "{ended:#?}");
    assert_eq!(
        run.container.inspect("{{json .Config.Entrypoint}}"),
        r#"["/pidone","--"]"#
    );
}

#[test]
fn exit_codes_reach_docker_run_and_docker_inspect() {
    let Some(docker) = docker::docker() else {
        return;
    };
    let image = docker.test_image();
    let cases: [(&[&str], i32); 5] = [
        (&["testee", "exit", "42"], 42),
        (&["testee", "exit", "0"], 0),
        (&["testee", "raise", "9"], 137),
        (&["testee", "raise", "15"], 143),
        // SIGRTMIN+3 is 37 as Docker, bash and pidone number it.
        (&["testee", "raise", "37"], 165),
    ];
    thread::scope(|scope| {
        for (args, want) in cases {
            let (docker, image) = (&docker, &image);
            scope.spawn(move || {
                let mut run = docker.run_attached(&[], image, args);
                let ended = run.finish();
                assert_eq!(ended.code, Some(want), "docker run's exit code: {ended:#?}");
                assert_eq!(run.container.exit_code(), want, "inspect: {ended:#?}");
            });
        }
    });
}

/// Runs IMAGE with OPTIONS (e.g. `--entrypoint testee` for no init) and ARGS,
/// which must print `ready`, waits for that line, then times `docker stop
/// -t 5`; returns the time and the exit code, which `docker run` and
/// `docker inspect` must agree on.
fn time_docker_stop(
    docker: &docker::Docker,
    image: &docker::Image,
    options: &[&str],
    args: &[&str],
) -> (Duration, i32) {
    let mut run = docker.run_attached(options, image, args);
    run.expect("ready");
    let took = run.container.stop(5);
    let ended = run.finish();
    let code = run.container.exit_code();
    assert_eq!(ended.code, Some(code), "docker run vs inspect: {ended:#?}");
    (took, code)
}

#[test]
fn docker_stop_is_instant_under_pidone_and_waits_out_the_timeout_without_it() {
    let Some(docker) = docker::docker() else {
        return;
    };
    let image = docker.test_image();
    let ((bare, bare_code), (pidone, pidone_code)) = thread::scope(|scope| {
        // No init: the app runs as PID 1 with no handler.
        let bare = scope.spawn(|| {
            let [app, args @ ..] = SAY_READY_THEN_WAIT;
            time_docker_stop(&docker, &image, &["--entrypoint", app], &args)
        });
        let pidone = scope.spawn(|| time_docker_stop(&docker, &image, &[], &SAY_READY_THEN_WAIT));
        (bare.join().unwrap(), pidone.join().unwrap())
    });
    announce(&format!(
        "docker stop -t 5 of an app without handlers: without an init {:.2} s, exit {bare_code}; \
         under pidone {:.2} s, exit {pidone_code}",
        bare.as_secs_f64(),
        pidone.as_secs_f64()
    ));
    // PID 1 dropped the SIGTERM: Docker waited its 5 s, then SIGKILL.
    assert_eq!(bare_code, 137);
    assert!(bare >= Duration::from_secs(4), "without an init: {bare:?}");
    assert!(bare < Duration::from_secs(30), "without an init: {bare:?}");
    // pidone forwarded it and the app died at once of its default action.
    assert_eq!(pidone_code, 143);
    assert!(pidone < Duration::from_secs(3), "under pidone: {pidone:?}");
}

#[test]
fn docker_kill_delivers_usr1_hup_and_a_realtime_signal_to_the_app() {
    let Some(docker) = docker::docker() else {
        return;
    };
    let image = docker.test_image();
    let mut run = docker.run_attached(&[], &image, &["testee", "ack"]);
    run.expect("ready");
    // Docker's names, as `docker kill -s` users write them; RTMIN+3 is 37.
    for (signal, number) in [("USR1", 10), ("SIGHUP", 1), ("RTMIN+3", 37), ("40", 40)] {
        run.container.kill(signal);
        run.expect(&format!("got {number}"));
    }
    // None of them ended the app or pidone.
    assert_eq!(run.container.inspect("{{.State.Running}}"), "true");
}

/// How many zombies CONTAINER's /proc shows.
fn zombies(container: &Container) -> usize {
    container
        .processes()
        .iter()
        .filter(|p| p.state == 'Z')
        .count()
}

#[test]
fn five_hundred_orphans_leave_no_zombie_in_the_container_while_the_app_runs() {
    let Some(docker) = docker::docker() else {
        return;
    };
    let image = docker.test_image();
    thread::scope(|scope| {
        // The control: testee as PID 1 never reaps, so all 500 stay. This is
        // also what proves the zombie count below can see zombies at all.
        scope.spawn(|| {
            let mut run =
                docker.run_attached(&["--entrypoint", "testee"], &image, &["orphans", "500"]);
            run.expect("orphans done");
            util::poll(&run.container.name, "500 zombies without an init", || {
                (zombies(&run.container) == 500).then_some(())
            });
        });
        let mut run = docker.run_attached(&[], &image, &["testee", "orphans", "500"]);
        run.expect("orphans done");
        util::poll(&run.container.name, "no zombie under pidone", || {
            (zombies(&run.container) == 0).then_some(())
        });
        // The app itself is still there, pidone's child, running.
        let all = run.container.processes();
        let init = all.iter().find(|p| p.pid == 1);
        let pidone = "/pidone -- testee orphans 500";
        assert!(init.is_some_and(|p| p.command == pidone), "{all:#?}");
        let app: Vec<&Process> = all
            .iter()
            .filter(|p| p.command == "testee orphans 500")
            .collect();
        assert!(
            matches!(app[..], [p] if p.ppid == 1 && p.state != 'Z'),
            "the app must still run, as pidone's child: {all:#?}"
        );
        assert_eq!(run.container.inspect("{{.State.Running}}"), "true");
        run.container.stop(10);
        assert_eq!(run.finish().code, Some(143));
    });
}

#[test]
fn ctrl_c_in_docker_run_ti_ends_the_app_with_130() {
    let Some(docker) = docker::docker() else {
        return;
    };
    let image = docker.test_image();
    let container = docker.container(util::unique("tty"));
    // `script` gives `docker run -t -i` a pseudo-terminal; what the test
    // writes to script's stdin is typed on that terminal.
    let inner = format!(
        "docker run -t -i --name {} --label {} --network none {} testee pause",
        container.name,
        util::label(),
        image.name
    );
    let mut script = Command::new("script");
    script
        .args(["--quiet", "--return", "--command", &inner, "/dev/null"])
        .stdin(Stdio::piped());
    let mut run = Attached::start(script, container);
    let mut terminal = run.take_stdin().expect("piped stdin");
    // `ready` comes through the container's terminal: the docker client has
    // its own terminal in raw mode by now, so ^C goes to the container.
    run.expect("ready");
    terminal.write_all(b"\x03").unwrap();
    terminal.flush().unwrap();
    let ended = run.finish();
    drop(terminal);
    assert_eq!(ended.code, Some(130), "{ended:#?}");
    // Proof that the container itself ended that way (not just the client).
    assert_eq!(run.container.exit_code(), 130);
}

/// `--termination-log` and the OOM diagnosis, under `docker run --memory`.
///
/// pidone's own verdict (the warning and the termination log) comes from
/// the cgroup's OOM counter and is checked on every attempt. Docker's
/// `OOMKilled` comes from containerd's OOM event, which races the
/// container's exit event (containerd #8180, #8893): seen false here in
/// one of three full CI runs, with the hog started only after `ready`. So Docker's flag gets up to three attempts; pidone's verdict
/// gets none.
#[test]
fn oom_kill_gives_137_oomkilled_and_is_named_in_the_log_and_the_termination_log() {
    let Some(docker) = docker::docker() else {
        return;
    };
    let image = docker.test_image();
    let mut flags = vec![];
    for _ in 0..3 {
        let (flag, termination) = oom_run(&docker, &image);
        flags.push(flag.clone());
        if flag == "true" {
            announce(&format!(
                "OOM under --memory 32m: exit 137, OOMKilled true (attempts: {flags:?}), \
                 termination log {:?}",
                termination.trim()
            ));
            return;
        }
    }
    panic!("Docker never recorded OOMKilled true in 3 runs: {flags:?}");
}

/// One OOM-killed run under pidone; checks pidone's verdict and returns
/// Docker's `OOMKilled` and the termination log's text.
fn oom_run(docker: &docker::Docker, image: &docker::Image) -> (String, String) {
    let out = TempDir::new("oom");
    let volume = format!("{}:/out", out.path().display());
    // The image's ENTRYPOINT is `/pidone --`: the option goes in through
    // --entrypoint. No swap either, so the limit is reached whatever the
    // machine has.
    let options = [
        "--memory",
        "32m",
        "--memory-swap",
        "32m",
        "--volume",
        &volume,
        "--entrypoint",
        "/pidone",
    ];
    let args = [
        "--termination-log",
        "/out/termination-log",
        "--",
        "testee",
        "hog-on-usr1",
    ];
    let mut run = docker.run_attached(&options, image, &args);
    // Only once the container runs: containerd misses an OOM kill in a
    // container's first moments, and OOMKilled then says false (#8180).
    run.expect("ready");
    run.container.kill("USR1");
    let ended = run.finish();
    assert_eq!(ended.code, Some(137), "{ended:#?}");
    assert_eq!(run.container.exit_code(), 137);
    let warning = ended
        .stderr
        .lines()
        .find(|l| l.starts_with("[WARN pidone (1)]") && l.contains("OOM killer"));
    assert!(warning.is_some(), "no OOM warning from pidone: {ended:#?}");
    let termination = std::fs::read_to_string(out.path().join("termination-log"))
        .unwrap_or_else(|e| panic!("the termination log: {e}; {ended:#?}"));
    assert!(termination.contains("OOM killer"), "{termination:?}");
    (run.container.inspect("{{.State.OOMKilled}}"), termination)
}

/// Needs issue 4: whole-tree shutdown with `--grace` (default 2 s).
#[test]
fn docker_stop_lets_a_term_trapping_helper_finish_writing_its_file() {
    let Some(docker) = docker::docker() else {
        return;
    };
    let image = docker.test_image();
    let out = TempDir::new("shutdown");
    let volume = format!("{}:/out", out.path().display());
    // The helper runs in the background, beside the main app (which has no
    // handler); on SIGTERM it takes a second to write its file, well inside
    // pidone's 2 s grace.
    let app = ["testee", "slow-helper", "/out/helper.txt", "1000"];
    let mut run = docker.run_attached(&["--volume", &volume], &image, &app);
    run.expect("helper ready");
    let took = run.container.stop(10);
    let ended = run.finish();
    announce(&format!(
        "docker stop with a TERM-trapping helper: {:.2} s",
        took.as_secs_f64()
    ));
    let written = std::fs::read_to_string(out.path().join("helper.txt")).unwrap_or_default();
    assert_eq!(
        written, "started\nfinished\n",
        "the helper was cut short: {ended:#?}"
    );
    // The main app's fate, not the helper's, and no SIGKILL from Docker.
    assert_eq!(ended.code, Some(143), "{ended:#?}");
    assert!(took < Duration::from_secs(8), "{took:?}");
}

#[test]
fn dockers_own_init_can_be_pidone_via_init_path() {
    let Some(docker) = docker::docker() else {
        return;
    };
    if !util::command_exists("dockerd") {
        util::skip(
            "the --init-path test",
            "no dockerd on PATH",
            "Install docker.io",
        );
        return;
    }
    let pidone = util::static_pidone();
    let image = docker.test_image();
    // Regression: a dockerd started with --bridge=none deletes `docker0`,
    // the main daemon's default network, unless it has its own netns.
    let bridge = std::path::Path::new("/sys/class/net/docker0");
    let had_bridge = bridge.exists();
    let daemon = PrivateDaemon::start(pidone);
    let private = &daemon.docker;
    assert_eq!(
        bridge.exists(),
        had_bridge,
        "the second dockerd took docker0"
    );

    // `docker info` runs `pidone --version` and takes the commit from it.
    let version = Command::new(pidone).arg("--version").output().unwrap();
    let version = String::from_utf8_lossy(&version.stdout).into_owned();
    let commit = version
        .trim()
        .rsplit_once("git.")
        .map(|(_, c)| c.to_string());
    let info = private.ok([
        "info",
        "--format",
        "{{.InitBinary}}|{{.InitCommit.ID}}|{{json .Warnings}}",
    ]);
    let fields: Vec<&str> = info.splitn(3, '|').collect();
    assert_eq!(fields[0], pidone.to_string_lossy(), "{info}");
    assert_eq!(Some(fields[1].to_string()), commit, "{info} vs {version}");
    assert!(!fields[2].to_lowercase().contains("init"), "{info}");
    let text = private.output(["info"]);
    let text = String::from_utf8_lossy(&text.stdout) + String::from_utf8_lossy(&text.stderr);
    assert!(
        text.contains(&format!("init version: {}", fields[1])),
        "{text}"
    );
    assert!(
        !text
            .lines()
            .any(|l| l.contains("WARNING") && l.to_lowercase().contains("init")),
        "{text}"
    );

    let copy = docker.copy_image_to(&image, private);
    let [app, args @ ..] = SAY_READY_THEN_WAIT;
    let mut run = private.run_attached(&["--init", "--entrypoint", app], &copy, &args);
    run.expect("ready");
    // PID 1 is Docker's /sbin/docker-init, and that file is our pidone.
    let all = run.container.processes();
    let init = all.iter().find(|p| p.pid == 1);
    assert!(
        init.is_some_and(|p| p.command == "/sbin/docker-init -- testee pause"),
        "{all:#?}"
    );
    let host_pid = private.host_pid(&run.container.name);
    let init = std::fs::metadata(format!("/proc/{host_pid}/exe")).expect("stat PID 1's exe");
    let ours = std::fs::metadata(pidone).unwrap();
    assert_eq!((init.dev(), init.ino()), (ours.dev(), ours.ino()));

    let took = run.container.stop(10);
    let ended = run.finish();
    announce(&format!(
        "dockerd --init-path pidone: docker run --init … testee pause, docker stop took {:.2} s, exit {:?}",
        took.as_secs_f64(),
        ended.code
    ));
    assert_eq!(ended.code, Some(143), "{ended:#?}");
    assert_eq!(run.container.exit_code(), 143);
    assert!(took < Duration::from_secs(3), "{took:?}");

    // The daemon said nothing bad about its init at any point.
    let log = daemon.log_text();
    let complaints: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("level=warning") || l.contains("level=error"))
        // dockerd's words when `INIT --version` fails or cannot be parsed.
        .filter(|l| {
            l.contains(&*pidone.to_string_lossy())
                || l.contains("failed to retrieve")
                || l.contains("failed to parse")
        })
        .collect();
    assert!(complaints.is_empty(), "{complaints:#?}");

    drop(run);
    drop(copy);
    drop(daemon);
    assert_eq!(
        bridge.exists(),
        had_bridge,
        "the second dockerd took docker0"
    );
}
