//! `plan` and `apply` from literal tenant states, with no simulator: the pure diff as a table,
//! and apply over the in-memory `FakeTenant` for what each write mode does.

use model::{LoadOptions, Proficiency, RepoFile, Repository};
use reconcile::{Action, ApplyOptions, Observed, Op, Status};
use serde_json::json;
use tenant::{
    Capabilities, DeleteMode, FakeTenant, IdKind, Overflow, Queue, QueueField, ServiceLevelTarget,
    Skill, SkillRequirement, UpdateMode, WriteMode,
};

fn repo(docs: &[&str]) -> Repository {
    let files = docs.iter().enumerate().map(|(i, d)| RepoFile {
        path: format!("queues/q{i}.yaml").into(),
        bytes: format!("apiVersion: cxqueues/v1\nkind: Queue\n{d}").into_bytes(),
    });
    let mut repo = model::parse_files(None, files, &LoadOptions::default());
    repo.diagnostics.extend(reconcile::check_repository(&repo));
    assert!(!repo.has_errors(), "{:#?}", repo.diagnostics);
    repo
}

fn tenant_queue(id: &str, name: &str, version: u64) -> Queue {
    Queue {
        id: Some(id.into()),
        version: Some(version),
        skill_requirements: Some(Vec::new()),
        service_level_target: Some(ServiceLevelTarget::whole(80, 20)),
        max_wait_time: Some(300),
        max_waiters: Some(10),
        ..Queue::named(name)
    }
}

const A: &str = "00000000-0000-4000-8000-00000000000a";
const B: &str = "00000000-0000-4000-8000-00000000000b";
const C: &str = "00000000-0000-4000-8000-00000000000c";

fn observed(queues: Vec<Queue>) -> Observed {
    Observed {
        queues,
        skills: vec![Skill {
            id: "s1".into(),
            name: "language:en".into(),
            state: "active".into(),
        }],
        unreadable: Vec::new(),
    }
}

#[test]
fn plan_diffs_only_declared_fields_against_literal_tenant_states() {
    // (documents, tenant queues, expected [(name, action, changed paths)], unchanged)
    type Row = (
        &'static [&'static str],
        Vec<Queue>,
        &'static [(&'static str, Action, &'static [&'static str])],
        usize,
    );
    let table: Vec<Row> = vec![
        // Nothing declared but the name: unchanged, whatever the tenant holds.
        (
            &["metadata: {name: A}\nspec: {}\n"],
            vec![tenant_queue(A, "A", 1)],
            &[],
            1,
        ),
        // A declared value that differs: one update of that field only.
        (
            &["metadata: {name: A}\nspec: {maxWaitTime: 240, maxWaiters: 10}\n"],
            vec![tenant_queue(A, "A", 3)],
            &[("A", Action::Update, &["maxWaitTime"])],
            0,
        ),
        // Missing in the tenant: a create listing every declared field.
        (
            &["metadata: {name: A}\nspec: {description: d, maxWaiters: 5}\n"],
            vec![],
            &[("A", Action::Create, &["description", "maxWaiters"])],
            0,
        ),
        // A tombstone of a queue the tenant has: a delete; of one it lacks: nothing.
        (
            &[
                "metadata: {name: A, deleted: true}\n",
                "metadata: {name: B, deleted: true}\n",
            ],
            vec![tenant_queue(A, "A", 2)],
            &[("A", Action::Delete, &[])],
            0,
        ),
        // Skills are a set: the same requirements in another order are no change.
        (
            &[
                "metadata: {name: A}\nspec:\n  skillRequirements:\n    - {skill: language:en, proficiency: expert}\n",
            ],
            vec![Queue {
                skill_requirements: Some(vec![SkillRequirement {
                    skill: "language:en".into(),
                    proficiency: Proficiency::Expert,
                    required: true,
                }]),
                ..tenant_queue(A, "A", 1)
            }],
            &[],
            1,
        ),
        // overflow: null manages "none": an existing overflow is removed.
        (
            &["metadata: {name: A}\nspec: {overflow: null}\n"],
            vec![
                Queue {
                    overflow: Some(Overflow {
                        enabled: true,
                        target_id: B.into(),
                        wait_time: 60,
                    }),
                    ..tenant_queue(A, "A", 1)
                },
                tenant_queue(B, "B", 1),
            ],
            &[("A", Action::Update, &["overflow"])],
            0,
        ),
    ];
    for (i, (docs, queues, expected, unchanged)) in table.into_iter().enumerate() {
        let plan = reconcile::plan(&repo(docs), &observed(queues)).expect("a plan");
        let got: Vec<(String, Action, Vec<String>)> = plan
            .changes
            .iter()
            .map(|c| {
                (
                    c.name.clone(),
                    c.action(),
                    c.fields.iter().map(|f| f.path.clone()).collect(),
                )
            })
            .collect();
        let want: Vec<(String, Action, Vec<String>)> = expected
            .iter()
            .map(|(n, a, f)| (n.to_string(), *a, f.iter().map(|s| s.to_string()).collect()))
            .collect();
        assert_eq!(got, want, "row {i}");
        assert_eq!(plan.unchanged.len(), unchanged, "row {i}");
    }
}

