//! Being a good neighbour: once the child runs, pidone holds on to nothing
//! (its cwd is /, it keeps only 0-2 and its signalfd), so a reader of an
//! inherited pipe sees EOF when the app exits, not when pidone does; and a
//! socket-activated pidone hands LISTEN_PID over to the app.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use crate::util::{self, matrix, Log, Mode};

/// Kills a started process tree if the test ends early (a failed
/// assertion), so nothing outlives the test.
/// Disarmed once the test has waited for the process itself.
struct KillOnDrop(Option<i32>);

impl KillOnDrop {
    fn new(top: &std::process::Child) -> KillOnDrop {
        KillOnDrop(Some(top.id() as i32))
    }

    /// The process was reaped: its pid may be reused, never signal it.
    fn disarm(&mut self) {
        self.0 = None;
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let Some(top) = self.0.filter(|&pid| pid > 1) else {
            return;
        };
        for (pid, _) in util::descendants(top) {
            let _ = util::kill(pid, libc::SIGKILL);
        }
        let _ = util::kill(top, libc::SIGKILL);
    }
}

/// The descriptors pidone holds, with what they point to.
fn descriptors(pid: i32) -> Vec<(i32, String)> {
    let mut fds: Vec<(i32, String)> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|dir| {
            dir.filter_map(|e| {
                let e = e.ok()?;
                let fd = e.file_name().to_str()?.parse().ok()?;
                let target = std::fs::read_link(e.path()).ok()?;
                Some((fd, target.to_string_lossy().into_owned()))
            })
            .collect()
        })
        .unwrap_or_default();
    fds.sort();
    fds
}

