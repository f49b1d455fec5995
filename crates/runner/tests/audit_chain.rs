//! The audit log (issue 6): records as the issue lists them, the hash chain, and
//! `cxqueues audit verify`.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use model::Proficiency;
use reconcile::{
    Action, ApplyObserver, ApplyReport, FieldChange, QueueOutcome, QueueResult, SkipReason, Status,
};
use runner::recorder::audit::{
    AuditLog, AuditObserver, RunContext, VerifyError, canonical_json, verify,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tenant::{Overflow, Queue, ServiceLevelTarget, SkillRequirement};

fn written(name: &str, version: u64) -> Queue {
    let mut q = Queue::named(name);
    q.id = Some(format!("id-{name}"));
    q.version = Some(version);
    q.skill_requirements = Some(vec![SkillRequirement {
        skill: "language:en".into(),
        proficiency: Proficiency::Advanced,
        required: true,
    }]);
    q.service_level_target = Some(ServiceLevelTarget::whole(80, 20));
    q.overflow = Some(Overflow {
        enabled: true,
        target_id: "id-other".into(),
        wait_time: 120,
    });
    q.max_wait_time = Some(300);
    q.max_waiters = Some(50);
    q
}

fn outcome(name: &str, action: Action, status: Status, conflicts: u32) -> QueueOutcome {
    let applied = status == Status::Applied && action != Action::Delete;
    let result = match status {
        Status::Applied => QueueResult::Applied {
            version_after: applied.then_some(4),
            written: applied.then(|| written(name, 4)),
        },
        Status::Failed => QueueResult::Failed(tenant::TenantError::transport_message(
            "HTTP 500 from the tenant",
        )),
        Status::Skipped => QueueResult::Skipped {
            reason: SkipReason::DependsOn {
                queue: "C".into(),
                failed: true,
            },
        },
    };
    QueueOutcome {
        name: name.into(),
        id: Some(format!("id-{name}")),
        action,
        version_before: Some(3),
        conflicts,
        overridden: Vec::new(),
        latency: Duration::from_millis(42),
        fields: vec![FieldChange {
            path: "maxWaitTime".into(),
            before: json!(450),
            after: json!(300),
        }],
        result,
    }
}

fn ctx() -> RunContext {
    RunContext {
        commit_id: Some("0123456789abcdef0123456789abcdef01234567".into()),
        commit_author: Some("Ada <ada@example.com>".into()),
        trigger: "commit".into(),
        lease: None,
    }
}

/// A log of `n` records, through the observer.
fn log_with(path: &Path, n: usize) {
    let log = Arc::new(AuditLog::open(path).unwrap());
    let obs = AuditObserver {
        log,
        context: ctx(),
    };
    for i in 0..n {
        obs.on_outcome(&outcome(
            &format!("Q{i}"),
            Action::Update,
            Status::Applied,
            0,
        ));
    }
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn write_lines(path: &Path, lines: &[String]) {
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

fn broken_line(path: &Path) -> usize {
    match verify(path) {
        Err(VerifyError::Broken { line, .. }) => line,
        other => panic!("expected a broken chain, got {other:?}"),
    }
}

#[test]
fn an_intact_chain_verifies_with_its_record_count() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state/audit.jsonl");
    log_with(&path, 5);
    let report = verify(&path).unwrap();
    assert_eq!(report.records, 5);
    let last: Value = serde_json::from_str(lines(&path).last().unwrap()).unwrap();
    assert_eq!(report.last_hash.as_deref(), last["hash"].as_str());
}

#[test]
fn an_edited_line_is_caught_at_that_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    log_with(&path, 5);
    let mut l = lines(&path);
    assert!(l[2].contains("\"latencyMs\":42"));
    l[2] = l[2].replace("\"latencyMs\":42", "\"latencyMs\":43");
    write_lines(&path, &l);
    assert_eq!(broken_line(&path), 3);
}

#[test]
fn an_edited_line_with_a_recomputed_hash_is_caught_at_the_next_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    log_with(&path, 4);
    let mut l = lines(&path);
    let mut v: Value = serde_json::from_str(&l[1]).unwrap();
    v["status"] = json!("failed");
    let obj = v.as_object_mut().unwrap();
    obj.remove("hash");
    let prev = obj["prevHash"].as_str().unwrap().to_string();
    let h = hex::encode(Sha256::digest(format!("{prev}{}", canonical_json(&v))));
    v["hash"] = json!(h);
    l[1] = v.to_string();
    write_lines(&path, &l);
    assert_eq!(broken_line(&path), 3);
}

