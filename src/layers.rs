//! The module graph, read from the source: no file imports a file that
//! imports it back. Dependencies point down the layers (docs/architecture.md),
//! and a pair of files that import each other is a layer that is not one.
//!
//! Each file's `use` lines and `crate::` paths are resolved to the file
//! they name (the longest module path that is a file), `super::` and
//! child modules relative to the file's own module. Test modules are left
//! out: a test may reach anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under DIR (for the tests that read the source).
pub fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of FILE (relative to src/): `os/sys.rs` is
/// `["os", "sys"]`, `os/mod.rs` is `["os"]`, `lib.rs` is `[]`.
fn module_of(file: &str) -> Vec<String> {
    let mut parts: Vec<String> = file
        .trim_end_matches(".rs")
        .split('/')
        .map(String::from)
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The code of TEXT without its test module and comments.
fn code(text: &str) -> String {
    let text = text.split("\n#[cfg(test)]\nmod tests").next().unwrap();
    text.lines()
        .map(|line| line.split("//").next().unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The module paths TEXT (the code of a file of module HERE) names: its
/// `use` trees (braces expanded) and its `crate::` paths.
fn named(text: &str, here: &[String]) -> Vec<Vec<String>> {
    let mut paths = vec![];
    // `use a::{b, c::{d}};` -> a::b, a::c::d (one level of braces is all
    // this crate writes, nested ones are expanded the same way).
    fn expand(prefix: &str, tree: &str, out: &mut Vec<String>) {
        let tree = tree.trim();
        match tree.find('{') {
            Some(open) => {
                let head = format!("{prefix}{}", &tree[..open]);
                let inner = &tree[open + 1..tree.rfind('}').unwrap()];
                let mut depth = 0;
                let mut start = 0;
                for (i, c) in inner.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            expand(&head, &inner[start..i], out);
                            start = i + 1;
                        }
                        _ => {}
                    }
                }
                expand(&head, &inner[start..], out);
            }
            None if !tree.is_empty() => out.push(format!("{prefix}{tree}")),
            None => {}
        }
    }
    let mut flat = vec![];
    for statement in text.split(';') {
        let statement = statement.trim();
        let statement = statement.strip_prefix("pub ").unwrap_or(statement);
        if let Some(tree) = statement.strip_prefix("use ") {
            expand("", tree, &mut flat);
        }
    }
    for (at, _) in text.match_indices("crate::") {
        let path: String = text[at..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        flat.push(path);
    }
    for path in flat {
        let path = path.split(" as ").next().unwrap().trim().to_string();
        let mut parts: Vec<&str> = path.split("::").filter(|p| !p.is_empty()).collect();
        let mut base: Vec<String> = match parts.first().copied() {
            Some("crate") => {
                parts.remove(0);
                vec![]
            }
            // `super` of module a::b (`a/b.rs`, or `a/b/mod.rs`) is `a`.
            Some("super") => {
                let mut base = here.to_vec();
                while parts.first() == Some(&"super") {
                    parts.remove(0);
                    base.pop();
                }
                base
            }
            Some("self") => {
                parts.remove(0);
                here.to_vec()
            }
            // A child module of this one (`use parse::parse` in a mod.rs),
            // or a crate from outside (std, nix, libc): kept, and only
            // counted if it names a file of ours.
            Some(_) => here.to_vec(),
            None => continue,
        };
        base.extend(parts.iter().map(|p| p.to_string()));
        paths.push(base);
    }
    paths
}

#[test]
fn no_file_imports_a_file_that_imports_it_back() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![];
    sources(&src, &mut files);
    let rel = |p: &Path| p.strip_prefix(&src).unwrap().to_str().unwrap().to_string();
    let by_module: BTreeMap<Vec<String>, String> = files
        .iter()
        .map(|p| (module_of(&rel(p)), rel(p)))
        .filter(|(m, f)| !m.is_empty() || f == "lib.rs")
        .collect();
    let mut edges: BTreeSet<(String, String)> = BTreeSet::new();
    for file in &files {
        let name = rel(file);
        // Files that are tests as a whole.
        if name.contains("/tests/") || name.ends_with("/tests.rs") || name == "layers.rs" {
            continue;
        }
        let here = module_of(&name);
        let text = code(&std::fs::read_to_string(file).unwrap());
        for path in named(&text, &here) {
            // The longest prefix of PATH that is a file of ours.
            let target = (1..=path.len())
                .rev()
                .find_map(|n| by_module.get(&path[..n]));
            if let Some(target) = target {
                if *target != name {
                    edges.insert((name.clone(), target.clone()));
                }
            }
        }
    }
    let cycles: Vec<_> = edges
        .iter()
        .filter(|(a, b)| a < b && edges.contains(&(b.clone(), a.clone())))
        .collect();
    assert!(
        cycles.is_empty(),
        "files that import each other: {cycles:?}"
    );
    // The check sees the imports it should.
    assert!(
        edges.contains(&("run/mod.rs".into(), "out/report.rs".into())),
        "{edges:?}"
    );
    assert!(edges.contains(&("text/cli/parse.rs".into(), "text/cli/env.rs".into())));
    assert!(edges.len() > 100, "{}", edges.len());
}
