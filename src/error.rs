//! pidone's own failures, each with the situation the exit-code table
//! (`text::exit_codes`) gives it: [`Error`], the public error type, and
//! [`UsageError`], a malformed command line or environment.
//!
//! Only failures *before the child exists* are errors: after that pidone is
//! not allowed to bail out (an init that dies takes the container with it),
//! so the supervisor logs and carries on instead of returning one of these.

use std::borrow::Cow;
use std::ffi::OsString;
use std::fmt;
use std::io;

use crate::text::exit_codes::Own;
use crate::text::one_line::one_line;

/// A malformed command line or environment: one line naming the bad value.
/// pidone prints it with a hint to `--help` and exits 2.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why pidone could not become the init of its program: a bad setting, a
/// system call that failed while setting up, or a program that could not
/// be started.
///
/// Its [`Display`](fmt::Display) is one line that names what failed and
/// why, the cause included (so [`source`](std::error::Error::source) adds
/// nothing); [`Error::exit_code`] is the code the `pidone` binary exits
/// with for it.
#[derive(Debug)]
pub struct Error(Failure);

/// What failed.
#[derive(Debug)]
enum Failure {
    /// A malformed setting (command line, environment, builder).
    Usage(UsageError),
    /// A setup system call failed; WHAT reads "create signalfd".
    Setup {
        what: Cow<'static, str>,
        cause: io::Error,
    },
    /// PROGRAM could not be started.
    Start { program: OsString, cause: io::Error },
}

impl Error {
    /// A setup step WHAT ("create signalfd") that failed with CAUSE.
    pub(crate) fn setup(what: impl Into<Cow<'static, str>>, cause: io::Error) -> Error {
        Error(Failure::Setup {
            what: what.into(),
            cause,
        })
    }

    /// PROGRAM could not be started: CAUSE is the errno of its `exec`.
    pub(crate) fn start(program: OsString, cause: io::Error) -> Error {
        Error(Failure::Start { program, cause })
    }

    /// Whether this is a malformed setting rather than a failure of the
    /// system or of the program.
    pub fn is_usage(&self) -> bool {
        matches!(self.0, Failure::Usage(_))
    }

    /// The exit code the `pidone` binary gives this failure: 2 for a bad
    /// setting, 127 when the program was not found, 126 when it was found
    /// but cannot be executed, 125 when pidone itself failed. They follow
    /// the shell and `docker run`, so a failure of pidone never looks like
    /// one of the app.
    pub fn exit_code(&self) -> u8 {
        self.situation().code()
    }

    /// The row of the exit-code table this failure falls under.
    pub(crate) fn situation(&self) -> Own {
        match &self.0 {
            Failure::Usage(_) => Own::Usage,
            Failure::Setup { .. } => Own::Failed,
            Failure::Start { cause, .. } => match cause.raw_os_error() {
                Some(libc::ENOENT | libc::ENOTDIR | libc::ENAMETOOLONG | libc::ELOOP) => {
                    Own::NotFound
                }
                Some(
                    libc::EACCES
                    | libc::EPERM
                    | libc::ENOEXEC
                    | libc::EISDIR
                    | libc::ETXTBSY
                    | libc::E2BIG
                    | libc::ELIBBAD,
                ) => Own::NotExecutable,
                _ => Own::Failed,
            },
        }
    }

    /// The failure for the termination log, without the `(os error N)`
    /// noise: `/app/server: No such file or directory`. One line, like
    /// [`Display`](fmt::Display).
    pub(crate) fn summary(&self) -> String {
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
        let text = match &self.0 {
            Failure::Usage(usage) => usage.to_string(),
            Failure::Setup { what, cause: c } => format!("failed to {what}: {}", cause(c)),
            Failure::Start { program, cause: c } => {
                format!("{}: {}", program.to_string_lossy(), cause(c))
            }
        };
        one_line(&text).into_owned()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match &self.0 {
            Failure::Usage(usage) => format!("{usage} (see 'pidone --help')"),
            Failure::Setup { what, cause } => format!("failed to {what}: {cause}"),
            Failure::Start { program, cause } => {
                format!("failed to start '{}': {cause}", program.to_string_lossy())
            }
        };
        f.write_str(&one_line(&text))
    }
}

impl std::error::Error for Error {}

impl From<UsageError> for Error {
    fn from(usage: UsageError) -> Self {
        Error(Failure::Usage(usage))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_shell() {
        let start = |errno| Error::start("app".into(), io::Error::from_raw_os_error(errno));
        let table: &[(Error, u8)] = &[
            (UsageError("x".into()).into(), 2),
            (
                Error::setup(
                    "create signalfd",
                    io::Error::from_raw_os_error(libc::EMFILE),
                ),
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
        let e = Error::setup(
            "create signalfd",
            io::Error::from_raw_os_error(libc::EMFILE),
        );
        assert!(e.to_string().starts_with("failed to create signalfd: "));
        let e = Error::start(
            "/app/server".into(),
            io::Error::from_raw_os_error(libc::ENOENT),
        );
        assert!(e.to_string().starts_with("failed to start '/app/server': "));
        assert_eq!(e.summary(), "/app/server: No such file or directory");
        let e = Error::from(UsageError("unknown option '-x'".into()));
        assert_eq!(e.to_string(), "unknown option '-x' (see 'pidone --help')");
        assert!(e.is_usage());
    }

    #[test]
    fn regression_control_characters_in_values_never_break_the_one_line() {
        let table: &[(Error, &str)] = &[
            (
                UsageError("invalid exit code '1\n2'".into()).into(),
                "invalid exit code '1\\n2' (see 'pidone --help')",
            ),
            (
                UsageError("invalid signal 'TERM\r\x1b[2J\t'".into()).into(),
                "invalid signal 'TERM\\r\\u{1b}[2J\\t' (see 'pidone --help')",
            ),
            (
                Error::start("a\nb".into(), io::Error::from_raw_os_error(libc::ENOENT)),
                "failed to start 'a\\nb': ",
            ),
        ];
        for (error, want) in table {
            let line = error.to_string();
            assert!(line.starts_with(want), "{line:?}");
            assert!(!line.chars().any(char::is_control), "{line:?}");
            assert!(!error.summary().chars().any(char::is_control));
        }
    }
}
