//! THE option table: every option pidone has, declared once.
//!
//! Owns each option's identity ([`Opt`]), names, the kind of value it
//! takes, the environment variables that can set it (in precedence order)
//! and its help text. Parsing (`parse`), environment precedence (`env`),
//! `--help` (`usage`), the property test and the README check all read
//! this table, so none of them can drift from it. Adding an option means a
//! variant of [`Opt`], its row in [`Opt::row`] and its arm in `store`: the
//! compiler asks for both, as both `match`es are exhaustive.
//!
//! The table is a `match` on the option rather than a static array of
//! rows: the rows are then code the compiler writes out when one is asked
//! for, not a table of pointers that the start-up code of a
//! position-independent binary relocates on every start, though most runs
//! never read it (docs/benchmarks.md, "Start-up").
//!
//! Data only: no parsing, no I/O, nothing that allocates.

/// Which option: the key of the table, and what `store` matches on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opt {
    Subreaper,
    ProcessGroup,
    ParentDeathSignal,
    RemapExit,
    Rewrite,
    Grace,
    KillAfter,
    StopAfter,
    StopSignal,
    Pause,
    TerminationLog,
    Report,
    WarnOnReap,
    User,
    Workdir,
    Verbose,
    Quiet,
    Explain,
    Help,
    Version,
}

impl Opt {
    /// Every option, in the order `--help` lists them.
    pub const ALL: [Opt; 20] = [
        Opt::Subreaper,
        Opt::ProcessGroup,
        Opt::ParentDeathSignal,
        Opt::RemapExit,
        Opt::Rewrite,
        Opt::Grace,
        Opt::KillAfter,
        Opt::StopAfter,
        Opt::StopSignal,
        Opt::Pause,
        Opt::TerminationLog,
        Opt::Report,
        Opt::WarnOnReap,
        Opt::User,
        Opt::Workdir,
        Opt::Verbose,
        Opt::Quiet,
        Opt::Explain,
        Opt::Help,
        Opt::Version,
    ];

    /// The setting this option decides. `-v` and `-q` decide one setting
    /// (the log level) and share its variables, so the environment is read
    /// once for both; every other option is a setting of its own.
    pub fn setting(self) -> Opt {
        match self {
            Opt::Quiet => Opt::Verbose,
            other => other,
        }
    }
}

/// What an option's value is. Decides how a value is read, the placeholder
/// `--help` shows, and what the property test generates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// No value: `-s`. From a `PIDONE_*` variable: `1`/`0` (true/false,
    /// yes/no, on/off); a `TINI_*` one switches it on by being present,
    /// even empty, as tini reads it.
    Switch,
    /// The log setting (`-v`, `-q`): no value on the command line; its
    /// variables hold env_logger filters (`PIDONE_LOG`) or tini's 0..3
    /// (`TINI_VERBOSITY`).
    Log,
    /// A signal: `TERM`, `SIGTERM`, `term`, `15`, `RTMIN+3`.
    Signal,
    /// An exit code 0–255 (a variable may hold a comma-separated list when
    /// the option is repeatable).
    Code,
    /// `FROM:TO` signal pairs (a variable holds a comma-separated list).
    Rewrite,
    /// `500ms`, `2s`, `1m` or a bare number of seconds, at most 366 days.
    Duration,
    /// A file path: any bytes but never empty.
    Path,
    /// A directory: any bytes but never empty.
    Dir,
    /// `USER[:GROUP]`, names or numbers: UTF-8, never empty.
    User,
}

impl Kind {
    /// Whether the option takes a value on the command line.
    pub fn takes_value(self) -> bool {
        !matches!(self, Kind::Switch | Kind::Log)
    }

    /// The value's name in `--help` and the README: `--grace DURATION`.
    /// Derived from the kind, so two options of one kind cannot disagree.
    pub fn placeholder(self) -> &'static str {
        match self {
            Kind::Switch | Kind::Log => "",
            Kind::Signal => "SIG",
            Kind::Code => "CODE",
            Kind::Rewrite => "FROM:TO",
            Kind::Duration => "DURATION",
            Kind::Path => "PATH",
            Kind::Dir => "DIR",
            Kind::User => "USER[:GROUP]",
        }
    }
}

