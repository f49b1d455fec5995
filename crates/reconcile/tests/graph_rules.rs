//! Rules 2–5 and 7 of `repo-format.md` on real repositories written to disk and loaded by
//! `model::load_repository`.

use std::path::Path;

use model::{Diagnostic, LoadOptions, Repository, Rule, Severity, load_repository};
use reconcile::check_repository;
use tempfile::TempDir;

/// Writes `files` (path relative to the root, text) and loads the repository. The loader must
/// find nothing: every test here is about the cross-queue rules.
fn load(files: &[(&str, &str)]) -> (TempDir, Repository) {
    let dir = TempDir::new().unwrap();
    std::fs::create_dir_all(dir.path().join("queues")).unwrap();
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let repo = load_repository(dir.path(), &LoadOptions::default());
    assert!(
        repo.diagnostics.is_empty(),
        "the loader found: {:#?}",
        repo.diagnostics
    );
    (dir, repo)
}

fn check(files: &[(&str, &str)]) -> Vec<Diagnostic> {
    let (_dir, repo) = load(files);
    check_repository(&repo)
}

/// A queue document whose `overflow.target` (when given) is on line 8, column 13:
///
/// ```text
/// 1 apiVersion: cxqueues/v1
/// 2 kind: Queue
/// 3 metadata:
/// 4   name: <name>
/// 5 spec:
/// 6   maxWaitTime: 300
/// 7   overflow:
/// 8     target: <target>
/// 9     waitTime: 60
/// ```
fn queue(name: &str, target: Option<&str>) -> String {
    let mut s = format!(
        "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: {name}\nspec:\n  maxWaitTime: 300\n"
    );
    if let Some(t) = target {
        s.push_str(&format!("  overflow:\n    target: {t}\n    waitTime: 60\n"));
    }
    s
}

fn only(diags: &[Diagnostic], rule: Rule) -> Vec<&Diagnostic> {
    diags.iter().filter(|d| d.rule == rule).collect()
}

fn at(d: &Diagnostic, file: &str, line: u32) {
    assert_eq!(d.file, Path::new(file), "{d}");
    assert_eq!(d.line, line, "{d}");
}

#[test]
fn a_clean_repository_has_no_diagnostic() {
    let a = queue("A", Some("B"));
    let b = queue("B", None);
    assert_eq!(
        check(&[("queues/a.yaml", &a), ("queues/b.yaml", &b)]),
        vec![]
    );
}

#[test]
fn a_duplicate_name_across_files_is_reported_at_the_second_naming_the_first_file_and_line() {
    let a = queue("Billing", None);
    let b = format!("{}---\n{}", queue("Other", None), queue("Billing", None));
    let diags = check(&[("queues/a.yaml", &a), ("queues/b.yaml", &b)]);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    let d = &diags[0];
    assert_eq!(d.rule, Rule::DuplicateName);
    assert_eq!(d.severity, Severity::Error);
    at(d, "queues/b.yaml", 11); // the second document starts on line 8
    assert_eq!(d.column, 9);
    assert_eq!(
        d.message,
        "queue name `Billing` is already used in queues/a.yaml:4"
    );
}

#[test]
fn every_duplicate_after_the_first_is_reported() {
    let q = queue("Same", None);
    let diags = check(&[
        ("queues/a.yaml", &q),
        ("queues/b.yaml", &q),
        ("queues/c.yaml", &q),
    ]);
    let dups = only(&diags, Rule::DuplicateName);
    assert_eq!(dups.len(), 2, "{diags:#?}");
    at(dups[0], "queues/b.yaml", 4);
    at(dups[1], "queues/c.yaml", 4);
    assert!(
        dups[1].message.ends_with("queues/a.yaml:4"),
        "{}",
        dups[1].message
    );
}

