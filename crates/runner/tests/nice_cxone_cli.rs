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

/// `(rule, file, line)` of each diagnostic of `validate --format json`, sorted.
fn rule_file_line(doc: &Value) -> Vec<(String, String, u64)> {
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
    got
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
    let got = rule_file_line(&doc);
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

/// A tenant of `skills` skills holding all 84 published properties (names with spaces and
/// parentheses, thresholds of 3,600 s on every other one), and 150 campaigns: two pages.
fn full_tenant(skills: u64) -> Seed {
    let campaigns = 150;
    Seed {
        queues: (0..skills)
            .map(|i| sim::full_cxone_skill(&format!("Skill {i:03} (Tier {})", i % 3), i, campaigns))
            .collect(),
        cxone_campaigns: (1..=campaigns as i64)
            .map(|id| sim::SeedCampaign {
                id,
                name: format!("Campaign {id}"),
            })
            .collect(),
        ..Seed::default()
    }
}

/// Imports the tenant into a fresh repository (`cxqueues.yaml` plus `extra` lines): the
/// imported repository.
fn imported(sim: &SimHandle, extra: &str) -> tempfile::TempDir {
    let src = repo(&[]);
    std::fs::write(src.path().join("cxqueues.yaml"), format!("{TENANT}{extra}")).unwrap();
    let r = src.path().to_str().unwrap();
    // Import writes a whole repository (with --repo's cxqueues.yaml) into an empty --out.
    let dir = tempfile::tempdir().unwrap();
    let out = against(
        sim,
        sim::CXONE_ACCESS_KEY_SECRET,
        &["import", "--repo", r, "--out", dir.path().to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_of_120_skills_with_all_84_published_fields_validates_and_plans_empty() {
    let sim = sim::Sim::start(full_tenant(120), Faults::none()).unwrap();
    let dir = imported(&sim, "");
    let r = dir.path().to_str().unwrap();
    let files = std::fs::read_dir(dir.path().join("queues"))
        .unwrap()
        .count();
    assert_eq!(files, 120);
    let sample = std::fs::read_to_string(dir.path().join("queues/skill-000-tier-0.yaml"))
        .unwrap_or_else(|_| {
            let any = std::fs::read_dir(dir.path().join("queues"))
                .unwrap()
                .next()
                .unwrap();
            std::fs::read_to_string(any.unwrap().path()).unwrap()
        });
    assert!(sample.contains("(Tier "), "{sample}");
    let all: String = std::fs::read_dir(dir.path().join("queues"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert!(
        all.contains("time: 3600"),
        "a 3,600 s threshold is imported as it is"
    );
    assert!(
        all.contains("campaign: Campaign 1"),
        "campaigns of both pages"
    );
    let out = bin().args(["validate", "--repo", r]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = against(
        &sim,
        sim::CXONE_ACCESS_KEY_SECRET,
        &["plan", "--repo", r, "--detailed-exitcode"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

/// The stored skill without what a write moves on its own (version, modification marks).
fn stored(sim: &SimHandle, name: &str) -> Value {
    let mut q = sim.queue_by_name(name).unwrap();
    for k in ["version", "dateModified", "modifiedBy"] {
        q.as_object_mut().unwrap().remove(k);
    }
    q
}

/// Changes one skill's description through `apply`, and checks that nothing else of the
/// skill moved.
fn one_field_update_keeps_the_rest(whole_put: bool, tenant_extra: &str) {
    let sim = sim::Sim::start(
        full_tenant(3),
        Faults::none().with_cxone_whole_put(whole_put),
    )
    .unwrap();
    let dir = imported(&sim, tenant_extra);
    let r = dir.path().to_str().unwrap();
    let name = "Skill 001 (Tier 1)";
    let before = stored(&sim, name);
    let file = std::fs::read_dir(dir.path().join("queues"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| std::fs::read_to_string(p).unwrap().contains(name))
        .unwrap();
    let yaml = std::fs::read_to_string(&file).unwrap();
    let yaml = yaml.replace(
        "description: 'Skill 1: notes as NICE holds them'",
        "description: Changed in git",
    );
    let yaml = yaml.replace(
        "description: \"Skill 1: notes as NICE holds them\"",
        "description: Changed in git",
    );
    assert!(yaml.contains("Changed in git"), "{yaml}");
    std::fs::write(&file, yaml).unwrap();
    let out = against(&sim, sim::CXONE_ACCESS_KEY_SECRET, &["apply", "--repo", r]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let mut after = stored(&sim, name);
    assert_eq!(after["description"], "Changed in git");
    after["description"] = before["description"].clone();
    assert_eq!(after, before, "whole PUT: {whole_put}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_of_one_field_keeps_every_other_property_when_the_put_is_partial() {
    one_field_update_keeps_the_rest(false, "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_of_one_field_keeps_every_other_property_when_the_put_replaces_the_skill() {
    one_field_update_keeps_the_rest(true, "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_partial_updates_declared_an_update_sends_only_the_change_and_reads_nothing() {
    let sim = sim::Sim::start(full_tenant(3), Faults::none()).unwrap();
    let extra = "  cxone:\n    partialUpdates: true\n";
    let dir = imported(&sim, extra);
    sim.reset_stats();
    let r = dir.path().to_str().unwrap();
    let file = std::fs::read_dir(dir.path().join("queues"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| std::fs::read_to_string(p).unwrap().contains("Skill 002"))
        .unwrap();
    let yaml = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, yaml.replace("max: ", "max: 4242 #")).unwrap();
    let out = against(&sim, sim::CXONE_ACCESS_KEY_SECRET, &["apply", "--repo", r]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let skill = sim.queue_by_name("Skill 002 (Tier 2)").unwrap();
    assert_eq!(skill["cxone"]["maxPriority"], 4242, "{skill}");
    let stats = serde_json::to_value(sim.stats()).unwrap().to_string();
    assert!(
        !stats.contains("GET /inContactAPI/services/v34.0/skills/"),
        "{stats}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_change_and_a_new_inactive_skill_with_a_campaign_are_applied() {
    let sim = sim::Sim::start(full_tenant(2), Faults::none()).unwrap();
    let dir = imported(&sim, "");
    let r = dir.path().to_str().unwrap();
    let file = std::fs::read_dir(dir.path().join("queues"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| std::fs::read_to_string(p).unwrap().contains("Skill 001"))
        .unwrap();
    let yaml = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        yaml.replace("campaign: Campaign 2", "campaign: Campaign 140"),
    )
    .unwrap();
    let new = queue(
        "Chat EN (new)",
        "",
        "  cxone:\n    mediaType: chat\n    campaign: campaign 120\n    active: false\n",
    );
    std::fs::write(dir.path().join("queues/new.yaml"), new).unwrap();
    let out = against(&sim, sim::CXONE_ACCESS_KEY_SECRET, &["plan", "--repo", r]);
    assert!(
        text(&out).contains("creates it active; apply then deactivates it"),
        "{}",
        text(&out)
    );
    let out = against(&sim, sim::CXONE_ACCESS_KEY_SECRET, &["apply", "--repo", r]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let moved = sim.queue_by_name("Skill 001 (Tier 1)").unwrap();
    assert_eq!(moved["cxone"]["campaignId"], 140, "{moved}");
    let made = sim.queue_by_name("Chat EN (new)").unwrap();
    assert_eq!(made["cxone"]["campaignId"], 120, "{made}");
    assert_eq!(made["cxone"]["isActive"], false, "{made}");
    assert_eq!(made["cxone"]["mediaTypeId"], 3, "{made}");
    // The plan compares names exactly: a name matched only by case shows as a change until
    // the document spells it as the tenant does.
    let plan = |sim: &SimHandle| {
        against(
            sim,
            sim::CXONE_ACCESS_KEY_SECRET,
            &["plan", "--repo", r, "--detailed-exitcode"],
        )
    };
    let out = plan(&sim);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("cxone.campaign: \"Campaign 120\" → \"campaign 120\""),
        "{}",
        text(&out)
    );
    let new = std::fs::read_to_string(dir.path().join("queues/new.yaml")).unwrap();
    std::fs::write(
        dir.path().join("queues/new.yaml"),
        new.replace("campaign 120", "Campaign 120"),
    )
    .unwrap();
    let out = plan(&sim);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn validate_applies_nices_own_ranges_and_name_pattern_at_file_line() {
    let good = queue(
        "Sales EN (Tier 1)",
        "",
        "  serviceLevelTarget: {threshold: 90, time: 3600}\n  cxone:\n    shortAbandon: {thresholdSeconds: 300}\n",
    );
    let accented = queue("Ventes été", "", "  description: d\n");
    let spaced = queue("\" Sales\"", "", "  description: d\n");
    let long_abandon = queue(
        "Chat_EN",
        "",
        "  cxone:\n    shortAbandon: {thresholdSeconds: 400}\n",
    );
    let dir = repo(&[
        ("queues/good.yaml", &good),
        ("queues/accented.yaml", &accented),
        ("queues/spaced.yaml", &spaced),
        ("queues/long.yaml", &long_abandon),
    ]);
    let out = bin()
        .args(["validate", "--format", "json", "--repo"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let got = rule_file_line(&doc);
    let want: Vec<(String, String, u64)> = [
        ("range", "queues/accented.yaml", 4),
        ("range", "queues/long.yaml", 7),
        ("range", "queues/spaced.yaml", 4),
    ]
    .iter()
    .map(|(r, f, l)| (r.to_string(), f.to_string(), *l))
    .collect();
    assert_eq!(got, want, "{}", text(&out));
}
