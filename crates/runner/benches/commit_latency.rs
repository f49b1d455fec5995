//! `cargo bench -p runner --bench commit_latency`: how long `cxqueues run` takes from a commit
//! to the change being applied at the tenant.
//!
//! A generated repository of 1,000 queues (`reconcile::generate`) is committed to a fresh git
//! repository; the simulator (no added latency, no faults) starts in this process with the
//! repository's queues; `cxqueues run` (the release binary) follows the branch. After the first
//! reconcile, each of at least 20 commits changes `maxWaitTime` of one queue; the latency is
//! the time from the commit being written (its ref updated) until the simulator holds the new
//! value, watched in-process every millisecond. The runner's own reconcile time (`durationMs`
//! of its run in `/status`) is reported beside it, so that the rest (noticing the commit: file
//! events and the debounce) shows too.
//!
//! `CXQ_BENCH_RUN_N` (default 1000) and `CXQ_BENCH_COMMITS` (default 25) change the sizes;
//! `CXQ_BENCH_GIT_CLI=1` commits with the `git` command instead of `git2`;
//! `CXQ_BENCH_LOG` is the runner's `RUST_LOG` (default `warn`; `debug` shows each phase).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use model::{LoadOptions, Repository};
use serde_json::Value;
use sim::{Faults, Seed, SeedQueue, SimHandle};

