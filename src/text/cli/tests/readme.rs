//! README.md against the tables and constants it describes, which it
//! repeats by hand for its readers:
//!
//! - its option table (under `## Options`, columns `| option |
//!   environment | meaning |`) lists exactly the options of the option
//!   table, long and short names, and for each row exactly the variables
//!   of the options it names, and names the defaults their constants hold;
//! - its "Exit codes" table gives every code of the exit-code table with
//!   its situation, word for word, and the child's N and 128+S.
//!
//! Cells as the README writes them: `` `-s`, `--subreaper` ``,
//! `` `--grace DURATION` ``, `` `-v` (repeatable), `-q` ``; variables
//! backticked, maybe with a value (`` `PIDONE_SUBREAPER=1` ``), tini's in
//! `` (also `TINI_SUBREAPER`) ``.

use std::collections::BTreeSet;

use crate::out::logging::DEFAULT_LEVEL;
use crate::text::cli::config::DEFAULT_STOP_SIGNAL;
use crate::text::cli::options::{self, Row};
use crate::text::cli::{DEFAULT_GRACE, STOP_GRACE};
use crate::text::exit_codes::RULES;
use crate::text::{duration, signame};

/// README.md's text.
fn readme() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    std::fs::read_to_string(path).expect("README.md")
}

/// The backticked spans of CELL.
fn code_spans(cell: &str) -> Vec<&str> {
    cell.split('`').skip(1).step_by(2).collect()
}

/// The rows of the first table in section `## TITLE`, as cells (header
/// and rule excluded); its header must be COLUMNS.
fn table_rows(readme: &str, title: &str, columns: &[&str]) -> Vec<Vec<String>> {
    let section = readme
        .split("\n## ")
        .find(|s| s.starts_with(title))
        .unwrap_or_else(|| panic!("README.md has a '## {title}' section"));
    let mut lines = section
        .lines()
        .skip_while(|l| !l.trim_start().starts_with('|'))
        .take_while(|l| l.trim_start().starts_with('|'));
    let header = lines.next().expect("a table in the section");
    let found: Vec<String> = cells(header).iter().map(|c| c.to_lowercase()).collect();
    assert_eq!(found, columns, "{header}");
    lines.skip(1).map(cells).collect()
}

/// The cells of one table row. `\\|` is no separator, and neither is a
/// `|` inside a code span (`` `PIDONE_LOG=error|warn` ``), which GitHub
/// wants escaped but people write anyway.
fn cells(row: &str) -> Vec<String> {
    let row = row.trim().trim_start_matches('|').trim_end_matches('|');
    let mut cells = vec![String::new()];
    let mut in_code = false;
    let mut chars = row.chars().peekable();
    while let Some(c) = chars.next() {
        let cell = cells.last_mut().expect("one cell at least");
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                chars.next();
                cell.push('|');
            }
            '|' if !in_code => cells.push(String::new()),
            c => {
                in_code ^= c == '`';
                cell.push(c);
            }
        }
    }
    cells.iter().map(|c| c.trim().to_owned()).collect()
}

#[test]
fn readme_lists_exactly_the_options_and_their_variables() {
    let readme = readme();
    let rows: Vec<Row> = options::rows().collect();
    let mut listed = BTreeSet::new();
    for row in table_rows(&readme, "Options", &["option", "environment", "meaning"]) {
        let [option, environment, _meaning] = &row[..] else {
            panic!("a row of three cells: {row:?}");
        };
        // `--grace DURATION` names --grace; `-p SIG` names -p.
        let names: Vec<String> = code_spans(option)
            .iter()
            .filter_map(|span| span.split_whitespace().next())
            .map(str::to_owned)
            .collect();
        let in_row: Vec<_> = rows
            .iter()
            .filter(|o| {
                names.iter().any(|n| {
                    *n == format!("--{}", o.long) || o.short.is_some_and(|s| *n == format!("-{s}"))
                })
            })
            .collect();
        assert!(
            !in_row.is_empty(),
            "README row names no option pidone has: {option}"
        );
        let want: BTreeSet<&str> = in_row.iter().flat_map(|o| o.env.iter().copied()).collect();
        let got: BTreeSet<&str> = code_spans(environment)
            .iter()
            .map(|span| span.split('=').next().unwrap_or_default())
            .collect();
        assert_eq!(got, want, "variables of README row {option}");
        listed.extend(names);
    }
    let declared: BTreeSet<String> = rows
        .iter()
        .flat_map(|o| {
            std::iter::once(format!("--{}", o.long)).chain(o.short.map(|s| format!("-{s}")))
        })
        .collect();
    let missing: Vec<_> = declared.difference(&listed).collect();
    let unknown: Vec<_> = listed.difference(&declared).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "README.md's option table and the option table differ: \
         missing from the README {missing:?}, not options of pidone {unknown:?}"
    );
}

#[test]
fn readme_names_the_defaults_the_constants_hold() {
    let readme = readme();
    let rows = table_rows(&readme, "Options", &["option", "environment", "meaning"]);
    let meaning = |long: &str| {
        let row = rows
            .iter()
            .find(|row| row[0].contains(&format!("`--{long}")));
        row.map(|row| row[2].clone())
            .unwrap_or_else(|| panic!("README row for --{long}"))
    };
    let signal = format!("{:#}", signame::Name(DEFAULT_STOP_SIGNAL));
    let level = DEFAULT_LEVEL.as_str().to_ascii_lowercase();
    let table = [
        ("grace", format!("`{}`", duration::show(DEFAULT_GRACE))),
        ("grace", format!("`{}`", duration::show(STOP_GRACE))),
        ("stop-signal", format!("(default `{signal}`")),
        ("verbose", format!("`{level}` (the default)")),
    ];
    for (long, want) in table {
        let text = meaning(long);
        assert!(
            text.contains(&want),
            "README --{long}: {want} not in {text}"
        );
    }
}

#[test]
fn readme_gives_every_exit_code_of_the_table() {
    let readme = readme();
    let rows = table_rows(&readme, "Exit codes", &["situation", "pidone exits with"]);
    for rule in &RULES {
        let row = rows.iter().find(|row| row[1] == rule.code.to_string());
        let row = row.unwrap_or_else(|| panic!("README has no row for exit code {}", rule.code));
        assert_eq!(
            row[0], rule.situation,
            "README's situation for {}",
            rule.code
        );
    }
    // The rest are the child's: N, and 128 + S.
    let childs: Vec<&Vec<String>> = rows
        .iter()
        .filter(|row| !RULES.iter().any(|rule| row[1] == rule.code.to_string()))
        .collect();
    assert_eq!(childs.len(), 2, "{childs:?}");
    assert!(
        childs[0][1].starts_with('N') && childs[1][1].starts_with("128 + S"),
        "{childs:?}"
    );
}
