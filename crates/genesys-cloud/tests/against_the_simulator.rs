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

/// What `import` writes for the org now: (file name, text) per queue.
async fn imported_files(t: &GenesysTenant) -> Vec<(String, String)> {
    let observed = reconcile::observe(t).await.unwrap();
    let docs = reconcile::import::queue_docs_for(&observed.queues, t.capabilities());
    let names = reconcile::import::file_names(&docs);
    names
        .into_iter()
        .zip(&docs)
        .map(|(n, d)| (n, model::yaml::to_string(d).unwrap()))
        .collect()
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

    let files = imported_files(&t).await;
    let files: Vec<(&str, String)> = files.iter().map(|(n, d)| (n.as_str(), d.clone())).collect();
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
    // (Skill requirements are held since issue 19: as the queue's skill group.)
    let spec = "  description: ok\n  maxWaitTime: 300\n  maxWaiters: 5\n  overflow:\n    target: B\n    waitTime: 60\n";
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

fn start_with_skills(queues: Vec<SeedQueue>) -> SimHandle {
    let seed = Seed {
        queues,
        skills: vec!["language:en".into(), "language:fr".into(), "billing".into()],
        ..Seed::default()
    };
    sim::Sim::start(seed, Faults::none()).unwrap()
}

async fn apply_all(t: &GenesysTenant, repo: &Repository) -> Plan {
    let (plan, observed) = plan_now(t, repo).await;
    let report = reconcile::apply(t, &plan, &observed, &ApplyOptions::default()).await;
    assert!(report.is_complete(), "{:#?}", report.outcomes);
    plan
}

fn group_named<'a>(groups: &'a [serde_json::Value], name: &str) -> Option<&'a serde_json::Value> {
    groups.iter().find(|g| g["name"] == name)
}

