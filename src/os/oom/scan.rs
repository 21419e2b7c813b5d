//! Scanning the bytes of the small files pidone reads on every start
//! (`/proc/self/cgroup` and the cgroup counters): lines, a byte, a word,
//! and the numbers in `key value` lines. Pure: never reads a file itself.
//!
//! On bytes, not `str`: checking whole files for UTF-8 costs, and nothing
//! here needs it. Plain loops rather than iterator adaptors (opt-level "z",
//! which the 386 build uses, leaves those as calls per byte and per
//! field), and a word at a time where the distances are long: this runs on
//! every start, over files of a few hundred bytes (docs/benchmarks.md).

/// The line at the start of TEXT, without its newline, moving TEXT past
/// it; `None` once TEXT is empty.
pub fn next_line<'t>(text: &mut &'t [u8]) -> Option<&'t [u8]> {
    if text.is_empty() {
        return None;
    }
    let (line, rest) = text.split_at_checked(find(text, b'\n'))?;
    *text = rest.get(1..).unwrap_or_default();
    Some(line)
}

/// The index of the first WORD in TEXT. Where its first byte is, a word
/// of TEXT at a time ([`find`]), then whether WORD starts there.
pub fn find_word(text: &[u8], word: &[u8]) -> Option<usize> {
    let first = *word.first()?;
    let mut at = 0;
    loop {
        let rest = text.get(at..)?;
        let found = find(rest, first);
        if rest.get(found..)?.starts_with(word) {
            return Some(at + found);
        }
        // Past the end when not found: the get above ends the loop then.
        at += found + 1;
    }
}

/// The index of the first SEPARATOR in TEXT, or TEXT's length; byte by
/// byte, for fields of a few bytes, where setting up [`find`] costs more
/// than it saves.
pub fn find_short(text: &[u8], separator: u8) -> usize {
    text.iter()
        .position(|&b| b == separator)
        .unwrap_or(text.len())
}

/// The index of the first BYTE in TEXT, or TEXT's length. A word at a time,
/// as memchr does (std's is not public for slices), on the files read on
/// every start.
fn find(text: &[u8], byte: u8) -> usize {
    const WORD: usize = size_of::<usize>();
    const ONES: usize = usize::from_ne_bytes([0x01; WORD]);
    const HIGHS: usize = usize::from_ne_bytes([0x80; WORD]);
    let pattern = ONES * usize::from(byte);
    let mut words = text.chunks_exact(WORD);
    let mut at = 0;
    for word in words.by_ref() {
        let Ok(word) = <[u8; WORD]>::try_from(word) else {
            break;
        };
        // A zero byte in X where the word holds BYTE, flagged in HIGHS. A
        // flag may be false, but only above a true one (a borrow): the
        // lowest flag, the first byte in memory (little-endian), is right.
        let x = usize::from_le_bytes(word) ^ pattern;
        let flags = x.wrapping_sub(ONES) & !x & HIGHS;
        if flags != 0 {
            return at + flags.trailing_zeros() as usize / 8;
        }
        at += WORD;
    }
    at + find_short(words.remainder(), byte)
}

/// The number after KEY in a `key value` per line file (`memory.events`,
/// `memory.oom_control`).
pub fn parse_keyed(text: &[u8], key: &[u8]) -> Option<u64> {
    let mut rest = text;
    while let Some(line) = next_line(&mut rest) {
        // "KEY VALUE": the byte after KEY first, so that the other lines
        // cost one comparison, not one of KEY's length.
        let Some((name, value)) = line.split_at_checked(key.len()) else {
            continue;
        };
        if let [b' ', value @ ..] = value {
            if let Some(n) = (name == key).then(|| number(value)).flatten() {
                return Some(n);
            }
        }
    }
    None
}

/// TEXT, surrounding whitespace aside, as a decimal number.
pub fn number(text: &[u8]) -> Option<u64> {
    crate::text::number::parse_bytes(text.trim_ascii())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_bytes_and_lines() {
        // Every length to past two words, the byte at every place, after
        // bytes that differ from it by one bit (borrows in the word trick)
        // and after bytes above 0x7f.
        for len in 0..=20 {
            for fill in [b'a', b';', b'9', 0xba, 0xff, 0x00] {
                let mut text = vec![fill; len];
                assert_eq!(find(&text, b':'), len, "{text:?}");
                for at in 0..len {
                    text.fill(fill);
                    text[at] = b':';
                    if let Some(later) = text.get_mut(at + 1) {
                        *later = b':';
                    }
                    assert_eq!(find(&text, b':'), at, "{text:?}");
                }
            }
        }
        assert_eq!(find(b"0::/\n", b'\n'), 4);
        // Lines: the last may lack its newline; an empty one is a line.
        let mut text = &b"a\n\nb:c"[..];
        let mut lines = vec![];
        while let Some(line) = next_line(&mut text) {
            lines.push(line);
        }
        assert_eq!(lines, [&b"a"[..], b"", b"b:c"]);
    }

    #[test]
    fn parses_counters_and_limits() {
        let table: &[(&str, &str, Option<u64>)] = &[
            (
                "low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\noom_group_kill 0\n",
                "oom_kill",
                Some(2),
            ),
            (
                "oom_kill_disable 0\nunder_oom 0\noom_kill 7\n",
                "oom_kill",
                Some(7),
            ),
            ("oom_kill_disable 0\nunder_oom 0\n", "oom_kill", None),
            // The last line may lack its newline; junk values are skipped.
            (
                "oom_kill x\noom_kill 18446744073709551615",
                "oom_kill",
                Some(u64::MAX),
            ),
            ("oom_kill 18446744073709551616\n", "oom_kill", None),
            ("oom_kill\noom_kill  \n", "oom_kill", None),
            ("", "oom_kill", None),
        ];
        for &(text, key, want) in table {
            assert_eq!(
                parse_keyed(text.as_bytes(), key.as_bytes()),
                want,
                "{text:?}"
            );
        }
        let numbers: &[(&str, Option<u64>)] = &[
            ("42\n", Some(42)),
            (" 7 \n", Some(7)),
            ("", None),
            ("-1\n", None),
            ("4x\n", None),
        ];
        for &(text, want) in numbers {
            assert_eq!(number(text.as_bytes()), want, "{text:?}");
        }
    }
}
