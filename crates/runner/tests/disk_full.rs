//! A full disk, played by a small file size limit (`ulimit -f`, RLIMIT_FSIZE, set by a bash
//! wrapper): the binary is never killed by SIGXFSZ, a queue write whose audit intent could not
//! be written is not sent, apply exits 4 naming what was not written, the audit log stays whole
//! lines, and the simulated tenant's state leaves no temporary file behind.

use std::path::{Path, PathBuf};
use std::process::Output;

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The binary under a file size limit of `kib` KiB (bash's `ulimit -f` counts 1024 bytes).
fn limited(kib: u32, args: &[&str]) -> Output {
    std::process::Command::new("bash")
        .arg("-c")
        .arg(format!("ulimit -f {kib} && exec \"$@\""))
        .arg("bash")
        .arg(env!("CARGO_BIN_EXE_cxqueues"))
        .args(args)
        .env_remove("CXQUEUES_STATE_DIR")
        .output()
        .unwrap()
}

/// Files in `dir` (not recursive) whose name ends with `.tmp`.
fn temporary_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".tmp"))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn apply_on_a_full_disk_sends_no_write_without_its_intent_exits_4_and_keeps_the_log_whole() {
    let state = tempfile::tempdir().unwrap();
    let repo = example();
    let args = [
        "apply",
        "--sim",
        "--repo",
        repo.to_str().unwrap(),
        "--state-dir",
        state.path().to_str().unwrap(),
    ];
    let out = limited(6, &args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(4),
        "not killed, a partial apply\n{stdout}\n{stderr}"
    );
    assert!(
        stderr.contains("not sent: its write intent could not be recorded in the audit log"),
        "{stderr}"
    );
    let log = std::fs::read_to_string(state.path().join("sim/audit.jsonl")).unwrap();
    assert!(log.len() <= 6 * 1024, "the limit held: {}", log.len());
    assert!(log.ends_with('\n'), "no torn last line: {log:?}");
    let records: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect();
    let intents: Vec<&str> = records
        .iter()
        .filter(|r| r["action"] == "QUEUE_INTENT")
        .map(|r| r["queueName"].as_str().unwrap())
        .collect();
    // Every write that went out had its intent in the log first.
    let written: Vec<&str> = stdout
        .lines()
        .filter_map(|l| {
            l.strip_prefix("created ")
                .or_else(|| l.strip_prefix("updated "))
                .or_else(|| l.strip_prefix("deleted "))
        })
        .map(|l| l.split(':').next().unwrap())
        .collect();
    assert!(!written.is_empty(), "some writes fit: {stdout}");
    for name in &written {
        assert!(
            intents.contains(name),
            "{name} was written without an intent"
        );
    }
    // The queues not written are named, each with the reason.
    let refused: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("skipped: ") && l.contains("not sent"))
        .collect();
    assert!(!refused.is_empty(), "{stderr}");
    for line in &refused {
        let name = line["skipped: ".len()..].split(',').next().unwrap();
        assert!(!written.contains(&name), "{name} both written and refused");
    }
    assert!(temporary_files(&state.path().join("sim")).is_empty());
}

#[test]
fn a_simulated_tenant_state_that_cannot_be_saved_leaves_no_temporary_file() {
    let state = tempfile::tempdir().unwrap();
    let repo = example();
    let out = limited(
        2,
        &[
            "plan",
            "--sim",
            "--repo",
            repo.to_str().unwrap(),
            "--state-dir",
            state.path().to_str().unwrap(),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("the simulated tenant's state could not be saved"),
        "{stderr}"
    );
    let sim = state.path().join("sim");
    assert_eq!(temporary_files(&sim), Vec::<String>::new());
    assert!(
        std::fs::read_dir(&sim).unwrap().next().is_none(),
        "nothing half-written is left in {}",
        sim.display()
    );
}
