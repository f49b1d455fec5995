//! Plan and apply end to end against the simulated tenant, faults included. Every scenario
//! ends by planning again and asserting that nothing is left to do.

use std::path::Path;
use std::time::Duration;

use model::{LoadOptions, Repository};
use reconcile::{Action, ApplyOptions, Observed, Plan, Status};
use routing_api::{ClientConfig, HttpTenant, Secret};
use serde_json::json;
use sim::{Faults, RivalAdmin, Seed, SeedOverflow, SeedQueue, SimHandle};

const MODELINE: &str = "# yaml-language-server: $schema=../schemas/queue.schema.json\n";

fn queue(name: &str, extra: &str) -> String {
    format!("apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: {name}\nspec:\n{extra}")
}

fn write_repo(dir: &Path, files: &[(&str, String)]) -> Repository {
    std::fs::create_dir_all(dir.join("queues")).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join("queues").join(name), format!("{MODELINE}{text}")).unwrap();
    }
    let mut repo = model::load_repository(dir, &LoadOptions::default());
    let mut more = reconcile::check_repository(&repo);
    repo.diagnostics.append(&mut more);
    assert!(
        !repo.has_errors(),
        "test repository is invalid: {:#?}",
        repo.diagnostics
    );
    repo
}

fn skills_seed(queues: Vec<SeedQueue>) -> Seed {
    Seed {
        queues,
        skills: ["language:en", "language:es", "billing", "support"]
            .into_iter()
            .map(Into::into)
            .collect(),
        ..Seed::default()
    }
}

fn client(sim: &SimHandle) -> HttpTenant {
    let c = sim.client();
    let mut cfg = ClientConfig::new(
        sim.base_url(),
        c.client_id.clone(),
        Secret::new(c.client_secret.clone()),
    );
    cfg.requests_per_second = 500.0;
    cfg.retry.initial_delay = Duration::from_millis(20);
    cfg.retry.max_delay = Duration::from_millis(200);
    cfg.retry.max_retry_after = Duration::from_millis(1500);
    cfg.retry.max_attempts = 12;
    HttpTenant::new(cfg).unwrap()
}

async fn observe(t: &HttpTenant) -> Observed {
    reconcile::observe(t).await.unwrap()
}

async fn plan_now(t: &HttpTenant, repo: &Repository) -> (Plan, Observed) {
    let observed = observe(t).await;
    let plan = reconcile::plan(repo, &observed).expect("a plan without tenant-aware errors");
    (plan, observed)
}

/// The tenant-aware errors that reject a plan of `repo`.
async fn rejected_now(t: &HttpTenant, repo: &Repository) -> reconcile::Rejected {
    let observed = observe(t).await;
    reconcile::plan(repo, &observed).expect_err("a rejected plan")
}

fn fast() -> ApplyOptions {
    ApplyOptions {
        conflict_backoff: Duration::from_millis(5),
        ..ApplyOptions::default()
    }
}

async fn assert_converged(t: &HttpTenant, repo: &Repository) {
    let (plan, _) = plan_now(t, repo).await;
    assert!(
        plan.is_empty(),
        "the plan after apply is not empty: {:#?}",
        plan.changes
    );
}

fn billing_repo(dir: &Path) -> Repository {
    write_repo(
        dir,
        &[
            (
                "billing.yaml",
                format!(
                    "{}---\n{}",
                    queue(
                        "Billing Tier 1",
                        "  description: first line billing\n  maxWaitTime: 300\n  skillRequirements:\n    - {skill: language:en, proficiency: advanced}\n  overflow:\n    target: Billing Tier 2\n    waitTime: 120\n"
                    ),
                    queue("Billing Tier 2", "  maxWaitTime: 600\n  maxWaiters: 20\n")
                ),
            ),
            ("support.yaml", queue("Support", "  maxWaiters: 40\n")),
        ],
    )
}

