//! The simulator over real TCP, seen by reqwest: start, serve, drop connections, shut down.

use std::time::Duration;

use serde_json::{Value, json};
use sim::{Faults, RivalAdmin, Seed, Sim, SimError, SimHandle};

/// reqwest is built without a TLS provider in this workspace; plain HTTP still needs one set.
fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn client() -> reqwest::Client {
    install_crypto();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

async fn token(http: &reqwest::Client, sim: &SimHandle) -> String {
    let creds = sim.client();
    let reply: Value = http
        .post(format!("{}/oauth2/token", sim.base_url()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", creds.client_id.as_str()),
            ("client_secret", creds.client_secret.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    reply["access_token"].as_str().unwrap().to_owned()
}

fn new_queue(name: &str) -> Value {
    json!({
        "name": name,
        "serviceLevelTarget": {"threshold": 80, "time": 20},
        "overflow": null,
        "maxWaitTime": 120,
        "maxWaiters": 5,
    })
}

#[tokio::test]
async fn started_sim_serves_the_demo_tenant_on_a_free_local_port() {
    let sim = Sim::start(Seed::demo(), Faults::default()).unwrap();
    assert!(sim.addr().ip().is_loopback());
    assert_ne!(sim.addr().port(), 0);
    assert_eq!(
        sim.base_url(),
        format!("http://127.0.0.1:{}", sim.addr().port())
    );
    let http = client();
    let token = token(&http, &sim).await;
    let page: Value = http
        .get(format!("{}/api/v2/routing/queues", sim.base_url()))
        .query(&[("pageSize", "2")])
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 3);
    assert_eq!(page["pageCount"], 2);
    assert_eq!(page["entities"][0]["name"], "Billing Tier 1");
    let stats: Value = http
        .get(format!("{}/_sim/stats", sim.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["requests"]["GET /api/v2/routing/queues"]["200"], 1);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn drop_rate_of_one_closes_the_connection_without_an_answer() {
    let sim = Sim::start(Seed::demo(), Faults::default()).unwrap();
    let http = client();
    let token = token(&http, &sim).await;
    sim.set_faults(Faults::default().with_drop_rate(1.0));
    let err = http
        .get(format!("{}/api/v2/routing/queues", sim.base_url()))
        .bearer_auth(&token)
        .send()
        .await
        .expect_err("the connection must be dropped");
    assert!(err.status().is_none(), "{err:?}");
    assert!(!err.is_timeout(), "{err:?}");
    assert!(err.is_request() || err.is_connect(), "{err:?}");
    assert_eq!(sim.stats().dropped["GET /api/v2/routing/queues"], 1);
    assert_eq!(sim.stats().total("GET /api/v2/routing/queues"), 0);
    // Faults off again: the same client recovers on a new connection.
    sim.set_faults(Faults::default());
    let ok = http
        .get(format!("{}/api/v2/routing/queues", sim.base_url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn response_of_the_next_post_is_lost_after_the_queue_was_created() {
    let sim = Sim::start(
        Seed::demo(),
        Faults::default().with_drop_after_apply_next(1, &["POST"]),
    )
    .unwrap();
    let http = client();
    let token = token(&http, &sim).await;
    let url = format!("{}/api/v2/routing/queues", sim.base_url());
    let lost = http
        .post(&url)
        .bearer_auth(&token)
        .json(&new_queue("Lost Response"))
        .send()
        .await;
    let err = lost.expect_err("the response must be lost");
    assert!(err.status().is_none() && !err.is_timeout(), "{err:?}");
    // The queue exists: a naive re-POST is refused, a careful client looks the name up.
    assert_eq!(sim.queue_by_name("Lost Response").unwrap()["version"], 1);
    let again = http
        .post(&url)
        .bearer_auth(&token)
        .json(&new_queue("Lost Response"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
    assert_eq!(
        again.json::<Value>().await.unwrap(),
        json!({"code": "name.taken"})
    );
    assert_eq!(sim.faults().drop_after_apply_next, 0);
}

#[tokio::test]
async fn rival_admin_set_at_run_time_spoils_one_put_over_http() {
    let sim = Sim::start(Seed::demo(), Faults::default()).unwrap();
    sim.set_faults(Faults::default().with_rival(RivalAdmin {
        field: "maxWaitTime".into(),
        value: json!(90),
        times: 1,
        name: "rival@example.com".into(),
        queue: None,
    }));
    let http = client();
    let token = token(&http, &sim).await;
    let queue = sim.queue_by_name("Support").unwrap();
    let url = format!(
        "{}/api/v2/routing/queues/{}",
        sim.base_url(),
        queue["id"].as_str().unwrap()
    );
    let put = |version: u64, body: Value| {
        http.put(&url)
            .bearer_auth(&token)
            .header("If-Match", format!("\"{version}\""))
            .json(&body)
            .send()
    };
    let first = put(1, queue.clone()).await.unwrap();
    assert_eq!(first.status(), 409);
    assert_eq!(
        first.json::<Value>().await.unwrap(),
        json!({"code": "conflict", "currentVersion": 2})
    );
    let current = sim.queue_by_name("Support").unwrap();
    assert_eq!(current["maxWaitTime"], 90);
    let mut body = current.clone();
    body["maxWaitTime"] = json!(300);
    let second = put(2, body).await.unwrap();
    assert_eq!(second.status(), 200);
    assert_eq!(second.headers()["etag"], "\"3\"");
    assert_eq!(sim.queue_by_name("Support").unwrap()["maxWaitTime"], 300);
}

#[tokio::test]
async fn dropping_the_handle_stops_the_server() {
    let sim = Sim::start(Seed::default(), Faults::default()).unwrap();
    let base = sim.base_url();
    install_crypto();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    assert!(http.get(format!("{base}/_sim/queues")).send().await.is_ok());
    drop(sim);
    let mut refused = false;
    for _ in 0..50 {
        if http
            .get(format!("{base}/_sim/queues"))
            .send()
            .await
            .is_err()
        {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(refused, "server still answering after drop");
}

#[test]
fn start_outside_a_runtime_is_an_error() {
    let err = Sim::start(Seed::default(), Faults::default()).unwrap_err();
    assert!(matches!(err, SimError::NoRuntime), "{err}");
}

#[tokio::test]
async fn start_with_invalid_faults_or_seed_is_an_error() {
    let err = Sim::start(Seed::default(), Faults::default().with_rate_429(3.0)).unwrap_err();
    assert!(matches!(err, SimError::InvalidFaults(_)), "{err}");
    let seed =
        Seed::from_value(json!({"queues": [{"name": "A", "overflow": {"target": "Z"}}]})).unwrap();
    let err = Sim::start(seed, Faults::default()).unwrap_err();
    assert!(matches!(err, SimError::InvalidSeed(_)), "{err}");
}