#[test]
fn duplicate_ids_are_found_without_regard_to_case() {
    let a = "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: A\n  id: 5b0f6b8e-2f5a-4a53-9a3e-0a3f4c1d2e11\n";
    let b = "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: B\n  id: 5B0F6B8E-2F5A-4A53-9A3E-0A3F4C1D2E11\n";
    let diags = check(&[("queues/a.yaml", a), ("queues/b.yaml", b)]);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0].rule, Rule::DuplicateId);
    at(&diags[0], "queues/b.yaml", 5);
    assert!(
        diags[0].message.contains("`A` (queues/a.yaml:5)"),
        "{}",
        diags[0].message
    );
}

#[test]
fn a_queue_that_overflows_to_itself_by_name_is_an_error_at_its_target() {
    let a = queue("A", Some("A"));
    let diags = check(&[("queues/a.yaml", &a)]);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0].rule, Rule::SelfOverflow);
    at(&diags[0], "queues/a.yaml", 8);
    assert_eq!(diags[0].column, 13);
    assert_eq!(diags[0].message, "queue `A` overflows to itself");
}

#[test]
fn a_queue_that_overflows_to_its_own_id_is_an_error_at_its_target_id() {
    let a = "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: A\n  id: 5b0f6b8e-2f5a-4a53-9a3e-0a3f4c1d2e11\nspec:\n  overflow:\n    targetId: 5B0F6B8E-2f5a-4a53-9a3e-0a3f4c1d2e11\n    waitTime: 60\n";
    let diags = check(&[("queues/a.yaml", a)]);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0].rule, Rule::SelfOverflow);
    at(&diags[0], "queues/a.yaml", 8);
    assert!(
        diags[0].message.contains("its own metadata.id"),
        "{}",
        diags[0].message
    );
}

#[test]
fn a_dangling_target_is_an_error_that_suggests_the_nearest_name() {
    let a = queue("Billing Tier 1", Some("Biling Tier 2"));
    let b = queue("Billing Tier 2", None);
    let diags = check(&[("queues/a.yaml", &a), ("queues/b.yaml", &b)]);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    let d = &diags[0];
    assert_eq!(d.rule, Rule::DanglingTarget);
    at(d, "queues/a.yaml", 8);
    assert_eq!(d.column, 13);
    assert_eq!(
        d.message,
        "overflow target `Biling Tier 2` is not a queue of this repository"
    );
    assert_eq!(d.hint.as_deref(), Some("did you mean `Billing Tier 2`?"));
}

#[test]
fn a_dangling_target_far_from_every_name_suggests_target_id() {
    let a = queue("A", Some("Something Else Entirely"));
    let diags = check(&[("queues/a.yaml", &a)]);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0].rule, Rule::DanglingTarget);
    assert!(
        diags[0].hint.as_deref().unwrap().contains("targetId"),
        "{:?}",
        diags[0].hint
    );
}

#[test]
fn a_target_that_is_tombstoned_is_an_error_because_it_is_about_to_be_deleted() {
    let a = queue("A", Some("Old"));
    let old = "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: Old\n  deleted: true\n";
    let diags = check(&[("queues/a.yaml", &a), ("queues/old.yaml", old)]);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    let d = &diags[0];
    assert_eq!(d.rule, Rule::DanglingTarget);
    at(d, "queues/a.yaml", 8);
    assert!(d.message.contains("`Old` is tombstoned"), "{}", d.message);
    assert!(d.message.contains("queues/old.yaml:4"), "{}", d.message);
    assert!(d.message.contains("about to be deleted"), "{}", d.message);
}

#[test]
fn a_three_queue_cycle_across_three_files_is_reported_once_with_every_edge() {
    let a = queue("A", Some("B"));
    let b = format!("# comment\n{}", queue("B", Some("C")));
    let c = format!("# one\n# two\n{}", queue("C", Some("A")));
    let diags = check(&[
        ("queues/c.yaml", &c),
        ("queues/b.yaml", &b),
        ("queues/a.yaml", &a),
    ]);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    let d = &diags[0];
    assert_eq!(d.rule, Rule::Cycle);
    assert_eq!(d.severity, Severity::Error);
    at(d, "queues/a.yaml", 8);
    assert_eq!(d.column, 13);
    assert_eq!(
        d.message,
        "overflow cycle: A (queues/a.yaml:8) → B (queues/b.yaml:9) → C (queues/c.yaml:10) → A"
    );
}