#[tokio::test]
async fn a_first_apply_creates_targets_before_the_queues_that_overflow_to_them() {
    let dir = tempfile::tempdir().unwrap();
    let repo = billing_repo(dir.path());
    let sim = sim::Sim::start(
        skills_seed(vec![SeedQueue::named("Support")]),
        Faults::none(),
    )
    .unwrap();
    let t = client(&sim);
    let (plan, observed) = plan_now(&t, &repo).await;
    let s = plan.summary();
    assert_eq!((s.create, s.update, s.delete), (2, 1, 0));
    let pos = |n: &str| plan.changes.iter().position(|c| c.name == n).unwrap();
    assert!(
        pos("Billing Tier 2") < pos("Billing Tier 1"),
        "target must come first"
    );

    let report = reconcile::apply(&t, &plan, &observed, &fast()).await;
    assert!(report.is_complete(), "{:#?}", report.outcomes);
    assert_eq!((report.created(), report.updated()), (2, 1));
    let t1 = sim.queue_by_name("Billing Tier 1").unwrap();
    let t2 = sim.queue_by_name("Billing Tier 2").unwrap();
    assert_eq!(t1["overflow"]["targetId"], t2["id"]);
    assert_convergence_and_idempotence(&t, &repo, &sim).await;
}

async fn assert_convergence_and_idempotence(t: &HttpTenant, repo: &Repository, sim: &SimHandle) {
    assert_converged(t, repo).await;
    // A second apply writes nothing.
    sim.reset_stats();
    let (plan, observed) = plan_now(t, repo).await;
    let report = reconcile::apply(t, &plan, &observed, &fast()).await;
    assert!(report.outcomes.is_empty());
    let writes: u64 = sim
        .stats()
        .requests
        .iter()
        .filter(|(k, _)| !k.starts_with("GET") && !k.contains("oauth2"))
        .map(|(_, by)| by.values().sum::<u64>())
        .sum();
    assert_eq!(
        writes,
        0,
        "an idempotent apply must not write: {:?}",
        sim.stats().requests
    );
}

#[tokio::test]
async fn a_no_op_plan_costs_only_the_list_pages_and_one_token() {
    let dir = tempfile::tempdir().unwrap();
    let repo = billing_repo(dir.path());
    let sim = sim::Sim::start(skills_seed(vec![]), Faults::none()).unwrap();
    let t = client(&sim);
    let (plan, observed) = plan_now(&t, &repo).await;
    reconcile::apply(&t, &plan, &observed, &fast()).await;
    sim.reset_stats();
    let t2 = client(&sim);
    let (plan, _) = plan_now(&t2, &repo).await;
    assert!(plan.is_empty());
    let st = sim.stats();
    let total: u64 = st.requests.values().flat_map(|m| m.values()).sum();
    // One token, one page of queues, one page of skills.
    assert_eq!(total, 3, "{:?}", st.requests);
}

#[tokio::test]
async fn conflict_on_put_refetches_and_keeps_a_concurrent_edit_of_an_unmanaged_field() {
    let dir = tempfile::tempdir().unwrap();
    let repo = write_repo(
        dir.path(),
        &[("s.yaml", queue("Support", "  maxWaitTime: 240\n"))],
    );
    let sim = sim::Sim::start(
        skills_seed(vec![SeedQueue::named("Support")]),
        Faults::none(),
    )
    .unwrap();
    let t = client(&sim);
    let (plan, observed) = plan_now(&t, &repo).await;
    sim.set_faults(Faults::none().with_rival(RivalAdmin {
        field: "description".into(),
        value: json!("note from the night shift"),
        times: 1,
        name: "rival@example.com".into(),
        queue: Some("Support".into()),
    }));
    let report = reconcile::apply(&t, &plan, &observed, &fast()).await;
    assert!(report.is_complete(), "{:#?}", report.outcomes);
    assert_eq!(report.conflicts_retried(), 1);
    assert!(
        report.outcomes[0].overridden.is_empty(),
        "description is not declared"
    );
    let q = sim.queue_by_name("Support").unwrap();
    assert_eq!(
        q["description"], "note from the night shift",
        "the rival's edit survives"
    );
    assert_eq!(q["maxWaitTime"], 240, "our change lands");
    assert!(q["division"].is_object(), "unknown fields survive the PUT");
    assert_converged(&t, &repo).await;
}