#[test]
fn a_removed_line_is_caught_at_the_line_that_took_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    log_with(&path, 5);
    let mut l = lines(&path);
    l.remove(2);
    write_lines(&path, &l);
    assert_eq!(broken_line(&path), 3);
}

#[test]
fn a_removed_first_line_is_caught_at_line_1() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    log_with(&path, 3);
    let mut l = lines(&path);
    l.remove(0);
    write_lines(&path, &l);
    assert_eq!(broken_line(&path), 1);
}

#[test]
fn two_swapped_lines_are_caught_at_the_first_of_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    log_with(&path, 5);
    let mut l = lines(&path);
    l.swap(1, 2);
    write_lines(&path, &l);
    assert_eq!(broken_line(&path), 2);
}

#[test]
fn reopening_the_log_continues_its_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    log_with(&path, 2);
    log_with(&path, 3);
    assert_eq!(verify(&path).unwrap().records, 5);
    let l = lines(&path);
    let second: Value = serde_json::from_str(&l[1]).unwrap();
    let third: Value = serde_json::from_str(&l[2]).unwrap();
    assert_eq!(third["prevHash"], second["hash"]);
}

#[test]
fn a_log_with_a_torn_last_record_is_not_continued() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    log_with(&path, 2);
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("{\"auditId\":\"0190");
    std::fs::write(&path, text).unwrap();
    let err = AuditLog::open(&path).unwrap_err().to_string();
    assert!(err.contains("audit verify"), "{err}");
}

#[test]
fn every_record_has_the_fields_the_issue_lists() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let log = Arc::new(AuditLog::open(&path).unwrap());
    let obs = AuditObserver {
        log: log.clone(),
        context: ctx(),
    };
    let outcomes = [
        outcome("A", Action::Create, Status::Applied, 0),
        outcome("B", Action::Update, Status::Applied, 2),
        outcome("C", Action::Update, Status::Failed, 0),
        outcome("D", Action::Delete, Status::Applied, 0),
        outcome("E", Action::Update, Status::Skipped, 0),
    ];
    for o in &outcomes {
        obs.on_outcome(o);
    }
    let report = ApplyReport {
        outcomes: outcomes.to_vec(),
        wall: Duration::from_millis(900),
        ..ApplyReport::default()
    };
    log.record_run(&ctx(), &report).unwrap();

    let recs: Vec<Value> = lines(&path)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(recs.len(), 6);
    let keys = [
        "auditId",
        "timestamp",
        "action",
        "queueId",
        "queueName",
        "versionBefore",
        "versionAfter",
        "status",
        "latencyMs",
        "commitId",
        "commitAuthor",
        "trigger",
        "changedFields",
        "configurationHash",
        "skillRequirementsValid",
        "slaConfigured",
        "overflowDefined",
        "prevHash",
        "hash",
    ];
    for r in &recs {
        for k in keys {
            assert!(r.get(k).is_some(), "{k} missing in {r}");
        }
        let id = uuid::Uuid::parse_str(r["auditId"].as_str().unwrap()).unwrap();
        assert_eq!(id.get_version_num(), 7);
        let ts = r["timestamp"].as_str().unwrap();
        assert!(
            ts.len() == 24 && ts.ends_with('Z') && ts.as_bytes()[10] == b'T',
            "{ts}"
        );
        assert_eq!(
            r["commitId"],
            json!("0123456789abcdef0123456789abcdef01234567")
        );
        assert_eq!(r["trigger"], json!("commit"));
    }
    let actions: Vec<&str> = recs.iter().map(|r| r["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "QUEUE_CREATE",
            "QUEUE_UPDATE",
            "QUEUE_UPDATE",
            "QUEUE_DELETE",
            "QUEUE_UPDATE",
            "RECONCILE"
        ]
    );
    let statuses: Vec<&str> = recs.iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(
        statuses,
        [
            "success",
            "conflict-retried",
            "failed",
            "success",
            "skipped",
            "partial"
        ]
    );
    // The queue as written: its canonical JSON's sha256, computed here independently.
    let q = serde_json::to_value(written("A", 4)).unwrap();
    let mut sorted = std::collections::BTreeMap::new();
    for (k, v) in q.as_object().unwrap() {
        sorted.insert(k.clone(), sort_keys(v));
    }
    let canonical = serde_json::to_string(&sorted).unwrap();
    let expect = hex::encode(Sha256::digest(canonical.as_bytes()));
    assert_eq!(recs[0]["configurationHash"], json!(expect));
    assert_eq!(recs[0]["skillRequirementsValid"], json!(true));
    assert_eq!(recs[0]["slaConfigured"], json!(true));
    assert_eq!(recs[0]["overflowDefined"], json!(true));
    assert_eq!(recs[0]["versionBefore"], json!(3));
    assert_eq!(recs[0]["versionAfter"], json!(4));
    assert_eq!(recs[0]["latencyMs"], json!(42));
    assert_eq!(
        recs[0]["changedFields"],
        json!([{"path": "maxWaitTime", "before": 450, "after": 300}])
    );
    // No queue was written by the failed update or the delete.
    assert!(recs[2]["configurationHash"].is_null());
    assert_eq!(recs[2]["error"], json!("HTTP 500 from the tenant"));
    assert!(recs[3]["configurationHash"].is_null());
    assert_eq!(recs[5]["summary"]["created"], json!(1));
    assert_eq!(recs[5]["summary"]["failed"], json!(1));
    assert_eq!(recs[5]["latencyMs"], json!(900));
    assert!(recs[5]["queueId"].is_null());
    assert_eq!(verify(&path).unwrap().records, 6);
}

