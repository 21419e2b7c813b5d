//! The binaries under test and where they come from: pidone (the one cargo
//! built for this run, or `PIDONE_BIN`), the test child `testee` (the cargo
//! example next to this test binary, or `PIDONE_TESTEE`), and their static
//! builds for images `FROM scratch` (with the example app `graceful`).
//!
//! Tests run pidone and testee from copies in a directory of their own
//! under the system temp dir (0755, files 0755), made once per run: the
//! checkout may sit in a directory only root can enter (a clone under
//! /root), and children run as `nobody` (`--user`, `as-user`) must still
//! reach what they execute. Copies of runs that are gone are swept.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Instant, SystemTime};

use super::names::{left_by_runs_that_are_over, this_run};
use super::{poll_until, DEADLINE};

/// The prefix of the copies' directory; the rest is `<pid>-<start time>`.
const COPIES: &str = "pidone-test-bin-";

/// The pidone binary under test (a world-reachable copy): `PIDONE_BIN` if
/// set (to test a release or musl build), else the one cargo built.
pub fn pidone() -> PathBuf {
    copies().0.clone()
}

/// The test child (tests/helper/), a world-reachable copy.
pub fn testee() -> &'static Path {
    &copies().1
}

/// The test child under the name `testee-embedded`, which makes it call
/// `pidone::launch()` first in its main: a program with pidone embedded.
pub fn testee_embedded() -> &'static Path {
    &copies().2
}

/// The copies of pidone and testee, made on first use.
fn copies() -> &'static (PathBuf, PathBuf, PathBuf) {
    static COPIES_MADE: OnceLock<(PathBuf, PathBuf, PathBuf)> = OnceLock::new();
    COPIES_MADE.get_or_init(|| {
        // The copies of earlier runs whose test process is gone.
        for stale in left_by_runs_that_are_over(COPIES, "") {
            let _ = std::fs::remove_dir_all(stale);
        }
        let dir = std::env::temp_dir().join(format!("{COPIES}{}", this_run()));
        std::fs::create_dir_all(&dir).expect("create the binaries' directory");
        make_reachable(&dir);
        let pidone = copy_into(&dir, &pidone_source(), "pidone", &["--version"]);
        let testee = copy_into(&dir, &testee_source(), "testee", &["exit", "0"]);
        let embedded = copy_into(&dir, &testee, "testee-embedded", &["exit", "0"]);
        (pidone, testee, embedded)
    })
}

/// Sets PATH's mode to 0755: anyone may enter or run it, only we write.
fn make_reachable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("chmod 755 {}: {e}", path.display()));
}

/// Copies SOURCE to DIR/NAME (mode 0755) and runs it once with PROBE.
fn copy_into(dir: &Path, source: &Path, name: &str, probe: &[&str]) -> PathBuf {
    let copy = dir.join(name);
    std::fs::copy(source, &copy)
        .unwrap_or_else(|e| panic!("copy {} to {}: {e}", source.display(), copy.display()));
    make_reachable(&copy);
    // A process another test thread forked while the copy was open for
    // writing holds it open until it execs, and executing the copy fails
    // with ETXTBSY meanwhile. Once one run has got through, nothing can
    // hold it for writing any more.
    let ran = poll_until(Instant::now() + DEADLINE, || {
        match Command::new(&copy)
            .args(probe)
            .stdout(Stdio::null())
            .status()
        {
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) => None,
            other => Some(other),
        }
    });
    match ran {
        Some(Ok(_)) => copy,
        Some(Err(e)) => panic!("run {}: {e}", copy.display()),
        None => panic!("{} stayed busy (ETXTBSY)", copy.display()),
    }
}

/// Where pidone comes from: `PIDONE_BIN`, or cargo's build for this run.
fn pidone_source() -> PathBuf {
    std::env::var_os("PIDONE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_pidone")))
}

