//! THE option table: every option pidone has, declared once.
//!
//! Owns each option's names, the kind of value it takes, the environment
//! variables that can set it (in precedence order) and its help text.
//! Parsing (`parse`), environment precedence (`env`), `--help` (`usage`),
//! the property test under `tests/it/cli_props.rs` and the README check
//! (`tests/it/readme_options.rs`) all read this table, so none of them can
//! drift from it. Adding an option means one row here, its row const and
//! arm in `store`, and its tests.
//!
//! Written for people: one `Row` of strings per option. Read only by the
//! compiler: `packed` turns `ROWS` into the pointer-free table the
//! binary holds ([`super::OPTIONS`]), and nothing that runs may name
//! `ROWS` (every string in it would be a relocation again; see `packed`).
//!
//! Data only: no parsing, no I/O, nothing that allocates.

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
    pub const fn takes_value(self) -> bool {
        !matches!(self, Kind::Switch | Kind::Log)
    }

    /// The value's name in `--help` and the README: `--grace DURATION`.
    /// Derived from the kind, so two options of one kind cannot disagree.
    pub const fn placeholder(self) -> &'static str {
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

/// One option, as written. Compile time only: `packed::Opt` is what runs.
pub(crate) struct Row {
    /// The long name, without `--`: `subreaper`. Also the option's identity
    /// in `store::store` and in messages (`option '--grace' needs a value`).
    pub long: &'static str,
    /// The short letter, if any: `-s`.
    pub short: Option<char>,
    /// What its value is.
    pub kind: Kind,
    /// May be given more than once, adding up (`-e 1 -e 2`, `-vv`).
    pub repeatable: bool,
    /// Variables that set it when no flag does, in precedence order:
    /// `PIDONE_*` first, then tini's where tini has one. Options sharing one
    /// setting (`-v` and `-q`) list the same variables.
    pub env: &'static [&'static str],
    /// An example value `--help` shows for the first variable
    /// (`PIDONE_REMAP_EXIT=143,130`); empty for none.
    pub example: &'static str,
    /// The help text, pre-wrapped: lines separated by `\n`, each at most
    /// 50 columns (the help's right column).
    pub help: &'static str,
}

/// The variables behind the log setting, shared by `-v` and `-q`.
const LOG_VARS: &[&str] = &["PIDONE_LOG", "TINI_VERBOSITY"];

/// A row with the common fields defaulted: a switch with no variables.
const fn opt(long: &'static str, short: Option<char>, help: &'static str) -> Row {
    Row {
        long,
        short,
        kind: Kind::Switch,
        repeatable: false,
        env: &[],
        example: "",
        help,
    }
}

/// Every option, in the order `--help` lists them.
pub(crate) const ROWS: &[Row] = &[
    Row {
        env: &["PIDONE_SUBREAPER", "TINI_SUBREAPER"],
        ..opt(
            "subreaper",
            Some('s'),
            "become a child subreaper when not PID 1",
        )
    },
    Row {
        env: &["PIDONE_PROCESS_GROUP", "TINI_KILL_PROCESS_GROUP"],
        ..opt(
            "process-group",
            Some('g'),
            "forward signals to the child's process group",
        )
    },
    Row {
        kind: Kind::Signal,
        env: &["PIDONE_PARENT_DEATH_SIGNAL"],
        ..opt(
            "parent-death-signal",
            Some('p'),
            "have the kernel send SIG to pidone when its\n\
             parent dies (it is forwarded like any other\n\
             signal)",
        )
    },
    Row {
        kind: Kind::Code,
        repeatable: true,
        env: &["PIDONE_REMAP_EXIT"],
        example: "143,130",
        ..opt(
            "remap-exit",
            Some('e'),
            "treat the child exiting with CODE (0-255) as\n\
             success; repeatable",
        )
    },
    Row {
        kind: Kind::Rewrite,
        repeatable: true,
        env: &["PIDONE_REWRITE"],
        example: "TERM:QUIT,USR1:0",
        ..opt(
            "rewrite",
            Some('r'),
            "forward signal FROM as TO (TO of 0 drops it);\nrepeatable",
        )
    },
    Row {
        kind: Kind::Duration,
        env: &["PIDONE_GRACE"],
        ..opt(
            "grace",
            None,
            "when the main child has exited, give leftover\n\
             processes this long between SIGTERM and\n\
             SIGKILL (default 2s; 0 kills at once)",
        )
    },
    Row {
        kind: Kind::Duration,
        env: &["PIDONE_KILL_AFTER"],
        ..opt(
            "kill-after",
            None,
            "after forwarding TERM, INT, QUIT or HUP, SIGKILL\n\
             the child if it has not exited within DURATION",
        )
    },
    Row {
        kind: Kind::Duration,
        env: &["PIDONE_STOP_AFTER"],
        ..opt(
            "stop-after",
            None,
            "DURATION after the child started, act as if\n\
             the stop signal had just come from outside\n\
             (rewrites apply, --kill-after starts counting)",
        )
    },
    Row {
        kind: Kind::Signal,
        env: &["PIDONE_STOP_SIGNAL"],
        ..opt(
            "stop-signal",
            None,
            "the signal --stop-after acts as (default TERM;\n\
             not KILL or STOP)",
        )
    },
    opt(
        "pause",
        Some('P'),
        "run no program: sleep, reap orphans, exit 0 on\n\
         SIGTERM or SIGINT (a pod's pause container)",
    ),
    Row {
        kind: Kind::Path,
        env: &["PIDONE_TERMINATION_LOG"],
        example: "/dev/termination-log",
        ..opt(
            "termination-log",
            None,
            "on exit, write one line saying why to PATH",
        )
    },
    Row {
        kind: Kind::Path,
        env: &["PIDONE_REPORT"],
        ..opt(
            "report",
            None,
            "on exit, write one JSON line describing the\nrun to PATH",
        )
    },
    Row {
        env: &["PIDONE_WARN_ON_REAP"],
        ..opt(
            "warn-on-reap",
            Some('w'),
            "log a warning for every orphan reaped",
        )
    },
    Row {
        kind: Kind::User,
        env: &["PIDONE_USER"],
        ..opt(
            "user",
            Some('u'),
            "run the child as USER (name or uid) and GROUP\n\
             (default: USER's primary group), with USER's\n\
             supplementary groups and HOME; pidone itself\n\
             stays as it was started",
        )
    },
    Row {
        kind: Kind::Dir,
        env: &["PIDONE_WORKDIR"],
        ..opt("workdir", None, "start the child in DIR")
    },
    Row {
        kind: Kind::Log,
        repeatable: true,
        env: LOG_VARS,
        example: "debug",
        ..opt(
            "verbose",
            Some('v'),
            "log more (repeatable: info, debug, trace)",
        )
    },
    Row {
        kind: Kind::Log,
        env: LOG_VARS,
        example: "debug",
        ..opt(
            "quiet",
            Some('q'),
            "log errors only. Default: warn. PIDONE_LOG takes\n\
             env_logger's filters (warn,pidone=debug);\n\
             TINI_VERBOSITY is 0..3",
        )
    },
    Row {
        kind: Kind::Code,
        ..opt("explain", None, "say what exit code CODE means, and exit")
    },
    opt("help", Some('h'), "print this help and exit"),
    opt("version", None, "print the version and exit"),
];