#[test]
fn a_cycle_starts_at_the_first_file_whatever_the_names() {
    // Z is in the first file: the cycle is told from Z.
    let z = queue("Z", Some("M"));
    let m = queue("M", Some("Z"));
    let diags = check(&[("queues/1.yaml", &z), ("queues/2.yaml", &m)]);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    at(&diags[0], "queues/1.yaml", 8);
    assert_eq!(
        diags[0].message,
        "overflow cycle: Z (queues/1.yaml:8) → M (queues/2.yaml:8) → Z"
    );
}

#[test]
fn a_five_queue_cycle_over_several_files_and_documents_is_reported_once() {
    // q1 → q2 → q3 → q4 → q5 → q1, with q2 and q4 as second documents of their files.
    let f1 = queue("q1", Some("q2"));
    let f2 = format!(
        "{}---\n{}",
        queue("q3", Some("q4")),
        queue("q2", Some("q3"))
    );
    let f3 = format!(
        "{}---\n{}",
        queue("q5", Some("q1")),
        queue("q4", Some("q5"))
    );
    let diags = check(&[
        ("queues/team-a/one.yaml", &f1),
        ("queues/team-b/two.yaml", &f2),
        ("queues/three.yaml", &f3),
    ]);
    let cycles = only(&diags, Rule::Cycle);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    // Paths compare by component: "team-a" < "team-b" < "three.yaml".
    at(cycles[0], "queues/team-a/one.yaml", 8);
    assert_eq!(
        cycles[0].message,
        "overflow cycle: q1 (queues/team-a/one.yaml:8) → q2 (queues/team-b/two.yaml:18) → \
         q3 (queues/team-b/two.yaml:8) → q4 (queues/three.yaml:18) → \
         q5 (queues/three.yaml:8) → q1"
    );
}

#[test]
fn two_separate_cycles_are_two_diagnostics() {
    let files = [
        ("queues/a.yaml", queue("A", Some("B"))),
        ("queues/b.yaml", queue("B", Some("A"))),
        ("queues/c.yaml", queue("C", Some("D"))),
        ("queues/d.yaml", queue("D", Some("E"))),
        ("queues/e.yaml", queue("E", Some("C"))),
    ];
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
    let diags = check(&files);
    assert_eq!(diags.len(), 2, "{diags:#?}");
    assert!(diags.iter().all(|d| d.rule == Rule::Cycle));
    at(&diags[0], "queues/a.yaml", 8);
    assert_eq!(
        diags[0].message,
        "overflow cycle: A (queues/a.yaml:8) → B (queues/b.yaml:8) → A"
    );
    at(&diags[1], "queues/c.yaml", 8);
    assert!(
        diags[1].message.ends_with("E (queues/e.yaml:8) → C"),
        "{}",
        diags[1].message
    );
}

#[test]
fn a_tail_that_leads_into_a_cycle_is_not_a_second_cycle_nor_a_depth_error() {
    // T1 → T2 → T3 → T4 → A → B → C → A: a tail of 4 hops into a cycle of 3.
    let files = [
        ("queues/0-t1.yaml", queue("T1", Some("T2"))),
        ("queues/0-t2.yaml", queue("T2", Some("T3"))),
        ("queues/0-t3.yaml", queue("T3", Some("T4"))),
        ("queues/0-t4.yaml", queue("T4", Some("A"))),
        ("queues/a.yaml", queue("A", Some("B"))),
        ("queues/b.yaml", queue("B", Some("C"))),
        ("queues/c.yaml", queue("C", Some("A"))),
    ];
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
    let diags = check(&files);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0].rule, Rule::Cycle);
    at(&diags[0], "queues/a.yaml", 8);
    assert!(!diags[0].message.contains("T4"), "{}", diags[0].message);
}

