//! HAProxy: SIGTERM is its hard stop, which closes every connection at
//! once; SIGUSR1 is its soft stop, which closes the listeners and waits
//! for the connections in progress to end (bounded by `hard-stop-after`
//! when set). The recipe is `-r TERM:USR1`. HAProxy runs in master-worker
//! mode (`-W -db`), as its official image runs it: the master passes the
//! signal on to its worker.
//!
//! The backend is the test itself: a unix socket that answers one
//! connection slowly, as a slow upstream does.
//!
//! HAProxy 2.6's master drops a SIGUSR1 that comes in its first moments:
//! its worker already carries traffic while the master is still setting
//! up, and when the master enters its own loop it re-registers its
//! handlers and forgets the signal (the stop then waits for the SIGKILL).
//! The signal is only honoured once the master's loop runs, and the test
//! knows that when the master's CLI (`-S`), served by that loop, answers.

use std::io::{Read, Write};
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use super::{connect_unix, installed, report, secs, under_pidone, write, Transfer, DOCKER_STOP};
use crate::util::TempDir;
use crate::util::{poll_until, Stopped, DEADLINE};

/// What the backend sends: CHUNKS of CHUNK bytes, one every PACE, so the
/// answer takes two seconds and the stop comes while it is in flight.
const CHUNKS: usize = 20;
const CHUNK: usize = 1000;
const PACE: Duration = Duration::from_millis(100);

/// A backend on the unix socket PATH that takes one connection (within the
/// deadline) and sends it the slow answer; errors (HAProxy gone) end it.
fn slow_backend(path: &Path) -> thread::JoinHandle<()> {
    let listener = UnixListener::bind(path).expect("bind the backend");
    listener.set_nonblocking(true).expect("non-blocking accept");
    thread::spawn(move || {
        let accepted = poll_until(Instant::now() + DEADLINE, || listener.accept().ok());
        let Some((mut stream, _)) = accepted else {
            return;
        };
        let _ = stream.set_nonblocking(false);
        for _ in 0..CHUNKS {
            if stream.write_all(&[b'x'; CHUNK]).is_err() {
                return;
            }
            // The upstream's pace, not a wait for the test's sake.
            thread::sleep(PACE);
        }
    })
}

/// Waits (bounded) until HAProxy's master answers `show proc` on its CLI
/// at PATH: its own loop runs, so a soft stop is no longer lost.
fn await_master_loop(path: &Path) {
    let mut cli = connect_unix(path);
    cli.write_all(b"show proc\n").expect("ask the master CLI");
    // The answer may come in pieces; the CLI keeps the connection open, so
    // read until the master's own line is there (or the read times out).
    let mut answer = String::new();
    let mut chunk = [0u8; 512];
    while !answer.contains("master") {
        match cli.read(&mut chunk) {
            Ok(n) if n > 0 => answer.push_str(&String::from_utf8_lossy(&chunk[..n])),
            _ => break,
        }
    }
    assert!(answer.contains("master"), "the master CLI said {answer:?}");
}

/// One run: HAProxy under pidone with FLAGS in front of the slow backend,
/// a connection through it, the stop made once its first bytes have come
/// and the master runs its loop; the stop and how many bytes came through.
fn transfer_during_stop(haproxy: &Path, flags: &[&str]) -> (Stopped, usize) {
    let dir = TempDir::new("recipe-haproxy");
    let d = dir.path().display();
    let backend = slow_backend(&dir.path().join("backend"));
    let conf = format!(
        "global\n  pidfile {d}/haproxy.pid\n\
         defaults\n  mode tcp\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n\
         frontend recipe\n  bind unix@{d}/sock\n  default_backend slow\n\
         backend slow\n  server upstream unix@{d}/backend\n"
    );
    let conf = write(dir.path(), "haproxy.cfg", &conf);
    let master = dir.path().join("master");
    let args = [
        "-W".as_ref(),
        "-db".as_ref(),
        "-S".as_ref(),
        master.as_os_str(),
        "-f".as_ref(),
        conf.as_os_str(),
    ];
    let init = under_pidone(flags, haproxy, args).start();
    let transfer = Transfer::start(connect_unix(&dir.path().join("sock")), b"");
    transfer.await_first_bytes("haproxy");
    await_master_loop(&master);
    let stopped = init.docker_stop(DOCKER_STOP);
    let got = transfer.finish().len();
    let _ = backend.join();
    (stopped, got)
}

#[test]
fn haproxy_under_term_usr1_lets_a_connection_in_flight_finish_and_cuts_it_without() {
    let Some([haproxy]) = installed("haproxy", [("haproxy", "haproxy")]) else {
        return;
    };
    let (soft, done) = transfer_during_stop(&haproxy, &["-r", "TERM:USR1"]);
    let (hard, cut) = transfer_during_stop(&haproxy, &[]);
    let all = CHUNKS * CHUNK;
    report(
        "haproxy",
        "haproxy",
        &format!(
            "-r TERM:USR1: stop {}, {done} of {all} bytes through; \
             without: stop {}, cut at {cut} bytes",
            secs(soft.took),
            secs(hard.took)
        ),
    );
    assert!(!soft.killed, "{soft:#?}");
    soft.finished.assert_code(0);
    assert_eq!(done, all, "{soft:#?}");
    assert!(!hard.killed, "{hard:#?}");
    assert!(cut < all, "{hard:#?}");
}
