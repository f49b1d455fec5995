//! Plan and apply through the Genesys Cloud adapter against the simulator's Genesys face:
//! full-replace writes that keep what we do not manage, overrides reported, list lag,
//! delete cache, validation of a Genesys repository, and the import round trip.

use std::time::Duration;

use genesys_cloud::{CAPABILITIES, Config, GenesysTenant};
use model::{RepoFile, Repository, Rule};
use reconcile::{ApplyOptions, Observed, Plan};
use serde_json::json;
use sim::{Faults, GenesysLag, Seed, SeedQueue, SimHandle};
use tenant::Tenant;

const TENANT: &str = "apiVersion: cxqueues/v1\nkind: Tenant\nmetadata:\n  name: org\nspec:\n  platform: genesys-cloud\n";

fn queue(name: &str, spec: &str) -> String {
    format!("apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: {name}\nspec:\n{spec}")
}

fn repo(files: &[(&str, String)]) -> Repository {
    let tenant = RepoFile {
        path: "cxqueues.yaml".into(),
        bytes: TENANT.as_bytes().to_vec(),
    };
    let files = files.iter().map(|(path, text)| RepoFile {
        path: format!("queues/{path}").into(),
        bytes: text.clone().into_bytes(),
    });
    model::parse_files(Some(tenant), files, &model::LoadOptions::default())
}

fn start(queues: Vec<SeedQueue>) -> SimHandle {
    let seed = Seed {
        queues,
        ..Seed::default()
    };
    sim::Sim::start(seed, Faults::none()).unwrap()
}

fn client(sim: &SimHandle) -> GenesysTenant {
    let c = sim.client();
    let base = format!("{}{}", sim.base_url(), sim::GENESYS_PREFIX);
    let mut cfg = Config::loopback(base, c.client_id.clone(), c.client_secret.clone());
    cfg.requests_per_second = 500.0;
    cfg.retry_step = Duration::from_millis(10);
    cfg.settle_step = Duration::from_millis(20);
    GenesysTenant::new(cfg).unwrap()
}

async fn plan_now(t: &GenesysTenant, repo: &Repository) -> (Plan, Observed) {
    let observed = reconcile::observe(t).await.unwrap();
    (reconcile::plan(repo, &observed).expect("a plan"), observed)
}

#[tokio::test]
async fn a_rival_edit_of_an_unmanaged_field_before_our_read_is_kept() {
    let sim = start(vec![SeedQueue::named("Support")]);
    let t = client(&sim);
    let repo = repo(&[(
        "s.yaml",
        queue(
            "Support",
            "  description: ours\n  genesys:\n    scoringMethod: PriorityOnly\n",
        ),
    )]);
    let (plan, observed) = plan_now(&t, &repo).await;
    assert_eq!(plan.summary().update, 1);
    // Between the plan and the apply, someone sets a field we do not manage.
    sim.state()
        .edit_queue(
            "Support",
            "acwSettings.wrapupPrompt",
            json!("OPTIONAL"),
            "user-42",
        )
        .unwrap();
    let report = reconcile::apply(&t, &plan, &observed, &ApplyOptions::default()).await;
    assert!(report.is_complete(), "{:#?}", report.outcomes);
    assert!(report.outcomes[0].overridden.is_empty());
    let q = t
        .get_queue(&observed.queues[0].id.clone().unwrap())
        .await
        .unwrap();
    assert_eq!(q.description.as_deref(), Some("ours"));
    assert_eq!(q.passthrough["acwSettings"]["wrapupPrompt"], "OPTIONAL");
    assert_eq!(q.passthrough["scoringMethod"], "PriorityOnly");
    assert!(plan_now(&t, &repo).await.0.is_empty());
}

