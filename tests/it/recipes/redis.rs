//! Redis: no flag needed. Redis handles SIGTERM itself by saving and
//! exiting, but what it saves depends on its configuration: with save
//! points (its default: no `save` line, or any `save` line) it writes a
//! final RDB snapshot, with `appendonly yes` it flushes the AOF, with
//! `shutdown-on-sigterm save` it snapshots whatever the save points; with
//! `save ""` and no AOF it writes nothing, and every key is lost.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;

use super::{connect_unix, installed, report, secs, under_pidone, DOCKER_STOP};
use crate::util::Stopped;
use crate::util::TempDir;

/// How many keys each run writes before the stop.
const KEYS: usize = 100;

/// Sends each inline command of LINES and returns the reply to the last.
fn ask(stream: &UnixStream, lines: &[String]) -> String {
    let mut reader = BufReader::new(stream);
    let mut writer = stream;
    let mut reply = String::new();
    for line in lines {
        writer
            .write_all(format!("{line}\r\n").as_bytes())
            .expect("send to redis");
        reply.clear();
        reader.read_line(&mut reply).expect("read redis's reply");
    }
    reply.trim_end().to_string()
}

/// Starts redis-server with OPTIONS in DIR under pidone, and returns the
/// running init with a connection that has had its PONG (the data set is
/// loaded by then).
fn start(redis: &Path, dir: &Path, options: &[&str]) -> (crate::util::Init, UnixStream) {
    let socket = dir.join("sock");
    let mut args: Vec<&std::ffi::OsStr> = vec!["--port".as_ref(), "0".as_ref()];
    args.extend(["--unixsocket".as_ref(), socket.as_os_str()]);
    args.extend(["--dir".as_ref(), dir.as_os_str()]);
    args.extend(options.iter().map(std::ffi::OsStr::new));
    let init = under_pidone(&[], redis, args).start();
    let stream = connect_unix(&socket);
    crate::util::poll(&format!("{options:?}"), "redis to load its data", || {
        (ask(&stream, &["PING".into()]) == "+PONG").then_some(())
    });
    (init, stream)
}

/// One run: KEYS keys written, the stop, and a restart with the same
/// OPTIONS; the stop and how many keys the restarted server has.
fn keys_after_stop(redis: &Path, options: &[&str]) -> (Stopped, usize) {
    let dir = TempDir::new("recipe-redis");
    let (init, stream) = start(redis, dir.path(), options);
    let sets: Vec<String> = (0..KEYS).map(|i| format!("SET key{i} value{i}")).collect();
    assert_eq!(ask(&stream, &sets), "+OK");
    let stopped = init.docker_stop(DOCKER_STOP);
    let (again, stream) = start(redis, dir.path(), options);
    let size = ask(&stream, &["DBSIZE".into()]);
    let keys = size
        .strip_prefix(':')
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("DBSIZE said {size:?}"));
    drop(again);
    (stopped, keys)
}

#[test]
fn redis_keeps_every_key_on_sigterm_when_save_points_or_appendonly_are_configured() {
    let Some([redis]) = installed("redis", [("redis-server", "redis-server")]) else {
        return;
    };
    let cases: [(&str, &[&str], usize); 4] = [
        ("default save points", &[], KEYS),
        (
            "appendonly yes",
            &["--save", "", "--appendonly", "yes"],
            KEYS,
        ),
        (
            "shutdown-on-sigterm save",
            &["--save", "", "--shutdown-on-sigterm", "save"],
            KEYS,
        ),
        ("save \"\" alone", &["--save", ""], 0),
    ];
    let mut figures = vec![];
    for (what, options, want) in cases {
        let (stopped, keys) = keys_after_stop(&redis, options);
        figures.push(format!(
            "{what}: stop {}, {keys}/{KEYS} keys",
            secs(stopped.took)
        ));
        assert!(!stopped.killed, "{what}: {stopped:#?}");
        stopped.finished.assert_code(0);
        assert_eq!(keys, want, "{what}: keys after the restart");
    }
    report("redis", "redis-server", &figures.join("; "));
}
