//! Table tests of the change-window arithmetic: each case is a `cxqueues.yaml` with windows,
//! a queue, what is written, an instant (the injected clock), and the expected verdict.

use std::collections::BTreeMap;
use std::path::PathBuf;

use jiff::Timestamp;
use model::{Applies, LoadOptions, RepoFile, WindowKind, Windows};

fn windows(yaml: &str) -> Windows {
    let text = format!("apiVersion: cxqueues/v1\nkind: Tenant\nspec:\n  changeWindows:\n{yaml}");
    let repo = model::parse_files(
        Some(RepoFile {
            path: PathBuf::from("cxqueues.yaml"),
            bytes: text.into_bytes(),
        }),
        Vec::new(),
        &LoadOptions::default(),
    );
    let errors: Vec<_> = repo.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let (w, diags) = Windows::compile(
        &repo.tenant.spec.change_windows,
        std::path::Path::new("cxqueues.yaml"),
    );
    assert!(diags.is_empty(), "{diags:?}");
    w
}

fn ts(s: &str) -> Timestamp {
    s.parse().expect("a timestamp")
}

/// A verdict: `None` (open) or the holding window, its kind and when it lifts.
type Verdict = Option<(&'static str, WindowKind, Option<&'static str>)>;

struct Case {
    what: &'static str,
    windows: &'static str,
    queue: &'static str,
    labels: &'static [(&'static str, &'static str)],
    applies: Applies,
    at: &'static str,
    want: Verdict,
}

const BUSINESS_HOURS_AND_CHRISTMAS: &str = r#"
    - {name: business-hours, kind: allow, schedule: "0 9 * * 1-5", duration: 8h}
    - {name: christmas, kind: deny, dates: [2026-12-25]}
"#;

const LATE_NIGHT: &str = r#"
    - {name: late-night, kind: deny, schedule: "0 22 * * *", duration: 4h}
"#;

const FRIDAY_NIGHT: &str = r#"
    - {name: friday-night, kind: deny, schedule: "0 22 * * fri", duration: 4h}
"#;

const NEW_YORK_SKIPPED: &str = r#"
    - {name: maintenance, kind: deny, schedule: "30 2 * * *", duration: 1h, timeZone: America/New_York}
"#;

const NEW_YORK_TEN_HOURS: &str = r#"
    - {name: peak, kind: deny, schedule: "0 20 * * *", duration: 10h, timeZone: America/New_York}
"#;

const NEW_YORK_REPEATED: &str = r#"
    - {name: backup, kind: deny, schedule: "30 1 * * *", duration: 30m, timeZone: America/New_York}
"#;

const BERLIN: &str = r#"
    - {name: nightly, kind: deny, schedule: "30 2 * * *", duration: 1h, timeZone: Europe/Berlin}
"#;

const BERLIN_SHORT_DAY: &str = r#"
    - {name: switch-day, kind: deny, dates: [2026-03-29], timeZone: Europe/Berlin}
"#;

const KIRITIMATI: &str = r#"
    - {name: christmas-eve, kind: deny, dates: ["2026-12-24"], timeZone: Pacific/Kiritimati}
"#;

const PAGO_PAGO: &str = r#"
    - {name: christmas-eve, kind: deny, dates: [2026-12-24], timeZone: Pacific/Pago_Pago}
"#;

const BILLING_ONLY: &str = r#"
    - {name: billing-freeze, kind: deny, schedule: "* * * * *", duration: 30s, queues: ["Billing*"], labels: {tier: "1"}}
"#;

const DRIFT_ONLY: &str = r#"
    - {name: no-self-heal-at-peak, kind: deny, schedule: "0 9 * * *", duration: 8h, applies: [drift]}
"#;

const ALLOW_AND_DENY_OVERLAP: &str = r#"
    - {name: weekdays, kind: allow, schedule: "0 8 * * 1-5", duration: 10h}
    - {name: lunch, kind: deny, schedule: "0 12 * * *", duration: 1h}
"#;

const SCHEDULE_AND_DATES: &str = r#"
    - {name: freeze, kind: deny, schedule: "0 9 * * 1", duration: 2h, dates: [2026-12-31]}
"#;