#[tokio::test]
async fn a_rival_edit_of_a_declared_field_is_overwritten_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let repo = write_repo(
        dir.path(),
        &[(
            "s.yaml",
            queue("Support", "  maxWaitTime: 240\n  maxWaiters: 30\n"),
        )],
    );
    let sim = sim::Sim::start(
        skills_seed(vec![SeedQueue::named("Support")]),
        Faults::none(),
    )
    .unwrap();
    let t = client(&sim);
    let (plan, observed) = plan_now(&t, &repo).await;
    sim.set_faults(Faults::none().with_rival(RivalAdmin {
        field: "maxWaitTime".into(),
        value: json!(555),
        times: 2,
        name: "rival@example.com".into(),
        queue: None,
    }));
    let report = reconcile::apply(&t, &plan, &observed, &fast()).await;
    assert!(report.is_complete(), "{:#?}", report.outcomes);
    let o = &report.outcomes[0];
    assert_eq!(o.conflicts, 2);
    assert_eq!(o.overridden.len(), 1);
    assert_eq!(o.overridden[0].field, "maxWaitTime");
    assert_eq!(o.overridden[0].by.as_deref(), Some("rival@example.com"));
    assert_eq!(sim.queue_by_name("Support").unwrap()["maxWaitTime"], 240);
    assert_converged(&t, &repo).await;
}

#[tokio::test]
async fn conflicts_beyond_the_retry_limit_fail_that_queue_only() {
    let dir = tempfile::tempdir().unwrap();
    let repo = write_repo(
        dir.path(),
        &[
            ("a.yaml", queue("Support", "  maxWaitTime: 240\n")),
            ("b.yaml", queue("Sales", "  maxWaitTime: 200\n")),
        ],
    );
    let sim = sim::Sim::start(
        skills_seed(vec![SeedQueue::named("Support"), SeedQueue::named("Sales")]),
        Faults::none(),
    )
    .unwrap();
    let t = client(&sim);
    let (plan, observed) = plan_now(&t, &repo).await;
    sim.set_faults(Faults::none().with_rival(RivalAdmin {
        field: "maxWaitTime".into(),
        value: json!(100),
        times: 50,
        name: "bot".into(),
        queue: Some("Support".into()),
    }));
    let opts = ApplyOptions {
        max_conflict_retries: 2,
        ..fast()
    };
    let report = reconcile::apply(&t, &plan, &observed, &opts).await;
    let failed: Vec<_> = report.not_reconciled().map(|o| o.name.as_str()).collect();
    assert_eq!(failed, ["Support"]);
    assert_eq!(report.updated(), 1);
    assert_eq!(sim.queue_by_name("Sales").unwrap()["maxWaitTime"], 200);
}

#[tokio::test]
async fn sustained_429_and_503_and_two_second_tokens_still_converge() {
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<(String, String)> = (0..30)
        .map(|i| {
            let target = if i % 3 != 2 {
                format!("  overflow: {{target: Q{:02}, waitTime: 60}}\n", i + 1)
            } else {
                String::new()
            };
            (
                format!("q{i:02}.yaml"),
                queue(
                    &format!("Q{i:02}"),
                    &format!("  maxWaitTime: {}\n{target}", 100 + i),
                ),
            )
        })
        .collect();
    let refs: Vec<(&str, String)> = files.iter().map(|(a, b)| (a.as_str(), b.clone())).collect();
    let repo = write_repo(dir.path(), &refs);
    let sim = sim::Sim::start(
        skills_seed(vec![]),
        Faults::none()
            .with_rate_429(0.1)
            .with_rate_503(0.1)
            .with_retry_after(1, sim::RetryAfterFormat::Seconds)
            .with_token_lifetime_secs(2),
    )
    .unwrap();
    let t = client(&sim);
    let (plan, observed) = plan_now(&t, &repo).await;
    assert_eq!(plan.summary().create, 30);
    let report = reconcile::apply(&t, &plan, &observed, &fast()).await;
    assert!(
        report.is_complete(),
        "{:#?}",
        report.not_reconciled().collect::<Vec<_>>()
    );
    let st = sim.stats();
    let throttled: u64 = st
        .requests
        .values()
        .map(|m| m.get(&429).copied().unwrap_or(0) + m.get(&503).copied().unwrap_or(0))
        .sum();
    assert!(
        throttled > 0,
        "the faults must have fired: {:?}",
        st.requests
    );
    assert_eq!(sim.queues().len(), 30, "no duplicate created under retries");
    assert_converged(&t, &repo).await;
}

