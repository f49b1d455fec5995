//! `cxqueues run --leader-elect`: two runner processes, one simulated tenant, and an
//! in-process fake of the Kubernetes Lease API. Each runner reaches the tenant through a
//! proxy of its own that counts what it sends, so that every tenant write is attributed.
//!
//! Short lease settings (3 s duration, 2 s renew deadline, 500 ms retry period). The only
//! timed assertions are the bounds: a paused leader is replaced within lease
//! duration + retry period, and SIGTERM hands over within 3 s; the first carries a margin
//! for the retry jitter (×1.2) and the Lease observation lag client-go's rules allow, plus
//! scheduling slack.

mod common;
#[path = "common/kube_fake.rs"]
mod kube_fake;
#[path = "common/runner_proc.rs"]
mod runner_proc;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use common::GitRepo;
use kube_fake::KubeFake;
use runner_proc::{DEADLINE, RunnerProc, TENANT_YAML, queue_yaml};
use sim::{Faults, Seed, Sim, SimHandle};

const NAMESPACE: &str = "contact-center";
const LEASE: &str = "cxqueues-test";
const LEASE_DURATION: Duration = Duration::from_secs(3);
const RETRY_PERIOD: Duration = Duration::from_millis(500);
const TOKEN: &str = "trigger-token";

/// A proxy in front of the simulator that counts the writes (anything but GET and the
/// token request) one runner sends.
#[derive(Clone)]
struct Counting {
    target: String,
    writes: Arc<AtomicU64>,
    http: reqwest::Client,
}

async fn relay(State(c): State<Counting>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    if parts.method != axum::http::Method::GET && !path.starts_with("/oauth2/token") {
        c.writes.fetch_add(1, Ordering::SeqCst);
    }
    let body = axum::body::to_bytes(body, 16 << 20).await.unwrap();
    let mut out = c
        .http
        .request(parts.method.clone(), format!("{}{path}", c.target))
        .body(body);
    for (n, v) in &parts.headers {
        if n != axum::http::header::HOST && n != axum::http::header::CONTENT_LENGTH {
            out = out.header(n, v);
        }
    }
    let answer = out.send().await.unwrap();
    let mut r = Response::builder().status(answer.status());
    for (n, v) in answer.headers() {
        if n != axum::http::header::CONTENT_LENGTH && n != axum::http::header::TRANSFER_ENCODING {
            r = r.header(n, v);
        }
    }
    r.body(Body::from(answer.bytes().await.unwrap())).unwrap()
}

async fn counting_proxy(sim: &SimHandle) -> (String, Arc<AtomicU64>) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let writes = Arc::new(AtomicU64::new(0));
    let app = Router::new().fallback(relay).with_state(Counting {
        target: sim.base_url().trim_end_matches('/').to_string(),
        writes: writes.clone(),
        http: reqwest::Client::new(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), writes)
}

struct Replica {
    proc: RunnerProc,
    writes: Arc<AtomicU64>,
    name: &'static str,
}

async fn replica(
    name: &'static str,
    repo: &GitRepo,
    sim: &SimHandle,
    kubeconfig: &std::path::Path,
) -> Replica {
    let (proxy, writes) = counting_proxy(sim).await;
    let lease_duration = format!("{}ms", LEASE_DURATION.as_millis());
    let retry = format!("{}ms", RETRY_PERIOD.as_millis());
    let proc = RunnerProc::start(
        &[
            "--repo",
            repo.path().to_str().unwrap(),
            "--base-url",
            &proxy,
            "--poll",
            "200ms",
            "--leader-elect",
            "--leader-elect-lease-name",
            LEASE,
            "--leader-elect-lease-duration",
            &lease_duration,
            "--leader-elect-renew-deadline",
            "2s",
            "--leader-elect-retry-period",
            &retry,
        ],
        &[
            ("KUBECONFIG", kubeconfig.to_str().unwrap()),
            ("POD_NAME", name),
            ("POD_NAMESPACE", NAMESPACE),
            ("CXONE_CLIENT_ID", sim::DEMO_CLIENT_ID),
            ("CXONE_CLIENT_SECRET", sim::DEMO_CLIENT_SECRET),
            ("CXQUEUES_TRIGGER_TOKEN", TOKEN),
        ],
    );
    Replica { proc, writes, name }
}