#[test]
fn an_update_or_delete_always_carries_the_tenant_id_and_version_it_was_planned_against() {
    let plan = reconcile::plan(
        &repo(&["metadata: {name: A}\nspec: {maxWaitTime: 240}\n"]),
        &observed(vec![tenant_queue(A, "A", 7)]),
    )
    .expect("a plan");
    match &plan.changes[0].op {
        Op::Update { id, revision } => {
            assert_eq!(id, A);
            assert_eq!(revision.version, Some(7));
        }
        other => panic!("expected an update, got {other:?}"),
    }
}

#[test]
fn a_saved_update_without_a_tenant_id_is_refused_when_read() {
    let plan = reconcile::plan(
        &repo(&["metadata: {name: A}\nspec: {maxWaitTime: 240}\n"]),
        &observed(vec![tenant_queue(A, "A", 7)]),
    )
    .expect("a plan");
    let mut json = serde_json::to_value(&plan.changes[0]).unwrap();
    assert_eq!(json["id"], json!(A));
    json["id"] = json!(null);
    let err = serde_json::from_value::<reconcile::Change>(json).unwrap_err();
    assert!(err.to_string().contains("has no tenant id"), "{err}");
}

const LAST_WRITER_WINS: Capabilities = Capabilities {
    platform: "lww",
    fields: &QueueField::ALL,
    elsewhere: &[],
    settings_block: None,
    writes: WriteMode::LastWriterWins,
    updates: UpdateMode::Replace,
    deletes: DeleteMode::Delete,
    ids: IdKind::Uuid,
    page_size: 100,
    names: None,
    active_setting: None,
    create_only: &[],
};

fn fast() -> ApplyOptions {
    ApplyOptions {
        conflict_backoff: std::time::Duration::from_millis(1),
        ..ApplyOptions::default()
    }
}

#[tokio::test]
async fn without_versions_apply_reads_the_queue_first_keeps_rival_edits_and_reports_overrides() {
    let t = FakeTenant::new(LAST_WRITER_WINS).with_skills(&["language:en"]);
    let id = t.insert(Queue {
        id: None,
        ..tenant_queue(A, "A", 1)
    });
    let repo = repo(&["metadata: {name: A}\nspec: {maxWaitTime: 240}\n"]);
    let observed = reconcile::observe(&t).await.unwrap();
    let plan = reconcile::plan(&repo, &observed).expect("a plan");
    // A rival edits a managed field and an unmanaged one after our snapshot.
    t.edit(&id, |q| {
        q.max_wait_time = Some(500);
        q.description = Some("rival".into());
    });
    let report = reconcile::apply(&t, &plan, &observed, &fast()).await;
    assert!(report.is_complete(), "{report:?}");
    let now = t.queue(&id).unwrap();
    assert_eq!(now.max_wait_time, Some(240));
    assert_eq!(now.description.as_deref(), Some("rival"));
    let o = &report.outcomes[0];
    assert_eq!(o.status(), Status::Applied);
    assert_eq!(o.overridden.len(), 1);
    assert_eq!(o.overridden[0].field, "maxWaitTime");
    assert_eq!(o.overridden[0].by.as_deref(), Some("rival"));
}

