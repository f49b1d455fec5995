//! `spec.platform: nice-cxone` through the real binary: validation, plan, apply and import
//! against the simulator's CXone face, and a refused access key.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use sim::{Faults, Seed, SeedQueue, SimHandle};

const TENANT: &str = "apiVersion: cxqueues/v1\nkind: Tenant\nspec:\n  platform: nice-cxone\n";

fn bin() -> Command {
    let mut cmd = common::cxqueues_bin();
    cmd.env("NO_COLOR", "1");
    for var in [
        "CXONE_ACCESS_KEY_ID",
        "CXONE_ACCESS_KEY_SECRET",
        "CXONE_CLIENT_ID",
        "CXONE_CLIENT_SECRET",
        "CXONE_ISSUER",
        "CXONE_API_BASE",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// The binary against `sim`'s CXone face, with `key_secret` as the access key's secret.
fn against(sim: &SimHandle, key_secret: &str, args: &[&str]) -> Output {
    let c = sim.client();
    let mut cmd = bin();
    cmd.args(args);
    if args.first() == Some(&"apply")
        && let Some(i) = args.iter().position(|a| *a == "--repo")
    {
        cmd.arg("--state-dir")
            .arg(Path::new(args[i + 1]).join(".cxqueues"));
    }
    cmd.env("CXONE_ISSUER", sim.base_url())
        .env("CXONE_ACCESS_KEY_ID", sim::CXONE_ACCESS_KEY_ID)
        .env("CXONE_ACCESS_KEY_SECRET", key_secret)
        .env("CXONE_CLIENT_ID", &c.client_id)
        .env("CXONE_CLIENT_SECRET", &c.client_secret)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cxqueues.yaml"), TENANT).unwrap();
    std::fs::create_dir_all(dir.path().join("queues")).unwrap();
    for (rel, body) in files {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }
    dir
}

fn queue(name: &str, meta: &str, spec: &str) -> String {
    format!("apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: {name}\n{meta}spec:\n{spec}")
}

fn example() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/nice-cxone")
}

#[test]
fn the_cxone_example_validates_and_plans_with_the_embedded_tenant_saying_deactivate() {
    let out = bin()
        .args(["validate", "--repo"])
        .arg(example())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = bin()
        .args(["plan", "--sim", "--repo"])
        .arg(example())
        .output()
        .unwrap();
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(
        shown.contains("Plan: 2 to create, 2 to update, 1 to deactivate, 0 unchanged."),
        "{shown}"
    );
    assert!(shown.contains("cxone.campaign"), "{shown}");
}

#[test]
fn validation_rejects_what_a_skill_cannot_hold_a_bad_name_and_a_non_integer_id_at_file_line() {
    let a = queue(
        "Sales_EN",
        "",
        "  maxWaitTime: 300\n  maxWaiters: 5\n  overflow: null\n  skillRequirements: []\n",
    );
    let b = queue(
        "Sales EN!",
        "  id: 3f2a6b1c-0000-4000-8000-000000000001\n",
        "  description: d\n",
    );
    let ok = queue("Support_EN", "  id: 4711\n", "  cxone: {mediaType: chat}\n");
    let dir = repo(&[
        ("queues/a.yaml", &a),
        ("queues/b.yaml", &b),
        ("queues/ok.yaml", &ok),
    ]);
    let out = bin()
        .args(["validate", "--format", "json", "--repo"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut got: Vec<(String, String, u64)> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap().to_string(),
                d["file"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
            )
        })
        .collect();
    got.sort();
    let want = [
        ("invalid-id", "queues/b.yaml", 5),
        ("range", "queues/b.yaml", 4),
        // `overflow: null` is reported at the queue's name.
        ("unsupported", "queues/a.yaml", 4),
        ("unsupported", "queues/a.yaml", 6),
        ("unsupported", "queues/a.yaml", 7),
        ("unsupported", "queues/a.yaml", 9),
    ];
    let want: Vec<(String, String, u64)> = want
        .iter()
        .map(|(r, f, l)| (r.to_string(), f.to_string(), *l))
        .collect();
    assert_eq!(got, want, "{}", text(&out));
    let hints: String = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["hint"].as_str())
        .collect();
    assert!(
        hints.contains("Reqagent") && hints.contains("Reskill"),
        "{hints}"
    );
}

