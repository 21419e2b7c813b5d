//! gunicorn: no flag needed. SIGTERM is already its graceful shutdown:
//! the workers finish the requests they are serving (for up to
//! `--graceful-timeout`, 30 s by default) and exit. SIGINT and SIGQUIT are
//! its quick shutdown, which cuts them; the test shows that too, so that
//! it could tell the difference.
//!
//! One worker: gunicorn 20.1 starts its workers one after the other, and
//! a worker still booting has the master's handler, which queues a SIGTERM
//! where no one reads it; that worker then runs until `--graceful-timeout`
//! and its SIGKILL. The one worker that serves the request has installed
//! its own handlers, so the stop it gets is its graceful one.

use std::path::Path;

use super::DOCKER_STOP;
use super::{connect_unix, installed, report, secs, under_pidone, write, Response, Transfer};
use crate::util::TempDir;
use crate::util::{poll, Stopped};

/// A WSGI app whose one request says it has started (it creates the file
/// `started` beside itself) and answers after two seconds.
const APP: &str = r#"import os, time
def app(environ, start_response):
    open(os.path.join(os.path.dirname(__file__), 'started'), 'w').close()
    time.sleep(2)
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [b'finished\n']
"#;

/// One run: gunicorn under pidone with FLAGS, the slow request sent, the
/// stop made once the app has started it; the stop and the response.
fn request_during_stop(gunicorn: &Path, flags: &[&str]) -> (Stopped, Response) {
    let dir = TempDir::new("recipe-gunicorn");
    write(dir.path(), "recipe_app.py", APP);
    let socket = dir.path().join("sock");
    let mut bind = std::ffi::OsString::from("unix:");
    bind.push(&socket);
    let args = [
        "--chdir".as_ref(),
        dir.path().as_os_str(),
        "--bind".as_ref(),
        bind.as_os_str(),
        "--workers".as_ref(),
        "1".as_ref(),
        "recipe_app:app".as_ref(),
    ];
    let init = under_pidone(flags, gunicorn, args).start();
    let answer = Transfer::start(connect_unix(&socket), b"GET / HTTP/1.0\r\n\r\n");
    let started = dir.path().join("started");
    poll(
        &format!("gunicorn {flags:?}"),
        "the app to start the request",
        || started.exists().then_some(()),
    );
    let stopped = init.docker_stop(DOCKER_STOP);
    let response = Response::parse(&answer.finish(), b"finished\n");
    (stopped, response)
}

#[test]
fn gunicorn_finishes_a_request_in_flight_on_sigterm_with_no_flag() {
    let Some([gunicorn]) = installed("gunicorn", [("gunicorn", "gunicorn")]) else {
        return;
    };
    let (graceful, done) = request_during_stop(&gunicorn, &[]);
    let (quick, cut) = request_during_stop(&gunicorn, &["-r", "TERM:QUIT"]);
    report(
        "gunicorn",
        "gunicorn",
        &format!(
            "no flag: stop {}, request finished: {}; \
             -r TERM:QUIT (its quick shutdown): stop {}, finished: {}",
            secs(graceful.took),
            done.complete,
            secs(quick.took),
            cut.complete
        ),
    );
    assert!(!graceful.killed, "{graceful:#?}");
    graceful.finished.assert_code(0);
    assert!(done.complete && done.status.contains(" 200 "), "{done:?}");
    assert!(!quick.killed, "{quick:#?}");
    assert!(!cut.complete, "{cut:?}");
}
