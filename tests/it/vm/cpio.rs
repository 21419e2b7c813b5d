//! The guest's initramfs: a cpio archive in the kernel's `newc` format
//! (documented in the kernel's `early-userspace/buffer-format.rst`), written
//! here so the suite needs no `cpio` tool. It holds only what the tests put
//! in it, every entry owned by root with a fixed time, and it never reads
//! the host's files by itself.

/// A newc archive being built; [`Cpio::finish`] returns its bytes.
pub struct Cpio {
    bytes: Vec<u8>,
    next_inode: u32,
}

/// The mode bits of a directory, a regular file and a character device.
const DIRECTORY: u32 = 0o040_000;
const FILE: u32 = 0o100_000;
const CHAR_DEVICE: u32 = 0o020_000;

impl Cpio {
    /// An empty archive.
    pub fn new() -> Cpio {
        Cpio {
            bytes: Vec::new(),
            next_inode: 1,
        }
    }

    /// Adds the directory NAME (a path without a leading `/`), mode 0755.
    pub fn dir(&mut self, name: &str) -> &mut Cpio {
        self.entry(name, DIRECTORY | 0o755, (0, 0), &[])
    }

    /// Adds the file NAME with PERMISSIONS (0755 for a program) and DATA.
    pub fn file(&mut self, name: &str, permissions: u32, data: &[u8]) -> &mut Cpio {
        self.entry(name, FILE | permissions, (0, 0), data)
    }

    /// Adds the character device NAME (MAJOR:MINOR), mode 0600.
    pub fn char_device(&mut self, name: &str, major: u32, minor: u32) -> &mut Cpio {
        self.entry(name, CHAR_DEVICE | 0o600, (major, minor), &[])
    }

    /// The archive, closed by the `TRAILER!!!` entry the kernel looks for.
    pub fn finish(mut self) -> Vec<u8> {
        self.entry("TRAILER!!!", 0, (0, 0), &[]);
        self.bytes
    }

    /// One entry: the 110-byte ASCII header, the NUL-terminated name and
    /// the data, each of the last two padded to a multiple of 4 bytes.
    fn entry(
        &mut self,
        name: &str,
        mode: u32,
        (major, minor): (u32, u32),
        data: &[u8],
    ) -> &mut Cpio {
        let inode = self.next_inode;
        self.next_inode += 1;
        let links = if mode & DIRECTORY == DIRECTORY { 2 } else { 1 };
        let size = u32::try_from(data.len()).expect("an initramfs file under 4 GiB");
        let name_size = u32::try_from(name.len() + 1).expect("a short name");
        // magic, then ino mode uid gid nlink mtime filesize devmajor
        // devminor rdevmajor rdevminor namesize check, 8 hex digits each.
        let fields = [
            inode, mode, 0, 0, links, 0, size, 0, 0, major, minor, name_size, 0,
        ];
        self.bytes.extend_from_slice(b"070701");
        for field in fields {
            self.bytes
                .extend_from_slice(format!("{field:08x}").as_bytes());
        }
        self.bytes.extend_from_slice(name.as_bytes());
        self.bytes.push(0);
        self.pad();
        self.bytes.extend_from_slice(data);
        self.pad();
        self
    }

    /// Zero bytes up to the next multiple of 4.
    fn pad(&mut self) {
        while self.bytes.len() % 4 != 0 {
            self.bytes.push(0);
        }
    }
}
