//! `optimize --from-tenant` on Genesys Cloud and NICE CXone, against the simulator's faces:
//! the proposals equal those of `optimize --metrics FILE` given the same numbers, which the
//! test computes from the simulator's traffic model for the window the run reports.

mod common;

use std::path::Path;
use std::process::Output;

use serde_json::{Value, json};

fn run(args: &[&str]) -> Output {
    let mut cmd = common::cxqueues_bin();
    cmd.args(args).env("NO_COLOR", "1");
    cmd.output().unwrap()
}

fn copy_example(name: &str) -> tempfile::TempDir {
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name);
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(from.join("cxqueues.yaml"), dir.path().join("cxqueues.yaml")).unwrap();
    std::fs::create_dir_all(dir.path().join("queues")).unwrap();
    for e in std::fs::read_dir(from.join("queues")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.path().join("queues").join(e.file_name())).unwrap();
    }
    dir
}

fn json_of(o: &Output) -> Value {
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

/// The busiest closed 30-minute interval of `window` (`start/end`) for queue `name`, and the
/// agents on it now, as the simulator's traffic model makes them.
fn by_hand(name: &str, window: &str) -> Value {
    let (start, end) = window.split_once('/').unwrap();
    let (start, end) = (
        model::time::parse_rfc3339(start).unwrap(),
        model::time::parse_rfc3339(end).unwrap(),
    );
    let q = json!({"name": name});
    let mut busiest: Option<sim::traffic::IntervalFigures> = None;
    let mut at = start;
    while at < end {
        let f = sim::traffic::interval(&q, at, 1800, i64::MAX);
        if busiest.is_none_or(|b| f.offered > b.offered) {
            busiest = Some(f);
        }
        at += 1800;
    }
    let b = busiest.unwrap();
    json!({
        "offered": b.offered,
        "intervalSeconds": 1800,
        "averageHandleTimeSeconds": b.average_handle_time_seconds,
        "agents": sim::traffic::agents(&q),
    })
}

fn same_proposals_by_hand_and_from_the_tenant(example: &str) {
    let dir = copy_example(example);
    let repo = dir.path().to_str().unwrap();
    let live = json_of(&run(&[
        "optimize",
        "--repo",
        repo,
        "--from-tenant",
        "--sim",
        "--format",
        "json",
    ]));
    let mut figures = serde_json::Map::new();
    // The demo tenant holds every other queue of the repository: the others have no figures.
    for q in live["queues"].as_array().unwrap() {
        if q["inputs"].is_null() {
            continue;
        }
        let name = q["name"].as_str().unwrap();
        let source = &q["inputs"]["source"];
        assert_eq!(source["stat"], "busiest", "{q}");
        assert!(source["intervals"].as_u64().unwrap() >= 4, "{q}");
        let window = source["window"].as_str().unwrap();
        figures.insert(name.to_string(), by_hand(name, window));
    }
    assert!(!figures.is_empty());
    let file = dir.path().join("by-hand.json");
    std::fs::write(&file, json!({"queues": figures}).to_string()).unwrap();
    let from_file = json_of(&run(&[
        "optimize",
        "--repo",
        repo,
        "--metrics",
        file.to_str().unwrap(),
        "--format",
        "json",
    ]));
    for (l, f) in live["queues"]
        .as_array()
        .unwrap()
        .iter()
        .zip(from_file["queues"].as_array().unwrap())
    {
        assert_eq!(l["name"], f["name"]);
        if l["inputs"].is_null() {
            assert!(f["inputs"].is_null());
            continue;
        }
        assert_eq!(l["changes"], f["changes"], "{}", l["name"]);
        assert_eq!(l["predicted"], f["predicted"], "{}", l["name"]);
        for k in [
            "offered",
            "intervalSeconds",
            "averageHandleTimeSeconds",
            "agents",
        ] {
            assert_eq!(l["inputs"][k], f["inputs"][k], "{} {k}", l["name"]);
        }
        // Neither platform holds maxWaiters or maxWaitTime: they are predicted, not changed.
        let changed: Vec<&str> = l["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["field"].as_str().unwrap())
            .collect();
        assert!(
            !changed.contains(&"maxWaiters") && !changed.contains(&"maxWaitTime"),
            "{changed:?}"
        );
    }
}

#[test]
fn genesys_from_the_tenant_proposes_what_the_same_numbers_by_hand_propose() {
    same_proposals_by_hand_and_from_the_tenant("genesys-cloud");
}

#[test]
fn cxone_from_the_tenant_proposes_what_the_same_numbers_by_hand_propose() {
    same_proposals_by_hand_and_from_the_tenant("nice-cxone");
}

#[test]
fn the_seed_policy_from_a_vendor_is_refused_naming_the_inputs_no_report_gives() {
    let dir = copy_example("genesys-cloud");
    let o = run(&[
        "optimize",
        "--repo",
        dir.path().to_str().unwrap(),
        "--from-tenant",
        "--sim",
        "--policy",
        "seed",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("activeInteractions, maxCapacity and coverageRatio")
            && err.contains("genesys-cloud"),
        "{err}"
    );
}

/// Billing with conditional group routing: a ServiceLevel rule, then an EstimatedWaitTime
/// rule (the one the proposal changes).
const BILLING_CGR: &str = "  conditionalGroupRouting:
      rules:
        - {metric: ServiceLevel, operator: LessThan, value: 70, waitSeconds: 10,
           groups: [{name: Billing overflow, type: GROUP}]}
        - metric: EstimatedWaitTime   # when the wait passes this, the overflow group joins
          operator: GreaterThan
          value: 1
          waitSeconds: 20
          groups: [{name: Billing overflow, type: GROUP}]
";

fn run_code(args: &[&str]) -> (Option<i32>, Value, String) {
    let o = run(args);
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    let v = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
    (o.status.code(), v, stderr)
}

#[test]
fn genesys_write_sets_the_estimated_wait_rule_to_the_erlang_c_figure_and_then_is_in_sync() {
    let dir = copy_example("genesys-cloud");
    let repo = dir.path().to_str().unwrap();
    let billing = dir.path().join("queues/billing.yaml");
    let before = std::fs::read_to_string(&billing).unwrap();
    let with_cgr = before.replace("  genesys:\n", &format!("  genesys:\n  {BILLING_CGR}"));
    assert_ne!(with_cgr, before);
    std::fs::write(&billing, &with_cgr).unwrap();
    // The textbook queue: 600 calls in 3 hours, 3-minute handle time, 12 agents.
    let metrics = dir.path().join("metrics.json");
    std::fs::write(
        &metrics,
        r#"{"queues": {"Billing": {"offered": 600, "intervalSeconds": 10800, "averageHandleTimeSeconds": 180, "agents": 12}}}"#,
    )
    .unwrap();
    let args = [
        "optimize",
        "--repo",
        repo,
        "--metrics",
        metrics.to_str().unwrap(),
        "--format",
        "json",
        "--detailed-exitcode",
    ];
    let (code, proposal, err) = run_code(&args);
    assert_eq!(code, Some(2), "{err}");
    let q = &proposal["queues"][0];
    assert_eq!(q["name"], "Billing");
    assert_eq!(
        q["changes"].as_array().unwrap().len(),
        1,
        "only the rule's value changes: {q}"
    );
    let c = &q["changes"][0];
    assert_eq!(c["field"], "genesys.conditionalGroupRouting.rules[1].value");
    assert_eq!(c["from"], 1);
    // The smallest t with P(wait > t) ≤ 1 %: the maxWaitTime figure, which stays a
    // prediction (Genesys holds it in the flow).
    assert_eq!(c["to"], 343);
    assert_eq!(q["predicted"]["maxWaitTime"], 343);

    let mut write = args.to_vec();
    write.push("--write");
    let (code, _, err) = run_code(&write);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("Wrote 1 file."), "{err}");
    let after = std::fs::read_to_string(&billing).unwrap();
    // Only that scalar moved: the comments, the flow rule and the rest are the file's own.
    assert_eq!(after, with_cgr.replace("value: 1\n", "value: 343\n"));
    let validate = run(&["validate", "--repo", repo]);
    assert_eq!(
        validate.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&validate.stderr)
    );
    let (code, again, err) = run_code(&args);
    assert_eq!(code, Some(0), "proposed again after --write: {again} {err}");
}