#[test]
fn a_chain_of_four_hops_is_one_depth_error_at_its_head_with_the_default_limit() {
    let files = [
        ("queues/a.yaml", queue("A", Some("B"))),
        ("queues/b.yaml", queue("B", Some("C"))),
        ("queues/c.yaml", queue("C", Some("D"))),
        ("queues/d.yaml", queue("D", Some("E"))),
        ("queues/e.yaml", queue("E", None)),
    ];
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
    let diags = check(&files);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    let d = &diags[0];
    assert_eq!(d.rule, Rule::Depth);
    assert_eq!(d.severity, Severity::Error);
    at(d, "queues/a.yaml", 8);
    assert_eq!(
        d.message,
        "overflow chain of 4 hops exceeds limits.maxOverflowDepth 3: A (queues/a.yaml:8) → \
         B (queues/b.yaml:8) → C (queues/c.yaml:8) → D (queues/d.yaml:8) → E"
    );
}

#[test]
fn two_heads_that_join_one_over_long_chain_are_each_reported() {
    let files = [
        ("queues/a.yaml", queue("A", Some("C"))),
        ("queues/b.yaml", queue("B", Some("C"))),
        ("queues/c.yaml", queue("C", Some("D"))),
        ("queues/d.yaml", queue("D", Some("E"))),
        ("queues/e.yaml", queue("E", Some("F"))),
        ("queues/f.yaml", queue("F", None)),
    ];
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
    let diags = check(&files);
    assert_eq!(diags.len(), 2, "{diags:#?}");
    assert!(diags.iter().all(|d| d.rule == Rule::Depth));
    at(&diags[0], "queues/a.yaml", 8);
    at(&diags[1], "queues/b.yaml", 8);
}

#[test]
fn a_chain_of_exactly_three_hops_is_allowed_by_the_default_limit() {
    let files = [
        ("queues/a.yaml", queue("A", Some("B"))),
        ("queues/b.yaml", queue("B", Some("C"))),
        ("queues/c.yaml", queue("C", Some("D"))),
        ("queues/d.yaml", queue("D", None)),
    ];
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
    let (_dir, repo) = load(&files);
    assert_eq!(repo.tenant.spec.limits.max_overflow_depth, 3);
    assert_eq!(check_repository(&repo), vec![]);
}

#[test]
fn the_depth_limit_comes_from_the_tenant_document() {
    let tenant = "apiVersion: cxqueues/v1\nkind: Tenant\nspec:\n  limits: {maxOverflowDepth: 1}\n";
    let files = [
        ("cxqueues.yaml", tenant.to_string()),
        ("queues/a.yaml", queue("A", Some("B"))),
        ("queues/b.yaml", queue("B", Some("C"))),
        ("queues/c.yaml", queue("C", None)),
        ("queues/x.yaml", queue("X", Some("C"))),
    ];
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
    let diags = check(&files);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0].rule, Rule::Depth);
    at(&diags[0], "queues/a.yaml", 8);
    assert_eq!(
        diags[0].message,
        "overflow chain of 2 hops exceeds limits.maxOverflowDepth 1: A (queues/a.yaml:8) → B (queues/b.yaml:8) → C"
    );
}

#[test]
fn an_overflow_that_waits_as_long_as_the_queue_is_a_warning_that_it_never_fires() {
    let a = "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: A\nspec:\n  maxWaitTime: 120\n  overflow:\n    target: B\n    waitTime: 120\n";
    let b = queue("B", None);
    let diags = check(&[("queues/a.yaml", a), ("queues/b.yaml", &b)]);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    let d = &diags[0];
    assert_eq!(d.rule, Rule::OverflowNeverFires);
    assert_eq!(d.severity, Severity::Warning);
    at(d, "queues/a.yaml", 9);
    assert_eq!(d.column, 15);
    assert_eq!(
        d.hint.as_deref(),
        Some("lower overflow.waitTime below maxWaitTime (120)")
    );
}

