//! PostgreSQL: SIGTERM is its "smart" shutdown, which waits until every
//! client has disconnected, so one idle connection (a pool, a forgotten
//! psql) makes `docker stop` end in a SIGKILL and a cluster left "in
//! production", which must run crash recovery at its next start. SIGINT is
//! its "fast" shutdown: it rolls back open transactions, disconnects the
//! clients, writes a checkpoint and exits. The recipe is `-r TERM:INT`.
//!
//! The server runs as `postgres` (pidone's `--user`), with its data and
//! its unix socket in the test's temp dir and no TCP listener.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{installed, owned_by, report, secs, under_pidone, DOCKER_STOP, SHORT_STOP};
use crate::util::{poll, Captured, Init, Stopped, DEADLINE};
use crate::util::{run_with_deadline, TempDir};

/// The cluster of one test: Debian's tools, the data dir, the socket dir.
struct Cluster {
    bin: PathBuf,
    data: PathBuf,
    socket: PathBuf,
    _dir: TempDir,
}

impl Cluster {
    /// A fresh cluster made by initdb, as user postgres.
    fn new(bin: PathBuf) -> Cluster {
        let dir = TempDir::new("recipe-postgres");
        let data = owned_by(dir.path(), "data", "postgres");
        let socket = owned_by(dir.path(), "sock", "postgres");
        let postgres = nix::unistd::User::from_name("postgres")
            .ok()
            .flatten()
            .expect("user postgres");
        let mut initdb = Command::new(bin.join("initdb"));
        initdb
            .args([
                "--auth=trust",
                "--username=postgres",
                "--no-instructions",
                "-D",
            ])
            .arg(&data)
            .current_dir(dir.path())
            .stdin(Stdio::null());
        std::os::unix::process::CommandExt::uid(&mut initdb, postgres.uid.as_raw());
        std::os::unix::process::CommandExt::gid(&mut initdb, postgres.gid.as_raw());
        let out = run_with_deadline(initdb, Duration::from_secs(120));
        assert!(out.status.success(), "initdb: {out:#?}");
        Cluster {
            bin,
            data,
            socket,
            _dir: dir,
        }
    }

    /// The server under pidone with FLAGS, once it accepts queries.
    fn start(&self, flags: &[&str]) -> Init {
        let mut all = vec!["--user", "postgres"];
        all.extend(flags);
        let args = [
            "-D".as_ref(),
            self.data.as_os_str(),
            "-c".as_ref(),
            "listen_addresses=".as_ref(),
            "-k".as_ref(),
            self.socket.as_os_str(),
        ];
        let init = under_pidone(&all, &self.bin.join("postgres"), args).start();
        poll(&format!("{flags:?}"), "postgres to accept queries", || {
            self.psql(&["-c", "select 1"])
                .status
                .success()
                .then_some(())
        });
        init
    }

    /// `psql ARGS` as the superuser over the cluster's socket.
    fn psql_command(&self) -> Command {
        let mut psql = Command::new(self.bin.join("psql"));
        psql.args(["-X", "-q", "-At", "-U", "postgres", "-d", "postgres", "-h"])
            .arg(&self.socket);
        psql
    }

    /// Runs `psql ARGS` to the end.
    fn psql(&self, args: &[&str]) -> std::process::Output {
        let mut psql = self.psql_command();
        psql.args(args).stdin(Stdio::null());
        run_with_deadline(psql, DEADLINE)
    }

