//! nginx: SIGTERM is its fast shutdown, which closes every connection at
//! once; SIGQUIT is its graceful shutdown, which lets responses in flight
//! finish. The recipe is `-r TERM:QUIT`: a download in flight when the
//! stop comes completes, and nginx exits 0.

use std::path::Path;

use super::{
    big_file, connect_unix, finishes_downloads_with_and_cuts_them_without, installed, under_pidone,
    write, DOCKER_STOP,
};
use super::{Response, Transfer};
use crate::util::Stopped;
use crate::util::TempDir;

/// The file downloaded: 2 MiB at 1 MiB/s (`limit_rate`) takes two seconds,
/// so the stop comes while it is in flight.
const SIZE: usize = 2 << 20;

/// One run: nginx under pidone with FLAGS, a download started, the stop
/// made once its first bytes have come; the stop and the response.
fn download_during_stop(nginx: &Path, flags: &[&str]) -> (Stopped, Response) {
    let dir = TempDir::new("recipe-nginx");
    let d = dir.path().display();
    big_file(dir.path(), "big", SIZE);
    // Everything nginx writes stays in the temp dir; its log goes to
    // stderr (captured); the workers run as nginx's default user, which
    // can read the 0755 dir and its 0644 file.
    let conf = format!(
        "worker_processes 1;\npid {d}/nginx.pid;\nerror_log stderr notice;\n\
         events {{}}\nhttp {{\n  access_log off;\n\
         client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
         fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n\
         scgi_temp_path {d}/scgi;\n\
         server {{\n    listen unix:{d}/sock;\n    root {d};\n    limit_rate 1m;\n  }}\n}}\n"
    );
    let conf = write(dir.path(), "nginx.conf", &conf);
    let args = [
        "-e".as_ref(),
        "stderr".as_ref(),
        "-p".as_ref(),
        dir.path().as_os_str(),
        "-c".as_ref(),
        conf.as_os_str(),
        "-g".as_ref(),
        "daemon off;".as_ref(),
    ];
    let init = under_pidone(flags, nginx, args).start();
    let download = Transfer::start(
        connect_unix(&dir.path().join("sock")),
        b"GET /big HTTP/1.0\r\nHost: recipe\r\n\r\n",
    );
    download.await_first_bytes("nginx");
    let stopped = init.docker_stop(DOCKER_STOP);
    let response = Response::parse(&download.finish(), b"");
    (stopped, response)
}

#[test]
fn nginx_under_term_quit_finishes_a_download_in_flight_and_cuts_it_without() {
    let Some([nginx]) = installed("nginx", [("nginx", "nginx")]) else {
        return;
    };
    finishes_downloads_with_and_cuts_them_without("nginx", "nginx", "TERM:QUIT", SIZE, |flags| {
        download_during_stop(&nginx, flags)
    });
}