#[test]
fn a_disabled_overflow_with_a_target_is_a_warning_at_enabled() {
    let a = "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: A\nspec:\n  overflow:\n    target: B\n    waitTime: 60\n    enabled: false\n";
    let b = queue("B", None);
    let diags = check(&[("queues/a.yaml", a), ("queues/b.yaml", &b)]);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0].rule, Rule::DisabledOverflowTarget);
    assert_eq!(diags[0].severity, Severity::Warning);
    at(&diags[0], "queues/a.yaml", 9);
    assert_eq!(diags[0].column, 14);
}

#[test]
fn a_disabled_overflow_still_closes_a_cycle() {
    let a = "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: A\nspec:\n  overflow:\n    target: B\n    waitTime: 60\n    enabled: false\n";
    let b = queue("B", Some("A"));
    let diags = check(&[("queues/a.yaml", a), ("queues/b.yaml", &b)]);
    let rules: Vec<Rule> = diags.iter().map(|d| d.rule).collect();
    assert_eq!(
        rules,
        vec![Rule::Cycle, Rule::DisabledOverflowTarget],
        "{diags:#?}"
    );
    assert_eq!(
        diags[0].message,
        "overflow cycle: A (queues/a.yaml:7) → B (queues/b.yaml:8) → A"
    );
}

#[test]
fn a_target_id_of_another_queue_of_the_repository_is_an_edge_of_the_graph() {
    let a = "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: A\n  id: 11111111-2f5a-4a53-9a3e-0a3f4c1d2e11\nspec:\n  overflow:\n    targetId: 22222222-2f5a-4a53-9a3e-0a3f4c1d2e11\n    waitTime: 60\n";
    let b = "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: B\n  id: 22222222-2f5a-4a53-9a3e-0a3f4c1d2e11\nspec:\n  overflow:\n    target: A\n    waitTime: 60\n";
    let diags = check(&[("queues/a.yaml", a), ("queues/b.yaml", b)]);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0].rule, Rule::Cycle);
    assert_eq!(
        diags[0].message,
        "overflow cycle: A (queues/a.yaml:8) → B (queues/b.yaml:8) → A"
    );
}

#[test]
fn diagnostics_come_sorted_by_file_line_and_rule() {
    let files = [
        ("queues/z.yaml", queue("Z", Some("nope"))),
        ("queues/a.yaml", queue("A", Some("A"))),
        ("queues/m.yaml", queue("A", None)),
    ];
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
    let diags = check(&files);
    let got: Vec<(String, u32, Rule)> = diags
        .iter()
        .map(|d| (d.file.display().to_string(), d.line, d.rule))
        .collect();
    assert_eq!(
        got,
        vec![
            ("queues/a.yaml".to_string(), 8, Rule::SelfOverflow),
            ("queues/m.yaml".to_string(), 4, Rule::DuplicateName),
            ("queues/z.yaml".to_string(), 8, Rule::DanglingTarget),
        ]
    );
}

#[test]
fn names_that_differ_only_in_case_normalisation_width_or_zero_width_characters_are_warnings_naming_both_places()
 {
    let files = [
        ("queues/a.yaml", queue("Facturación", None)),
        ("queues/b.yaml", queue("FACTURACIÓN", None)),
        ("queues/c.yaml", queue("Facturacio\u{301}n", None)),
        ("queues/d.yaml", queue("\u{FF26}acturación", None)),
        ("queues/e.yaml", queue("Factu\u{200B}ración", None)),
        ("queues/f.yaml", queue("Facturación 2", None)),
    ];
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
    let diags = check(&borrowed);
    let warned: Vec<&str> = diags
        .iter()
        .map(|d| {
            assert_eq!(d.rule, Rule::ConfusableName, "{d}");
            assert_eq!(d.severity, Severity::Warning, "{d}");
            assert_eq!(d.line, 4, "{d}");
            assert!(d.message.contains("(queues/a.yaml:4)"), "{d}");
            d.file.to_str().unwrap()
        })
        .collect();
    assert_eq!(
        warned,
        [
            "queues/b.yaml",
            "queues/c.yaml",
            "queues/d.yaml",
            "queues/e.yaml"
        ]
    );
    assert!(
        diags[3].message.contains("\\u{200b}"),
        "invisible characters are shown: {}",
        diags[3]
    );
}
