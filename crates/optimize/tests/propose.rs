//! Proposals per queue: the policies, their bounds and warnings, missing inputs, and the
//! outputs.

use std::path::PathBuf;

use model::{LoadOptions, RepoFile, Repository, parse_files};
use optimize::render::{self, Colour};
use optimize::{Field, Metrics, OptimizeError, Options, Policy, Report, propose};

const QUEUES: &str = "apiVersion: cxqueues/v1
kind: Queue
metadata: {name: Sales}
spec:
  serviceLevelTarget: {threshold: 80, time: 20}
  maxWaitTime: 180
  maxWaiters: 40
---
apiVersion: cxqueues/v1
kind: Queue
metadata: {name: Bare}
spec:
  description: no managed numbers
---
apiVersion: cxqueues/v1
kind: Queue
metadata: {name: Idle}
spec:
  maxWaiters: 5
";

fn repo(license: u32) -> Repository {
    let tenant = format!(
        "apiVersion: cxqueues/v1\nkind: Tenant\nspec:\n  limits: {{maxWaiters: {license}}}\n"
    );
    parse_repo(tenant, QUEUES)
}

/// The repository of a tenant document and one Queue file, which must be valid.
fn parse_repo(tenant: String, queues: &str) -> Repository {
    let repo = parse_files(
        Some(RepoFile {
            path: PathBuf::from("cxqueues.yaml"),
            bytes: tenant.into_bytes(),
        }),
        [RepoFile {
            path: PathBuf::from("queues/q.yaml"),
            bytes: queues.as_bytes().to_vec(),
        }],
        &LoadOptions::default(),
    );
    assert!(!repo.has_errors(), "{:#?}", repo.diagnostics);
    repo
}

fn run(license: u32, policy: Policy, metrics: &str) -> Report {
    let m = Metrics::parse_json("m.json", metrics).unwrap().metrics;
    let opts = Options {
        policy,
        ..Options::default()
    };
    propose(&repo(license), &m, &opts).unwrap()
}

fn to(report: &Report, queue: &str, field: Field) -> Option<i64> {
    let q = report.queues.iter().find(|q| q.name == queue).unwrap();
    q.changes.iter().find(|c| c.field == field).map(|c| c.to)
}

fn warnings<'a>(report: &'a Report, queue: &str) -> &'a [String] {
    &report
        .queues
        .iter()
        .find(|q| q.name == queue)
        .unwrap()
        .warnings
}

#[test]
fn seed_values_beyond_a_bound_are_proposed_at_the_bound_with_a_warning_naming_the_computed_value() {
    // Coverage 0.1: wait 1200 → 600, time 720 → 300; capacity 200: maxWaiters 160 → 100.
    let r = run(
        100,
        Policy::Seed,
        r#"{"queues": {"Sales": {"activeInteractions": 10, "maxCapacity": 200, "coverageRatio": 0.1}}}"#,
    );
    assert_eq!(to(&r, "Sales", Field::MaxWaitTime), Some(600));
    assert_eq!(to(&r, "Sales", Field::MaxWaiters), Some(100));
    assert_eq!(to(&r, "Sales", Field::ServiceLevelThreshold), Some(85));
    assert_eq!(to(&r, "Sales", Field::ServiceLevelTime), Some(300));
    assert_eq!(
        warnings(&r, "Sales"),
        [
            "maxWaitTime: computed 1200, above the maximum 600: proposing 600",
            "maxWaiters: computed 160, above the maximum 100: proposing 100",
            "serviceLevelTarget.time: computed 720, above the maximum 300: proposing 300",
        ]
    );
}

#[test]
fn seed_max_waiters_stay_within_the_license() {
    let r = run(
        45,
        Policy::Seed,
        r#"{"queues": {"Sales": {"activeInteractions": 10, "maxCapacity": 100, "coverageRatio": 1}}}"#,
    );
    assert_eq!(to(&r, "Sales", Field::MaxWaiters), Some(45));
    assert_eq!(
        warnings(&r, "Sales"),
        ["maxWaiters: computed 80, above the licensed 45: proposing 45"]
    );
}

