//! The repository generator (`reconcile::r#gen`) writes repositories that validate clean,
//! with chains that use the whole depth limit.

use model::{LoadOptions, Rule, load_repository};
use reconcile::check_repository;
use reconcile::generate::write_repository;
use tempfile::TempDir;

#[test]
fn a_generated_repository_loads_and_validates_without_a_diagnostic() {
    let dir = TempDir::new().unwrap();
    let written = write_repository(dir.path(), 500, 42).unwrap();
    assert_eq!(written.queues, 500);
    let repo = load_repository(dir.path(), &LoadOptions::default());
    assert!(
        repo.diagnostics.is_empty(),
        "{:#?}",
        &repo.diagnostics[..repo.diagnostics.len().min(5)]
    );
    assert_eq!(repo.queues.len(), 500);
    assert_eq!(repo.tenant.spec.limits.max_overflow_depth, 3);
    let diags = check_repository(&repo);
    assert!(diags.is_empty(), "{:#?}", &diags[..diags.len().min(5)]);
    // Realistic content: skills, ids and overflows are all there.
    assert!(repo.queues.iter().all(|q| {
        let n = q
            .doc
            .spec
            .skill_requirements
            .as_ref()
            .map_or(0, |s| s.value.len());
        (2..=4).contains(&n)
    }));
    assert!(repo.queues.iter().any(|q| q.doc.metadata.id.is_some()));
    assert!(
        repo.queues
            .iter()
            .any(|q| matches!(&q.doc.spec.overflow, Some(Some(o)) if o.value.target_id.is_some()))
    );
}

#[test]
fn generated_chains_reach_three_hops_so_a_limit_of_two_reports_their_heads() {
    let dir = TempDir::new().unwrap();
    write_repository(dir.path(), 200, 7).unwrap();
    let tenant = dir.path().join("cxqueues.yaml");
    let text = std::fs::read_to_string(&tenant).unwrap();
    std::fs::write(
        &tenant,
        text.replace("maxOverflowDepth: 3", "maxOverflowDepth: 2"),
    )
    .unwrap();
    let repo = load_repository(dir.path(), &LoadOptions::default());
    assert!(repo.diagnostics.is_empty(), "{:#?}", repo.diagnostics);
    let diags = check_repository(&repo);
    assert!(!diags.is_empty());
    for d in &diags {
        assert_eq!(d.rule, Rule::Depth, "{d}");
        assert!(d.message.starts_with("overflow chain of 3 hops"), "{d}");
        assert!(
            d.message.contains(" T1 g"),
            "reported at the tier-1 head: {d}"
        );
    }
}

#[test]
fn the_same_seed_writes_the_same_bytes_and_another_seed_does_not() {
    let (a, b, c) = (
        TempDir::new().unwrap(),
        TempDir::new().unwrap(),
        TempDir::new().unwrap(),
    );
    write_repository(a.path(), 50, 1).unwrap();
    write_repository(b.path(), 50, 1).unwrap();
    write_repository(c.path(), 50, 2).unwrap();
    let read = |d: &TempDir, f: &str| std::fs::read(d.path().join("queues").join(f)).unwrap();
    for i in 0..50 {
        let f = format!("q{i:06}.yaml");
        assert_eq!(read(&a, &f), read(&b, &f), "{f}");
    }
    assert!((0..50).any(|i| {
        let f = format!("q{i:06}.yaml");
        read(&a, &f) != read(&c, &f)
    }));
    let first = String::from_utf8(read(&a, "q000000.yaml")).unwrap();
    assert!(first.starts_with("# yaml-language-server: $schema=../schemas/queue.schema.json\n"));
}
