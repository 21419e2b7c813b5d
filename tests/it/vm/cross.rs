//! The arm64 guest's binaries: pidone and the test child built for
//! `aarch64-unknown-linux-musl`, static, with the cross linker
//! `scripts/dist` uses (Debian's `aarch64-linux-gnu-gcc`, set for the build
//! only through `CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER`, as
//! `scripts/dist` does; a value already set wins).
//!
//! pidone is the shipped binary when there is a current one: `PIDONE_ARM64_BIN`
//! if set, else `dist/pidone-arm64` when it is newer than every source it is
//! built from (`.ci/run` runs `scripts/dist` before the suite); otherwise a
//! release build made here, so a stale `dist/` is never what passes. The
//! testee is always built here. Both go to a target directory of our own
//! (the `cargo test` running us holds the lock of its own).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::SystemTime;

use crate::util::command_exists;

/// The Rust target of the arm64 guest's binaries.
const TARGET: &str = "aarch64-unknown-linux-musl";

/// The linker variable cargo reads for TARGET, and scripts/dist's linker.
const LINKER_VAR: &str = "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER";
const LINKER: &str = "aarch64-linux-gnu-gcc";

/// The arm64 pidone and testee, and where that pidone comes from.
pub struct Binaries {
    pub pidone: PathBuf,
    pub testee: PathBuf,
    pub pidone_source: String,
}

/// The arm64 binaries, built once per run; Err says what is missing to
/// build them (the rustup target or the cross linker).
pub fn arm64() -> Result<&'static Binaries, String> {
    static BUILT: OnceLock<Result<Binaries, String>> = OnceLock::new();
    BUILT.get_or_init(build).as_ref().map_err(Clone::clone)
}

/// See the module docs.
fn build() -> Result<Binaries, String> {
    let linker = std::env::var(LINKER_VAR).unwrap_or_else(|_| LINKER.to_string());
    if !command_exists(&linker) {
        return Err(format!(
            "no aarch64 linker {linker} (Debian gcc-aarch64-linux-gnu) to build the arm64 \
             guest's test child"
        ));
    }
    let libdir = Command::new("rustc")
        .args(["--print", "target-libdir", "--target", TARGET])
        .output()
        .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
        .map_err(|e| format!("cannot run rustc: {e}"))?;
    if !libdir.is_dir() {
        return Err(format!(
            "the Rust target {TARGET} for the arm64 guest's test child is not installed"
        ));
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dist = root.join("dist/pidone-arm64");
    let shipped = match std::env::var_os("PIDONE_ARM64_BIN") {
        Some(path) => Some((PathBuf::from(path), "PIDONE_ARM64_BIN".to_string())),
        None if is_current(&dist) => Some((dist, "dist/pidone-arm64".to_string())),
        None => None,
    };
    let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("vm-arm64");
    cargo(&target_dir, &linker, &["--example", "testee"]);
    let testee = target_dir.join(TARGET).join("debug/examples/testee");
    let (pidone, pidone_source) = match shipped {
        Some(found) => found,
        None => {
            cargo(&target_dir, &linker, &["--release", "--bin", "pidone"]);
            let built = target_dir.join(TARGET).join("release/pidone");
            let why = "a release build made by the test (dist/pidone-arm64 is missing or \
                       older than the sources)";
            (built, why.to_string())
        }
    };
    Ok(Binaries {
        pidone,
        testee,
        pidone_source,
    })
}

/// Runs `cargo build` of WHAT for the aarch64 target into TARGET_DIR.
fn cargo(target_dir: &Path, linker: &str, what: &[&str]) {
    let mut cargo = Command::new(env!("CARGO"));
    cargo
        .args(["build", "--quiet", "--locked", "--target", TARGET])
        .args(what)
        .arg("--target-dir")
        .arg(target_dir)
        .env(LINKER_VAR, linker)
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    let status = cargo.status().expect("run cargo build");
    assert!(status.success(), "{cargo:?} failed");
}

/// Whether BINARY exists and is newer than every file pidone is built
/// from (src/, build.rs, Cargo.toml, Cargo.lock).
fn is_current(binary: &Path) -> bool {
    let Some(built) = modified(binary) else {
        return false;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut newest = SystemTime::UNIX_EPOCH;
    let mut pending = vec![
        root.join("src"),
        root.join("build.rs"),
        root.join("Cargo.toml"),
        root.join("Cargo.lock"),
    ];
    while let Some(path) = pending.pop() {
        match std::fs::read_dir(&path) {
            Ok(entries) => pending.extend(entries.flatten().map(|e| e.path())),
            Err(_) => newest = newest.max(modified(&path).unwrap_or(SystemTime::UNIX_EPOCH)),
        }
    }
    newest <= built
}

/// PATH's modification time, if it exists.
fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}