const CASES: &[Case] = &[
    Case {
        what: "no window covers the queue: allowed",
        windows: BILLING_ONLY,
        queue: "Support",
        labels: &[],
        applies: Applies::Changes,
        at: "2026-12-07T10:00:10Z",
        want: None,
    },
    Case {
        what: "inside an allow window: allowed",
        windows: BUSINESS_HOURS_AND_CHRISTMAS,
        queue: "Support",
        labels: &[],
        applies: Applies::Changes,
        at: "2026-12-07T10:00:00Z",
        want: None,
    },
    Case {
        what: "outside every allow window: held until the next one starts",
        windows: BUSINESS_HOURS_AND_CHRISTMAS,
        queue: "Support",
        labels: &[],
        applies: Applies::Changes,
        at: "2026-12-07T18:00:00Z",
        want: Some((
            "business-hours",
            WindowKind::Allow,
            Some("2026-12-08T09:00:00Z"),
        )),
    },
    Case {
        what: "an active deny wins over an active allow, and the hold lasts until an allow window after it",
        windows: BUSINESS_HOURS_AND_CHRISTMAS,
        queue: "Support",
        labels: &[],
        applies: Applies::Changes,
        at: "2026-12-25T10:00:00Z",
        want: Some(("christmas", WindowKind::Deny, Some("2026-12-28T09:00:00Z"))),
    },
    Case {
        what: "a deny inside an allow window lifts at its own end",
        windows: ALLOW_AND_DENY_OVERLAP,
        queue: "Support",
        labels: &[],
        applies: Applies::Changes,
        at: "2026-12-08T12:30:00Z",
        want: Some(("lunch", WindowKind::Deny, Some("2026-12-08T13:00:00Z"))),
    },
    Case {
        what: "cron across midnight: held after midnight by the occurrence of the day before",
        windows: LATE_NIGHT,
        queue: "Support",
        labels: &[],
        applies: Applies::Changes,
        at: "2026-12-08T01:59:59Z",
        want: Some(("late-night", WindowKind::Deny, Some("2026-12-08T02:00:00Z"))),
    },
    Case {
        what: "cron across midnight: open at the window's end",
        windows: LATE_NIGHT,
        queue: "Support",
        labels: &[],
        applies: Applies::Changes,
        at: "2026-12-08T02:00:00Z",
        want: None,
    },
    Case {
        what: "cron across midnight: held from its start",
        windows: LATE_NIGHT,
        queue: "Support",
        labels: &[],
        applies: Applies::Changes,
        at: "2026-12-07T22:00:00Z",
        want: Some(("late-night", WindowKind::Deny, Some("2026-12-08T02:00:00Z"))),
    },
    Case {
        what: "a weekday schedule across midnight holds into Saturday",
        windows: FRIDAY_NIGHT,
        queue: "Support",
        labels: &[],
        applies: Applies::Changes,
        at: "2026-12-12T01:00:00Z",
        want: Some((
            "friday-night",
            WindowKind::Deny,
            Some("2026-12-12T02:00:00Z"),
        )),
    },
    Case {
        what: "a weekday schedule across midnight does not start on Saturday night",
        windows: FRIDAY_NIGHT,
        queue: "Support",
        labels: &[],
        applies: Applies::Changes,
        at: "2026-12-12T23:00:00Z",
        want: None,
    },
    Case {
        what: "New York, DST starts: a start in the skipped hour begins when it ends (3:00 EDT)",
        windows: NEW_YORK_SKIPPED,
        queue: "Support",
        labels: &[],
        applies: Applies::Changes,
        at: "2026-03-08T07:00:00Z",
        want: Some((
            "maintenance",
            WindowKind::Deny,
            Some("2026-03-08T08:00:00Z"),
        )),
    },
    Case {
        what: "New York, DST starts: nothing before the skipped hour ends",
        windows: NEW_YORK_SKIPPED,
        queue: "Support",
        labels: &[],
        applies: Applies::Changes,
        at: "2026-03-08T06:59:59Z",
        want: None,
    },
    Case {
        what: "New York, DST starts: a 10h window across it lasts 10 real hours",
        windows: NEW_YORK_TEN_HOURS,
        queue: "Support",
        labels: &[],
        applies: Applies::Changes,
        at: "2026-03-08T10:59:00Z",
        want: Some(("peak", WindowKind::Deny, Some("2026-03-08T11:00:00Z"))),
    },
    Case {
        what: "New York, DST ends: a start in the repeated hour is its first occurrence",
        windows: NEW_YORK_REPEATED,
        queue: "Support",
        labels: &[],
        applies: Applies::Changes,
        at: "2026-11-01T05:40:00Z",
        want: Some(("backup", WindowKind::Deny, Some("2026-11-01T06:00:00Z"))),
    },
    Case {
        what: "New York, DST ends: the second pass of the repeated hour starts nothing",
        windows: NEW_YORK_REPEATED,
        queue: "Support",
        labels: &[],
        applies: Applies::Changes,
        at: "2026-11-01T06:40:00Z",
        want: None,
    },
    Case {
        what: "Berlin, DST starts: 2:30 does not exist, the window starts at 3:00 CEST",
        windows: BERLIN,
        queue: "Support",
        labels: &[],
        applies: Applies::Changes,
        at: "2026-03-29T01:30:00Z",
        want: Some(("nightly", WindowKind::Deny, Some("2026-03-29T02:00:00Z"))),
    },
    Case {
        what: "Berlin, DST ends: 2:30 CEST starts it once, the 2:30 CET after it does not",
        windows: BERLIN,
        queue: "Support",
        labels: &[],
        applies: Applies::Changes,
        at: "2026-10-25T01:45:00Z",
        want: None,
    },
    Case {
        what: "Berlin, DST ends: held from the first 2:30",
        windows: BERLIN,
        queue: "Support",
        labels: &[],
        applies: Applies::Changes,
        at: "2026-10-25T00:30:00Z",
        want: Some(("nightly", WindowKind::Deny, Some("2026-10-25T01:30:00Z"))),
    },
    Case {
        what: "a date on the day DST starts lasts 23 hours",
        windows: BERLIN_SHORT_DAY,
        queue: "Support",
        labels: &[],
        applies: Applies::Changes,
        at: "2026-03-28T23:00:00Z",
        want: Some(("switch-day", WindowKind::Deny, Some("2026-03-29T22:00:00Z"))),
    },
    Case {
        what: "a date in UTC+14 starts the UTC day before",
        windows: KIRITIMATI,
        queue: "Support",
        labels: &[],
        applies: Applies::Changes,
        at: "2026-12-23T12:00:00Z",
        want: Some((
            "christmas-eve",
            WindowKind::Deny,
            Some("2026-12-24T10:00:00Z"),
        )),
    },
    Case {
        what: "a date in UTC+14 is over during most of that UTC day",
        windows: KIRITIMATI,
        queue: "Support",
        labels: &[],
        applies: Applies::Changes,
        at: "2026-12-24T12:00:00Z",
        want: None,
    },
    Case {
        what: "a date in UTC-11 has not begun at UTC noon of that day",
        windows: PAGO_PAGO,
        queue: "Support",
        labels: &[],
        applies: Applies::Changes,
        at: "2026-12-24T10:59:59Z",
        want: None,
    },
    Case {
        what: "a date in UTC-11 lasts into the next UTC day",
        windows: PAGO_PAGO,
        queue: "Support",
        labels: &[],
        applies: Applies::Changes,
        at: "2026-12-25T10:00:00Z",
        want: Some((
            "christmas-eve",
            WindowKind::Deny,
            Some("2026-12-25T11:00:00Z"),
        )),
    },
    Case {
        what: "a window covering some queues holds a queue matching its glob and labels",
        windows: BILLING_ONLY,
        queue: "Billing Tier 1",
        labels: &[("tier", "1")],
        applies: Applies::Changes,
        at: "2026-12-07T10:00:10Z",
        want: Some((
            "billing-freeze",
            WindowKind::Deny,
            Some("2026-12-07T10:00:30Z"),
        )),
    },
    Case {
        what: "a window covering some queues leaves a queue with other labels alone",
        windows: BILLING_ONLY,
        queue: "Billing Tier 2",
        labels: &[("tier", "2")],
        applies: Applies::Changes,
        at: "2026-12-07T10:00:10Z",
        want: None,
    },
    Case {
        what: "a drift-only window lets changes through",
        windows: DRIFT_ONLY,
        queue: "Support",
        labels: &[],
        applies: Applies::Changes,
        at: "2026-12-07T10:00:00Z",
        want: None,
    },
    Case {
        what: "a drift-only window holds drift corrections",
        windows: DRIFT_ONLY,
        queue: "Support",
        labels: &[],
        applies: Applies::Drift,
        at: "2026-12-07T10:00:00Z",
        want: Some((
            "no-self-heal-at-peak",
            WindowKind::Deny,
            Some("2026-12-07T17:00:00Z"),
        )),
    },
    Case {
        what: "schedule and dates are a union: a listed date holds",
        windows: SCHEDULE_AND_DATES,
        queue: "Support",
        labels: &[],
        applies: Applies::Changes,
        at: "2026-12-31T20:00:00Z",
        want: Some(("freeze", WindowKind::Deny, Some("2027-01-01T00:00:00Z"))),
    },
    Case {
        what: "schedule and dates are a union: a scheduled occurrence holds",
        windows: SCHEDULE_AND_DATES,
        queue: "Support",
        labels: &[],
        applies: Applies::Changes,
        at: "2026-12-07T10:00:00Z",
        want: Some(("freeze", WindowKind::Deny, Some("2026-12-07T11:00:00Z"))),
    },
];