#[test]
fn a_seed_max_waiters_of_zero_keeps_the_current_value_and_says_so() {
    let r = run(
        100,
        Policy::Seed,
        r#"{"queues": {"Idle": {"activeInteractions": 0, "maxCapacity": 0.4}}}"#,
    );
    assert_eq!(to(&r, "Idle", Field::MaxWaiters), None);
    assert_eq!(
        warnings(&r, "Idle"),
        ["maxWaiters: computed 0 (round(0.4 × 0.8)): the current 5 is kept"]
    );
    // The other fields are proposed (and inserted, since Idle declares none of them).
    assert_eq!(to(&r, "Idle", Field::MaxWaitTime), Some(160));
    let idle = r.queues.iter().find(|q| q.name == "Idle").unwrap();
    assert_eq!(idle.changes[0].from, None);
}

#[test]
fn a_seed_utilisation_of_0_over_0_is_a_warning_and_no_change_never_nan() {
    for (active, why) in [(0, "0 / 0"), (3, "3 / 0")] {
        let r = run(
            100,
            Policy::Seed,
            &format!(
                r#"{{"queues": {{"Idle": {{"activeInteractions": {active}, "maxCapacity": 0}}}}}}"#
            ),
        );
        let idle = r.queues.iter().find(|q| q.name == "Idle").unwrap();
        assert!(idle.changes.is_empty(), "{:?}", idle.changes);
        assert_eq!(
            warnings(&r, "Idle"),
            [format!(
                "the utilisation activeInteractions / maxCapacity = {why} is undefined with a maxCapacity of 0: nothing is proposed"
            )]
        );
        let text = render::text(&r, Colour::Off);
        assert!(!text.contains("NaN") && !text.contains("inf"), "{text}");
    }
}

#[test]
fn erlang_c_on_the_textbook_queue_predicts_the_published_figures() {
    // 600 contacts in 3 h at AHT 180 s = 10 Erlangs, on 12 agents.
    let r = run(
        100,
        Policy::ErlangC,
        r#"{"queues": {"Sales": {"offered": 600, "intervalSeconds": 10800, "averageHandleTimeSeconds": 180, "agents": 12}}}"#,
    );
    let q = &r.queues[0];
    let p = q.predicted.as_ref().unwrap();
    assert!((p.traffic_erlangs - 10.0).abs() < 1e-9);
    assert!((p.wait_probability.unwrap() - 0.4494).abs() < 5e-5);
    assert!((p.service_level.unwrap() - 0.6402).abs() < 5e-5);
    assert!((p.average_speed_of_answer_seconds.unwrap() - 40.45).abs() < 0.01);
    assert!((p.occupancy.unwrap() - 10.0 / 12.0).abs() < 1e-12);
    assert_eq!(p.agents_needed, Some(14));
    assert_eq!(to(&r, "Sales", Field::MaxWaitTime), Some(343));
    assert_eq!(to(&r, "Sales", Field::MaxWaiters), Some(21));
    // The service level target is a business decision: never changed, only reported.
    assert_eq!(to(&r, "Sales", Field::ServiceLevelThreshold), None);
    assert_eq!(to(&r, "Sales", Field::ServiceLevelTime), None);
    assert_eq!(
        q.warnings,
        [
            "the service level target (80% in 20 s) is out of reach with 12 agents: predicted 64.0%; 14 agents are needed"
        ]
    );
}

#[test]
fn erlang_c_keeps_max_wait_time_within_10_to_600_with_a_warning() {
    // Barely any queueing: P(wait > 0) ≤ 1 % → t = 0 → 10.
    let r = run(
        100,
        Policy::ErlangC,
        r#"{"queues": {"Bare": {"offered": 10, "intervalSeconds": 3600, "averageHandleTimeSeconds": 60, "agents": 20},
                       "Sales": {"offered": 990, "intervalSeconds": 3600, "averageHandleTimeSeconds": 3600, "agents": 1000}}}"#,
    );
    assert_eq!(to(&r, "Bare", Field::MaxWaitTime), Some(10));
    assert_eq!(to(&r, "Bare", Field::MaxWaiters), Some(1));
    assert!(
        warnings(&r, "Bare")
            .contains(&"maxWaitTime: computed 0, below the minimum 10: proposing 10".to_string())
    );
    // A = 990 on 1,000 agents with an hour of handle time: the tail is long.
    assert_eq!(to(&r, "Sales", Field::MaxWaitTime), Some(600));
    assert!(
        warnings(&r, "Sales")
            .iter()
            .any(|w| w.starts_with("maxWaiters: computed ") && w.ends_with("proposing 100")),
        "{:?}",
        warnings(&r, "Sales")
    );
    assert!(
        warnings(&r, "Sales")
            .iter()
            .any(|w| w.starts_with("maxWaitTime: computed ") && w.ends_with("proposing 600"))
    );
}

