//! CHANGELOG.md says what the version in Cargo.toml holds: the version
//! `--version` prints has a dated section of its own, below the
//! `[Unreleased]` section that collects what is not in a release yet. A
//! version bump without its changelog entry fails here, not in a user's
//! hands.

use std::path::Path;

/// The `## [NAME] - DATE` headings of the changelog, as (NAME, DATE),
/// DATE empty when the heading has none.
fn sections(changelog: &str) -> Vec<(&str, &str)> {
    changelog
        .lines()
        .filter_map(|line| line.strip_prefix("## ["))
        .filter_map(|rest| rest.split_once(']'))
        .map(|(name, tail)| (name, tail.trim_start_matches(" - ").trim()))
        .collect()
}

/// YYYY-MM-DD, as Keep a Changelog dates a release.
fn is_iso_date(date: &str) -> bool {
    let shape = date.bytes().enumerate().all(|(i, b)| match i {
        4 | 7 => b == b'-',
        _ => b.is_ascii_digit(),
    });
    date.len() == 10 && shape
}

#[test]
fn changelog_has_a_dated_section_for_the_crate_version() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("CHANGELOG.md");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let sections = sections(&text);
    assert_eq!(
        sections.first().map(|s| s.0),
        Some("Unreleased"),
        "the first section of CHANGELOG.md is `## [Unreleased]`: {sections:?}"
    );
    let version = env!("CARGO_PKG_VERSION");
    let Some(&(_, date)) = sections.iter().find(|s| s.0 == version) else {
        panic!("CHANGELOG.md has no `## [{version}] - YYYY-MM-DD` section for Cargo.toml's version: {sections:?}");
    };
    assert!(
        is_iso_date(date),
        "CHANGELOG.md's section for {version} is dated '{date}', not YYYY-MM-DD"
    );
}
