//! `POST /v1/optimize`: the original tool's trigger, as a reviewable change.
//!
//! The body is a metrics JSON document (`{"queues": {...}}`, optional `"policy"`), at most
//! `--optimize-body-limit` bytes (413 beyond); it needs the bearer token of `/v1/reconcile`.
//! The proposal is computed on the followed branch's head commit (never the working tree) and
//! answered as `optimize --format json` prints it. With `run --optimize-branch NAME`, the
//! `--write` edit is also committed onto branch NAME, made afresh from the followed branch's
//! head for each proposal (so the branch holds exactly one proposal on top of it); the
//! followed branch itself is never written. The answer then carries
//! `"commit": {"branch", "id", "base"}`. Each proposal is an `OPTIMIZE_PROPOSAL` audit record
//! and a `queue.optimization.proposed` webhook event per changed queue.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use git2::{FileMode, Oid, Signature};
use model::{LoadOptions, RepoFile, Repository};
use optimize::{FileEdit, MetricsDocument, Options, Report};
use serde_json::{Value, json};
use tracing::{error, info, warn};

use super::git::{GitError, GitSource};
use super::http::{TriggerToken, authorize, error as error_response};
use super::metrics::Metrics;
use super::remote::{FOLLOWED_TRAILER, Remote};
use super::status::{PushStatus, SharedStatus};
use crate::recorder::Recorder;
use crate::recorder::proposal::Proposal;

/// The default largest body, in bytes.
pub(crate) const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// Where and as whom proposals are committed (`run --optimize-branch`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OptimizeBranch {
    pub name: String,
    pub author_name: String,
    pub author_email: String,
}

impl OptimizeBranch {
    /// `name`, committed as `author` (`Name <email>`). Refuses an invalid branch name and the
    /// followed branch itself.
    pub(crate) fn new(name: &str, author: &str, followed: &str) -> Result<Self, String> {
        let name = name.trim_start_matches("refs/heads/").to_string();
        if !git2::Reference::is_valid_name(&format!("refs/heads/{name}")) {
            return Err(format!(
                "--optimize-branch {name:?} is not a valid branch name"
            ));
        }
        if name == followed {
            return Err(format!(
                "--optimize-branch {name:?} is the followed branch: proposals go to a branch of their own"
            ));
        }
        let (author_name, author_email) = author
            .split_once('<')
            .and_then(|(n, rest)| Some((n.trim(), rest.strip_suffix('>')?.trim())))
            .filter(|(n, e)| !n.is_empty() && e.contains('@'))
            .ok_or_else(|| {
                format!("--optimize-author {author:?}: write it as `Name <email@example.com>`")
            })?;
        Ok(Self {
            name,
            author_name: author_name.to_string(),
            author_email: author_email.to_string(),
        })
    }
}

/// The working tree in which branch `name` is checked out, if one is: the repository's own
/// (when it has one) or any of its linked worktrees. Such a branch is never moved (its
/// owner's next commit would end up on no branch).
pub fn checked_out_at(git: &git2::Repository, name: &str) -> Option<std::path::PathBuf> {
    let target = format!("refs/heads/{name}");
    // HEAD names the branch (also while it has no commit yet).
    let on = |repo: &git2::Repository| {
        repo.find_reference("HEAD")
            .ok()
            .and_then(|r| r.symbolic_target().ok().flatten().map(str::to_string))
            .as_deref()
            == Some(target.as_str())
    };
    if !git.is_bare() && on(git) {
        return git.workdir().map(std::path::Path::to_path_buf);
    }
    let names = git.worktrees().ok()?;
    for wt in names.iter() {
        let Some(Ok(wt)) = wt.ok().flatten().map(|n| git.find_worktree(n)) else {
            continue;
        };
        if let Ok(repo) = git2::Repository::open_from_worktree(&wt)
            && on(&repo)
        {
            return Some(wt.path().to_path_buf());
        }
    }
    None
}

