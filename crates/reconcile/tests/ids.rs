//! Ids are compared without case everywhere: a repository and a tenant that spell the same
//! UUID in different cases agree on every queue.

use model::LoadOptions;
use reconcile::Observed;
use tenant::{Overflow, Queue as RemoteQueue};

const SALES: &str = "0F8FAD5B-D9CB-469F-A165-70867728950E";
const SPILL: &str = "7C9E6679-7425-40DE-944B-E07FC1F90AE7";

fn tenant_queue(name: &str, id: &str) -> RemoteQueue {
    RemoteQueue {
        id: Some(id.to_string()),
        version: Some(1),
        max_waiters: Some(5),
        ..RemoteQueue::named(name)
    }
}

#[test]
fn a_pinned_id_and_a_target_id_in_another_case_match_the_tenant_queues_with_no_change() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("queues")).unwrap();
    std::fs::write(
        dir.path().join("queues/sales.yaml"),
        format!(
            "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: Sales\n  id: {}\nspec:\n  maxWaiters: 5\n  overflow:\n    targetId: {}\n    waitTime: 60\n",
            SALES.to_lowercase(),
            SPILL.to_lowercase()
        ),
    )
    .unwrap();
    let repo = model::load_repository(dir.path(), &LoadOptions::default());
    assert!(repo.diagnostics.is_empty(), "{:#?}", repo.diagnostics);
    let mut sales = tenant_queue("Sales", SALES);
    sales.overflow = Some(Overflow {
        enabled: true,
        target_id: SPILL.to_string(),
        wait_time: 60,
    });
    let observed = Observed {
        queues: vec![sales, tenant_queue("Spill", SPILL)],
        ..Observed::default()
    };
    let plan = reconcile::plan(&repo, &observed).expect("a plan");
    assert!(plan.changes.is_empty(), "{:#?}", plan.changes);
    assert_eq!(plan.unchanged, ["Sales"]);
    let unmanaged: Vec<&str> = plan.unmanaged.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(unmanaged, ["Spill"]);
}