#[tokio::test]
async fn a_lost_post_response_does_not_create_a_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let repo = write_repo(
        dir.path(),
        &[("s.yaml", queue("Support", "  maxWaitTime: 240\n"))],
    );
    let sim = sim::Sim::start(
        skills_seed(vec![]),
        Faults::none().with_drop_after_apply_next(1, &["POST"]),
    )
    .unwrap();
    let t = client(&sim);
    let (plan, observed) = plan_now(&t, &repo).await;
    let report = reconcile::apply(&t, &plan, &observed, &fast()).await;
    assert!(report.is_complete(), "{:#?}", report.outcomes);
    let named: Vec<_> = sim
        .queues()
        .into_iter()
        .filter(|q| q["name"] == "Support")
        .collect();
    assert_eq!(named.len(), 1, "exactly one queue named Support");
    assert_eq!(
        sim.stats().dropped.values().sum::<u64>(),
        1,
        "the response was really lost"
    );
    assert_converged(&t, &repo).await;
}

#[tokio::test]
async fn a_tombstone_deletes_after_the_queue_pointing_at_it_is_retargeted() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = SeedQueue::named("Old Overflow");
    a.max_wait_time = 300;
    let mut b = SeedQueue::named("Front Desk");
    b.overflow = Some(SeedOverflow {
        target: Some("Old Overflow".into()),
        wait_time: 60,
        ..SeedOverflow::default()
    });
    let sim = sim::Sim::start(skills_seed(vec![a, b]), Faults::none()).unwrap();
    let repo = write_repo(
        dir.path(),
        &[
            (
                "a.yaml",
                "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: Old Overflow\n  deleted: true\n".to_string(),
            ),
            ("b.yaml", queue("Front Desk", "  overflow: {target: New Overflow, waitTime: 60}\n")),
            ("c.yaml", queue("New Overflow", "  maxWaitTime: 400\n")),
        ],
    );
    let t = client(&sim);
    let (plan, observed) = plan_now(&t, &repo).await;
    let actions: Vec<_> = plan
        .changes
        .iter()
        .map(|c| (c.name.as_str(), c.action()))
        .collect();
    assert_eq!(
        actions,
        [
            ("New Overflow", Action::Create),
            ("Front Desk", Action::Update),
            ("Old Overflow", Action::Delete)
        ]
    );
    let report = reconcile::apply(&t, &plan, &observed, &fast()).await;
    assert!(report.is_complete(), "{:#?}", report.outcomes);
    assert!(sim.queue_by_name("Old Overflow").is_none());
    assert_convergence_and_idempotence(&t, &repo, &sim).await;
}

#[tokio::test]
async fn a_cycle_through_an_unmanaged_tenant_queue_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut partner = SeedQueue::named("Partner Desk");
    partner.overflow = Some(SeedOverflow {
        target: Some("Support".into()),
        wait_time: 60,
        ..SeedOverflow::default()
    });
    let sim = sim::Sim::start(
        skills_seed(vec![SeedQueue::named("Support"), partner]),
        Faults::none(),
    )
    .unwrap();
    let partner_id = sim.queue_by_name("Partner Desk").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let repo = write_repo(
        dir.path(),
        &[(
            "support.yaml",
            queue(
                "Support",
                &format!("  overflow:\n    targetId: {partner_id}\n    waitTime: 90\n"),
            ),
        )],
    );
    let t = client(&sim);
    let plan = rejected_now(&t, &repo).await;
    let cycles: Vec<_> = plan
        .diagnostics
        .iter()
        .filter(|d| d.rule == model::Rule::Cycle)
        .collect();
    assert_eq!(cycles.len(), 1, "{:#?}", plan.diagnostics);
    assert_eq!(cycles[0].file, Path::new("queues/support.yaml"));
    assert_eq!(cycles[0].line, 8);
    assert!(
        cycles[0].message.contains("Partner Desk (unmanaged)"),
        "{}",
        cycles[0].message
    );
    assert!(!plan.diagnostics.is_empty());
}

#[tokio::test]
async fn tenant_aware_checks_name_unknown_skills_and_target_ids() {
    let dir = tempfile::tempdir().unwrap();
    let repo = write_repo(
        dir.path(),
        &[(
            "s.yaml",
            queue(
                "Support",
                "  skillRequirements:\n    - {skill: language:eng, proficiency: expert}\n  overflow:\n    targetId: 0b0f6b8e-2f5a-4a53-9a3e-0a3f4c1d2e11\n    waitTime: 60\n",
            ),
        )],
    );
    let sim = sim::Sim::start(skills_seed(vec![]), Faults::none()).unwrap();
    let t = client(&sim);
    let plan = rejected_now(&t, &repo).await;
    let rules: Vec<_> = plan.diagnostics.iter().map(|d| (d.rule, d.line)).collect();
    assert_eq!(
        rules,
        [
            (model::Rule::UnknownSkill, 8),
            (model::Rule::UnknownTargetId, 10)
        ]
    );
    assert_eq!(
        plan.diagnostics[0].hint.as_deref(),
        Some("did you mean `language:en`?")
    );
}

