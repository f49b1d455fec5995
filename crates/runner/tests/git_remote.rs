//! `cxqueues run --git-url`: the real binary follows a bare repository over `file://` and
//! over loopback HTTP (`git http-backend` behind a small CGI bridge that wants a token),
//! including a force-push and a remote that goes away; GitHub's push hook makes it fetch at
//! once, and only when signed. The optimize branch (`--optimize-every`) is pushed back with the
//! same credentials, and a remote branch someone else committed to is never overwritten. The
//! tenant is the embedded simulator (`--sim`).

mod common;
#[path = "common/runner_proc.rs"]
mod runner_proc;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use common::GitRepo;
use runner_proc::{DEADLINE, RunnerProc, TENANT_YAML, queue_yaml};

/// A work repository and the bare repository it pushes to (`<root>/queues.git`).
struct Upstream {
    work: GitRepo,
    root: tempfile::TempDir,
}

impl Upstream {
    fn new() -> Self {
        let work = GitRepo::new();
        let root = tempfile::tempdir().unwrap();
        git(
            root.path(),
            &["init", "--bare", "--initial-branch=main", "queues.git"],
        );
        Self { work, root }
    }

    fn bare(&self) -> PathBuf {
        self.root.path().join("queues.git")
    }

    fn file_url(&self) -> String {
        format!("file://{}", self.bare().display())
    }

    /// Commits `Alpha` with `wait` and pushes (forced, so that a rewrite goes through).
    fn commit_and_push(&self, wait: u32, message: &str) -> String {
        self.work.write("cxqueues.yaml", TENANT_YAML);
        self.work
            .write("queues/alpha.yaml", &queue_yaml("Alpha", wait));
        let id = self.work.commit(message);
        self.push();
        id
    }

    fn push(&self) {
        let bare = self.bare();
        git(
            self.work.path(),
            &[
                "push",
                "--quiet",
                "--force",
                bare.to_str().unwrap(),
                "main:main",
            ],
        );
    }

    /// Moves `main` of the work repository back to `commit` (what a rewrite starts from).
    fn reset_to(&self, commit: &str) {
        git(self.work.path(), &["reset", "--quiet", "--hard", commit]);
    }
}

fn git(dir: &Path, args: &[&str]) {
    git_as(("Grace Hopper", "grace@example.com"), dir, args);
}

