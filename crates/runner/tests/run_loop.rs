//! `cxqueues run` end to end: the real binary, real git repositories in temp dirs, commits
//! made while it runs, and the simulator as the tenant (started here, so that a test can
//! edit queues as a rival, inject faults and read the tenant's state).
//!
//! Every wait polls with a deadline; nothing asserts on timing.

mod common;

use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sim::{Faults, Seed, SeedSkill, Sim, SimHandle};

/// The longest any wait may take before the test fails.
const DEADLINE: Duration = Duration::from_secs(45);

// ---------- a git repository ----------

use common::GitRepo as Repo;

fn queue(name: &str, wait: u32, description: &str) -> String {
    format!(
        "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: {name}\nspec:\n  description: {description}\n  maxWaitTime: {wait}\n  maxWaiters: 10\n"
    )
}

fn file_of(name: &str) -> String {
    format!("queues/{}.yaml", name.to_lowercase().replace(' ', "-"))
}

/// A repository with these queues, each in its own file, committed.
fn repo_with(queues: &[(&str, u32, &str)]) -> (Repo, String) {
    let repo = Repo::new();
    repo.write(
        "cxqueues.yaml",
        "apiVersion: cxqueues/v1\nkind: Tenant\nmetadata: {name: test}\nspec:\n  requestsPerSecond: 1000\n",
    );
    for (name, wait, desc) in queues {
        repo.write(&file_of(name), &queue(name, *wait, desc));
    }
    let id = repo.commit("first queues");
    (repo, id)
}

// ---------- the tenant ----------

fn sim() -> SimHandle {
    let seed = Seed {
        skills: vec![SeedSkill::Name("language:en".into())],
        ..Seed::default()
    };
    Sim::start(seed, Faults::default()).unwrap()
}

fn tenant_queue(sim: &SimHandle, name: &str) -> Value {
    sim.queue_by_name(name)
        .unwrap_or_else(|| panic!("the tenant has no queue {name:?}"))
}

fn wait_of(sim: &SimHandle, name: &str) -> Option<u64> {
    sim.queue_by_name(name)?.get("maxWaitTime")?.as_u64()
}

// ---------- the runner ----------

struct Runner {
    child: Child,
    /// `--state-dir`: the audit log and the webhook outbox.
    state: tempfile::TempDir,
    base: String,
    log: Arc<Mutex<String>>,
}

impl Runner {
    /// Starts `cxqueues run` on `repo` against the simulator `sim` (or `--sim` when `None`).
    fn start(repo: &Repo, sim: Option<&SimHandle>, args: &[&str], env: &[(&str, &str)]) -> Self {
        Self::start_with(
            repo,
            |cmd| match sim {
                Some(sim) => {
                    cmd.arg("--base-url")
                        .arg(sim.base_url())
                        .env("CXONE_CLIENT_ID", sim::DEMO_CLIENT_ID)
                        .env("CXONE_CLIENT_SECRET", sim::DEMO_CLIENT_SECRET);
                }
                None => {
                    cmd.arg("--sim");
                }
            },
            args,
            env,
        )
    }

