//! php-fpm: SIGTERM (and SIGINT) terminate it at once, with every request
//! in flight; SIGQUIT is its graceful stop, but only when the global
//! `process_control_timeout` is set: the workers then get that long to
//! finish their requests. Left at its default of 0, the master escalates
//! at once and SIGQUIT cuts requests just as SIGTERM does. The recipe is
//! `-r TERM:QUIT` together with `process_control_timeout`.
//!
//! The test speaks FastCGI to php-fpm directly, over its unix socket.

use std::path::Path;

use super::DOCKER_STOP;
use super::{connect_unix, installed, owned_by, report, secs, under_pidone, write, Transfer};
use crate::util::TempDir;
use crate::util::{poll, Stopped};

/// A script that says it has started (it creates STARTED) and then works
/// for two seconds: a loop on the clock, because PHP's sleep() returns
/// early when a signal arrives and would end the request early in every
/// case.
fn slow_php(started: &Path) -> String {
    format!(
        "<?php touch('{}');\n$t = microtime(true);\n\
         while (microtime(true) - $t < 2) {{ usleep(10000); }}\n\
         echo \"finished\\n\";\n",
        started.display()
    )
}

/// One FastCGI record.
fn record(kind: u8, content: &[u8]) -> Vec<u8> {
    let length = u16::try_from(content.len()).expect("a short record");
    let mut bytes = vec![1, kind, 0, 1];
    bytes.extend(length.to_be_bytes());
    bytes.extend([0, 0]);
    bytes.extend(content);
    bytes
}

/// A FastCGI request for SCRIPT: BEGIN_REQUEST (responder), its PARAMS,
/// and an empty STDIN.
fn request(script: &Path) -> Vec<u8> {
    let mut params = vec![];
    for (name, value) in [
        ("SCRIPT_FILENAME", script.to_str().expect("a UTF-8 path")),
        ("REQUEST_METHOD", "GET"),
    ] {
        params.push(u8::try_from(name.len()).expect("short name"));
        params.push(u8::try_from(value.len()).expect("short value"));
        params.extend(name.as_bytes());
        params.extend(value.as_bytes());
    }
    let mut bytes = record(1, &[0, 1, 0, 0, 0, 0, 0, 0]);
    bytes.extend(record(4, &params));
    bytes.extend(record(4, b""));
    bytes.extend(record(5, b""));
    bytes
}

/// Whether RAW (php-fpm's records, as they came) holds the script's whole
/// output followed by END_REQUEST.
fn finished(raw: &[u8]) -> bool {
    let mut rest = raw;
    let mut stdout = vec![];
    while let [_, kind, _, _, l1, l0, padding, _, tail @ ..] = rest {
        let length = usize::from(u16::from_be_bytes([*l1, *l0]));
        let Some(content) = tail.get(..length) else {
            return false;
        };
        match kind {
            6 => stdout.extend(content),
            3 => return stdout.ends_with(b"finished\n"),
            _ => {}
        }
        rest = tail.get(length + usize::from(*padding)..).unwrap_or(&[]);
    }
    false
}

/// One run: php-fpm under pidone with FLAGS and the global settings
/// GLOBAL, the slow script requested, the stop made once the script has
/// started; the stop and whether the request finished.
fn request_during_stop(fpm: &Path, flags: &[&str], global: &str) -> (Stopped, bool) {
    let dir = TempDir::new("recipe-php-fpm");
    let d = dir.path().display();
    // php-fpm sends the script's output when it ends, so the script says
    // it has started in a file, in a dir its worker (nobody) may write.
    let started = owned_by(dir.path(), "run", "nobody").join("started");
    let script = write(dir.path(), "slow.php", &slow_php(&started));
    let conf = format!(
        "[global]\npid = {d}/fpm.pid\nerror_log = /proc/self/fd/2\ndaemonize = no\n{global}\n\
         [www]\nuser = nobody\ngroup = nogroup\nlisten = {d}/sock\n\
         pm = static\npm.max_children = 1\n"
    );
    let conf = write(dir.path(), "php-fpm.conf", &conf);
    let args = ["-F".as_ref(), "-y".as_ref(), conf.as_os_str()];
    let init = under_pidone(flags, fpm, args).start();
    let answer = Transfer::start(connect_unix(&dir.path().join("sock")), &request(&script));
    poll(&format!("php-fpm {flags:?}"), "the script to start", || {
        started.exists().then_some(())
    });
    let stopped = init.docker_stop(DOCKER_STOP);
    (stopped, finished(&answer.finish()))
}

#[test]
fn php_fpm_under_term_quit_with_process_control_timeout_finishes_a_request_in_flight() {
    let Some([fpm]) = installed("php-fpm", [("php-fpm8.2", "php-fpm")]) else {
        return;
    };
    let timeout = "process_control_timeout = 10s";
    let (graceful, done) = request_during_stop(&fpm, &["-r", "TERM:QUIT"], timeout);
    let (plain, cut) = request_during_stop(&fpm, &[], timeout);
    let (no_timeout, cut_too) = request_during_stop(&fpm, &["-r", "TERM:QUIT"], "");
    report(
        "php-fpm",
        "php8.2-fpm",
        &format!(
            "-r TERM:QUIT + {timeout}: stop {}, request finished: {done}; \
             without -r: stop {}, finished: {cut}; \
             -r TERM:QUIT without the timeout: stop {}, finished: {cut_too}",
            secs(graceful.took),
            secs(plain.took),
            secs(no_timeout.took)
        ),
    );
    for stopped in [&graceful, &plain, &no_timeout] {
        assert!(!stopped.killed, "{stopped:#?}");
        stopped.finished.assert_code(0);
    }
    assert!(done, "the request in flight did not finish: {graceful:#?}");
    assert!(!cut, "SIGTERM let the request finish: {plain:#?}");
    assert!(
        !cut_too,
        "SIGQUIT with no timeout let it finish: {no_timeout:#?}"
    );
}
