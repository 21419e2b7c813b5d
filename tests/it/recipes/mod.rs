//! docs/recipes.md, one test per server: the real server from Debian's
//! package runs under pidone as PID 1 of a fresh PID namespace, is stopped
//! as `docker stop` stops a container (SIGTERM to pidone from outside, then
//! SIGKILL after the timeout), and the outcome the recipe promises is
//! checked: the download in flight complete, the cluster shut down, the
//! keys on disk. Where the recipe is a signal rewrite, the same run without
//! it shows what goes wrong. Each test announces its stop times, which the
//! recipes' table quotes.
//!
//! This module owns what the recipes share: finding a server (or one loud
//! skip line; a failure under `CI=true`), connecting once the server
//! listens, a transfer that is in flight while the stop comes, and the
//! announcement. Each server's file owns its configuration and outcome.
//! Every test has its own temp dir (removed by its guard), talks to its
//! server over unix sockets (apache over a free port on 127.0.0.1), and
//! its server dies with the namespace when a test fails halfway.

mod apache;
mod gunicorn;
mod haproxy;
mod memcached;
mod nginx;
mod php_fpm;
mod postgres;
mod redis;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc::{self, Receiver};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::util::{announce, poll, poll_until, skip, Log, Mode, Run, Stopped, DEADLINE};

/// `docker stop`'s default timeout, which every recipe's stop must beat.
pub const DOCKER_STOP: Duration = Duration::from_secs(10);

/// The timeout of the stops that are expected to hang without the recipe:
/// shorter than Docker's, since the test only needs to see the SIGKILL.
pub const SHORT_STOP: Duration = Duration::from_secs(3);

/// Finds each of PROGRAMS, `(program, Debian package)`, for the recipe
/// RECIPE: on PATH, in /usr/sbin, or in PostgreSQL's versioned bin dir.
/// When one is missing, says so in one loud line and returns None (the
/// test then returns); under `CI=true` fails instead, since `.ci/run`
/// installs them all.
pub fn installed<const N: usize>(
    recipe: &str,
    programs: [(&str, &str); N],
) -> Option<[PathBuf; N]> {
    let found = programs.map(|(program, _)| find(program));
    let missing: Vec<&str> = programs
        .iter()
        .zip(&found)
        .filter(|(_, path)| path.is_none())
        .map(|((_, package), _)| *package)
        .collect();
    if missing.is_empty() {
        return Some(found.map(Option::unwrap_or_default));
    }
    skip(
        &format!("recipes::{recipe}"),
        &format!("it needs Debian's {}", missing.join(", ")),
        &format!("apt-get install {} (or run .ci/run)", missing.join(" ")),
    );
    None
}

/// Where PROGRAM is: a path on PATH, /usr/sbin or /sbin (servers live
/// there, and a user's PATH may lack it), or the newest
/// /usr/lib/postgresql/N/bin (Debian keeps the server's tools there).
fn find(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
    dirs.extend(["/usr/sbin", "/sbin"].map(PathBuf::from));
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .collect();
    versions.sort();
    dirs.extend(versions.into_iter().rev().map(|(_, bin)| bin));
    dirs.into_iter()
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// PACKAGE's installed version, as the recipes' table gives it.
pub fn version(package: &str) -> String {
    Command::new("dpkg-query")
        .args(["-W", "-f", "${Version}", package])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
        .unwrap_or_else(|| "?".into())
}

/// Says the recipe's measured figures, past libtest's capture.
pub fn report(recipe: &str, package: &str, figures: &str) {
    announce(&format!(
        "recipe {recipe} ({package} {}): {figures}",
        version(package)
    ));
}

/// The recipe of a web server whose graceful stop finishes a download in
/// flight: DOWNLOAD (a server started with the given pidone flags, a
/// download of SIZE bytes begun, then `docker stop`) must complete with
/// `-r REWRITE` and be cut without. Says the figures, asserts both.
pub fn finishes_downloads_with_and_cuts_them_without(
    recipe: &str,
    package: &str,
    rewrite: &str,
    size: usize,
    download: impl Fn(&[&str]) -> (Stopped, Response),
) {
    let (graceful, done) = download(&["-r", rewrite]);
    let (fast, cut) = download(&[]);
    report(
        recipe,
        package,
        &format!(
            "-r {rewrite}: stop {}, download {} of {size} bytes; \
             without: stop {}, download cut at {} bytes",
            secs(graceful.took),
            done.body_bytes,
            secs(fast.took),
            cut.body_bytes
        ),
    );
    assert!(!graceful.killed, "{graceful:#?}");
    graceful.finished.assert_code(0);
    assert!(done.complete && done.status.contains(" 200 "), "{done:?}");
    // Without the rewrite the server stops at once, cutting the download.
    assert!(!fast.killed, "{fast:#?}");
    fast.finished.assert_code(0);
    assert!(!cut.complete, "{cut:?}");
}

/// D in seconds with two decimals, for the announcements.
pub fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

/// pidone as PID 1 of a fresh PID namespace, with pidone's FLAGS, running
/// SERVER ARGS.
pub fn under_pidone<S: AsRef<std::ffi::OsStr>>(
    flags: &[&str],
    server: &Path,
    args: impl IntoIterator<Item = S>,
) -> Run {
    Run::new(Mode::Pid1, Log::Default)
        .args(flags)
        .args(["--".as_ref(), server.as_os_str()])
        .args(args)
}

/// The first connection to the unix socket PATH that succeeds, within the
/// deadline: the server listens. A recipe's request in flight goes over
/// this very connection, so no probe reaches the server before it.
pub fn connect_unix(path: &Path) -> UnixStream {
    let stream = poll(&path.display().to_string(), "the server to listen", || {
        UnixStream::connect(path).ok()
    });
    stream
        .set_read_timeout(Some(DEADLINE))
        .expect("set a read timeout");
    stream
}

/// A temp-dir path that user NAME owns (mode 0700): where a server that
/// runs as NAME writes.
pub fn owned_by(dir: &Path, name: &str, user: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::create_dir(&path).unwrap_or_else(|e| panic!("mkdir {}: {e}", path.display()));
    let owner = nix::unistd::User::from_name(user)
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("no user {user}"));
    std::os::unix::fs::chown(&path, Some(owner.uid.as_raw()), Some(owner.gid.as_raw()))
        .unwrap_or_else(|e| panic!("chown {}: {e}", path.display()));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700)).expect("chmod 700");
    path
}

