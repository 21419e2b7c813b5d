//! The shipped build: `cargo build --release --target x86_64-unknown-linux-musl`
//! gives a statically linked, position-independent binary within the size
//! budget (480 KiB stripped; std's own floor is about 365 KB).
//!
//! Built into its own target directory (`util::static_build`) so
//! it never waits on the lock of the `cargo test` that runs us.

/// The size budget in bytes: 480 KiB (docs/benchmarks.md, "Binary size").
const BUDGET: u64 = 491_520;

#[test]
fn release_build_is_static_pie_and_small() {
    // The same build the Docker images use (util::binaries): the musl
    // target, or the static glibc fallback `.ci/run` announces.
    let binary = crate::util::static_build(["--bin", "pidone"], "pidone");
    let bytes = std::fs::read(&binary).expect("read the release binary");
    let elf = Elf(&bytes);
    assert_eq!(&bytes[..4], b"\x7fELF", "not an ELF file");
    assert_eq!(elf.u16(16), 3, "ET_DYN: position-independent (ASLR)");
    let headers: Vec<u32> = (0..elf.u16(56))
        .map(|i| elf.u32(elf.u64(32) as usize + usize::from(i) * usize::from(elf.u16(54))))
        .collect();
    assert!(
        !headers.contains(&3),
        "PT_INTERP: it needs a dynamic loader"
    );
    assert!(
        !elf.has_needed_libraries(),
        "DT_NEEDED: it links shared libraries"
    );
    let size = bytes.len() as u64;
    eprintln!("release binary {}: {size} bytes", binary.display());
    assert!(
        size <= BUDGET,
        "{size} bytes is over the {BUDGET}-byte budget"
    );
}

/// Just enough of a little-endian ELF64 reader.
struct Elf<'a>(&'a [u8]);

impl Elf<'_> {
    fn u16(&self, at: usize) -> u16 {
        u16::from_le_bytes([self.0[at], self.0[at + 1]])
    }

    fn u32(&self, at: usize) -> u32 {
        u32::from_le_bytes(self.0[at..at + 4].try_into().unwrap())
    }

    fn u64(&self, at: usize) -> u64 {
        u64::from_le_bytes(self.0[at..at + 8].try_into().unwrap())
    }

    /// Whether the PT_DYNAMIC segment lists any DT_NEEDED (1) entry.
    fn has_needed_libraries(&self) -> bool {
        let (phoff, phentsize) = (self.u64(32) as usize, usize::from(self.u16(54)));
        (0..usize::from(self.u16(56)))
            .map(|i| phoff + i * phentsize)
            .filter(|&ph| self.u32(ph) == 2)
            .any(|ph| {
                let (offset, size) = (self.u64(ph + 8) as usize, self.u64(ph + 32) as usize);
                (offset..offset + size)
                    .step_by(16)
                    .map(|entry| self.u64(entry))
                    .take_while(|&tag| tag != 0)
                    .any(|tag| tag == 1)
            })
    }
}