/// The refusal to move `branch` while a working tree has it checked out.
pub fn checked_out_refusal(git: &git2::Repository, branch: &str) -> Option<String> {
    checked_out_at(git, branch).map(|at| {
        format!(
            "--optimize-branch {branch:?} is checked out in the working tree {}: cxqueues never moves a branch under a working tree; pick another branch, or check out another one there",
            at.display()
        )
    })
}

/// What the optimize endpoint needs.
#[derive(Clone, Debug)]
pub(crate) struct OptimizeState {
    pub git: GitSource,
    pub token: Option<TriggerToken>,
    pub branch: Option<OptimizeBranch>,
    pub recorder: Option<Arc<Recorder>>,
    pub body_limit: usize,
    /// The tenant is the embedded simulator: only loopback webhooks are called.
    pub sim: bool,
    /// One proposal at a time: each rewrites the optimize branch.
    pub lock: Arc<Mutex<()>>,
    /// With `--git-url`: the remote the optimize branch is pushed to, and the metrics that
    /// count the pushes.
    pub push: Option<PushTo>,
}

/// Where a committed proposal is pushed (`run --git-url`).
#[derive(Clone, Debug)]
pub(crate) struct PushTo {
    pub remote: Arc<Remote>,
    pub metrics: Arc<Metrics>,
    /// Shows the last push under `remote.lastPush`.
    pub status: SharedStatus,
}

impl PushTo {
    /// Pushes the optimize branch (at `commit`) once, logs, counts and shows the result. A
    /// failure is not retried: the proposal stays committed in the clone, and the next
    /// different proposal is pushed.
    fn push(&self, branch: &OptimizeBranch, commit: &str) -> Result<(), String> {
        let result = self.try_push(branch);
        let mut st = self.status.write();
        st.remote.get_or_insert_with(Default::default).last_push = Some(PushStatus {
            branch: branch.name.clone(),
            commit: commit.to_string(),
            at: super::rfc3339(std::time::SystemTime::now()),
            pushed: result.is_ok(),
            error: result.as_ref().err().cloned(),
        });
        result
    }

    fn try_push(&self, branch: &OptimizeBranch) -> Result<(), String> {
        let pushed = super::remote::push_within(
            &self.remote,
            &branch.name,
            &branch.author_email,
            super::remote::PUSH_TIMEOUT,
        );
        match pushed {
            Ok(replaced) => {
                self.metrics.observe_push(true);
                info!(
                    url = %self.remote.shown(),
                    branch = %branch.name,
                    replaced = replaced.as_deref().unwrap_or("none"),
                    "pushed the proposal"
                );
                Ok(())
            }
            Err(e) => {
                self.metrics.observe_push(false);
                warn!(
                    error = %e,
                    "the proposal is committed in the local clone but was not pushed; it is not tried again (the next different proposal is pushed)"
                );
                Err(e.to_string())
            }
        }
    }
}

/// The `POST /v1/optimize` route, to merge into the runner's router.
pub(crate) fn router(state: OptimizeState) -> Router {
    Router::new()
        .route("/v1/optimize", post(handle))
        .with_state(state)
}

/// Why a proposal was not answered.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// The request is wrong (400).
    BadRequest(String),
    /// The followed branch cannot be proposed on now (409).
    Conflict(String),
    /// Git or the disk failed (500).
    Internal(String),
}

impl From<GitError> for Refusal {
    fn from(e: GitError) -> Self {
        Refusal::Internal(e.to_string())
    }
}

impl From<git2::Error> for Refusal {
    fn from(e: git2::Error) -> Self {
        Refusal::Internal(format!("git: {e}"))
    }
}

