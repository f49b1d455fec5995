//! The workflow files parse as YAML, name the commands and permissions the pull-request flow
//! needs, and every `cxqueues` command line in them is one the binary accepts.

mod common;

use std::path::{Path, PathBuf};

use serde_json::Value;

fn workflow(name: &str) -> (Value, String) {
    let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../.github/workflows")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    let v: Value = serde_saphyr::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not YAML: {e}", path.display()));
    (v, text)
}

/// The `run:` scripts of every step of every job.
fn runs(v: &Value) -> Vec<String> {
    v["jobs"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|j| j["steps"].as_array().unwrap().iter())
        .filter_map(|s| s["run"].as_str().map(str::to_string))
        .collect()
}

fn step_using<'a>(v: &'a Value, action: &str) -> Vec<&'a Value> {
    v["jobs"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|j| j["steps"].as_array().unwrap().iter())
        .filter(|s| s["uses"].as_str().is_some_and(|u| u.starts_with(action)))
        .collect()
}

/// Every `cxqueues …` line parses with the binary's own command line (`--help` after the
/// arguments: an unknown option fails before it is reached).
fn commands_parse(scripts: &[String]) -> usize {
    let mut n = 0;
    for line in scripts.iter().flat_map(|s| s.lines()) {
        let line = line.trim();
        let Some(rest) = line.strip_prefix("cxqueues ") else {
            continue;
        };
        let args: Vec<&str> = rest.split_whitespace().collect();
        let out = common::cxqueues_bin()
            .args(&args)
            .arg("--help")
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "`{line}`: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        n += 1;
    }
    n
}

#[test]
fn ci_keeps_running_the_ci_script() {
    let (v, _) = workflow("ci.yml");
    assert!(runs(&v).iter().any(|r| r.trim() == "bash .ci/run"));
}

#[test]
fn the_pull_request_workflow_validates_plans_comments_and_keeps_the_plan() {
    let (v, text) = workflow("cxqueues-pr.yml");
    let paths = &v["on"]["pull_request"]["paths"];
    assert!(
        paths.as_array().unwrap().iter().any(|p| p == "queues/**"),
        "{paths}"
    );
    assert!(
        paths
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "cxqueues.yaml"),
        "{paths}"
    );
    assert_eq!(v["permissions"]["pull-requests"], "write");
    assert_eq!(v["permissions"]["contents"], "read");
    let scripts = runs(&v);
    let has = |needle: &str| scripts.iter().any(|r| r.contains(needle));
    assert!(has("cxqueues validate") && has("--format github"));
    assert!(has("cxqueues plan --sim") && has("--out plan.json"));
    assert!(has("cxqueues comment --plan plan.json"));
    let upload = step_using(&v, "actions/upload-artifact");
    assert_eq!(upload.len(), 1);
    assert_eq!(upload[0]["with"]["path"], "plan.json");
    assert!(
        text.contains("secrets.CXONE_CLIENT_SECRET"),
        "says how to use a real tenant"
    );
    assert_eq!(commands_parse(&scripts), 3);
}

#[test]
fn the_apply_workflow_applies_the_reviewed_plan_on_main_one_at_a_time() {
    let (v, _) = workflow("cxqueues-apply.yml");
    assert!(
        v["on"]["push"]["branches"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b == "main")
    );
    assert!(v["concurrency"]["group"].is_string());
    assert_eq!(v["concurrency"]["cancel-in-progress"], false);
    let scripts = runs(&v);
    assert!(scripts.iter().any(|r| r.contains("gh run download")));
    assert!(
        scripts
            .iter()
            .any(|r| r.contains("cxqueues apply --repo . --plan reviewed/plan.json"))
    );
    assert!(
        !scripts.iter().any(|r| r.contains("--replan")),
        "never applies an unreviewed plan"
    );
    assert_eq!(commands_parse(&scripts), 1);
}