    /// Starts `cxqueues run` on `repo`; `tenant` adds the tenant's flags and variables.
    fn start_with(
        repo: &Repo,
        tenant: impl FnOnce(&mut Command),
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Self {
        let state = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cxqueues"));
        cmd.arg("run")
            .arg("--repo")
            .arg(repo.path())
            .arg("--state-dir")
            .arg(state.path())
            .args(["--listen", "127.0.0.1:0", "--poll", "2s"])
            .args(args)
            .env_remove("CXQUEUES_TRIGGER_TOKEN")
            .env_remove("CXONE_CLIENT_SECRET_FILE")
            .env_remove("CXONE_TOKEN_URL")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        tenant(&mut cmd);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("cxqueues starts");
        let (log, addr_rx) = common::collect_output(&mut child);
        let base = match addr_rx.recv_timeout(DEADLINE) {
            Ok(a) => a,
            Err(_) => {
                let _ = child.kill();
                panic!("the runner printed no address:\n{}", log.lock().unwrap());
            }
        };
        Self {
            child,
            state,
            base,
            log,
        }
    }

    /// The audit log's records.
    fn audit(&self) -> Vec<Value> {
        std::fs::read_to_string(self.state.path().join("audit.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON audit record"))
            .collect()
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    async fn get(&self, path: &str) -> (u16, String) {
        http(&self.base, "GET", path, None).await
    }

    async fn post(&self, path: &str, auth: Option<&str>) -> (u16, String) {
        http(&self.base, "POST", path, auth).await
    }

    async fn status(&self) -> Value {
        let (code, body) = self.get("/status").await;
        assert_eq!(code, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    }

    /// Polls `/status` until `done` holds; fails with the log and the last status after
    /// [`DEADLINE`].
    async fn wait_for(&self, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        loop {
            let st = self.status().await;
            if done(&st) {
                return st;
            }
            if start.elapsed() > DEADLINE {
                panic!(
                    "timed out waiting for {what}\nstatus: {}\nlog:\n{}",
                    serde_json::to_string_pretty(&st).unwrap(),
                    self.log()
                );
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Waits until `commit` is applied completely.
    async fn wait_applied(&self, commit: &str) -> Value {
        self.wait_for(&format!("commit {commit} applied"), |st| {
            st["lastApplied"]["id"] == commit && st["running"] == false
        })
        .await
    }

    fn sigterm(&self) {
        let ok = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -TERM");
    }

    fn wait_exit(&mut self) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s;
            }
            if start.elapsed() > DEADLINE {
                panic!("the runner did not exit:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP/1.1 request (`Connection: close`): the status and the body.
async fn http(base: &str, method: &str, path: &str, auth: Option<&str>) -> (u16, String) {
    http_with(base, method, path, auth, "").await
}

/// [`http`] with a request body.
async fn http_with(
    base: &str,
    method: &str,
    path: &str,
    auth: Option<&str>,
    body: &str,
) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host)
        .await
        .expect("the runner answers");
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(a) = auth {
        req.push_str(&format!("Authorization: {a}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8(raw).expect("UTF-8 answer");
    let (head, body) = text.split_once("\r\n\r\n").expect("headers end");
    let code: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("a status line");
    let chunked = head.lines().any(|l| {
        l.to_ascii_lowercase()
            .starts_with("transfer-encoding: chunked")
    });
    if !chunked {
        return (code, body.to_string());
    }
    let mut out = String::new();
    let mut rest = body;
    loop {
        let (size, after) = rest.split_once("\r\n").expect("a chunk size");
        let size = usize::from_str_radix(size.trim(), 16).expect("a hex chunk size");
        if size == 0 {
            return (code, out);
        }
        out.push_str(&after[..size]);
        rest = &after[size + 2..];
    }
}

/// Polls the tenant until `done` holds.
async fn wait_tenant(
    sim: &SimHandle,
    runner: &Runner,
    what: &str,
    done: impl Fn(&SimHandle) -> bool,
) {
    let start = Instant::now();
    while !done(sim) {
        if start.elapsed() > DEADLINE {
            panic!(
                "timed out waiting for the tenant: {what}\nlog:\n{}",
                runner.log()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

// ---------- the tests ----------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_is_applied_while_the_runner_runs() {
    let sim = sim();
    let (repo, first) = repo_with(&[("Billing", 120, "billing"), ("Sales", 180, "sales")]);
    let mut runner = Runner::start(&repo, Some(&sim), &[], &[]);
    assert_eq!(runner.get("/healthz").await.0, 200);
    let st = runner.wait_applied(&first).await;
    assert_eq!(st["result"], "applied");
    assert_eq!(st["commit"]["author"], "Grace Hopper <grace@example.com>");
    assert_eq!(runner.get("/readyz").await.0, 200);
    assert_eq!(wait_of(&sim, "Billing"), Some(120));

    repo.write(
        &file_of("Billing"),
        &queue("Billing", 240, "billing, longer wait"),
    );
    let second = repo.commit("Billing waits longer");
    let st = runner.wait_applied(&second).await;
    assert_eq!(st["result"], "applied");
    assert_eq!(st["commit"]["summary"], "Billing waits longer");
    let billing = tenant_queue(&sim, "Billing");
    assert_eq!(billing["maxWaitTime"], 240);
    assert_eq!(billing["description"], "billing, longer wait");
    assert_eq!(st["queues"]["Billing"]["state"], "in_sync");
    assert_eq!(
        st["queues"]["Billing"]["lastAppliedVersion"],
        billing["version"]
    );
    assert_eq!(
        st["queues"]["Billing"]["lastAppliedCommit"],
        second.as_str()
    );
    assert_eq!(wait_of(&sim, "Sales"), Some(180));
    let run = &st["lastRun"];
    assert_eq!(run["trigger"], "commit");
    assert_eq!(run["commit"], second.as_str());
    assert!(runner.is_running());
    // Each apply is in the audit log, with its commit and trigger.
    let audit = runner.audit();
    let update = audit
        .iter()
        .find(|r| r["action"] == "QUEUE_UPDATE" && r["queueName"] == "Billing")
        .unwrap_or_else(|| panic!("no update record: {audit:#?}"));
    assert_eq!(update["commitId"], second.as_str());
    assert_eq!(update["commitAuthor"], "Grace Hopper <grace@example.com>");
    assert_eq!(update["trigger"], "commit");
    assert_eq!(update["versionAfter"], billing["version"]);
    assert_eq!(
        audit.iter().filter(|r| r["action"] == "RECONCILE").count(),
        2,
        "one RECONCILE record per apply: {audit:#?}"
    );
    assert_eq!(st["webhooks"]["pending"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_quick_commits_are_coalesced_and_the_last_one_wins() {
    let sim = sim();
    let (repo, first) = repo_with(&[("Billing", 120, "billing")]);
    let runner = Runner::start(&repo, Some(&sim), &[], &[]);
    runner.wait_applied(&first).await;
    // A slow tenant keeps a run in flight while the next commits land.
    sim.set_faults(Faults::default().with_latency_ms(150));
    let runs_before = runner.status().await["recentRuns"]
        .as_array()
        .unwrap()
        .len();
    let mut last = String::new();
    for wait in [301, 302, 303] {
        repo.write(
            &file_of("Billing"),
            &queue("Billing", wait, &format!("wait {wait}")),
        );
        last = repo.commit(&format!("wait {wait}"));
    }
    let st = runner.wait_applied(&last).await;
    let billing = tenant_queue(&sim, "Billing");
    assert_eq!(billing["maxWaitTime"], 303);
    assert_eq!(billing["description"], "wait 303");
    let runs = st["recentRuns"].as_array().unwrap();
    let commit_runs = runs[runs_before..]
        .iter()
        .filter(|r| r["trigger"] == "commit")
        .count();
    assert!(
        (1..3).contains(&commit_runs),
        "three commits made {commit_runs} runs: {runs:#?}"
    );
    // The last run reconciled the newest commit.
    assert_eq!(st["lastRun"]["commit"], last.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_commit_is_skipped_and_the_fix_is_applied() {
    let sim = sim();
    let (repo, first) = repo_with(&[("Billing", 120, "billing"), ("Sales", 180, "sales")]);
    let mut runner = Runner::start(&repo, Some(&sim), &[], &[]);
    runner.wait_applied(&first).await;

    // Out of range in one file, a good change in another: nothing of it may be applied.
    repo.write(&file_of("Billing"), &queue("Billing", 5000, "billing"));
    repo.write(&file_of("Sales"), &queue("Sales", 200, "sales"));
    let bad = repo.commit("a typo");
    let st = runner
        .wait_for("the invalid commit reported", |st| {
            st["commit"]["id"] == bad.as_str()
                && st["result"] == "invalid"
                && st["running"] == false
        })
        .await;
    let errors = st["errors"].as_array().unwrap();
    assert!(
        errors.iter().any(|e| e["file"] == "queues/billing.yaml"
            && e["rule"] == "range"
            && e["line"].as_u64() > Some(0)),
        "{errors:#?}"
    );
    assert_eq!(st["lastApplied"]["id"], first.as_str());
    assert_eq!(
        wait_of(&sim, "Sales"),
        Some(180),
        "nothing of an invalid commit is applied"
    );
    assert_eq!(wait_of(&sim, "Billing"), Some(120));

    // A skill the tenant does not have: a tenant-check error, also nothing applied.
    repo.write(&file_of("Billing"), &queue("Billing", 130, "billing"));
    repo.write(
        "queues/new.yaml",
        "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: New\nspec:\n  skillRequirements:\n    - skill: no-such-skill\n      proficiency: advanced\n",
    );
    let unknown_skill = repo.commit("a skill the tenant lacks");
    let st = runner
        .wait_for("the tenant-check error reported", |st| {
            st["commit"]["id"] == unknown_skill.as_str()
                && st["result"] == "invalid"
                && st["running"] == false
        })
        .await;
    assert!(
        st["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["rule"] == "unknown-skill"),
        "{st:#?}"
    );
    assert_eq!(wait_of(&sim, "Sales"), Some(180));
    assert!(sim.queue_by_name("New").is_none());
    assert!(runner.is_running());

    // The fix: everything of it is applied.
    std::fs::remove_file(repo.path().join("queues/new.yaml")).unwrap();
    let fixed = repo.commit("fix");
    let st = runner.wait_applied(&fixed).await;
    assert_eq!(st["result"], "applied");
    assert!(st["errors"].as_array().unwrap().is_empty());
    assert_eq!(wait_of(&sim, "Billing"), Some(130));
    assert_eq!(wait_of(&sim, "Sales"), Some(200));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_by_a_rival_is_corrected_on_resync() {
    let sim = sim();
    let (repo, first) = repo_with(&[("Billing", 120, "billing"), ("Sales", 180, "sales")]);
    let runner = Runner::start(&repo, Some(&sim), &["--resync", "1s"], &[]);
    runner.wait_applied(&first).await;
    sim.edit_queue("Billing", "maxWaitTime", json!(599), "rival@example.com")
        .unwrap();
    assert_eq!(wait_of(&sim, "Billing"), Some(599));
    wait_tenant(&sim, &runner, "Billing set back to 120", |s| {
        wait_of(s, "Billing") == Some(120)
    })
    .await;
    let st = runner
        .wait_for("a resync that wrote the drift back", |st| {
            st["recentRuns"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["trigger"] == "resync" && r["result"] == "applied")
        })
        .await;
    assert_eq!(st["queues"]["Billing"]["state"], "in_sync");
    let (_, metrics) = runner.get("/metrics").await;
    let m = openmetrics::parse(&metrics);
    assert!(m.value("cxqueues_drift_corrections_total", &[]) >= 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_is_only_reported_with_no_self_heal() {
    let sim = sim();
    let (repo, first) = repo_with(&[("Billing", 120, "billing"), ("Sales", 180, "sales")]);
    let runner = Runner::start(
        &repo,
        Some(&sim),
        &["--resync", "1s", "--no-self-heal"],
        &[],
    );
    runner.wait_applied(&first).await;
    sim.edit_queue("Billing", "maxWaitTime", json!(599), "rival@example.com")
        .unwrap();
    let st = runner
        .wait_for("Billing reported as drifted", |st| {
            st["queues"]["Billing"]["state"] == "drifted" && st["running"] == false
        })
        .await;
    assert_eq!(st["selfHeal"], false);
    assert_eq!(st["result"], "drifted");
    let drift = st["queues"]["Billing"]["drift"].as_array().unwrap();
    assert!(
        drift
            .iter()
            .any(|d| d["path"] == "maxWaitTime" && d["before"] == 599 && d["after"] == 120),
        "{drift:#?}"
    );
    assert_eq!(st["queues"]["Sales"]["state"], "in_sync");
    // Another resync: still only reported, never written.
    let runs = st["recentRuns"].as_array().unwrap().len();
    runner
        .wait_for("one more resync", |st| {
            st["recentRuns"].as_array().unwrap().len() > runs && st["running"] == false
        })
        .await;
    assert_eq!(wait_of(&sim, "Billing"), Some(599));
    let (_, metrics) = runner.get("/metrics").await;
    let m = openmetrics::parse(&metrics);
    assert_eq!(m.value("cxqueues_queues", &[("state", "drifted")]), 1.0);
    assert!(
        m.value(
            "cxqueues_reconciles_total",
            &[("trigger", "resync"), ("result", "drifted")]
        ) >= 1.0
    );
    assert_eq!(m.value("cxqueues_drift_corrections_total", &[]), 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_outage_is_retried_until_the_tenant_recovers() {
    let sim = sim();
    let (repo, first) = repo_with(&[("Billing", 120, "billing")]);
    let mut runner = Runner::start(&repo, Some(&sim), &[], &[]);
    runner.wait_applied(&first).await;

    let mut outage = Faults::default().with_rate_503(1.0);
    outage.retry_after_secs = 0;
    sim.set_faults(outage);
    repo.write(&file_of("Billing"), &queue("Billing", 360, "billing"));
    let second = repo.commit("during the outage");
    let st = runner
        .wait_for("a failed run with a retry planned", |st| {
            st["commit"]["id"] == second.as_str()
                && st["result"] == "failed"
                && st["nextRetry"].is_string()
                && st["running"] == false
        })
        .await;
    assert!(!st["errors"].as_array().unwrap().is_empty());
    assert_eq!(st["lastApplied"]["id"], first.as_str());
    assert!(runner.is_running(), "the loop survives the outage");
    assert_eq!(wait_of(&sim, "Billing"), Some(120));

    sim.set_faults(Faults::default());
    let st = runner.wait_applied(&second).await;
    assert_eq!(st["result"], "applied");
    assert_eq!(wait_of(&sim, "Billing"), Some(360));
    assert!(st["nextRetry"].is_null());
    let runs = st["recentRuns"].as_array().unwrap();
    assert!(runs.iter().any(|r| r["trigger"] == "retry"), "{runs:#?}");
    let (_, metrics) = runner.get("/metrics").await;
    let m = openmetrics::parse(&metrics);
    assert!(
        m.value(
            "cxqueues_api_requests_total",
            &[
                ("endpoint", "GET /api/v2/routing/queues"),
                ("status", "503")
            ]
        ) >= 1.0
    );
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_an_apply_lets_it_finish_and_exits_cleanly() {
    let sim = sim();
    let names: Vec<String> = (0..24).map(|i| format!("Queue {i:02}")).collect();
    let queues: Vec<(&str, u32, &str)> = names.iter().map(|n| (n.as_str(), 100, "old")).collect();
    let (repo, first) = repo_with(&queues);
    let mut runner = Runner::start(&repo, Some(&sim), &["--parallelism", "2"], &[]);
    runner.wait_applied(&first).await;

    sim.set_faults(Faults::default().with_latency_ms(60));
    for n in &names {
        repo.write(&file_of(n), &queue(n, 200, "new"));
    }
    repo.commit("every queue changes");
    let is_new = |q: &Value| q["maxWaitTime"] == 200 && q["description"] == "new";
    let is_old = |q: &Value| q["maxWaitTime"] == 100 && q["description"] == "old";
    wait_tenant(&sim, &runner, "the apply under way", |s| {
        s.queues().iter().any(is_new)
    })
    .await;
    runner.sigterm();
    let exit = runner.wait_exit();
    assert!(exit.success(), "exit {exit:?}\n{}", runner.log());
    let log = runner.log();
    assert!(log.contains("shutting down"), "{log}");
    let tenant = sim.queues();
    assert_eq!(tenant.len(), names.len());
    for q in &tenant {
        assert!(is_new(q) || is_old(q), "half-written: {q:#}");
    }
    // The apply in flight was let finish.
    assert!(tenant.iter().all(is_new), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_parse_as_openmetrics_and_count_what_happened() {
    let sim = sim();
    let (repo, first) = repo_with(&[("Billing", 120, "billing"), ("Sales", 180, "sales")]);
    let runner = Runner::start(&repo, Some(&sim), &[], &[]);
    runner.wait_applied(&first).await;
    let (code, text) = runner.get("/metrics").await;
    assert_eq!(code, 200);
    let m = openmetrics::parse(&text);
    assert_eq!(
        m.value(
            "cxqueues_reconciles_total",
            &[("trigger", "commit"), ("result", "applied")]
        ),
        1.0
    );
    assert_eq!(m.types["cxqueues_reconcile_duration_seconds"], "histogram");
    assert!(m.value("cxqueues_reconcile_duration_seconds_count", &[]) >= 1.0);
    assert_eq!(
        m.value(
            "cxqueues_api_requests_total",
            &[
                ("endpoint", "POST /api/v2/routing/queues"),
                ("status", "201")
            ]
        ),
        2.0
    );
    assert_eq!(m.value("cxqueues_queues", &[("state", "in_sync")]), 2.0);
    assert_eq!(m.value("cxqueues_queues", &[("state", "failed")]), 0.0);
    assert_eq!(m.value("cxqueues_conflicts_retried_total", &[]), 0.0);
    assert_eq!(m.types["cxqueues_last_reconciled_commit"], "info");
    assert_eq!(
        m.value(
            "cxqueues_last_reconciled_commit_info",
            &[
                ("commit", first.as_str()),
                ("branch", "main"),
                ("result", "applied")
            ]
        ),
        1.0
    );
    assert_eq!(m.value("cxqueues_ready", &[]), 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trigger_needs_the_bearer_token() {
    let sim = sim();
    let (repo, first) = repo_with(&[("Billing", 120, "billing")]);
    let token = "a-long-random-token";
    let runner = Runner::start(&repo, Some(&sim), &[], &[("CXQUEUES_TRIGGER_TOKEN", token)]);
    runner.wait_applied(&first).await;
    for auth in [
        None,
        Some("Bearer wrong-token"),
        Some("Bearer a-long-random-tokenX"),
    ] {
        let (code, body) = runner.post("/v1/reconcile", auth).await;
        assert_eq!(code, 401, "{auth:?}: {body}");
        assert!(!body.contains(token));
    }
    let (code, body) = runner
        .post("/v1/reconcile", Some(&format!("Bearer {token}")))
        .await;
    assert_eq!(code, 202, "{body}");
    let id = serde_json::from_str::<Value>(&body).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let st = runner
        .wait_for("the manual run", |st| {
            st["recentRuns"].as_array().unwrap().iter().any(|r| {
                r["triggers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|t| t["id"] == id.as_str() && t["kind"] == "manual")
            }) && st["running"] == false
        })
        .await;
    assert_eq!(st["result"], "in_sync");
    assert!(!runner.log().contains(token), "the token is never logged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_can_want_the_token_and_never_shows_a_client_secret_the_token_endpoint_echoes() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    const SECRET: &str = "client-secret-that-must-not-leak";
    let tenant = MockServer::start().await;
    // A hostile token endpoint: its error repeats the form it was sent, secret included.
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "invalid_client",
            "error_description": format!("client_id=runner&client_secret={SECRET} is wrong"),
        })))
        .mount(&tenant)
        .await;
    let (repo, _) = repo_with(&[("Billing", 120, "billing")]);
    let token = "a-long-random-token";
    let uri = tenant.uri();
    let token_url = format!("{uri}/token");
    let runner = Runner::start_with(
        &repo,
        |cmd| {
            cmd.arg("--base-url")
                .arg(&uri)
                .env("CXONE_CLIENT_ID", "runner")
                .env("CXONE_CLIENT_SECRET", SECRET)
                .env("CXONE_TOKEN_URL", &token_url);
        },
        &["--status-requires-token"],
        &[("CXQUEUES_TRIGGER_TOKEN", token)],
    );
    let (code, body) = runner.get("/status").await;
    assert_eq!(code, 401, "{body}");
    assert_eq!(runner.get("/healthz").await.0, 200, "the probes stay open");
    let auth = format!("Bearer {token}");
    let start = Instant::now();
    let status = loop {
        let (code, body) = http(&runner.base, "GET", "/status", Some(&auth)).await;
        assert_eq!(code, 200, "{body}");
        let st: Value = serde_json::from_str(&body).unwrap();
        if st["result"] == "failed" {
            break body;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "no failed run: {body}\n{}",
            runner.log()
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    assert!(
        status.contains("invalid_client"),
        "the server's word is shown: {status}"
    );
    assert!(!status.contains(SECRET), "{status}");
    assert!(!runner.log().contains(SECRET), "{}", runner.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trigger_endpoint_is_off_without_a_token() {
    let sim = sim();
    let (repo, first) = repo_with(&[("Billing", 120, "billing")]);
    let runner = Runner::start(&repo, Some(&sim), &[], &[]);
    runner.wait_applied(&first).await;
    let (code, body) = runner.post("/v1/reconcile", Some("Bearer anything")).await;
    assert_eq!(code, 404, "{body}");
    assert!(body.contains("CXQUEUES_TRIGGER_TOKEN"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sim_flag_runs_the_whole_loop_with_no_credentials() {
    let (repo, first) = repo_with(&[("Billing", 120, "billing"), ("Sales", 180, "sales")]);
    let runner = Runner::start(&repo, None, &["--log-format", "json"], &[]);
    let st = runner.wait_applied(&first).await;
    assert_eq!(st["result"], "applied");
    let version = st["queues"]["Billing"]["lastAppliedVersion"]
        .as_u64()
        .unwrap();
    repo.write(&file_of("Billing"), &queue("Billing", 130, "billing"));
    let second = repo.commit("edit");
    let st = runner.wait_applied(&second).await;
    assert_eq!(st["queues"]["Billing"]["state"], "in_sync");
    assert_eq!(st["queues"]["Billing"]["lastAppliedVersion"], version + 1);
    let log = runner.log();
    assert!(log.contains("Edit a file under queues/"), "{log}");
    // Logs are JSON lines.
    let json_lines = log
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str::<Value>(l).expect("a JSON log line"))
        .filter(|v| {
            v["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("reconcile finished"))
        })
        .count();
    assert!(json_lines >= 2, "{log}");
    // Every line, the banner's too, is JSON.
    for line in log.lines().filter(|l| !l.trim().is_empty()) {
        assert!(
            serde_json::from_str::<Value>(line).is_ok(),
            "a plain-text line under --log-format json: {line}"
        );
    }
}

/// A small parser of the OpenMetrics / Prometheus text exposition format, strict enough to
/// fail on malformed output: every sample belongs to a declared family, with the suffixes its
/// type allows, label values are quoted and escaped, values are numbers, and the text ends
/// with `# EOF`.
/// The repository's own example, committed to a fresh git repository.
fn example_repo() -> (Repo, String) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let repo = Repo::new();
    repo.write(
        "cxqueues.yaml",
        &std::fs::read_to_string(root.join("cxqueues.yaml")).unwrap(),
    );
    let mut dirs = vec![root.join("queues")];
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                let rel = path
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .to_string();
                repo.write(&rel, &std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let base = repo.commit("the example");
    (repo, base)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn optimize_every_commits_one_proposal_then_no_second_identical_one() {
    let (repo, base) = example_repo();
    let runner = Runner::start(
        &repo,
        None,
        &["--optimize-every", "2s", "--optimize-branch", "opt"],
        &[],
    );
    let start = Instant::now();
    let m = loop {
        let (_, text) = runner.get("/metrics").await;
        let m = openmetrics::parse(&text);
        let unchanged = m.value("cxqueues_optimize_runs_total", &[("result", "unchanged")]);
        if unchanged >= 1.0 {
            break m;
        }
        if start.elapsed() > DEADLINE {
            panic!("no second tick\n{text}\nlog:\n{}", runner.log());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        m.value("cxqueues_optimize_runs_total", &[("result", "proposed")]),
        1.0,
        "{}",
        runner.log()
    );
    assert_eq!(
        m.value("cxqueues_optimize_runs_total", &[("result", "failed")]),
        0.0
    );
    let git = git2::Repository::open(repo.path()).unwrap();
    let opt = git
        .find_reference("refs/heads/opt")
        .unwrap()
        .target()
        .unwrap();
    let commit = git.find_commit(opt).unwrap();
    assert_eq!(commit.parent_id(0).unwrap().to_string(), base);
    assert!(commit.message().unwrap().starts_with("optimize (erlang-c)"));
    // One proposal recorded; the followed branch untouched.
    // With --sim the state lives under `sim/`.
    let proposals = std::fs::read_to_string(runner.state.path().join("sim/audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("\"OPTIMIZE_PROPOSAL\""))
        .count();
    assert_eq!(proposals, 1);
    assert_eq!(
        git.find_reference("refs/heads/main")
            .unwrap()
            .target()
            .unwrap()
            .to_string(),
        base
    );
    assert!(
        runner
            .log()
            .contains("the same proposal as the previous one")
    );
}

#[test]
fn run_refuses_at_start_an_optimize_branch_checked_out_in_a_working_tree() {
    let (repo, _) = example_repo();
    let git = git2::Repository::open(repo.path()).unwrap();
    let head = git.head().unwrap().peel_to_commit().unwrap();
    git.branch("dev", &head, false).unwrap();
    let trees = tempfile::tempdir().unwrap();
    let dev = git.find_reference("refs/heads/dev").unwrap();
    let mut opts = git2::WorktreeAddOptions::new();
    opts.reference(Some(&dev));
    git.worktree("dev", &trees.path().join("dev"), Some(&opts))
        .unwrap();
    let state = tempfile::tempdir().unwrap();
    let o = common::cxqueues_bin()
        .args([
            "run",
            "--sim",
            "--listen",
            "127.0.0.1:0",
            "--optimize-branch",
            "dev",
        ])
        .arg("--repo")
        .arg(repo.path())
        .arg("--state-dir")
        .arg(state.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("\"dev\" is checked out in the working tree"),
        "{err}"
    );
    assert_eq!(
        git.find_reference("refs/heads/dev").unwrap().target(),
        Some(head.id())
    );
}

mod openmetrics {
    use std::collections::BTreeMap;

    #[derive(Debug)]
    pub struct Sample {
        pub name: String,
        pub labels: BTreeMap<String, String>,
        pub value: f64,
    }

    #[derive(Debug, Default)]
    pub struct Exposition {
        pub types: BTreeMap<String, String>,
        pub help: BTreeMap<String, String>,
        pub samples: Vec<Sample>,
    }

    impl Exposition {
        /// The value of the one sample `name` whose labels include `labels`.
        pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
            let found: Vec<&Sample> = self
                .samples
                .iter()
                .filter(|s| {
                    s.name == name
                        && labels
                            .iter()
                            .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
                })
                .collect();
            assert_eq!(found.len(), 1, "{name} {labels:?}: {found:#?}");
            found[0].value
        }
    }

    fn family_of<'a>(sample: &str, types: &'a BTreeMap<String, String>) -> Option<&'a str> {
        let suffixes: &[(&str, &[&str])] = &[
            ("counter", &["_total", "_created"]),
            ("gauge", &[""]),
            ("info", &["_info"]),
            ("histogram", &["_bucket", "_sum", "_count", "_created"]),
            ("unknown", &[""]),
        ];
        types.iter().find_map(|(family, ty)| {
            let allowed = suffixes.iter().find(|(t, _)| t == ty)?.1;
            allowed
                .iter()
                .any(|suf| sample == format!("{family}{suf}"))
                .then_some(ty.as_str())
        })
    }

    fn parse_labels(text: &str) -> (BTreeMap<String, String>, &str) {
        let mut labels = BTreeMap::new();
        let mut rest = text;
        loop {
            rest = rest.trim_start_matches(',');
            if let Some(r) = rest.strip_prefix('}') {
                return (labels, r);
            }
            let eq = rest.find('=').expect("label=value");
            let key = rest[..eq].to_string();
            assert!(
                key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "bad label name {key:?}"
            );
            let mut chars = rest[eq + 1..].char_indices();
            assert_eq!(
                chars.next().map(|c| c.1),
                Some('"'),
                "label values are quoted"
            );
            let mut value = String::new();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => match chars.next().map(|c| c.1) {
                        Some('\\') => value.push('\\'),
                        Some('"') => value.push('"'),
                        Some('n') => value.push('\n'),
                        other => panic!("bad escape {other:?}"),
                    },
                    '"' => {
                        end = Some(eq + 1 + i + 1);
                        break;
                    }
                    c => value.push(c),
                }
            }
            let end = end.expect("closing quote");
            labels.insert(key, value);
            rest = &rest[end..];
        }
    }

    pub fn parse(text: &str) -> Exposition {
        let mut out = Exposition::default();
        let mut lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.pop(), Some("# EOF"), "the exposition ends with # EOF");
        for line in lines {
            if let Some(meta) = line.strip_prefix("# ") {
                let mut parts = meta.splitn(3, ' ');
                let kind = parts.next().unwrap();
                let name = parts.next().expect("a metric name").to_string();
                let rest = parts.next().unwrap_or("").to_string();
                match kind {
                    "TYPE" => {
                        assert!(
                            [
                                "counter",
                                "gauge",
                                "histogram",
                                "info",
                                "unknown",
                                "summary",
                                "stateset",
                                "gaugehistogram"
                            ]
                            .contains(&rest.as_str()),
                            "bad type {rest:?}"
                        );
                        assert!(
                            out.types.insert(name, rest).is_none(),
                            "a family declared twice"
                        );
                    }
                    "HELP" => {
                        out.help.insert(name, rest);
                    }
                    "UNIT" => {}
                    other => panic!("unknown line # {other}"),
                }
                continue;
            }
            assert!(!line.is_empty(), "no blank lines in OpenMetrics");
            let name_end = line.find(['{', ' ']).expect("a sample has a value");
            let name = &line[..name_end];
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
                "bad metric name {name:?}"
            );
            let (labels, rest) = if line[name_end..].starts_with('{') {
                parse_labels(&line[name_end + 1..])
            } else {
                (BTreeMap::new(), &line[name_end..])
            };
            let value_text = rest.trim().split(' ').next().expect("a value");
            let value = match value_text {
                "+Inf" => f64::INFINITY,
                "-Inf" => f64::NEG_INFINITY,
                v => v
                    .parse::<f64>()
                    .unwrap_or_else(|_| panic!("bad value {v:?} in {line:?}")),
            };
            let ty = family_of(name, &out.types)
                .unwrap_or_else(|| panic!("sample {name} belongs to no declared family"));
            if ty == "counter" && name.ends_with("_total") {
                assert!(value >= 0.0, "a negative counter: {line}");
            }
            out.samples.push(Sample {
                name: name.to_string(),
                labels,
                value,
            });
        }
        // Histogram buckets are cumulative and end at +Inf = count.
        for (family, ty) in &out.types {
            if ty != "histogram" {
                continue;
            }
            let buckets: Vec<&Sample> = out
                .samples
                .iter()
                .filter(|s| s.name == format!("{family}_bucket"))
                .collect();
            let les: Vec<f64> = buckets
                .iter()
                .map(|b| match b.labels["le"].as_str() {
                    "+Inf" => f64::INFINITY,
                    v => v.parse().unwrap(),
                })
                .collect();
            assert!(les.windows(2).all(|w| w[0] < w[1]), "buckets in order");
            assert!(
                buckets.windows(2).all(|w| w[0].value <= w[1].value),
                "cumulative"
            );
            let count = out
                .samples
                .iter()
                .find(|s| s.name == format!("{family}_count"))
                .expect("a histogram count")
                .value;
            assert_eq!(les.last(), Some(&f64::INFINITY));
            assert_eq!(buckets.last().unwrap().value, count);
        }
        out
    }

    #[test]
    fn the_parser_refuses_malformed_text() {
        let ok = "# TYPE a counter\na_total{x=\"1\\\"\"} 2\n# EOF\n";
        assert_eq!(parse(ok).value("a_total", &[("x", "1\"")]), 2.0);
        for bad in [
            "# TYPE a counter\na_total 1\n",
            "a_total 1\n# EOF\n",
            "# TYPE a counter\na_total{x=1} 1\n# EOF\n",
            "# TYPE a counter\na_total one\n# EOF\n",
            "# TYPE a gauge\na_total 1\n# EOF\n",
        ] {
            assert!(std::panic::catch_unwind(|| parse(bad)).is_err(), "{bad:?}");
        }
    }
}

/// Issue: with a wrong secret and a short resync, the loop ignored its backoff once the resync
/// was due and asked for a token hundreds of times. Now every attempt waits for the error
/// policy's backoff, and the same error is not logged at every attempt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_is_retried_with_backoff_even_when_a_resync_is_due() {
    let sim = sim();
    let (repo, _) = repo_with(&[("Billing", 300, "bills")]);
    let runner = Runner::start(
        &repo,
        Some(&sim),
        &["--resync", "1s"],
        &[("CXONE_CLIENT_SECRET", "not-the-secret")],
    );
    // Six seconds of a 1 s resync: without backoff that is hundreds of token requests; with
    // the 1 s, 2 s, 4 s backoff (each between half and the whole step) at most five.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let tokens = sim.stats().token_requests;
    assert!(
        (1..=5).contains(&tokens),
        "{tokens} token requests in 6 s\n{}",
        runner.log()
    );
    let warned = runner.log().matches("reconcile failed").count();
    assert!(
        warned <= tokens as usize,
        "{warned} warnings for {tokens} attempts"
    );
}

// ---------- change windows and drift modes (issue 23) ----------

/// A webhook receiver on loopback: answers 200 to every POST and keeps each body.
struct Receiver {
    url: String,
    bodies: Arc<Mutex<Vec<Value>>>,
}

impl Receiver {
    async fn start() -> Self {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let bodies: Arc<Mutex<Vec<Value>>> = Arc::default();
        let kept = bodies.clone();
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                let kept = kept.clone();
                tokio::spawn(async move {
                    let mut raw = Vec::new();
                    let mut buf = [0u8; 4096];
                    loop {
                        let Ok(n) = conn.read(&mut buf).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        raw.extend_from_slice(&buf[..n]);
                        let text = String::from_utf8_lossy(&raw).to_string();
                        let Some((head, body)) = text.split_once("\r\n\r\n") else {
                            continue;
                        };
                        let len = head
                            .lines()
                            .find_map(|l| {
                                let (k, v) = l.split_once(':')?;
                                k.eq_ignore_ascii_case("content-length")
                                    .then(|| v.trim().parse::<usize>().ok())?
                            })
                            .unwrap_or(0);
                        if body.len() < len {
                            continue;
                        }
                        if let Ok(v) = serde_json::from_str(&body[..len]) {
                            kept.lock().unwrap().push(v);
                        }
                        let _ = conn
                            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                            .await;
                        return;
                    }
                });
            }
        });
        Self { url, bodies }
    }

    /// Waits until at least one `event` arrived; then all of that type received.
    async fn wait_events(&self, event: &str) -> Vec<Value> {
        let start = Instant::now();
        while self.events(event).is_empty() {
            assert!(start.elapsed() < DEADLINE, "no {event} event");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.events(event)
    }

    /// The bodies received of one event type.
    fn events(&self, event: &str) -> Vec<Value> {
        self.bodies
            .lock()
            .unwrap()
            .iter()
            .filter(|b| b["event"] == event)
            .cloned()
            .collect()
    }
}

/// A repository whose tenant document adds `spec` lines (windows, drift, webhooks).
fn repo_with_spec(spec: &str, queues: &[(&str, u32, &str)]) -> (Repo, String) {
    let repo = Repo::new();
    repo.write(
        "cxqueues.yaml",
        &format!(
            "apiVersion: cxqueues/v1\nkind: Tenant\nmetadata: {{name: test}}\nspec:\n  requestsPerSecond: 1000\n{spec}"
        ),
    );
    for (name, wait, desc) in queues {
        repo.write(&file_of(name), &queue(name, *wait, desc));
    }
    let id = repo.commit("first queues");
    (repo, id)
}

/// The audit records of one action.
fn records_of<'a>(audit: &'a [Value], action: &str) -> Vec<&'a Value> {
    audit.iter().filter(|r| r["action"] == action).collect()
}

fn parse_time(s: &str) -> jiff::Timestamp {
    s.parse().expect("an RFC 3339 time")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_during_a_deny_window_is_pending_and_applied_when_it_lifts_with_no_new_commit() {
    let sim = sim();
    // Every minute, its first 25 seconds hold Billing (Sales is not covered).
    let spec = "  changeWindows:\n    - {name: minute-freeze, kind: deny, schedule: \"* * * * *\", duration: 25s, queues: [Billing]}\n";
    let (repo, first) = repo_with_spec(
        spec,
        &[("Billing", 120, "billing"), ("Sales", 180, "sales")],
    );
    let runner = Runner::start(&repo, Some(&sim), &["--resync", "1h"], &[]);
    wait_tenant(&sim, &runner, "Billing created", |s| {
        wait_of(s, "Billing") == Some(120)
    })
    .await;
    let _ = first;
    // Commit early inside a window: at second 1–15 of a minute.
    loop {
        let second = jiff::Timestamp::now().as_second().rem_euclid(60);
        if (1..=15).contains(&second) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    repo.write(&file_of("Billing"), &queue("Billing", 240, "billing"));
    repo.write(&file_of("Sales"), &queue("Sales", 300, "sales"));
    let second = repo.commit("Billing 240, Sales 300");
    wait_tenant(&sim, &runner, "Sales applied at once", |s| {
        wait_of(s, "Sales") == Some(300)
    })
    .await;
    let st = runner
        .wait_for("Billing pending", |st| {
            st["commit"]["id"] == second.as_str()
                && st["queues"]["Billing"]["pending"].is_array()
                && st["running"] == false
        })
        .await;
    let pending = &st["queues"]["Billing"]["pending"][0];
    assert_eq!(st["queues"]["Billing"]["state"], "pending");
    assert_eq!(pending["window"], "minute-freeze");
    assert_eq!(pending["applies"], "changes");
    assert_eq!(pending["fields"][0]["path"], "maxWaitTime");
    assert_eq!(pending["fields"][0]["after"], 240);
    let until = parse_time(pending["until"].as_str().expect("an end"));
    assert_eq!(
        until.as_second().rem_euclid(60),
        25,
        "the window ends at :25"
    );
    assert_eq!(wait_of(&sim, "Billing"), Some(120), "held: not written");
    // No new commit: the loop applies it when the window lifts.
    wait_tenant(&sim, &runner, "Billing applied after the window", |s| {
        wait_of(s, "Billing") == Some(240)
    })
    .await;
    let st = runner
        .wait_for("the run that applied it recorded", |st| {
            st["queues"]["Billing"]["state"] == "in_sync" && st["running"] == false
        })
        .await;
    let runs = st["recentRuns"].as_array().unwrap();
    let applied = runs
        .iter()
        .rev()
        .find(|r| r["result"] == "applied")
        .expect("an applied run");
    assert_ne!(applied["trigger"], "commit", "{applied}");
    let started = parse_time(applied["started"].as_str().unwrap());
    let late = started.as_second() - until.as_second();
    assert!(
        (0..=2).contains(&late),
        "the run started {late} s after the window's end: {applied}"
    );
    assert_eq!(
        repo.git.head().unwrap().target().unwrap().to_string(),
        second
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn break_glass_applies_through_a_deny_window_with_its_own_token_and_is_audited() {
    let sim = sim();
    let hook = Receiver::start().await;
    // A deny window that is always active (each occurrence lasts until the next).
    let spec = format!(
        "  changeWindows:\n    - {{name: freeze, kind: deny, schedule: \"* * * * *\", duration: 1m}}\n  webhooks:\n    - {{url: \"{}\", secretEnv: WINDOWS_TEST_HOOK_KEY}}\n",
        hook.url
    );
    let (repo, first) = repo_with_spec(&spec, &[("Billing", 120, "billing")]);
    let runner = Runner::start(
        &repo,
        Some(&sim),
        &["--resync", "1h"],
        &[
            ("CXQUEUES_TRIGGER_TOKEN", "trigger-token"),
            ("CXQUEUES_BREAK_GLASS_TOKEN", "glass-token"),
            ("WINDOWS_TEST_HOOK_KEY", "k3y"),
        ],
    );
    let st = runner
        .wait_for("the create held", |st| {
            st["commit"]["id"] == first.as_str() && st["result"] == "held" && st["running"] == false
        })
        .await;
    assert_eq!(st["queues"]["Billing"]["pending"][0]["window"], "freeze");
    assert!(sim.queue_by_name("Billing").is_none());
    let body = r#"{"breakGlass": "INC-42: queue missing during outage"}"#;
    // The trigger token does not break glass.
    let (code, _) = http_with(
        &runner.base,
        "POST",
        "/v1/reconcile",
        Some("Bearer trigger-token"),
        body,
    )
    .await;
    assert_eq!(code, 403);
    // A plain trigger still runs, and is held.
    let (code, _) = runner
        .post("/v1/reconcile", Some("Bearer trigger-token"))
        .await;
    assert_eq!(code, 202);
    let (code, answer) = http_with(
        &runner.base,
        "POST",
        "/v1/reconcile",
        Some("Bearer glass-token"),
        body,
    )
    .await;
    assert_eq!(code, 202, "{answer}");
    wait_tenant(&sim, &runner, "Billing created through the window", |s| {
        wait_of(s, "Billing") == Some(120)
    })
    .await;
    // The write's own record follows the write.
    let start = Instant::now();
    let audit = loop {
        let audit = runner.audit();
        if !records_of(&audit, "QUEUE_CREATE").is_empty() {
            break audit;
        }
        assert!(start.elapsed() < DEADLINE, "no QUEUE_CREATE record");
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    let overridden = records_of(&audit, "WINDOW_OVERRIDDEN");
    assert_eq!(overridden.len(), 1, "{audit:#?}");
    assert_eq!(overridden[0]["queueName"], "Billing");
    assert_eq!(overridden[0]["window"], "freeze");
    assert_eq!(
        overridden[0]["reason"],
        "INC-42: queue missing during outage"
    );
    assert!(
        audit
            .iter()
            .any(|r| r["action"] == "QUEUE_CREATE" && r["status"] == "success")
    );
    let event = &hook.wait_events("queue.window.overridden").await[0];
    assert_eq!(event["queueName"], "Billing");
    assert_eq!(event["reason"], "INC-42: queue missing during outage");
    assert_eq!(event["window"], "freeze");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn break_glass_is_refused_with_403_while_its_token_is_unset() {
    let sim = sim();
    let (repo, first) = repo_with(&[("Billing", 120, "billing")]);
    let runner = Runner::start(
        &repo,
        Some(&sim),
        &[],
        &[("CXQUEUES_TRIGGER_TOKEN", "trigger-token")],
    );
    runner.wait_applied(&first).await;
    let (code, body) = http_with(
        &runner.base,
        "POST",
        "/v1/reconcile",
        Some("Bearer trigger-token"),
        r#"{"breakGlass": "please"}"#,
    )
    .await;
    assert_eq!(code, 403);
    assert!(body.contains("CXQUEUES_BREAK_GLASS_TOKEN"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warn_reports_a_tenant_edit_in_metrics_status_and_one_webhook_event_and_writes_nothing() {
    let sim = sim();
    let hook = Receiver::start().await;
    let spec = format!(
        "  drift: {{mode: warn}}\n  webhooks:\n    - {{url: \"{}\", secretEnv: WINDOWS_TEST_HOOK_KEY}}\n",
        hook.url
    );
    let (repo, first) = repo_with_spec(
        &spec,
        &[("Billing", 120, "billing"), ("Sales", 180, "sales")],
    );
    let runner = Runner::start(
        &repo,
        Some(&sim),
        &["--resync", "1s"],
        &[("WINDOWS_TEST_HOOK_KEY", "k3y")],
    );
    runner.wait_applied(&first).await;
    sim.edit_queue("Billing", "maxWaitTime", json!(599), "rival@example.com")
        .unwrap();
    let st = runner
        .wait_for("Billing reported as drifted", |st| {
            st["queues"]["Billing"]["state"] == "drifted" && st["running"] == false
        })
        .await;
    let q = &st["queues"]["Billing"];
    assert_eq!(q["driftMode"], "warn");
    assert_eq!(q["drift"][0]["path"], "maxWaitTime");
    assert_eq!(q["drift"][0]["before"], 599, "the tenant's value");
    assert_eq!(q["drift"][0]["after"], 120, "the declared value");
    assert_eq!(q["modifiedBy"], "rival@example.com");
    assert!(q["modifiedAt"].is_string());
    // Three more resyncs: still one event, nothing written.
    let runs = st["recentRuns"].as_array().unwrap().len();
    runner
        .wait_for("three more resyncs", |st| {
            st["recentRuns"].as_array().unwrap().len() >= (runs + 3).min(20)
                && st["running"] == false
        })
        .await;
    assert_eq!(wait_of(&sim, "Billing"), Some(599));
    let events = hook.wait_events("queue.drift.detected").await;
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(events[0]["queueName"], "Billing");
    assert_eq!(events[0]["mode"], "warn");
    assert_eq!(events[0]["fields"][0]["before"], 599);
    assert_eq!(events[0]["modifiedBy"], "rival@example.com");
    let (_, metrics) = runner.get("/metrics").await;
    let m = openmetrics::parse(&metrics);
    assert_eq!(m.value("cxqueues_drift_queues", &[("tenant", "test")]), 1.0);
    assert_eq!(m.value("cxqueues_drift_fields", &[("tenant", "test")]), 1.0);
    assert_eq!(
        m.value("cxqueues_drift_detected_total", &[("tenant", "test")]),
        1.0
    );
    assert_eq!(m.value("cxqueues_drift_corrections_total", &[]), 0.0);
    let audit = runner.audit();
    let drift = records_of(&audit, "DRIFT_DETECTED");
    assert_eq!(drift.len(), 1, "{audit:#?}");
    assert_eq!(drift[0]["status"], "warn");
    assert!(
        !audit
            .iter()
            .any(|r| r["action"] == "QUEUE_UPDATE" && r["queueName"] == "Billing"),
        "warn writes nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn correct_mode_restores_a_tenant_edit_and_reports_it_once() {
    let sim = sim();
    let (repo, first) =
        repo_with_spec("  drift: {mode: correct}\n", &[("Billing", 120, "billing")]);
    let runner = Runner::start(&repo, Some(&sim), &["--resync", "1s"], &[]);
    runner.wait_applied(&first).await;
    sim.edit_queue("Billing", "maxWaitTime", json!(599), "rival@example.com")
        .unwrap();
    wait_tenant(&sim, &runner, "Billing set back to 120", |s| {
        wait_of(s, "Billing") == Some(120)
    })
    .await;
    let st = runner
        .wait_for("in sync again", |st| {
            st["queues"]["Billing"]["state"] == "in_sync" && st["running"] == false
        })
        .await;
    assert_eq!(st["queues"]["Billing"]["driftMode"], "correct");
    let audit = runner.audit();
    let drift = records_of(&audit, "DRIFT_DETECTED");
    assert_eq!(drift.len(), 1, "{audit:#?}");
    assert_eq!(drift[0]["status"], "corrected");
    let (_, metrics) = runner.get("/metrics").await;
    let m = openmetrics::parse(&metrics);
    assert_eq!(m.value("cxqueues_drift_queues", &[("tenant", "test")]), 0.0);
    assert!(m.value("cxqueues_drift_corrections_total", &[]) >= 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_genesys_text_reaches_status_and_the_log_redacted_escaped_and_bounded() {
    use tenant::http::testkit::{assert_shown_safely, hostile_text};
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    const ID: &str = "genesys-runner";
    const SECRET: &str = "genesys-secret/+ that-must-not-leak";
    let org = MockServer::start().await;
    // A hostile token endpoint: its error repeats the secret in every form, with escapes
    // and 100 kB of text.
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "invalid_client",
            "error_description": hostile_text(ID, SECRET),
        })))
        .mount(&org)
        .await;
    let repo = Repo::new();
    repo.write(
        "cxqueues.yaml",
        "apiVersion: cxqueues/v1\nkind: Tenant\nmetadata: {name: org}\nspec:\n  platform: genesys-cloud\n",
    );
    repo.write(
        "queues/a.yaml",
        "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: A\nspec:\n  description: a\n",
    );
    repo.commit("a Genesys queue");
    let uri = org.uri();
    let runner = Runner::start_with(
        &repo,
        |cmd| {
            cmd.env("GENESYSCLOUD_API_REGION", &uri)
                .env("GENESYSCLOUD_OAUTHCLIENT_ID", ID)
                .env("GENESYSCLOUD_OAUTHCLIENT_SECRET", SECRET)
                .env_remove("GENESYSCLOUD_REGION");
        },
        &[],
        &[],
    );
    let status = runner
        .wait_for("a failed run", |st| st["result"] == "failed")
        .await;
    let shown = status.to_string();
    assert!(shown.contains("refused the client credentials"), "{shown}");
    assert_shown_safely("/status", &shown, &[(ID, SECRET)], &[], 1 << 20);
    // Each field that carries the error holds it redacted, escaped and bounded.
    fn strings(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => out.push(s.clone()),
            Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
            Value::Object(map) => map.values().for_each(|i| strings(i, out)),
            _ => {}
        }
    }
    let mut fields = Vec::new();
    strings(&status, &mut fields);
    let errors: Vec<&String> = fields.iter().filter(|f| f.contains("txt.exe")).collect();
    assert!(!errors.is_empty(), "{shown}");
    for field in errors {
        assert_shown_safely("a /status field", field, &[(ID, SECRET)], &[], 4096 + 512);
        assert!(
            field.contains("\\u{1b}[2J"),
            "the escape is shown escaped: {field}"
        );
    }
    assert_shown_safely("the log", &runner.log(), &[(ID, SECRET)], &[], 1 << 20);
}
