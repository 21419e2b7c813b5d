//! The option table and the help built from it: every row reachable and
//! consistent, every option, variable, default and exit code in `--help`.

use std::ffi::OsString;

use crate::out::logging::LogSpec;
use crate::text::cli::config::DEFAULT_STOP_SIGNAL;
use crate::text::cli::options::{self, Kind, Opt};
use crate::text::cli::{parse, usage, Config, DEFAULT_GRACE, STOP_GRACE};

/// A good command-line value of KIND, for walking the table.
fn good_value(kind: Kind) -> &'static str {
    match kind {
        Kind::Switch | Kind::Log => "",
        Kind::Signal => "HUP",
        Kind::Code => "3",
        Kind::Rewrite => "TERM:QUIT",
        Kind::Duration => "1s",
        Kind::Path | Kind::Dir => "/tmp",
        Kind::User => "nobody",
    }
}

#[test]
fn the_table_is_consistent_and_every_row_has_a_handler() {
    let rows: Vec<options::Row> = options::rows().collect();
    assert!(rows.len() < 32, "Decided keeps a bit per option");
    for (i, opt) in rows.iter().enumerate() {
        assert_eq!(opt.opt.row().long, opt.long, "{opt:?}");
        let later = rows.get(i + 1..).unwrap_or_default();
        assert!(later.iter().all(|o| o.long != opt.long), "{opt:?}");
        assert!(later.iter().all(|o| o.opt != opt.opt), "{opt:?}");
        assert!(
            opt.short.is_none() || later.iter().all(|o| o.short != opt.short),
            "{opt:?}"
        );
        // PIDONE_* first, then at most tini's.
        for (n, var) in opt.env.iter().enumerate() {
            let prefix = if n == 0 { "PIDONE_" } else { "TINI_" };
            assert!(var.starts_with(prefix), "{opt:?}");
        }
        assert!(opt.env.len() <= 2, "{opt:?}");
        // Each long and short form reaches its store arm.
        let value = good_value(opt.kind);
        let mut forms = vec![vec![format!("--{}", opt.long)]];
        if let Some(short) = opt.short {
            forms.push(vec![format!("-{short}")]);
        }
        for mut args in forms {
            if opt.kind.takes_value() {
                args.push(value.into());
            }
            if opt.opt != Opt::Pause {
                args.push("prog".into());
            }
            let args: Vec<OsString> = args.iter().map(OsString::from).collect();
            let result = parse(&args, |_: &str| None);
            assert!(result.is_ok(), "{args:?}: {result:?}");
        }
    }
}

#[test]
fn help_lists_every_option_and_variable_within_80_columns() {
    let help = usage();
    assert!(help.starts_with("Usage: pidone"));
    for opt in options::rows() {
        let long = match opt.kind.takes_value() {
            true => format!("--{} {}", opt.long, opt.kind.placeholder()),
            false => format!("--{}", opt.long),
        };
        assert!(help.contains(&long), "{long} in\n{help}");
        if let Some(short) = opt.short {
            assert!(help.contains(&format!("-{short}, --{}", opt.long)));
        }
        for var in opt.env {
            assert!(help.contains(var), "{var} in\n{help}");
        }
        // The help says "repeatable" exactly for the repeatable options.
        let block: String = help
            .lines()
            .skip_while(|line| !line.contains(&format!("--{}", opt.long)))
            .take_while(|line| {
                !line.trim_start().starts_with('-') || line.contains(&format!("--{}", opt.long))
            })
            .collect();
        assert_eq!(
            block.contains("repeatable"),
            opt.repeatable,
            "{}: {block}",
            opt.long
        );
    }
    for line in help.lines() {
        assert!(line.chars().count() <= 79, "too wide: {line:?}");
    }
}

#[test]
fn options_sharing_variables_share_one_setting_and_no_others_do() {
    for opt in options::rows() {
        for theirs in options::rows() {
            let same = opt.opt.setting() == theirs.opt.setting();
            let shared = !opt.env.is_empty() && opt.env == theirs.env;
            assert_eq!(
                same,
                shared || opt.opt == theirs.opt,
                "{} {}",
                opt.long,
                theirs.long
            );
        }
    }
    assert_eq!(Opt::Quiet.setting(), Opt::Verbose);
}

#[test]
fn help_names_the_defaults_the_constants_hold() {
    let help = usage();
    let grace = crate::text::duration::show(DEFAULT_GRACE);
    let stop_grace = crate::text::duration::show(STOP_GRACE);
    let signal = format!("{:#}", crate::text::signame::Name(DEFAULT_STOP_SIGNAL));
    let level = crate::out::logging::DEFAULT_LEVEL
        .as_str()
        .to_ascii_lowercase();
    for want in [
        format!("Default: {grace}"),
        format!("(at most {stop_grace})"),
        format!("(default\n{:27}{signal};", ""),
        format!("Default: {level}."),
    ] {
        assert!(help.contains(&want), "{want:?} not in\n{help}");
    }
    assert_eq!(Config::<OsString>::default().grace, None);
    assert_eq!(
        Config::<OsString>::default().stop_signal,
        DEFAULT_STOP_SIGNAL
    );
    assert_eq!(Config::<OsString>::default().log, LogSpec::default());
}

#[test]
fn help_lists_pidones_own_exit_codes_from_the_table() {
    let help = usage();
    for rule in &crate::text::exit_codes::RULES {
        let line = format!("  {:>3}  {}", rule.code, rule.situation);
        assert!(help.lines().any(|l| l == line), "{line:?} not in\n{help}");
    }
}