#[tokio::test]
async fn with_versions_a_rival_write_is_a_conflict_that_is_retried_on_the_fresh_object() {
    let t = FakeTenant::default().with_skills(&["language:en"]);
    let id = t.insert(Queue {
        id: None,
        ..tenant_queue(A, "A", 1)
    });
    let repo = repo(&["metadata: {name: A}\nspec: {maxWaitTime: 240}\n"]);
    let observed = reconcile::observe(&t).await.unwrap();
    let plan = reconcile::plan(&repo, &observed).expect("a plan");
    t.edit(&id, |q| q.description = Some("rival".into()));
    let report = reconcile::apply(&t, &plan, &observed, &fast()).await;
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(report.outcomes[0].conflicts, 1);
    assert!(report.outcomes[0].overridden.is_empty());
    let now = t.queue(&id).unwrap();
    assert_eq!(
        (now.max_wait_time, now.description.as_deref()),
        (Some(240), Some("rival"))
    );
}

#[tokio::test]
async fn a_saved_plan_on_a_platform_without_versions_is_refused_when_its_fields_moved() {
    let t = FakeTenant::new(LAST_WRITER_WINS).with_skills(&["language:en"]);
    let id = t.insert(Queue {
        id: None,
        version: None,
        ..tenant_queue(A, "A", 1)
    });
    let repo = repo(&["metadata: {name: A}\nspec: {maxWaitTime: 240}\n"]);
    let then = reconcile::observe(&t).await.unwrap();
    let saved = reconcile::plan(&repo, &then).expect("a plan");
    // Unmanaged edits do not move the plan; a managed one does.
    t.edit(&id, |q| q.description = Some("rival".into()));
    let now = reconcile::observe(&t).await.unwrap();
    let fresh = reconcile::plan(&repo, &now).expect("a plan");
    let kept = saved.clone().rebase(&fresh, &now, false);
    assert_eq!((kept.plan.changes.len(), kept.refused.len()), (1, 0));
    t.edit(&id, |q| q.max_wait_time = Some(100));
    let now = reconcile::observe(&t).await.unwrap();
    let fresh = reconcile::plan(&repo, &now).expect("a plan");
    let refused = saved.clone().rebase(&fresh, &now, false);
    assert!(refused.plan.changes.is_empty());
    assert!(
        refused.refused[0].contains("were changed in the tenant"),
        "{:?}",
        refused.refused
    );
    let replanned = saved.rebase(&fresh, &now, true);
    assert_eq!(replanned.replanned, ["A"]);
    assert_eq!(replanned.plan.changes[0].fields[0].before, json!(100));
}

#[test]
fn a_hand_edited_saved_plan_gets_nothing_the_repository_does_not_ask_for() {
    let repo = repo(&[
        "metadata: {name: A}\nspec: {maxWaitTime: 240}\n",
        "metadata: {name: B}\nspec: {maxWaitTime: 100}\n",
    ]);
    let now = observed(vec![
        tenant_queue(A, "A", 1),
        tenant_queue(B, "B", 1),
        tenant_queue("00000000-0000-4000-8000-0000000000cc", "Unmanaged", 4),
    ]);
    let fresh = reconcile::plan(&repo, &now).expect("a plan");
    assert_eq!(fresh.changes.len(), 2);

    // 1. A delete of an unmanaged queue that has no tombstone.
    let mut edited = fresh.clone();
    let mut delete = edited.changes[0].clone();
    delete.name = "Unmanaged".into();
    delete.op = Op::Delete {
        id: "00000000-0000-4000-8000-0000000000cc".into(),
        revision: reconcile::Revision {
            version: Some(4),
            modified_at: None,
        },
    };
    edited.changes.push(delete);
    // 2. An overflow the repository does not declare (A → B → A would be a cycle).
    edited.changes[1].desired.overflow = Some(Some(reconcile::DesiredOverflow {
        target: reconcile::TargetRef::Name("A".into()),
        wait_time: 60,
        enabled: true,
    }));
    let rebased = edited.rebase(&fresh, &now, false);
    let kept: Vec<&str> = rebased
        .plan
        .changes
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(kept, ["A"]);
    assert_eq!(rebased.refused.len(), 2, "{:?}", rebased.refused);
    assert!(rebased.refused.iter().any(|r| r.starts_with("Unmanaged:")));
    assert!(rebased.refused.iter().any(|r| r.starts_with("B:")));
    assert!(
        rebased
            .refused
            .iter()
            .all(|r| r.contains("does not ask for"))
    );
}

