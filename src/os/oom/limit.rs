//! A cgroup's memory limit: read from its file, and shown to people.
//! Pure.

use super::scan::number;

/// A cgroup's memory limit, as far as we can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// A limit of this many bytes.
    Bytes(u64),
    /// No limit on this cgroup itself.
    Unlimited,
    /// The limit file could not be read.
    Unknown,
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Limit::Bytes(bytes) => write!(f, "memory limit {}", show_bytes(bytes)),
            Limit::Unlimited => f.write_str("no memory limit on this cgroup itself"),
            Limit::Unknown => f.write_str("memory limit not readable"),
        }
    }
}

/// A limit file: `max` (v2) or a number; v1 says "no limit" with a number
/// near 2^63, which we treat as unlimited.
pub fn parse_limit(text: &[u8]) -> Limit {
    if text.trim_ascii() == b"max" {
        return Limit::Unlimited;
    }
    match number(text) {
        Some(bytes) if bytes >= 1 << 62 => Limit::Unlimited,
        Some(bytes) => Limit::Bytes(bytes),
        None => Limit::Unknown,
    }
}

/// BYTES for people: `64 MiB`, `1.5 GiB`, `512 KiB`, `100 bytes`.
pub fn show_bytes(bytes: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (unit, size) in UNITS {
        if bytes >= size {
            let tenths = bytes * 10 / size;
            return if tenths % 10 == 0 {
                format!("{} {unit}", tenths / 10)
            } else {
                format!("{}.{} {unit}", tenths / 10, tenths % 10)
            };
        }
    }
    format!("{bytes} bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_limit_files() {
        let limits: &[(&str, Limit)] = &[
            ("max\n", Limit::Unlimited),
            ("33554432\n", Limit::Bytes(32 << 20)),
            ("9223372036854771712\n", Limit::Unlimited),
            ("junk", Limit::Unknown),
        ];
        for (text, want) in limits {
            assert_eq!(parse_limit(text.as_bytes()), *want, "{text:?}");
        }
    }

    #[test]
    fn shows_sizes_for_people() {
        let table: &[(u64, &str)] = &[
            (32 << 20, "32 MiB"),
            (64 << 20, "64 MiB"),
            (3 << 29, "1.5 GiB"),
            (512 << 10, "512 KiB"),
            (100, "100 bytes"),
        ];
        for (bytes, want) in table {
            assert_eq!(show_bytes(*bytes), *want);
        }
        assert_eq!(Limit::Bytes(64 << 20).to_string(), "memory limit 64 MiB");
    }
}
