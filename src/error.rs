//! pidone's own failures, each with the exit code the contract gives it.
//! At the bottom of the module graph: it imports nothing of pidone's, so
//! the code that forks the child does not depend on the argument parser.
//!
//! Only failures *before the child exists* are errors: after that pidone is
//! not allowed to bail out (an init that dies takes the container with it),
//! so the supervisor logs and carries on instead of returning one of these.

use std::borrow::Cow;
use std::ffi::OsString;
use std::fmt;
use std::io;

/// A malformed command line or environment: one line naming the bad value.
/// pidone prints it with a hint to `--help` and exits 2.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why pidone could not start the child.
#[derive(Debug)]
pub enum Error {
    /// A malformed command line or environment: exit 2.
    Usage(UsageError),
    /// A setup syscall failed (`what` reads "create signalfd"): exit 125.
    Setup {
        what: std::borrow::Cow<'static, str>,
        cause: io::Error,
    },
    /// The program could not be started: 127 when it was not found, 126
    /// when it was found but cannot be executed, 125 when the fork or the
    /// system failed rather than the program.
    Start { program: OsString, cause: io::Error },
}

impl Error {
    /// The exit code for this failure, following the shell and `docker run`
    /// conventions so that pidone's failures never look like the app's.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) => 2,
            Error::Setup { .. } => 125,
            Error::Start { cause, .. } => match cause.raw_os_error() {
                Some(libc::ENOENT | libc::ENOTDIR | libc::ENAMETOOLONG | libc::ELOOP) => 127,
                Some(
                    libc::EACCES
                    | libc::EPERM
                    | libc::ENOEXEC
                    | libc::EISDIR
                    | libc::ETXTBSY
                    | libc::E2BIG
                    | libc::ELIBBAD,
                ) => 126,
                _ => 125,
            },
        }
    }
}

impl Error {
    /// The failure for the termination log, without the `(os error N)`
    /// noise: `/app/server: No such file or directory`. One line, like
    /// [`Display`](fmt::Display).
    pub fn summary(&self) -> String {
        let cause = |cause: &io::Error| {
            let text = cause.to_string();
            let suffix = cause
                .raw_os_error()
                .map(|n| format!(" (os error {n})"))
                .unwrap_or_default();
            match text.strip_suffix(&suffix) {
                Some(short) if !suffix.is_empty() => short.to_string(),
                _ => text,
            }
        };
        let text = match self {
            Error::Usage(usage) => usage.to_string(),
            Error::Setup { what, cause: c } => format!("failed to {what}: {}", cause(c)),
            Error::Start { program, cause: c } => {
                format!("{}: {}", program.to_string_lossy(), cause(c))
            }
        };
        one_line(&text).into_owned()
    }
}

/// TEXT with every control character escaped as Rust writes it (`\n`,
/// `\r`, `\t`, `\u{1b}`). Messages quote values straight from the command
/// line and the environment: `-e $'1\n2'` used to print a two-line error,
/// and an escape sequence in a value reached the user's terminal raw. The
/// contract is one line per failure and per log record.
pub fn one_line(text: &str) -> Cow<'_, str> {
    // Printable ASCII, the usual case, needs no look at characters.
    if first_unprintable(text.as_bytes()).is_none() || !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut line = String::with_capacity(text.len() + 8);
    let _ = write_one_line(&mut line, text);
    Cow::Owned(line)
}

/// Writes TEXT to OUT as [`one_line`] shows it, without allocating: runs
/// of printable ASCII go through whole, and only the other bytes are
/// decoded as characters.
pub fn write_one_line(out: &mut impl fmt::Write, text: &str) -> fmt::Result {
    let mut rest = text;
    loop {
        let Some(at) = first_unprintable(rest.as_bytes()) else {
            return out.write_str(rest);
        };
        // Every byte before AT is ASCII, so AT starts a character.
        let (plain, tail) = rest.split_at_checked(at).unwrap_or((rest, ""));
        out.write_str(plain)?;
        let mut chars = tail.chars();
        match chars.next() {
            Some(c) if c.is_control() => c.escape_default().try_for_each(|e| out.write_char(e))?,
            Some(c) => out.write_char(c)?,
            None => return Ok(()),
        }
        rest = chars.as_str();
    }
}