fn skill_members(sim: &SimHandle, queue: &str) -> Vec<String> {
    sim.queue_by_name(queue)
        .and_then(|q| q.get("memberGroups").cloned())
        .and_then(|g| g.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter(|g| g["type"] == "SKILLGROUP")
        .map(|g| g["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn skill_requirements_become_our_skill_group_made_before_the_queue_and_planned_as_conditions()
{
    let sim = start_with_skills(vec![]);
    let t = client(&sim);
    let repo = repo(&[(
        "n.yaml",
        queue(
            "New",
            "  skillRequirements:\n    - {skill: language:en, proficiency: advanced}\n    - {skill: billing, proficiency: beginner}\n",
        ),
    )]);
    let plan = apply_all(&t, &repo).await;
    let shown = &plan.changes[0].fields;
    let group = shown
        .iter()
        .find(|f| f.path == "skill group")
        .expect("shown");
    assert_eq!(group.after, json!(["billing ≥ 1", "language:en ≥ 4"]));
    let groups = sim.state().genesys_skill_groups();
    let ours = group_named(&groups, "cxqueues: New").expect("made");
    assert_eq!(
        ours["skillConditions"][1],
        json!({"routingSkillConditions": [{"routingSkill": "language:en",
            "comparator": "GreaterThanOrEqualTo", "proficiency": 4, "childConditions": []}],
            "languageSkillConditions": [], "operation": "And"})
    );
    assert_eq!(skill_members(&sim, "New"), [ours["id"].as_str().unwrap()]);
    let (again, _) = plan_now(&t, &repo).await;
    assert!(again.is_empty(), "{:#?}", again.changes);
}

#[tokio::test]
async fn a_changed_requirement_patches_our_group_and_the_queue_keeps_its_foreign_member_groups() {
    let sim = start_with_skills(vec![SeedQueue::named("Support")]);
    let t = client(&sim);
    let foreign = json!([{"id": "7c1e0000-0000-4000-8000-0000000000a1", "name": "Billing agents", "type": "GROUP"},
                         {"id": "7c1e0000-0000-4000-8000-0000000000a2", "type": "TEAM"}]);
    sim.state()
        .edit_queue("Support", "memberGroups", foreign.clone(), "user-1")
        .unwrap();
    let declare = |p: &str| {
        repo(&[(
            "s.yaml",
            queue(
                "Support",
                &format!("  skillRequirements:\n    - {{skill: language:fr, proficiency: {p}}}\n"),
            ),
        )])
    };
    apply_all(&t, &declare("intermediate")).await;
    let id = group_named(&sim.state().genesys_skill_groups(), "cxqueues: Support").unwrap()["id"]
        .clone();
    let t = client(&sim); // a new run: what the org holds, read afresh
    let plan = apply_all(&t, &declare("expert")).await;
    let f = plan.changes[0]
        .fields
        .iter()
        .find(|f| f.path == "skill group")
        .unwrap();
    assert_eq!(
        (f.before.clone(), f.after.clone()),
        (json!(["language:fr ≥ 2"]), json!(["language:fr ≥ 5"]))
    );
    let groups = sim.state().genesys_skill_groups();
    assert_eq!(groups.len(), 1, "changed, not made again");
    assert_eq!(groups[0]["id"], id);
    assert_eq!(
        groups[0]["skillConditions"][0]["routingSkillConditions"][0]["proficiency"],
        5
    );
    let members = sim.queue_by_name("Support").unwrap()["memberGroups"].clone();
    assert_eq!(members[0], foreign[0]);
    assert_eq!(members[1], foreign[1]);
    assert_eq!(members.as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn an_adopted_group_is_managed_and_released_but_never_deleted_and_ours_is_deleted_after_release()
 {
    let sim = start_with_skills(vec![SeedQueue::named("A"), SeedQueue::named("B")]);
    let t = client(&sim);
    let adopted = sim
        .state()
        .add_genesys_skill_group("Billing experts", json!([]));
    let both = |a: &str, b: &str| {
        repo(&[
            (
                "a.yaml",
                queue(
                    "A",
                    &format!(
                        "  skillRequirements:{a}\n  genesys:\n    skillGroup: Billing experts\n"
                    ),
                ),
            ),
            ("b.yaml", queue("B", &format!("  skillRequirements:{b}\n"))),
        ])
    };
    let with = "\n    - {skill: billing, proficiency: expert}";
    apply_all(&t, &both(with, with)).await;
    assert_eq!(skill_members(&sim, "A"), [adopted]);
    let groups = sim.state().genesys_skill_groups();
    assert_eq!(
        group_named(&groups, "Billing experts").unwrap()["skillConditions"][0]["routingSkillConditions"]
            [0]["routingSkill"],
        "billing"
    );
    let (plan, _) = plan_now(&client(&sim), &both(with, with)).await;
    assert!(plan.is_empty(), "{:#?}", plan.changes);

    // Release both: `skillRequirements: []`.
    let repo_a = repo(&[
        (
            "a.yaml",
            queue(
                "A",
                "  skillRequirements: []\n  genesys:\n    skillGroup: Billing experts\n",
            ),
        ),
        ("b.yaml", queue("B", "  skillRequirements: []\n")),
    ]);
    apply_all(&client(&sim), &repo_a).await;
    assert!(skill_members(&sim, "A").is_empty() && skill_members(&sim, "B").is_empty());
    let groups = sim.state().genesys_skill_groups();
    assert!(
        group_named(&groups, "Billing experts").is_some(),
        "adopted: kept"
    );
    assert!(
        group_named(&groups, "cxqueues: B").is_none(),
        "ours: deleted"
    );
}

#[tokio::test]
async fn a_tombstoned_queue_releases_its_group_after_the_queue_is_gone() {
    let sim = start_with_skills(vec![]);
    let t = client(&sim);
    let spec = "  skillRequirements:\n    - {skill: billing, proficiency: expert}\n";
    apply_all(&t, &repo(&[("g.yaml", queue("Gone", spec))])).await;
    assert!(group_named(&sim.state().genesys_skill_groups(), "cxqueues: Gone").is_some());
    let tomb = format!(
        "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: Gone\n  deleted: true\nspec:\n{spec}"
    );
    apply_all(&client(&sim), &repo(&[("g.yaml", tomb)])).await;
    assert!(sim.state().genesys_skill_groups().is_empty());
}

#[tokio::test]
async fn a_skill_the_org_does_not_have_is_a_plan_error_at_its_line() {
    let sim = start_with_skills(vec![]);
    let t = client(&sim);
    let r = repo(&[(
        "n.yaml",
        queue(
            "New",
            "  skillRequirements:\n    - {skill: language:de, proficiency: expert}\n",
        ),
    )]);
    let observed = reconcile::observe(&t).await.unwrap();
    let rejected = reconcile::plan(&r, &observed).expect_err("rejected");
    let d = rejected
        .diagnostics
        .iter()
        .find(|d| d.rule == Rule::UnknownSkill)
        .expect("named");
    assert_eq!(
        (d.file.to_string_lossy().into_owned(), d.line),
        ("queues/n.yaml".to_owned(), 7)
    );
}

#[tokio::test]
async fn import_writes_skill_requirements_and_the_adopted_group_so_the_next_plan_is_empty() {
    let sim = start_with_skills(vec![
        SeedQueue::named("Own"),
        SeedQueue::named("Adopting"),
        SeedQueue::named("Odd"),
    ]);
    let t = client(&sim);
    sim.state()
        .add_genesys_skill_group("Billing experts", json!([]));
    let odd = sim.state().add_genesys_skill_group(
        "Or of two",
        json!([{"routingSkillConditions": [{"routingSkill": "billing", "comparator": "GreaterThanOrEqualTo", "proficiency": 4, "childConditions": []}],
                "languageSkillConditions": [], "operation": "Or"}]),
    );
    sim.state()
        .edit_queue(
            "Odd",
            "memberGroups",
            json!([{"id": odd, "type": "SKILLGROUP"}]),
            "user-1",
        )
        .unwrap();
    apply_all(
        &t,
        &repo(&[
            ("o.yaml", queue("Own", "  skillRequirements:\n    - {skill: language:en, proficiency: advanced}\n")),
            ("a.yaml", queue("Adopting", "  skillRequirements:\n    - {skill: billing, proficiency: expert}\n  genesys:\n    skillGroup: Billing experts\n")),
        ]),
    )
    .await;
    let t = client(&sim);
    let files = imported_files(&t).await;
    let files: Vec<(&str, String)> = files.iter().map(|(n, d)| (n.as_str(), d.clone())).collect();
    let text = |prefix: &str| {
        files
            .iter()
            .find(|(n, _)| n.starts_with(prefix))
            .unwrap()
            .1
            .clone()
    };
    assert!(
        text("own").contains("skill: language:en"),
        "{}",
        text("own")
    );
    assert!(
        text("adopting").contains("skillGroup: Billing experts"),
        "{}",
        text("adopting")
    );
    assert!(
        !text("odd").contains("skillRequirements"),
        "left alone: {}",
        text("odd")
    );
    let imported = repo(&files);
    assert!(
        imported.diagnostics.is_empty(),
        "{:#?}",
        imported.diagnostics
    );
    let (plan, _) = plan_now(&t, &imported).await;
    assert!(plan.is_empty(), "{:#?}", plan.changes);
}

#[tokio::test]
async fn under_a_fifth_of_429s_and_3_second_tokens_120_queues_with_skill_groups_converge() {
    let queues = (0..120)
        .map(|i| SeedQueue::named(format!("Q{i:03}")))
        .collect();
    let sim = sim::Sim::start(
        Seed {
            queues,
            skills: vec!["language:en".into(), "billing".into()],
            ..Seed::default()
        },
        Faults::none()
            .with_rate_429(0.2)
            .with_retry_after(1, sim::RetryAfterFormat::Seconds)
            .with_token_lifetime_secs(3)
            .with_rng_seed(19),
    )
    .unwrap();
    let c = sim.client();
    let base = format!("{}{}", sim.base_url(), sim::GENESYS_PREFIX);
    let mut cfg = Config::loopback(base, c.client_id.clone(), c.client_secret.clone());
    cfg.requests_per_second = 200.0;
    // 0.2^10: a request that meets ten 429s in a row does not happen in this test.
    cfg.max_attempts = 10;
    let t = GenesysTenant::new(cfg).unwrap();
    let files: Vec<(String, String)> = (0..120)
        .map(|i| {
            let skills = if i % 2 == 0 {
                "  skillRequirements:\n    - {skill: language:en, proficiency: advanced}\n"
            } else {
                ""
            };
            (
                format!("q{i}.yaml"),
                queue(
                    &format!("Q{i:03}"),
                    &format!("  description: new\n{skills}"),
                ),
            )
        })
        .collect();
    let files: Vec<(&str, String)> = files.iter().map(|(p, d)| (p.as_str(), d.clone())).collect();
    let repo = repo(&files);
    let (plan, observed) = plan_now(&t, &repo).await;
    assert_eq!(plan.summary().update, 120);
    let report = reconcile::apply(&t, &plan, &observed, &ApplyOptions::default()).await;
    let failed: Vec<_> = report
        .outcomes
        .iter()
        .filter(|o| o.reason().is_some())
        .collect();
    assert!(failed.is_empty(), "{failed:#?}");
    assert!(report.is_complete());
    let stats = t.stats();
    assert!(stats.token_requests >= 2, "tokens were renewed: {stats:?}");
    assert_eq!(sim.state().genesys_skill_groups().len(), 60);
    let (again, _) = plan_now(&t, &repo).await;
    assert!(again.is_empty(), "{:#?}", again.changes);
}

#[tokio::test]
async fn conditional_group_routing_is_written_by_name_and_reads_back_equal() {
    let sim = start_with_skills(vec![SeedQueue::named("Support"), SeedQueue::named("Other")]);
    let t = client(&sim);
    let agents = "7c1e0000-0000-4000-8000-0000000000a1";
    sim.state()
        .edit_queue(
            "Support",
            "memberGroups",
            json!([{"id": agents, "name": "Billing agents", "type": "GROUP"}]),
            "user-1",
        )
        .unwrap();
    let spec = "  skillRequirements:\n    - {skill: billing, proficiency: expert}\n  genesys:\n    conditionalGroupRouting:\n      rules:\n        - {metric: EstimatedWaitTime, operator: GreaterThan, value: 30, waitSeconds: 20, groups: [{name: Billing agents, type: GROUP}]}\n        - {queue: Other, metric: ServiceLevel, operator: LessThan, value: 87.5, waitSeconds: 40, groups: [{name: 'cxqueues: Support', type: SKILLGROUP}]}\n";
    let r = repo(&[("s.yaml", queue("Support", spec))]);
    assert!(r.diagnostics.is_empty(), "{:#?}", r.diagnostics);
    apply_all(&t, &r).await;
    let stored = sim.queue_by_name("Support").unwrap();
    let other = sim.queue_by_name("Other").unwrap()["id"].clone();
    let ours = group_named(&sim.state().genesys_skill_groups(), "cxqueues: Support").unwrap()["id"]
        .clone();
    let rules = &stored["conditionalGroupRouting"]["rules"];
    assert_eq!(
        rules[0],
        json!({"metric": "EstimatedWaitTime", "operator": "GreaterThan", "conditionValue": 30,
               "groups": [{"id": agents, "type": "GROUP"}], "waitSeconds": 20})
    );
    assert_eq!(rules[1]["queue"]["id"], other);
    assert_eq!(rules[1]["conditionValue"], json!(0.875));
    assert_eq!(rules[1]["groups"][0]["id"], ours);
    let (again, _) = plan_now(&client(&sim), &r).await;
    assert!(again.is_empty(), "{:#?}", again.changes);
}

#[tokio::test]
async fn a_routing_group_that_is_not_a_member_group_is_refused_before_anything_is_written() {
    let sim = start_with_skills(vec![SeedQueue::named("Support")]);
    let t = client(&sim);
    let spec = "  description: changed\n  genesys:\n    conditionalGroupRouting:\n      rules:\n        - {metric: EstimatedWaitTime, operator: GreaterThan, value: 30, waitSeconds: 20, groups: [{name: Nobody, type: TEAM}]}\n";
    let (plan, observed) = plan_now(&t, &repo(&[("s.yaml", queue("Support", spec))])).await;
    let report = reconcile::apply(&t, &plan, &observed, &ApplyOptions::default()).await;
    let error = report.outcomes[0].reason().expect("refused");
    assert!(
        error.contains("\"Nobody\" (TEAM) is not a member group"),
        "{error}"
    );
    assert_ne!(
        sim.queue_by_name("Support").unwrap()["description"],
        "changed"
    );
}

#[test]
fn conditional_group_routing_keeps_to_what_genesys_enforces() {
    let rule = "{metric: EstimatedWaitTime, operator: GreaterThan, value: 30, waitSeconds: 20, groups: [{name: G, type: GROUP}]}";
    let six = format!("      rules:\n{}", format!("        - {rule}\n").repeat(6));
    let r = repo(&[
        (
            "a.yaml",
            queue(
                "A",
                &format!("  genesys:\n    conditionalGroupRouting:\n{six}"),
            ),
        ),
        (
            "b.yaml",
            queue(
                "B",
                "  genesys:\n    conditionalGroupRouting:\n      rules:\n        - {queue: A, metric: ServiceLevel, operator: LessThan, value: 120, waitSeconds: 2, groups: []}\n",
            ),
        ),
    ]);
    let messages: Vec<&str> = r.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert!(
        messages.iter().any(|m| m.contains("has 6 rules")),
        "{messages:#?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("rule 1 of genesys.conditionalGroupRouting evaluates queue \"A\"")),
        "{messages:#?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("rules[0].value is 120, outside 0–100")),
        "{messages:#?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("names no group")),
        "{messages:#?}"
    );
}

#[tokio::test]
async fn a_number_is_a_level_and_the_same_level_as_its_word_is_no_change() {
    let sim = start_with_skills(vec![SeedQueue::named("Support")]);
    let t = client(&sim);
    let with = |p: &str| {
        repo(&[(
            "s.yaml",
            queue(
                "Support",
                &format!("  skillRequirements:\n    - {{skill: billing, proficiency: {p}}}\n"),
            ),
        )])
    };
    apply_all(&t, &with("3")).await;
    let groups = sim.state().genesys_skill_groups();
    assert_eq!(
        groups[0]["skillConditions"][0]["routingSkillConditions"][0]["proficiency"],
        3
    );
    let (plan, _) = plan_now(&client(&sim), &with("3")).await;
    assert!(plan.is_empty(), "{:#?}", plan.changes);
    apply_all(&client(&sim), &with("expert")).await;
    let (plan, _) = plan_now(&client(&sim), &with("5")).await;
    assert!(plan.is_empty(), "expert is 5: {:#?}", plan.changes);
}
