//! Lists and writes that lie (issue 24, Genesys items 1, 3, 4 and 5) and lists that page by
//! `pageCount` (issue 19), against scripted answers.

use std::time::Duration;

use genesys_cloud::{Config, GenesysTenant};
use serde_json::{Value, json};
use tenant::{Queue, Tenant, TenantError};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const QUEUES: &str = "/api/v2/routing/queues";
const A: &str = "5b0f6b8e-0b5a-4a53-9a3e-0a3f4c1d2e11";
const B: &str = "5b0f6b8e-0b5a-4a53-9a3e-0a3f4c1d2e12";
const C: &str = "5b0f6b8e-0b5a-4a53-9a3e-0a3f4c1d2e13";

async fn server() -> (MockServer, GenesysTenant) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"access_token": "tok", "token_type": "bearer", "expires_in": 86400}),
        ))
        .mount(&server)
        .await;
    let mut c = Config::loopback(server.uri(), "id", "secret");
    c.requests_per_second = 1000.0;
    c.retry_step = Duration::from_millis(10);
    let client = GenesysTenant::new(c).unwrap();
    (server, client)
}

fn queue(id: &str, name: &str) -> Value {
    json!({"id": id, "name": name, "description": "d",
           "mediaSettings": {"call": {"serviceLevel": {"percentage": 0.8, "durationMs": 20000}}}})
}

fn page(number: u32, count: u64, entities: Vec<Value>) -> Value {
    json!({"entities": entities, "pageSize": 2, "pageNumber": number, "pageCount": count})
}

async fn on_page(server: &MockServer, number: u32, body: Value) {
    Mock::given(method("GET"))
        .and(path(QUEUES))
        .and(query_param("pageNumber", number.to_string()))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

async fn gets(server: &MockServer) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.method.as_str() == "GET" && r.url.path() == QUEUES)
        .collect()
}

#[tokio::test]
async fn a_list_that_serves_the_same_full_page_forever_is_refused_at_page_2_after_one_more_listing()
{
    let (server, client) = server().await;
    Mock::given(method("GET"))
        .and(path(QUEUES))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(
            1,
            1_000_000_000,
            vec![queue(A, "A"), queue(B, "B")],
        )))
        .mount(&server)
        .await;
    let err = client.list_queues().await.unwrap_err();
    assert!(
        matches!(&err, TenantError::Transport { message, .. } if message.contains("page 2 repeats id")),
        "{err}"
    );
    assert_eq!(gets(&server).await.len(), 4, "two listings of two pages");
}

#[tokio::test]
async fn a_later_page_that_repeats_an_id_under_another_name_is_refused_after_listing_once_more() {
    let (server, client) = server().await;
    on_page(
        &server,
        1,
        page(1, 2, vec![queue(A, "Ours"), queue(B, "B")]),
    )
    .await;
    on_page(&server, 2, page(2, 2, vec![queue(A, "Theirs")])).await;
    let err = client.list_queues().await.unwrap_err();
    assert!(
        err.to_string().contains("\"Theirs\"") && err.to_string().contains("\"Ours\""),
        "{err}"
    );
    assert_eq!(gets(&server).await.len(), 4);
}

#[tokio::test]
async fn a_queue_renamed_while_we_page_is_read_from_the_second_listing() {
    let (server, client) = server().await;
    // The first listing sees A twice (renamed between the pages); the second is consistent.
    Mock::given(method("GET"))
        .and(path(QUEUES))
        .and(query_param("pageNumber", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(
            2,
            2,
            vec![queue(A, "Renamed")],
        )))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    on_page(&server, 2, page(2, 2, vec![queue(C, "C")])).await;
    on_page(
        &server,
        1,
        page(1, 2, vec![queue(A, "Renamed"), queue(B, "B")]),
    )
    .await;
    let names: Vec<String> = client
        .list_queues()
        .await
        .unwrap()
        .into_iter()
        .map(|q| q.name)
        .collect();
    assert_eq!(names, ["Renamed", "B", "C"]);
}

#[tokio::test]
async fn a_server_that_serves_fewer_than_asked_is_read_to_its_page_count() {
    let (server, client) = server().await;
    on_page(&server, 1, page(1, 3, vec![queue(A, "A")])).await;
    on_page(&server, 2, page(2, 3, vec![queue(B, "B")])).await;
    on_page(&server, 3, page(3, 3, vec![queue(C, "C")])).await;
    assert_eq!(client.list_queues().await.unwrap().len(), 3);
    let sizes: Vec<String> = gets(&server)
        .await
        .iter()
        .filter_map(|r| {
            r.url
                .query_pairs()
                .find(|(k, _)| k == "pageSize")
                .map(|(_, v)| v.into_owned())
        })
        .collect();
    assert_eq!(sizes, ["500", "500", "500"]);
}

