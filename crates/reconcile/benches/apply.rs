//! `cargo bench -p reconcile --bench apply`: apply and plan against the simulated tenant.
//!
//! 1. Apply 1,000 changed queues against the simulator limited to 50 requests/s with 20 ms
//!    latency per request; compare the wall time with the rate-limit floor (requests ÷ rate)
//!    and count the requests per updated queue.
//! 2. Listing 10,000 queues: list requests and token requests.
//! 3. The peak RSS of planning 10,000 queues (load, list, plan), measured in a child process
//!    (this binary again, with `CXQ_BENCH_CHILD` set) so that the simulator's memory is not
//!    counted.
//!
//! `CXQ_BENCH_APPLY_N` (default 1000) and `CXQ_BENCH_PLAN_N` (default 10000) change sizes.

use std::env;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use model::{LoadOptions, Repository};
use reconcile::ApplyOptions;
use routing_api::{ClientConfig, HttpTenant, Secret};
use sim::{Faults, Seed, SeedQueue, SimHandle};

const CHILD_ENV: &str = "CXQ_BENCH_CHILD";

fn n_from(var: &str, default: usize) -> usize {
    env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn load(dir: &Path) -> Repository {
    let repo = model::load_repository(dir, &LoadOptions::default());
    assert!(!repo.has_errors(), "generated repository is invalid");
    repo
}

/// The repository's queues already in the tenant, each with other values: every one changes.
fn seed_from(repo: &Repository) -> Seed {
    let needs = reconcile::generate::tenant_needs(repo);
    let pinned: std::collections::HashMap<&str, &str> = needs
        .pinned
        .iter()
        .map(|(n, id)| (n.as_str(), id.as_str()))
        .collect();
    let queues: Vec<SeedQueue> = repo
        .queues
        .iter()
        .map(|q| {
            let mut s = SeedQueue::named(q.name());
            s.id = pinned.get(q.name()).map(|id| id.to_string());
            s.max_wait_time = 599;
            s
        })
        .collect();
    let mut seed = Seed {
        queues,
        skills: needs.skills.into_iter().map(sim::SeedSkill::Name).collect(),
        ..Seed::default()
    };
    seed.add_unmanaged(needs.external_targets);
    seed
}

fn client(base: &str, id: &str, secret: &str, rps: f64) -> HttpTenant {
    let mut cfg = ClientConfig::new(base, id, Secret::new(secret));
    cfg.requests_per_second = rps;
    HttpTenant::new(cfg).expect("client")
}

fn total_requests(sim: &SimHandle) -> u64 {
    sim.stats().requests.values().flat_map(|m| m.values()).sum()
}

fn count(sim: &SimHandle, key: &str, status: u16) -> u64 {
    sim.stats()
        .requests
        .get(key)
        .and_then(|m| m.get(&status))
        .copied()
        .unwrap_or(0)
}

async fn bench_apply(n: usize) {
    let dir = tempfile::tempdir().unwrap();
    reconcile::generate::write_repository(dir.path(), n, 7).unwrap();
    let repo = load(dir.path());
    let rate = 50.0;
    let sim = sim::Sim::start(
        seed_from(&repo),
        Faults::none()
            .with_latency_ms(20)
            .with_rate_limit(rate, None),
    )
    .unwrap();
    let c = sim.client();
    sim.reset_stats();
    let t = client(&sim.base_url(), &c.client_id, &c.client_secret, rate);
    let start = Instant::now();
    let observed = reconcile::observe(&t).await.unwrap();
    let plan = match reconcile::plan(&repo, &observed) {
        Ok(plan) => plan,
        Err(r) => panic!("{:#?}", &r.diagnostics[..r.diagnostics.len().min(3)]),
    };
    let report = reconcile::apply(&t, &plan, &observed, &ApplyOptions::default()).await;
    let wall = start.elapsed();
    assert!(report.is_complete(), "apply failed");
    let requests = total_requests(&sim);
    let floor = Duration::from_secs_f64(requests as f64 / rate);
    let puts = count(&sim, "PUT /api/v2/routing/queues/{id}", 200);
    let gets = count(&sim, "GET /api/v2/routing/queues/{id}", 200);
    let throttled: u64 = sim
        .stats()
        .requests
        .values()
        .map(|m| m.get(&429).copied().unwrap_or(0))
        .sum();
    println!("## apply {n} changed queues, simulator at {rate} req/s with 20 ms latency");
    println!(
        "| requests | floor (requests ÷ rate) | wall | wall ÷ floor | PUT per updated queue | GET per queue | 429s |"
    );
    println!("|---|---|---|---|---|---|---|");
    println!(
        "| {requests} | {:.2} s | {:.2} s | {:.3} | {:.2} | {:.2} | {throttled} |",
        floor.as_secs_f64(),
        wall.as_secs_f64(),
        wall.as_secs_f64() / floor.as_secs_f64(),
        puts as f64 / report.updated().max(1) as f64,
        gets as f64 / n as f64,
    );
}

async fn bench_list(n: usize) {
    let seed = Seed {
        queues: (0..n)
            .map(|i| SeedQueue::named(format!("Q{i:06}")))
            .collect(),
        ..Seed::default()
    };
    let sim = sim::Sim::start(seed, Faults::none()).unwrap();
    let c = sim.client();
    sim.reset_stats();
    let t = client(&sim.base_url(), &c.client_id, &c.client_secret, 1000.0);
    let start = Instant::now();
    let qs = t.list_queues().await.unwrap();
    let wall = start.elapsed();
    assert_eq!(qs.len(), n);
    let lists = count(&sim, "GET /api/v2/routing/queues", 200);
    let tokens = count(&sim, "POST /oauth2/token", 200);
    println!("\n## list {n} queues");
    println!("| list requests | token requests | expected ⌈n/500⌉ + 1 | wall |");
    println!("|---|---|---|---|");
    println!(
        "| {lists} | {tokens} | {} | {:.0} ms |",
        n.div_ceil(500) + 1,
        wall.as_secs_f64() * 1000.0
    );
}

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// In the child: load, list and plan; print the peak RSS.
async fn child(spec: &str) {
    let mut parts = spec.split('|');
    let (dir, base, id, secret) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let start = Instant::now();
    let repo = load(Path::new(dir));
    let t = client(base, id, secret, 1000.0);
    let observed = reconcile::observe(&t).await.unwrap();
    let plan = reconcile::plan(&repo, &observed).expect("a plan");
    println!(
        "{} {} {} {}",
        plan.changes.len(),
        vm_hwm_kib(),
        start.elapsed().as_millis(),
        observed.queues.len()
    );
}

async fn bench_plan_rss(n: usize) {
    let dir = tempfile::tempdir().unwrap();
    reconcile::generate::write_repository(dir.path(), n, 11).unwrap();
    let repo = load(dir.path());
    let sim = sim::Sim::start(seed_from(&repo), Faults::none()).unwrap();
    drop(repo);
    let c = sim.client();
    let spec = format!(
        "{}|{}|{}|{}",
        dir.path().display(),
        sim.base_url(),
        c.client_id,
        c.client_secret
    );
    let exe = env::current_exe().unwrap();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(exe).env(CHILD_ENV, spec).output().unwrap()
    })
    .await
    .unwrap();
    let line = String::from_utf8_lossy(&out.stdout);
    let f: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(
        f.len(),
        4,
        "child said: {line} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!("\n## plan {n} queues (load + list + plan, in a child process)");
    println!("| changes | peak RSS | wall |");
    println!("|---|---|---|");
    println!(
        "| {} | {:.1} MB | {} ms |",
        f[0],
        f[1].parse::<f64>().unwrap() / 1024.0,
        f[2]
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if let Ok(spec) = env::var(CHILD_ENV) {
        child(&spec).await;
        return;
    }
    // `cargo bench` passes `--bench`; nothing else is read from the command line.
    bench_apply(n_from("CXQ_BENCH_APPLY_N", 1000)).await;
    bench_list(10_000).await;
    bench_plan_rss(n_from("CXQ_BENCH_PLAN_N", 10_000)).await;
}
