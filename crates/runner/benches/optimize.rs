//! `cargo bench -p runner --bench optimize`: `cxqueues optimize --metrics FILE` against
//! `cxqueues validate` on the same generated repository (`reconcile::generate`, 10,000
//! queues, one per file; `CXQ_BENCH_N` changes the size), both the release binary, output to
//! /dev/null. The metrics file has erlang-c figures for every queue. Runs alternate between
//! the commands (after one warm-up each) so that a busy machine weighs on both; the table
//! shows the median wall time of each and the ratio to `validate`. Target: optimize under
//! 1.5× validate.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use model::{LoadOptions, load_repository};
use reconcile::generate::write_repository;

const SEED: u64 = 2024;
const RUNS: usize = 5;

fn time(args: &[&str]) -> Duration {
    let started = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_cxqueues"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("the cxqueues binary runs");
    let took = started.elapsed();
    assert!(status.success(), "{args:?} failed: {status}");
    took
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Erlang-c figures for every queue of the repository at `dir`, as a metrics JSON file.
fn write_metrics(dir: &Path, out: &Path) -> usize {
    let repo = load_repository(dir, &LoadOptions::default());
    assert!(!repo.has_errors(), "the generated repository validates");
    let mut json = String::from("{\"queues\": {\n");
    for (i, q) in repo.queues.iter().enumerate() {
        let agents = 5 + i % 60;
        let offered = (agents as f64 * 0.85 * 1800.0 / 240.0).round();
        let sep = if i + 1 == repo.queues.len() { "" } else { "," };
        let _ = writeln!(
            json,
            "  {}: {{\"offered\": {offered}, \"intervalSeconds\": 1800, \"averageHandleTimeSeconds\": 240, \"agents\": {agents}}}{sep}",
            serde_json::to_string(q.name()).expect("a name")
        );
    }
    json.push_str("}}\n");
    std::fs::write(out, json).expect("the metrics file");
    repo.queues.len()
}

fn main() {
    let n: usize = std::env::var("CXQ_BENCH_N")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(10_000);
    let dir = tempfile::TempDir::new().expect("a temporary directory");
    let repo_dir = dir.path().join("repo");
    write_repository(&repo_dir, n, SEED).expect("the generated repository");
    let metrics = dir.path().join("metrics.json");
    let queues = write_metrics(&repo_dir, &metrics);
    let repo = repo_dir.to_str().expect("a UTF-8 path");
    let m = metrics.to_str().expect("a UTF-8 path");
    let commands: [(&str, Vec<&str>); 4] = [
        (
            "validate --format json",
            vec!["validate", "--repo", repo, "--format", "json"],
        ),
        (
            "optimize --metrics FILE --format json",
            vec![
                "optimize",
                "--repo",
                repo,
                "--metrics",
                m,
                "--format",
                "json",
            ],
        ),
        (
            "optimize --metrics FILE (text)",
            vec!["optimize", "--repo", repo, "--metrics", m],
        ),
        (
            "optimize --metrics FILE --format diff",
            vec![
                "optimize",
                "--repo",
                repo,
                "--metrics",
                m,
                "--format",
                "diff",
            ],
        ),
    ];
    for (_, args) in &commands {
        time(args);
    }
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); commands.len()];
    for _ in 0..RUNS {
        for (i, (_, args)) in commands.iter().enumerate() {
            times[i].push(time(args));
        }
    }
    let medians: Vec<Duration> = times.into_iter().map(median).collect();
    println!("\n{queues} queues, median of {RUNS} runs (release binary):");
    println!("{:<40} {:>10} {:>8}", "command", "wall", "ratio");
    for ((name, _), t) in commands.iter().zip(&medians) {
        println!(
            "{name:<40} {:>8.0}ms {:>7.2}×",
            t.as_secs_f64() * 1e3,
            t.as_secs_f64() / medians[0].as_secs_f64()
        );
    }
}