#[tokio::test]
async fn our_own_earlier_write_is_not_reported_as_a_rival_change() {
    let t = FakeTenant::new(LAST_WRITER_WINS).with_skills(&["language:en"]);
    let id = t.insert(Queue {
        id: None,
        ..tenant_queue(A, "A", 1)
    });
    let repo = repo(&["metadata: {name: A}\nspec: {maxWaitTime: 240}\n"]);
    let observed = reconcile::observe(&t).await.unwrap();
    let plan = reconcile::plan(&repo, &observed).expect("a plan");
    // A write of ours (say, an earlier apply whose answer was lost) lands after the snapshot.
    t.edit_as(&id, "cxqueues", |q| q.max_wait_time = Some(239));
    let report = reconcile::apply(&t, &plan, &observed, &fast()).await;
    assert!(report.is_complete(), "{report:?}");
    assert!(report.outcomes[0].overridden.is_empty(), "{report:?}");
    assert_eq!(t.queue(&id).unwrap().max_wait_time, Some(240));
}

fn actions(plan: &reconcile::Plan) -> Vec<(&str, Action)> {
    plan.changes
        .iter()
        .map(|c| (c.name.as_str(), c.action()))
        .collect()
}

fn unreadable(id: &str, name: &str) -> tenant::Unreadable {
    tenant::Unreadable {
        id: Some(id.into()),
        name: name.into(),
        problem: "invalid value: integer `-5`, expected u32".into(),
    }
}

#[test]
fn an_unreadable_queue_no_document_manages_is_a_warning_and_the_plan_goes_on() {
    let repo = repo(&["metadata: {name: A}\nspec: {maxWaitTime: 240}\n"]);
    let observed = Observed {
        unreadable: vec![unreadable(B, "Neighbour")],
        ..observed(vec![tenant_queue(A, "A", 1)])
    };
    let plan = reconcile::plan(&repo, &observed).expect("a plan");
    assert!(plan.skipped.is_empty(), "{:?}", plan.skipped);
    assert_eq!(plan.warnings.len(), 1);
    assert!(
        plan.warnings[0].contains("Neighbour"),
        "{:?}",
        plan.warnings
    );
    assert!(plan.warnings[0].contains("-5"), "{:?}", plan.warnings);
    assert_eq!(actions(&plan), [("A", Action::Update)]);
}

#[test]
fn an_unreadable_managed_queue_is_skipped_alone_and_the_others_are_planned() {
    let repo = repo(&[
        "metadata: {name: A}\nspec: {maxWaitTime: 240}\n",
        "metadata: {name: B}\nspec: {maxWaiters: 5}\n",
        &format!("metadata: {{name: C, id: {C}}}\nspec: {{maxWaiters: 5}}\n"),
    ]);
    let observed = Observed {
        // B by name, and C by its pinned id whatever the name reads as.
        unreadable: vec![unreadable(B, "B"), unreadable(C, "")],
        ..observed(vec![tenant_queue(A, "A", 1)])
    };
    let plan = reconcile::plan(&repo, &observed).expect("a plan");
    assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
    assert_eq!(plan.skipped.len(), 2, "{:?}", plan.skipped);
    assert!(plan.skipped[0].contains("\"B\""), "{:?}", plan.skipped);
    assert!(plan.skipped[1].contains("\"C\""), "{:?}", plan.skipped);
    // No create for B or C (that would make a second queue of the same name).
    assert_eq!(actions(&plan), [("A", Action::Update)]);
}

