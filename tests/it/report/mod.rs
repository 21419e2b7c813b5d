//! `--report PATH` with `--stop-after` and `--stop-signal`: the shutdown
//! drill. Every report is read as JSON (serde_json), never grepped, and
//! checked key by key against what the test made happen: a stop on a timer
//! or from outside, an app that handles it, ignores it or dies of it,
//! orphans and leftovers, no child at all, and report paths that cannot be
//! written. Each scenario runs as PID 1 and as a subreaper, at both log
//! levels, unless it only makes sense one way.

use std::path::Path;

use serde_json::Value;

use crate::util::{self, matrix, with_embedded, Finished, Log, Mode, Run};

// Where the report goes: paths that cannot be written, relative paths, and
// runs that write none.
mod paths;

/// How late a timed event may come on a loaded two-core machine, and how
/// long a prompt exit may take: generous, as the lower bounds are exact.
const SLACK: u64 = 3_000;

/// `--stop-after` for apps that must set up their handlers before the stop
/// (a timer allows no handshake): long enough that they always have.
const STOP_AFTER_MS: u64 = 1_000;

/// `--stop-after` for apps with default dispositions, for which it does not
/// matter whether the stop comes before they are ready.
const QUICK_STOP_MS: u64 = 300;

/// Every key the contract says is always present.
const KEYS: &str = "version exit_code child error stop signals_forwarded orphans_reaped \
                    leftovers duration_ms";

/// A run's outcome and its report, parsed.
struct Reported {
    out: Finished,
    report: Value,
}

impl Reported {
    /// The number at POINTER (`/stop/at_ms`), failing with everything shown.
    fn ms(&self, pointer: &str) -> u64 {
        self.at(pointer)
            .as_u64()
            .unwrap_or_else(|| self.fail(&format!("{pointer} is not a number")))
    }

    /// The value at POINTER.
    fn at(&self, pointer: &str) -> &Value {
        self.report
            .pointer(pointer)
            .unwrap_or_else(|| self.fail(&format!("no {pointer}")))
    }

    /// Asserts that the value at POINTER is WANT.
    fn expect(&self, pointer: &str, want: Value) -> &Self {
        if *self.at(pointer) != want {
            self.fail(&format!("{pointer} should be {want}"));
        }
        self
    }

    /// Asserts LOW <= the number at POINTER < HIGH.
    fn within(&self, pointer: &str, low: u64, high: u64) -> &Self {
        let value = self.ms(pointer);
        if !(low..high).contains(&value) {
            self.fail(&format!("{pointer} = {value}, not in {low}..{high}"));
        }
        self
    }

    fn fail(&self, why: &str) -> ! {
        panic!(
            "report: {why}\n  report: {}\n  run: {:#?}",
            self.report, self.out
        )
    }
}

/// Reads the report at PATH after OUT (and removes it): exactly one line,
/// one JSON object with every key of the contract, whose numbers agree with
/// each other and with pidone's exit code.
fn read(out: Finished, path: &Path) -> Reported {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("no report at {}: {e}\n{out:#?}", path.display()));
    let _ = std::fs::remove_file(path);
    assert!(
        text.ends_with('\n') && text.lines().count() == 1,
        "one line: {text:?}\n{out:#?}"
    );
    let report: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON: {e}: {text}\n{out:#?}"));
    // For `--nocapture`: the run's mode and log level, and the report.
    let run: Vec<&str> = out.description.split(' ').take(2).collect();
    eprintln!("{}: {}", run.join(" "), text.trim_end());
    let reported = Reported { out, report };
    for key in KEYS.split_whitespace() {
        reported.at(&format!("/{key}"));
    }
    let code = reported.out.code.map(|c| c as u64);
    reported.expect("/version", env!("CARGO_PKG_VERSION").into());
    reported.expect("/exit_code", code.into());
    if reported.at("/child").is_object() {
        let runtime = reported.ms("/child/runtime_ms");
        reported.within("/duration_ms", runtime, u64::MAX);
        if reported.at("/stop").is_object() {
            // The stop splits the child's life in two; each part is
            // truncated to whole milliseconds, so the sum may lose one.
            let sum = reported.ms("/stop/at_ms") + reported.ms("/stop/child_exited_after_ms");
            reported.within("/child/runtime_ms", sum, sum + 2);
        }
    }
    reported
}

/// `PIDONE_REPORT=PATH` on RUN (the flag and the variable are one; the
/// variable reaches embedded mode too).
fn reporting(run: Run, path: &Path) -> Run {
    run.env_os("PIDONE_REPORT", path)
}

