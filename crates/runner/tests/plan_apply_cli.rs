//! `plan`, `apply` and `import` through the real binary, against a simulated tenant started
//! in the test (so that the test can look at the tenant and change it between commands).

mod common;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use sim::{Faults, Seed, SeedOverflow, SeedQueue, SimHandle};

fn bin() -> Command {
    common::cxqueues_bin()
}

fn against(sim: &SimHandle, args: &[&str]) -> Output {
    let c = sim.client();
    let mut cmd = bin();
    cmd.args(args);
    // apply keeps its audit log and outbox beside the test's repository.
    if args.first() == Some(&"apply")
        && let Some(i) = args.iter().position(|a| *a == "--repo")
    {
        cmd.arg("--state-dir")
            .arg(Path::new(args[i + 1]).join(".cxqueues"));
    }
    cmd.env("CXONE_BASE_URL", sim.base_url())
        .env("CXONE_CLIENT_ID", &c.client_id)
        .env("CXONE_CLIENT_SECRET", &c.client_secret)
        .env("NO_COLOR", "1")
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

fn write(dir: &Path, rel: &str, body: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, body).unwrap();
}

fn doc(name: &str, spec: &str) -> String {
    format!("apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: {name}\nspec:\n{spec}")
}

fn seed(queues: Vec<SeedQueue>) -> Seed {
    Seed {
        queues,
        skills: vec!["language:en".into(), "billing".into()],
        ..Seed::default()
    }
}

fn writes(sim: &SimHandle) -> u64 {
    sim.stats()
        .requests
        .iter()
        .filter(|(k, _)| {
            k.starts_with("PUT") || k.starts_with("POST /api") || k.starts_with("DELETE")
        })
        .map(|(_, m)| m.values().sum::<u64>())
        .sum()
}