/// Polls until `done` holds, or fails after the deadline with `what`.
async fn until(what: &str, done: impl Fn() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn wait_in_tenant(sim: &SimHandle) -> Option<u64> {
    sim.queue_by_name("Alpha")?.get("maxWaitTime")?.as_u64()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runners_elect_one_writer_a_paused_leader_is_replaced_and_writes_nothing_on_waking_and_sigterm_hands_over()
 {
    let kube = KubeFake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, kube.kubeconfig(NAMESPACE)).unwrap();
    let sim = Sim::start(Seed::default(), Faults::default()).unwrap();
    let repo = GitRepo::new();
    repo.write("cxqueues.yaml", TENANT_YAML);
    repo.write("queues/alpha.yaml", &queue_yaml("Alpha", 100));
    let c1 = repo.commit("one");

    let a = replica("runner-a", &repo, &sim, &kubeconfig).await;
    let b = replica("runner-b", &repo, &sim, &kubeconfig).await;

    // Exactly one leads and writes; the other stands by, Ready, untouched tenant.
    until("a holder", || {
        kube.holder(NAMESPACE, LEASE)
            .is_some_and(|h| h == "runner-a" || h == "runner-b")
    })
    .await;
    let first = kube.holder(NAMESPACE, LEASE).unwrap();
    let (leader, standby) = if first == a.name { (&a, &b) } else { (&b, &a) };
    leader.proc.wait_applied(&c1).await;
    assert_eq!(wait_in_tenant(&sim), Some(100));
    let st = standby
        .proc
        .wait_for("the standby to read the Lease", |st| {
            st["lease"]["holder"] == leader.name
        })
        .await;
    assert_eq!(st["role"], "standby", "{st:#}");
    let (code, body) = standby.proc.get("/readyz").await;
    assert_eq!(code, 200, "a standby is ready: {body}");
    assert!(leader.writes.load(Ordering::SeqCst) > 0, "the leader wrote");
    assert_eq!(
        standby.writes.load(Ordering::SeqCst),
        0,
        "the standby never writes"
    );
    let metric = |text: &str| {
        text.lines()
            .find(|l| l.starts_with("cxqueues_leader "))
            .map(str::to_string)
    };
    assert_eq!(
        metric(&leader.proc.get("/metrics").await.1).as_deref(),
        Some("cxqueues_leader 1")
    );
    assert_eq!(
        metric(&standby.proc.get("/metrics").await.1).as_deref(),
        Some("cxqueues_leader 0")
    );
    // The audit intents name the holder and the term.
    let intents: Vec<_> = leader
        .proc
        .audit()
        .into_iter()
        .filter(|r| r["action"] == "QUEUE_INTENT")
        .collect();
    assert!(!intents.is_empty());
    for i in &intents {
        assert_eq!(i["leaseHolder"], leader.name, "{i}");
        assert!(i["leaseTerm"].is_i64(), "{i}");
    }
    // A trigger sent to the standby is forwarded to the leader.
    let (code, body) = standby
        .proc
        .post(
            "/v1/reconcile",
            &[("authorization", &format!("Bearer {TOKEN}"))],
            "",
        )
        .await;
    assert_eq!(code, 202, "forwarded to the leader: {body}");

    leader
        .proc
        .wait_for("the forwarded run to finish", |st| {
            st["lastRun"]["trigger"] == "manual" && st["running"] == false
        })
        .await;

    // SIGSTOP on the leader (idle): the standby takes the Lease within duration + retry
    // period, and applies the next commit.
    let (repo_writes_before, stopped_writes) = (
        standby.writes.load(Ordering::SeqCst),
        leader.writes.load(Ordering::SeqCst),
    );
    assert_eq!(repo_writes_before, 0);
    leader.proc.signal("STOP");
    let paused = Instant::now();
    repo.write("queues/alpha.yaml", &queue_yaml("Alpha", 200));
    let c2 = repo.commit("two");
    until("the standby to take the Lease", || {
        kube.holder(NAMESPACE, LEASE).as_deref() == Some(standby.name)
    })
    .await;
    let took = paused.elapsed();
    // The bound (duration + retry period), plus what client-go's rules allow beyond
    // it: the retry jitter (up to 0.2 × the retry period, twice) and seeing the last renewal
    // up to one jittered retry period late; and 2 s of scheduling slack on a busy machine.
    let allowed = RETRY_PERIOD.mul_f64(0.4) + RETRY_PERIOD.mul_f64(1.2);
    let bound = LEASE_DURATION + RETRY_PERIOD + allowed + Duration::from_secs(2);
    assert!(took <= bound, "took {took:?}, bound {bound:?}");
    eprintln!("the standby took the Lease {took:?} after SIGSTOP (bound {bound:?})");
    standby.proc.wait_applied(&c2).await;
    assert_eq!(wait_in_tenant(&sim), Some(200));
    let st = standby.proc.status().await;
    assert_eq!(st["role"], "leader");
    assert!(st["lease"]["term"].as_i64() >= Some(1), "{st:#}");

    // SIGCONT on the old leader: it wakes with a stale renewal and writes nothing more, even
    // with a reason to: a rival's edit that its view (commit c1 applied, c2 new) would write
    // back at once.
    sim.edit_queue("Alpha", "maxWaitTime", serde_json::json!(999), "rival")
        .unwrap();
    leader.proc.signal("CONT");
    repo.write("queues/alpha.yaml", &queue_yaml("Alpha", 300));
    let c3 = repo.commit("three");
    standby.proc.wait_applied(&c3).await;
    leader
        .proc
        .wait_for("the old leader to stand by", |st| {
            st["role"] == "standby" && st["lease"]["holder"] == standby.name
        })
        .await;
    // A few more retry periods for a stale write to show, if one were to go out.
    tokio::time::sleep(RETRY_PERIOD * 4).await;
    assert_eq!(
        leader.writes.load(Ordering::SeqCst),
        stopped_writes,
        "the old leader wrote after waking:\n{}",
        leader.proc.log()
    );
    assert_eq!(wait_in_tenant(&sim), Some(300));
    assert_eq!(kube.holder(NAMESPACE, LEASE).as_deref(), Some(standby.name));

    // SIGTERM on the new leader: it releases the Lease and the other takes over within 3 s.
    standby.proc.signal("TERM");
    let terminated = Instant::now();
    until("the old leader to lead again", || {
        kube.holder(NAMESPACE, LEASE).as_deref() == Some(leader.name)
    })
    .await;
    let handover = terminated.elapsed();
    assert!(
        handover <= Duration::from_secs(3),
        "handover took {handover:?}"
    );
    eprintln!("SIGTERM handed the Lease over in {handover:?}");
    assert!(
        kube.writes().iter().any(|(h, _)| h.is_empty()),
        "the Lease was released (an empty holder): {:?}",
        kube.writes()
    );
    assert!(kube.conflicts() < 1000);
}