fn env_n(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The repository's queues already in the tenant, as pinned ids and overflow `targetId`s need.
fn seed_from(repo: &Repository) -> Seed {
    let needs = reconcile::generate::tenant_needs(repo);
    let mut queues: Vec<SeedQueue> = repo
        .queues
        .iter()
        .map(|q| SeedQueue::named(q.name()))
        .collect();
    for (name, id) in &needs.pinned {
        if let Some(s) = queues.iter_mut().find(|s| &s.name == name) {
            s.id = Some(id.clone());
        }
    }
    let mut seed = Seed {
        queues,
        skills: needs.skills.into_iter().map(sim::SeedSkill::Name).collect(),
        ..Seed::default()
    };
    seed.add_unmanaged(needs.external_targets);
    seed
}

struct Git {
    repo: git2::Repository,
}

impl Git {
    fn init(dir: &Path) -> Self {
        let mut opts = git2::RepositoryInitOptions::new();
        opts.initial_head("main");
        Self {
            repo: git2::Repository::init_opts(dir, &opts).unwrap(),
        }
    }

    /// Commits the paths given (all files when empty) on top of HEAD.
    fn commit(&self, paths: &[&str], message: &str) -> String {
        let mut index = self.repo.index().unwrap();
        if paths.is_empty() {
            index
                .add_all(["*"].iter(), git2::IndexAddOption::DEFAULT, None)
                .unwrap();
        } else {
            for p in paths {
                index.add_path(Path::new(p)).unwrap();
            }
        }
        index.write().unwrap();
        let tree = self.repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = git2::Signature::now("Bench", "bench@example.com").unwrap();
        let parent = self.repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
        self.repo
            .commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
            .unwrap()
            .to_string()
    }
}

fn get_status(addr: &str) -> Value {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET /status HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let body = text.split_once("\r\n\r\n").unwrap().1;
    serde_json::from_str(body).unwrap()
}

fn wait_status(addr: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let start = Instant::now();
    loop {
        let st = get_status(addr);
        if done(&st) {
            return st;
        }
        assert!(
            start.elapsed() < Duration::from_secs(600),
            "timed out waiting for {what}: {st:#}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `git` in `dir` as a user would (author set through the environment).
fn git_cli(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Bench")
        .env("GIT_AUTHOR_EMAIL", "bench@example.com")
        .env("GIT_COMMITTER_NAME", "Bench")
        .env("GIT_COMMITTER_EMAIL", "bench@example.com")
        .status()
        .expect("git runs")
        .success();
    assert!(ok, "git {args:?}");
}

fn wait_of(sim: &SimHandle, name: &str) -> Option<u64> {
    sim.queue_by_name(name)?.get("maxWaitTime")?.as_u64()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn start_runner(dir: &Path, state: &Path, sim: &SimHandle) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cxqueues"))
        .args([
            "run",
            "--listen",
            "127.0.0.1:0",
            "--resync",
            "1h",
            "--poll",
            "30s",
        ])
        .arg("--repo")
        .arg(dir)
        .arg("--state-dir")
        .arg(state)
        .arg("--base-url")
        .arg(sim.base_url())
        .env("CXONE_CLIENT_ID", sim::DEMO_CLIENT_ID)
        .env("CXONE_CLIENT_SECRET", sim::DEMO_CLIENT_SECRET)
        .env_remove("CXONE_CLIENT_SECRET_FILE")
        .env(
            "RUST_LOG",
            std::env::var("CXQ_BENCH_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("cxqueues starts");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(at) = line.find("listening on http://") {
                let _ = tx.send(line[at + "listening on http://".len()..].trim().to_string());
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the runner prints its address");
    (child, addr)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let n = env_n("CXQ_BENCH_RUN_N", 1000);
    let commits = env_n("CXQ_BENCH_COMMITS", 25).max(1);
    let use_cli = std::env::var_os("CXQ_BENCH_GIT_CLI").is_some();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let _guard = rt.enter();

    let dir = tempfile::tempdir().unwrap();
    reconcile::generate::write_repository(dir.path(), n, 7).unwrap();
    let tenant_file = dir.path().join("cxqueues.yaml");
    let text = std::fs::read_to_string(&tenant_file).unwrap();
    // The loopback simulator takes any rate; and no webhooks (they would leave the machine).
    let text = text.replace("requestsPerSecond: 10\n", "requestsPerSecond: 1000\n");
    let text = match text.find("  webhooks:") {
        Some(at) => text[..at].to_string(),
        None => text,
    };
    std::fs::write(&tenant_file, text).unwrap();
    let repo = model::load_repository(dir.path(), &LoadOptions::default());
    assert!(!repo.has_errors(), "the generated repository is invalid");
    let git = Git::init(dir.path());
    let first = git.commit(&[], "1,000 queues");
    let sim = sim::Sim::start(seed_from(&repo), Faults::none()).unwrap();

    let state = tempfile::tempdir().unwrap();
    let (mut child, addr) = start_runner(dir.path(), state.path(), &sim);
    let t = Instant::now();
    let st = wait_status(&addr, "the first reconcile", |st| {
        st["lastApplied"]["id"] == first.as_str() && st["running"] == false
    });
    println!(
        "first reconcile of {n} queues: {:.1} s ({})",
        t.elapsed().as_secs_f64(),
        st["lastRun"]["summary"].as_str().unwrap_or("?")
    );

    let def = &repo.queues[n / 2];
    let name = def.name().to_string();
    let file = model::layout::slash_path(&def.file);
    let path = dir.path().join(&file);
    let original = std::fs::read_to_string(&path).unwrap();
    let mut latencies = Vec::new();
    let mut reconciles = Vec::new();
    for i in 0..commits {
        let wait = 60 + (i % 2) as u64 * 10 + (i as u64 % 400);
        let edited: String = original
            .lines()
            .map(|l| {
                if l.trim_start().starts_with("maxWaitTime:") {
                    format!("  maxWaitTime: {wait}")
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n";
        assert!(edited.contains(&format!("maxWaitTime: {wait}")));
        std::fs::write(&path, edited).unwrap();
        let message = format!("{name}: maxWaitTime {wait}");
        let id = if use_cli {
            git_cli(dir.path(), &["add", file.as_str()]);
            git_cli(dir.path(), &["commit", "-q", "-m", &message]);
            git.repo.head().unwrap().target().unwrap().to_string()
        } else {
            git.commit(&[file.as_str()], &message)
        };
        let t0 = Instant::now();
        while wait_of(&sim, &name) != Some(wait) {
            assert!(
                t0.elapsed() < Duration::from_secs(60),
                "commit {i} never applied"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        latencies.push(t0.elapsed().as_secs_f64() * 1000.0);
        let st = wait_status(&addr, "the run to finish", |st| {
            st["lastApplied"]["id"] == id.as_str() && st["running"] == false
        });
        reconciles.push(st["lastRun"]["durationMs"].as_f64().unwrap_or(f64::NAN));
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();

    let mut sorted = latencies.clone();
    sorted.sort_by(f64::total_cmp);
    let mut rsorted = reconciles.clone();
    rsorted.sort_by(f64::total_cmp);
    println!(
        "commit → applied, one queue changed in a {n}-queue repository, {commits} commits ({}):",
        if use_cli { "git CLI" } else { "git2" }
    );
    println!(
        "  latency   p50 {:>6.0} ms   p95 {:>6.0} ms   min {:>6.0} ms   max {:>6.0} ms",
        percentile(&sorted, 50.0),
        percentile(&sorted, 95.0),
        sorted[0],
        sorted[sorted.len() - 1]
    );
    println!(
        "  reconcile p50 {:>6.0} ms   p95 {:>6.0} ms   (the runner's own run: git, plan, list, PUT)",
        percentile(&rsorted, 50.0),
        percentile(&rsorted, 95.0)
    );
    let p50 = percentile(&sorted, 50.0);
    println!(
        "  target p50 < 300 ms: {}",
        if p50 < 300.0 { "met" } else { "NOT met" }
    );
}
