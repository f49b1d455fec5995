//! Noticing new commits.
//!
//! Git writes a ref as `<ref>.lock` and renames it into place, so the watcher follows
//! directories, not files: the git directory itself (for `HEAD` and `packed-refs`) and
//! `refs/` recursively. Events are debounced on the trailing edge; then the branch's commit id
//! is compared with the last one seen, and only a change becomes a commit trigger. A poll at a
//! fixed period does the same comparison, for filesystems whose events get lost.

use std::time::Duration;

use notify_debouncer_full::notify::{EventKind, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, new_debouncer};
use tokio::sync::{mpsc, watch};
use tracing::{debug, info, warn};

use super::Trigger;
use super::git::GitSource;

/// How long the git directory must be quiet before its branch is compared.
pub(crate) const DEBOUNCE: Duration = Duration::from_millis(50);

/// Watches `git`'s branch until `shutdown`; sends a commit trigger for each new commit id.
/// `seen` is the commit id the caller already knows about (the first run's).
pub(crate) fn spawn(
    git: GitSource,
    seen: Option<String>,
    poll: Duration,
    triggers: mpsc::UnboundedSender<Trigger>,
    shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let (events_tx, events) = mpsc::unbounded_channel::<()>();
    let debouncer = start_debouncer(&git, events_tx);
    tokio::spawn(follow(
        git, seen, poll, triggers, shutdown, events, debouncer,
    ))
}

type GitDebouncer = notify_debouncer_full::Debouncer<
    notify_debouncer_full::notify::RecommendedWatcher,
    notify_debouncer_full::RecommendedCache,
>;

/// The watcher's loop: on a (debounced) file event or a poll tick, compares the branch.
async fn follow(
    git: GitSource,
    mut seen: Option<String>,
    poll: Duration,
    triggers: mpsc::UnboundedSender<Trigger>,
    mut shutdown: watch::Receiver<bool>,
    mut events: mpsc::UnboundedReceiver<()>,
    // Kept alive (watching) as long as the loop runs.
    _debouncer: Option<GitDebouncer>,
) {
    let mut ticker = tokio::time::interval(poll);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    loop {
        let why = tokio::select! {
            _ = shutdown.changed() => break,
            Some(()) = events.recv() => "file event",
            _ = ticker.tick() => "poll",
        };
        while events.try_recv().is_ok() {}
        let g = git.clone();
        let head = match tokio::task::spawn_blocking(move || g.head()).await {
            Ok(Ok(h)) => h,
            Ok(Err(e)) => {
                warn!(error = %e, "cannot read the branch");
                continue;
            }
            Err(e) => {
                warn!(error = %e, "the git task failed");
                continue;
            }
        };
        if head != seen {
            info!(
                branch = git.branch(),
                commit = head.as_deref().map(short).unwrap_or("none"),
                seen_by = why,
                "new commit"
            );
            seen = head.clone();
            if triggers.send(Trigger::commit(head)).is_err() {
                break;
            }
        } else {
            debug!(seen_by = why, "branch unchanged");
        }
    }
}

fn short(id: &str) -> &str {
    id.get(..10).unwrap_or(id)
}

/// A debounced watcher on the git directory, or `None` (polling only) when it cannot start.
fn start_debouncer(git: &GitSource, events: mpsc::UnboundedSender<()>) -> Option<GitDebouncer> {
    let handler = move |res: DebounceEventResult| match res {
        // Reads (ours included: comparing the branch opens files under .git) are not changes;
        // reacting to them would loop.
        Ok(batch)
            if batch
                .iter()
                .any(|e| !matches!(e.kind, EventKind::Access(_))) =>
        {
            let _ = events.send(());
        }
        Ok(_) => {}
        Err(errors) => {
            for e in errors {
                warn!(error = %e, "file watch error");
            }
            // Something may have been missed: compare now.
            let _ = events.send(());
        }
    };
    let mut debouncer = match new_debouncer(DEBOUNCE, None, handler) {
        Ok(d) => d,
        Err(e) => {
            warn!(error = %e, "cannot watch the git directory; polling only");
            return None;
        }
    };
    let dir = git.common_dir();
    for (path, mode) in [
        (dir.to_path_buf(), RecursiveMode::NonRecursive),
        (dir.join("refs"), RecursiveMode::Recursive),
    ] {
        if let Err(e) = debouncer.watch(&path, mode) {
            warn!(path = %path.display(), error = %e, "cannot watch; polling only");
            return None;
        }
    }
    Some(debouncer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::TriggerKind;
    use crate::run::git::tests::{TempRepo, queue_yaml};
    use std::path::Path;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_new_commit_becomes_one_commit_trigger_and_other_writes_none() {
        let repo = TempRepo::new();
        repo.write("queues/a.yaml", &queue_yaml("Alpha", 100));
        let first = repo.commit("one");
        let git = GitSource::open(repo.dir.path(), None).unwrap();
        let (tx, mut rx) = mpsc::unbounded_channel();
        let (stop_tx, stop_rx) = watch::channel(false);
        let task = spawn(git, Some(first), Duration::from_secs(3600), tx, stop_rx);

        // Work-tree edits and an index write are not commits.
        repo.write("queues/a.yaml", &queue_yaml("Alpha", 200));
        let mut index = repo.repo.index().unwrap();
        index.add_path(Path::new("queues/a.yaml")).unwrap();
        index.write().unwrap();
        tokio::time::sleep(DEBOUNCE * 6).await;
        assert!(rx.try_recv().is_err(), "no trigger without a commit");

        let second = repo.commit("two");
        let t = tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .expect("a trigger for the commit")
            .unwrap();
        assert_eq!(t.kind, TriggerKind::Commit);
        assert_eq!(t.commit.as_deref(), Some(second.as_str()));
        tokio::time::sleep(DEBOUNCE * 6).await;
        assert!(rx.try_recv().is_err(), "one trigger per commit");
        stop_tx.send(true).unwrap();
        task.await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn polling_alone_notices_a_commit() {
        let repo = TempRepo::new();
        repo.write("queues/a.yaml", &queue_yaml("Alpha", 100));
        let first = repo.commit("one");
        let git = GitSource::open(repo.dir.path(), None).unwrap();
        let (tx, mut rx) = mpsc::unbounded_channel();
        let (stop_tx, stop_rx) = watch::channel(false);
        // A watcher whose events never come (the channel's sender is dropped at once).
        let (events_tx, events) = mpsc::unbounded_channel::<()>();
        drop(events_tx);
        let task = tokio::spawn(follow(
            git,
            Some(first),
            Duration::from_millis(100),
            tx,
            stop_rx,
            events,
            None,
        ));
        let second = repo.commit("two");
        let t = tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .expect("a trigger from polling")
            .unwrap();
        assert_eq!(t.commit.as_deref(), Some(second.as_str()));
        stop_tx.send(true).unwrap();
        task.await.unwrap();
    }
}