/// pidone (as MODE) with the write end of a pipe (a FIFO) as its fd 3,
/// and the test's read end. ARGS follow pidone's mode options.
///
/// The write end is opened by a shell that then execs pidone, inside the
/// namespace: passed down from here, unshare (pidone's parent) would hold
/// a copy too, and EOF would wait for unshare instead of the app.
fn start_with_pipe(mode: Mode, log: Log, args: &[&str]) -> (std::process::Child, std::fs::File) {
    static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let fifo = std::env::temp_dir().join(format!("pidone-fifo-{}-{n}", std::process::id()));
    util::mkfifo(&fifo);
    let mut command = match mode {
        Mode::Pid1 => {
            let mut c = Command::new("unshare");
            c.args(["--pid", "--fork", "--kill-child", "--mount-proc", "sh"]);
            c
        }
        _ => Command::new("sh"),
    };
    command
        .args(["-c", r#"exec "$@" 3>"$0""#])
        .arg(&fifo)
        .arg(util::pidone());
    if mode != Mode::Pid1 {
        command.arg("-s");
    }
    command
        .args(args)
        .current_dir(std::env::temp_dir())
        .env_remove("PIDONE_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if log == Log::Debug {
        command.env("PIDONE_LOG", "debug");
    }
    let child = command.spawn().unwrap();
    // Blocks until the shell has opened the write end.
    let read_end = std::fs::File::open(&fifo).unwrap();
    std::fs::remove_file(&fifo).unwrap();
    (child, read_end)
}

/// Makes descriptor RAW of this process the child's fd 3, inherited
/// across exec (dup2 clears close-on-exec; when RAW already is 3, dup2 does
/// nothing, so clear the flag by hand).
fn inherit_as_fd3(command: &mut Command, raw: i32) {
    // SAFETY: dup2 and fcntl are async-signal-safe.
    unsafe {
        command.pre_exec(move || {
            let ok = if raw == 3 {
                libc::fcntl(3, libc::F_SETFD, 0) == 0
            } else {
                libc::dup2(raw, 3) == 3
            };
            if ok {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
}

/// The host pid of pidone for a `start_with_pipe` child.
fn pidone_pid(mode: Mode, top: &std::process::Child) -> i32 {
    let top = top.id() as i32;
    match mode {
        Mode::Pid1 => util::poll("unshare", "pidone", || {
            util::children(top)
                .into_iter()
                .find(|&p| util::exe(p) == util::pidone())
        }),
        _ => top,
    }
}

#[test]
fn pidone_keeps_no_directory_and_no_inherited_descriptor() {
    for (mode, log) in matrix() {
        let (mut top, read_end) = start_with_pipe(
            mode,
            log,
            &["--", util::testee().to_str().unwrap(), "pause"],
        );
        let mut guard = KillOnDrop::new(&top);
        let mut stdout =
            std::io::BufRead::lines(std::io::BufReader::new(top.stdout.take().unwrap()));
        assert_eq!(stdout.next().unwrap().unwrap(), "ready");
        let pid = pidone_pid(mode, &top);
        let fds = util::poll("fds", "pidone to close its inherited descriptors", || {
            let fds = descriptors(pid);
            (fds.len() == 4).then_some(fds)
        });
        let numbers: Vec<i32> = fds.iter().map(|(fd, _)| *fd).collect();
        assert_eq!(&numbers[..3], &[0, 1, 2], "{fds:?}");
        assert_eq!(fds[3].1, "anon_inode:[signalfd]", "{fds:?}");
        assert_eq!(
            std::fs::read_link(format!("/proc/{pid}/cwd")).unwrap(),
            std::path::Path::new("/")
        );
        // The child still has the pipe.
        let child = util::children(pid)[0];
        assert!(descriptors(child)
            .iter()
            .any(|(fd, t)| *fd == 3 && t.contains("pidone-fifo")));
        let _ = top.kill();
        let _ = top.wait();
        guard.disarm();
        drop(read_end);
    }
}

#[test]
fn the_reader_of_an_inherited_pipe_sees_eof_when_the_app_exits() {
    for (mode, log) in matrix() {
        // The app leaves a TERM-ignoring process (holding no pipe) behind,
        // so pidone lingers in its grace period after the app is gone.
        let (top, read_end) = start_with_pipe(
            mode,
            log,
            &[
                "--grace",
                "5s",
                "--",
                util::testee().to_str().unwrap(),
                "linger",
            ],
        );
        let mut guard = KillOnDrop::new(&top);
        let pid = pidone_pid(mode, &top);
        let mut pipe = read_end;
        let mut rest = vec![];
        pipe.read_to_end(&mut rest).unwrap();
        // EOF arrived: the app is gone, and pidone is still running.
        assert!(
            util::stat(pid).is_some_and(|s| s.state != 'Z'),
            "pidone held the pipe"
        );
        // End the leftover ourselves; pidone then exits with the app's 0.
        for (leftover, _) in util::descendants(pid) {
            let _ = util::kill(leftover, libc::SIGKILL);
        }
        let out = util::wait_output(top, "pidone after its leftover died");
        guard.disarm();
        assert_eq!(out.status.code(), Some(0));
    }
}

#[test]
fn socket_activation_hands_listen_pid_to_the_app() {
    for (mode, log) in matrix() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let raw = listener.as_raw_fd();
        // A wrapper that sets LISTEN_PID to its own pid and execs pidone,
        // as systemd does for the process it activates.
        let mut line: Vec<String> = vec![];
        if mode == Mode::Pid1 {
            line.extend(
                ["unshare", "--pid", "--fork", "--kill-child", "--mount-proc"].map(String::from),
            );
        }
        line.extend([
            "sh".into(),
            "-c".into(),
            r#"LISTEN_PID=$$ LISTEN_FDS=1 exec "$@""#.into(),
            "sh".into(),
        ]);
        line.push(util::pidone().to_string_lossy().into_owned());
        if mode != Mode::Pid1 {
            line.push("-s".into());
        }
        line.extend([
            "--".into(),
            util::testee().to_string_lossy().into_owned(),
            "listen".into(),
        ]);
        let mut command = Command::new(&line[0]);
        command
            .args(&line[1..])
            .env_remove("PIDONE_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if log == Log::Debug {
            command.env("PIDONE_LOG", "debug");
        }
        inherit_as_fd3(&mut command, raw);
        let mut top = command.spawn().unwrap();
        let mut guard = KillOnDrop::new(&top);
        let mut stdout =
            std::io::BufRead::lines(std::io::BufReader::new(top.stdout.take().unwrap()));
        let first = stdout.next().unwrap().unwrap();
        let fields: Vec<&str> = first.split(' ').collect();
        assert_eq!(fields.len(), 6, "{first}");
        assert_eq!(
            fields[1], fields[3],
            "the app must see its own pid in LISTEN_PID: {first}"
        );
        assert_eq!(fields[5], "1", "{first}");
        assert_eq!(stdout.next().unwrap().unwrap(), "ready");
        let _connection = TcpStream::connect(address).unwrap();
        assert_eq!(stdout.next().unwrap().unwrap(), "accepted");
        let out = util::wait_output(top, "socket-activated pidone");
        guard.disarm();
        assert_eq!(out.status.code(), Some(0));
    }
}

#[test]
fn listen_pid_of_another_process_passes_through_untouched() {
    let out = crate::util::Run::new(Mode::Subreaper, Log::Default)
        .env("LISTEN_PID", "12345")
        .env("LISTEN_FDS", "0")
        .testee(&["listen"])
        .start();
    let mut init = out;
    let first = init.line_where("listen line", |l| l.starts_with("listen_pid"));
    assert!(first.starts_with("listen_pid 12345 pid "), "{first}");
}
