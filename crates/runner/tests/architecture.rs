//! ARCHITECTURE.md against the code, for the part of it that can be checked: the crate table
//! is the workspace's members, the platform list is `model::Platform`, every path to the code
//! it names exists, and its list of the runner's layers names every module of the runner.

use std::collections::BTreeSet;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn architecture() -> String {
    std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md at the root")
}

/// The text of the section under `## {title}`.
fn section<'a>(doc: &'a str, title: &str) -> &'a str {
    doc.split("\n## ")
        .find(|s| s.starts_with(&format!("{title}\n")))
        .unwrap_or_else(|| panic!("a `## {title}` section"))
}

/// Every `` `text` `` in `text`.
fn code_spans(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

/// The workspace members' folder names (`crates/model` → `model`).
fn workspace_members() -> BTreeSet<String> {
    let cargo = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let start = cargo.find("members = [").expect("a members list");
    let end = start + cargo[start..].find(']').unwrap();
    cargo[start..end]
        .split('"')
        .skip(1)
        .step_by(2)
        .map(|m| m.trim_start_matches("crates/").to_string())
        .collect()
}

#[test]
fn the_crate_table_lists_every_workspace_member_and_nothing_else() {
    let doc = architecture();
    let table: BTreeSet<String> = section(&doc, "Each crate's one job")
        .lines()
        .filter(|l| l.starts_with("| `"))
        .filter_map(|l| code_spans(l).first().map(|c| c.to_string()))
        .collect();
    assert_eq!(table, workspace_members());
}

#[test]
fn the_platform_list_is_model_platform() {
    let doc = architecture();
    let listed: BTreeSet<&str> = code_spans(section(&doc, "The platforms"))
        .into_iter()
        .filter(|c| !c.contains(':') && !c.contains('.'))
        .collect();
    let platforms: BTreeSet<&str> = model::Platform::ALL.iter().map(|p| p.as_str()).collect();
    assert_eq!(listed, platforms);
}

#[test]
fn every_path_to_the_code_it_names_exists() {
    let doc = architecture();
    let paths: Vec<&str> = code_spans(&doc)
        .into_iter()
        .filter(|c| c.starts_with("crates/") && !c.contains(' '))
        .collect();
    assert!(paths.len() > 10, "{paths:?}");
    let missing: Vec<&&str> = paths.iter().filter(|p| !root().join(p).exists()).collect();
    assert!(
        missing.is_empty(),
        "named in ARCHITECTURE.md, missing: {missing:?}"
    );
}

#[test]
fn the_layer_list_names_every_module_of_the_runner() {
    let doc = architecture();
    let layers = section(&doc, "The runner's layers");
    let src = root().join("crates/runner/src");
    for entry in std::fs::read_dir(&src).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name == "lib.rs" || name == "main.rs" {
            continue;
        }
        let shown = if name.ends_with(".rs") {
            name.clone()
        } else {
            format!("{name}/")
        };
        assert!(
            layers.contains(&format!("`{shown}")),
            "crates/runner/src/{name} is in no layer of ARCHITECTURE.md"
        );
    }
}