#[test]
fn stop_after_stops_a_term_handling_app_that_exits_0_and_says_when() {
    for (mode, log) in with_embedded() {
        let (path, file) = (util::temp_path("json"), util::temp_path("records"));
        let run = Run::new(mode, log).env("PIDONE_STOP_AFTER", &format!("{STOP_AFTER_MS}ms"));
        let mut init = reporting(run, &path)
            .testee(&["graceful", file.to_str().unwrap()])
            .start();
        init.expect("ready");
        let r = read(init.finish(), &path);
        r.out.assert_code(0);
        r.expect("/child/exit_code", 0.into())
            .expect("/child/signal", Value::Null)
            .expect("/child/core_dumped", false.into())
            .expect("/child/oom_killed", false.into())
            .expect("/error", Value::Null)
            .expect("/stop/signal", "SIGTERM".into())
            .expect("/stop/source", "stop-after".into())
            .within("/stop/at_ms", STOP_AFTER_MS, STOP_AFTER_MS + SLACK)
            .within("/stop/child_exited_after_ms", 0, SLACK)
            .expect("/stop/kill_after_fired", false.into())
            .expect("/signals_forwarded", 1.into())
            .expect("/orphans_reaped", 0.into())
            .expect("/leftovers/found", 0.into());
        // The app did get the SIGTERM and finished its work.
        let written = std::fs::read_to_string(&file).unwrap_or_default();
        assert_eq!(written, "started\nfinished\n", "{}", r.report);
        std::fs::remove_file(&file).unwrap();
    }
}

#[test]
fn kill_after_ends_a_term_ignoring_app_with_sigkill_and_the_report_says_it_fired() {
    let kill_after = 500;
    for (mode, log) in with_embedded() {
        let path = util::temp_path("json");
        let run = Run::new(mode, log)
            .env("PIDONE_STOP_AFTER", &format!("{STOP_AFTER_MS}ms"))
            .env("PIDONE_KILL_AFTER", &format!("{kill_after}ms"));
        let mut init = reporting(run, &path).testee(&["ignore-term"]).start();
        init.expect("ready");
        let r = read(init.finish(), &path);
        r.out.assert_code(137);
        r.expect("/child/exit_code", Value::Null)
            .expect("/child/signal", "SIGKILL".into())
            .expect("/stop/signal", "SIGTERM".into())
            .expect("/stop/source", "stop-after".into())
            .within("/stop/at_ms", STOP_AFTER_MS, STOP_AFTER_MS + SLACK)
            .within(
                "/stop/child_exited_after_ms",
                kill_after,
                kill_after + SLACK,
            )
            .expect("/stop/kill_after_fired", true.into())
            .expect("/signals_forwarded", 1.into());
    }
}

#[test]
fn leftovers_are_counted_by_fate_and_the_main_childs_code_is_kept() {
    for (mode, log) in with_embedded() {
        let (path, file) = (util::temp_path("json"), util::temp_path("leftover"));
        let run = Run::new(mode, log).env("PIDONE_GRACE", "500ms");
        let mut init = reporting(run, &path)
            .testee(&["leave-behind", file.to_str().unwrap(), "5", "stubborn"])
            .start();
        init.expect("leaving");
        let r = read(init.finish(), &path);
        r.out.assert_code(5);
        // One leftover finished on SIGTERM, one ignored it and was killed;
        // both became our orphans and were reaped.
        r.expect("/child/exit_code", 5.into())
            .expect("/child/signal", Value::Null)
            .expect("/stop", Value::Null)
            .expect("/signals_forwarded", 0.into())
            .expect("/orphans_reaped", 2.into())
            .expect("/leftovers/found", 2.into())
            .expect("/leftovers/exited_in_grace", 1.into())
            .expect("/leftovers/killed", 1.into())
            .expect("/leftovers/grace_ms", 500.into())
            .expect("/leftovers/grace", "set".into());
        let _ = std::fs::remove_file(&file);
    }
}

#[test]
fn every_orphan_reaped_is_counted() {
    for (mode, log) in with_embedded() {
        let path = util::temp_path("json");
        let mut init = reporting(Run::new(mode, log), &path)
            .testee(&["orphans", "50"])
            .start();
        init.expect("orphans done");
        init.signal(libc::SIGTERM);
        let r = read(init.finish(), &path);
        r.out.assert_code(143);
        r.expect("/orphans_reaped", 50.into())
            .expect("/child/signal", "SIGTERM".into());
    }
}

