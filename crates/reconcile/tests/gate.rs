//! The gate over a plan: change or drift by the last applied state, drift modes, ignored
//! fields, windows and break glass; each case a repository, a tenant and an instant.

use std::collections::BTreeMap;
use std::path::PathBuf;

use model::{Applies, DriftMode, LoadOptions, RepoFile, Repository, Windows};
use reconcile::{Desired, GateInput, Gated, Observed};
use tenant::Queue;

const QUEUE: &str = "apiVersion: cxqueues/v1
kind: Queue
metadata: {name: Billing, labels: {team: billing}}
spec: {maxWaitTime: 300, maxWaiters: 50, description: Invoices}
";

fn repo(windows_and_drift: &str, queue: &str) -> Repository {
    let tenant = format!("apiVersion: cxqueues/v1\nkind: Tenant\nspec:\n{windows_and_drift}");
    let repo = model::parse_files(
        Some(RepoFile {
            path: PathBuf::from("cxqueues.yaml"),
            bytes: tenant.into_bytes(),
        }),
        [RepoFile {
            path: PathBuf::from("queues/billing.yaml"),
            bytes: queue.as_bytes().to_vec(),
        }],
        &LoadOptions::default(),
    );
    let errors: Vec<_> = repo.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    repo
}

/// The tenant's copy: declared values except those given.
fn tenant(max_wait_time: u32, max_waiters: u32) -> Observed {
    let mut q = Queue::named("Billing");
    q.id = Some("5b0f6b8e-2f5a-4a53-9a3e-0a3f4c1d2e11".into());
    q.version = Some(3);
    q.description = Some("Invoices".into());
    q.max_wait_time = Some(max_wait_time);
    q.max_waiters = Some(max_waiters);
    q.modified_by = Some("jdoe".into());
    Observed {
        queues: vec![q],
        ..Observed::default()
    }
}

/// The last applied state: the queue as declared, with `maxWaitTime` as given.
fn applied(repo: &Repository, max_wait_time: u32) -> BTreeMap<String, Desired> {
    let mut d = Desired::from_doc(&repo.queues[0].doc);
    d.max_wait_time = Some(max_wait_time);
    BTreeMap::from([("Billing".to_string(), d)])
}

fn run(
    repo: &Repository,
    observed: &Observed,
    at: &str,
    applied: Option<&BTreeMap<String, Desired>>,
    break_glass: bool,
) -> Gated {
    let (windows, diags) = Windows::compile(
        &repo.tenant.spec.change_windows,
        std::path::Path::new("cxqueues.yaml"),
    );
    assert!(diags.is_empty(), "{diags:?}");
    let plan = reconcile::plan(repo, observed).expect("no tenant-aware errors");
    reconcile::gate(
        plan,
        &GateInput {
            repo,
            observed,
            windows: &windows,
            at: at.parse().expect("a timestamp"),
            break_glass,
            no_self_heal: false,
            applied,
        },
    )
}

fn paths(g: &Gated) -> Vec<String> {
    g.plan
        .changes
        .iter()
        .flat_map(|c| c.fields.iter().map(|f| f.path.clone()))
        .collect()
}

const PEAK: &str = "  changeWindows:\n    - {name: peak, kind: deny, schedule: \"0 9 * * *\", duration: 8h, timeZone: America/New_York}\n";

#[test]
fn with_no_history_every_difference_is_a_change_and_a_deny_window_holds_it_until_its_end() {
    let repo = repo(PEAK, QUEUE);
    let g = run(&repo, &tenant(240, 50), "2026-12-07T15:00:00Z", None, false);
    assert!(g.plan.changes.is_empty());
    assert_eq!(g.held.len(), 1);
    assert_eq!(g.held[0].window, "peak");
    assert_eq!(g.held[0].applies, Applies::Changes);
    assert_eq!(g.held[0].fields[0].path, "maxWaitTime");
    assert_eq!(
        g.held[0].until.map(|t| t.to_string()).as_deref(),
        Some("2026-12-07T22:00:00Z")
    );
    assert!(g.drift.is_empty());
    // Held with no history: the field is left out of the record, so it stays a change.
    assert_eq!(g.record["Billing"].max_wait_time, None);
    assert_eq!(g.next_release(), g.held[0].until);
}

#[test]
fn outside_the_window_the_change_is_applied() {
    let repo = repo(PEAK, QUEUE);
    let g = run(&repo, &tenant(240, 50), "2026-12-07T23:00:00Z", None, false);
    assert_eq!(paths(&g), ["maxWaitTime"]);
    assert!(g.held.is_empty());
    assert_eq!(g.record["Billing"].max_wait_time, Some(300));
}

#[test]
fn a_held_change_keeps_its_last_applied_value_in_the_record() {
    let repo = repo(PEAK, QUEUE);
    let prev = applied(&repo, 240);
    let g = run(
        &repo,
        &tenant(240, 50),
        "2026-12-07T15:00:00Z",
        Some(&prev),
        false,
    );
    assert_eq!(g.held.len(), 1);
    assert_eq!(g.record["Billing"].max_wait_time, Some(240));
}

