//! Decimal numbers, parsed one way for the whole crate.
//!
//! Every integer type `str::parse` is used with costs its own copy of the
//! parser in the binary (about 250 bytes each, and the size budget is
//! tight), so pidone parses as `u64` once and converts. Pure.

/// TEXT as a decimal number of type T: digits, optionally after a `+`, and
/// in T's range. Negative numbers are never valid for pidone.
pub fn parse<T: TryFrom<u64>>(text: &str) -> Option<T> {
    text.parse::<u64>().ok().and_then(|n| T::try_from(n).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_in_range_and_nothing_else() {
        assert_eq!(parse::<u8>("255"), Some(255));
        assert_eq!(parse::<u8>("256"), None);
        assert_eq!(parse::<i32>("42"), Some(42));
        assert_eq!(parse::<i32>("-1"), None);
        assert_eq!(parse::<u32>("4294967295"), Some(u32::MAX));
        assert_eq!(parse::<u64>("x"), None);
        assert_eq!(parse::<u64>(""), None);
    }
}