#[test]
fn a_plan_with_no_change_but_an_unreadable_queue_is_not_clean() {
    let in_sync = "metadata: {name: A}\nspec: {maxWaiters: 10}\n";
    let clean = reconcile::plan(&repo(&[in_sync]), &observed(vec![tenant_queue(A, "A", 1)]))
        .expect("a plan");
    assert!(clean.is_empty() && clean.is_clean());
    for (queue, name) in [(B, "Neighbour"), (B, "B")] {
        let docs = [in_sync, "metadata: {name: B}\nspec: {maxWaiters: 5}\n"];
        let observed = Observed {
            unreadable: vec![unreadable(queue, name)],
            ..observed(vec![tenant_queue(A, "A", 1)])
        };
        let plan = reconcile::plan(&repo(&docs[..1 + usize::from(name == "B")]), &observed)
            .expect("a plan");
        assert!(plan.is_empty(), "{:?}", plan.changes);
        assert!(!plan.is_clean(), "{name}: named, never \"no changes\"");
    }
}

/// Writes the tenant had made when each hook ran, in order: `start A 0`, `done A 1`…
struct Journal {
    tenant: std::sync::Arc<FakeTenant>,
    seen: std::sync::Mutex<Vec<String>>,
}

impl reconcile::ApplyObserver for Journal {
    fn on_start(&self, change: &reconcile::Change) {
        let line = format!("start {} {}", change.name, self.tenant.writes());
        self.seen.lock().unwrap().push(line);
    }
    fn on_outcome(&self, o: &reconcile::QueueOutcome) {
        let line = format!("done {} {}", o.name, self.tenant.writes());
        self.seen.lock().unwrap().push(line);
    }
}

#[tokio::test]
async fn observers_hear_of_each_queue_right_before_its_write_and_right_after_it() {
    let t = std::sync::Arc::new(FakeTenant::default().with_skills(&["language:en"]));
    t.insert(Queue {
        id: None,
        ..tenant_queue(A, "A", 1)
    });
    let repo = repo(&["metadata: {name: A}\nspec: {maxWaitTime: 240}\n"]);
    let observed = reconcile::observe(&*t).await.unwrap();
    let plan = reconcile::plan(&repo, &observed).expect("a plan");
    let journal = std::sync::Arc::new(Journal {
        tenant: t.clone(),
        seen: std::sync::Mutex::default(),
    });
    let opts = ApplyOptions {
        observers: vec![journal.clone()],
        ..fast()
    };
    let before = t.writes();
    let report = reconcile::apply(&*t, &plan, &observed, &opts).await;
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(
        *journal.seen.lock().unwrap(),
        [
            format!("start A {before}"),
            format!("done A {}", before + 1)
        ]
    );
}

#[test]
fn a_plan_with_nothing_to_change_is_not_clean_while_a_tenant_queue_cannot_be_read() {
    let repo = repo(&["metadata: {name: A}\nspec: {maxWaitTime: 300}\n"]);
    let mut a = tenant_queue(A, "A", 1);
    a.max_wait_time = Some(300);
    let clean = reconcile::plan(&repo, &observed(vec![a.clone()])).unwrap();
    assert!(clean.is_empty() && clean.is_clean(), "{:?}", clean.changes);
    // A skill whose id cannot be parsed (CXone "sk-1000") comes without an id.
    let odd = tenant::Unreadable {
        id: Some("sk-1000".into()),
        name: "Odd".into(),
        problem: "skillId \"sk-1000\" is not an integer skill id".into(),
    };
    let observed = Observed {
        unreadable: vec![odd],
        ..observed(vec![a])
    };
    let plan = reconcile::plan(&repo, &observed).unwrap();
    assert!(plan.is_empty());
    assert!(!plan.is_clean());
    assert!(plan.warnings[0].contains("\"Odd\""), "{:?}", plan.warnings);
    assert!(plan.warnings[0].contains("sk-1000"), "{:?}", plan.warnings);
}