#[test]
fn a_queue_that_cannot_keep_up_gets_one_warning_naming_a_and_n_and_no_change() {
    let r = run(
        100,
        Policy::ErlangC,
        r#"{"queues": {"Sales": {"offered": 1300, "intervalSeconds": 3600, "averageHandleTimeSeconds": 36, "agents": 13}}}"#,
    );
    let q = &r.queues[0];
    assert!(q.changes.is_empty());
    assert_eq!(
        q.warnings,
        [
            "the queue cannot keep up: traffic A = 13 Erlangs with N = 13 agents (N must exceed A); nothing is predicted or changed"
        ]
    );
    let p = q.predicted.as_ref().unwrap();
    assert_eq!(p.wait_probability, None);
    assert_eq!(p.service_level, None);
}

#[test]
fn missing_inputs_are_reported_per_queue_not_guessed() {
    let r = run(
        100,
        Policy::ErlangC,
        r#"{"queues": {"Sales": {"offered": 10, "agents": 2}}}"#,
    );
    assert!(r.queues.iter().all(|q| q.changes.is_empty()));
    assert_eq!(
        warnings(&r, "Sales"),
        [
            "the erlang-c policy needs intervalSeconds, averageHandleTimeSeconds, which the metrics do not give: nothing is proposed"
        ]
    );
    assert_eq!(
        warnings(&r, "Bare"),
        ["no metrics for this queue: nothing is proposed"]
    );
    assert!(!r.has_changes());
}

#[test]
fn a_metrics_row_for_no_queue_of_the_repository_is_an_error_naming_the_row() {
    let m = Metrics::parse_csv("m.csv", "queue,offered\nSales,1\nSales Typo,2\n").unwrap();
    let err = propose(&repo(100), &m, &Options::default()).unwrap_err();
    assert!(matches!(err, OptimizeError::UnknownQueue { .. }));
    assert_eq!(
        err.to_string(),
        "m.csv:3:1: queue \"Sales Typo\" is not in the repository"
    );
}

#[test]
fn only_limits_the_queues_and_refuses_an_unknown_name() {
    let m = Metrics::default();
    let opts = Options {
        only: vec!["Idle".into()],
        ..Options::default()
    };
    let r = propose(&repo(100), &m, &opts).unwrap();
    assert_eq!(r.queues.len(), 1);
    assert_eq!(r.queues[0].name, "Idle");
    let opts = Options {
        only: vec!["Nope".into()],
        ..Options::default()
    };
    assert!(propose(&repo(100), &m, &opts).is_err());
    let opts = Options {
        tail: 0.0,
        ..Options::default()
    };
    assert!(propose(&repo(100), &m, &opts).is_err());
}

#[test]
fn the_json_output_has_the_documented_shape_and_leaves_predicted_out_under_seed() {
    let r = run(
        100,
        Policy::ErlangC,
        r#"{"queues": {"Sales": {"offered": 600, "intervalSeconds": 10800, "averageHandleTimeSeconds": 180, "agents": 12}}}"#,
    );
    let v = render::json(&r);
    let text: serde_json::Value = serde_json::from_str(&render::json_text(&r)).unwrap();
    assert_eq!(text, v, "the text and the value are the same document");
    assert_eq!(v["formatVersion"], 1);
    assert_eq!(v["policy"], "erlang-c");
    let q = &v["queues"][0];
    let keys: Vec<&str> = q.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["name", "file", "inputs", "predicted", "changes", "warnings"]
    );
    let pk: Vec<&str> = q["predicted"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        pk,
        [
            "trafficErlangs",
            "waitProbability",
            "serviceLevel",
            "averageSpeedOfAnswerSeconds",
            "occupancy",
            "agentsNeeded"
        ]
    );
    assert_eq!(q["file"], "queues/q.yaml");
    assert_eq!(q["inputs"]["agents"], 12);
    assert_eq!(q["changes"][0]["field"], "maxWaitTime");
    assert_eq!(q["changes"][0]["from"], 180);
    assert_eq!(q["changes"][0]["to"], 343);
    assert!(
        q["changes"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("P(wait > 343 s)")
    );

    let seed = run(
        100,
        Policy::Seed,
        r#"{"queues": {"Sales": {"activeInteractions": 1, "maxCapacity": 10}}}"#,
    );
    let v = render::json(&seed);
    assert_eq!(v["policy"], "seed");
    assert!(v["queues"][0].get("predicted").is_none());
    assert_eq!(v["queues"][1]["inputs"], serde_json::Value::Null);
}

