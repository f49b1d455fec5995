//! WFM webhooks (issue 6): signed events through the durable outbox, against a receiver
//! (axum on 127.0.0.1) that is down, up, rejecting, or killed mid-delivery.

use std::collections::{HashMap, HashSet};
use std::io::BufRead;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use hmac::Mac;
use model::Proficiency;
use reconcile::{Action, ApplyObserver, ApplyOptions, QueueOutcome, QueueResult, SkipReason};
use runner::cli::args::StateArgs;
use runner::recorder::Recorder;
use runner::recorder::audit::{self, RunContext};
use runner::recorder::webhooks;
use serde_json::Value;
use tenant::{Queue, Secret, ServiceLevelTarget, SkillRequirement};
use webhooks::{
    Delivery, DeliveryConfig, EnvLookup, EventBody, HookTarget, Outbox, WebhookObserver,
};

const KEY: &str = "wfm-hmac-key-7f3a9c0e5b21d4";

// ---------------------------------------------------------------------------------------
// A receiver

#[derive(Debug, Clone)]
struct Got {
    event_id_header: String,
    body: Value,
    signature_ok: bool,
    answered: u16,
}

#[derive(Clone)]
struct Receiver {
    key: String,
    got: Arc<Mutex<Vec<Got>>>,
    /// The status to answer with.
    status: Arc<AtomicU16>,
    /// Requests answered before the receiver starts hanging (usize::MAX: never hangs).
    hang_after: Arc<AtomicUsize>,
    hang: Arc<tokio::sync::Semaphore>,
}

impl Receiver {
    fn new(key: &str) -> Self {
        Self {
            key: key.to_string(),
            got: Arc::default(),
            status: Arc::new(AtomicU16::new(200)),
            hang_after: Arc::new(AtomicUsize::new(usize::MAX)),
            hang: Arc::new(tokio::sync::Semaphore::new(0)),
        }
    }

    fn got(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }

    /// Serves on `listener` (on the current runtime).
    fn serve(&self, listener: tokio::net::TcpListener) -> tokio::task::JoinHandle<()> {
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(hook))
            .with_state(self.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        })
    }

    fn release_hang(&self) {
        self.hang_after.store(usize::MAX, Ordering::SeqCst);
        self.hang.add_permits(1_000);
    }
}

