//! `spec.platform: genesys-cloud` through the real binary: the example repository validates
//! and plans with `--sim`; apply, import and plan against a simulator's Genesys face started
//! in the test; a Genesys repository is rejected at the line of a field Genesys cannot hold;
//! credentials come from Genesys's own variables and are never printed.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use sim::{Faults, Seed, SeedQueue, SimHandle};

const TENANT: &str = "apiVersion: cxqueues/v1\nkind: Tenant\nmetadata:\n  name: org\nspec:\n  platform: genesys-cloud\n";

fn bin() -> Command {
    let mut cmd = common::cxqueues_bin();
    for var in [
        "GENESYSCLOUD_OAUTHCLIENT_ID",
        "GENESYSCLOUD_OAUTHCLIENT_SECRET",
        "GENESYSCLOUD_REGION",
        "GENESYSCLOUD_API_REGION",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("NO_COLOR", "1");
    cmd
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/genesys-cloud")
}

fn write(dir: &Path, rel: &str, body: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, body).unwrap();
}

/// A Genesys repository with one queue.
fn org(dir: &Path) {
    write(dir, "cxqueues.yaml", TENANT);
    write(
        dir,
        "queues/a.yaml",
        "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: A\nspec:\n  description: a\n",
    );
}

/// The binary against `sim`'s Genesys face, with this client secret.
fn against(sim: &SimHandle, secret: &str, args: &[&str], dir: &Path) -> Output {
    let c = sim.client();
    bin()
        .args(args)
        .args(["--repo", dir.to_str().unwrap()])
        .env(
            "GENESYSCLOUD_API_REGION",
            format!("{}{}", sim.base_url(), sim::GENESYS_PREFIX),
        )
        .env("GENESYSCLOUD_OAUTHCLIENT_ID", &c.client_id)
        .env("GENESYSCLOUD_OAUTHCLIENT_SECRET", secret)
        .output()
        .unwrap()
}

#[test]
fn the_example_repository_validates_and_plans_with_the_embedded_simulator() {
    let out = bin()
        .arg("validate")
        .arg("--repo")
        .arg(example())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = bin()
        .args(["plan", "--sim", "--format", "json", "--repo"])
        .arg(example())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &v["summary"];
    assert_eq!(
        (s["create"].as_u64(), s["update"].as_u64()),
        (Some(1), Some(2)),
        "{s}"
    );
    let paths: Vec<&str> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["fields"].as_array().unwrap())
        .filter_map(|f| f["path"].as_str())
        .collect();
    assert!(
        paths.contains(&"genesys.skillEvaluationMethod"),
        "{paths:?}"
    );
    assert!(paths.contains(&"genesys.serviceLevels.email"), "{paths:?}");
}

#[test]
fn a_field_genesys_cannot_hold_fails_validate_at_its_line_saying_where_genesys_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "cxqueues.yaml", TENANT);
    write(
        dir.path(),
        "queues/a.yaml",
        "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: A\nspec:\n  description: a\n  maxWaitTime: 300\n",
    );
    let out = bin()
        .args(["validate", "--repo"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("a.yaml:7"), "{t}");
    assert!(t.contains("in-queue flow"), "{t}");
}

#[test]
fn missing_genesys_credentials_are_a_usage_error_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    org(dir.path());
    let out = bin()
        .args(["plan", "--repo"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("GENESYSCLOUD_OAUTHCLIENT_ID"),
        "{}",
        text(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_secret_exits_3_without_printing_it() {
    let sim = sim::Sim::start(Seed::default(), Faults::none()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    org(dir.path());
    let out = against(&sim, "wrong-secret-DO-NOT-PRINT", &["plan"], dir.path());
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("refused"), "{}", text(&out));
    assert!(!text(&out).contains("DO-NOT-PRINT"), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_then_import_writes_genesys_documents_that_plan_empty() {
    let sim = sim::Sim::start(
        Seed {
            queues: vec![SeedQueue::named("Support")],
            ..Seed::default()
        },
        Faults::none(),
    )
    .unwrap();
    let secret = sim.client().client_secret;
    let work = tempfile::tempdir().unwrap();
    for entry in [
        "cxqueues.yaml",
        "queues/support.yaml",
        "queues/billing.yaml",
        "queues/sales.yaml",
    ] {
        let body = std::fs::read_to_string(example().join(entry)).unwrap();
        write(work.path(), entry, &body);
    }
    let state = work.path().join(".cxqueues");
    let out = against(
        &sim,
        &secret,
        &["apply", "--state-dir", state.to_str().unwrap()],
        work.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // The tenant document the import copies; import writes a whole repository into --out.
    let source = tempfile::tempdir().unwrap();
    write(source.path(), "cxqueues.yaml", TENANT);
    let imported = source.path().join("imported");
    let out = against(
        &sim,
        &secret,
        &["import", "--out", imported.to_str().unwrap()],
        source.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let billing = std::fs::read_to_string(imported.join("queues/billing.yaml")).unwrap();
    assert!(
        billing.contains("genesys:") && billing.contains("email:"),
        "{billing}"
    );
    assert!(!billing.contains("overflow"), "{billing}");
    let out = bin()
        .args(["validate", "--repo"])
        .arg(&imported)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = against(&sim, &secret, &["plan", "--detailed-exitcode"], &imported);
    assert_eq!(
        out.status.code(),
        Some(0),
        "round trip must plan empty: {}",
        text(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spec_base_url_names_the_org_when_the_environment_gives_no_region() {
    let sim = sim::Sim::start(Seed::default(), Faults::none()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    org(dir.path());
    let base = format!("{}{}", sim.base_url(), sim::GENESYS_PREFIX);
    write(
        dir.path(),
        "cxqueues.yaml",
        &format!("{TENANT}  baseUrl: {base}\n"),
    );
    let c = sim.client();
    let out = bin()
        .args(["plan", "--detailed-exitcode", "--repo"])
        .arg(dir.path())
        .env("GENESYSCLOUD_OAUTHCLIENT_ID", &c.client_id)
        .env("GENESYSCLOUD_OAUTHCLIENT_SECRET", &c.client_secret)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("+ A"), "{}", text(&out));
}