#[tokio::test]
async fn a_declared_field_changed_by_a_rival_is_overridden_and_reported() {
    let sim = start(vec![SeedQueue::named("Support")]);
    let t = client(&sim);
    let repo = repo(&[(
        "s.yaml",
        queue(
            "Support",
            "  description: ours\n  serviceLevelTarget: {threshold: 90, time: 15}\n",
        ),
    )]);
    let (plan, observed) = plan_now(&t, &repo).await;
    sim.state()
        .edit_queue("Support", "description", json!("theirs"), "user-42")
        .unwrap();
    let report = reconcile::apply(&t, &plan, &observed, &ApplyOptions::default()).await;
    assert!(report.is_complete(), "{:#?}", report.outcomes);
    let o = &report.outcomes[0];
    assert_eq!(o.overridden.len(), 1, "{:?}", o.overridden);
    assert_eq!(o.overridden[0].field, "description");
    assert_eq!(o.overridden[0].by.as_deref(), Some("user-42"));
    let stored = sim.queue_by_name("Support").unwrap();
    assert_eq!(stored["description"], "ours");
    assert_eq!(
        stored["serviceLevelTarget"],
        json!({"threshold": 90, "time": 15})
    );
}

#[tokio::test]
async fn list_lag_after_a_create_never_makes_a_duplicate() {
    let sim = start(vec![]);
    sim.state().set_genesys_lag(GenesysLag {
        list_lag_ms: 60_000,
        delete_cache_ms: 0,
    });
    let t = client(&sim);
    let repo = repo(&[("n.yaml", queue("New", "  description: d\n"))]);
    for _ in 0..3 {
        // The list does not show the queue yet, so each plan asks for a create again.
        let (plan, observed) = plan_now(&t, &repo).await;
        assert_eq!(plan.summary().create, 1);
        let report = reconcile::apply(&t, &plan, &observed, &ApplyOptions::default()).await;
        assert!(report.is_complete(), "{:#?}", report.outcomes);
    }
    let named: Vec<_> = sim
        .queues()
        .into_iter()
        .filter(|q| q["name"] == "New")
        .collect();
    assert_eq!(named.len(), 1);
    assert_eq!(t.stats().requests_to("POST /api/v2/routing/queues"), 1);
}

#[tokio::test]
async fn a_tombstone_waits_until_the_deleted_queue_stops_coming_back() {
    let sim = start(vec![SeedQueue::named("Old")]);
    sim.state().set_genesys_lag(GenesysLag {
        list_lag_ms: 0,
        delete_cache_ms: 300,
    });
    let t = client(&sim);
    let repo = repo(&[(
        "o.yaml",
        "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: Old\n  deleted: true\n"
            .to_string(),
    )]);
    let (plan, observed) = plan_now(&t, &repo).await;
    assert_eq!(plan.summary().delete, 1);
    let report = reconcile::apply(&t, &plan, &observed, &ApplyOptions::default()).await;
    assert!(report.is_complete(), "{:#?}", report.outcomes);
    let polls = t
        .stats()
        .requests_with_status("GET /api/v2/routing/queues/{id}", "200");
    assert!(
        polls >= 1,
        "the cache served the queue at least once: {:?}",
        t.stats().requests
    );
    assert_eq!(
        t.stats()
            .requests_with_status("GET /api/v2/routing/queues/{id}", "404"),
        1
    );
    assert!(sim.queue_by_name("Old").is_none());
}

#[tokio::test]
async fn import_then_plan_is_empty() {
    let sim = start(vec![SeedQueue::named("Support"), SeedQueue::named("Sales")]);
    let t = client(&sim);
    // Give the org some Genesys-only settings first.
    let setup = repo(&[(
        "s.yaml",
        queue(
            "Support",
            "  description: s\n  genesys:\n    alertingTimeoutSeconds: 8\n    skillEvaluationMethod: BEST\n    acw: {wrapupPrompt: MANDATORY_TIMEOUT, timeoutSeconds: 30}\n    serviceLevels:\n      email: {threshold: 90, time: 86400}\n",
        ),
    )]);
    let (plan, observed) = plan_now(&t, &setup).await;
    assert!(
        reconcile::apply(&t, &plan, &observed, &ApplyOptions::default())
            .await
            .is_complete()
    );

    let observed = reconcile::observe(&t).await.unwrap();
    let docs = reconcile::import::queue_docs_for(&observed.queues, t.capabilities());
    let names = reconcile::import::file_names(&docs);
    let files: Vec<(&str, String)> = names
        .iter()
        .zip(&docs)
        .map(|(n, d)| (n.as_str(), model::yaml::to_string(d).unwrap()))
        .collect();
    let imported = repo(&files);
    assert!(
        imported.diagnostics.is_empty(),
        "{:#?}",
        imported.diagnostics
    );
    assert!(reconcile::check_platform(&imported, &CAPABILITIES).is_empty());
    let support = files
        .iter()
        .find(|(n, _)| n.starts_with("support"))
        .unwrap();
    assert!(
        support.1.contains("skillEvaluationMethod: BEST"),
        "{}",
        support.1
    );
    assert!(
        !support.1.contains("overflow") && !support.1.contains("maxWait"),
        "{}",
        support.1
    );
    let (plan, _) = plan_now(&t, &imported).await;
    assert!(plan.is_empty(), "{:#?}", plan.changes);
}

