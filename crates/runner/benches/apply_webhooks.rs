//! `cargo bench -p runner --bench apply_webhooks`: does a WFM receiver that is down slow an
//! apply? `cxqueues apply` (the real binary, release build) updates 1,000 queues of a
//! generated repository against the simulator at 50 requests/s with 20 ms latency, once with
//! no webhook and once with a webhook whose receiver is down (a closed loopback port), each
//! run writing the audit log. Target: at most 5 % slower.
//!
//! `CXQ_BENCH_N` (default 1000) changes the size; `CXQ_BENCH_RUNS` (default 1) repeats each
//! variant and keeps the median.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use sim::{Faults, Seed, SimHandle};

const WEBHOOK_ENV: &str = "CXQ_BENCH_WEBHOOK_KEY";

fn tenant_doc(webhook: Option<&str>) -> String {
    let mut s = String::from(
        "apiVersion: cxqueues/v1\nkind: Tenant\nmetadata: {name: bench}\nspec:\n  queues: queues\n  requestsPerSecond: 50\n",
    );
    if let Some(url) = webhook {
        s.push_str(&format!(
            "  webhooks:\n    - url: {url}\n      secretEnv: {WEBHOOK_ENV}\n"
        ));
    }
    s
}

fn apply(sim: &SimHandle, repo: &Path, state: &Path) -> Duration {
    let c = sim.client();
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_cxqueues"))
        .args(["apply", "--format", "json", "--repo"])
        .arg(repo)
        .arg("--state-dir")
        .arg(state)
        .env("CXONE_BASE_URL", sim.base_url())
        .env("CXONE_CLIENT_ID", &c.client_id)
        .env("CXONE_CLIENT_SECRET", &c.client_secret)
        .env(WEBHOOK_ENV, "bench-key")
        .output()
        .expect("run cxqueues");
    let wall = start.elapsed();
    assert!(
        out.status.success(),
        "apply failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    wall
}

/// A rival changes every queue in the tenant, so the next apply has `n` updates.
fn drift_all(sim: &SimHandle, round: u64) {
    for q in sim.queues() {
        let name = q["name"].as_str().unwrap_or_default().to_string();
        if name.starts_with("Unmanaged") {
            continue;
        }
        sim.edit_queue(&name, "maxWaiters", (90 + round % 5).into(), "bench")
            .expect("edit");
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = std::env::var("CXQ_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let runs: usize = std::env::var("CXQ_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let dir = tempfile::tempdir().unwrap();
    reconcile::generate::write_repository(dir.path(), n, 5).unwrap();
    // Pinned ids and targetIds of the generated repository must exist in the tenant: take them
    // from an import-free seed built like the tenant's own.
    let repo = model::load_repository(dir.path(), &model::LoadOptions::default());
    let needs = reconcile::generate::tenant_needs(&repo);
    let mut seed = Seed {
        skills: needs.skills.into_iter().map(sim::SeedSkill::Name).collect(),
        ..Seed::default()
    };
    for (name, id) in needs.pinned {
        let mut s = sim::SeedQueue::named(name);
        s.id = Some(id);
        seed.queues.push(s);
    }
    seed.add_unmanaged(needs.external_targets);
    let sim = sim::Sim::start(seed, Faults::none()).unwrap();
    let state = dir.path().join(".state");
    std::fs::write(dir.path().join("cxqueues.yaml"), tenant_doc(None)).unwrap();
    let p = dir.path().to_path_buf();
    let s2 = state.clone();
    let sim = std::sync::Arc::new(sim);
    let simc = sim.clone();
    tokio::task::spawn_blocking(move || apply(&simc, &p, &s2))
        .await
        .unwrap();
    sim.set_faults(
        Faults::none()
            .with_latency_ms(20)
            .with_rate_limit(50.0, None),
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let down_url = format!("http://{}/hooks", closed.local_addr().unwrap());
    drop(closed);

    let mut without = Vec::new();
    let mut with_down = Vec::new();
    for round in 0..runs {
        for (variant, out) in [
            (None, &mut without),
            (Some(down_url.as_str()), &mut with_down),
        ] {
            std::fs::write(dir.path().join("cxqueues.yaml"), tenant_doc(variant)).unwrap();
            drift_all(&sim, round as u64 * 2 + u64::from(variant.is_some()));
            // Let the simulator's token bucket refill, so that both variants start alike.
            tokio::time::sleep(Duration::from_secs(2)).await;
            let (simc, p, s2) = (sim.clone(), dir.path().to_path_buf(), state.clone());
            out.push(
                tokio::task::spawn_blocking(move || apply(&simc, &p, &s2))
                    .await
                    .unwrap(),
            );
        }
    }
    let (a, b) = (median(without), median(with_down));
    let pending = std::fs::read_dir(state.join("outbox"))
        .map(|d| {
            d.filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "json"))
            })
            .count()
        })
        .unwrap_or(0);
    println!("## apply {n} updated queues: webhook receiver down vs. no webhook");
    println!("| no webhook | receiver down | slowdown | events left in the outbox |");
    println!("|---|---|---|---|");
    println!(
        "| {:.2} s | {:.2} s | {:+.1} % | {pending} |",
        a.as_secs_f64(),
        b.as_secs_f64(),
        (b.as_secs_f64() / a.as_secs_f64() - 1.0) * 100.0
    );
}