fn sort_keys(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let sorted: std::collections::BTreeMap<String, Value> =
                m.iter().map(|(k, v)| (k.clone(), sort_keys(v))).collect();
            serde_json::to_value(sorted).unwrap()
        }
        Value::Array(a) => Value::Array(a.iter().map(sort_keys).collect()),
        other => other.clone(),
    }
}

#[test]
fn the_compliance_flags_say_what_the_written_queue_lacks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let log = AuditLog::open(&path).unwrap();
    let mut o = outcome("Bare", Action::Create, Status::Applied, 0);
    o.result = QueueResult::Applied {
        version_after: Some(4),
        written: Some(Queue::named("Bare")),
    };
    let r = log.record_outcome(&ctx(), &o).unwrap();
    assert_eq!(r.skill_requirements_valid, Some(false));
    assert_eq!(r.sla_configured, Some(false));
    assert_eq!(r.overflow_defined, Some(false));
}

#[test]
fn appends_from_many_threads_keep_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let log = Arc::new(AuditLog::open(&path).unwrap());
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let obs = AuditObserver {
                log: log.clone(),
                context: ctx(),
            };
            std::thread::spawn(move || {
                for i in 0..25 {
                    obs.on_outcome(&outcome(
                        &format!("T{t}-{i}"),
                        Action::Update,
                        Status::Applied,
                        0,
                    ));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(verify(&path).unwrap().records, 100);
}

#[test]
fn two_logs_open_on_one_file_keep_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let a = AuditLog::open(&path).unwrap();
    let b = AuditLog::open(&path).unwrap();
    for i in 0..3 {
        a.record_outcome(
            &ctx(),
            &outcome(&format!("A{i}"), Action::Update, Status::Applied, 0),
        )
        .unwrap();
        b.record_outcome(
            &ctx(),
            &outcome(&format!("B{i}"), Action::Update, Status::Applied, 0),
        )
        .unwrap();
    }
    assert_eq!(verify(&path).unwrap().records, 6);
}

fn cxqueues(args: &[&str], cwd: &Path) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cxqueues"))
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn audit_verify_prints_ok_and_exits_0_then_names_the_broken_line_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    // The default path: <state-dir>/audit.jsonl, with --state-dir defaulting to .cxqueues.
    let path = dir.path().join(".cxqueues/audit.jsonl");
    log_with(&path, 4);
    let (code, out) = cxqueues(&["audit", "verify"], dir.path());
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("ok: 4 records"), "{out}");

    let mut l = lines(&path);
    l.swap(2, 3);
    write_lines(&path, &l);
    let (code, out) = cxqueues(&["audit", "verify", path.to_str().unwrap()], dir.path());
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("broken at line 3: "), "{out}");

    let other = dir.path().join("elsewhere");
    log_with(&other.join("audit.jsonl"), 2);
    let (code, out) = cxqueues(
        &["audit", "verify", "--state-dir", other.to_str().unwrap()],
        dir.path(),
    );
    assert_eq!((code, out.starts_with("ok: 2 records")), (0, true), "{out}");
}

// ---------------------------------------------------------------------------------------
// Issue 10, item 12: a write's intent before it, its outcome after; a process killed in
// between leaves an intent that `audit verify` names until a run resolves it.

