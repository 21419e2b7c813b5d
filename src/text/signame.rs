//! Signal names and numbers, both ways: `TERM`, `SIGTERM`, `term`, `15`,
//! `RTMIN+3` in, `SIGTERM` or `SIGRTMIN+3` out.
//!
//! Pure: no syscalls. Real-time signals are numbered the way bash, glibc and
//! Docker number them (`RTMIN` = 34, `RTMAX` = 64), never the way musl's own
//! `SIGRTMIN()` does (35, because musl reserves 32–34 for itself): users read
//! our logs next to `kill -l` and `docker kill -s RTMIN+1`, and those say 35.

use std::fmt;

/// The lowest real-time signal number, as bash, glibc and Docker name it.
pub const RTMIN: i32 = 34;
/// The highest signal number Linux has on x86_64 (and the last bit of the
/// 64-bit mask the kernel reads).
pub const RTMAX: i32 = 64;

/// Names of the standard signals 1–31, in order, one space apart (Linux
/// x86_64). One string rather than an array of them: each `&str` in a
/// static array is a pointer the static-pie start-up code must relocate on
/// every start, for names that are only read when a signal is parsed or
/// logged.
const STANDARD: &str = "HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM \
                        STKFLT CHLD CONT STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO \
                        PWR SYS";

/// Old aliases that `kill -l` and scripts still use.
fn alias(name: &str) -> Option<i32> {
    match name {
        "IOT" => Some(6),
        "POLL" => Some(29),
        "CLD" => Some(17),
        _ => None,
    }
}

/// The name of standard signal N (1–31).
fn standard(n: i32) -> Option<&'static str> {
    STANDARD
        .split(' ')
        .nth(usize::try_from(n).ok()?.checked_sub(1)?)
}

/// Whether SIGNO is a signal number: 1-64.
pub fn is_signal(signo: i32) -> bool {
    (1..=RTMAX).contains(&signo)
}

/// Parses a signal given by a person: a number 1–64 or a name, with or
/// without `SIG`, in any case, including `RTMIN`, `RTMIN+N`, `RTMAX-N` and
/// `RTMAX`. Returns `None` for anything else (0 included: it is no signal).
pub fn parse(text: &str) -> Option<i32> {
    let upper = text.to_ascii_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    if let Some(n) = parse_number(name) {
        return is_signal(n).then_some(n);
    }
    if let Some(i) = STANDARD.split(' ').position(|s| s == name) {
        // 31 names: the index always fits an i32.
        return Some(i as i32 + 1);
    }
    if let Some(n) = alias(name) {
        return Some(n);
    }
    let realtime = if let Some(rest) = name.strip_prefix("RTMIN") {
        offset(rest, '+').map(|n| RTMIN + n)
    } else if let Some(rest) = name.strip_prefix("RTMAX") {
        offset(rest, '-').map(|n| RTMAX - n)
    } else {
        None
    };
    realtime.filter(|n| (RTMIN..=RTMAX).contains(n))
}

/// `""` is an offset of 0; `"+3"` (with `sign` = '+') is 3.
fn offset(rest: &str, sign: char) -> Option<i32> {
    if rest.is_empty() {
        return Some(0);
    }
    parse_number(rest.strip_prefix(sign)?)
}

/// Plain decimal digits only (no sign, no spaces), small enough to be a signal.
fn parse_number(text: &str) -> Option<i32> {
    if text.is_empty() || text.len() > 3 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    crate::text::number::parse(text)
}

/// A signal number that displays as its name: `SIGTERM`, `SIGRTMIN+1`,
/// `SIGRTMAX-2`, and `SIG32`/`SIG33` for the two that the C libraries keep
/// for themselves and that have no name. Out-of-range numbers show as
/// `signal N` so a log line is never wrong, only plain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Name(pub i32);

/// `SIGTERM`; with `{:#}`, `TERM`, as `kill -l` and Docker name them.
impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        let sig = if f.alternate() { "" } else { "SIG" };
        match n {
            1..=31 => {
                let name = standard(n).unwrap_or("?");
                write!(f, "{sig}{name}")
            }
            32 | 33 => write!(f, "{sig}{n}"),
            RTMIN => write!(f, "{sig}RTMIN"),
            RTMAX => write!(f, "{sig}RTMAX"),
            // bash's split: RTMIN+1..RTMIN+15, then RTMAX-14..RTMAX-1.
            35..=49 => write!(f, "{sig}RTMIN+{}", n - RTMIN),
            50..=63 => write!(f, "{sig}RTMAX-{}", RTMAX - n),
            _ => write!(f, "signal {n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_accepted_spelling() {
        let table: &[(&str, Option<i32>)] = &[
            ("TERM", Some(15)),
            ("SIGTERM", Some(15)),
            ("term", Some(15)),
            ("SigTerm", Some(15)),
            ("15", Some(15)),
            ("HUP", Some(1)),
            ("SYS", Some(31)),
            ("IOT", Some(6)),
            ("32", Some(32)),
            ("33", Some(33)),
            ("SIG32", Some(32)),
            ("RTMIN", Some(34)),
            ("SIGRTMIN", Some(34)),
            ("RTMIN+0", Some(34)),
            ("RTMIN+1", Some(35)),
            ("rtmin+3", Some(37)),
            ("RTMIN+30", Some(64)),
            ("RTMAX", Some(64)),
            ("RTMAX-1", Some(63)),
            ("SIGRTMAX-30", Some(34)),
            ("64", Some(64)),
            ("1", Some(1)),
            ("0", None),
            ("65", None),
            ("-1", None),
            ("+15", None),
            ("", None),
            ("SIG", None),
            ("NOSUCH", None),
            ("RTMIN+31", None),
            ("RTMAX-31", None),
            ("RTMIN-1", None),
            ("RTMAX+1", None),
            ("RTMIN+", None),
            (" TERM", None),
            ("TERM ", None),
            ("0015", None),
            ("99999999999", None),
        ];
        for (text, want) in table {
            assert_eq!(parse(text), *want, "parse({text:?})");
        }
    }

    #[test]
    fn names_every_signal() {
        let table: &[(i32, &str)] = &[
            (1, "SIGHUP"),
            (9, "SIGKILL"),
            (15, "SIGTERM"),
            (17, "SIGCHLD"),
            (31, "SIGSYS"),
            (32, "SIG32"),
            (33, "SIG33"),
            (34, "SIGRTMIN"),
            (35, "SIGRTMIN+1"),
            (49, "SIGRTMIN+15"),
            (50, "SIGRTMAX-14"),
            (63, "SIGRTMAX-1"),
            (64, "SIGRTMAX"),
            (0, "signal 0"),
            (65, "signal 65"),
        ];
        for (n, want) in table {
            assert_eq!(Name(*n).to_string(), *want);
        }
    }

    #[test]
    fn the_name_string_holds_the_31_standard_signals() {
        assert_eq!(STANDARD.split(' ').count(), 31);
        assert_eq!(standard(1), Some("HUP"));
        assert_eq!(standard(31), Some("SYS"));
        assert_eq!(standard(0), None);
        assert_eq!(standard(32), None);
    }

    #[test]
    fn every_name_parses_back_to_its_number() {
        for n in 1..=RTMAX {
            let name = Name(n).to_string();
            assert_eq!(parse(&name), Some(n), "{name}");
        }
    }
}