#[test]
fn break_glass_applies_through_the_deny_window_and_names_it() {
    let repo = repo(PEAK, QUEUE);
    let g = run(&repo, &tenant(240, 50), "2026-12-07T15:00:00Z", None, true);
    assert_eq!(paths(&g), ["maxWaitTime"]);
    assert!(g.held.is_empty());
    assert_eq!(g.overridden.len(), 1);
    assert_eq!(g.overridden[0].window, "peak");
}

#[test]
fn drift_is_told_from_a_change_by_the_last_applied_state_and_each_mode_does_its_part() {
    // Declared 300 when last applied and now; the tenant holds 240: drift.
    for (mode, reported, corrected) in [
        ("correct", true, true),
        ("warn", true, false),
        ("off", false, false),
    ] {
        let repo = repo(&format!("  drift: {{mode: {mode}}}\n"), QUEUE);
        let prev = applied(&repo, 300);
        let g = run(
            &repo,
            &tenant(240, 50),
            "2026-12-07T15:00:00Z",
            Some(&prev),
            false,
        );
        assert_eq!(!g.drift.is_empty(), reported, "{mode}: reported");
        assert_eq!(paths(&g) == ["maxWaitTime"], corrected, "{mode}: corrected");
        if reported {
            let d = &g.drift[0];
            assert_eq!(d.fields[0].before, serde_json::json!(240));
            assert_eq!(d.fields[0].after, serde_json::json!(300));
            assert_eq!(d.modified_by.as_deref(), Some("jdoe"));
            assert_eq!(d.corrected, corrected);
            assert_eq!(d.mode.as_str(), mode);
        }
    }
}

#[test]
fn a_queue_override_wins_over_the_tenant_mode() {
    let queue = QUEUE.replace(
        "labels: {team: billing}}",
        "labels: {team: billing}, drift: {mode: warn}}",
    );
    let repo = repo("  drift: {mode: correct}\n", &queue);
    let prev = applied(&repo, 300);
    let g = run(
        &repo,
        &tenant(240, 50),
        "2026-12-07T15:00:00Z",
        Some(&prev),
        false,
    );
    assert_eq!(g.drift[0].mode, DriftMode::Warn);
    assert!(g.plan.changes.is_empty());
}

#[test]
fn a_change_is_applied_and_drift_held_by_a_drift_only_window_is_not_written() {
    // Declared maxWaitTime 300 (last applied 240): a change. maxWaiters declared 50 as last
    // applied, tenant 40: drift, held by a drift-only window.
    let windows = "  changeWindows:\n    - {name: no-heal, kind: deny, schedule: \"0 9 * * *\", duration: 8h, applies: [drift]}\n";
    let repo = repo(windows, QUEUE);
    let prev = applied(&repo, 240);
    let g = run(
        &repo,
        &tenant(240, 40),
        "2026-12-07T10:00:00Z",
        Some(&prev),
        false,
    );
    assert_eq!(paths(&g), ["maxWaitTime"]);
    let change = &g.plan.changes[0];
    assert_eq!(
        change.desired.max_waiters, None,
        "held drift is not written"
    );
    assert_eq!(change.desired.max_wait_time, Some(300));
    assert_eq!(g.held.len(), 1);
    assert_eq!(g.held[0].applies, Applies::Drift);
    assert_eq!(g.held[0].fields[0].path, "maxWaiters");
}

#[test]
fn ignored_fields_are_left_out_of_plan_and_drift_and_released_from_the_write() {
    let repo = repo("  drift: {ignore: [maxWaiters]}\n", QUEUE);
    let prev = applied(&repo, 240);
    let g = run(
        &repo,
        &tenant(240, 10),
        "2026-12-07T10:00:00Z",
        Some(&prev),
        false,
    );
    assert_eq!(paths(&g), ["maxWaitTime"]);
    assert_eq!(g.plan.changes[0].desired.max_waiters, None);
    assert!(g.drift.is_empty());
}

#[test]
fn a_window_for_other_queues_holds_nothing_here() {
    let windows = "  changeWindows:\n    - {name: support-only, kind: deny, schedule: \"* * * * *\", duration: 59s, queues: [\"Support*\"]}\n";
    let repo = repo(windows, QUEUE);
    let g = run(&repo, &tenant(240, 50), "2026-12-07T10:00:00Z", None, false);
    assert_eq!(paths(&g), ["maxWaitTime"]);
    assert!(g.held.is_empty());
}

#[test]
fn a_declared_ignored_field_is_still_sent_when_the_queue_is_created() {
    let repo = repo("  drift: {ignore: [maxWaiters]}\n", QUEUE);
    let g = run(
        &repo,
        &Observed::default(),
        "2026-12-07T10:00:00Z",
        None,
        false,
    );
    assert_eq!(g.plan.changes.len(), 1);
    assert_eq!(g.plan.changes[0].desired.max_waiters, Some(50));
}

#[test]
fn a_create_held_by_a_window_is_one_held_change_and_stays_out_of_the_record() {
    let repo = repo(PEAK, QUEUE);
    let g = run(
        &repo,
        &Observed::default(),
        "2026-12-07T15:00:00Z",
        None,
        false,
    );
    assert!(g.plan.changes.is_empty());
    assert_eq!(g.held.len(), 1);
    assert_eq!(g.held[0].queue, "Billing");
    assert!(!g.record.contains_key("Billing"));
}