#[test]
fn the_text_output_shows_current_and_proposed_and_is_plain_off_a_terminal() {
    let r = run(
        100,
        Policy::ErlangC,
        r#"{"queues": {"Sales": {"offered": 600, "intervalSeconds": 10800, "averageHandleTimeSeconds": 180, "agents": 12}}}"#,
    );
    let plain = render::text(&r, Colour::Off);
    assert!(!plain.contains('\x1b'));
    assert!(plain.contains("~ Sales (queues/q.yaml)\n"), "{plain}");
    assert!(
        plain.contains("    maxWaitTime: 180 → 343   P(wait > 343 s) ≤ 1%"),
        "{plain}"
    );
    assert!(plain.contains("agents needed 14"), "{plain}");
    assert!(
        plain.ends_with(
            "Optimize (erlang-c, tail 0.01): 1 queue to change, 0 unchanged, 1 warning; 2 queues without metrics (nothing proposed): Bare, Idle.\n"
        ),
        "{plain}"
    );
    assert!(!plain.contains("Bare (queues/q.yaml)"), "{plain}");
    assert!(render::text(&r, Colour::On).contains("\x1b[32m343\x1b[0m"));
}

#[test]
fn the_diff_output_is_a_unified_diff_of_the_edited_files() {
    let r = run(
        100,
        Policy::ErlangC,
        r#"{"queues": {"Sales": {"offered": 600, "intervalSeconds": 10800, "averageHandleTimeSeconds": 180, "agents": 12}}}"#,
    );
    let repo = repo(100);
    let edits = optimize::edit_files(&repo, &r, |_| Ok(QUEUES.to_string())).unwrap();
    let d = render::diff(&edits);
    assert!(
        d.starts_with("--- a/queues/q.yaml\n+++ b/queues/q.yaml\n@@ "),
        "{d}"
    );
    assert!(
        d.contains(
            "\n-  maxWaitTime: 180\n-  maxWaiters: 40\n+  maxWaitTime: 343\n+  maxWaiters: 21\n"
        ),
        "{d}"
    );
}

const TEXTBOOK: &str = r#"{"queues": {"Sales": {"offered": 600, "intervalSeconds": 10800, "averageHandleTimeSeconds": 180, "agents": 12}}}"#;

#[test]
fn on_a_platform_that_holds_neither_max_waiters_nor_max_wait_time_they_are_predicted_not_changed() {
    let m = Metrics::parse_json("m.json", TEXTBOOK).unwrap().metrics;
    let opts = Options {
        predicted_only: vec![Field::MaxWaiters, Field::MaxWaitTime],
        ..Options::default()
    };
    let r = propose(&repo(100), &m, &opts).unwrap();
    let sales = r.queues.iter().find(|q| q.name == "Sales").unwrap();
    assert!(sales.changes.is_empty(), "{:?}", sales.changes);
    let p = sales.predicted.as_ref().unwrap();
    // The same figures the routing API gets as changes (343 s, 21 waiting).
    assert_eq!((p.max_wait_time, p.max_waiters), (Some(343), Some(21)));
    assert_eq!(p.agents_needed, Some(14));
    let v = render::json(&r);
    assert_eq!(v["queues"][0]["predicted"]["maxWaitTime"], 343);
    assert_eq!(v["queues"][0]["predicted"]["maxWaiters"], 21);
    // On the routing API nothing changes: they are changes, and not under predicted.
    let routing = run(100, Policy::ErlangC, TEXTBOOK);
    assert_eq!(to(&routing, "Sales", Field::MaxWaitTime), Some(343));
    assert!(
        render::json(&routing)["queues"][0]["predicted"]
            .get("maxWaitTime")
            .is_none()
    );
}

