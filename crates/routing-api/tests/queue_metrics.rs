//! `HttpTenant::queue_metrics` against the simulator's traffic model
//! (`GET /api/v2/analytics/queues/metrics`, `docs/metrics-api.md`).

use routing_api::{ClientConfig, HttpTenant, QUEUE_METRICS};
use sim::{Faults, Seed, SeedQueue, Sim};

#[tokio::test]
async fn every_queue_of_the_tenant_has_figures_consistent_with_it_across_pages() {
    let seed = Seed {
        queues: (0..600)
            .map(|i| {
                let mut q = SeedQueue::named(format!("Queue {i:04}"));
                q.max_waiters = 20 + (i % 7) as i64;
                q
            })
            .collect(),
        ..Seed::default()
    };
    let sim = Sim::start(seed, Faults::none()).unwrap();
    let creds = sim.client();
    let mut config = ClientConfig::new(sim.base_url(), creds.client_id, creds.client_secret);
    config.requests_per_second = 500.0;
    let client = HttpTenant::new(config).unwrap();

    let figures = client.queue_metrics().await.unwrap();
    assert_eq!(figures.len(), 600);
    assert_eq!(
        client.stats().requests_to(QUEUE_METRICS),
        2,
        "two pages of 500"
    );
    for (i, f) in figures.iter().enumerate() {
        assert_eq!(f.name, format!("Queue {i:04}"));
        assert!(f.queue_id.is_some());
        let agents = f64::from(f.agents.unwrap());
        assert_eq!(f.max_capacity, Some(agents + 20.0 + (i % 7) as f64));
        assert_eq!(f.interval_seconds, Some(1800.0));
        assert!(f.offered.unwrap() > 0.0);
        assert!(f.average_handle_time_seconds.unwrap() >= 120.0);
        assert!((0.5..1.0).contains(&f.coverage_ratio.unwrap()));
    }
    // The model is deterministic: a second read gives the same figures.
    assert_eq!(client.queue_metrics().await.unwrap(), figures);
    sim.shutdown().await.unwrap();
}
