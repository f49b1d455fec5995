//! The HTTP client against the simulated tenant (`sim`): real pagination, real faults,
//! real lost responses, real tokens.

use std::time::Duration;

use routing_api::{
    ApiError, ClientConfig, HttpTenant, RemoteQueue, RetryPolicy, ServiceLevelTarget,
};
use serde_json::json;
use sim::{Faults, RivalAdmin, Seed, SeedQueue, Sim, SimClient, SimHandle};

const QUEUES: &str = "GET /api/v2/routing/queues";

fn seed_with_queues(count: usize) -> Seed {
    Seed {
        queues: (0..count)
            .map(|i| SeedQueue::named(format!("Queue {i:05}")))
            .collect(),
        ..Seed::default()
    }
}

/// A queue the tenant accepts on create.
fn new_queue(name: &str) -> RemoteQueue {
    let mut queue = RemoteQueue::named(name);
    queue.service_level_target = Some(ServiceLevelTarget {
        threshold: 80,
        time: 20,
    });
    queue.max_wait_time = Some(300);
    queue.max_waiters = Some(10);
    queue
}

fn client_for(sim: &SimHandle) -> HttpTenant {
    let creds = sim.client();
    let mut config = ClientConfig::new(sim.base_url(), creds.client_id, creds.client_secret);
    config.requests_per_second = 500.0;
    config.retry = RetryPolicy {
        max_attempts: 10,
        initial_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
        total_deadline: Duration::from_secs(60),
        max_retry_after: Duration::from_secs(5),
    };
    HttpTenant::new(config).unwrap()
}

