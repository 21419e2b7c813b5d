//! README.md's option table (under `## Options`, columns
//! `| option | environment | meaning |`) lists exactly the options of
//! `pidone::cli::OPTIONS`, long and short names, and for each row exactly
//! the variables of the options it names. The README is written by hand;
//! this keeps it from drifting from the table the parser reads.
//!
//! Cells as the README writes them: `` `-s`, `--subreaper` ``,
//! `` `--grace DURATION` ``, `` `-v` (repeatable), `-q` ``; variables
//! backticked, maybe with a value (`` `PIDONE_SUBREAPER=1` ``), tini's in
//! `` (also `TINI_SUBREAPER`) ``.

use std::collections::BTreeSet;

use pidone::cli::OPTIONS;

/// The backticked spans of CELL.
fn code_spans(cell: &str) -> Vec<&str> {
    cell.split('`').skip(1).step_by(2).collect()
}

/// The rows of the table under `## Options`, as cells (header and rule
/// excluded).
fn option_rows(readme: &str) -> Vec<Vec<String>> {
    let section = readme
        .split("\n## ")
        .find(|s| s.starts_with("Options"))
        .expect("README.md has a '## Options' section");
    let mut lines = section
        .lines()
        .skip_while(|l| !l.trim_start().starts_with('|'))
        .take_while(|l| l.trim_start().starts_with('|'));
    let header = lines.next().expect("a table under '## Options'");
    let columns: Vec<String> = cells(header).iter().map(|c| c.to_lowercase()).collect();
    assert_eq!(columns, ["option", "environment", "meaning"], "{header}");
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
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(path).expect("README.md");
    let mut listed = BTreeSet::new();
    for row in option_rows(&readme) {
        let [option, environment, _meaning] = &row[..] else {
            panic!("a row of three cells: {row:?}");
        };
        // `--grace DURATION` names --grace; `-p SIG` names -p.
        let names: Vec<String> = code_spans(option)
            .iter()
            .filter_map(|span| span.split_whitespace().next())
            .map(str::to_owned)
            .collect();
        let in_row: Vec<_> = OPTIONS
            .iter()
            .filter(|o| {
                names.iter().any(|n| {
                    *n == format!("--{}", o.long())
                        || o.short.is_some_and(|s| *n == format!("-{s}"))
                })
            })
            .collect();
        assert!(
            !in_row.is_empty(),
            "README row names no option pidone has: {option}"
        );
        let want: BTreeSet<&str> = in_row.iter().flat_map(|o| o.env()).collect();
        let got: BTreeSet<&str> = code_spans(environment)
            .iter()
            .map(|span| span.split('=').next().unwrap_or_default())
            .collect();
        assert_eq!(got, want, "variables of README row {option}");
        listed.extend(names);
    }
    let declared: BTreeSet<String> = OPTIONS
        .iter()
        .flat_map(|o| {
            std::iter::once(format!("--{}", o.long())).chain(o.short.map(|s| format!("-{s}")))
        })
        .collect();
    let missing: Vec<_> = declared.difference(&listed).collect();
    let unknown: Vec<_> = listed.difference(&declared).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "README.md's option table and pidone::cli::OPTIONS differ: \
         missing from the README {missing:?}, not options of pidone {unknown:?}"
    );
}