/// Where testee comes from: `PIDONE_TESTEE` (a testee built elsewhere, for
/// another architecture say), else the example cargo built beside this
/// test binary (`target/<triple>/debug/deps/it-…` → `…/debug/examples/
/// testee`). `cargo test --test it` builds no examples: when that one is
/// missing or older than its sources, it is built here, in a target
/// directory of our own (the `cargo test` running us holds the lock of its
/// own).
fn testee_source() -> PathBuf {
    if let Some(path) = std::env::var_os("PIDONE_TESTEE") {
        return PathBuf::from(path);
    }
    let me = std::env::current_exe().expect("the test binary's path");
    let profile = me
        .parent()
        .and_then(Path::parent)
        .expect("the test binary lives in <profile>/deps");
    let beside = profile.join("examples/testee");
    if is_fresh(&beside) {
        return beside;
    }
    // Built as this test binary was: same target (the directory above the
    // profile is named after it when cargo ran with --target), same profile.
    let target = profile
        .parent()
        .and_then(Path::file_name)
        .and_then(|name| name.to_str())
        .filter(|name| name.contains("-linux-"));
    let release = profile.file_name().is_some_and(|name| name == "release");
    let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("testee-build");
    let mut cargo = Command::new(env!("CARGO"));
    cargo
        .args(["build", "--quiet", "--example", "testee", "--target-dir"])
        .arg(&target_dir)
        .args(target.map(|t| ["--target", t]).into_iter().flatten())
        .args(release.then_some("--release"))
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    let status = cargo.status().expect("run cargo build --example testee");
    assert!(status.success(), "{cargo:?} failed");
    target_dir
        .join(target.unwrap_or(""))
        .join(if release { "release" } else { "debug" })
        .join("examples/testee")
}

/// Whether BINARY exists and is newer than the testee's sources.
fn is_fresh(binary: &Path) -> bool {
    let modified = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let Some(built) = modified(binary) else {
        return false;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sources = vec![root.join("Cargo.toml"), root.join("Cargo.lock")];
    if let Ok(dir) = std::fs::read_dir(root.join("tests/helper")) {
        sources.extend(dir.flatten().map(|e| e.path()));
    }
    sources
        .iter()
        .all(|source| modified(source).unwrap_or(SystemTime::UNIX_EPOCH) <= built)
}

/// The target the static binaries are built for, and whether it is the
/// static glibc fallback that `.ci/run` announces.
fn static_target() -> (&'static str, bool) {
    if std::env::var_os("PIDONE_STATIC_FALLBACK").is_some() {
        ("x86_64-unknown-linux-gnu", true)
    } else {
        ("x86_64-unknown-linux-musl", false)
    }
}

/// Builds the release TARGET_KIND (`--bin pidone`, `--example testee`)
/// for the static target, into the same private target directory as the
/// static_binary test (so it never waits on the lock of the `cargo test`
/// running us, and is built only once); returns the binary's path below
/// `<target>/release/`.
pub fn static_build(what: [&str; 2], below: &str) -> PathBuf {
    let (target, fallback) = static_target();
    let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("release-check");
    let mut cargo = Command::new(env!("CARGO"));
    cargo
        .args(["build", "--release", "--quiet", "--target", target])
        .args(what)
        .arg("--target-dir")
        .arg(&target_dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    if fallback {
        cargo.env("RUSTFLAGS", "-C target-feature=+crt-static");
    }
    let status = cargo.status().expect("run cargo build");
    assert!(status.success(), "{cargo:?} failed");
    target_dir.join(target).join("release").join(below)
}

/// The shipped pidone: `cargo build --release` for the musl target (the
/// static glibc fallback when `.ci/run` set `PIDONE_STATIC_FALLBACK`).
/// `PIDONE_STATIC_BIN` names a ready-made static binary instead.
pub fn static_pidone() -> &'static Path {
    static PIDONE: OnceLock<PathBuf> = OnceLock::new();
    PIDONE.get_or_init(|| match std::env::var_os("PIDONE_STATIC_BIN") {
        Some(path) => PathBuf::from(path),
        None => static_build(["--bin", "pidone"], "pidone"),
    })
}

/// The example app `examples/graceful.rs`, built static like the shipped
/// pidone: the app of docs/testing-shutdown.md, locally and in its image.
pub fn static_graceful() -> &'static Path {
    static GRACEFUL: OnceLock<PathBuf> = OnceLock::new();
    GRACEFUL.get_or_init(|| static_build(["--example", "graceful"], "examples/graceful"))
}

/// The testee built static, so it runs in a `FROM scratch` image: the test
/// child itself when this run is a static build already (the musl target,
/// or the static fallback), else a release build for the static target.
pub fn static_testee() -> &'static Path {
    static TESTEE: OnceLock<PathBuf> = OnceLock::new();
    TESTEE.get_or_init(|| {
        let static_run = cfg!(target_env = "musl") || static_target().1;
        if static_run || std::env::var_os("PIDONE_TESTEE").is_some() {
            testee().to_path_buf()
        } else {
            static_build(["--example", "testee"], "examples/testee")
        }
    })
}
