//! README.md's command table against clap's own command tree: every long flag of every
//! command (and of `audit verify`, `webhooks list`, …) is in its command's rows, so the two
//! cannot drift apart again.

use clap::CommandFactory;
use runner::cli::Cli;

fn readme() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md");
    std::fs::read_to_string(path).expect("README.md at the workspace root")
}

/// The rows of the table under `## Commands`.
fn command_rows(readme: &str) -> Vec<&str> {
    let section = readme
        .split("\n## ")
        .find(|s| s.starts_with("Commands\n"))
        .expect("a `## Commands` section");
    section.lines().filter(|l| l.starts_with("| `")).collect()
}

/// Whether `row` holds `flag` as a whole flag (`--sim` is not found in `--sim-reset`).
fn has_flag(row: &str, flag: &str) -> bool {
    row.match_indices(flag).any(|(at, _)| {
        row[at + flag.len()..]
            .chars()
            .next()
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '-'))
    })
}

/// `(command path, --flag)` for every long flag in the tree below `cmd`.
fn long_flags(cmd: &clap::Command, path: &str, out: &mut Vec<(String, String)>) {
    for arg in cmd.get_arguments() {
        if let Some(long) = arg.get_long()
            && long != "help"
            && long != "version"
        {
            out.push((path.to_string(), format!("--{long}")));
        }
    }
    for sub in cmd.get_subcommands() {
        if sub.get_name() != "help" {
            long_flags(sub, format!("{path} {}", sub.get_name()).trim(), out);
        }
    }
}

#[test]
fn every_long_flag_of_every_command_is_in_the_readme_command_table() {
    let readme = readme();
    let rows = command_rows(&readme);
    let mut flags = Vec::new();
    long_flags(&Cli::command(), "", &mut flags);
    assert!(flags.len() > 60, "the walk found the tree: {}", flags.len());
    let mut missing = Vec::new();
    for (path, flag) in &flags {
        let top = path.split(' ').next().unwrap_or_default();
        let own: Vec<&&str> = rows
            .iter()
            .filter(|r| {
                r.starts_with(&format!("| `{top} ")) || r.starts_with(&format!("| `{top}`"))
            })
            .collect();
        assert!(!own.is_empty(), "README has no row for `{top}`");
        if !own.iter().any(|r| has_flag(r, flag)) {
            missing.push(format!("{path} {flag}"));
        }
    }
    assert!(
        missing.is_empty(),
        "not in README.md's command table: {missing:#?}"
    );
}

#[test]
fn every_command_has_a_row_and_the_api_contract_it_cites_is_in_the_repository() {
    let readme = readme();
    let rows = command_rows(&readme);
    for sub in Cli::command().get_subcommands() {
        let name = sub.get_name();
        if name == "help" {
            continue;
        }
        assert!(
            rows.iter().any(|r| r.starts_with(&format!("| `{name}"))),
            "no row for {name}"
        );
    }
    assert!(readme.contains("docs/cxone-api.md"));
    let docs = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/cxone-api.md");
    let contract = std::fs::read_to_string(docs).expect("docs/cxone-api.md is shipped");
    assert!(
        contract.contains("routing-api"),
        "says which platform it describes"
    );
    assert!(contract.contains("/api/v2/routing/queues"));
}

#[test]
fn a_flag_is_found_whole_and_not_inside_a_longer_one() {
    assert!(has_flag("| `plan [--sim-reset]`", "--sim-reset"));
    assert!(!has_flag("| `plan [--sim-reset]`", "--sim"));
    assert!(has_flag("| `plan [--sim]`", "--sim"));
}