#[test]
fn each_neutral_field_genesys_cannot_hold_is_rejected_at_its_line_with_where_genesys_keeps_it() {
    let spec = "  description: ok\n  maxWaitTime: 300\n  maxWaiters: 5\n  overflow:\n    target: B\n    waitTime: 60\n  skillRequirements:\n    - {skill: billing, proficiency: expert}\n";
    let r = repo(&[
        ("a.yaml", queue("A", spec)),
        ("b.yaml", queue("B", "  description: b\n")),
    ]);
    assert!(r.diagnostics.is_empty(), "{:#?}", r.diagnostics);
    let diags = reconcile::check_platform(&r, &CAPABILITIES);
    let got: Vec<(String, u32, String)> = diags
        .iter()
        .map(|d| {
            assert_eq!(d.rule, Rule::Unsupported);
            (
                d.message.split_whitespace().next().unwrap().to_string(),
                d.line,
                d.hint.clone().unwrap_or_default(),
            )
        })
        .collect();
    let table = [
        ("spec.skillRequirements", 13, "per-user routing skills"),
        ("spec.maxWaitTime", 7, "in-queue flow"),
        ("spec.maxWaiters", 8, "in-queue flow logic"),
        (
            "spec.overflow",
            10,
            "transfer in the queue's Architect in-queue flow",
        ),
    ];
    assert_eq!(got.len(), table.len(), "{got:#?}");
    for (field, line, hint) in table {
        let found = got
            .iter()
            .find(|(f, _, _)| f == field)
            .unwrap_or_else(|| panic!("{field}: {got:#?}"));
        assert_eq!(found.1, line, "{field}");
        assert!(found.2.contains(hint), "{field}: {}", found.2);
    }
}

#[test]
fn a_genesys_block_on_another_platform_is_rejected_at_its_line() {
    let r = repo(&[(
        "a.yaml",
        queue(
            "A",
            "  description: ok\n  genesys:\n    scoringMethod: PriorityOnly\n",
        ),
    )]);
    let diags = reconcile::check_platform(&r, &routing_api_like());
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0].line, 8);
    assert!(diags[0].message.contains("spec.genesys"));
}

fn routing_api_like() -> tenant::Capabilities {
    tenant::Capabilities {
        platform: "routing-api",
        settings_block: None,
        ..CAPABILITIES
    }
}

#[test]
fn genesys_values_out_of_range_are_errors_at_their_line() {
    let r = repo(&[(
        "a.yaml",
        queue(
            "A",
            "  genesys:\n    alertingTimeoutSeconds: 3\n    acw:\n      timeoutSeconds: 7200\n    serviceLevels:\n      chat: {threshold: 101, time: 20}\n",
        ),
    )]);
    let got: Vec<(u32, &str)> = r
        .diagnostics
        .iter()
        .map(|d| (d.line, d.message.split_whitespace().next().unwrap()))
        .collect();
    assert_eq!(
        got,
        [
            (7, "genesys.alertingTimeoutSeconds"),
            (11, "genesys.serviceLevels.chat.threshold"),
            (9, "genesys.acw.timeoutSeconds"),
        ]
    );
}

