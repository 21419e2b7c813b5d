//! Apache httpd: SIGTERM stops it at once, killing its children and the
//! responses they are sending; SIGWINCH is its "graceful-stop", which
//! closes the listeners and lets every request in flight finish (for as
//! long as `GracefulShutdownTimeout` allows; unset, for as long as they
//! take). The recipe is `-r TERM:WINCH`.
//!
//! Apache cannot listen on a unix socket, so it listens on a port of
//! 127.0.0.1 that the kernel has just handed out as free.

use std::net::{TcpListener, TcpStream};
use std::path::Path;

use super::{
    big_file, finishes_downloads_with_and_cuts_them_without, installed, under_pidone, write,
    DOCKER_STOP,
};
use super::{Response, Transfer};
use crate::util::TempDir;
use crate::util::{poll, Stopped, DEADLINE};

/// The file downloaded: 2 MiB at 1 MiB/s (mod_ratelimit) takes two
/// seconds, so the stop comes while it is in flight.
const SIZE: usize = 2 << 20;

/// A port on 127.0.0.1 that nothing listens on: the kernel's choice for
/// a socket bound to port 0, closed again for Apache to take.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("its address").port()
}

/// One run: Apache under pidone with FLAGS, a download started, the stop
/// made once its first bytes have come; the stop and the response.
fn download_during_stop(apache: &Path, flags: &[&str]) -> (Stopped, Response) {
    let dir = TempDir::new("recipe-apache");
    let d = dir.path().display();
    big_file(dir.path(), "big", SIZE);
    let port = free_port();
    let modules = "/usr/lib/apache2/modules";
    // The modules Debian's apache2 builds as shared objects: the event MPM,
    // access control (Require), SetEnv, and the rate limit.
    let conf = format!(
        "ServerRoot {d}\nServerName recipe\nDefaultRuntimeDir {d}\nPidFile {d}/httpd.pid\n\
         LoadModule mpm_event_module {modules}/mod_mpm_event.so\n\
         LoadModule authz_core_module {modules}/mod_authz_core.so\n\
         LoadModule env_module {modules}/mod_env.so\n\
         LoadModule ratelimit_module {modules}/mod_ratelimit.so\n\
         Listen 127.0.0.1:{port}\nUser nobody\nGroup nogroup\n\
         ErrorLog /dev/stderr\nLogLevel notice\nDocumentRoot {d}\n\
         <Location />\n  SetOutputFilter RATE_LIMIT\n  SetEnv rate-limit 1024\n</Location>\n"
    );
    let conf = write(dir.path(), "httpd.conf", &conf);
    let args = ["-f".as_ref(), conf.as_os_str(), "-DFOREGROUND".as_ref()];
    let init = under_pidone(flags, apache, args).start();
    let stream = poll(&format!("apache {flags:?}"), "apache to listen", || {
        TcpStream::connect(("127.0.0.1", port)).ok()
    });
    stream
        .set_read_timeout(Some(DEADLINE))
        .expect("read timeout");
    let download = Transfer::start(stream, b"GET /big HTTP/1.0\r\nHost: recipe\r\n\r\n");
    download.await_first_bytes("apache");
    let stopped = init.docker_stop(DOCKER_STOP);
    let response = Response::parse(&download.finish(), b"");
    (stopped, response)
}

#[test]
fn apache_under_term_winch_finishes_a_download_in_flight_and_cuts_it_without() {
    let Some([apache]) = installed("apache", [("apache2", "apache2")]) else {
        return;
    };
    finishes_downloads_with_and_cuts_them_without(
        "apache",
        "apache2",
        "TERM:WINCH",
        SIZE,
        |flags| download_during_stop(&apache, flags),
    );
}
