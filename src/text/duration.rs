//! Durations as people write them on a command line: `500ms`, `2s`, `1m`,
//! `1.5s`, or a bare number of seconds (`2`, `0.25`).
//!
//! Pure: no syscalls. Used for `--grace` and `--kill-after`.

use std::time::Duration;

/// The longest duration pidone takes: a year and a day, so that adding one
/// to any instant of a run can never overflow.
pub const MAX: Duration = Duration::from_secs(366 * 24 * 3_600);

/// Parses TEXT as a duration. Negative, empty, unitless garbage, unknown
/// units and absurd sizes (over a year) are `None`.
pub fn parse(text: &str) -> Option<Duration> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let millis_per_unit: u64 = match unit {
        "" | "s" => 1_000,
        "ms" => 1,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return None,
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(fraction) || whole.len() > 12 {
        return None;
    }
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        crate::text::number::parse(whole)?
    };
    // Up to millisecond precision: keep three digits of the fraction.
    let mut fraction_millis: u64 = 0;
    let mut scale = 1_000 * millis_per_unit;
    for digit in fraction.bytes() {
        scale /= 10;
        fraction_millis += u64::from(digit - b'0') * scale;
    }
    let millis = whole
        .checked_mul(millis_per_unit)?
        .checked_add(fraction_millis / 1_000)?;
    let d = Duration::from_millis(millis);
    (d <= MAX).then_some(d)
}

/// Shows D the way people write it: `2s`, `500ms`, `1.5s`.
pub fn show(d: Duration) -> String {
    // In u64 (584 million years of milliseconds): u128 arithmetic and
    // formatting (Duration::as_millis) weigh on the binary's size budget.
    let millis = d
        .as_secs()
        .saturating_mul(1_000)
        .saturating_add(u64::from(d.subsec_millis()));
    if millis % 1_000 == 0 {
        format!("{}s", millis / 1_000)
    } else if millis < 1_000 {
        format!("{millis}ms")
    } else {
        let text = format!("{}.{:03}", millis / 1_000, millis % 1_000);
        format!("{}s", text.trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_durations() {
        let ms = Duration::from_millis;
        let table: &[(&str, Option<Duration>)] = &[
            ("0", Some(ms(0))),
            ("2", Some(ms(2_000))),
            ("2s", Some(ms(2_000))),
            ("500ms", Some(ms(500))),
            ("1m", Some(ms(60_000))),
            ("1h", Some(ms(3_600_000))),
            ("1.5s", Some(ms(1_500))),
            ("0.25", Some(ms(250))),
            (".5", Some(ms(500))),
            ("1.5m", Some(ms(90_000))),
            ("0ms", Some(ms(0))),
            ("", None),
            ("s", None),
            (".", None),
            ("-1s", None),
            ("-1", None),
            ("5x", None),
            ("5 s", None),
            ("1.2.3", None),
            ("1e3", None),
            ("9999999999999", None),
            ("367d", None),
            ("9000h", None),
        ];
        for (text, want) in table {
            assert_eq!(parse(text), *want, "parse({text:?})");
        }
    }

    #[test]
    fn shows_durations() {
        let ms = Duration::from_millis;
        let table: &[(Duration, &str)] = &[
            (ms(0), "0s"),
            (ms(2_000), "2s"),
            (ms(300), "300ms"),
            (ms(1_500), "1.5s"),
            (ms(1_250), "1.25s"),
            (ms(300_000), "300s"),
        ];
        for (d, want) in table {
            assert_eq!(show(*d), *want);
        }
    }
}
