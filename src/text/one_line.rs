//! One line per message: control characters escaped as Rust writes them
//! (`\n`, `\r`, `\t`, `\u{1b}`).
//!
//! Messages quote values straight from the command line and the
//! environment: `-e $'1\n2'` printed a two-line error, and an escape
//! sequence in a value reached the user's terminal raw. The contract is one
//! line per failure and per log record. Pure.

use std::borrow::Cow;
use std::fmt::{self, Write};

/// TEXT with every control character escaped; borrowed when it has none.
pub fn one_line(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut line = String::with_capacity(text.len() + 8);
    let _ = write_one_line(&mut line, text);
    Cow::Owned(line)
}

/// Writes TEXT to OUT as [`one_line`] shows it.
pub fn write_one_line(out: &mut impl Write, text: &str) -> fmt::Result {
    let mut rest = text;
    while let Some(at) = rest.find(char::is_control) {
        let (plain, tail) = rest.split_at_checked(at).unwrap_or((rest, ""));
        out.write_str(plain)?;
        let mut chars = tail.chars();
        if let Some(control) = chars.next() {
            control
                .escape_default()
                .try_for_each(|e| out.write_char(e))?;
        }
        rest = chars.as_str();
    }
    out.write_str(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_nothing_else() {
        let table: &[(&str, &str)] = &[
            ("plain", "plain"),
            ("", ""),
            ("a\nb", "a\\nb"),
            ("TERM\r\x1b[2J\t", "TERM\\r\\u{1b}[2J\\t"),
            ("bell\u{7}, C1\u{85}, é", "bell\\u{7}, C1\\u{85}, é"),
            ("café ü", "café ü"),
            ("\n", "\\n"),
        ];
        for (text, want) in table {
            assert_eq!(one_line(text), *want, "{text:?}");
            assert!(!one_line(text).chars().any(char::is_control));
        }
        assert!(matches!(one_line("plain"), Cow::Borrowed(_)));
    }
}
