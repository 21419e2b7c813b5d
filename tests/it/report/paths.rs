//! Where the report goes: a usage error writes none, a path that cannot be
//! written (or a FIFO nobody reads) is one warning that changes nothing
//! else, and a relative path is where pidone was started.

use std::path::Path;

use super::{read, reporting};
use crate::util::{self, matrix, Finished, Log, Mode, Run};

#[test]
fn a_usage_error_writes_no_report() {
    // There is no run to describe; a missing report is what a CI step
    // checks first.
    for mode in [Mode::Pid1, Mode::Plain] {
        let path = util::temp_path("json");
        let run = reporting(Run::new(mode, Log::Default), &path);
        let out = run.args(["--stop-signal", "KILL", "true"]).output();
        out.assert_code(2);
        assert_eq!(out.stderr.lines().count(), 1, "{out:#?}");
        assert!(!path.exists(), "{out:#?}");
    }
}

/// Asserts OUT exited with CODE and logged exactly one warning, the one
/// about the report at PATH.
fn assert_one_warning(out: &Finished, code: i32, path: &Path) {
    out.assert_code(code);
    let warned = out.log_lines("WARN");
    let want = format!("failed to write the report {}", path.display());
    assert!(
        warned.len() == 1 && warned[0].contains(&want),
        "one warning, {want:?}: {out:#?}"
    );
}

#[test]
fn a_fifo_nobody_reads_neither_hangs_pidone_nor_changes_its_exit_code() {
    for (mode, log) in matrix() {
        let fifo = util::temp_path("fifo");
        util::mkfifo(&fifo);
        // finish() fails the test if pidone hangs past the deadline.
        let out = reporting(Run::new(mode, log), &fifo)
            .testee(&["exit", "3"])
            .output();
        assert_one_warning(&out, 3, &fifo);
        std::fs::remove_file(&fifo).unwrap();
    }
}

#[test]
fn an_unwritable_report_path_is_a_warning_not_a_failure() {
    let dir = std::env::temp_dir();
    for (mode, log) in matrix() {
        for path in [Path::new("/nonexistent/dir/report.json"), dir.as_path()] {
            let out = reporting(Run::new(mode, log), path)
                .testee(&["raise", "15"])
                .output();
            assert_one_warning(&out, 143, path);
        }
    }
}

#[test]
fn relative_paths_are_where_pidone_was_started_not_where_it_moved() {
    // Regression: pidone leaves its working directory for `/` once the
    // child runs, and `--report r.json` (the README's own example) was
    // written to /r.json. The termination log had the same fault.
    for (mode, log) in matrix() {
        let dir = util::TempDir::new("report-cwd");
        let out = Run::new(mode, log)
            .current_dir(dir.path())
            .args(["--report", "r.json", "--termination-log", "t.log"])
            .testee(&["exit", "4"])
            .output();
        let r = read(out, &dir.path().join("r.json"));
        r.out.assert_code(4);
        let written = std::fs::read_to_string(dir.path().join("t.log")).unwrap_or_default();
        assert_eq!(written, "exited with code 4\n", "{:#?}", r.out);
    }
}