async fn hook(State(rx): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let seen = rx.got.lock().unwrap().len();
    if seen >= rx.hang_after.load(Ordering::SeqCst) {
        rx.got.lock().unwrap().push(Got {
            event_id_header: header(&headers, "x-cxqueues-event-id"),
            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
            signature_ok: false,
            answered: 0,
        });
        let _ = rx.hang.acquire().await;
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(rx.key.as_bytes()).unwrap();
    mac.update(&body);
    let expect = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    let status = rx.status.load(Ordering::SeqCst);
    rx.got.lock().unwrap().push(Got {
        event_id_header: header(&headers, "x-cxqueues-event-id"),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        signature_ok: header(&headers, "x-cxqueues-signature") == expect,
        answered: status,
    });
    StatusCode::from_u16(status).unwrap()
}

fn header(h: &HeaderMap, name: &str) -> String {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// A free port, not listening yet (the receiver is "down").
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn listen(port: u16) -> tokio::net::TcpListener {
    tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap()
}

// ---------------------------------------------------------------------------------------
// Events

fn fast() -> DeliveryConfig {
    DeliveryConfig {
        timeout: Duration::from_secs(5),
        backoff_base: Duration::from_millis(20),
        backoff_cap: Duration::from_millis(200),
        dead_after: 2,
        concurrency: 4,
        rescan_every: Duration::from_millis(100),
    }
}

fn env_with(pairs: &[(&str, &str)]) -> EnvLookup {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    EnvLookup::new(move |k| map.get(k).cloned())
}

fn target(url: &str) -> HookTarget {
    HookTarget {
        url: url.to_string(),
        secret_env: "WFM_KEY".into(),
        key: Secret::new(KEY),
    }
}

fn ctx() -> RunContext {
    RunContext {
        commit_id: Some("c0ffee".into()),
        commit_author: Some("Ada <ada@example.com>".into()),
        trigger: "commit".into(),
        lease: None,
    }
}

/// An applied update of queue `name` that wrote version `version`.
fn update(name: &str, version: u64) -> QueueOutcome {
    let mut q = Queue::named(name);
    q.id = Some(format!("id-{name}"));
    q.version = Some(version);
    q.max_wait_time = Some(300);
    q.max_waiters = Some(50);
    q.service_level_target = Some(ServiceLevelTarget::whole(80, 20));
    q.skill_requirements = Some(vec![SkillRequirement {
        skill: "language:en".into(),
        proficiency: Proficiency::Advanced,
        required: true,
    }]);
    QueueOutcome {
        name: name.into(),
        id: q.id.clone(),
        action: Action::Update,
        version_before: Some(version - 1),
        conflicts: 0,
        overridden: Vec::new(),
        latency: Duration::from_millis(7),
        fields: Vec::new(),
        result: QueueResult::Applied {
            version_after: Some(version),
            written: Some(q),
        },
    }
}

/// Polls `cond` until it holds (or fails the test after a minute).
async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..3000 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("never happened: {what}");
}

/// The version of each delivered (2xx) event of each queue, in order of first arrival.
fn versions_by_queue(got: &[Got]) -> HashMap<String, Vec<u64>> {
    let mut seen = HashSet::new();
    let mut out: HashMap<String, Vec<u64>> = HashMap::new();
    for g in got.iter().filter(|g| (200..300).contains(&g.answered)) {
        if !seen.insert(g.event_id_header.clone()) {
            continue;
        }
        let q = g.body["queueName"].as_str().unwrap().to_string();
        out.entry(q)
            .or_default()
            .push(g.body["configuration"]["version"].as_u64().unwrap());
    }
    out
}

// ---------------------------------------------------------------------------------------
// Tests

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_is_down_then_up_gets_every_event_in_order_per_queue_with_a_valid_signature()
 {
    let state = tempfile::tempdir().unwrap();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/hook");
    let outbox = Arc::new(Outbox::open(state.path()).unwrap());
    let mut delivery = Delivery::new(outbox.clone(), fast(), &[target(&url)]).unwrap();
    delivery.spawn();
    // Three runs, each updating three queues.
    let mut ids = HashSet::new();
    for run in 0..3u64 {
        let obs =
            WebhookObserver::new(outbox.clone(), delivery.sender(), vec![target(&url)], ctx());
        for q in ["Billing", "Sales", "Support"] {
            obs.on_outcome(&update(q, 10 + run));
        }
    }
    for (_, ev) in outbox.pending().unwrap() {
        ids.insert(ev.event_id.to_string());
    }
    assert_eq!(
        ids.len(),
        9,
        "every event is in the outbox before any attempt succeeds"
    );

    // Down: attempts fail, and say why.
    eventually("a failed attempt recorded in the outbox", || {
        outbox.pending().unwrap().iter().any(|(_, e)| {
            e.attempts >= 1
                && e.last_error
                    .as_deref()
                    .is_some_and(|m| m.contains("connect"))
        })
    })
    .await;

    // Up.
    let receiver = Receiver::new(KEY);
    let server = receiver.serve(listen(port).await);
    let report = delivery.drain(Duration::from_secs(60)).await;
    assert_eq!(
        (report.delivered, report.pending, report.dead_lettered),
        (9, 0, 0)
    );
    assert!(outbox.pending().unwrap().is_empty());

    let got = receiver.got();
    let delivered: HashSet<String> = got.iter().map(|g| g.event_id_header.clone()).collect();
    assert_eq!(delivered, ids, "every event arrived, under its own id");
    for g in &got {
        assert!(g.signature_ok, "the HMAC verifies: {g:?}");
        assert_eq!(g.body["eventId"].as_str().unwrap(), g.event_id_header);
    }
    for (q, versions) in versions_by_queue(&got) {
        assert_eq!(versions, vec![10, 11, 12], "events of {q} in order");
    }
    server.abort();
}

#[tokio::test]
async fn the_event_carries_the_fields_of_the_issue_and_the_run_success_rate() {
    let state = tempfile::tempdir().unwrap();
    let outbox = Arc::new(Outbox::open(state.path()).unwrap());
    let delivery = Delivery::new(outbox.clone(), fast(), &[]).unwrap();
    let obs = WebhookObserver::new(
        outbox.clone(),
        delivery.sender(),
        vec![
            target("https://wfm.example.com/a"),
            target("https://wfm.example.com/b"),
        ],
        ctx(),
    );
    obs.on_outcome(&update("Billing", 5));
    let mut failed = update("Sales", 3);
    failed.result = QueueResult::Failed(tenant::TenantError::transport_message("HTTP 500"));
    obs.on_outcome(&failed);
    let mut skipped = update("Skipped", 3);
    skipped.result = QueueResult::Skipped {
        reason: SkipReason::Cycle,
    };
    obs.on_outcome(&skipped);
    let mut deleted = update("Old", 9);
    deleted.action = Action::Delete;
    deleted.result = QueueResult::Applied {
        version_after: Some(9),
        written: None,
    };
    obs.on_outcome(&deleted);

    let pending = outbox.pending().unwrap();
    assert_eq!(pending.len(), 4, "one event per URL per applied queue");
    let bodies: Vec<Value> = pending
        .iter()
        .map(|(_, e)| serde_json::from_str(&e.body).unwrap())
        .collect();
    let first = &bodies[0];
    assert_eq!(first["event"], "queue.updated");
    assert_eq!(first["queueId"], "id-Billing");
    assert_eq!(first["queueName"], "Billing");
    assert_eq!(first["commitId"], "c0ffee");
    assert!(first["timestamp"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        first["configuration"],
        serde_json::json!({"version": 5, "maxWaitTime": 300, "maxWaiters": 50,
            "serviceLevelTarget": {"threshold": 80, "time": 20}, "overflowEnabled": false,
            "skillRequirements": [{"skill": "language:en", "proficiency": "advanced", "required": true}]})
    );
    assert_eq!(first["metrics"]["updateLatencyMs"], 7);
    assert_eq!(first["metrics"]["successRate"], 1.0);
    assert_ne!(bodies[0]["eventId"], bodies[1]["eventId"], "an id per URL");
    let del = &bodies[2];
    assert_eq!(del["event"], "queue.deleted");
    assert!(del["configuration"].is_null());
    // Applied 2 of 3 attempted (the skipped queue was not attempted).
    let rate = del["metrics"]["successRate"].as_f64().unwrap();
    assert!((rate - 2.0 / 3.0).abs() < 1e-9, "{rate}");
    // The body parses as the documented type.
    let _: EventBody = serde_json::from_value(first.clone()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_event_is_dead_lettered_and_webhooks_retry_delivers_it() {
    let state = tempfile::tempdir().unwrap();
    let receiver = Receiver::new(KEY);
    receiver.status.store(400, Ordering::SeqCst);
    let listener = listen(0).await;
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let server = receiver.serve(listener);

    let outbox = Arc::new(Outbox::open(state.path()).unwrap());
    let mut delivery = Delivery::new(outbox.clone(), fast(), &[target(&url)]).unwrap();
    delivery.spawn();
    let obs = WebhookObserver::new(outbox.clone(), delivery.sender(), vec![target(&url)], ctx());
    obs.on_outcome(&update("Billing", 2));
    let report = delivery.drain(Duration::from_secs(60)).await;
    assert_eq!(
        (report.delivered, report.dead_lettered, report.pending),
        (0, 1, 0)
    );
    let dead = outbox.dead().unwrap();
    assert_eq!(dead.len(), 1);
    let (_, ev) = &dead[0];
    assert_eq!(ev.attempts, 2);
    assert!(
        ev.last_error.as_deref().unwrap().starts_with("HTTP 400"),
        "{:?}",
        ev.last_error
    );
    assert_eq!(outbox.dead_letters().len(), 1, "reported for /status");
    let id = ev.event_id.to_string();

    // `webhooks list` shows it, with its attempts and last error.
    let dir = state.path().to_str().unwrap();
    let (code, out) = cxqueues(&["webhooks", "list", "--state-dir", dir]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("pending: 0") && out.contains("dead letters: 1"),
        "{out}"
    );
    assert!(
        out.contains(&id) && out.contains("attempts 2") && out.contains("HTTP 400"),
        "{out}"
    );
    let (_, json) = cxqueues(&["webhooks", "list", "--state-dir", dir, "--format", "json"]);
    let listed: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(listed["dead"][0]["eventId"], id.as_str());

    // The receiver is fixed; retry re-queues it and the next process delivers it.
    receiver.status.store(200, Ordering::SeqCst);
    let (code, out) = cxqueues(&["webhooks", "retry", &id[..13], "--state-dir", dir]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("1 event(s) re-queued"), "{out}");
    assert!(outbox.dead().unwrap().is_empty());
    let mut delivery = Delivery::new(outbox.clone(), fast(), &[target(&url)]).unwrap();
    delivery.spawn();
    let report = delivery.drain(Duration::from_secs(60)).await;
    assert_eq!((report.delivered, report.pending), (1, 0));
    assert!(outbox.dead().unwrap().is_empty() && outbox.pending().unwrap().is_empty());
    let got = receiver.got();
    let last = got.last().unwrap();
    assert_eq!(
        (last.event_id_header.as_str(), last.answered),
        (id.as_str(), 200)
    );
    assert!(last.signature_ok);
    let (_, out) = cxqueues(&["webhooks", "retry", "--all", "--state-dir", dir]);
    assert!(out.contains("0 event(s) re-queued"), "{out}");
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_and_timeouts_408_429_503_are_retried_not_dead_lettered() {
    let state = tempfile::tempdir().unwrap();
    let receiver = Receiver::new(KEY);
    let listener = listen(0).await;
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let server = receiver.serve(listener);
    let outbox = Arc::new(Outbox::open(state.path()).unwrap());
    let mut delivery = Delivery::new(outbox.clone(), fast(), &[target(&url)]).unwrap();
    delivery.spawn();
    let obs = WebhookObserver::new(outbox.clone(), delivery.sender(), vec![target(&url)], ctx());
    for status in [429u16, 408, 503] {
        receiver.status.store(status, Ordering::SeqCst);
        let before = receiver.got().len();
        obs.on_outcome(&update(&format!("Q{status}"), 2));
        // Three answers of this status: more than dead_after (2) rejections would allow.
        eventually("three refusals", || receiver.got().len() >= before + 3).await;
        assert!(
            outbox.dead().unwrap().is_empty(),
            "{status} is not a rejection"
        );
        receiver.status.store(200, Ordering::SeqCst);
        eventually("delivered after the refusals", || {
            outbox.pending().unwrap().is_empty()
        })
        .await;
    }
    let report = delivery.drain(Duration::from_secs(60)).await;
    assert_eq!(
        (report.delivered, report.dead_lettered, report.pending),
        (3, 0, 0)
    );
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_later_event_of_a_queue_waits_while_an_earlier_one_is_pending() {
    let state = tempfile::tempdir().unwrap();
    let receiver = Receiver::new(KEY);
    receiver.status.store(400, Ordering::SeqCst);
    let listener = listen(0).await;
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let server = receiver.serve(listener);
    let outbox = Arc::new(Outbox::open(state.path()).unwrap());
    let mut config = fast();
    config.dead_after = 1_000;
    let mut delivery = Delivery::new(outbox.clone(), config, &[target(&url)]).unwrap();
    delivery.spawn();
    let obs = WebhookObserver::new(outbox.clone(), delivery.sender(), vec![target(&url)], ctx());
    obs.on_outcome(&update("Billing", 1));
    obs.on_outcome(&update("Billing", 2));
    eventually("the first event rejected three times", || {
        receiver.got().len() >= 3
    })
    .await;
    let got = receiver.got();
    assert!(
        got.iter().all(|g| g.body["configuration"]["version"] == 1),
        "version 2 was sent while version 1 was pending"
    );
    receiver.status.store(200, Ordering::SeqCst);
    let report = delivery.drain(Duration::from_secs(60)).await;
    assert_eq!(report.pending, 0);
    assert_eq!(versions_by_queue(&receiver.got())["Billing"], vec![1, 2]);
    server.abort();
}

#[tokio::test]
async fn a_drain_while_the_receiver_is_down_leaves_every_event_in_the_outbox() {
    let state = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{}/hook", free_port());
    let outbox = Arc::new(Outbox::open(state.path()).unwrap());
    let mut delivery = Delivery::new(outbox.clone(), fast(), &[target(&url)]).unwrap();
    delivery.spawn();
    let obs = WebhookObserver::new(outbox.clone(), delivery.sender(), vec![target(&url)], ctx());
    for q in ["A", "B", "C"] {
        obs.on_outcome(&update(q, 2));
    }
    let report = delivery.drain(Duration::from_millis(300)).await;
    assert_eq!((report.delivered, report.pending), (0, 3));
    assert_eq!(outbox.pending().unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_process_on_the_same_state_directory_leaves_its_events_to_the_first() {
    let state = tempfile::tempdir().unwrap();
    let receiver = Receiver::new(KEY);
    let listener = listen(0).await;
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let server = receiver.serve(listener);
    // "run": holds the outbox.
    let running_outbox = Arc::new(Outbox::open(state.path()).unwrap());
    let mut running = Delivery::new(running_outbox, fast(), &[target(&url)]).unwrap();
    running.spawn();
    assert!(running.is_delivering());
    // "apply" beside it: stages only.
    let outbox = Arc::new(Outbox::open(state.path()).unwrap());
    let mut apply = Delivery::new(outbox.clone(), fast(), &[target(&url)]).unwrap();
    apply.spawn();
    assert!(!apply.is_delivering());
    let obs = WebhookObserver::new(outbox.clone(), apply.sender(), vec![target(&url)], ctx());
    obs.on_outcome(&update("Billing", 2));
    obs.on_outcome(&update("Sales", 2));
    let left = apply.settle(Duration::from_secs(60)).await;
    assert_eq!((left.delivered, left.pending), (0, 2));
    let report = running.drain(Duration::from_secs(60)).await;
    assert_eq!((report.delivered, report.pending), (2, 0));
    assert_eq!(receiver.got().len(), 2);
    assert!(receiver.got().iter().all(|g| g.signature_ok));
    server.abort();
}

#[tokio::test]
async fn settling_before_exit_does_not_wait_for_a_receiver_that_is_down() {
    let state = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{}/hook", free_port());
    let outbox = Arc::new(Outbox::open(state.path()).unwrap());
    let mut config = fast();
    config.backoff_base = Duration::from_secs(3600);
    config.backoff_cap = Duration::from_secs(3600);
    let mut delivery = Delivery::new(outbox.clone(), config, &[target(&url)]).unwrap();
    delivery.spawn();
    let obs = WebhookObserver::new(outbox.clone(), delivery.sender(), vec![target(&url)], ctx());
    for q in ["A", "B"] {
        obs.on_outcome(&update(q, 2));
    }
    // The receiver's backoff is an hour: settle returns once it has tried, not after it.
    let report = tokio::time::timeout(
        Duration::from_secs(300),
        delivery.settle(Duration::from_secs(3600)),
    )
    .await
    .expect("settle waited for the backoff");
    assert_eq!((report.delivered, report.pending), (0, 2));
    let pending = outbox.pending().unwrap();
    assert!(
        pending
            .iter()
            .any(|(_, e)| e.attempts == 1 && e.last_error.is_some())
    );
}

#[test]
fn webhook_urls_must_be_https_except_for_loopback_and_a_missing_key_names_its_variable() {
    for ok in [
        "https://wfm.example.com/hooks",
        "http://127.0.0.1:8080/h",
        "http://127.9.9.9/h",
        "http://[::1]:9000/h",
        "http://localhost/h",
    ] {
        assert!(webhooks::check_url(ok).is_ok(), "{ok}");
    }
    for bad in [
        "http://wfm.example.com/hooks",
        "http://10.0.0.1/h",
        "ftp://wfm.example.com/",
        "https://user:pw@wfm.example.com/",
        "not a url",
    ] {
        assert!(webhooks::check_url(bad).is_err(), "{bad}");
    }
    let repo = repo_with_hook("https://wfm.example.com/hooks", "WFM_TEST_MISSING");
    let err = webhooks::targets(&repo, &env_with(&[]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("WFM_TEST_MISSING"), "{err}");
    let err = webhooks::targets(&repo, &env_with(&[("WFM_TEST_MISSING", "  ")]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("WFM_TEST_MISSING"), "{err}");
    let targets = webhooks::targets(&repo, &env_with(&[("WFM_TEST_MISSING", KEY)])).unwrap();
    assert_eq!(targets[0].key.expose(), KEY);
    assert!(
        !format!("{targets:?}").contains(KEY),
        "Debug redacts the key"
    );
}

fn repo_with_hook(url: &str, var: &str) -> model::Repository {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("cxqueues.yaml"),
        format!(
            "apiVersion: cxqueues/v1\nkind: Tenant\nmetadata: {{name: t}}\nspec:\n  webhooks:\n    - url: {url}\n      secretEnv: {var}\n"
        ),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("queues")).unwrap();
    let repo = model::load_repository(dir.path(), &model::LoadOptions::default());
    assert!(!repo.has_errors(), "{:?}", repo.diagnostics);
    repo
}

fn cxqueues(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cxqueues"))
        .args(args)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

// ---------------------------------------------------------------------------------------
// SIGKILL: a child process (this test binary, running the ignored helper below) enqueues and
// delivers; it is killed with SIGKILL while a request hangs; a new process delivers the rest.

const CHILD_EVENTS: usize = 12;

/// The child's configured webhook, as the restarted process configures it.
fn child_targets(url: &str) -> Vec<HookTarget> {
    let repo = repo_with_hook(url, "CXQ_CHILD_KEY");
    webhooks::targets(&repo, &env_with(&[("CXQ_CHILD_KEY", KEY)])).unwrap()
}

#[test]
#[ignore = "helper: run in a child process by the SIGKILL test"]
fn child_process_that_enqueues_and_delivers_until_killed() {
    let (Ok(dir), Ok(url)) = (
        std::env::var("CXQ_CHILD_STATE"),
        std::env::var("CXQ_CHILD_URL"),
    ) else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async move {
        let outbox = Arc::new(Outbox::open(Path::new(&dir)).unwrap());
        let mut config = fast();
        config.concurrency = 1;
        let repo = repo_with_hook(&url, "CXQ_CHILD_KEY");
        let targets = webhooks::targets(&repo, &webhooks::process_env()).unwrap();
        let mut delivery = Delivery::new(outbox.clone(), config, &targets).unwrap();
        let obs = WebhookObserver::new(outbox.clone(), delivery.sender(), targets, ctx());
        for i in 0..CHILD_EVENTS as u64 {
            let q = ["Billing", "Sales", "Support"][(i % 3) as usize];
            obs.on_outcome(&update(q, 10 + i / 3));
        }
        for (_, ev) in outbox.pending().unwrap() {
            println!("event {}", ev.event_id);
        }
        println!("enqueued");
        delivery.spawn();
        std::future::pending::<()>().await;
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_pending_when_the_process_is_killed_with_sigkill_are_delivered_after_restart() {
    let state = tempfile::tempdir().unwrap();
    let receiver = Receiver::new(KEY);
    // Three requests answered, then the receiver hangs: the child is mid-delivery.
    receiver.hang_after.store(3, Ordering::SeqCst);
    let listener = listen(0).await;
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let server = receiver.serve(listener);

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "child_process_that_enqueues_and_delivers_until_killed",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("CXQ_CHILD_STATE", state.path())
        .env("CXQ_CHILD_URL", &url)
        .env("CXQ_CHILD_KEY", KEY)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let enqueued: HashSet<String> = tokio::task::spawn_blocking(move || {
        let mut ids = HashSet::new();
        for line in std::io::BufReader::new(stdout).lines() {
            let line = line.unwrap();
            // libtest may print `test NAME ... ` on the same line as the first event.
            if let Some((_, id)) = line.split_once("event ") {
                ids.insert(id.to_string());
            }
            if line == "enqueued" {
                break;
            }
        }
        ids
    })
    .await
    .unwrap();
    assert_eq!(enqueued.len(), CHILD_EVENTS);
    eventually("the child's fourth request hanging", || {
        receiver.got().len() >= 4
    })
    .await;
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(!status.success());

    let outbox = Arc::new(Outbox::open(state.path()).unwrap());
    let left = outbox.pending().unwrap().len();
    assert_eq!(
        left,
        CHILD_EVENTS - 3,
        "the killed process delivered three events"
    );

    receiver.release_hang();
    let mut delivery = Delivery::new(outbox.clone(), fast(), &child_targets(&url)).unwrap();
    delivery.spawn();
    let report = delivery.drain(Duration::from_secs(60)).await;
    assert_eq!((report.delivered as usize, report.pending), (left, 0));

    let got = receiver.got();
    let delivered: HashSet<String> = got
        .iter()
        .filter(|g| g.answered == 200)
        .map(|g| g.event_id_header.clone())
        .collect();
    assert_eq!(delivered, enqueued, "none lost, each under its first id");
    assert!(
        got.iter()
            .filter(|g| g.answered == 200)
            .all(|g| g.signature_ok)
    );
    for (q, versions) in versions_by_queue(&got) {
        let mut sorted = versions.clone();
        sorted.sort_unstable();
        assert_eq!(versions, sorted, "events of {q} in order");
    }
    server.abort();
}

// ---------------------------------------------------------------------------------------
// No secrets: a whole apply against the simulated tenant, with the audit log and webhooks.

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every log line of this test process, at every level.
fn captured_logs() -> &'static Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Captured::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        logs
    })
}

fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_appears_in_any_record_event_file_log_or_command_output() {
    let logs = captured_logs();
    const WFM_SECRET: &str = "whsec-9b1f0c7e44a2d85e";
    let receiver = Receiver::new(WFM_SECRET);
    // The first attempt is refused, so that an error is logged and stored too.
    receiver.status.store(503, Ordering::SeqCst);
    let listener = listen(0).await;
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let server = receiver.serve(listener);
    // A second receiver rejects everything: its events stay, as dead letters, to be searched.
    let rejecting = Receiver::new(WFM_SECRET);
    rejecting.status.store(400, Ordering::SeqCst);
    let listener = listen(0).await;
    let rejecting_url = format!("http://{}/hook", listener.local_addr().unwrap());
    let rejecting_server = rejecting.serve(listener);

    let repo_dir = tempfile::tempdir().unwrap();
    std::fs::write(
        repo_dir.path().join("cxqueues.yaml"),
        format!(
            "apiVersion: cxqueues/v1\nkind: Tenant\nmetadata: {{name: t}}\nspec:\n  webhooks:\n    - url: {url}\n      secretEnv: CXQ_TEST_WFM_SECRET\n    - url: {rejecting_url}\n      secretEnv: CXQ_TEST_WFM_SECRET\n"
        ),
    )
    .unwrap();
    std::fs::create_dir(repo_dir.path().join("queues")).unwrap();
    let mut docs = String::new();
    for name in ["Billing", "Sales", "Support"] {
        docs.push_str(&format!(
            "---\napiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: {name}\nspec:\n  skillRequirements:\n    - skill: language:en\n      proficiency: advanced\n  serviceLevelTarget: {{threshold: 80, time: 20}}\n  maxWaitTime: 300\n  maxWaiters: 50\n"
        ));
    }
    std::fs::write(repo_dir.path().join("queues/all.yaml"), docs).unwrap();
    let repo = model::load_repository(repo_dir.path(), &model::LoadOptions::default());
    assert!(!repo.has_errors(), "{:?}", repo.diagnostics);

    let mut existing = sim::SeedQueue::named("Billing");
    existing.max_wait_time = 450;
    let seed = sim::Seed {
        queues: vec![existing],
        skills: vec![sim::SeedSkill::Name("language:en".into())],
        ..sim::Seed::default()
    };
    let tenant = sim::Sim::start(seed, sim::Faults::default()).unwrap();
    let mut cfg = routing_api::ClientConfig::new(
        tenant.base_url(),
        sim::DEMO_CLIENT_ID,
        Secret::new(sim::DEMO_CLIENT_SECRET),
    );
    cfg.requests_per_second = 200.0;
    let client = routing_api::HttpTenant::new(cfg).unwrap();
    let observed = reconcile::observe(&client).await.unwrap();
    let plan = reconcile::plan(&repo, &observed).expect("a plan");
    assert_eq!(plan.changes.len(), 3);

    let state_dir = tempfile::tempdir().unwrap();
    let state = StateArgs {
        state_dir: state_dir.path().join(".cxqueues"),
        audit_log: None,
    };
    let env = env_with(&[("CXQ_TEST_WFM_SECRET", WFM_SECRET)]);
    let recorder = Recorder::open_with(&state, &repo, fast(), env).unwrap();
    let ctx = RunContext {
        commit_id: Some("abc123".into()),
        commit_author: Some("Ada <ada@example.com>".into()),
        trigger: "cli".into(),
        lease: None,
    };
    let opts = ApplyOptions {
        observers: recorder.observers(&repo, ctx.clone()).unwrap(),
        ..ApplyOptions::default()
    };
    let report = reconcile::apply(&client, &plan, &observed, &opts).await;
    assert!(report.is_complete(), "{report:?}");
    recorder.finish_run(&ctx, &report).unwrap();
    let debug = format!("{recorder:?} {opts:?}");
    eventually("a refused attempt", || !receiver.got().is_empty()).await;
    receiver.status.store(200, Ordering::SeqCst);
    eventually("three dead letters for /status", || {
        recorder.webhook_status().dead.len() == 3
    })
    .await;
    let status = serde_json::to_string(&recorder.webhook_status()).unwrap();
    let drained = recorder.drain(Duration::from_secs(60)).await;
    assert_eq!(
        (drained.delivered, drained.dead_lettered, drained.pending),
        (3, 3, 0)
    );
    assert!(
        receiver
            .got()
            .iter()
            .all(|g| g.answered != 200 || g.signature_ok)
    );

    let audit_path = state.audit_path();
    // Three queue records, each after its write intent (issue 10), and the run's record.
    let verified = audit::verify(&audit_path).unwrap();
    assert_eq!((verified.records, verified.unresolved.len()), (7, 0));

    let mut outputs = vec![
        status,
        debug,
        String::from_utf8_lossy(&logs.0.lock().unwrap()).to_string(),
    ];
    let dir = state.state_dir.to_str().unwrap();
    for args in [
        vec!["audit", "verify", "--state-dir", dir],
        vec!["webhooks", "list", "--state-dir", dir],
        vec!["webhooks", "list", "--format", "json", "--state-dir", dir],
    ] {
        let (code, out) = cxqueues(&args);
        assert_eq!(code, 0, "{out}");
        outputs.push(out);
    }
    let mut files = Vec::new();
    files_under(&state.state_dir, &mut files);
    assert!(files.iter().any(|f| f.ends_with("audit.jsonl")));
    let ignore = std::fs::read_to_string(state.state_dir.join(".gitignore")).unwrap();
    assert!(
        ignore.lines().any(|l| l == "*"),
        "the state directory ignores itself in git"
    );
    assert_eq!(
        files
            .iter()
            .filter(|f| f.parent().unwrap().ends_with("dead"))
            .count(),
        3
    );
    for f in &files {
        outputs.push(String::from_utf8_lossy(&std::fs::read(f).unwrap()).to_string());
    }
    assert!(
        outputs[2].contains("webhook delivery failed"),
        "the refused attempt was logged, so the logs were captured"
    );
    for secret in [WFM_SECRET, sim::DEMO_CLIENT_SECRET] {
        for (i, text) in outputs.iter().enumerate() {
            assert!(!text.contains(secret), "output {i} holds a secret");
        }
    }
    tenant.shutdown().await.unwrap();
    server.abort();
    rejecting_server.abort();
}

// ---------------------------------------------------------------------------------------
// Issue 10: the outbox trusts no file; URLs are shown without query and userinfo.

/// A receiver checking signatures with `key`, serving at the URL returned.
async fn receiver_at(key: &str) -> (Receiver, String, tokio::task::JoinHandle<()>) {
    let receiver = Receiver::new(key);
    let listener = listen(0).await;
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let server = receiver.serve(listener);
    (receiver, url, server)
}

/// Rewrites the pending event file `name` with `edit` applied to its JSON.
fn edit_event(outbox: &Outbox, name: &str, edit: impl FnOnce(&mut Value)) {
    let path = outbox.pending_dir().join(name);
    let mut v: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    edit(&mut v);
    std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_file_edited_to_name_another_url_and_the_client_secret_is_never_sent_there_nor_signed_with_it()
 {
    const CLIENT_SECRET: &str = "cxone-client-secret-5d1e";
    let state = tempfile::tempdir().unwrap();
    let (receiver, url, server) = receiver_at(KEY).await;
    // The attacker's receiver checks signatures with the client secret.
    let (attacker, attacker_url, attacker_server) = receiver_at(CLIENT_SECRET).await;

    let outbox = Arc::new(Outbox::open(state.path()).unwrap());
    let staging = Delivery::new(outbox.clone(), fast(), &[]).unwrap();
    let obs = WebhookObserver::new(outbox.clone(), staging.sender(), vec![target(&url)], ctx());
    obs.on_outcome(&update("Billing", 2));
    obs.on_outcome(&update("Sales", 2));
    let files: Vec<String> = outbox
        .pending()
        .unwrap()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(files.len(), 2);
    let stored = std::fs::read_to_string(outbox.pending_dir().join(&files[0])).unwrap();
    assert!(
        !stored.contains(&url) && !stored.contains("WFM_KEY"),
        "an event file holds a reference only: {stored}"
    );
    // One names a webhook the configuration does not have, and a URL and key source of its own.
    edit_event(&outbox, &files[0], |v| {
        v["hook"] = serde_json::json!(webhooks::HookId::of(&attacker_url, "CXONE_CLIENT_SECRET"));
        v["url"] = serde_json::json!(attacker_url);
        v["secretEnv"] = serde_json::json!("CXONE_CLIENT_SECRET");
    });
    // The other keeps its reference and adds a URL and key source: both are ignored.
    edit_event(&outbox, &files[1], |v| {
        v["url"] = serde_json::json!(attacker_url);
        v["secretEnv"] = serde_json::json!("CXONE_CLIENT_SECRET");
    });
    drop(staging);

    let mut delivery = Delivery::new(outbox.clone(), fast(), &[target(&url)]).unwrap();
    delivery.spawn();
    let report = delivery.drain(Duration::from_secs(60)).await;
    assert_eq!(
        (report.delivered, report.dead_lettered, report.pending),
        (1, 1, 0)
    );
    assert!(attacker.got().is_empty(), "nothing reached the edited URL");
    let got = receiver.got();
    assert_eq!(got.len(), 1);
    assert!(got[0].signature_ok, "signed with the configured key");
    assert_eq!(got[0].body["queueName"], "Sales");
    let dead = outbox.dead().unwrap();
    assert_eq!(dead.len(), 1);
    let (_, ev) = &dead[0];
    assert_eq!((ev.queue_name.as_str(), ev.attempts), ("Billing", 0));
    let why = ev.last_error.as_deref().unwrap();
    assert!(why.contains("not configured in cxqueues.yaml"), "{why}");
    server.abort();
    attacker_server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_whose_webhook_was_removed_from_the_configuration_is_dead_lettered_with_the_reason()
 {
    let state = tempfile::tempdir().unwrap();
    let (receiver, url, server) = receiver_at(KEY).await;
    let outbox = Arc::new(Outbox::open(state.path()).unwrap());
    let mut delivery = Delivery::new(outbox.clone(), fast(), &[]).unwrap();
    let obs = WebhookObserver::new(outbox.clone(), delivery.sender(), vec![target(&url)], ctx());
    obs.on_outcome(&update("Billing", 2));
    // A later commit removes the webhook before the event went out.
    delivery.sender().configure(&[]);
    delivery.spawn();
    let report = delivery.drain(Duration::from_secs(60)).await;
    assert_eq!((report.delivered, report.dead_lettered), (0, 1));
    assert!(receiver.got().is_empty());
    let (_, ev) = &outbox.dead().unwrap()[0];
    let why = ev.last_error.as_deref().unwrap();
    let id = target(&url).id().to_string();
    assert!(why.contains(&id) && why.contains("not configured"), "{why}");
    server.abort();
}

#[test]
fn a_url_is_shown_without_its_query_fragment_and_userinfo() {
    let table = [
        (
            "https://wfm.example.com/hooks?token=t0k",
            "https://wfm.example.com/hooks?…",
        ),
        (
            "https://u:pw@wfm.example.com/h#frag",
            "https://wfm.example.com/h?…",
        ),
        (
            "https://u@wfm.example.com:8443/h",
            "https://wfm.example.com:8443/h",
        ),
        ("http://127.0.0.1:9/hook", "http://127.0.0.1:9/hook"),
        ("not a url?token=t0k", "not a url?…"),
        ("user:pw@host/x", "host/x"),
    ];
    for (raw, shown) in table {
        assert_eq!(webhooks::shown_url(raw), shown, "{raw}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_in_a_webhook_url_reaches_no_error_log_status_or_list() {
    const TOKEN: &str = "qtok-61c2e0a9";
    let logs = captured_logs();
    for bad in [
        format!("http://wfm.example.com/h?token={TOKEN}"),
        format!("https://user:{TOKEN}@wfm.example.com/h"),
    ] {
        let err = webhooks::check_url(&bad).unwrap_err().to_string();
        assert!(
            !err.contains(TOKEN) && err.contains("wfm.example.com/h"),
            "{err}"
        );
    }
    let repo = repo_with_hook(
        &format!("https://wfm.example.com/h?token={TOKEN}"),
        "WFM_TEST_UNSET_VAR",
    );
    let err = webhooks::targets(&repo, &env_with(&[]))
        .unwrap_err()
        .to_string();
    assert!(
        !err.contains(TOKEN) && err.contains("WFM_TEST_UNSET_VAR"),
        "{err}"
    );

    // A receiver that rejects: the event is retried (logged) and dead-lettered (/status).
    let rejecting = Receiver::new(KEY);
    rejecting.status.store(400, Ordering::SeqCst);
    let listener = listen(0).await;
    let url = format!(
        "http://{}/hook?token={TOKEN}",
        listener.local_addr().unwrap()
    );
    let server = rejecting.serve(listener);
    let repo = repo_with_hook(&format!("\"{url}\""), "CXQ_TOKEN_TEST_KEY");
    let state = tempfile::tempdir().unwrap();
    let state = StateArgs {
        state_dir: state.path().join("s"),
        audit_log: None,
    };
    let env = env_with(&[("CXQ_TOKEN_TEST_KEY", KEY)]);
    let recorder = Recorder::open_with(&state, &repo, fast(), env.clone()).unwrap();
    let targets = webhooks::targets(&repo, &env).unwrap();
    assert!(!format!("{targets:?}").contains(TOKEN), "Debug");
    let observers = recorder.observers(&repo, ctx()).unwrap();
    for o in &observers {
        o.on_outcome(&update("Billing", 2));
    }
    eventually("the event dead-lettered", || {
        recorder.webhook_status().dead.len() == 1
    })
    .await;
    assert_eq!(rejecting.got().len(), 2, "the receiver was called");
    let status = serde_json::to_string(&recorder.webhook_status()).unwrap();
    assert!(
        status.contains("/hook?…"),
        "/status names the receiver: {status}"
    );
    recorder.drain(Duration::from_secs(10)).await;
    let dir = state.state_dir.to_str().unwrap();
    let mut outputs = vec![status];
    // `webhooks list` names the receiver from the repository's cxqueues.yaml.
    let repo_dir = tempfile::tempdir().unwrap();
    std::fs::write(
        repo_dir.path().join("cxqueues.yaml"),
        format!(
            "apiVersion: cxqueues/v1\nkind: Tenant\nmetadata: {{name: t}}\nspec:\n  webhooks:\n    - url: \"{url}\"\n      secretEnv: CXQ_TOKEN_TEST_KEY\n"
        ),
    )
    .unwrap();
    let repo_arg = repo_dir.path().to_str().unwrap();
    let (code, listed) = cxqueues(&["webhooks", "list", "--state-dir", dir, "--repo", repo_arg]);
    assert_eq!(code, 0, "{listed}");
    assert!(listed.contains("/hook?…"), "{listed}");
    outputs.push(listed);
    for args in [
        vec!["webhooks", "list", "--state-dir", dir],
        vec!["webhooks", "list", "--format", "json", "--state-dir", dir],
        vec!["webhooks", "retry", "--all", "--state-dir", dir],
    ] {
        let (code, out) = cxqueues(&args);
        assert_eq!(code, 0, "{out}");
        outputs.push(out);
    }
    let logged = String::from_utf8_lossy(&logs.0.lock().unwrap()).to_string();
    assert!(
        logged.contains("webhook event dead-lettered"),
        "logs captured"
    );
    outputs.push(logged);
    for (i, text) in outputs.iter().enumerate() {
        assert!(!text.contains(TOKEN), "output {i} holds the token: {text}");
    }
    server.abort();
}