#[test]
fn each_window_case_gives_its_verdict_at_its_instant() {
    let mut failures = Vec::new();
    for c in CASES {
        let w = windows(c.windows);
        let labels: BTreeMap<String, String> = c
            .labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let got = w.hold(c.queue, &labels, c.applies, ts(c.at));
        let want = c.want.map(|(window, kind, until)| model::Hold {
            window: window.to_string(),
            kind,
            until: until.map(ts),
        });
        if got != want {
            failures.push(format!("{}: got {got:?}, want {want:?}", c.what));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn transitions_list_when_the_verdict_or_the_window_holding_it_changes_next() {
    let w = windows(BUSINESS_HOURS_AND_CHRISTMAS);
    let labels = BTreeMap::new();
    let got = w.transitions(
        "Support",
        &labels,
        Applies::Changes,
        ts("2026-12-24T10:00:00Z"),
        3,
    );
    let got: Vec<(String, Option<String>)> = got
        .into_iter()
        .map(|(t, h)| (t.to_string(), h.map(|h| h.window)))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "2026-12-24T17:00:00Z".to_string(),
                Some("business-hours".to_string())
            ),
            (
                "2026-12-25T00:00:00Z".to_string(),
                Some("christmas".to_string())
            ),
            (
                "2026-12-26T00:00:00Z".to_string(),
                Some("business-hours".to_string())
            ),
        ]
    );
}