#[tokio::test]
async fn a_failed_target_skips_the_queues_that_point_at_it() {
    let dir = tempfile::tempdir().unwrap();
    let repo = write_repo(
        dir.path(),
        &[
            (
                "a.yaml",
                queue("Front", "  overflow: {target: Back, waitTime: 60}\n"),
            ),
            ("b.yaml", queue("Back", "  maxWaiters: 90\n")),
            ("c.yaml", queue("Other", "  maxWaiters: 5\n")),
        ],
    );
    let sim = sim::Sim::start(skills_seed(vec![]), Faults::none()).unwrap();
    // The license is lowered after the plan: the tenant refuses Back.
    let t = client(&sim);
    let (plan, observed) = plan_now(&t, &repo).await;
    sim.set_license(sim::License { max_waiters: 50 });
    let report = reconcile::apply(&t, &plan, &observed, &fast()).await;
    let by_name = |n: &str| report.outcomes.iter().find(|o| o.name == n).unwrap();
    assert_eq!(by_name("Back").status(), Status::Failed);
    assert!(
        by_name("Back").reason().unwrap().contains("rejected"),
        "{:?}",
        by_name("Back").reason()
    );
    assert_eq!(by_name("Front").status(), Status::Skipped);
    assert!(by_name("Front").reason().unwrap().contains("Back"));
    assert_eq!(by_name("Other").status(), Status::Applied);
    assert!(sim.queue_by_name("Front").is_none());
}

#[tokio::test]
async fn a_saved_plan_whose_dependencies_form_a_cycle_skips_those_queues_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let repo = write_repo(
        dir.path(),
        &[
            ("a.yaml", queue("A", "  maxWaiters: 5\n")),
            ("b.yaml", queue("B", "  maxWaiters: 6\n")),
            ("c.yaml", queue("C", "  maxWaiters: 7\n")),
        ],
    );
    let sim = sim::Sim::start(skills_seed(vec![]), Faults::none()).unwrap();
    let t = client(&sim);
    let (mut plan, observed) = plan_now(&t, &repo).await;
    // A hand-edited plan: A waits for B, B for A.
    plan.changes[0].after = vec!["B".into()];
    plan.changes[1].after = vec!["A".into()];
    let report = reconcile::apply(&t, &plan, &observed, &fast()).await;
    assert_eq!(report.outcomes.len(), 3, "every change has an outcome");
    let skipped: Vec<_> = report
        .outcomes
        .iter()
        .filter(|o| o.status() == Status::Skipped)
        .map(|o| o.name.as_str())
        .collect();
    assert_eq!(skipped, ["A", "B"]);
    assert!(!report.is_complete());
    assert!(sim.queue_by_name("C").is_some());
}

#[tokio::test]
async fn a_queue_behind_a_skipped_one_says_so_once_without_repeating_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let repo = write_repo(
        dir.path(),
        &[
            (
                "a.yaml",
                queue("Front", "  overflow: {target: Middle, waitTime: 60}\n"),
            ),
            (
                "b.yaml",
                queue("Middle", "  overflow: {target: Back, waitTime: 60}\n"),
            ),
            ("c.yaml", queue("Back", "  maxWaiters: 90\n")),
        ],
    );
    let sim = sim::Sim::start(skills_seed(vec![]), Faults::none()).unwrap();
    let t = client(&sim);
    let (plan, observed) = plan_now(&t, &repo).await;
    sim.set_license(sim::License { max_waiters: 50 });
    let report = reconcile::apply(&t, &plan, &observed, &fast()).await;
    let error_of = |n: &str| {
        let o = report.outcomes.iter().find(|o| o.name == n).unwrap();
        (o.status(), o.reason().unwrap_or_default())
    };
    assert_eq!(
        error_of("Middle"),
        (
            Status::Skipped,
            "depends on \"Back\", which failed".to_string()
        )
    );
    assert_eq!(
        error_of("Front"),
        (
            Status::Skipped,
            "depends on \"Middle\", which was skipped too".to_string()
        )
    );
}
