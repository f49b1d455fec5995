//! `cxqueues optimize` through the real binary, on a copy of the example repository.

mod common;

use std::path::Path;
use std::process::{Command, Output};

fn bin() -> Command {
    common::cxqueues_bin()
}

fn run(args: &[&str]) -> Output {
    bin().args(args).env("NO_COLOR", "1").output().unwrap()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// A copy of the repository's own example (`cxqueues.yaml` and `queues/`).
fn example() -> tempfile::TempDir {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(root.join("cxqueues.yaml"), dir.path().join("cxqueues.yaml")).unwrap();
    copy_dir(&root.join("queues"), &dir.path().join("queues"));
    dir
}

/// The text of the example's `queues/sales.yaml` in `dir`.
fn sales(dir: &tempfile::TempDir) -> String {
    std::fs::read_to_string(dir.path().join("queues/sales.yaml")).unwrap()
}

const METRICS: &str = r#"{"queues": {
  "Sales Inbound": {"offered": 600, "intervalSeconds": 10800, "averageHandleTimeSeconds": 180, "agents": 12},
  "VIP Backup": {"offered": 20, "intervalSeconds": 1800, "averageHandleTimeSeconds": 240, "agents": 6}
}}"#;

#[test]
fn write_edits_the_files_in_place_keeping_comments_then_a_second_run_has_no_changes() {
    let dir = example();
    let repo = dir.path().to_str().unwrap();
    let m = dir.path().join("m.json");
    std::fs::write(&m, METRICS).unwrap();
    let m = m.to_str().unwrap();
    let before = sales(&dir);

    let o = run(&[
        "optimize",
        "--repo",
        repo,
        "--metrics",
        m,
        "--write",
        "--detailed-exitcode",
    ]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("maxWaitTime: 180 → 343"), "{stdout}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("Wrote 2 files."));

    let after = sales(&dir);
    assert_eq!(
        after,
        before.replacen(
            "  maxWaitTime: 180\n  maxWaiters: 80\n",
            "  maxWaitTime: 343\n  maxWaiters: 21\n",
            1
        )
    );
    let validate = run(&["validate", "--repo", repo]);
    assert_eq!(
        validate.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&validate.stdout)
    );

    let again = run(&[
        "optimize",
        "--repo",
        repo,
        "--metrics",
        m,
        "--detailed-exitcode",
    ]);
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
}

#[test]
fn without_write_nothing_changes_on_disk_and_json_is_printed() {
    let dir = example();
    let repo = dir.path().to_str().unwrap();
    let m = dir.path().join("m.json");
    std::fs::write(&m, METRICS).unwrap();
    let before = sales(&dir);
    let o = run(&[
        "optimize",
        "--repo",
        repo,
        "--metrics",
        m.to_str().unwrap(),
        "--format",
        "json",
        "--only",
        "Sales Inbound",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["formatVersion"], 1);
    assert_eq!(v["queues"].as_array().unwrap().len(), 1);
    assert_eq!(v["queues"][0]["predicted"]["agentsNeeded"], 15);
    assert_eq!(sales(&dir), before);
}

#[test]
fn a_csv_row_naming_no_queue_exits_1_naming_the_row_and_writes_nothing() {
    let dir = example();
    let repo = dir.path().to_str().unwrap();
    let m = dir.path().join("m.csv");
    std::fs::write(&m, "queue,offered,intervalSeconds,averageHandleTimeSeconds,agents\nSales Inbound,600,10800,180,12\nSales Inbund,1,1800,100,2\n").unwrap();
    let before = sales(&dir);
    let o = run(&[
        "optimize",
        "--repo",
        repo,
        "--metrics",
        m.to_str().unwrap(),
        "--write",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("m.csv:3:1: queue \"Sales Inbund\" is not in the repository"),
        "{err}"
    );
    assert_eq!(sales(&dir), before);
}

#[test]
fn a_broken_metrics_file_or_an_invalid_repository_exits_1() {
    let dir = example();
    let repo = dir.path().to_str().unwrap();
    let m = dir.path().join("m.json");
    std::fs::write(&m, "{\"queues\": {\"Sales Inbound\": {\"agents\": -1}}}").unwrap();
    let o = run(&["optimize", "--repo", repo, "--metrics", m.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("m.json:1:"));

    std::fs::write(&m, METRICS).unwrap();
    std::fs::write(
        dir.path().join("queues/broken.yaml"),
        "apiVersion: cxqueues/v1\nkind: Queue\nmetadata: {name: X}\nspec: {maxWaiters: 0}\n",
    )
    .unwrap();
    let o = run(&["optimize", "--repo", repo, "--metrics", m.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn from_tenant_reads_the_simulators_traffic_for_the_repositorys_queues() {
    let dir = example();
    let repo = dir.path().to_str().unwrap();
    let o = run(&[
        "optimize",
        "--repo",
        repo,
        "--from-tenant",
        "--sim",
        "--format",
        "json",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let queues = v["queues"].as_array().unwrap();
    // The demo tenant holds every other queue of the repository (and three of its own).
    let with_inputs = queues.iter().filter(|q| !q["inputs"].is_null()).count();
    assert!(
        with_inputs > 0 && with_inputs < queues.len(),
        "{with_inputs}"
    );
    assert!(queues.iter().all(|q| q["name"] != "Legacy IVR Callback"));
}

#[test]
fn metrics_from_dev_zero_stop_at_the_64_mib_bound_and_exit_1() {
    let dir = example();
    let repo = dir.path().to_str().unwrap();
    let o = run(&["optimize", "--repo", repo, "--metrics", "/dev/zero"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("/dev/zero: more than the 67108864-byte limit"),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn write_keeps_a_0600_file_0600_and_refuses_to_rewrite_a_0400_file() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = example();
    let repo = dir.path().to_str().unwrap();
    let m = dir.path().join("m.json");
    std::fs::write(&m, METRICS).unwrap();
    let m = m.to_str().unwrap();
    let file = dir.path().join("queues/sales.yaml");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;

    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o400)).unwrap();
    let before = sales(&dir);
    let o = run(&["optimize", "--repo", repo, "--metrics", m, "--write"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("sales.yaml is read-only (mode 0400)"), "{err}");
    assert_eq!(sales(&dir), before, "a read-only file is not rewritten");
    assert_eq!(mode(&file), 0o400);

    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let o = run(&["optimize", "--repo", repo, "--metrics", m, "--write"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_ne!(sales(&dir), before);
    assert_eq!(mode(&file), 0o600);
}