fn example_repo() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn plan_with_the_embedded_tenant_shows_creates_updates_and_unmanaged_queues() {
    let out = bin()
        .args(["plan", "--sim", "--format", "json", "--repo"])
        .arg(example_repo())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["formatVersion"], 1);
    let s = &v["summary"];
    assert!(s["create"].as_u64().unwrap() > 0, "{s}");
    assert!(s["update"].as_u64().unwrap() > 0, "{s}");
    assert_eq!(s["unmanaged"], 3);
    let changes = v["changes"].as_array().unwrap();
    let creates = changes.iter().filter(|c| c["action"] == "create").count() as u64;
    assert_eq!(creates, s["create"].as_u64().unwrap());
    for c in changes {
        for f in c["fields"].as_array().unwrap() {
            assert!(f["path"].is_string() && f.get("before").is_some() && f.get("after").is_some());
            assert_ne!(f["before"], f["after"], "an unchanged field is listed: {f}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_text_lists_each_changed_field_and_ends_with_the_summary() {
    let sim = sim::Sim::start(seed(vec![SeedQueue::named("Support")]), Faults::none()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "queues/s.yaml",
        &doc("Support", "  maxWaitTime: 240\n"),
    );
    write(
        dir.path(),
        "queues/n.yaml",
        &doc("New One", "  maxWaiters: 7\n"),
    );
    let out = against(
        &sim,
        &[
            "plan",
            "--repo",
            dir.path().to_str().unwrap(),
            "--detailed-exitcode",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("~ Support"), "{stdout}");
    assert!(stdout.contains("maxWaitTime: 300 → 240"), "{stdout}");
    assert!(stdout.contains("+ New One"), "{stdout}");
    assert!(stdout.contains("maxWaiters: (none) → 7"), "{stdout}");
    assert!(
        stdout.contains("Plan: 1 to create, 1 to update, 0 to delete, 0 unchanged."),
        "{stdout}"
    );
    assert!(!stdout.contains('\u{1b}'), "no colour off a terminal");
    let md = against(
        &sim,
        &[
            "plan",
            "--repo",
            dir.path().to_str().unwrap(),
            "--format",
            "markdown",
        ],
    );
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(md.find("Plan: 1 to create").unwrap() < md.find("| queue |").unwrap());
    assert!(md.contains("<details><summary>~ Support</summary>"), "{md}");
    assert!(
        md.contains("```diff\n- maxWaitTime: 300\n+ maxWaitTime: 240\n"),
        "{md}"
    );
    assert_eq!(writes(&sim), 0, "plan never writes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_then_plan_again_is_empty_and_a_second_apply_writes_nothing() {
    let sim = sim::Sim::start(seed(vec![SeedQueue::named("Support")]), Faults::none()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "queues/s.yaml",
        &doc(
            "Support",
            "  maxWaitTime: 240\n  overflow: {target: Back, waitTime: 60}\n",
        ),
    );
    write(
        dir.path(),
        "queues/b.yaml",
        &doc("Back", "  maxWaiters: 7\n"),
    );
    let repo = dir.path().to_str().unwrap();
    let out = against(
        &sim,
        &["apply", "--repo", repo, "--dry-run", "--detailed-exitcode"],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "--dry-run is plan: {}",
        text(&out)
    );
    assert_eq!(writes(&sim), 0, "--dry-run writes nothing");
    let out = against(&sim, &["apply", "--repo", repo]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("1 created, 1 updated, 0 deleted, 0 conflicts retried, 0 failed"),
        "{}",
        text(&out)
    );
    let out = against(&sim, &["plan", "--repo", repo, "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let before = writes(&sim);
    let out = against(&sim, &["apply", "--repo", repo]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(writes(&sim), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_repository_writes_nothing_and_exits_1() {
    let sim = sim::Sim::start(seed(vec![]), Faults::none()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "queues/a.yaml",
        &doc("A", "  maxWaitTime: 240\n"),
    );
    write(
        dir.path(),
        "queues/b.yaml",
        &doc("B", "  maxWaitTime: 9999\n"),
    );
    let out = against(&sim, &["apply", "--repo", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("queues/b.yaml:6:16"), "{}", text(&out));
    assert_eq!(
        sim.stats()
            .requests
            .values()
            .flat_map(|m| m.values())
            .sum::<u64>(),
        0,
        "not even read"
    );
}

#[test]
fn an_unreachable_tenant_exits_3_and_names_the_base_url() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "queues/a.yaml",
        &doc("A", "  maxWaitTime: 240\n"),
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let out = bin()
        .args(["plan", "--repo", dir.path().to_str().unwrap()])
        .env("CXONE_BASE_URL", &url)
        .env("CXONE_CLIENT_ID", "x")
        .env("CXONE_CLIENT_SECRET", "very-secret-value")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains(&url), "{}", text(&out));
    assert!(!text(&out).contains("very-secret-value"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_plan_refuses_a_queue_whose_version_moved_unless_replanned() {
    let sim = sim::Sim::start(
        seed(vec![SeedQueue::named("Support"), SeedQueue::named("Sales")]),
        Faults::none(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "queues/s.yaml",
        &doc("Support", "  maxWaitTime: 240\n"),
    );
    write(
        dir.path(),
        "queues/t.yaml",
        &doc("Sales", "  maxWaitTime: 200\n"),
    );
    let repo = dir.path().to_str().unwrap();
    let plan_file = dir.path().join("plan.json");
    let out = against(
        &sim,
        &["plan", "--repo", repo, "--out", plan_file.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    sim.edit_queue(
        "Support",
        "description",
        "touched in the console".into(),
        "rival@example.com",
    )
    .unwrap();
    let out = against(
        &sim,
        &[
            "apply",
            "--repo",
            repo,
            "--plan",
            plan_file.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert!(text(&out).contains("refused: Support"), "{}", text(&out));
    assert_eq!(
        sim.queue_by_name("Support").unwrap()["maxWaitTime"],
        300,
        "refused: untouched"
    );
    assert_eq!(
        sim.queue_by_name("Sales").unwrap()["maxWaitTime"],
        200,
        "the rest applied"
    );
    let out = against(
        &sim,
        &[
            "apply",
            "--repo",
            repo,
            "--plan",
            plan_file.to_str().unwrap(),
            "--replan",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let q = sim.queue_by_name("Support").unwrap();
    assert_eq!(q["maxWaitTime"], 240);
    assert_eq!(
        q["description"], "touched in the console",
        "an unmanaged field survives"
    );
    let out = against(&sim, &["plan", "--repo", repo, "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_writes_documents_that_validate_and_plan_empty_against_the_same_tenant() {
    let mut a = SeedQueue::named("Billing Tier 1");
    a.overflow = Some(SeedOverflow {
        target: Some("Billing Tier 2".into()),
        wait_time: 90,
        ..SeedOverflow::default()
    });
    a.skill_requirements = vec![sim::SkillRequirement {
        skill: "billing".into(),
        proficiency: "expert".into(),
        required: false,
    }];
    a.description = Some("first: line".into());
    let sim = sim::Sim::start(
        seed(vec![
            a,
            SeedQueue::named("Billing Tier 2"),
            SeedQueue::named("Support"),
        ]),
        Faults::none(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Import writes a whole repository into --out (a minimal cxqueues.yaml: --repo has none).
    let imported = dir.path().join("imported");
    let out = against(
        &sim,
        &[
            "import",
            "--repo",
            dir.path().to_str().unwrap(),
            "--out",
            imported.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let repo = imported.to_str().unwrap();
    let t1 = std::fs::read_to_string(imported.join("queues/billing-tier-1.yaml")).unwrap();
    assert!(
        t1.starts_with("# yaml-language-server: $schema=../schemas/queue.schema.json\n"),
        "{t1}"
    );
    assert!(
        t1.contains("target: Billing Tier 2"),
        "targets by name: {t1}"
    );
    assert!(!t1.contains("targetId"), "{t1}");
    let out = bin().args(["validate", "--repo", repo]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = against(&sim, &["plan", "--repo", repo, "--detailed-exitcode"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "round trip must plan empty: {}",
        text(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn one_unreadable_tenant_queue_warns_when_unmanaged_and_is_skipped_with_exit_4_when_managed()
{
    let sim = sim::Sim::start(
        seed(vec![
            SeedQueue::named("Support"),
            SeedQueue::named("Sales"),
            SeedQueue::named("Neighbour"),
        ]),
        Faults::none(),
    )
    .unwrap();
    sim.edit_queue("Neighbour", "maxWaiters", (-5).into(), "rival@example.com")
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "queues/s.yaml",
        &doc("Support", "  maxWaitTime: 240\n"),
    );
    let repo = dir.path().to_str().unwrap();
    // Unmanaged: a warning, and the plan goes on.
    let out = against(&sim, &["plan", "--repo", repo]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("warning: the tenant's queue \"Neighbour\""),
        "{}",
        text(&out)
    );

    // Managed: that queue is left as it is, the others are applied, exit 4.
    sim.edit_queue("Sales", "maxWaiters", (-5).into(), "rival@example.com")
        .unwrap();
    write(
        dir.path(),
        "queues/t.yaml",
        &doc("Sales", "  maxWaitTime: 200\n"),
    );
    let out = against(&sim, &["apply", "--repo", repo]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert!(
        text(&out).contains("refused: queue \"Sales\""),
        "{}",
        text(&out)
    );
    assert_eq!(sim.queue_by_name("Support").unwrap()["maxWaitTime"], 240);
    assert_eq!(sim.queue_by_name("Sales").unwrap()["maxWaiters"], -5);
    assert_ne!(sim.queue_by_name("Sales").unwrap()["maxWaitTime"], 200);
}