#[tokio::test]
async fn a_token_that_expires_mid_apply_is_renewed_before_it_runs_out() {
    let queues = (0..12)
        .map(|i| SeedQueue::named(format!("Q{i:02}")))
        .collect();
    let sim = sim::Sim::start(
        Seed {
            queues,
            ..Seed::default()
        },
        Faults::none().with_token_lifetime_secs(2),
    )
    .unwrap();
    let c = sim.client();
    let base = format!("{}{}", sim.base_url(), sim::GENESYS_PREFIX);
    let mut cfg = Config::loopback(base, c.client_id.clone(), c.client_secret.clone());
    // 2 list pages + 12 GET + 12 PUT at 10/s: about 2.6 s, longer than one token.
    cfg.requests_per_second = 10.0;
    let t = GenesysTenant::new(cfg).unwrap();
    let files: Vec<(String, String)> = (0..12)
        .map(|i| {
            (
                format!("q{i}.yaml"),
                queue(&format!("Q{i:02}"), "  description: new\n"),
            )
        })
        .collect();
    let files: Vec<(&str, String)> = files.iter().map(|(p, d)| (p.as_str(), d.clone())).collect();
    let repo = repo(&files);
    let (plan, observed) = plan_now(&t, &repo).await;
    let report = reconcile::apply(&t, &plan, &observed, &ApplyOptions::default()).await;
    assert!(report.is_complete(), "{:#?}", report.outcomes);
    let stats = t.stats();
    assert!(stats.token_requests >= 2, "{stats:?}");
    assert_eq!(
        stats.token_invalidations, 0,
        "renewed before expiry, never after a 401"
    );
}

#[tokio::test]
async fn a_saved_plan_is_refused_for_a_queue_whose_declared_field_moved_unless_replanned() {
    let sim = start(vec![SeedQueue::named("Support"), SeedQueue::named("Sales")]);
    let t = client(&sim);
    let repo = repo(&[
        ("s.yaml", queue("Support", "  description: ours\n")),
        ("a.yaml", queue("Sales", "  description: ours too\n")),
    ]);
    let (saved, _) = plan_now(&t, &repo).await;
    // A JSON round trip, as `plan --out` then `apply --plan` do.
    let saved: Plan = serde_json::from_str(&serde_json::to_string(&saved).unwrap()).unwrap();
    // The simulator stamps dateModified in whole seconds: let the edit land in a later one.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    sim.state()
        .edit_queue("Support", "description", json!("theirs"), "user-42")
        .unwrap();
    let (fresh, observed) = plan_now(&t, &repo).await;
    let rebased = saved.clone().rebase(&fresh, &observed, false);
    assert_eq!(rebased.refused.len(), 1, "{:?}", rebased.refused);
    assert!(
        rebased.refused[0].contains("Support"),
        "{:?}",
        rebased.refused
    );
    assert_eq!(rebased.plan.changes.len(), 1, "Sales did not move");
    let replanned = saved.rebase(&fresh, &observed, true);
    assert_eq!(replanned.replanned, ["Support"]);
}

#[tokio::test]
async fn a_create_whose_answer_is_lost_after_it_was_applied_is_found_by_name_not_made_twice() {
    let sim = start(vec![]);
    sim.set_faults(Faults::none().with_drop_after_apply_next(1, &["POST"]));
    let t = client(&sim);
    let repo = repo(&[("n.yaml", queue("New", "  description: d\n"))]);
    let (plan, observed) = plan_now(&t, &repo).await;
    let report = reconcile::apply(&t, &plan, &observed, &ApplyOptions::default()).await;
    assert!(report.is_complete(), "{:#?}", report.outcomes);
    let named = sim
        .queues()
        .into_iter()
        .filter(|q| q["name"] == "New")
        .count();
    assert_eq!(named, 1);
    let stats = t.stats();
    assert_eq!(stats.requests_to("POST /api/v2/routing/queues"), 1);
    assert_eq!(stats.create_lookups, 1);
    assert!(plan_now(&t, &repo).await.0.is_empty());
}