#[test]
fn a_sigterm_from_outside_is_an_external_stop() {
    for (mode, log) in with_embedded() {
        let path = util::temp_path("json");
        let mut init = reporting(Run::new(mode, log), &path)
            .testee(&["pause"])
            .start();
        init.expect("ready");
        init.signal(libc::SIGTERM);
        let r = read(init.finish(), &path);
        r.out.assert_code(143);
        r.expect("/child/exit_code", Value::Null)
            .expect("/child/signal", "SIGTERM".into())
            .expect("/stop/signal", "SIGTERM".into())
            .expect("/stop/sent", "SIGTERM".into())
            .expect("/stop/source", "external".into())
            .within("/stop/child_exited_after_ms", 0, SLACK)
            .expect("/stop/kill_after_fired", false.into())
            .expect("/signals_forwarded", 1.into())
            .expect("/leftovers/grace", "stop".into());
    }
}

#[test]
fn the_report_names_what_the_child_was_sent_for_the_stop() {
    // docker stop sends SIGTERM; -r TERM:QUIT sends the app SIGQUIT for
    // it, -r TERM:0 sends it nothing: signal 34 then ends the app. (A
    // lower-numbered signal could overtake the SIGTERM: pidone reads
    // pending signals lowest first.)
    for (mode, log) in with_embedded() {
        let cases = [
            ("TERM:QUIT", Value::from("SIGQUIT"), 131),
            ("TERM:0", Value::Null, 128 + 34),
        ];
        for (rewrite, sent, code) in cases {
            let path = util::temp_path("json");
            let mut init = reporting(Run::new(mode, log), &path)
                .env("PIDONE_REWRITE", rewrite)
                .testee(&["pause"])
                .start();
            init.expect("ready");
            init.signal(libc::SIGTERM);
            if sent.is_null() {
                init.signal(34);
            }
            let r = read(init.finish(), &path);
            r.out.assert_code(code);
            r.expect("/stop/signal", "SIGTERM".into())
                .expect("/stop/sent", sent.clone())
                .expect("/stop/source", "external".into());
        }
    }
}

/// Stops `testee pause` after QUICK_STOP_MS with OPTIONS (set by ENV) and
/// returns the report (asked for with `--report`, which beats anything
/// ENV says); the child dies of the default action.
fn quick_stop(mode: Mode, log: Log, options: &[&str], env: &[(&str, &str)]) -> Reported {
    let path = util::temp_path("json");
    let report = ["--report".as_ref(), path.as_os_str()];
    let mut run = Run::new(mode, log).args(options).args(report);
    for (name, value) in env {
        run = run.env(name, value);
    }
    let r = read(run.testee(&["pause"]).output(), &path);
    r.expect("/stop/source", "stop-after".into())
        .within("/stop/at_ms", QUICK_STOP_MS, QUICK_STOP_MS + SLACK)
        .expect("/signals_forwarded", 1.into());
    r
}

#[test]
fn stop_signal_int_stops_an_app_that_dies_of_int_with_130() {
    let after = format!("{QUICK_STOP_MS}ms");
    for (mode, log) in matrix() {
        let r = quick_stop(
            mode,
            log,
            &["--stop-after", &after, "--stop-signal", "INT"],
            &[],
        );
        r.out.assert_code(130);
        r.expect("/child/signal", "SIGINT".into())
            .expect("/stop/signal", "SIGINT".into());
    }
}

#[test]
fn the_stop_is_reported_as_received_even_when_rewritten() {
    // --stop-after acts as a stop from outside: --rewrite applies, and the
    // report names the signal before rewriting.
    let after = format!("{QUICK_STOP_MS}ms");
    for (mode, log) in matrix() {
        let r = quick_stop(mode, log, &["--stop-after", &after, "-r", "TERM:INT"], &[]);
        r.out.assert_code(130);
        r.expect("/child/signal", "SIGINT".into())
            .expect("/stop/signal", "SIGTERM".into())
            .expect("/stop/sent", "SIGINT".into());
    }
}

#[test]
fn a_stop_signal_that_is_not_terminating_is_still_a_stop_and_starts_kill_after() {
    // Regression: httpd's STOPSIGNAL is WINCH. With a stop signal outside
    // TERM/INT/QUIT/HUP the report's stop was null and --kill-after never
    // started, so a drill of an app that ignored it hung for good.
    let after = format!("{STOP_AFTER_MS}ms");
    for (mode, log) in matrix() {
        let path = util::temp_path("json");
        let run = Run::new(mode, log).args(["--stop-after", &after, "--kill-after", "200ms"]);
        let mut init = reporting(run.args(["--stop-signal", "USR1"]), &path)
            .testee(&["ack"])
            .start();
        init.expect("ready");
        init.expect("got 10");
        let r = read(init.finish(), &path);
        r.out.assert_code(137);
        r.expect("/stop/signal", "SIGUSR1".into())
            .expect("/stop/source", "stop-after".into())
            .expect("/stop/kill_after_fired", true.into())
            .within("/stop/child_exited_after_ms", 200, 200 + SLACK);
    }
}