/// The update of queue `name` (maxWaitTime 450 → 300), as apply gets it from a plan.
fn change(name: &str) -> reconcile::Change {
    let file = model::RepoFile {
        path: "queues/q.yaml".into(),
        bytes: format!(
            "apiVersion: cxqueues/v1\nkind: Queue\nmetadata: {{name: {name}}}\nspec: {{maxWaitTime: 300}}\n"
        )
        .into_bytes(),
    };
    let repo = model::parse_files(None, [file], &model::LoadOptions::default());
    let mut q = Queue::named(name);
    q.id = Some(format!("id-{name}"));
    q.version = Some(3);
    q.max_wait_time = Some(450);
    let observed = reconcile::Observed {
        queues: vec![q],
        ..reconcile::Observed::default()
    };
    let plan = reconcile::plan(&repo, &observed).expect("a plan");
    assert_eq!(plan.changes.len(), 1);
    plan.changes[0].clone()
}

fn records(path: &Path) -> Vec<Value> {
    lines(path)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn each_write_has_its_intent_before_it_and_its_outcome_names_that_intent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let obs = AuditObserver {
        log: Arc::new(AuditLog::open(&path).unwrap()),
        context: ctx(),
    };
    obs.on_start(&change("A"));
    obs.on_outcome(&outcome("A", Action::Update, Status::Applied, 0));
    let recs = records(&path);
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[0]["action"], "QUEUE_INTENT");
    assert_eq!(recs[0]["intended"], "QUEUE_UPDATE");
    assert_eq!(recs[0]["queueName"], "A");
    assert_eq!(recs[0]["queueId"], "id-A");
    assert_eq!(recs[0]["status"], "pending");
    assert_eq!(recs[0]["changedFields"][0]["path"], "maxWaitTime");
    assert_eq!(recs[0]["configurationHash"].as_str().unwrap().len(), 64);
    assert_eq!(recs[1]["action"], "QUEUE_UPDATE");
    assert_eq!(recs[1]["intentId"], recs[0]["auditId"]);
    let report = verify(&path).unwrap();
    assert_eq!((report.records, report.unresolved.len()), (2, 0));
}

#[tokio::test]
async fn a_write_intent_without_its_outcome_is_named_by_audit_verify_until_a_run_resolves_it() {
    let dir = tempfile::tempdir().unwrap();
    let state = runner::cli::args::StateArgs {
        state_dir: dir.path().join(".cxqueues"),
        audit_log: None,
    };
    let path = state.audit_path();
    {
        let obs = AuditObserver {
            log: Arc::new(AuditLog::open(&path).unwrap()),
            context: ctx(),
        };
        obs.on_start(&change("A"));
        obs.on_outcome(&outcome("A", Action::Update, Status::Applied, 0));
        // A crash between B's intent and its outcome.
        obs.on_start(&change("Queue 010"));
    }
    let report = verify(&path).unwrap();
    assert_eq!(report.records, 3);
    assert_eq!(report.unresolved.len(), 1);
    assert_eq!(report.unresolved[0].queue_name, "Queue 010");
    assert_eq!(report.unresolved[0].line, 3);
    let (code, out) = cxqueues(&["audit", "verify"], dir.path());
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with("unresolved:")
            && out.contains("line 3: QUEUE_UPDATE of queue \"Queue 010\""),
        "{out}"
    );

    // The next start records the finding, once.
    let repo = model::parse_files(None, [], &model::LoadOptions::default());
    let env = runner::recorder::webhooks::EnvLookup::new(|_| None);
    let config = runner::recorder::webhooks::DeliveryConfig::default();
    let recorder =
        runner::recorder::Recorder::open_with(&state, &repo, config.clone(), env.clone()).unwrap();
    recorder.shutdown(Duration::from_millis(10)).await;
    let again = runner::recorder::Recorder::open_with(&state, &repo, config, env).unwrap();
    let recs = records(&path);
    assert_eq!(recs.len(), 4, "one finding, not one per start");
    assert_eq!(recs[3]["action"], "INTENT_UNRESOLVED");
    assert_eq!(recs[3]["intentId"], recs[2]["auditId"]);
    assert_eq!(recs[3]["queueName"], "Queue 010");
    assert!(
        recs[3]["error"]
            .as_str()
            .unwrap()
            .contains("may or may not hold")
    );
    assert_eq!(
        verify(&path).unwrap().unresolved.len(),
        1,
        "still unresolved"
    );

    // A run that has read the tenant records what it holds, and verify passes.
    let mut held = written("Queue 010", 4);
    held.max_wait_time = Some(300);
    let observed = reconcile::Observed {
        queues: vec![held],
        ..reconcile::Observed::default()
    };
    assert_eq!(again.resolve_intents(&ctx(), &observed).unwrap(), 1);
    let recs = records(&path);
    let last = recs.last().unwrap();
    assert_eq!(last["action"], "INTENT_RESOLVED");
    assert_eq!(last["status"], "present");
    assert_eq!(last["versionAfter"], 4);
    assert_eq!(last["intentId"], recs[2]["auditId"]);
    let report = verify(&path).unwrap();
    assert!(report.unresolved.is_empty());
    let (code, out) = cxqueues(&["audit", "verify"], dir.path());
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("ok: 5 records"), "{out}");
    again.shutdown(Duration::from_millis(10)).await;
}

