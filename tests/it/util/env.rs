//! The machine the tests run on: whether this is CI, which programs are
//! on PATH, and the one way a test speaks past libtest's capture, for a
//! figure it measured or for the loud skip when something it needs is
//! missing. The rule the skip keeps: outside CI a test without what it
//! needs says so in one line on stderr and returns; under `CI=true`
//! (where `.ci/run` installed everything) it fails instead.

use std::io::Write;
use std::sync::Mutex;

/// Writes one line straight to the test process's stderr, past libtest's
/// output capture (which only sees `print!`/`eprint!`), so that measured
/// figures and skip notices show in a plain `cargo test` run.
pub fn announce(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Whether this is a CI run (`CI=true`), where a missing tool is a failure
/// rather than a reason to skip.
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Whether PROGRAM is on PATH.
pub fn command_exists(program: &str) -> bool {
    which(program).is_some()
}

/// Where PROGRAM is on PATH.
pub fn which(program: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|file| file.is_file())
}

/// WHAT (`every Docker test`) cannot run, because WHY: under `CI=true`
/// this fails the test; elsewhere it announces, once per WHAT however many
/// tests ask, `!!! SKIPPING WHAT: WHY. FIX, or set CI=true …`, and the
/// caller returns early.
pub fn skip(what: &str, why: &str, fix: &str) {
    if in_ci() {
        panic!("{what} cannot run, and CI=true makes that a failure: {why}");
    }
    static SAID: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let mut said = SAID.lock().unwrap_or_else(|e| e.into_inner());
    if !said.iter().any(|w| w == what) {
        said.push(what.to_string());
        announce(&format!(
            "!!! SKIPPING {what}: {why}. {fix}, or set CI=true to make this a failure."
        ));
    }
}
