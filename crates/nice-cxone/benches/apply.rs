//! `cargo bench -p nice-cxone --bench apply`: the CXone adapter against the simulator's CXone
//! face, at the adapter's default 5 requests/s.
//!
//! 1. Apply `CXQ_BENCH_CXONE_APPLY_N` (default 1,000) changed skills (each holding all 84
//!    published properties): observe, plan, apply, with safe writes (a read and a PUT of every
//!    writable property per update) and with `partialUpdates: true` (one PUT). Compare the wall
//!    time with the floor `(list pages + 2 per update) ÷ 5/s` (safe) and
//!    `(list pages + 1 per update) ÷ 5/s` (partial).
//! 2. A no-op plan of `CXQ_BENCH_CXONE_PLAN_N` (default 5,000) skills: list pages only.

use std::env;
use std::time::Instant;

use model::{RepoFile, Repository};
use nice_cxone::{Config, CxoneTenant, WriteStyle};
use reconcile::ApplyOptions;
use sim::{Faults, Seed, SimHandle};
use tenant::{Secret, Tenant};

fn n_from(var: &str, default: usize) -> usize {
    env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn name(i: usize) -> String {
    format!("Skill_{i:05}")
}

/// `n` skills in the tenant, each with the description `old`.
fn sim_with(n: usize, old: &str) -> SimHandle {
    let queues = (0..n)
        .map(|i| {
            let mut q = sim::full_cxone_skill(&name(i), i as u64, 3);
            q.description = Some(old.to_string());
            q
        })
        .collect();
    let seed = Seed {
        queues,
        ..Seed::default()
    };
    sim::Sim::start(seed, Faults::none()).expect("simulator starts")
}

/// A repository declaring the description `new` on each of the `n` skills.
fn repo(n: usize, new: &str) -> Repository {
    let tenant = RepoFile {
        path: "cxqueues.yaml".into(),
        bytes: b"apiVersion: cxqueues/v1\nkind: Tenant\nspec:\n  platform: nice-cxone\n".to_vec(),
    };
    let files: Vec<RepoFile> = (0..n)
        .map(|i| RepoFile {
            path: format!("queues/{i:05}.yaml").into(),
            bytes: format!(
                "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: {}\nspec:\n  description: {new}\n",
                name(i)
            )
            .into_bytes(),
        })
        .collect();
    let repo = model::parse_files(Some(tenant), files, &model::LoadOptions::default());
    assert!(!repo.has_errors(), "{:?}", repo.diagnostics.first());
    repo
}

fn client(sim: &SimHandle, style: WriteStyle) -> CxoneTenant {
    let c = sim.client();
    let mut cfg = Config::new(
        sim::CXONE_ACCESS_KEY_ID,
        Secret::new(sim::CXONE_ACCESS_KEY_SECRET),
        c.client_id,
        Secret::new(c.client_secret),
    );
    cfg.issuer = sim.base_url();
    cfg.write_style = style;
    CxoneTenant::new(cfg).expect("client")
}

async fn apply_changed(n: usize, style: WriteStyle) {
    let sim = sim_with(n, "old");
    let repo = repo(n, "new");
    let tenant = client(&sim, style);
    let rps = tenant.config().requests_per_second;
    let started = Instant::now();
    let observed = reconcile::observe(&tenant).await.expect("observe");
    let plan =
        reconcile::plan_for_platform(&repo, &observed, tenant.capabilities()).expect("a plan");
    assert_eq!(plan.changes.len(), n);
    let report = reconcile::apply(&tenant, &plan, &observed, &ApplyOptions::default()).await;
    let wall = started.elapsed();
    assert!(report.is_complete(), "{}", report.summary_line());
    let stats = tenant.stats();
    let pages = stats.requests_to("GET /skills");
    let (reads, puts) = (
        stats.requests_to("GET /skills/{id}"),
        stats.requests_to("PUT /skills/{id}"),
    );
    let per_update = match style {
        WriteStyle::AsRead => 2,
        WriteStyle::ChangedOnly => 1,
    };
    let floor = (pages + per_update * n as u64) as f64 / rps;
    println!(
        "apply {n} changed skills, {style:?}, at {rps}/s: wall {:.1} s, floor {floor:.1} s \
         ({pages} list pages + {per_update} per update); {} requests: {reads} GET, {puts} PUT, \
         {pages} list pages, {} token, 1 discovery; ratio {:.3}",
        wall.as_secs_f64(),
        stats.total_requests(),
        stats.token_requests,
        wall.as_secs_f64() / floor,
    );
}

async fn noop_plan(n: usize) {
    let sim = sim_with(n, "same");
    let repo = repo(n, "same");
    let tenant = client(&sim, WriteStyle::AsRead);
    let started = Instant::now();
    let observed = reconcile::observe(&tenant).await.expect("observe");
    let plan = reconcile::plan(&repo, &observed).expect("a plan");
    let wall = started.elapsed();
    assert!(plan.changes.is_empty());
    let stats = tenant.stats();
    println!(
        "no-op plan of {n} skills: wall {:.1} s, {} list pages, {} requests in all",
        wall.as_secs_f64(),
        stats.requests_to("GET /skills"),
        stats.total_requests(),
    );
}

fn main() {
    if env::args().any(|a| a == "--list") {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        noop_plan(n_from("CXQ_BENCH_CXONE_PLAN_N", 5000)).await;
        let n = n_from("CXQ_BENCH_CXONE_APPLY_N", 1000);
        apply_changed(n, WriteStyle::AsRead).await;
        apply_changed(n, WriteStyle::ChangedOnly).await;
    });
}