#[test]
#[ignore = "helper: run in a child process by the SIGKILL test"]
fn child_process_that_is_killed_between_a_write_intent_and_its_outcome() {
    let Ok(path) = std::env::var("CXQ_AUDIT_CHILD_LOG") else {
        return;
    };
    let obs = AuditObserver {
        log: Arc::new(AuditLog::open(&path).unwrap()),
        context: ctx(),
    };
    for name in ["Queue 004", "Queue 010"] {
        obs.on_start(&change(name));
        obs.on_outcome(&outcome(name, Action::Update, Status::Applied, 0));
    }
    obs.on_start(&change("Queue 023"));
    println!("writing");
    // The tenant write hangs; the parent kills the process now.
    std::thread::sleep(Duration::from_secs(600));
}

#[test]
fn a_process_killed_with_sigkill_mid_write_leaves_an_intent_that_audit_verify_names() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".cxqueues/audit.jsonl");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "child_process_that_is_killed_between_a_write_intent_and_its_outcome",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("CXQ_AUDIT_CHILD_LOG", &path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let reached = std::io::BufRead::lines(std::io::BufReader::new(stdout))
        .map_while(Result::ok)
        .any(|l| l.contains("writing"));
    assert!(reached, "the child reached its write");
    child.kill().unwrap(); // SIGKILL
    assert!(!child.wait().unwrap().success());
    let (code, out) = cxqueues(&["audit", "verify"], dir.path());
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("1 write intent(s) have no outcome"), "{out}");
    assert!(
        out.contains("of queue \"Queue 023\" (id-Queue 023)"),
        "{out}"
    );
    assert!(
        !out.contains("Queue 004") && !out.contains("Queue 010"),
        "{out}"
    );
}

#[test]
fn an_apply_after_a_killed_one_resolves_its_intent_against_the_tenant_and_verify_passes() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(repo.join("queues")).unwrap();
    std::fs::write(
        repo.join("queues/q.yaml"),
        "apiVersion: cxqueues/v1\nkind: Queue\nmetadata: {name: Intent Test}\nspec: {maxWaitTime: 300}\n",
    )
    .unwrap();
    let state_arg = dir.path().join("state");
    // With --sim, the audit log lives in the simulator's folder of the state directory.
    let state = state_arg.join("sim");
    {
        let obs = AuditObserver {
            log: Arc::new(AuditLog::open(state.join("audit.jsonl")).unwrap()),
            context: ctx(),
        };
        obs.on_start(&change("Queue 023"));
    }
    let out = Command::new(env!("CARGO_BIN_EXE_cxqueues"))
        .args(["apply", "--sim", "--repo"])
        .arg(&repo)
        .arg("--state-dir")
        .arg(&state_arg)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let recs = records(&state.join("audit.jsonl"));
    let actions: Vec<&str> = recs.iter().map(|r| r["action"].as_str().unwrap()).collect();
    // (The embedded tenant may hold the queue already: its write is a create or an update.)
    let write = if actions[4] == "QUEUE_CREATE" {
        "QUEUE_CREATE"
    } else {
        "QUEUE_UPDATE"
    };
    assert_eq!(
        actions,
        [
            "QUEUE_INTENT",
            "INTENT_UNRESOLVED",
            "INTENT_RESOLVED",
            "QUEUE_INTENT",
            write,
            "RECONCILE"
        ]
    );
    // The killed write's queue is not in the tenant: the resolution says so.
    assert_eq!(recs[2]["status"], "absent");
    assert_eq!(recs[2]["intentId"], recs[0]["auditId"]);
    assert_eq!(recs[4]["intentId"], recs[3]["auditId"]);
    let (code, out) = cxqueues(
        &["audit", "verify", "--state-dir", state.to_str().unwrap()],
        dir.path(),
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("ok: 6 records"), "{out}");
}
