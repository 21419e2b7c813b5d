//! Sets the shipped binary's link options, and bakes the git commit into
//! `--version` (`pidone version X.Y.Z - git.<commit>`),
//! the form `docker info` parses for its init. Never fails the build: without
//! git (a source tarball, a Docker build context without `.git`) the commit is
//! `unknown`, or whatever `PIDONE_GIT_COMMIT` says.

use std::process::Command;

fn main() {
    // Pack the static-pie's relative relocations (DT_RELR, binutils >= 2.38,
    // understood by musl >= 1.2.4's start-up code): 12 KB of .rela.dyn
    // become 176 bytes, and the binary stays position-independent (ASLR).
    // musl only: it is the shipped target, and the one we measured.
    let target = std::env::var("TARGET").unwrap_or_default();
    if target.ends_with("-musl") {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
        // No .eh_frame_hdr (5 KB): it only speeds up unwinding, and with
        // panic = "abort" and our own panic hook nothing ever unwinds or
        // prints a backtrace.
        println!("cargo:rustc-link-arg-bins=-Wl,--no-eh-frame-hdr");
    }
    println!("cargo:rerun-if-env-changed=PIDONE_GIT_COMMIT");
    // Where HEAD lives: `.git/` in a plain clone, elsewhere in a worktree
    // (where `.git` is a file). Watching a path that does not exist makes
    // cargo re-run this script, and rebuild pidone, on every command.
    // Without git there is nothing to watch and the commit is "unknown".
    let git_dir = Command::new("git")
        .args(["rev-parse", "--git-dir", "--git-common-dir"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| String::from_utf8_lossy(&out.stdout).into_owned());
    if let Some(dirs) = git_dir {
        let mut dirs = dirs.lines();
        if let (Some(own), Some(common)) = (dirs.next(), dirs.next()) {
            println!("cargo:rerun-if-changed={own}/HEAD");
            println!("cargo:rerun-if-changed={common}/refs");
        }
    }
    let commit = std::env::var("PIDONE_GIT_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
        .or_else(|| {
            let out = Command::new("git")
                .args(["rev-parse", "--short=7", "HEAD"])
                .output()
                .ok()?;
            let text = String::from_utf8(out.stdout).ok()?;
            let text = text.trim();
            (out.status.success() && !text.is_empty()).then(|| text.to_string())
        })
        // docker splits the version on "." after "git.", so keep it dot-free.
        .map(|c| c.replace('.', "-"))
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=PIDONE_GIT_COMMIT={commit}");
}
