//! The first hour of a newcomer, each stumble of issue 24 as a test: what `--sim` wrote is
//! found again, `import` writes a whole repository, `cxqueues.yml`, and so on.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(args: &[&str]) -> Output {
    common::cxqueues_bin().args(args).output().unwrap()
}

fn said(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn audit_verify_and_webhooks_list_find_what_apply_sim_wrote_with_sim() {
    let state = tempfile::tempdir().unwrap();
    let s = state.path().to_str().unwrap();
    let repo = example();
    let r = repo.to_str().unwrap();
    let out = run(&["apply", "--sim", "--repo", r, "--state-dir", s]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let out = run(&["audit", "verify", "--sim", "--state-dir", s]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert!(said(&out).starts_with("ok: "), "{}", said(&out));
    let out = run(&["audit", "verify", "--state-dir", s]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(said(&out).contains("add --sim"), "{}", said(&out));
    let out = run(&["webhooks", "list", "--sim", "--repo", r, "--state-dir", s]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert!(said(&out).contains("pending: 0"), "{}", said(&out));
}