/// One option as declared.
#[derive(Clone, Copy, Debug)]
pub struct Row {
    /// Which option this is.
    pub opt: Opt,
    /// The long name, without `--`: `subreaper`. Also how messages name
    /// the option (`option '--grace' needs a value`).
    pub long: &'static str,
    /// The short letter, if any: `-s`.
    pub short: Option<char>,
    /// What its value is.
    pub kind: Kind,
    /// May be given more than once, adding up (`-e 1 -e 2`, `-vv`);
    /// `--help` says so.
    pub repeatable: bool,
    /// Variables that set it when no flag does, in precedence order:
    /// `PIDONE_*` first, then tini's where tini has one. Options sharing one
    /// setting (`-v` and `-q`) list the same variables.
    pub env: &'static [&'static str],
    /// An example value `--help` shows for the first variable
    /// (`PIDONE_REMAP_EXIT=143,130`); empty for none.
    pub example: &'static str,
    /// The help text, pre-wrapped: lines separated by `\n`, each at most
    /// 50 columns (the help's right column). A default it names is held to
    /// its constant by a unit test.
    pub help: &'static str,
}

/// The variables behind the log setting, shared by `-v` and `-q`.
const LOG_VARS: &[&str] = &["PIDONE_LOG", "TINI_VERBOSITY"];

/// A row with the common fields defaulted: a switch with no variables.
const fn row(opt: Opt, long: &'static str, short: Option<char>, help: &'static str) -> Row {
    Row {
        opt,
        long,
        short,
        kind: Kind::Switch,
        repeatable: false,
        env: &[],
        example: "",
        help,
    }
}

