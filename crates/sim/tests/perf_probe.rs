mod common;
use axum::http::Method;
use common::App;
use sim::{Faults, Seed, SeedQueue};
#[tokio::test]
async fn probe() {
    let t = std::time::Instant::now();
    let seed = Seed { queues: (0..10_000).map(|i| SeedQueue::named(format!("Q{i}"))).collect(), ..Seed::default() };
    let app = App::new(seed, Faults::default());
    eprintln!("seed {:?}", t.elapsed());
    let token = app.token(None).await;
    let t = std::time::Instant::now();
    for p in 1..=20 { let r = app.call(&token, Method::GET, &format!("/api/v2/routing/queues?pageNumber={p}&pageSize=500"), &[], None).await; assert!(r.status.is_success()); }
    eprintln!("list {:?}", t.elapsed());
}
