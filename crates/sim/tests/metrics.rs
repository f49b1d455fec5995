//! `GET /api/v2/analytics/queues/metrics` (`docs/metrics-api.md`): the traffic model served
//! like the queue list, behind the queue-view scope.

mod common;

use axum::http::{Method, StatusCode};
use common::{App, small_seed};
use sim::{Faults, METRICS_PATH};

#[tokio::test]
async fn the_figures_cover_every_queue_and_need_the_queue_view_scope() {
    let app = App::new(small_seed(), Faults::none());
    let anonymous = app.send(Method::GET, METRICS_PATH, &[], None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let skills_only = app.token(Some("routing:skill:view")).await;
    let r = app
        .call(&skills_only, Method::GET, METRICS_PATH, &[], None)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let token = app.token(None).await;
    let r = app.call(&token, Method::GET, METRICS_PATH, &[], None).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let queues = app
        .call(&token, Method::GET, "/api/v2/routing/queues", &[], None)
        .await;
    let names = |v: &serde_json::Value| -> Vec<String> {
        v["entities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(&r.body), names(&queues.body));
    assert_eq!(r.body["entities"][0]["intervalSeconds"], 1800);

    let hour = format!("{METRICS_PATH}?intervalSeconds=3600&pageSize=1");
    let r = app.call(&token, Method::GET, &hour, &[], None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["entities"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["entities"][0]["intervalSeconds"], 3600);
}

#[tokio::test]
async fn an_interval_out_of_range_is_400_after_authorization() {
    let app = App::new(small_seed(), Faults::none());
    let bad = format!("{METRICS_PATH}?intervalSeconds=5");
    let anonymous = app.send(Method::GET, &bad, &[], None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let token = app.token(None).await;
    let r = app.call(&token, Method::GET, &bad, &[], None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body["errors"][0]
            .as_str()
            .unwrap()
            .starts_with("intervalSeconds")
    );
}
