//! memcached: a cache in memory, so for a plain memcached SIGTERM loses
//! nothing it was ever meant to keep, and no flag is needed. With `-e
//! FILE` (its warm restart: the cache lives in a memory-mapped file) it
//! saves the cache's metadata only on SIGUSR1, its graceful stop; after a
//! SIGTERM the next start begins with an empty cache. The recipe for `-e`
//! is `-r TERM:USR1`.
//!
//! memcached refuses to run as root, so it runs as the package's user
//! `memcache` (pidone's `--user`), in a dir of the temp dir it owns.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::{connect_unix, installed, owned_by, report, secs, under_pidone, DOCKER_STOP};
use crate::util::TempDir;
use crate::util::{poll_until, Init, Stopped, DEADLINE};

/// Sends COMMAND and returns the reply's lines joined with spaces, up
/// to the line that ends it (`END`, `STORED`, an error).
fn ask(stream: &UnixStream, command: &str) -> String {
    (&*stream)
        .write_all(command.as_bytes())
        .expect("send to memcached");
    let mut reader = BufReader::new(stream);
    let mut reply = vec![];
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line).expect("read memcached's reply");
        let line = line.trim_end().to_string();
        let last = n == 0
            || ["END", "STORED", "NOT_STORED"].contains(&line.as_str())
            || line.contains("ERROR");
        reply.push(line);
        if last {
            return reply.join(" ");
        }
    }
}

/// memcached under pidone with FLAGS, its cache in DIR/cache; with a
/// connection once it listens.
fn start(memcached: &Path, dir: &Path, flags: &[&str]) -> (Init, UnixStream) {
    let socket = dir.join("sock");
    let cache = dir.join("cache");
    let mut all = vec!["--user", "memcache"];
    all.extend(flags);
    let args = [
        "-s".as_ref(),
        socket.as_os_str(),
        "-e".as_ref(),
        cache.as_os_str(),
        "-m".as_ref(),
        "64".as_ref(),
    ];
    let init = under_pidone(&all, memcached, args).start();
    let stream = connect_unix(&socket);
    (init, stream)
}

/// The whole seconds of the wall clock.
fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// One run with `-e`: a key set, the stop, a restart; the stop and what
/// `get` says of the key after the restart.
fn key_after_stop(memcached: &Path, flags: &[&str]) -> (Stopped, String) {
    let dir = TempDir::new("recipe-memcached");
    let own = owned_by(dir.path(), "cache-dir", "memcache");
    let (init, stream) = start(memcached, &own, flags);
    assert_eq!(ask(&stream, "set kept 0 0 5\r\nvalue\r\n"), "STORED");
    drop(stream);
    let stopped = init.docker_stop(DOCKER_STOP);
    // memcached rejects a warm restart in the same second as the stop it
    // recorded (it takes the clock for broken): wait for the next second.
    let stop_second = now_secs();
    let next = poll_until(Instant::now() + DEADLINE, || {
        (now_secs() > stop_second).then_some(())
    });
    assert!(next.is_some(), "the clock did not move");
    let (again, stream) = start(memcached, &own, &[]);
    let reply = ask(&stream, "get kept\r\n");
    drop(again);
    (stopped, reply)
}

#[test]
fn memcached_with_a_warm_restart_file_keeps_its_cache_under_term_usr1_only() {
    let Some([memcached]) = installed("memcached", [("memcached", "memcached")]) else {
        return;
    };
    let (graceful, kept) = key_after_stop(&memcached, &["-r", "TERM:USR1"]);
    let (plain, lost) = key_after_stop(&memcached, &[]);
    report(
        "memcached",
        "memcached",
        &format!(
            "-e with -r TERM:USR1: stop {}, after restart `{kept}`; \
             -e without: stop {}, after restart `{lost}`",
            secs(graceful.took),
            secs(plain.took)
        ),
    );
    for stopped in [&graceful, &plain] {
        assert!(!stopped.killed, "{stopped:#?}");
        stopped.finished.assert_code(0);
    }
    assert_eq!(kept, "VALUE kept 0 5 value END");
    assert_eq!(lost, "END");
}