#[test]
fn invalid_windows_are_errors_at_their_line_with_a_fix() {
    let text = r#"apiVersion: cxqueues/v1
kind: Tenant
spec:
  changeWindows:
    - {name: a, kind: deny, schedule: "0 25 * * *", duration: 1h}
    - {name: b, kind: deny, schedule: "0 9 * * *", duration: 32d}
    - {name: c, kind: deny, dates: [2026-02-30], timeZone: America/New_Yrok}
    - {name: d, kind: allow, schedule: "0 9 * * *"}
    - {name: a, kind: deny, dates: [2026-12-24], queues: ["Nope*"], duration: 2x}
"#;
    let repo = model::parse_files(
        Some(RepoFile {
            path: PathBuf::from("cxqueues.yaml"),
            bytes: text.as_bytes().to_vec(),
        }),
        Vec::new(),
        &LoadOptions::default(),
    );
    let shown: Vec<String> = repo.diagnostics.iter().map(|d| d.to_string()).collect();
    let expect = [
        "cxqueues.yaml:5:",
        "outside 0–23 in the hour field",
        "cxqueues.yaml:6:",
        "longer than 31 days",
        "cxqueues.yaml:7:",
        "is not a date",
        "did you mean `America/New_York`?",
        "a schedule needs a duration",
        "is named twice (first at line 5)",
        "duration \"2x\" is not a number and a unit",
        "matches no queue of the repository",
    ];
    let all = shown.join("\n");
    for e in expect {
        assert!(all.contains(e), "{e:?} missing from:\n{all}");
    }
    assert!(
        repo.diagnostics
            .iter()
            .all(|d| d.rule == model::Rule::ChangeWindow)
    );
}
