//! Queue and skill endpoints: pagination, versions and If-Match, validation, create, delete.

mod common;

use std::time::Instant;

use axum::http::{Method, StatusCode};
use common::{App, queue_body, small_seed};
use serde_json::{Value, json};
use sim::{Faults, License, Seed, SeedQueue};

fn seed_with_queues(n: usize) -> Seed {
    Seed {
        queues: (0..n)
            .map(|i| SeedQueue::named(format!("Queue {i:05}")))
            .collect(),
        ..Seed::default()
    }
}

async fn app_and_token(seed: Seed) -> (App, String) {
    let app = App::new(seed, Faults::default());
    let token = app.token(None).await;
    (app, token)
}

fn queue_url(id: &str) -> String {
    format!("/api/v2/routing/queues/{id}")
}

#[tokio::test]
async fn listing_1234_queues_in_pages_of_500_gives_three_pages_and_an_empty_fourth() {
    let (app, token) = app_and_token(seed_with_queues(1234)).await;
    let mut names = Vec::new();
    for (page, expected) in [(1, 500), (2, 500), (3, 234)] {
        let reply = app
            .call(
                &token,
                Method::GET,
                &format!("/api/v2/routing/queues?pageNumber={page}&pageSize=500"),
                &[],
                None,
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.body["total"], 1234);
        assert_eq!(reply.body["pageCount"], 3);
        assert_eq!(reply.body["pageNumber"], page);
        assert_eq!(reply.body["pageSize"], 500);
        let entities = reply.body["entities"].as_array().unwrap();
        assert_eq!(entities.len(), expected);
        names.extend(
            entities
                .iter()
                .map(|q| q["name"].as_str().unwrap().to_owned()),
        );
    }
    let unique: std::collections::HashSet<_> = names.iter().collect();
    assert_eq!(unique.len(), 1234, "pages overlap or skip queues");
    assert_eq!(names[0], "Queue 00000");
    let past = app
        .call(
            &token,
            Method::GET,
            "/api/v2/routing/queues?pageNumber=4&pageSize=500",
            &[],
            None,
        )
        .await;
    assert_eq!(past.status, StatusCode::OK);
    assert_eq!(past.body["entities"], json!([]));
    assert_eq!(past.body["total"], 1234);
}

#[tokio::test]
async fn list_without_paging_parameters_uses_page_1_of_size_25() {
    let (app, token) = app_and_token(seed_with_queues(30)).await;
    let reply = app
        .call(&token, Method::GET, "/api/v2/routing/queues", &[], None)
        .await;
    assert_eq!(reply.body["pageNumber"], 1);
    assert_eq!(reply.body["pageSize"], 25);
    assert_eq!(reply.body["entities"].as_array().unwrap().len(), 25);
    assert_eq!(reply.body["pageCount"], 2);
}

#[tokio::test]
async fn page_size_0_or_501_answers_400() {
    let (app, token) = app_and_token(seed_with_queues(3)).await;
    for size in ["0", "501", "abc"] {
        for path in ["/api/v2/routing/queues", "/api/v2/routing/skills"] {
            let reply = app
                .call(
                    &token,
                    Method::GET,
                    &format!("{path}?pageSize={size}"),
                    &[],
                    None,
                )
                .await;
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{path} {size}");
            assert_eq!(reply.body["code"], "bad.request");
        }
    }
}