impl Opt {
    /// This option's row of the table.
    pub fn row(self) -> Row {
        match self {
            Opt::Subreaper => Row {
                env: &["PIDONE_SUBREAPER", "TINI_SUBREAPER"],
                ..row(
                    self,
                    "subreaper",
                    Some('s'),
                    "become a child subreaper when not PID 1",
                )
            },
            Opt::ProcessGroup => Row {
                env: &["PIDONE_PROCESS_GROUP", "TINI_KILL_PROCESS_GROUP"],
                ..row(
                    self,
                    "process-group",
                    Some('g'),
                    "forward signals to the child's process group",
                )
            },
            Opt::ParentDeathSignal => Row {
                kind: Kind::Signal,
                env: &["PIDONE_PARENT_DEATH_SIGNAL"],
                ..row(
                    self,
                    "parent-death-signal",
                    Some('p'),
                    "have the kernel send SIG to pidone when its\n\
                     parent dies (it is forwarded like any other\n\
                     signal)",
                )
            },
            Opt::RemapExit => Row {
                kind: Kind::Code,
                repeatable: true,
                env: &["PIDONE_REMAP_EXIT"],
                example: "143,130",
                ..row(
                    self,
                    "remap-exit",
                    Some('e'),
                    "treat the child exiting with CODE (0-255) as\n\
                     success",
                )
            },
            Opt::Rewrite => Row {
                kind: Kind::Rewrite,
                repeatable: true,
                env: &["PIDONE_REWRITE"],
                example: "TERM:QUIT,USR1:0",
                ..row(
                    self,
                    "rewrite",
                    Some('r'),
                    "forward signal FROM as TO (TO of 0 drops it)",
                )
            },
            Opt::Grace => Row {
                kind: Kind::Duration,
                env: &["PIDONE_GRACE"],
                ..row(
                    self,
                    "grace",
                    None,
                    "when the main child has exited, give leftover\n\
                     processes this long between SIGTERM and\n\
                     SIGKILL (0 kills at once). Default: 2s\n\
                     when the child ended on its own; during a\n\
                     stop, until they exit (at most 300s)",
                )
            },
            Opt::KillAfter => Row {
                kind: Kind::Duration,
                env: &["PIDONE_KILL_AFTER"],
                ..row(
                    self,
                    "kill-after",
                    None,
                    "after forwarding TERM, INT, QUIT or HUP, SIGKILL\n\
                     the child if it has not exited within DURATION",
                )
            },
            Opt::StopAfter => Row {
                kind: Kind::Duration,
                env: &["PIDONE_STOP_AFTER"],
                ..row(
                    self,
                    "stop-after",
                    None,
                    "DURATION after the child started, act as if\n\
                     the stop signal had just come from outside\n\
                     (rewrites apply, --kill-after starts counting)",
                )
            },
            Opt::StopSignal => Row {
                kind: Kind::Signal,
                env: &["PIDONE_STOP_SIGNAL"],
                ..row(
                    self,
                    "stop-signal",
                    None,
                    "the signal --stop-after acts as (default\n\
                     TERM; not KILL or STOP)",
                )
            },
            Opt::Pause => row(
                self,
                "pause",
                Some('P'),
                "run no program: sleep, reap orphans, exit 0 on\n\
                 SIGTERM or SIGINT (a pod's pause container)",
            ),
            Opt::TerminationLog => Row {
                kind: Kind::Path,
                env: &["PIDONE_TERMINATION_LOG"],
                example: "/dev/termination-log",
                ..row(
                    self,
                    "termination-log",
                    None,
                    "on exit, write one line saying why to PATH",
                )
            },
            Opt::Report => Row {
                kind: Kind::Path,
                env: &["PIDONE_REPORT"],
                ..row(
                    self,
                    "report",
                    None,
                    "on exit, write one JSON line describing the\nrun to PATH",
                )
            },
            Opt::WarnOnReap => Row {
                env: &["PIDONE_WARN_ON_REAP"],
                ..row(
                    self,
                    "warn-on-reap",
                    Some('w'),
                    "log a warning for every orphan reaped",
                )
            },
            Opt::User => Row {
                kind: Kind::User,
                env: &["PIDONE_USER"],
                ..row(
                    self,
                    "user",
                    Some('u'),
                    "run the child as USER (name or uid) and GROUP\n\
                     (default: USER's primary group), with USER's\n\
                     supplementary groups and HOME; pidone itself\n\
                     stays as it was started",
                )
            },
            Opt::Workdir => Row {
                kind: Kind::Dir,
                env: &["PIDONE_WORKDIR"],
                ..row(self, "workdir", None, "start the child in DIR")
            },
            Opt::Verbose => Row {
                kind: Kind::Log,
                repeatable: true,
                env: LOG_VARS,
                example: "debug",
                ..row(
                    self,
                    "verbose",
                    Some('v'),
                    "log more: info, then debug, then trace",
                )
            },
            Opt::Quiet => Row {
                kind: Kind::Log,
                env: LOG_VARS,
                example: "debug",
                ..row(
                    self,
                    "quiet",
                    Some('q'),
                    "log errors only. Default: warn. PIDONE_LOG takes\n\
                     env_logger's filters (warn,pidone=debug);\n\
                     TINI_VERBOSITY is 0..3",
                )
            },
            Opt::Explain => Row {
                kind: Kind::Code,
                ..row(
                    self,
                    "explain",
                    None,
                    "say what exit code CODE means, and exit",
                )
            },
            Opt::Help => row(self, "help", Some('h'), "print this help and exit"),
            Opt::Version => row(self, "version", None, "print the version and exit"),
        }
    }
}

/// Every option's row, in the order `--help` lists them.
pub fn rows() -> impl Iterator<Item = Row> {
    Opt::ALL.into_iter().map(Opt::row)
}

/// The option called `--LONG`.
pub fn by_long(long: &str) -> Option<Row> {
    rows().find(|row| row.long == long)
}

/// The option called `-LETTER`.
pub fn by_short(letter: u8) -> Option<Row> {
    let letter = Some(char::from(letter));
    rows().find(|row| row.short == letter)
}