/// Where the first byte outside printable ASCII (0x20..0x7f) is in BYTES.
///
/// Eight bytes at a time: pidone's warning for a start outside PID 1 is
/// 200 bytes, and a byte-by-byte scan of it cost 1,500 instructions, a
/// twentieth of pidone's whole start. A word holds such a byte when one of
/// its bytes is below 0x20 (the borrow test, exact for a bound of at most
/// 0x80) or, with the top bit cleared and one added, reaches 0x80 or had
/// the top bit set (0x7f and above); cleared top bits keep carries inside
/// each byte.
fn first_unprintable(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const TOPS: u64 = u64::from_ne_bytes([0x80; 8]);
    let mut at = 0;
    for word in bytes.chunks_exact(8) {
        let Ok(word) = <[u8; 8]>::try_from(word).map(u64::from_ne_bytes) else {
            break;
        };
        let below = word.wrapping_sub(ONES * 0x20) & !word;
        let above = ((word & !TOPS) + ONES) | word;
        if (below | above) & TOPS != 0 {
            break;
        }
        at += 8;
    }
    let found = bytes
        .get(at..)?
        .iter()
        .position(|b| !(0x20..0x7f).contains(b))?;
    Some(at + found)
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Error::Usage(usage) => format!("{usage} (see 'pidone --help')"),
            Error::Setup { what, cause } => format!("failed to {what}: {cause}"),
            Error::Start { program, cause } => {
                format!("failed to start '{}': {cause}", program.to_string_lossy())
            }
        };
        f.write_str(&one_line(&text))
    }
}

impl From<UsageError> for Error {
    fn from(usage: UsageError) -> Self {
        Error::Usage(usage)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_shell() {
        let start = |errno| Error::Start {
            program: "app".into(),
            cause: io::Error::from_raw_os_error(errno),
        };
        let table: &[(Error, u8)] = &[
            (Error::Usage(UsageError("x".into())), 2),
            (
                Error::Setup {
                    what: "create signalfd".into(),
                    cause: io::Error::from_raw_os_error(libc::EMFILE),
                },
                125,
            ),
            (start(libc::ENOENT), 127),
            (start(libc::ENOTDIR), 127),
            (start(libc::EACCES), 126),
            (start(libc::ENOEXEC), 126),
            (start(libc::EISDIR), 126),
            (start(libc::EAGAIN), 125),
            (start(libc::ENOMEM), 125),
        ];
        for (error, code) in table {
            assert_eq!(error.exit_code(), *code, "{error}");
        }
    }

    #[test]
    fn messages_say_what_failed_and_why() {
        let e = Error::Setup {
            what: "create signalfd".into(),
            cause: io::Error::from_raw_os_error(libc::EMFILE),
        };
        assert!(e.to_string().starts_with("failed to create signalfd: "));
        let e = Error::Start {
            program: "/app/server".into(),
            cause: io::Error::from_raw_os_error(libc::ENOENT),
        };
        assert!(e.to_string().starts_with("failed to start '/app/server': "));
        assert_eq!(e.summary(), "/app/server: No such file or directory");
        let e = Error::Usage(UsageError("unknown option '-x'".into()));
        assert_eq!(e.to_string(), "unknown option '-x' (see 'pidone --help')");
    }

    #[test]
    fn regression_control_characters_in_values_never_break_the_one_line() {
        let table: &[(Error, &str)] = &[
            (
                Error::Usage(UsageError("invalid exit code '1\n2'".into())),
                "invalid exit code '1\\n2' (see 'pidone --help')",
            ),
            (
                Error::Usage(UsageError("invalid signal 'TERM\r\x1b[2J\t'".into())),
                "invalid signal 'TERM\\r\\u{1b}[2J\\t' (see 'pidone --help')",
            ),
            (
                Error::Start {
                    program: "a\nb".into(),
                    cause: io::Error::from_raw_os_error(libc::ENOENT),
                },
                "failed to start 'a\\nb': ",
            ),
        ];
        for (error, want) in table {
            let line = error.to_string();
            assert!(line.starts_with(want), "{line:?}");
            assert!(!line.chars().any(char::is_control), "{line:?}");
            assert!(!error.summary().chars().any(char::is_control));
        }
        assert_eq!(one_line("café ü"), "café ü");
    }

    #[test]
    fn the_word_scan_finds_the_first_unprintable_byte_anywhere() {
        // Every position in and around a word, every boundary byte.
        let base = "abcdefghijklmnopqrstuvwxy ~!";
        assert_eq!(first_unprintable(base.as_bytes()), None);
        assert_eq!(first_unprintable(b""), None);
        for bad in [0x00u8, 0x1f, 0x7f, 0x80, 0xc2, 0xff] {
            for at in 0..base.len() {
                let mut bytes = base.as_bytes().to_vec();
                bytes[at] = bad;
                assert_eq!(first_unprintable(&bytes), Some(at), "{bad:#x} at {at}");
                // A second one later never hides the first.
                bytes.push(0x01);
                assert_eq!(first_unprintable(&bytes), Some(at), "{bad:#x} at {at}");
            }
        }
        for good in [0x20u8, 0x7e] {
            assert_eq!(first_unprintable(&[good; 17]), None, "{good:#x}");
        }
    }
}