fn seeded() -> Seed {
    Seed {
        queues: vec![
            SeedQueue::named("Billing_EN"),
            SeedQueue::named("Legacy_IVR"),
            SeedQueue::named("Console_Only"),
        ],
        ..Seed::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_through_the_cxone_face_creates_updates_deactivates_and_then_plans_empty() {
    let sim = sim::Sim::start(seeded(), Faults::none()).unwrap();
    let billing = queue(
        "Billing_EN",
        "",
        "  description: Billing by phone.\n  cxone:\n    campaign: Sales\n    priority: {max: 90}\n",
    );
    let chat = queue(
        "Chat_EN",
        "",
        "  serviceLevelTarget: {threshold: 90, time: 45}\n  cxone: {mediaType: chat, active: true}\n",
    );
    let legacy =
        "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: Legacy_IVR\n  deleted: true\n";
    let dir = repo(&[
        ("queues/billing.yaml", &billing),
        ("queues/chat.yaml", &chat),
        ("queues/legacy.yaml", legacy),
    ]);
    let r = dir.path().to_str().unwrap();
    let key = sim::CXONE_ACCESS_KEY_SECRET;
    let out = against(&sim, key, &["apply", "--repo", r]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(
        shown.contains("1 created, 1 updated, 1 deactivated"),
        "{shown}"
    );
    let legacy = sim.queue_by_name("Legacy_IVR").unwrap();
    assert_eq!(legacy["cxone"]["isActive"], false, "{legacy}");
    let billing = sim.queue_by_name("Billing_EN").unwrap();
    assert_eq!(billing["cxone"]["campaignId"], 2, "{billing}");
    assert_eq!(billing["description"], "Billing by phone.");
    // The skill is deactivated, not gone: the tombstone stays satisfied.
    let out = against(&sim, key, &["plan", "--repo", r, "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_writes_skills_that_validate_and_plan_empty() {
    let sim = sim::Sim::start(seeded(), Faults::none()).unwrap();
    let dir = repo(&[]);
    let r = dir.path().to_str().unwrap();
    let key = sim::CXONE_ACCESS_KEY_SECRET;
    // Import writes a whole repository (with --repo's cxqueues.yaml) into --out.
    let imported = dir.path().join("imported");
    let out = against(
        &sim,
        key,
        &["import", "--repo", r, "--out", imported.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let r = imported.to_str().unwrap();
    let written = std::fs::read_to_string(imported.join("queues/billing-en.yaml")).unwrap();
    assert!(written.contains("mediaType: voice"), "{written}");
    assert!(written.contains("campaign: Default"), "{written}");
    assert!(!written.contains("maxWaitTime"), "{written}");
    let out = bin().args(["validate", "--repo", r]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = against(&sim, key, &["plan", "--repo", r, "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_access_key_exits_3_with_a_clear_message_and_no_secret() {
    let sim = sim::Sim::start(seeded(), Faults::none()).unwrap();
    let dir = repo(&[]);
    let wrong = "wrong-key-secret-4f9a";
    let out = against(
        &sim,
        wrong,
        &["plan", "--repo", dir.path().to_str().unwrap()],
    );
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(3), "{shown}");
    assert!(shown.contains("refused the access key"), "{shown}");
    assert!(!shown.contains(wrong), "{shown}");
    assert!(!shown.contains(&sim.client().client_secret), "{shown}");
}

#[test]
fn a_missing_access_key_is_a_usage_error_naming_the_variable() {
    let dir = repo(&[]);
    let out = bin()
        .args(["plan", "--repo"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("CXONE_ACCESS_KEY_ID"), "{}", text(&out));
}
