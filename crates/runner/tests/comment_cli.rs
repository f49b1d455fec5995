//! `cxqueues comment` through the real binary, against a GitHub API fake on loopback (a small
//! axum app holding the comments of each pull request, with scripted refusals).

mod common;

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch};
use serde_json::{Value, json};

const TOKEN: &str = "ghs_Fake0Token0That0Must0Never0Show";
const REPO: &str = "octo/queues";

/// A refusal served instead of the next request: status, headers, body.
type Scripted = (u16, Vec<(&'static str, String)>, Value);

#[derive(Default)]
struct Fake {
    /// Comments per issue number, oldest first: (id, body).
    issues: Mutex<BTreeMap<u64, Vec<(u64, String)>>>,
    next_id: Mutex<u64>,
    script: Mutex<VecDeque<Scripted>>,
    /// `METHOD path?query` of every request, in order.
    log: Mutex<Vec<String>>,
}

impl Fake {
    fn comments(&self, issue: u64) -> Vec<(u64, String)> {
        self.issues
            .lock()
            .unwrap()
            .get(&issue)
            .cloned()
            .unwrap_or_default()
    }

    fn marked(&self, issue: u64, tenant: &str) -> Vec<(u64, String)> {
        let m = format!("<!-- cxqueues:plan tenant={tenant} -->\n");
        self.comments(issue)
            .into_iter()
            .filter(|(_, b)| b.starts_with(&m))
            .collect()
    }

    fn add(&self, issue: u64, body: String) -> u64 {
        let mut next = self.next_id.lock().unwrap();
        *next += 1;
        let id = *next;
        self.issues
            .lock()
            .unwrap()
            .entry(issue)
            .or_default()
            .push((id, body));
        id
    }

    fn script(&self, s: Scripted) {
        self.script.lock().unwrap().push_back(s);
    }

    fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// A scripted answer, or a 401 without the token.
    fn gate(&self, what: String, headers: &HeaderMap) -> Option<Response> {
        self.log.lock().unwrap().push(what);
        if let Some((status, hs, body)) = self.script.lock().unwrap().pop_front() {
            let mut r = (StatusCode::from_u16(status).unwrap(), Json(body)).into_response();
            for (k, v) in hs {
                r.headers_mut().insert(k, v.parse().unwrap());
            }
            return Some(r);
        }
        let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
        if auth != Some(&format!("Bearer {TOKEN}")) {
            return Some(
                (
                    StatusCode::UNAUTHORIZED,
                    Json(json!({"message": "Bad credentials"})),
                )
                    .into_response(),
            );
        }
        None
    }
}

/// A comment as GitHub lists it; every comment of the fake is by the Actions token's identity
/// (its `GET /user` answers 403, as for a workflow's token).
fn wire(id: u64, body: &str) -> Value {
    json!({"id": id, "body": body, "user": {"login": "github-actions[bot]"}, "html_url": format!("https://github.test/{REPO}/pull/7#issuecomment-{id}")})
}

/// `GET /user` for the Actions token: 403 (not logged, never scripted).
async fn user() -> Response {
    (
        StatusCode::FORBIDDEN,
        Json(json!({"message": "Resource not accessible by integration"})),
    )
        .into_response()
}

async fn list(
    State((fake, base)): State<(Arc<Fake>, String)>,
    UrlPath((owner, name, issue)): UrlPath<(String, String, u64)>,
    Query(q): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let page: usize = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    let per: usize = q.get("per_page").and_then(|p| p.parse().ok()).unwrap_or(30);
    if let Some(r) = fake.gate(format!("GET {issue} page={page} per_page={per}"), &headers) {
        return r;
    }
    let all = fake.comments(issue);
    let items: Vec<Value> = all
        .iter()
        .skip((page - 1) * per)
        .take(per)
        .map(|(id, b)| wire(*id, b))
        .collect();
    let mut r = Json(items).into_response();
    if page * per < all.len() {
        let next = format!(
            "<{base}/repos/{owner}/{name}/issues/{issue}/comments?per_page={per}&page={}>; rel=\"next\"",
            page + 1
        );
        r.headers_mut().insert("link", next.parse().unwrap());
    }
    r
}

async fn create(
    State((fake, _)): State<(Arc<Fake>, String)>,
    UrlPath((_, _, issue)): UrlPath<(String, String, u64)>,
    headers: HeaderMap,
    Json(v): Json<Value>,
) -> Response {
    if let Some(r) = fake.gate(format!("POST {issue}"), &headers) {
        return r;
    }
    let body = v["body"].as_str().unwrap_or_default().to_string();
    let id = fake.add(issue, body.clone());
    (StatusCode::CREATED, Json(wire(id, &body))).into_response()
}

async fn update(
    State((fake, _)): State<(Arc<Fake>, String)>,
    UrlPath((_, _, id)): UrlPath<(String, String, u64)>,
    headers: HeaderMap,
    Json(v): Json<Value>,
) -> Response {
    if let Some(r) = fake.gate(format!("PATCH {id}"), &headers) {
        return r;
    }
    let body = v["body"].as_str().unwrap_or_default().to_string();
    let mut issues = fake.issues.lock().unwrap();
    for comments in issues.values_mut() {
        if let Some(c) = comments.iter_mut().find(|(cid, _)| *cid == id) {
            c.1 = body.clone();
            return Json(wire(id, &body)).into_response();
        }
    }
    (StatusCode::NOT_FOUND, Json(json!({"message": "Not Found"}))).into_response()
}

/// Serves the fake on a loopback port; returns it and its base URL.
async fn github() -> (Arc<Fake>, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let fake = Arc::new(Fake::default());
    let app = axum::Router::new()
        .route(
            "/repos/{owner}/{name}/issues/{issue}/comments",
            get(list).post(create),
        )
        .route("/repos/{owner}/{name}/issues/comments/{id}", patch(update))
        .route("/user", get(user))
        .with_state((fake.clone(), base.clone()));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (fake, base)
}

fn change(i: usize) -> Value {
    json!({
        "name": format!("Queue {i:05}"),
        "id": format!("id-{i}"),
        "action": "update",
        "version": 3,
        "fields": [{"path": "maxWaitTime", "before": 300, "after": 240 + (i % 7)}],
        "file": format!("queues/q{i:05}.yaml"),
        "desired": {"name": format!("Queue {i:05}"), "maxWaitTime": 240 + (i % 7)}
    })
}

/// A saved plan (`plan --out`) for `tenant` at `commit` with `n` updates.
fn plan_file(dir: &Path, tenant: &str, commit: &str, n: usize) -> PathBuf {
    let doc = json!({
        "formatVersion": 1,
        "summary": {"create": 0, "update": n, "delete": 0, "unchanged": 4, "unmanaged": 0},
        "changes": (0..n).map(change).collect::<Vec<_>>(),
        "unchanged": [], "unmanaged": [], "ids": {},
        "tenant": tenant, "commit": commit, "simulated": false, "status": "valid"
    });
    let p = dir.join(format!("{tenant}-{commit}-{n}.json"));
    std::fs::write(&p, serde_json::to_string(&doc).unwrap()).unwrap();
    p
}

fn comment(base: &str, plan: &Path, extra: &[&str]) -> Output {
    common::cxqueues_bin()
        .args(["comment", "--plan"])
        .arg(plan)
        .args(extra)
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_REPOSITORY", REPO)
        .env("GITHUB_API_URL", base)
        .env_remove("GITHUB_EVENT_PATH")
        .env("RUST_LOG", "trace")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Every run: the token shows nowhere, not even in the trace log.
fn no_token(o: &Output) {
    assert!(!text(o).contains(TOKEN), "the token leaked:\n{}", text(o));
}

const SHA_A: &str = "aaaaaaa1111111111111111111111111111111111";
const SHA_B: &str = "bbbbbbb2222222222222222222222222222222222";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_run_creates_and_the_second_updates_the_same_comment() {
    let (fake, base) = github().await;
    let dir = tempfile::tempdir().unwrap();
    fake.add(7, "Looks good to me".into());
    let first = comment(
        &base,
        &plan_file(dir.path(), "acme", SHA_A, 2),
        &["--pr", "7"],
    );
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    no_token(&first);
    assert!(String::from_utf8_lossy(&first.stderr).contains("Created"));
    let created = fake.marked(7, "acme");
    assert_eq!(created.len(), 1);
    assert!(
        created[0].1.contains("commit `aaaaaaa`"),
        "{}",
        created[0].1
    );

    let second = comment(
        &base,
        &plan_file(dir.path(), "acme", SHA_B, 3),
        &["--pr", "7"],
    );
    assert_eq!(second.status.code(), Some(0), "{}", text(&second));
    no_token(&second);
    assert!(String::from_utf8_lossy(&second.stderr).contains("Updated"));
    let now = fake.marked(7, "acme");
    assert_eq!(now.len(), 1, "never a second comment for the same tenant");
    assert_eq!(now[0].0, created[0].0, "the same comment id");
    assert!(now[0].1.contains("commit `bbbbbbb`") && now[0].1.contains("3 to update"));
    assert_eq!(
        fake.comments(7).len(),
        2,
        "the reviewer's comment is untouched"
    );
    assert!(fake.requests().iter().any(|r| r.starts_with("PATCH ")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_marked_comment_on_the_second_page_of_150_is_found_and_updated() {
    let (fake, base) = github().await;
    let dir = tempfile::tempdir().unwrap();
    for i in 0..150 {
        let body = if i == 120 {
            format!("<!-- cxqueues:plan tenant=acme -->\nold plan {i}")
        } else {
            format!("comment {i}")
        };
        fake.add(7, body);
    }
    let out = comment(
        &base,
        &plan_file(dir.path(), "acme", SHA_A, 1),
        &["--pr", "7"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(fake.comments(7).len(), 150, "nothing created");
    let marked = fake.marked(7, "acme");
    assert_eq!(marked.len(), 1);
    assert_eq!(marked[0].0, 121, "the 121st comment, on page 2");
    assert!(marked[0].1.contains("1 to update"));
    let reqs = fake.requests();
    assert!(
        reqs.contains(&"GET 7 page=1 per_page=100".to_string()),
        "{reqs:?}"
    );
    assert!(
        reqs.contains(&"GET 7 page=2 per_page=100".to_string()),
        "{reqs:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_tenants_on_one_pull_request_keep_a_comment_each() {
    let (fake, base) = github().await;
    let dir = tempfile::tempdir().unwrap();
    for (tenant, n) in [("acme-us", 1), ("acme-eu", 2), ("acme-us", 3)] {
        let out = comment(
            &base,
            &plan_file(dir.path(), tenant, SHA_A, n),
            &["--pr", "7"],
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
    assert_eq!(fake.comments(7).len(), 2);
    assert!(fake.marked(7, "acme-us")[0].1.contains("3 to update"));
    assert!(fake.marked(7, "acme-eu")[0].1.contains("2 to update"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_plan_updates_the_comment_to_no_changes_with_the_commit() {
    let (fake, base) = github().await;
    let dir = tempfile::tempdir().unwrap();
    comment(
        &base,
        &plan_file(dir.path(), "acme", SHA_A, 2),
        &["--pr", "7"],
    );
    let out = comment(
        &base,
        &plan_file(dir.path(), "acme", SHA_B, 0),
        &["--pr", "7"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let marked = fake.marked(7, "acme");
    assert_eq!(marked.len(), 1, "kept, not deleted");
    assert!(
        marked[0]
            .1
            .contains("No changes. The tenant matches the repository at commit `bbbbbbb`."),
        "{}",
        marked[0].1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_5000_queue_plan_posts_at_most_65536_characters_and_logs_the_whole_plan() {
    let (fake, base) = github().await;
    let dir = tempfile::tempdir().unwrap();
    let out = comment(
        &base,
        &plan_file(dir.path(), "acme", SHA_A, 5000),
        &["--pr", "7"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let body = &fake.marked(7, "acme")[0].1;
    assert!(
        body.chars().count() <= 65_536,
        "{} characters",
        body.chars().count()
    );
    assert!(body.contains("**Plan: 0 to create, 5000 to update"));
    let said: usize = body
        .split("**")
        .find_map(|s| s.strip_suffix(" more queues changed; the full plan is in the job log"))
        .and_then(|n| n.parse().ok())
        .expect("says what it left out");
    assert_eq!(said + body.matches("<details>").count(), 5000);
    let log = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        log.matches("<details>").count(),
        5000,
        "the job log has all"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pull_request_comes_from_the_event_file_without_pr() {
    let (fake, base) = github().await;
    let dir = tempfile::tempdir().unwrap();
    let event = dir.path().join("event.json");
    std::fs::write(
        &event,
        r#"{"action":"opened","pull_request":{"number":31}}"#,
    )
    .unwrap();
    let out = common::cxqueues_bin()
        .args(["comment", "--plan"])
        .arg(plan_file(dir.path(), "acme", SHA_A, 1))
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_REPOSITORY", REPO)
        .env("GITHUB_API_URL", &base)
        .env("GITHUB_EVENT_PATH", &event)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(fake.marked(31, "acme").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_prints_the_body_and_says_update_without_writing() {
    let (fake, base) = github().await;
    let dir = tempfile::tempdir().unwrap();
    comment(
        &base,
        &plan_file(dir.path(), "acme", SHA_A, 1),
        &["--pr", "7"],
    );
    let before = fake.marked(7, "acme");
    let out = comment(
        &base,
        &plan_file(dir.path(), "acme", SHA_B, 4),
        &["--pr", "7", "--dry-run"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("<!-- cxqueues:plan tenant=acme -->\n### cxqueues plan"));
    assert!(stdout.contains("4 to update"));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains(&format!("Would update comment {}", before[0].0)),
        "{}",
        text(&out)
    );
    assert_eq!(fake.marked(7, "acme"), before, "nothing written");
    assert!(!fake.requests().iter().any(|r| r.starts_with("PATCH")));
}

async fn refused(status: u16, headers: Vec<(&'static str, String)>) -> Output {
    let (fake, base) = github().await;
    let dir = tempfile::tempdir().unwrap();
    fake.script((
        status,
        headers,
        json!({"message": "Resource not accessible by integration"}),
    ));
    let out = comment(
        &base,
        &plan_file(dir.path(), "acme", SHA_A, 1),
        &["--pr", "7"],
    );
    no_token(&out);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_403_or_404_exits_3_and_names_the_permission_the_workflow_needs() {
    for status in [403, 404] {
        let out = refused(status, vec![]).await;
        assert_eq!(out.status.code(), Some(3), "{}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("permissions: pull-requests: write"), "{err}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("### cxqueues plan"),
            "the job log still has the plan"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_401_says_the_token_is_invalid() {
    let out = refused(401, vec![]).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("GITHUB_TOKEN is invalid"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_is_waited_out_as_retry_after_asks_and_the_comment_is_posted() {
    let (fake, base) = github().await;
    let dir = tempfile::tempdir().unwrap();
    fake.script((
        429,
        vec![("retry-after", "1".into())],
        json!({"message": "slow down"}),
    ));
    let out = comment(
        &base,
        &plan_file(dir.path(), "acme", SHA_A, 1),
        &["--pr", "7"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    no_token(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("waiting 1s"));
    assert_eq!(fake.marked(7, "acme").len(), 1);
    let gets = fake
        .requests()
        .iter()
        .filter(|r| r.starts_with("GET"))
        .count();
    assert_eq!(gets, 2, "the limited request was sent again");
}

#[test]
fn a_missing_token_is_a_usage_error_that_says_how_to_pass_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::cxqueues_bin()
        .args(["comment", "--pr", "7", "--plan"])
        .arg(plan_file(dir.path(), "acme", SHA_A, 1))
        .env_remove("GITHUB_TOKEN")
        .env("GITHUB_REPOSITORY", REPO)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("${{ github.token }}"));
}

#[test]
fn plain_http_to_a_remote_api_is_refused_before_the_token_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let out = comment(
        "http://api.github.com",
        &plan_file(dir.path(), "acme", SHA_A, 1),
        &["--pr", "7"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback"));
    no_token(&out);
}

fn write(dir: &Path, rel: &str, body: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, body).unwrap();
}

const TENANT_DOC: &str = "apiVersion: cxqueues/v1\nkind: Tenant\nmetadata:\n  name: acme\n";

fn queue_doc(spec: &str) -> String {
    format!("apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: Support\nspec:\n{spec}")
}

/// A repository for the tenant `acme` with one queue, `Support`, of this spec; and where its
/// plan is saved.
fn repo_with(spec: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "cxqueues.yaml", TENANT_DOC);
    write(dir.path(), "queues/support.yaml", &queue_doc(spec));
    let plan = dir.path().join("plan.json");
    (dir, plan)
}

/// `cxqueues ARGS --repo DIR` with `--out`/`--plan` FILE (and apply's state beside it).
fn cxqueues(args: &[&str], dir: &Path, file_flag: &str, file: &Path) -> Command {
    let mut cmd = common::cxqueues_bin();
    cmd.args(args)
        .arg("--repo")
        .arg(dir)
        .arg(file_flag)
        .arg(file)
        .env("NO_COLOR", "1");
    if args.first() == Some(&"apply") {
        cmd.arg("--state-dir").arg(dir.join(".cxqueues"));
    }
    cmd
}

/// The environment that reaches `tenant` as a real tenant is reached.
fn real(cmd: &mut Command, tenant: &sim::SimHandle) -> Output {
    let c = tenant.client();
    cmd.env("CXONE_BASE_URL", tenant.base_url())
        .env("CXONE_CLIENT_ID", &c.client_id)
        .env("CXONE_CLIENT_SECRET", &c.client_secret)
        .output()
        .unwrap()
}

/// `comment --dry-run` without GitHub: the body it would post.
fn dry_body(plan: &Path) -> String {
    let out = common::cxqueues_bin()
        .args(["comment", "--dry-run", "--plan"])
        .arg(plan)
        .env_remove("GITHUB_TOKEN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn an_invalid_repository_saves_an_invalid_plan_that_comments_why_and_that_apply_refuses() {
    let (dir, plan) = repo_with("  maxWaitTime: 5\n");
    let out = cxqueues(&["plan", "--sim"], dir.path(), "--out", &plan)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&plan).unwrap()).unwrap();
    assert_eq!(saved["status"], "invalid");
    assert_eq!(saved["tenant"], "acme");
    assert_eq!(saved["errors"][0]["file"], "queues/support.yaml");
    assert_eq!(saved["errors"][0]["line"], 6);

    let body = dry_body(&plan);
    assert!(
        body.starts_with("<!-- cxqueues:plan tenant=acme -->\n"),
        "{body}"
    );
    assert!(
        body.contains("**The plan cannot be made: 1 error.**"),
        "{body}"
    );
    assert!(body.contains("- `queues/support.yaml:6:"), "{body}");

    // Fixed since: the fresh plan is fine, but the saved document is still refused.
    write(
        dir.path(),
        "queues/support.yaml",
        &queue_doc("  maxWaitTime: 240\n"),
    );
    let out = cxqueues(&["apply", "--sim"], dir.path(), "--plan", &plan)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is an invalid plan"), "{err}");
    assert!(err.contains("queues/support.yaml:6:"), "{err}");
    assert!(!err.contains("Plan:"), "nothing was applied: {err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_aware_error_saves_an_invalid_plan_naming_file_and_line() {
    let seed = sim::Seed {
        queues: vec![sim::SeedQueue::named("Support")],
        skills: vec!["language:en".into()],
        ..sim::Seed::default()
    };
    let tenant = sim::Sim::start(seed, sim::Faults::none()).unwrap();
    let (dir, plan) =
        repo_with("  skillRequirements:\n    - skill: language:fr\n      proficiency: expert\n");
    let out = real(
        &mut cxqueues(&["plan"], dir.path(), "--out", &plan),
        &tenant,
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let body = dry_body(&plan);
    assert!(
        body.contains("- `queues/support.yaml:7:14` unknown-skill: skill \"language:fr\" does not exist in the tenant"),
        "{body}"
    );
    assert!(!body.contains("simulated"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_made_against_the_simulator_is_not_applied_to_a_real_tenant() {
    let (dir, plan) = repo_with("  maxWaitTime: 240\n");
    let out = cxqueues(&["plan", "--sim"], dir.path(), "--out", &plan)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(dry_body(&plan).contains("· simulated tenant (`--sim`)"));

    // A tenant reached by URL and credentials, as a real one is.
    let tenant = sim::Sim::start(sim::Seed::default(), sim::Faults::none()).unwrap();
    let out = real(
        &mut cxqueues(&["apply"], dir.path(), "--plan", &plan),
        &tenant,
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("planned against the embedded simulated tenant"),
        "{}",
        text(&out)
    );
    assert!(
        tenant
            .stats()
            .requests
            .keys()
            .all(|k| !k.starts_with("POST /api")),
        "nothing created"
    );
}
