//! Change windows and drift modes through the real binary: `validate`, `plan`, `apply` (held
//! changes, exit codes, break glass) and `windows`, against a simulated tenant started here.

mod common;

use std::path::Path;
use std::process::Output;

use serde_json::Value;
use sim::{Faults, Seed, SeedQueue, Sim, SimHandle};

/// Runs the binary on `repo` against `sim`, with `repo/.cxqueues` as the state directory.
fn run(sim: &SimHandle, repo: &Path, args: &[&str]) -> Output {
    let c = sim.client();
    let mut cmd = common::cxqueues_bin();
    cmd.args(args).arg("--repo").arg(repo);
    if matches!(args.first(), Some(&"plan" | &"apply")) {
        cmd.arg("--state-dir").arg(repo.join(".cxqueues"));
    }
    cmd.env("CXONE_BASE_URL", sim.base_url())
        .env("CXONE_CLIENT_ID", &c.client_id)
        .env("CXONE_CLIENT_SECRET", &c.client_secret)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

use common::{output_text as text, write_file as write};

/// A repository with `spec` lines in `cxqueues.yaml` and the queue Billing (maxWaitTime
/// `wait`), and a tenant whose Billing waits 300.
fn setup(spec: &str, wait: u32) -> (tempfile::TempDir, SimHandle) {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "cxqueues.yaml",
        &format!(
            "apiVersion: cxqueues/v1\nkind: Tenant\nmetadata: {{name: test}}\nspec:\n  requestsPerSecond: 1000\n{spec}"
        ),
    );
    write(
        dir.path(),
        "queues/billing.yaml",
        &format!(
            "apiVersion: cxqueues/v1\nkind: Queue\nmetadata: {{name: Billing, labels: {{team: billing}}}}\nspec: {{maxWaitTime: {wait}}}\n"
        ),
    );
    let sim = Sim::start(
        Seed {
            queues: vec![SeedQueue {
                max_wait_time: 300,
                ..SeedQueue::named("Billing")
            }],
            ..Seed::default()
        },
        Faults::default(),
    )
    .unwrap();
    (dir, sim)
}

fn wait_of(sim: &SimHandle) -> Option<u64> {
    sim.queue_by_name("Billing")?.get("maxWaitTime")?.as_u64()
}