async fn handle(State(s): State<OptimizeState>, headers: HeaderMap, body: Body) -> Response {
    if let Some(r) = authorize(s.token.as_ref(), &headers) {
        return r;
    }
    let too_large = || {
        error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("the body is above the {}-byte limit", s.body_limit),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > s.body_limit as u64) {
        return too_large();
    }
    let Ok(bytes) = axum::body::to_bytes(body, s.body_limit).await else {
        return too_large();
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return error_response(StatusCode::BAD_REQUEST, "the body is not UTF-8 text");
    };
    let doc = match optimize::Metrics::parse_json("body", text) {
        Ok(d) => d,
        Err(e) => return error_response(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    let task = tokio::task::spawn_blocking(move || propose(&s, doc));
    match task.await {
        Ok(Ok(answer)) => (StatusCode::OK, axum::Json(answer)).into_response(),
        Ok(Err(Refusal::BadRequest(m))) => error_response(StatusCode::BAD_REQUEST, &m),
        Ok(Err(Refusal::Conflict(m))) => error_response(StatusCode::CONFLICT, &m),
        Ok(Err(Refusal::Internal(m))) => {
            error!(error = %m, "optimize failed");
            error_response(StatusCode::INTERNAL_SERVER_ERROR, &m)
        }
        Err(e) => {
            error!(error = %e, "the optimize task failed");
            error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the optimize task failed",
            )
        }
    }
}

/// Proposes on the followed branch's head, commits onto the optimize branch when one is set
/// and something changes, and records the proposal.
fn propose(s: &OptimizeState, doc: MetricsDocument) -> Result<Value, Refusal> {
    let policy = doc.policy.unwrap_or_default();
    let done = propose_on_head(s, &doc.metrics, policy, &|_| false)?;
    Ok(done.map(|d| d.answer).unwrap_or_default())
}

/// What [`propose_on_head`] did.
#[derive(Debug)]
pub(crate) struct Proposed {
    /// The answer, as `optimize --format json` prints it, with `commit`.
    pub answer: Value,
    /// The proposal's digest (the base commit and, per queue, its changes and prediction).
    pub digest: String,
    /// A commit was made on the optimize branch.
    pub committed: bool,
}

/// The digest of a proposal on base commit `head`: what makes two proposals the same.
fn digest(head: &str, report: &Report) -> String {
    use sha2::Digest as _;
    let queues: Vec<Value> = report
        .queues
        .iter()
        .map(|q| json!({"name": q.name, "changes": q.changes, "predicted": q.predicted}))
        .collect();
    let text = json!({"base": head, "policy": report.policy, "queues": queues}).to_string();
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

/// The proposal for `metrics` on the followed branch's head: committed onto the optimize
/// branch when one is set and something changes, and recorded. `skip` sees the proposal's
/// digest first: when it answers `true` (the same proposal as before), nothing is committed
/// or recorded and `None` is returned.
pub(crate) fn propose_on_head(
    s: &OptimizeState,
    metrics: &optimize::Metrics,
    policy: optimize::Policy,
    skip: &dyn Fn(&str) -> bool,
) -> Result<Option<Proposed>, Refusal> {
    let started = Instant::now();
    let _one_at_a_time = s.lock.lock().unwrap_or_else(|p| p.into_inner());
    let head = s.git.head()?.ok_or_else(|| {
        Refusal::Conflict(format!("the branch {} has no commit yet", s.git.branch()))
    })?;
    let snap = s.git.read_commit(&head, &LoadOptions::default())?;
    if snap.has_errors() {
        return Err(Refusal::Conflict(format!(
            "commit {} of {} does not validate; fix it before optimizing",
            snap.commit.short_id,
            s.git.branch()
        )));
    }
    let opts = Options {
        policy,
        predicted_only: crate::pipeline::predicted_only(snap.repo.tenant.spec.platform),
        ..Options::default()
    };
    let report = optimize::propose(&snap.repo, metrics, &opts)
        .map_err(|e| Refusal::BadRequest(e.to_string()))?;
    let digest = digest(&head, &report);
    if skip(&digest) {
        return Ok(None);
    }
    let commit = match &s.branch {
        Some(b) if report.has_changes() => Some(commit_proposal(s, &head, &snap.repo, &report, b)?),
        _ => None,
    };
    // Pushed before it is recorded, so that the record says whether the remote has it.
    let pushed = match (&s.push, &s.branch, &commit) {
        (Some(to), Some(b), Some(id)) => Some(to.push(b, id)),
        _ => None,
    };
    if let Some(r) = &s.recorder {
        let hooks = crate::recorder::webhooks_for(
            Repository {
                tenant: snap.repo.tenant.clone(),
                ..Repository::default()
            },
            s.sim,
        );
        let p = Proposal {
            report: &report,
            base_commit: Some(head.clone()),
            commit: commit.clone(),
            branch: s.branch.as_ref().map(|b| b.name.clone()),
            pushed: pushed.as_ref().map(Result::is_ok),
            latency_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        };
        if let Err(e) = r.record_proposal(&hooks, &p) {
            error!(error = %e, "the proposal could not be recorded");
        }
    }
    let changed = report
        .queues
        .iter()
        .filter(|q| !q.changes.is_empty())
        .count();
    info!(base = %head, changed, commit = ?commit, "optimization proposed");
    let mut answer = optimize::render::json(&report);
    let committed = commit.is_some();
    answer["commit"] = match (&s.branch, commit) {
        (Some(b), Some(id)) => {
            let mut c = json!({"branch": b.name, "id": id, "base": head});
            match &pushed {
                Some(Ok(())) => c["pushed"] = json!(true),
                Some(Err(why)) => {
                    c["pushed"] = json!(false);
                    c["pushError"] = json!(why);
                }
                None => {}
            }
            c
        }
        _ => Value::Null,
    };
    Ok(Some(Proposed {
        answer,
        digest,
        committed,
    }))
}

/// Commits the `--write` edit of `report` onto the optimize branch: a commit whose parent is
/// `head` (the followed branch's), the branch reset to it. Returns the commit id.
fn commit_proposal(
    s: &OptimizeState,
    head: &str,
    repo: &Repository,
    report: &Report,
    branch: &OptimizeBranch,
) -> Result<String, Refusal> {
    let git = s.git.open_repo()?;
    if let Some(refusal) = checked_out_refusal(&git, &branch.name) {
        return Err(Refusal::Conflict(refusal));
    }
    let parent = git.find_commit(Oid::from_str(head)?)?;
    let tree = parent.tree()?;
    let in_tree = |p: &std::path::Path| s.git.prefix().join(p);
    let read = |p: &std::path::Path| -> Result<Vec<u8>, String> {
        let entry = tree.get_path(&in_tree(p)).map_err(|e| e.to_string())?;
        let blob = git.find_blob(entry.id()).map_err(|e| e.to_string())?;
        Ok(blob.content().to_vec())
    };
    let edits = optimize::edit_files(repo, report, |p| {
        String::from_utf8(read(p)?).map_err(|e| e.to_string())
    })
    .map_err(|e| Refusal::Conflict(e.to_string()))?;
    let tenant = match &repo.tenant_file {
        Some(p) => Some(RepoFile {
            path: p.clone(),
            bytes: read(p).map_err(Refusal::Internal)?,
        }),
        None => None,
    };
    crate::pipeline::revalidate(repo, tenant, &edits)
        .map_err(|errors| Refusal::Conflict(crate::pipeline::refusal(&errors)))?;
    let mut update = git2::build::TreeUpdateBuilder::new();
    for e in &edits {
        let path = in_tree(&e.file);
        let blob = git.blob(e.after.as_bytes())?;
        let mode = tree
            .get_path(&path)
            .ok()
            .filter(|entry| entry.filemode() == i32::from(FileMode::BlobExecutable))
            .map_or(FileMode::Blob, |_| FileMode::BlobExecutable);
        update.upsert(model::layout::slash_path(&path), blob, mode);
    }
    let new_tree = git.find_tree(update.create_updated(&git, &tree)?)?;
    let author = Signature::now(&branch.author_name, &branch.author_email)?;
    let message = commit_message(report, &edits, s.git.branch());
    let id = git.commit(None, &author, &author, &message, &new_tree, &[&parent])?;
    git.reference(
        &format!("refs/heads/{}", branch.name),
        id,
        true,
        &format!(
            "cxqueues optimize: proposal on {}",
            &head[..head.len().min(10)]
        ),
    )?;
    Ok(id.to_string())
}

/// `optimize (erlang-c): 3 queues`, one line per change, and the [`FOLLOWED_TRAILER`] (which
/// [`Remote::push_branch`] reads).
fn commit_message(report: &Report, edits: &[FileEdit], followed: &str) -> String {
    let changed: Vec<_> = report
        .queues
        .iter()
        .filter(|q| !q.changes.is_empty())
        .collect();
    let mut m = format!(
        "optimize ({}): {} queue{} in {} file{}\n\n",
        report.policy,
        changed.len(),
        if changed.len() == 1 { "" } else { "s" },
        edits.len(),
        if edits.len() == 1 { "" } else { "s" }
    );
    for q in changed {
        for c in &q.changes {
            let from = c
                .from
                .map_or_else(|| "(absent)".to_string(), |v| v.to_string());
            m.push_str(&format!(
                "- {}: {} {from} → {} ({})\n",
                q.name,
                c.field.name(),
                c.to,
                c.reason
            ));
        }
    }
    m.push_str(&format!("\n{FOLLOWED_TRAILER}: {followed}\n"));
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::to_bytes;
    use axum::http::Request;
    use tower::ServiceExt;

    use crate::run::git::tests::TempRepo;

    const SALES: &str = "# Sales\napiVersion: cxqueues/v1\nkind: Queue\nmetadata: {name: Sales}\nspec:\n  serviceLevelTarget: {threshold: 80, time: 20}  # agreed with sales\n  maxWaitTime: 180\n  maxWaiters: 40\n";
    const METRICS: &str = r#"{"queues": {"Sales": {"offered": 600, "intervalSeconds": 10800, "averageHandleTimeSeconds": 180, "agents": 12}}}"#;

    fn repo() -> (TempRepo, String) {
        let t = TempRepo::new();
        t.write("queues/sales.yaml", SALES);
        let id = t.commit("sales");
        (t, id)
    }

    fn app(t: &TempRepo, branch: Option<&str>, limit: usize) -> Router {
        let git = GitSource::open(t.dir.path(), None).unwrap();
        router(OptimizeState {
            branch: branch
                .map(|b| OptimizeBranch::new(b, "Opti Mizer <opt@example.com>", "main").unwrap()),
            git,
            token: Some(TriggerToken::new("s3cret")),
            recorder: None,
            body_limit: limit,
            sim: false,
            lock: Arc::default(),
            push: None,
        })
    }

    async fn post(app: &Router, auth: Option<&str>, body: &str) -> (StatusCode, Value) {
        let mut req = Request::post("/v1/optimize");
        if let Some(a) = auth {
            req = req.header(header::AUTHORIZATION, a);
        }
        let r = app
            .clone()
            .oneshot(req.body(Body::from(body.to_string())).unwrap())
            .await
            .unwrap();
        let code = r.status();
        let bytes = to_bytes(r.into_body(), 1 << 20).await.unwrap();
        (code, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    #[tokio::test]
    async fn without_the_token_the_answer_is_401_and_nothing_is_committed() {
        let (t, _) = repo();
        let app = app(&t, Some("optimize"), DEFAULT_BODY_LIMIT);
        for auth in [None, Some("Bearer wrong")] {
            let (code, body) = post(&app, auth, METRICS).await;
            assert_eq!(code, StatusCode::UNAUTHORIZED);
            assert!(!body.to_string().contains("s3cret"));
        }
        assert!(
            t.repo
                .find_branch("optimize", git2::BranchType::Local)
                .is_err()
        );
    }

    #[tokio::test]
    async fn bad_json_is_400_with_the_reason() {
        let (t, _) = repo();
        let app = app(&t, None, DEFAULT_BODY_LIMIT);
        let (code, body) = post(
            &app,
            Some("Bearer s3cret"),
            "{\"queues\": {\"Sales\": {\"agents\": -2}}}",
        )
        .await;
        assert_eq!(code, StatusCode::BAD_REQUEST);
        let msg = body["error"].as_str().unwrap();
        assert!(msg.starts_with("body:1:"), "{msg}");
        let (code, body) = post(&app, Some("Bearer s3cret"), "{\"queues\": {\"Nope\": {}}}").await;
        assert_eq!(code, StatusCode::BAD_REQUEST);
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains("\"Nope\" is not in the repository")
        );
        let (code, _) = post(&app, Some("Bearer s3cret"), "not json").await;
        assert_eq!(code, StatusCode::BAD_REQUEST);
    }

    #[tokio::test]
    async fn a_hostile_agent_count_is_400_naming_the_queue_and_the_field() {
        let (t, _) = repo();
        let app = app(&t, Some("optimize"), DEFAULT_BODY_LIMIT);
        let body = r#"{"queues": {"Sales": {"offered": 600, "intervalSeconds": 10800, "averageHandleTimeSeconds": 180, "agents": 4294967295}}}"#;
        let (code, answer) = post(&app, Some("Bearer s3cret"), body).await;
        assert_eq!(code, StatusCode::BAD_REQUEST);
        let msg = answer["error"].as_str().unwrap();
        assert!(
            msg.contains("queue \"Sales\": agents: 4294967295 is above the 100000"),
            "{msg}"
        );
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_413() {
        let (t, _) = repo();
        let app = app(&t, None, 64);
        let (code, body) = post(&app, Some("Bearer s3cret"), METRICS).await;
        assert_eq!(code, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(body["error"], "the body is above the 64-byte limit");
    }

    #[tokio::test]
    async fn the_proposal_is_committed_on_the_optimize_branch_and_the_followed_branch_is_untouched()
    {
        let (t, base) = repo();
        let app = app(&t, Some("optimize"), DEFAULT_BODY_LIMIT);
        let (code, body) = post(&app, Some("Bearer s3cret"), METRICS).await;
        assert_eq!(code, StatusCode::OK, "{body}");
        assert_eq!(body["formatVersion"], 1);
        assert_eq!(body["policy"], "erlang-c");
        assert_eq!(body["queues"][0]["changes"][0]["to"], 343);
        assert_eq!(body["commit"]["branch"], "optimize");
        assert_eq!(body["commit"]["base"], base.as_str());
        let id = body["commit"]["id"].as_str().unwrap();

        // The followed branch still points at its own commit.
        let main = t.repo.refname_to_id("refs/heads/main").unwrap();
        assert_eq!(main.to_string(), base);
        let opt = t.repo.refname_to_id("refs/heads/optimize").unwrap();
        assert_eq!(opt.to_string(), id);
        let commit = t.repo.find_commit(opt).unwrap();
        assert_eq!(commit.parent_id(0).unwrap().to_string(), base);
        assert_eq!(commit.author().name().unwrap(), "Opti Mizer");
        assert_eq!(commit.author().email().unwrap(), "opt@example.com");
        assert!(
            commit
                .message()
                .unwrap()
                .starts_with("optimize (erlang-c): 1 queue in 1 file")
        );
        let entry = commit
            .tree()
            .unwrap()
            .get_path(std::path::Path::new("queues/sales.yaml"))
            .unwrap();
        let text =
            String::from_utf8(t.repo.find_blob(entry.id()).unwrap().content().to_vec()).unwrap();
        assert_eq!(
            text,
            SALES
                .replace("maxWaitTime: 180", "maxWaitTime: 343")
                .replace("maxWaiters: 40", "maxWaiters: 21")
        );

        // A second proposal starts again from the followed branch's head.
        let (code, again) = post(&app, Some("Bearer s3cret"), METRICS).await;
        assert_eq!(code, StatusCode::OK);
        let second = t.repo.refname_to_id("refs/heads/optimize").unwrap();
        assert_eq!(again["commit"]["id"], second.to_string());
        assert_eq!(
            t.repo
                .find_commit(second)
                .unwrap()
                .parent_id(0)
                .unwrap()
                .to_string(),
            base
        );
        assert_eq!(
            t.repo.refname_to_id("refs/heads/main").unwrap().to_string(),
            base
        );
    }

    #[tokio::test]
    async fn without_changes_or_without_a_branch_no_commit_is_made() {
        let (t, _) = repo();
        let app = app(&t, None, DEFAULT_BODY_LIMIT);
        let (code, body) = post(
            &app,
            Some("Bearer s3cret"),
            r#"{"policy": "seed", "queues": {}}"#,
        )
        .await;
        assert_eq!(code, StatusCode::OK);
        assert_eq!(body["policy"], "seed");
        assert_eq!(body["commit"], Value::Null);
        let (_, body) = post(&app, Some("Bearer s3cret"), METRICS).await;
        assert_eq!(body["commit"], Value::Null);
        assert_eq!(t.repo.branches(None).unwrap().count(), 1);
    }

    #[tokio::test]
    async fn a_branch_checked_out_in_a_working_tree_is_never_moved() {
        let (t, base) = repo();
        // `dev` exists at the base and is checked out in a linked worktree.
        let commit = t.repo.find_commit(Oid::from_str(&base).unwrap()).unwrap();
        t.repo.branch("dev", &commit, false).unwrap();
        let wt_dir = tempfile::tempdir().unwrap();
        let wt_path = wt_dir.path().join("dev-tree");
        let dev_ref = t.repo.find_reference("refs/heads/dev").unwrap();
        let mut opts = git2::WorktreeAddOptions::new();
        opts.reference(Some(&dev_ref));
        t.repo.worktree("dev-tree", &wt_path, Some(&opts)).unwrap();
        let refusal = checked_out_refusal(&t.repo, "dev").unwrap();
        assert!(refusal.contains("dev-tree"), "{refusal}");
        assert_eq!(checked_out_refusal(&t.repo, "optimize"), None);

        let app = app(&t, Some("dev"), DEFAULT_BODY_LIMIT);
        let (code, body) = post(&app, Some("Bearer s3cret"), METRICS).await;
        assert_eq!(code, StatusCode::CONFLICT, "{body}");
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains("is checked out in the working tree")
        );
        assert_eq!(
            t.repo.refname_to_id("refs/heads/dev").unwrap().to_string(),
            base,
            "the branch did not move"
        );

        // The repository's own working tree counts too: HEAD on `opt` while `main` is followed.
        t.repo.set_head("refs/heads/opt").unwrap();
        assert!(checked_out_refusal(&t.repo, "opt").is_some());
    }

    #[test]
    fn the_optimize_branch_is_never_the_followed_one_and_the_author_is_name_and_email() {
        assert!(OptimizeBranch::new("main", "A <a@b.c>", "main").is_err());
        assert!(OptimizeBranch::new("bad..name", "A <a@b.c>", "main").is_err());
        assert!(OptimizeBranch::new("opt", "no email", "main").is_err());
        let b = OptimizeBranch::new("refs/heads/opt", "Ada L <ada@example.com>", "main").unwrap();
        assert_eq!(b.name, "opt");
        assert_eq!(
            (b.author_name.as_str(), b.author_email.as_str()),
            ("Ada L", "ada@example.com")
        );
    }
}
