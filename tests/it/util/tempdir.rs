//! A directory of the test's own, removed with everything in it when its
//! guard is dropped, whether the test passed or panicked; and a fresh path
//! for one file.

use std::path::{Path, PathBuf};

use super::names::unique;

/// A directory that is removed, with everything in it, when dropped. Under
/// the system temp dir, so unix socket paths inside it stay short.
pub struct TempDir(PathBuf);

/// A fresh path in the system temp dir for one file named after WHAT:
/// nothing is there yet, and no other test uses it.
pub fn temp_path(what: &str) -> PathBuf {
    std::env::temp_dir().join(unique(what))
}

impl TempDir {
    /// A fresh, empty directory named after WHAT.
    pub fn new(what: &str) -> TempDir {
        let path = temp_path(what);
        std::fs::create_dir_all(&path).expect("create a temp dir");
        TempDir(path)
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