/// A deny window that is always active (each occurrence lasts until the next starts).
const ALWAYS_DENY: &str =
    "  changeWindows:\n    - {name: freeze, kind: deny, schedule: \"* * * * *\", duration: 1m}\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_and_apply_list_a_change_a_deny_window_holds_and_apply_writes_none_of_it() {
    let (dir, sim) = setup(ALWAYS_DENY, 240);
    let repo = dir.path();

    let out = run(&sim, repo, &["plan"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let shown = text(&out);
    assert!(
        shown.contains(
            "~ Billing: maxWaitTime 300 → 240  held by window \"freeze\" no end in sight"
        ),
        "{shown}"
    );
    assert!(shown.contains("Plan: 0 to create, 0 to update"), "{shown}");

    let out = run(&sim, repo, &["plan", "--format", "json"]);
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["changes"], serde_json::json!([]));
    let held = &plan["held"][0];
    assert_eq!(held["queue"], "Billing");
    assert_eq!(held["window"], "freeze");
    assert_eq!(held["applies"], "changes");
    assert_eq!(held["fields"][0]["path"], "maxWaitTime");
    // The window never lifts (each occurrence lasts until the next).
    assert!(held["until"].is_null(), "{held}");

    let out = run(&sim, repo, &["plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(2), "held counts as pending changes");

    // The PR comment of the saved plan lists the held change, and never says "in sync".
    let saved = repo.join("plan.json");
    let out = run(&sim, repo, &["plan", "--out", saved.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let comment = common::cxqueues_bin()
        .args(["comment", "--dry-run", "--plan"])
        .arg(&saved)
        .env_remove("GITHUB_TOKEN")
        .output()
        .unwrap();
    let body = String::from_utf8_lossy(&comment.stdout);
    assert!(
        body.contains("1 queue is held back by a change window")
            && body.contains("| Billing | maxWaitTime 300 → 240 | freeze | no end in sight |")
            && !body.contains("matches the repository"),
        "{body}"
    );

    let out = run(&sim, repo, &["apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("held by window \"freeze\""));
    assert_eq!(wait_of(&sim), Some(300), "nothing written");

    let out = run(&sim, repo, &["apply", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(wait_of(&sim), Some(300));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_markdown_plan_before_a_break_glass_apply_says_what_goes_through_the_window() {
    let (dir, sim) = setup(ALWAYS_DENY, 240);
    let out = run(
        &sim,
        dir.path(),
        &["apply", "--break-glass", "INC-8", "--format", "markdown"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains("**Break glass**: applied through a change window\n\n- Billing: window \"freeze\" (changes)"),
        "{shown}"
    );
    assert_eq!(wait_of(&sim), Some(240));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_with_break_glass_writes_through_the_window_and_the_audit_log_names_the_reason() {
    let (dir, sim) = setup(ALWAYS_DENY, 240);
    let repo = dir.path();
    let out = run(&sim, repo, &["apply", "--break-glass", "  "]);
    assert_eq!(out.status.code(), Some(1), "a blank reason is refused");
    assert_eq!(wait_of(&sim), Some(300));

    let out = run(&sim, repo, &["apply", "--break-glass", "INC-7 outage"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("break glass: applied through window \"freeze\""),
        "{}",
        text(&out)
    );
    assert_eq!(wait_of(&sim), Some(240));
    let audit = std::fs::read_to_string(repo.join(".cxqueues/audit.jsonl")).unwrap();
    let records: Vec<Value> = audit
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let broken: Vec<&Value> = records
        .iter()
        .filter(|r| r["action"] == "WINDOW_OVERRIDDEN")
        .collect();
    assert_eq!(broken.len(), 1, "{records:#?}");
    assert_eq!(broken[0]["reason"], "INC-7 outage");
    assert_eq!(broken[0]["window"], "freeze");
    assert_eq!(broken[0]["queueName"], "Billing");
    let verify = common::cxqueues_bin()
        .args(["audit", "verify"])
        .arg(repo.join(".cxqueues/audit.jsonl"))
        .output()
        .unwrap();
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_history_a_tenant_edit_is_drift_and_warn_plans_no_write() {
    let (dir, sim) = setup("  drift: {mode: warn}\n", 240);
    let repo = dir.path();
    // No history: the difference is a change, applied.
    let out = run(&sim, repo, &["apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(wait_of(&sim), Some(240));
    assert!(repo.join(".cxqueues/applied.json").is_file());
    // Someone edits the tenant: declared as last applied, so it is drift, only reported.
    sim.edit_queue(
        "Billing",
        "maxWaitTime",
        serde_json::json!(500),
        "rival@example.com",
    )
    .unwrap();
    let out = run(&sim, repo, &["plan", "--format", "json"]);
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["changes"], serde_json::json!([]));
    let drift = &plan["drift"][0];
    assert_eq!(drift["queue"], "Billing");
    assert_eq!(drift["mode"], "warn");
    assert_eq!(drift["corrected"], false);
    assert_eq!(drift["fields"][0]["before"], 500);
    assert_eq!(drift["fields"][0]["after"], 240);
    assert_eq!(drift["modifiedBy"], "rival@example.com");
    let out = run(&sim, repo, &["apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("drift mode warn: reported, not corrected"),
        "{}",
        text(&out)
    );
    assert_eq!(wait_of(&sim), Some(500), "warn writes nothing");
    // A commit's change is still applied in warn mode.
    write(
        repo,
        "queues/billing.yaml",
        "apiVersion: cxqueues/v1\nkind: Queue\nmetadata: {name: Billing}\nspec: {maxWaitTime: 180}\n",
    );
    let out = run(&sim, repo, &["apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(wait_of(&sim), Some(180));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_reports_each_bad_window_at_its_line_with_its_rule() {
    let (dir, sim) = setup(
        "  changeWindows:\n    - {name: a, kind: deny, schedule: \"61 * * * *\", duration: 1h}\n    - {name: b, kind: deny, dates: [2026-13-01], timeZone: Mars/Olympus}\n    - {name: c, kind: allow, schedule: \"0 9 * * *\", duration: 40d, queues: [Nothing*]}\n  drift: {ignore: [maxWaiter]}\n",
        240,
    );
    let out = run(&sim, dir.path(), &["validate", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let diags = report["diagnostics"].as_array().unwrap();
    let at = |rule: &str, line: u64, says: &str| {
        diags.iter().any(|d| {
            d["rule"] == rule
                && d["line"] == line
                && d["file"] == "cxqueues.yaml"
                && d["message"].as_str().unwrap_or_default().contains(says)
        })
    };
    assert!(at("change-window", 7, "outside 0–59"), "{diags:#?}");
    assert!(at("change-window", 8, "not a date"), "{diags:#?}");
    assert!(
        at("change-window", 8, "not a known time zone"),
        "{diags:#?}"
    );
    assert!(at("change-window", 9, "longer than 31 days"), "{diags:#?}");
    assert!(at("change-window", 9, "matches no queue"), "{diags:#?}");
    assert!(at("drift-ignore", 10, "maxWaiter"), "{diags:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn windows_shows_what_is_active_at_a_given_time_and_each_queues_verdict() {
    let (dir, sim) = setup(
        "  changeWindows:\n    - {name: peak, kind: deny, schedule: \"0 9 * * 1-5\", duration: 8h, timeZone: America/New_York, labels: {team: billing}}\n    - {name: christmas, kind: deny, dates: [2026-12-25], applies: [drift]}\n",
        240,
    );
    let repo = dir.path();
    let out = run(
        &sim,
        repo,
        &[
            "windows",
            "--at",
            "2026-12-07T15:00:00Z",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["windows"][0]["name"], "peak");
    assert_eq!(v["windows"][0]["active"], true);
    assert_eq!(v["windows"][0]["activeUntil"], "2026-12-07T22:00:00Z");
    assert_eq!(v["windows"][1]["active"], false);
    assert_eq!(v["windows"][1]["nextStart"], "2026-12-25T00:00:00Z");
    let billing = &v["queues"][0];
    assert_eq!(billing["name"], "Billing");
    assert_eq!(billing["changes"]["allowed"], false);
    assert_eq!(billing["changes"]["window"], "peak");
    assert_eq!(billing["changes"]["until"], "2026-12-07T22:00:00Z");
    assert_eq!(
        billing["changes"]["transitions"][0]["at"],
        "2026-12-07T22:00:00Z"
    );
    assert_eq!(billing["changes"]["transitions"][0]["allowed"], true);

    let out = run(&sim, repo, &["windows", "--at", "2026-12-07T15:00:00Z"]);
    let shown = text(&out);
    assert!(
        shown.contains("Billing: changes held by \"peak\" until 17:00 EST"),
        "{shown}"
    );
    let out = run(&sim, repo, &["windows", "--at", "yesterday"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("not an RFC 3339 time"),
        "{}",
        text(&out)
    );
}