#[test]
fn figures_outside_the_modelled_bounds_are_an_error_naming_the_queue_and_the_field() {
    for (figures, needle) in [
        (
            r#""agents": 4294967295"#,
            "agents: 4294967295 is above the 100000",
        ),
        (r#""agents": 100001"#, "agents: 100001"),
        (r#""offered": 1e10"#, "offered: 10000000000 is above 10^9"),
        (
            r#""intervalSeconds": 0.5"#,
            "intervalSeconds: 0.5 s is outside 1 s – 31 days",
        ),
        (
            r#""intervalSeconds": 2678401"#,
            "intervalSeconds: 2678401 s",
        ),
        (
            r#""averageHandleTimeSeconds": 86401"#,
            "averageHandleTimeSeconds: 86401 s is outside 1 s – 1 day",
        ),
    ] {
        let text = format!(r#"{{"queues": {{"Sales": {{{figures}}}}}}}"#);
        let m = Metrics::parse_json("m.json", &text).unwrap().metrics;
        let err = propose(&repo(100), &m, &Options::default())
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("m.json:1:13: queue \"Sales\": "), "{err}");
        assert!(err.contains(needle), "{err} should contain {needle}");
    }
    // Every bad figure is named, and every other queue out of bounds.
    let m = Metrics::parse_json(
        "m.json",
        r#"{"queues": {"Sales": {"agents": 100001, "offered": 2e9}, "Idle": {"averageHandleTimeSeconds": 0.5}}}"#,
    )
    .unwrap()
    .metrics;
    let err = propose(&repo(100), &m, &Options::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("agents: 100001") && err.contains("; offered: 2000000000"),
        "{err}"
    );
    assert!(
        err.contains("also out of bounds: \"Idle\" (m.json:1:58)"),
        "{err}"
    );
    // At the bounds themselves the figures are modelled.
    let m = Metrics::parse_json(
        "m.json",
        r#"{"queues": {"Sales": {"offered": 1e9, "intervalSeconds": 2678400, "averageHandleTimeSeconds": 86400, "agents": 100000}}}"#,
    )
    .unwrap()
    .metrics;
    assert!(propose(&repo(100), &m, &Options::default()).is_ok());
}

#[test]
fn a_csv_with_a_utf8_byte_order_mark_is_read() {
    let m = Metrics::parse("m.csv", "\u{feff}queue,offered,agents\nSales,600,12\n").unwrap();
    assert_eq!(m.rows[0].queue, "Sales");
    assert_eq!(m.rows[0].origin, "m.csv:2:1");
    assert_eq!(m.rows[0].metrics.agents, Some(12));
    let j = Metrics::parse("m.json", &format!("\u{feff}{TEXTBOOK}")).unwrap();
    assert_eq!(j.rows[0].metrics.agents, Some(12));
}

const GENESYS_TENANT: &str = "apiVersion: cxqueues/v1\nkind: Tenant\nspec:\n  platform: genesys-cloud\n  limits: {maxWaiters: 100}\n";

fn genesys_repo(queues: &str) -> Repository {
    parse_repo(GENESYS_TENANT.to_string(), queues)
}

fn on_genesys() -> Options {
    Options {
        predicted_only: vec![Field::MaxWaiters, Field::MaxWaitTime],
        ..Options::default()
    }
}

#[test]
fn a_genesys_estimated_wait_rule_takes_the_erlang_c_max_wait_time_as_a_change() {
    let queues = "apiVersion: cxqueues/v1
kind: Queue
metadata: {name: Sales}
spec:
  serviceLevelTarget: {threshold: 80, time: 20}
  genesys:
    conditionalGroupRouting:
      rules:
        - {metric: ServiceLevel, operator: LessThan, value: 80, waitSeconds: 10, groups: [{name: G, type: GROUP}]}
        - {metric: EstimatedWaitTime, operator: GreaterThan, value: 30.5, waitSeconds: 20, groups: [{name: G, type: GROUP}]}
        - {metric: EstimatedWaitTime, operator: GreaterThan, value: 90, waitSeconds: 40, groups: [{name: H, type: GROUP}]}
";
    let m = Metrics::parse_json("m.json", TEXTBOOK).unwrap().metrics;
    let r = propose(&genesys_repo(queues), &m, &on_genesys()).unwrap();
    let sales = &r.queues[0];
    // maxWaitTime and maxWaiters stay predictions; the first EstimatedWaitTime rule (the
    // second rule) takes the same 343 s as a change, from its declared 30.5.
    assert_eq!(
        sales.predicted.as_ref().unwrap().max_wait_time,
        Some(343),
        "{sales:?}"
    );
    assert_eq!(sales.changes.len(), 1, "{:?}", sales.changes);
    let c = &sales.changes[0];
    assert_eq!(c.field, Field::CgrEstimatedWaitTime(1));
    assert_eq!(c.from, model::Decimal::parse("30.5"));
    assert_eq!(c.to, 343);
    assert!(c.reason.contains("P(wait > 343 s) ≤ 1%"), "{}", c.reason);
    // The third rule (90 s) now fires before the second: said, not changed.
    assert!(
        sales.warnings.iter().any(|w| w.contains(
            "rule 3's EstimatedWaitTime threshold 90 s is not above the 343 s proposed for rule 2"
        )),
        "{:?}",
        sales.warnings
    );
    let v = render::json(&r);
    assert_eq!(
        v["queues"][0]["changes"][0]["field"],
        "genesys.conditionalGroupRouting.rules[1].value"
    );
    assert_eq!(v["queues"][0]["changes"][0]["from"], 30.5);
    assert_eq!(v["queues"][0]["changes"][0]["to"], 343);
}

#[test]
fn an_estimated_wait_rule_already_at_the_figure_or_on_another_queue_is_not_changed() {
    let m = Metrics::parse_json("m.json", TEXTBOOK).unwrap().metrics;
    for rules in [
        // Already at the figure.
        "        - {metric: EstimatedWaitTime, operator: GreaterThan, value: 343, waitSeconds: 20, groups: [{name: G, type: GROUP}]}\n",
        // Only ServiceLevel rules.
        "        - {metric: ServiceLevel, operator: LessThan, value: 80, waitSeconds: 20, groups: [{name: G, type: GROUP}]}\n",
        // An EstimatedWaitTime rule that is no overflow threshold (LessThan).
        "        - {metric: EstimatedWaitTime, operator: LessThan, value: 30, waitSeconds: 20, groups: [{name: G, type: GROUP}]}\n",
        // An EstimatedWaitTime rule that evaluates another queue's wait.
        "        - {metric: ServiceLevel, operator: LessThan, value: 80, waitSeconds: 20, groups: [{name: G, type: GROUP}]}\n        - {queue: Other, metric: EstimatedWaitTime, operator: GreaterThan, value: 60, waitSeconds: 20, groups: [{name: G, type: GROUP}]}\n",
    ] {
        let queues = format!(
            "apiVersion: cxqueues/v1\nkind: Queue\nmetadata: {{name: Sales}}\nspec:\n  serviceLevelTarget: {{threshold: 80, time: 20}}\n  genesys:\n    conditionalGroupRouting:\n      rules:\n{rules}---\napiVersion: cxqueues/v1\nkind: Queue\nmetadata: {{name: Other}}\nspec: {{}}\n"
        );
        let r = propose(&genesys_repo(&queues), &m, &on_genesys()).unwrap();
        assert!(
            r.queues[0].changes.is_empty(),
            "{rules}: {:?}",
            r.queues[0].changes
        );
        assert_eq!(
            r.queues[0].predicted.as_ref().unwrap().max_wait_time,
            Some(343)
        );
    }
}

#[test]
fn a_queue_that_rarely_waits_keeps_its_threshold_with_a_warning_never_zero() {
    let queues = "apiVersion: cxqueues/v1
kind: Queue
metadata: {name: Sales}
spec:
  genesys:
    conditionalGroupRouting:
      rules:
        - {metric: EstimatedWaitTime, operator: GreaterThan, value: 30, waitSeconds: 20, groups: [{name: G, type: GROUP}]}
";
    // A = 0.5 Erlangs on 12 agents: P(wait) is far below 1 %.
    let quiet = r#"{"queues": {"Sales": {"offered": 10, "intervalSeconds": 3600, "averageHandleTimeSeconds": 180, "agents": 12}}}"#;
    let m = Metrics::parse_json("m.json", quiet).unwrap().metrics;
    let r = propose(&genesys_repo(queues), &m, &on_genesys()).unwrap();
    let sales = &r.queues[0];
    assert!(sales.changes.is_empty(), "{:?}", sales.changes);
    assert!(
        sales.warnings.iter().any(|w| w.starts_with(
            "genesys.conditionalGroupRouting.rules[0].value: P(wait > 0 s) ≤ 1% already"
        )),
        "{:?}",
        sales.warnings
    );
}