#[tokio::test]
async fn listing_10000_queues_in_pages_of_500_is_fast() {
    let (app, token) = app_and_token(seed_with_queues(10_000)).await;
    let started = Instant::now();
    let mut seen = 0;
    for page in 1..=20 {
        let reply = app
            .call(
                &token,
                Method::GET,
                &format!("/api/v2/routing/queues?pageNumber={page}&pageSize=500"),
                &[],
                None,
            )
            .await;
        seen += reply.body["entities"].as_array().unwrap().len();
    }
    assert_eq!(seen, 10_000);
    // Generous for an unoptimized build on a small machine; a quadratic store takes far longer.
    assert!(
        started.elapsed().as_secs_f64() < 10.0,
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn skills_are_listed_with_ids_and_state_in_pages() {
    let (app, token) = app_and_token(small_seed()).await;
    let reply = app
        .call(
            &token,
            Method::GET,
            "/api/v2/routing/skills?pageNumber=2&pageSize=1",
            &[],
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["total"], 2);
    assert_eq!(reply.body["pageCount"], 2);
    let skill = &reply.body["entities"][0];
    assert_eq!(skill["name"], "billing");
    assert_eq!(skill["state"], "active");
    assert!(skill["id"].as_str().is_some_and(|s| !s.is_empty()));
}

#[tokio::test]
async fn get_one_queue_answers_it_with_an_etag_of_its_version() {
    let (app, token) = app_and_token(small_seed()).await;
    let id = app.id_of("A");
    let reply = app
        .call(&token, Method::GET, &queue_url(&id), &[], None)
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.headers["etag"], "\"1\"");
    assert_eq!(reply.body["version"], 1);
    assert_eq!(reply.body["name"], "A");
    assert_eq!(reply.body["overflow"]["targetId"], json!(app.id_of("B")));
    assert_eq!(reply.body["division"]["name"], "Home");
    assert_eq!(reply.body["modifiedBy"], "seed");
    let missing = app
        .call(&token, Method::GET, &queue_url("no-such-id"), &[], None)
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.body, json!({"code": "not.found"}));
}

#[tokio::test]
async fn put_without_if_match_answers_428() {
    let (app, token) = app_and_token(small_seed()).await;
    let id = app.id_of("B");
    let reply = app
        .call(
            &token,
            Method::PUT,
            &queue_url(&id),
            &[],
            Some(queue_body("B")),
        )
        .await;
    assert_eq!(reply.status, StatusCode::PRECONDITION_REQUIRED);
    assert_eq!(reply.body, json!({"code": "precondition.required"}));
    assert_eq!(app.state.queue_by_name("B").unwrap()["version"], 1);
}

#[tokio::test]
async fn put_with_stale_if_match_answers_409_with_current_version() {
    let (app, token) = app_and_token(small_seed()).await;
    let id = app.id_of("B");
    app.state
        .edit_queue(
            "B",
            "description",
            json!("someone else"),
            "other@example.com",
        )
        .unwrap();
    let reply = app
        .call(
            &token,
            Method::PUT,
            &queue_url(&id),
            &[("if-match", "\"1\"")],
            Some(queue_body("B")),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert_eq!(reply.body, json!({"code": "conflict", "currentVersion": 2}));
    assert_eq!(
        app.state.queue_by_name("B").unwrap()["description"],
        "someone else"
    );
}

#[tokio::test]
async fn put_with_current_if_match_quoted_or_bare_bumps_the_version_each_time() {
    let (app, token) = app_and_token(small_seed()).await;
    let id = app.id_of("B");
    let first = app
        .call(
            &token,
            Method::PUT,
            &queue_url(&id),
            &[("if-match", "\"1\"")],
            Some(queue_body("B")),
        )
        .await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);
    assert_eq!(first.body["version"], 2);
    assert_eq!(first.headers["etag"], "\"2\"");
    assert_eq!(first.body["modifiedBy"], "cxqueues-demo");
    let second = app
        .call(
            &token,
            Method::PUT,
            &queue_url(&id),
            &[("if-match", "2")],
            Some(queue_body("B")),
        )
        .await;
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(second.body["version"], 3);
    // The same write again (a retry after a lost response) never applies twice.
    let replay = app
        .call(
            &token,
            Method::PUT,
            &queue_url(&id),
            &[("if-match", "2")],
            Some(queue_body("B")),
        )
        .await;
    assert_eq!(replay.status, StatusCode::CONFLICT);
    assert_eq!(replay.body["currentVersion"], 3);
}