/// `git ARGS` in `dir`, authored and committed by `(name, email)`.
fn git_as((name, email): (&str, &str), dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", name)
        .env("GIT_AUTHOR_EMAIL", email)
        .env("GIT_COMMITTER_NAME", name)
        .env("GIT_COMMITTER_EMAIL", email)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn wait_of(st: &serde_json::Value) -> Option<u64> {
    st["queues"]["Alpha"]["lastChange"]
        .as_array()
        .and_then(|c| c.iter().find(|f| f["path"] == "maxWaitTime"))
        .and_then(|f| f["after"].as_u64())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bare_repository_is_followed_over_file_urls_through_a_force_push_and_an_outage() {
    let up = Upstream::new();
    let c1 = up.commit_and_push(100, "one");
    let runner = RunnerProc::start(
        &["--sim", "--git-url", &up.file_url(), "--poll", "200ms"],
        &[],
    );
    let st = runner.wait_applied(&c1).await;
    assert_eq!(st["remote"]["commit"], c1.as_str());
    assert_eq!(st["remote"]["url"], up.file_url().as_str());

    let c2 = up.commit_and_push(200, "two");
    let st = runner.wait_applied(&c2).await;
    assert_eq!(wait_of(&st), Some(200));
    assert_eq!(st["remote"]["rewrites"], 0);

    // A force-push: a history that does not contain c2.
    up.reset_to(&c1);
    let c3 = up.commit_and_push(300, "three, rewritten");
    let st = runner.wait_applied(&c3).await;
    assert_eq!(wait_of(&st), Some(300));
    assert_eq!(st["remote"]["rewrites"], 1, "{st:#}");
    assert!(
        runner.log().contains("history was rewritten"),
        "{}",
        runner.log()
    );

    // The remote goes away: the last good commit stays applied, the failure is shown.
    let away = up.root.path().join("gone.git");
    std::fs::rename(up.bare(), &away).unwrap();
    let st = runner
        .wait_for("a failed fetch in /status", |st| {
            st["remote"]["consecutiveFailures"].as_u64() >= Some(2)
        })
        .await;
    assert_eq!(st["lastApplied"]["id"], c3.as_str());
    assert!(st["remote"]["lastError"].as_str().is_some(), "{st:#}");
    let (_, metrics) = runner.get("/metrics").await;
    let failed = metrics
        .lines()
        .find(|l| l.starts_with("cxqueues_git_fetches_total{result=\"failed\"}"))
        .unwrap_or_else(|| panic!("no failed-fetch counter:\n{metrics}"));
    assert_ne!(failed.split_whitespace().last(), Some("0"), "{failed}");
    assert!(metrics.contains("cxqueues_git_fetch_consecutive_failures"));

    // Back again: fetched and followed.
    std::fs::rename(&away, up.bare()).unwrap();
    let c4 = up.commit_and_push(400, "four");
    let st = runner.wait_applied(&c4).await;
    assert_eq!(st["remote"]["consecutiveFailures"], 0);
    assert!(st["remote"]["lastError"].is_null());
}

// ---------- git over loopback HTTP ----------

const GIT_TOKEN: &str = "tok-s3cret-4242";

/// Run once, just before the bridge answers the next push's ref advertisement.
type BeforePush = Arc<Mutex<Option<Box<dyn FnOnce() + Send>>>>;

#[derive(Clone)]
struct Backend {
    root: PathBuf,
    /// `Authorization` the bridge wants (Basic x-access-token:<token>).
    want: String,
    before_push: BeforePush,
}

/// A CGI bridge to `git http-backend`: every request under `/` is served from `root`, after
/// checking the token.
async fn cgi(State(b): State<Backend>, req: Request) -> Response {
    let authorized = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        == Some(b.want.as_str());
    if !authorized {
        let mut r = (StatusCode::UNAUTHORIZED, "credentials, please").into_response();
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"git\""),
        );
        return r;
    }
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or_default().to_string();
    if query == "service=git-receive-pack" {
        let armed = b.before_push.lock().unwrap().take();
        if let Some(f) = armed {
            f();
        }
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let protocol = req
        .headers()
        .get("git-protocol")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = axum::body::to_bytes(req.into_body(), 64 << 20)
        .await
        .unwrap();
    let out = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut cmd = Command::new("git");
        cmd.arg("http-backend")
            .env_clear()
            .env("GIT_PROJECT_ROOT", &b.root)
            .env("GIT_HTTP_EXPORT_ALL", "1")
            .env("REQUEST_METHOD", &method)
            .env("PATH_INFO", &path)
            .env("QUERY_STRING", &query)
            .env("CONTENT_TYPE", &content_type)
            .env("CONTENT_LENGTH", body.len().to_string())
            .env("REMOTE_ADDR", "127.0.0.1")
            // The bridge checked the token: a known user may push (receive-pack).
            .env("REMOTE_USER", "x-access-token")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(p) = protocol {
            cmd.env("GIT_PROTOCOL", p);
        }
        let mut child = cmd.spawn().expect("git http-backend starts");
        let mut stdin = child.stdin.take().unwrap();
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&body);
        });
        let out = child.wait_with_output().unwrap();
        let _ = writer.join();
        out.stdout
    })
    .await
    .unwrap();
    // CGI: headers, a blank line, the body.
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4))
        .or_else(|| out.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2)));
    let Some((at, sep)) = split else {
        return (StatusCode::BAD_GATEWAY, "no CGI headers").into_response();
    };
    let head = String::from_utf8_lossy(&out[..at]).to_string();
    let mut response = Response::new(Body::from(out[at + sep..].to_vec()));
    for line in head.lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            let code = value.split_whitespace().next().unwrap_or("200");
            *response.status_mut() = StatusCode::from_bytes(code.as_bytes()).unwrap();
        } else if let (Ok(n), Ok(v)) = (
            header::HeaderName::from_bytes(name.trim().as_bytes()),
            HeaderValue::from_str(value),
        ) {
            response.headers_mut().insert(n, v);
        }
    }
    response
}