    /// Runs SQL, which must succeed; returns what it printed.
    fn sql(&self, sql: &str) -> String {
        let out = self.psql(&["-c", sql]);
        assert!(out.status.success(), "{sql}: {out:#?}");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// A client that connects, says so, and then sits idle, as a pool's
    /// connection does. Killed when dropped.
    fn idle_client(&self) -> Captured {
        let mut psql = self.psql_command();
        psql.stdin(Stdio::piped());
        let mut client = Captured::spawn(psql, "idle psql".into(), true);
        let stdin = client.process.stdin.as_mut().expect("piped stdin");
        stdin
            .write_all(b"select 'connected';\n")
            .expect("talk to psql");
        let line = client.next_line(Instant::now() + DEADLINE, "psql connected");
        assert_eq!(line, "connected");
        client
    }

    /// What pg_controldata says of the cluster's state.
    fn state(&self) -> String {
        let mut command = Command::new(self.bin.join("pg_controldata"));
        command.arg(&self.data).env("LC_ALL", "C");
        let out = run_with_deadline(command, DEADLINE);
        let text = String::from_utf8_lossy(&out.stdout);
        text.lines()
            .find_map(|l| l.strip_prefix("Database cluster state:"))
            .unwrap_or_else(|| panic!("pg_controldata: {out:#?}"))
            .trim()
            .to_string()
    }
}

/// What the server logs when it starts from a cluster that was not shut
/// down.
const RECOVERY: &str = "automatic recovery in progress";

/// Stops INIT with an idle client connected, as `docker stop -t TIMEOUT`.
fn stop_with_idle_client(cluster: &Cluster, init: Init, timeout: Duration) -> Stopped {
    let client = cluster.idle_client();
    let stopped = init.docker_stop(timeout);
    drop(client);
    stopped
}

#[test]
fn postgres_under_term_int_shuts_down_with_an_idle_client_and_hangs_without() {
    let programs = [
        ("initdb", "postgresql"),
        ("postgres", "postgresql"),
        ("psql", "postgresql-client"),
        ("pg_controldata", "postgresql"),
    ];
    let Some([initdb, ..]) = installed("postgres", programs) else {
        return;
    };
    // Debian keeps the tools in /usr/lib/postgresql/N/bin; PATH may hold
    // links to some of them.
    let initdb = std::fs::canonicalize(&initdb).expect("resolve initdb");
    let cluster = Cluster::new(initdb.parent().expect("bin dir").to_owned());
    let recipe = ["-r", "TERM:INT"];

    // The recipe: a fast, clean shutdown although a client is connected.
    let init = cluster.start(&recipe);
    cluster.sql("create table kept (x int); insert into kept values (42)");
    let fast = stop_with_idle_client(&cluster, init, DOCKER_STOP);
    assert!(!fast.killed, "{fast:#?}");
    fast.finished.assert_code(0);
    assert_eq!(cluster.state(), "shut down");

    // Without it: the smart shutdown waits for the idle client until the
    // SIGKILL. The row is there after the clean shutdown, with no recovery.
    let init = cluster.start(&[]);
    assert_eq!(cluster.sql("select x from kept"), "42");
    cluster.sql("insert into kept values (43)");
    let hung = stop_with_idle_client(&cluster, init, SHORT_STOP);
    assert!(hung.killed, "{hung:#?}");
    assert!(!hung.finished.stderr.contains(RECOVERY), "{hung:#?}");
    assert_eq!(cluster.state(), "in production");

    // The next start has to recover; committed rows come back from the WAL.
    let init = cluster.start(&recipe);
    assert_eq!(cluster.sql("select x from kept order by x"), "42\n43");
    let last = init.docker_stop(DOCKER_STOP);
    assert!(last.finished.stderr.contains(RECOVERY), "{last:#?}");
    assert_eq!(cluster.state(), "shut down");

    // The server's own package, postgresql-N, named after its bin dir.
    let major = cluster.bin.parent().and_then(|v| v.file_name());
    let package = format!("postgresql-{}", major.unwrap_or_default().to_string_lossy());
    report(
        "postgres",
        &package,
        &format!(
            "-r TERM:INT with an idle client: stop {}, cluster \"shut down\"; without: \
             no exit within {} (SIGKILLed; docker stop would wait its 10 s), cluster \
             \"in production\", crash recovery at the next start",
            secs(fast.took),
            secs(SHORT_STOP)
        ),
    );
}
