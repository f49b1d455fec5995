//! Apply N changed queues through the Genesys Cloud adapter at the 5 requests/s default,
//! against the simulator's Genesys face (no added latency), and a no-op plan of M queues.
//!
//! `cargo bench -p genesys-cloud --bench apply_rate`; `CXQ_BENCH_APPLY_N` (default 1000) and
//! `CXQ_BENCH_NOOP_N` (default 5000) change the sizes, `CXQ_BENCH_RPS` the rate (default 5),
//! `CXQ_BENCH_ONLY` runs one part (`apply`, `noop` or `skills`).
//!
//! The floor of an apply is the request count at the rate: the token, the list pages (queues
//! and skills), one GET and one PUT per queue, one request every 1/rps seconds.
//!
//! `skills`: N queues gain skill requirements (a new skill group each). Its floor is issue
//! 19's: (list pages + skill pages + skill-group pages + per queue 1 GET + 1 PUT, + 1 POST
//! per new group) ÷ rps.

use std::time::{Duration, Instant};

use genesys_cloud::{Config, GenesysTenant};
use model::{RepoFile, Repository};
use reconcile::ApplyOptions;
use sim::{Faults, Seed, SeedQueue, SimHandle};

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn make_repo(n: usize, description: &str) -> Repository {
    make_repo_with(n, description, "")
}

fn make_repo_with(n: usize, description: &str, more: &str) -> Repository {
    let tenant = RepoFile {
        path: "cxqueues.yaml".into(),
        bytes: b"apiVersion: cxqueues/v1\nkind: Tenant\nmetadata:\n  name: org\nspec:\n  platform: genesys-cloud\n".to_vec(),
    };
    let files = (0..n).map(|i| RepoFile {
        path: format!("queues/q{i}.yaml").into(),
        bytes: format!(
            "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: Queue {i:05}\nspec:\n  description: {description}\n{more}"
        )
        .into_bytes(),
    });
    model::parse_files(Some(tenant), files, &model::LoadOptions::default())
}

fn start_sim(n: usize) -> SimHandle {
    let queues = (0..n)
        .map(|i| {
            let mut q = SeedQueue::named(format!("Queue {i:05}"));
            q.description = Some("before".into());
            q
        })
        .collect();
    sim::Sim::start(
        Seed {
            queues,
            skills: vec!["language:en".into(), "billing".into()],
            ..Seed::default()
        },
        Faults::none(),
    )
    .unwrap()
}

fn client(sim: &SimHandle, rps: f64) -> GenesysTenant {
    let c = sim.client();
    let base = format!("{}{}", sim.base_url(), sim::GENESYS_PREFIX);
    let mut cfg = Config::loopback(base, c.client_id.clone(), c.client_secret.clone());
    cfg.requests_per_second = rps;
    GenesysTenant::new(cfg).unwrap()
}

#[tokio::main]
async fn main() {
    let apply_n = env_or("CXQ_BENCH_APPLY_N", 1000);
    let noop_n = env_or("CXQ_BENCH_NOOP_N", 5000);
    let rps = env_or("CXQ_BENCH_RPS", 5) as f64;
    let only = std::env::var("CXQ_BENCH_ONLY").unwrap_or_default();
    let run = |part: &str| only.is_empty() || only == part;
    if run("skills") {
        skills(apply_n, rps).await;
    }
    if run("apply") {
        apply(apply_n, rps).await;
    }
    if run("noop") {
        noop(noop_n, rps).await;
    }
}

/// N queues gain skill requirements: a skill group made for each, then the queue PUT.
async fn skills(n: usize, rps: f64) {
    let sim = start_sim(n);
    let t = client(&sim, rps);
    let repo = make_repo_with(
        n,
        "before",
        "  skillRequirements:\n    - {skill: language:en, proficiency: advanced}\n    - {skill: billing, proficiency: beginner}\n",
    );
    let start = Instant::now();
    let observed = reconcile::observe(&t).await.unwrap();
    let plan = reconcile::plan(&repo, &observed).expect("a plan");
    let report = reconcile::apply(&t, &plan, &observed, &ApplyOptions::default()).await;
    let wall = start.elapsed();
    assert!(
        report.is_complete() && report.updated() == n,
        "{:?}",
        report.outcomes.first()
    );
    let stats = t.stats();
    let count = |e: &str| stats.requests_to(e);
    let pages = count("GET /api/v2/routing/queues")
        + count("GET /api/v2/routing/skills")
        + count("GET /api/v2/routing/skillgroups");
    let per_queue = count("GET /api/v2/routing/queues/{id}")
        + count("PUT /api/v2/routing/queues/{id}")
        + count("POST /api/v2/routing/skillgroups");
    let floor = (pages + per_queue) as f64 / rps;
    println!(
        "apply {n} queues with skill requirements at {rps} req/s: {} requests ({pages} list pages, {} GET, {} PUT, {} group POST, {} other, {} token), wall {:.1} s, floor {floor:.1} s, ratio {:.3}",
        stats.total_requests(),
        count("GET /api/v2/routing/queues/{id}"),
        count("PUT /api/v2/routing/queues/{id}"),
        count("POST /api/v2/routing/skillgroups"),
        stats.total_requests() - pages - per_queue - stats.token_requests,
        stats.token_requests,
        wall.as_secs_f64(),
        wall.as_secs_f64() / floor,
    );
}

async fn apply(apply_n: usize, rps: f64) {
    // Apply: every queue's description changes.
    let sim = start_sim(apply_n);
    let t = client(&sim, rps);
    let repo = make_repo(apply_n, "after");
    let start = Instant::now();
    let observed = reconcile::observe(&t).await.unwrap();
    let plan = reconcile::plan(&repo, &observed).expect("a plan");
    let report = reconcile::apply(&t, &plan, &observed, &ApplyOptions::default()).await;
    let wall = start.elapsed();
    assert!(report.is_complete() && report.updated() == apply_n);
    let stats = t.stats();
    let requests = stats.total_requests();
    let floor = Duration::from_secs_f64(requests.saturating_sub(1) as f64 / rps);
    println!(
        "apply {apply_n} changed queues at {rps} req/s: {requests} requests ({} list pages, {} GET, {} PUT, {} token), wall {:.1} s, floor {:.1} s, ratio {:.3}",
        stats.requests_to("GET /api/v2/routing/queues")
            + stats.requests_to("GET /api/v2/routing/skills"),
        stats.requests_to("GET /api/v2/routing/queues/{id}"),
        stats.requests_to("PUT /api/v2/routing/queues/{id}"),
        stats.token_requests,
        wall.as_secs_f64(),
        floor.as_secs_f64(),
        wall.as_secs_f64() / floor.as_secs_f64(),
    );
}

async fn noop(noop_n: usize, rps: f64) {
    // No-op plan: the repository matches the org.
    let sim = start_sim(noop_n);
    let t = client(&sim, rps);
    let repo = make_repo(noop_n, "before");
    let start = Instant::now();
    let observed = reconcile::observe(&t).await.unwrap();
    let plan = reconcile::plan(&repo, &observed).expect("a plan");
    let wall = start.elapsed();
    assert!(plan.is_empty());
    let stats = t.stats();
    println!(
        "no-op plan of {noop_n} queues: {} requests ({} queue list pages of 500, {} skill pages, {} token), wall {:.1} s",
        stats.total_requests(),
        stats.requests_to("GET /api/v2/routing/queues"),
        stats.requests_to("GET /api/v2/routing/skills"),
        stats.token_requests,
        wall.as_secs_f64(),
    );
}