#[tokio::test]
async fn pagination_over_1234_seeded_queues_takes_three_list_requests() {
    let sim = Sim::start(seed_with_queues(1234), Faults::none()).unwrap();
    let client = client_for(&sim);

    let queues = client.list_queues().await.unwrap();
    assert_eq!(queues.len(), 1234);
    let mut names: Vec<_> = queues.iter().map(|q| q.name.clone()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 1234);
    let stats = sim.stats();
    assert_eq!(stats.total(QUEUES), 3);
    assert_eq!(stats.token_requests, 1);
    assert_eq!(client.stats().requests_to(QUEUES), 3);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn every_call_eventually_succeeds_under_sustained_20_percent_429_and_503() {
    let faults = Faults::none()
        .with_rate_429(0.1)
        .with_rate_503(0.1)
        .with_rng_seed(20);
    let sim = Sim::start(seed_with_queues(60), faults).unwrap();
    let mut config = client_for(&sim).config().clone();
    config.page_size = 25;
    let client = HttpTenant::new(config).unwrap();

    // Reads: paged lists and single gets, concurrently.
    let listed = client.list_queues().await.unwrap();
    assert_eq!(listed.len(), 60);
    let gets = listed.iter().take(20).map(|q| {
        let client = client.clone();
        let id = q.id.clone().unwrap();
        async move { client.get_queue(&id).await }
    });
    for got in futures::future::join_all(gets).await {
        got.unwrap();
    }

    // Writes: creates (a faulted POST is looked up, never duplicated), updates, deletes.
    let creates = (0..8).map(|i| {
        let client = client.clone();
        async move { client.create_queue(&new_queue(&format!("New {i}"))).await }
    });
    let created: Vec<RemoteQueue> = futures::future::join_all(creates)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    for queue in &created {
        let mut changed = queue.clone();
        changed.description = Some("tuned".into());
        let updated = client
            .update_queue(&changed, queue.version.unwrap())
            .await
            .unwrap();
        assert_eq!(updated.version, Some(2));
        client
            .delete_queue(queue.id.as_deref().unwrap(), 2)
            .await
            .unwrap();
    }

    let names: Vec<String> = sim
        .queues()
        .iter()
        .map(|q| q["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names.len(), 60, "no create was duplicated or left behind");
    let stats = sim.stats();
    assert!(stats.status_total(429) + stats.status_total(503) > 0);
    assert!(client.stats().total_retries() > 0);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_create_whose_response_is_lost_after_it_was_applied_is_not_duplicated() {
    let sim = Sim::start(
        Seed::demo(),
        Faults::none().with_drop_after_apply_next(1, &["POST"]),
    )
    .unwrap();
    let client = client_for(&sim);

    let created = client
        .create_queue(&new_queue("Collections"))
        .await
        .unwrap();
    assert_eq!(created.name, "Collections");
    assert_eq!(created.version, Some(1));
    let matching = sim
        .queues()
        .iter()
        .filter(|q| q["name"] == "Collections")
        .count();
    assert_eq!(matching, 1);
    assert_eq!(client.stats().create_lookups, 1);
    assert_eq!(client.stats().requests_to("POST /api/v2/routing/queues"), 1);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_update_whose_response_is_lost_after_it_was_applied_succeeds_once() {
    let sim = Sim::start(
        Seed::demo(),
        Faults::none().with_drop_after_apply_next(1, &["PUT"]),
    )
    .unwrap();
    let client = client_for(&sim);
    let id = sim.queue_by_name("Support").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut queue = client.get_queue(&id).await.unwrap();
    let version = queue.version.unwrap();
    queue.max_wait_time = Some(240);
    let updated = client.update_queue(&queue, version).await.unwrap();
    assert_eq!(updated.version, Some(version + 1));
    assert_eq!(sim.queue(&id).unwrap()["maxWaitTime"], 240);
    assert_eq!(sim.queue(&id).unwrap()["version"], version + 1);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn short_lived_tokens_are_refreshed_before_they_expire() {
    let sim = Sim::start(Seed::demo(), Faults::none().with_token_lifetime_secs(2)).unwrap();
    let client = client_for(&sim);

    for _ in 0..3 {
        client.list_skills().await.unwrap();
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    client.list_skills().await.unwrap();
    let stats = sim.stats();
    assert!(stats.token_requests >= 3, "{stats:?}");
    assert_eq!(stats.status_total(401), 0, "{stats:?}");
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn unknown_fields_survive_a_round_trip_through_the_simulator() {
    let mut queue = SeedQueue::named("Billing");
    queue.division = Some(json!({"id": "d-1", "name": "Home"}));
    queue.extra.insert("wrapUpCodes".into(), json!(["a", "b"]));
    let seed = Seed {
        queues: vec![queue],
        ..Seed::default()
    };
    let sim = Sim::start(seed, Faults::none()).unwrap();
    let client = client_for(&sim);

    let mut billing = client.list_queues().await.unwrap().remove(0);
    billing.description = Some("edited by cxqueues".into());
    client
        .update_queue(&billing, billing.version.unwrap())
        .await
        .unwrap();
    let stored = sim.queue_by_name("Billing").unwrap();
    assert_eq!(stored["division"], json!({"id": "d-1", "name": "Home"}));
    assert_eq!(stored["wrapUpCodes"], json!(["a", "b"]));
    assert_eq!(stored["description"], "edited by cxqueues");
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_rival_edit_makes_the_update_a_conflict_naming_the_current_version() {
    let rival = RivalAdmin {
        queue: Some("Support".into()),
        ..RivalAdmin::default()
    };
    let sim = Sim::start(Seed::demo(), Faults::none().with_rival(rival)).unwrap();
    let client = client_for(&sim);
    let id = sim.queue_by_name("Support").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut queue = client.get_queue(&id).await.unwrap();
    let version = queue.version.unwrap();
    queue.max_waiters = Some(20);
    let err = client.update_queue(&queue, version).await.unwrap_err();
    match err {
        ApiError::Conflict {
            id: conflict_id,
            current_version,
        } => {
            assert_eq!(conflict_id, id);
            assert_eq!(current_version, Some(version + 1));
        }
        other => panic!("expected Conflict, got {other:?}"),
    }
    assert_eq!(
        client
            .stats()
            .requests_to("PUT /api/v2/routing/queues/{id}"),
        1
    );
    // Re-read and re-apply: now it goes through.
    let mut fresh = client.get_queue(&id).await.unwrap();
    fresh.max_waiters = Some(20);
    client
        .update_queue(&fresh, fresh.version.unwrap())
        .await
        .unwrap();
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_read_only_client_is_forbidden_to_write_and_told_the_scope() {
    let seed = Seed {
        clients: vec![
            SimClient::new("reader", "reader-secret").with_scopes(&["routing:queue:view"]),
        ],
        ..Seed::demo()
    };
    let sim = Sim::start(seed, Faults::none()).unwrap();
    let client =
        HttpTenant::new(ClientConfig::new(sim.base_url(), "reader", "reader-secret")).unwrap();

    assert_eq!(client.list_queues().await.unwrap().len(), 3);
    let err = client.create_queue(&new_queue("Nope")).await.unwrap_err();
    assert!(
        matches!(&err, ApiError::Forbidden { scope } if scope == "routing:queue:update"),
        "{err:?}"
    );
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn wrong_credentials_are_unauthorized_against_the_simulator() {
    let sim = Sim::start(Seed::demo(), Faults::none()).unwrap();
    let client = HttpTenant::new(ClientConfig::new(
        sim.base_url(),
        "cxqueues-demo",
        "wrong-secret-XYZ",
    ))
    .unwrap();

    let err = client.list_queues().await.unwrap_err();
    assert!(err.is_unauthorized(), "{err:?}");
    assert!(!err.to_string().contains("XYZ"), "{err}");
    sim.shutdown().await.unwrap();
}