/// A response being read while the server is stopped: a thread reads the
/// stream to its end; the test learns when the first bytes have come (the
/// request is being served) and, at the end, everything that came.
pub struct Transfer {
    first: Receiver<()>,
    reader: JoinHandle<Vec<u8>>,
}

impl Transfer {
    /// Sends REQUEST on STREAM (read timeout already set) and starts
    /// reading the answer.
    pub fn start(mut stream: impl Read + Write + Send + 'static, request: &[u8]) -> Transfer {
        stream.write_all(request).expect("send the request");
        let (said, first) = mpsc::channel();
        let reader = thread::spawn(move || {
            let mut got = vec![];
            let mut chunk = [0u8; 65536];
            // A reset or a timeout ends the transfer like an EOF: what
            // came until then is the outcome.
            while let Ok(n) = stream.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&chunk[..n]);
                let _ = said.send(());
            }
            got
        });
        Transfer { first, reader }
    }

    /// Waits (bounded) until the first bytes of the answer have come.
    pub fn await_first_bytes(&self, what: &str) {
        assert!(
            self.first.recv_timeout(DEADLINE).is_ok(),
            "no answer from {what} within {DEADLINE:?}"
        );
    }

    /// Everything that came, once the connection has ended (bounded by
    /// the stream's read timeout).
    pub fn finish(self) -> Vec<u8> {
        let done = poll_until(Instant::now() + DEADLINE * 2, || {
            self.reader.is_finished().then_some(())
        });
        assert!(done.is_some(), "the transfer did not end");
        self.reader.join().expect("the reader thread")
    }
}

/// An HTTP response: its status line and whether its body is as long as
/// its Content-Length says (or, without one, ends with EXPECTED_END).
#[derive(Debug)]
pub struct Response {
    pub status: String,
    pub body_bytes: usize,
    pub complete: bool,
}

impl Response {
    /// Parses RAW; EXPECTED_END is checked when there is no Content-Length.
    pub fn parse(raw: &[u8], expected_end: &[u8]) -> Response {
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n");
        let Some(at) = split else {
            return Response {
                status: String::from_utf8_lossy(raw)
                    .lines()
                    .next()
                    .unwrap_or("")
                    .into(),
                body_bytes: 0,
                complete: false,
            };
        };
        let head = String::from_utf8_lossy(&raw[..at]);
        let body = &raw[at + 4..];
        let length = head.lines().find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        });
        let complete = match length {
            Some(n) => body.len() == n,
            None => body.ends_with(expected_end),
        };
        Response {
            status: head.lines().next().unwrap_or("").into(),
            body_bytes: body.len(),
            complete,
        }
    }
}

/// Writes CONTENT to DIR/NAME and returns the path.
pub fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    path
}

/// A file of SIZE bytes that compress badly, for a download that takes a
/// while at a limited rate.
pub fn big_file(dir: &Path, name: &str, size: usize) -> PathBuf {
    let mut x: u32 = 0x2545_f491;
    let bytes: Vec<u8> = (0..size)
        .map(|_| {
            // xorshift: cheap bytes with no pattern a transfer could shrink.
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write the big file");
    path
}