#[tokio::test]
async fn put_ignores_server_owned_fields_in_the_body() {
    let (app, token) = app_and_token(small_seed()).await;
    let id = app.id_of("B");
    let mut body = queue_body("B");
    body["id"] = json!("forged-id");
    body["version"] = json!(99);
    body["modifiedBy"] = json!("forger");
    body["dateModified"] = json!("1999-01-01T00:00:00Z");
    let reply = app
        .call(
            &token,
            Method::PUT,
            &queue_url(&id),
            &[("if-match", "1")],
            Some(body),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["id"], json!(id));
    assert_eq!(reply.body["version"], 2);
    assert_eq!(reply.body["modifiedBy"], "cxqueues-demo");
    assert_ne!(reply.body["dateModified"], "1999-01-01T00:00:00Z");
}

#[tokio::test]
async fn put_replaces_the_whole_queue_keeping_unknown_fields_sent_and_erasing_the_rest() {
    let (app, token) = app_and_token(small_seed()).await;
    let id = app.id_of("A");
    let current = app.state.queue_by_name("A").unwrap();
    // Send back what we read, with an extra field, without `description`.
    let mut body = current.clone();
    body["someFutureField"] = json!({"nested": [1, 2]});
    body.as_object_mut().unwrap().remove("description");
    let reply = app
        .call(
            &token,
            Method::PUT,
            &queue_url(&id),
            &[("if-match", "1")],
            Some(body),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let stored = app.state.queue_by_name("A").unwrap();
    assert_eq!(stored["someFutureField"], json!({"nested": [1, 2]}));
    assert_eq!(stored["wrapUp"], current["wrapUp"]);
    assert_eq!(stored["division"], current["division"]);
    assert!(stored.get("description").is_none(), "{stored}");
    // A PUT that leaves out `division` erases it.
    let mut body = stored.clone();
    body.as_object_mut().unwrap().remove("division");
    let reply = app
        .call(
            &token,
            Method::PUT,
            &queue_url(&id),
            &[("if-match", "2")],
            Some(body),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        app.state
            .queue_by_name("A")
            .unwrap()
            .get("division")
            .is_none()
    );
}

#[tokio::test]
async fn put_with_several_invalid_values_answers_400_listing_every_reason() {
    let (app, token) = app_and_token(small_seed()).await;
    let id = app.id_of("B");
    let reqs: Vec<Value> = (0..11)
        .map(|_| json!({"skill": "language:en", "proficiency": "advanced"}))
        .collect();
    let body = json!({
        "name": "x".repeat(65),
        "description": "d".repeat(513),
        "skillRequirements": reqs,
        "serviceLevelTarget": {"threshold": 101, "time": 0},
        "overflow": {"enabled": true, "targetId": id, "waitTime": 29},
        "maxWaitTime": 601,
        "maxWaiters": 0,
    });
    let reply = app
        .call(
            &token,
            Method::PUT,
            &queue_url(&id),
            &[("if-match", "1")],
            Some(body),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.body["code"], "bad.request");
    let errors: Vec<&str> = reply.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    for field in [
        "name:",
        "description:",
        "skillRequirements: at most 10",
        "serviceLevelTarget.threshold:",
        "serviceLevelTarget.time:",
        "overflow.targetId: a queue cannot overflow to itself",
        "overflow.waitTime:",
        "maxWaitTime:",
        "maxWaiters:",
    ] {
        assert!(
            errors.iter().any(|e| e.starts_with(field)),
            "no {field} in {errors:#?}"
        );
    }
    assert_eq!(app.state.queue_by_name("B").unwrap()["version"], 1);
}

#[tokio::test]
async fn unknown_skill_and_bad_proficiency_answer_400() {
    let (app, token) = app_and_token(small_seed()).await;
    let mut body = queue_body("New");
    body["skillRequirements"] = json!([
        {"skill": "language:xx", "proficiency": "advanced"},
        {"skill": "billing", "proficiency": "guru"},
    ]);
    let reply = app
        .call(
            &token,
            Method::POST,
            "/api/v2/routing/queues",
            &[],
            Some(body),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let errors = reply.body["errors"].to_string();
    assert!(
        errors.contains("unknown skill \\\"language:xx\\\""),
        "{errors}"
    );
    assert!(
        errors.contains("skillRequirements[1].proficiency"),
        "{errors}"
    );
}

#[tokio::test]
async fn max_waiters_above_the_license_answers_400() {
    let (app, token) = app_and_token(small_seed()).await;
    let mut body = queue_body("Big");
    body["maxWaiters"] = json!(61);
    let reply = app
        .call(
            &token,
            Method::POST,
            "/api/v2/routing/queues",
            &[],
            Some(body.clone()),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.body["errors"],
        json!(["maxWaiters: 61 is above the licensed maximum of 60"])
    );
    body["maxWaiters"] = json!(60);
    let ok = app
        .call(
            &token,
            Method::POST,
            "/api/v2/routing/queues",
            &[],
            Some(body),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED);
    app.state.set_license(License { max_waiters: 100 });
    let mut body = queue_body("Bigger");
    body["maxWaiters"] = json!(100);
    let ok = app
        .call(
            &token,
            Method::POST,
            "/api/v2/routing/queues",
            &[],
            Some(body),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED);
}

#[tokio::test]
async fn overflow_to_a_missing_queue_or_to_itself_answers_400() {
    let (app, token) = app_and_token(small_seed()).await;
    let mut body = queue_body("New");
    body["overflow"] = json!({"enabled": true, "targetId": "missing", "waitTime": 60});
    let reply = app
        .call(
            &token,
            Method::POST,
            "/api/v2/routing/queues",
            &[],
            Some(body),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.body["errors"],
        json!(["overflow.targetId: no queue has id \"missing\""])
    );
    let id = app.id_of("B");
    let mut body = queue_body("B");
    body["overflow"] = json!({"enabled": true, "targetId": id, "waitTime": 60});
    let reply = app
        .call(
            &token,
            Method::PUT,
            &queue_url(&id),
            &[("if-match", "1")],
            Some(body),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.body["errors"],
        json!(["overflow.targetId: a queue cannot overflow to itself"])
    );
}

#[tokio::test]
async fn overflow_cycles_are_not_checked() {
    let (app, token) = app_and_token(small_seed()).await;
    // A already overflows to B; make B overflow to A.
    let (a, b) = (app.id_of("A"), app.id_of("B"));
    let mut body = queue_body("B");
    body["overflow"] = json!({"enabled": true, "targetId": a, "waitTime": 60});
    let reply = app
        .call(
            &token,
            Method::PUT,
            &queue_url(&b),
            &[("if-match", "1")],
            Some(body),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
}

#[tokio::test]
async fn put_renaming_onto_another_queues_name_answers_400() {
    let (app, token) = app_and_token(small_seed()).await;
    let id = app.id_of("B");
    let reply = app
        .call(
            &token,
            Method::PUT,
            &queue_url(&id),
            &[("if-match", "1")],
            Some(queue_body("C")),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.body["errors"],
        json!(["name: a queue named \"C\" already exists"])
    );
}

#[tokio::test]
async fn post_creates_a_queue_at_version_1_with_a_location() {
    let (app, token) = app_and_token(small_seed()).await;
    let reply = app
        .call(
            &token,
            Method::POST,
            "/api/v2/routing/queues",
            &[],
            Some(queue_body("New")),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    let id = reply.body["id"].as_str().unwrap();
    assert_eq!(reply.body["version"], 1);
    assert_eq!(
        reply.headers["location"],
        format!("/api/v2/routing/queues/{id}")
    );
    assert_eq!(reply.body["division"]["name"], "Home");
    assert_eq!(reply.body["modifiedBy"], "cxqueues-demo");
    assert_eq!(app.state.queue(id).unwrap()["name"], "New");
    let list = app
        .call(&token, Method::GET, "/api/v2/routing/queues", &[], None)
        .await;
    assert_eq!(list.body["total"], 4);
    assert_eq!(list.body["entities"][3]["name"], "New");
}

#[tokio::test]
async fn post_with_a_taken_name_answers_409_name_taken() {
    let (app, token) = app_and_token(small_seed()).await;
    let reply = app
        .call(
            &token,
            Method::POST,
            "/api/v2/routing/queues",
            &[],
            Some(queue_body("A")),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert_eq!(reply.body, json!({"code": "name.taken"}));
    assert_eq!(app.state.queues().len(), 3);
}

#[tokio::test]
async fn post_with_invalid_json_answers_400() {
    let (app, token) = app_and_token(small_seed()).await;
    let reply = app
        .call(
            &token,
            Method::POST,
            "/api/v2/routing/queues",
            &[],
            Some(json!([1, 2])),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.body["errors"], json!(["body: must be a JSON object"]));
}

#[tokio::test]
async fn delete_is_refused_while_another_queue_overflows_to_it() {
    let (app, token) = app_and_token(small_seed()).await;
    let b = app.id_of("B");
    let reply = app
        .call(
            &token,
            Method::DELETE,
            &queue_url(&b),
            &[("if-match", "1")],
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.body["errors"],
        json!(["queue \"A\" overflows to this queue"])
    );
    assert!(app.state.queue_by_name("B").is_some());
}

#[tokio::test]
async fn delete_needs_a_current_if_match_and_then_answers_204() {
    let (app, token) = app_and_token(small_seed()).await;
    let c = app.id_of("C");
    let none = app
        .call(&token, Method::DELETE, &queue_url(&c), &[], None)
        .await;
    assert_eq!(none.status, StatusCode::PRECONDITION_REQUIRED);
    let stale = app
        .call(
            &token,
            Method::DELETE,
            &queue_url(&c),
            &[("if-match", "\"5\"")],
            None,
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(stale.body["currentVersion"], 1);
    let ok = app
        .call(
            &token,
            Method::DELETE,
            &queue_url(&c),
            &[("if-match", "\"1\"")],
            None,
        )
        .await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT);
    assert!(app.state.queue_by_name("C").is_none());
    let gone = app
        .call(
            &token,
            Method::DELETE,
            &queue_url(&c),
            &[("if-match", "1")],
            None,
        )
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    // The name is free again.
    let again = app
        .call(
            &token,
            Method::POST,
            "/api/v2/routing/queues",
            &[],
            Some(queue_body("C")),
        )
        .await;
    assert_eq!(again.status, StatusCode::CREATED);
}

#[tokio::test]
async fn unknown_routes_answer_404_not_found() {
    let (app, token) = app_and_token(small_seed()).await;
    let reply = app
        .call(&token, Method::GET, "/api/v2/routing/nothing", &[], None)
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.body, json!({"code": "not.found"}));
}

#[tokio::test]
async fn post_leaving_out_managed_fields_gets_the_tenants_defaults() {
    let (app, token) = app_and_token(small_seed()).await;
    let reply = app
        .call(
            &token,
            Method::POST,
            "/api/v2/routing/queues",
            &[],
            Some(json!({"name": "Minimal"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    assert_eq!(
        reply.body["serviceLevelTarget"],
        json!({"threshold": 80, "time": 20})
    );
    assert_eq!(reply.body["skillRequirements"], json!([]));
    assert_eq!(reply.body["overflow"], Value::Null);
    assert_eq!(reply.body["maxWaitTime"], 300);
    assert_eq!(reply.body["maxWaiters"], 10);
}

#[tokio::test]
async fn put_leaving_out_a_managed_field_answers_400_required() {
    let (app, token) = app_and_token(small_seed()).await;
    let id = app.id_of("B");
    let mut body = queue_body("B");
    body.as_object_mut().unwrap().remove("maxWaitTime");
    let reply = app
        .call(
            &token,
            Method::PUT,
            &queue_url(&id),
            &[("if-match", "1")],
            Some(body),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.body["errors"], json!(["maxWaitTime: required"]));
}
