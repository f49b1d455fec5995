//! `cargo bench -p cxone --bench rate`: does the client sustain its configured rate limit
//! when every request takes 20 ms more at the simulator, with many callers at once?
//!
//! 32 tasks share one client configured at R requests/s and GET queues as fast as it lets
//! them for `CXQ_BENCH_SECS` (default 10) seconds; the achieved rate is requests ÷ time,
//! counted after the first second (the burst the limiter allows at start is left out).
//! Rates: `CXQ_BENCH_RATES` (default `10,50,100`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use routing_api::{ClientConfig, HttpTenant, Secret};
use sim::{Faults, Seed, SeedQueue};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let secs: u64 = std::env::var("CXQ_BENCH_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let rates: Vec<f64> = std::env::var("CXQ_BENCH_RATES")
        .unwrap_or_else(|_| "10,50,100".into())
        .split(',')
        .filter_map(|r| r.trim().parse().ok())
        .collect();
    let seed = Seed {
        queues: (0..100)
            .map(|i| SeedQueue::named(format!("Q{i:03}")))
            .collect(),
        ..Seed::default()
    };
    let sim = sim::Sim::start(seed, Faults::none().with_latency_ms(20)).unwrap();
    let ids: Arc<Vec<String>> = Arc::new(
        sim.queues()
            .iter()
            .filter_map(|q| q["id"].as_str().map(str::to_string))
            .collect(),
    );
    println!("## client rate limit under 20 ms latency, 32 parallel callers, {secs} s each");
    println!("| configured | achieved (after the first second) | achieved ÷ configured |");
    println!("|---|---|---|");
    for rate in rates {
        let c = sim.client();
        let mut cfg = ClientConfig::new(
            sim.base_url(),
            c.client_id.clone(),
            Secret::new(c.client_secret.clone()),
        );
        cfg.requests_per_second = rate;
        let client = HttpTenant::new(cfg).unwrap();
        client.list_skills().await.unwrap(); // the token, outside the measurement
        let counted = Arc::new(AtomicU64::new(0));
        let start = Instant::now();
        let warm = start + Duration::from_secs(1);
        let end = start + Duration::from_secs(secs + 1);
        let mut tasks = Vec::new();
        for t in 0..32 {
            let (client, ids, counted) = (client.clone(), ids.clone(), counted.clone());
            tasks.push(tokio::spawn(async move {
                let mut i = t;
                while Instant::now() < end {
                    client.get_queue(&ids[i % ids.len()]).await.unwrap();
                    if Instant::now() >= warm && Instant::now() < end {
                        counted.fetch_add(1, Ordering::Relaxed);
                    }
                    i += 32;
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let achieved = counted.load(Ordering::Relaxed) as f64 / secs as f64;
        println!("| {rate} /s | {achieved:.1} /s | {:.3} |", achieved / rate);
    }
}
