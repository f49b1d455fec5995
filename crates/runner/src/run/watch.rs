//! Noticing new commits.
//!
//! Git writes a ref as `<ref>.lock` and renames it into place, so the watcher follows
//! directories, not files: the git directory itself (for `HEAD` and `packed-refs`) and
//! `refs/` recursively. Events are debounced on the trailing edge; then the branch's commit id
//! is compared with the last one seen, and only a change becomes a commit trigger. A poll at a
//! fixed period does the same comparison, for filesystems whose events get lost.

use std::time::Duration;

use notify_debouncer_full::notify::RecursiveMode;
use notify_debouncer_full::{DebounceEventResult, new_debouncer};
use tokio::sync::{mpsc, watch};
use tracing::{debug, info, warn};

use super::Trigger;
use super::git::GitSource;

/// How long the git directory must be quiet before its branch is compared.
pub const DEBOUNCE: Duration = Duration::from_millis(50);

/// Watches `git`'s branch until `shutdown`; sends a commit trigger for each new commit id.
/// `seen` is the commit id the caller already knows about (the first run's).
pub fn spawn(
    git: GitSource,
    seen: Option<String>,
    poll: Duration,
    triggers: mpsc::UnboundedSender<Trigger>,
    mut shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let (events_tx, mut events) = mpsc::unbounded_channel::<()>();
    let debouncer = start_debouncer(&git, events_tx);
    tokio::spawn(async move {
        // Dropped (and so stopped) when the task ends.
        let _debouncer = debouncer;
        let mut seen = seen;
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
    })
}

fn short(id: &str) -> &str {
    id.get(..10).unwrap_or(id)
}

/// A debounced watcher on the git directory, or `None` (polling only) when it cannot start.
fn start_debouncer(
    git: &GitSource,
    events: mpsc::UnboundedSender<()>,
) -> Option<
    notify_debouncer_full::Debouncer<
        notify_debouncer_full::notify::RecommendedWatcher,
        notify_debouncer_full::RecommendedCache,
    >,
> {
    let handler = move |res: DebounceEventResult| match res {
        Ok(batch) if !batch.is_empty() => {
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