#[tokio::test]
async fn a_queue_whose_id_cannot_be_read_is_listed_with_its_problem_not_dropped() {
    let (server, client) = server().await;
    on_page(
        &server,
        1,
        page(
            1,
            1,
            vec![queue(A, "A"), json!({"id": 12345, "name": "Odd"})],
        ),
    )
    .await;
    let all = client.listing().await.unwrap();
    let odd = all.iter().find(|q| q.name() == "Odd").expect("named");
    let tenant::Listed::Unreadable(odd) = odd else {
        panic!("{odd:?}")
    };
    assert!(odd.problem.contains("12345"));
    assert_eq!(
        all.iter()
            .filter(|q| matches!(q, tenant::Listed::Queue(_)))
            .count(),
        1
    );
}

#[tokio::test]
async fn a_put_answered_200_with_the_old_queue_is_not_a_success() {
    let (server, client) = server().await;
    Mock::given(method("PUT"))
        .and(path(format!("{QUEUES}/{A}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(queue(A, "A")))
        .mount(&server)
        .await;
    let base = genesys_cloud::wire::to_neutral(queue(A, "A").as_object().unwrap().clone());
    let mut changed = base.clone();
    changed.description = Some("new".into());
    let err = client
        .update_queue(A, &base, &changed, None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("description"), "{err}");
    // The same answer to a PUT that changed nothing managed is fine.
    let same: Queue = client.update_queue(A, &base, &base, None).await.unwrap();
    assert_eq!(same.description.as_deref(), Some("d"));
}

#[tokio::test]
async fn a_403_on_the_skills_list_names_routing_skill_view() {
    let (server, client) = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/routing/skills"))
        .respond_with(ResponseTemplate::new(403).set_body_json(
            json!({"message": "You are missing the following permission(s)", "code": "missing.permissions", "status": 403}),
        ))
        .mount(&server)
        .await;
    let err = client.list_skills().await.unwrap_err();
    assert!(
        matches!(&err, TenantError::Forbidden { reason } if reason.contains("routing:skill:view")),
        "{err}"
    );
}

#[tokio::test]
async fn a_new_skill_group_is_posted_with_the_published_body_before_the_queue_that_references_it() {
    let (server, client) = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/routing/skillgroups"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"entities": [
                {"id": "g-other", "name": "Someone else's"}
            ]})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v2/routing/skillgroups"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"id": "g-new", "name": "cxqueues: A", "skillConditions": []}),
            ),
        )
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path(format!("{QUEUES}/{A}")))
        .respond_with(|req: &Request| ResponseTemplate::new(200).set_body_bytes(req.body.clone()))
        .mount(&server)
        .await;
    let mut read = queue(A, "A");
    read["memberGroups"] = json!([{"id": "team-1", "name": "Night", "type": "TEAM"}]);
    let base = genesys_cloud::wire::to_neutral(read.as_object().unwrap().clone());
    let mut changed = base.clone();
    changed.skill_requirements = Some(vec![tenant::SkillRequirement {
        skill: "language:en".into(),
        proficiency: model::Proficiency::Advanced,
        required: true,
    }]);
    client.update_queue(A, &base, &changed, None).await.unwrap();
    let sent = server.received_requests().await.unwrap();
    let order: Vec<String> = sent
        .iter()
        .filter(|r| r.method.as_str() != "POST" || r.url.path() != "/oauth/token")
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect();
    assert_eq!(
        order,
        [
            "GET /api/v2/routing/skillgroups",
            "POST /api/v2/routing/skillgroups",
            &format!("PUT {QUEUES}/{A}")
        ]
    );
    let post: Value = serde_json::from_slice(
        &sent
            .iter()
            .find(|r| r.method.as_str() == "POST" && r.url.path().ends_with("skillgroups"))
            .unwrap()
            .body,
    )
    .unwrap();
    assert_eq!(
        post,
        json!({"name": "cxqueues: A", "skillConditions": [{"routingSkillConditions": [{
            "routingSkill": "language:en", "comparator": "GreaterThanOrEqualTo", "proficiency": 4,
            "childConditions": []}], "languageSkillConditions": [], "operation": "And"}]})
    );
    let put: Value = serde_json::from_slice(&sent.last().unwrap().body).unwrap();
    assert_eq!(
        put["memberGroups"],
        json!([{"id": "team-1", "name": "Night", "type": "TEAM"}, {"id": "g-new", "type": "SKILLGROUP"}])
    );
}
