//! Decimal numbers, parsed one way for the whole crate.
//!
//! Every integer type `str::parse` is used with adds its own copy of the
//! parser to the binary, whose size has a budget, so pidone parses as `u64`
//! once and converts. Pure.

/// TEXT as a decimal number of type T: digits, optionally after a `+`, and
/// in T's range. Negative numbers are never valid for pidone.
pub fn parse<T: TryFrom<u64>>(text: &str) -> Option<T> {
    parse_bytes(text.as_bytes()).and_then(|n| T::try_from(n).ok())
}

/// TEXT as a `u64`, exactly as `str::parse::<u64>` takes it: digits,
/// optionally after a `+`. On bytes, so that files read on every start
/// (the cgroup counters) need no UTF-8 check first; and std's generic
/// parser is not linked at all.
pub fn parse_bytes(text: &[u8]) -> Option<u64> {
    let digits = match text {
        [b'+', digits @ ..] => digits,
        _ => text,
    };
    if digits.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for &byte in digits {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(digit))?;
    }
    Some(n)
}

/// N in decimal, written into DIGITS (no allocation, no formatting
/// machinery): for log lines and `LISTEN_PID`, which are built where
/// allocating is not welcome.
pub fn decimal(mut n: u32, digits: &mut [u8; 10]) -> &[u8] {
    let mut start = digits.len();
    while let Some(slot) = start.checked_sub(1).and_then(|i| digits.get_mut(i)) {
        // n % 10 < 10: always a digit.
        *slot = b'0' + (n % 10) as u8;
        start -= 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    digits.get(start..).unwrap_or_default()
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
        // Exactly what str::parse::<u64> accepts, on every edge.
        for text in [
            "0",
            "+0",
            "+",
            "++1",
            "+-1",
            "-0",
            " 1",
            "1 ",
            "1_0",
            "007",
            "１",
            "18446744073709551615",
            "18446744073709551616",
            "99999999999999999999",
            "+18446744073709551615",
            "/",
            ":",
            "",
        ] {
            let want = text.parse::<u64>().ok();
            assert_eq!(parse_bytes(text.as_bytes()), want, "{text:?}");
            assert_eq!(parse::<u64>(text), want, "{text:?}");
        }
    }

    #[test]
    fn writes_decimals() {
        for (n, want) in [(0, "0"), (7, "7"), (42, "42"), (u32::MAX, "4294967295")] {
            assert_eq!(decimal(n, &mut [0; 10]), want.as_bytes());
        }
    }
}