#[test]
fn the_variables_do_what_the_flags_do_and_the_flags_win() {
    /// The report without what varies from run to run.
    fn shape(mut report: Value) -> Value {
        for pointer in ["/child", "/stop"] {
            let part = report.pointer_mut(pointer).unwrap();
            for key in ["pid", "runtime_ms", "at_ms", "child_exited_after_ms"] {
                part.as_object_mut().unwrap().remove(key);
            }
        }
        report.as_object_mut().unwrap().remove("duration_ms");
        report
    }
    let after = format!("{QUICK_STOP_MS}ms");
    let seconds = format!("{}", QUICK_STOP_MS as f64 / 1000.0);
    for (mode, log) in matrix() {
        let flags = quick_stop(
            mode,
            log,
            &["--stop-after", &after, "--stop-signal", "INT"],
            &[],
        );
        let path = util::temp_path("json");
        let vars = [
            ("PIDONE_STOP_AFTER", seconds.as_str()),
            ("PIDONE_STOP_SIGNAL", "INT"),
            ("PIDONE_REPORT", path.to_str().unwrap()),
        ];
        let out = vars
            .iter()
            .fold(Run::new(mode, log), |run, (name, value)| {
                run.env(name, value)
            })
            .testee(&["pause"])
            .output();
        let by_env = read(out, &path);
        assert_eq!(shape(by_env.report.clone()), shape(flags.report));
        by_env.within("/stop/at_ms", QUICK_STOP_MS, QUICK_STOP_MS + SLACK);
        // Each flag beats its variable.
        let ignored = util::temp_path("ignored");
        let r = quick_stop(
            mode,
            log,
            &["--stop-after", &after, "--stop-signal", "INT"],
            &[
                ("PIDONE_STOP_AFTER", "1h"),
                ("PIDONE_STOP_SIGNAL", "HUP"),
                ("PIDONE_REPORT", ignored.to_str().unwrap()),
            ],
        );
        r.expect("/stop/signal", "SIGINT".into());
        assert!(!ignored.exists(), "PIDONE_REPORT beat --report");
    }
}

#[test]
fn an_exec_failure_reports_no_child_and_the_error() {
    for (mode, log) in matrix() {
        for (program, code, says) in [
            ("/nonexistent/app/server", 127, "No such file or directory"),
            ("/", 126, "Permission denied"),
        ] {
            let path = util::temp_path("json");
            let out = reporting(Run::new(mode, log), &path)
                .args(["--", program])
                .output();
            let r = read(out, &path);
            r.out.assert_code(code);
            r.expect("/child", Value::Null)
                .expect("/stop", Value::Null)
                .expect("/signals_forwarded", 0.into())
                .expect("/error", format!("{program}: {says}").into());
        }
    }
}

#[test]
fn pause_reports_no_child_and_the_stop_that_ended_it() {
    for (mode, log) in matrix() {
        // Ended by a SIGTERM from outside, once pidone sleeps (a SIGTERM
        // before it has blocked signals would be dropped, as PID 1).
        let path = util::temp_path("json");
        let init = reporting(Run::new(mode, log).args(["--pause"]), &path).start();
        let pid = init.pid();
        util::wait_asleep("pause", pid);
        init.signal(libc::SIGTERM);
        let r = read(init.finish(), &path);
        r.out.assert_code(0);
        r.expect("/child", Value::Null)
            .expect("/error", Value::Null)
            .expect("/stop/signal", "SIGTERM".into())
            .expect("/stop/source", "external".into())
            .expect("/stop/child_exited_after_ms", Value::Null)
            .expect("/signals_forwarded", 0.into());
        // Ended by --stop-after, counted from pidone's start.
        let path = util::temp_path("json");
        let run = Run::new(mode, log).args(["--pause", "--stop-after", "300ms"]);
        let r = read(reporting(run, &path).output(), &path);
        r.out.assert_code(0);
        r.expect("/child", Value::Null)
            .expect("/stop/source", "stop-after".into())
            .within("/stop/at_ms", QUICK_STOP_MS, QUICK_STOP_MS + SLACK)
            .expect("/stop/child_exited_after_ms", Value::Null);
        r.within("/duration_ms", r.ms("/stop/at_ms"), u64::MAX);
    }
}
