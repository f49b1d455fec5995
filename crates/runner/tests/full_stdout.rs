//! A standard output that cannot be written (`cxqueues plan > /dev/full`) is a clean error
//! (exit 1, `error: cannot write to standard output`), never a panic (exit 101).

mod common;

use std::path::Path;
use std::process::Stdio;

fn dev_full() -> Stdio {
    std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full")
        .into()
}

#[test]
fn every_command_that_prints_to_a_full_stdout_says_so_and_exits_1() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let repo = repo.to_str().unwrap();
    let state = tempfile::tempdir().unwrap();
    let state = state.path().to_str().unwrap();
    // An audit log to verify.
    let applied = common::cxqueues_bin()
        .args(["apply", "--sim", "--repo", repo, "--state-dir", state])
        .output()
        .unwrap();
    assert_eq!(applied.status.code(), Some(0));
    let commands: &[&[&str]] = &[
        &["plan", "--sim", "--repo", repo, "--state-dir", state],
        &[
            "plan",
            "--sim",
            "--repo",
            repo,
            "--state-dir",
            state,
            "--format",
            "json",
        ],
        &["apply", "--sim", "--repo", repo, "--state-dir", state],
        &["validate", "--repo", repo],
        &["schema"],
        &["audit", "verify", "--state-dir", &format!("{state}/sim")],
        &["webhooks", "list", "--state-dir", state],
    ];
    for args in commands {
        let out = common::cxqueues_bin()
            .args(*args)
            .stdout(dev_full())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("error: cannot write to standard output"),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}