async fn serve_git(root: PathBuf) -> String {
    serve_git_with(root, BeforePush::default()).await
}

async fn serve_git_with(root: PathBuf, before_push: BeforePush) -> String {
    use base64::Engine as _;
    let want = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("x-access-token:{GIT_TOKEN}"))
    );
    let app = Router::new().fallback(cgi).with_state(Backend {
        root,
        want,
        before_push,
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bare_repository_is_followed_over_loopback_http_with_a_token_through_a_force_push() {
    let up = Upstream::new();
    let c1 = up.commit_and_push(100, "one");
    let base = serve_git(up.root.path().to_path_buf()).await;
    let url = format!("{base}/queues.git");

    // Without the token the server refuses: not ready, with the reason, nothing applied.
    let refused = RunnerProc::start(&["--sim", "--git-url", &url, "--poll", "200ms"], &[]);
    let st = refused
        .wait_for("a refused fetch", |st| {
            st["remote"]["consecutiveFailures"].as_u64() >= Some(1)
        })
        .await;
    assert!(st["lastApplied"].is_null(), "{st:#}");
    let (code, body) = refused.get("/readyz").await;
    assert_eq!(code, 503, "{body}");
    assert!(body.contains("not been fetched"), "{body}");
    drop(refused);

    let runner = RunnerProc::start(
        &["--sim", "--git-url", &url, "--poll", "200ms"],
        &[("CXQUEUES_GIT_TOKEN", GIT_TOKEN)],
    );
    runner.wait_applied(&c1).await;
    let c2 = up.commit_and_push(200, "two");
    runner.wait_applied(&c2).await;
    up.reset_to(&c1);
    let c3 = up.commit_and_push(300, "three, rewritten");
    let st = runner.wait_applied(&c3).await;
    assert_eq!(wait_of(&st), Some(300));
    assert_eq!(st["remote"]["rewrites"], 1);
    assert_eq!(st["remote"]["url"], url.as_str());
    let (code, _) = runner.get("/readyz").await;
    assert_eq!(code, 200);
    let (_, metrics) = runner.get("/metrics").await;
    let text = format!("{}{st}{metrics}", runner.log());
    assert!(!text.contains(GIT_TOKEN), "the token leaked:\n{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_url_with_a_token_inside_is_refused_without_showing_the_token() {
    let out = Command::new(env!("CARGO_BIN_EXE_cxqueues"))
        .args(["run", "--sim", "--listen", "127.0.0.1:0", "--git-url"])
        .arg(format!(
            "https://x-access-token:{GIT_TOKEN}@github.com/acme/q.git"
        ))
        .env("CXQUEUES_STATE_DIR", tempfile::tempdir().unwrap().path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("CXQUEUES_GIT_TOKEN"), "{text}");
    assert!(!text.contains(GIT_TOKEN), "{text}");
}

// ---------- GitHub's push hook ----------

const HOOK_SECRET: &str = "hook-s3cret";

/// `X-Hub-Signature-256` as GitHub computes it: HMAC-SHA256 of the body, hex.
fn sign_with(secret: &str, body: &str) -> String {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn sign(body: &str) -> String {
    sign_with(HOOK_SECRET, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_github_push_fetches_at_once_and_an_unsigned_one_does_not() {
    let up = Upstream::new();
    let c1 = up.commit_and_push(100, "one");
    // Polling once an hour: only the hook can make it fetch.
    let runner = RunnerProc::start(
        &["--sim", "--git-url", &up.file_url(), "--poll", "1h"],
        &[("CXQUEUES_GITHUB_WEBHOOK_SECRET", HOOK_SECRET)],
    );
    runner.wait_applied(&c1).await;
    let c2 = up.commit_and_push(200, "two");
    let push = format!(r#"{{"ref":"refs/heads/main","after":"{c2}"}}"#);
    let fetched_at = |st: &serde_json::Value| st["remote"]["lastFetch"].clone();
    let before = fetched_at(&runner.status().await);

    let (code, body) = runner
        .post(
            "/v1/hooks/github",
            &[
                ("x-github-event", "push"),
                ("content-type", "application/json"),
            ],
            &push,
        )
        .await;
    assert_eq!(code, 401, "unsigned: {body}");
    let wrong = sign_with("not-the-secret", &push);
    let (code, _) = runner
        .post(
            "/v1/hooks/github",
            &[("x-github-event", "push"), ("x-hub-signature-256", &wrong)],
            &push,
        )
        .await;
    assert_eq!(code, 401, "wrongly signed");
    let other = r#"{"ref":"refs/heads/dev"}"#;
    let (code, _) = runner
        .post(
            "/v1/hooks/github",
            &[
                ("x-github-event", "push"),
                ("x-hub-signature-256", &sign(other)),
            ],
            other,
        )
        .await;
    assert_eq!(code, 202, "another branch");
    // None of those fetched: a fetch would have moved lastFetch.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let st = runner.status().await;
    assert_eq!(fetched_at(&st), before, "{st:#}");
    assert_ne!(st["lastApplied"]["id"], c2.as_str());

    let (code, body) = runner
        .post(
            "/v1/hooks/github",
            &[
                ("x-github-event", "push"),
                ("x-hub-signature-256", &sign(&push)),
            ],
            &push,
        )
        .await;
    assert_eq!(code, 202, "{body}");
    let started = Instant::now();
    runner.wait_applied(&c2).await;
    assert!(started.elapsed() < DEADLINE);
    let (code, _) = runner
        .post(
            "/v1/hooks/github",
            &[
                ("x-github-event", "ping"),
                ("x-hub-signature-256", &sign("{}")),
            ],
            "{}",
        )
        .await;
    assert_eq!(code, 200, "ping");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mistyped_branch_is_not_ready_and_says_why_in_readyz_and_the_log() {
    let repo = GitRepo::new();
    repo.write("cxqueues.yaml", TENANT_YAML);
    repo.write("queues/alpha.yaml", &queue_yaml("Alpha", 100));
    repo.commit("one");
    let runner = RunnerProc::start(
        &[
            "--sim",
            "--repo",
            repo.path().to_str().unwrap(),
            "--branch",
            "mian",
        ],
        &[],
    );
    let start = Instant::now();
    loop {
        let st = runner.status().await;
        if st["lastRun"].is_object() {
            break;
        }
        assert!(start.elapsed() < DEADLINE, "no run:\n{}", runner.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (code, body) = runner.get("/readyz").await;
    assert_eq!(code, 503, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let reason = v["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("\"mian\" does not exist"), "{body}");
    assert!(
        reason.contains("its branches: main"),
        "names the branches there: {body}"
    );
    assert!(runner.log().contains("does not exist"), "{}", runner.log());
    let (_, metrics) = runner.get("/metrics").await;
    assert!(metrics.contains("cxqueues_ready 0"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_branch_the_remote_does_not_have_is_not_ready_and_names_the_remotes_branches() {
    let up = Upstream::new();
    up.commit_and_push(100, "one");
    let runner = RunnerProc::start(
        &[
            "--sim",
            "--git-url",
            &up.file_url(),
            "--branch",
            "mian",
            "--poll",
            "200ms",
        ],
        &[],
    );
    runner
        .wait_for("a failed fetch", |st| {
            st["remote"]["consecutiveFailures"].as_u64() >= Some(1)
        })
        .await;
    let (code, body) = runner.get("/readyz").await;
    assert_eq!(code, 503, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let reason = v["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("\"mian\" is not on"), "{body}");
    assert!(reason.contains("its branches: main"), "{body}");
    assert!(runner.log().contains("is not on"), "{}", runner.log());
}

// ---------- the optimize branch pushed back ----------

/// The value of the counter sample that starts with `sample` (0 when absent).
fn counter(metrics: &str, sample: &str) -> f64 {
    metrics
        .lines()
        .find(|l| l.starts_with(sample))
        .and_then(|l| l.split_whitespace().last())
        .map_or(0.0, |v| v.parse().unwrap())
}

/// Scheduled optimizations proposed, and pushes that went through and that failed.
fn optimize_counts(metrics: &str) -> (f64, f64, f64) {
    (
        counter(metrics, "cxqueues_optimize_runs_total{result=\"proposed\"}"),
        counter(metrics, "cxqueues_git_pushes_total{result=\"ok\"}"),
        counter(metrics, "cxqueues_git_pushes_total{result=\"failed\"}"),
    )
}

/// A runner following `url` that proposes every second onto `opt`.
fn optimizing_runner(url: &str, env: &[(&str, &str)]) -> RunnerProc {
    RunnerProc::start(
        &[
            "--sim",
            "--git-url",
            url,
            "--poll",
            "200ms",
            "--optimize-every",
            "1s",
            "--optimize-branch",
            "opt",
        ],
        env,
    )
}

/// Waits until `/metrics` has counted `n` scheduled optimizations with `result`.
async fn wait_optimized(runner: &RunnerProc, result: &str, n: f64) -> String {
    let start = Instant::now();
    let sample = format!("cxqueues_optimize_runs_total{{result=\"{result}\"}}");
    loop {
        let (_, metrics) = runner.get("/metrics").await;
        if counter(&metrics, &sample) >= n {
            return metrics;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "not {n} {result} optimizations:\n{metrics}\nlog:\n{}",
            runner.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The commit `branch` points at in the bare repository, if it exists.
fn remote_branch(up: &Upstream, branch: &str) -> Option<git2::Oid> {
    let bare = git2::Repository::open_bare(up.bare()).unwrap();
    bare.refname_to_id(&format!("refs/heads/{branch}")).ok()
}

/// A remote over loopback HTTP with one commit on main, and a runner that follows it with the
/// token and has pushed its first proposal (then seen the same one again: pushed once).
async fn first_proposal_pushed_over_http(
    before_push: BeforePush,
) -> (Upstream, String, RunnerProc) {
    let up = Upstream::new();
    let c1 = up.commit_and_push(100, "one");
    let base = serve_git_with(up.root.path().to_path_buf(), before_push).await;
    let runner = optimizing_runner(
        &format!("{base}/queues.git"),
        &[("CXQUEUES_GIT_TOKEN", GIT_TOKEN)],
    );
    runner.wait_applied(&c1).await;
    let metrics = wait_optimized(&runner, "unchanged", 1.0).await;
    assert_eq!(optimize_counts(&metrics), (1.0, 1.0, 0.0), "{metrics}");
    (up, c1, runner)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_new_proposal_is_pushed_to_the_remote_over_http_with_the_fetch_token_once() {
    let (up, c1, runner) = first_proposal_pushed_over_http(BeforePush::default()).await;
    let bare = git2::Repository::open_bare(up.bare()).unwrap();
    let opt = bare
        .find_commit(remote_branch(&up, "opt").expect("opt was pushed"))
        .unwrap();
    assert_eq!(opt.parent_id(0).unwrap().to_string(), c1);
    assert!(opt.message().unwrap().starts_with("optimize (erlang-c)"));
    assert_eq!(remote_branch(&up, "main").unwrap().to_string(), c1);

    // A new commit on main: a new proposal on it replaces the previous one on the remote.
    let c2 = up.commit_and_push(200, "two");
    runner.wait_applied(&c2).await;
    let metrics = wait_optimized(&runner, "unchanged", 2.0).await;
    assert_eq!(optimize_counts(&metrics), (2.0, 2.0, 0.0), "{metrics}");
    let opt = bare
        .find_commit(remote_branch(&up, "opt").unwrap())
        .unwrap();
    assert_eq!(opt.parent_id(0).unwrap().to_string(), c2);
    assert!(
        runner.log().contains("pushed the proposal"),
        "{}",
        runner.log()
    );
    let st = runner.status().await;
    assert_eq!(st["remote"]["lastPush"]["pushed"], true, "{st:#}");
    assert_eq!(st["remote"]["lastPush"]["branch"], "opt");
    assert_eq!(
        st["remote"]["lastPush"]["commit"],
        opt.id().to_string().as_str()
    );
    let text = format!("{}{metrics}", runner.log());
    assert!(!text.contains(GIT_TOKEN), "the token leaked:\n{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_optimize_branch_someone_committed_to_is_not_overwritten_and_the_push_is_not_retried()
 {
    let up = Upstream::new();
    let c1 = up.commit_and_push(100, "one");
    // Someone's own branch named like the optimize branch.
    let bare_path = up.bare();
    git(
        up.work.path(),
        &["push", "--quiet", bare_path.to_str().unwrap(), "main:opt"],
    );
    let runner = optimizing_runner(&up.file_url(), &[]);
    runner.wait_applied(&c1).await;
    // Proposed once (committed in the clone, not pushed), then unchanged tick after tick:
    // one failed push, never tried again.
    let metrics = wait_optimized(&runner, "unchanged", 2.0).await;
    assert_eq!(optimize_counts(&metrics), (1.0, 0.0, 1.0), "{metrics}");
    assert_eq!(remote_branch(&up, "opt").unwrap().to_string(), c1);
    let log = runner.log();
    assert!(
        log.contains("not a proposal cxqueues made") && log.contains("was not pushed"),
        "{log}"
    );
    let st = runner.status().await;
    let push = &st["remote"]["lastPush"];
    assert_eq!(push["pushed"], false, "{st:#}");
    assert!(
        push["error"]
            .as_str()
            .is_some_and(|e| e.contains("not a proposal cxqueues made")),
        "{st:#}"
    );
    // The audit record says the proposal did not reach the remote.
    let audit = std::fs::read_to_string(runner.state.path().join("sim/audit.jsonl")).unwrap();
    let proposal = audit
        .lines()
        .find(|l| l.contains("\"OPTIMIZE_PROPOSAL\""))
        .expect("an audit record of the proposal");
    let v: serde_json::Value = serde_json::from_str(proposal).unwrap();
    assert_eq!(v["proposal"]["pushed"], false, "{v:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_pushed_to_the_optimize_branch_while_a_proposal_is_pushed_is_not_overwritten() {
    let before_push = BeforePush::default();
    let (up, c1, runner) = first_proposal_pushed_over_http(before_push.clone()).await;
    let first = remote_branch(&up, "opt").expect("the first proposal was pushed");

    // Someone moves the remote's branch just as the next proposal is pushed: after it was
    // read, before the push's ref advertisement.
    let bare = up.bare();
    let human = c1.clone();
    *before_push.lock().unwrap() = Some(Box::new(move || {
        git(&bare, &["update-ref", "refs/heads/opt", &human]);
    }));
    let c2 = up.commit_and_push(200, "two");
    runner.wait_applied(&c2).await;
    let metrics = wait_optimized(&runner, "unchanged", 2.0).await;
    assert_eq!(optimize_counts(&metrics), (2.0, 1.0, 1.0), "{metrics}");
    assert!(
        before_push.lock().unwrap().is_none(),
        "the push reached the server"
    );
    let now = remote_branch(&up, "opt").unwrap();
    assert_ne!(now, first);
    assert_eq!(now.to_string(), c1, "the commit pushed meanwhile is kept");
    assert!(runner.log().contains("moved to"), "{}", runner.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proposal_made_on_another_followed_branch_is_not_replaced() {
    let up = Upstream::new();
    let c1 = up.commit_and_push(100, "one");
    // A proposal by the same author, but on `staging` (another release of the same repo).
    let work = up.work.path();
    git(work, &["checkout", "--quiet", "-b", "opt"]);
    up.work
        .write("queues/alpha.yaml", &queue_yaml("Alpha", 123));
    git_as(
        ("cxqueues optimize", "cxqueues@localhost"),
        work,
        &[
            "commit",
            "--quiet",
            "-am",
            "optimize (erlang-c): 1 queue in 1 file\n\nCxqueues-Followed-Branch: staging\n",
        ],
    );
    git(
        work,
        &["push", "--quiet", up.bare().to_str().unwrap(), "opt:opt"],
    );
    let theirs = remote_branch(&up, "opt").unwrap();
    git(work, &["checkout", "--quiet", "main"]);

    let runner = optimizing_runner(&up.file_url(), &[]);
    runner.wait_applied(&c1).await;
    let metrics = wait_optimized(&runner, "unchanged", 1.0).await;
    assert_eq!(optimize_counts(&metrics), (1.0, 0.0, 1.0), "{metrics}");
    assert_eq!(remote_branch(&up, "opt"), Some(theirs));
    assert!(
        runner
            .log()
            .contains("not a proposal cxqueues made on main"),
        "{}",
        runner.log()
    );
}
