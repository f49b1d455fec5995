//! The client: three REST calls over the HTTP core (`tenant::http`), which paces them,
//! waits out GitHub's rate limits within a bound, repeats a read that met a server error,
//! reads bodies within a cap and redacts the token from anything GitHub says.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{ACCEPT, HeaderMap, HeaderName, LINK};
use reqwest::{Method, StatusCode, Url};
use serde::Deserialize;
use serde_json::{Value, json};
use tenant::endpoint::checked_endpoint;
use tenant::http::{
    Auth, Call, CoreConfig, DEFAULT_CONNECT_TIMEOUT, HttpCore, HttpError, NoToken, Redactor,
    Repeat, Reply, RetryPolicy,
};
use tenant::{Backoff, Jitter, Secret};

use crate::error::GitHubError;
use crate::wire::{next_link, rate_limit_wait};
use crate::{COMMENT_LIMIT, DEFAULT_API_URL};

/// The most pages of comments read (100 each): far more than a pull request holds, and a
/// stop should a server's `Link` header ever loop.
const MAX_PAGES: usize = 500;
/// The most bytes read from one answer: 100 comments of 65,536 characters, with room.
const MAX_RESPONSE_BYTES: u64 = 32 * 1024 * 1024;
/// A few requests per second at most from one token, as GitHub asks of integrations.
const REQUESTS_PER_SECOND: f64 = 10.0;

/// Where and how to reach GitHub.
#[derive(Debug, Clone)]
pub struct Config {
    /// The API root: `https://api.github.com`, or a GitHub Enterprise Server's
    /// `https://HOST/api/v3`. Plain `http://` only for loopback hosts.
    pub api_url: String,
    /// `owner/name`.
    pub repository: String,
    pub token: Secret,
    /// The longest rate-limit wait this client sits out; GitHub asking for more is an error.
    pub max_wait: Duration,
    /// Attempts per request, the first one included, while GitHub answers with a rate limit.
    pub attempts: u32,
    /// Per request.
    pub timeout: Duration,
}

impl Config {
    pub fn new(repository: impl Into<String>, token: Secret) -> Self {
        Self {
            api_url: DEFAULT_API_URL.to_string(),
            repository: repository.into(),
            token,
            max_wait: Duration::from_secs(90),
            attempts: 4,
            timeout: Duration::from_secs(30),
        }
    }
}

/// An issue or pull-request comment, as far as this crate reads it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Comment {
    pub id: u64,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub html_url: Option<String>,
    /// Who wrote it (GitHub always says; a missing author matches no identity).
    #[serde(default)]
    pub user: Option<User>,
}

/// A comment's author, or the token's own identity.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct User {
    pub login: String,
}

/// The author of comments posted with a GitHub Actions token (`GITHUB_TOKEN` in a workflow),
/// whose `GET /user` answers 403.
pub const ACTIONS_BOT: &str = "github-actions[bot]";

impl Comment {
    /// Whether the body's first line is `marker`.
    pub fn is_marked(&self, marker: &str) -> bool {
        self.body
            .as_deref()
            .and_then(|b| b.lines().next())
            .is_some_and(|first| first.trim() == marker)
    }
}

/// What [`Client::upsert_marked`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upsert {
    Created,
    Updated,
}

/// The comment posted, and whether it is new.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    pub action: Upsert,
    pub comment: Comment,
}

/// A GitHub REST client for one repository. `Debug` never shows the token.
#[derive(Clone)]
pub struct Client {
    core: Arc<HttpCore>,
    base: Url,
    owner: String,
    name: String,
    token: Secret,
    max_wait: Duration,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base.as_str())
            .field("repository", &self.repository())
            .field("token", &self.token)
            .finish()
    }
}

fn config_error(msg: impl Into<String>) -> GitHubError {
    GitHubError::Config(msg.into())
}

/// `GITHUB_API_URL`: https anywhere, plain http to this machine only (the token would
/// otherwise cross the network unencrypted).
fn checked_api_url(raw: &str) -> Result<Url, GitHubError> {
    checked_endpoint("GITHUB_API_URL", raw).map_err(config_error)
}

fn checked_repository(raw: &str) -> Result<(String, String), GitHubError> {
    let ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    match raw.trim().split_once('/') {
        Some((owner, name)) if ok(owner) && ok(name) => Ok((owner.into(), name.into())),
        _ => Err(config_error(format!(
            "GITHUB_REPOSITORY {raw:?} is not `owner/name`"
        ))),
    }
}

/// GitHub's `message` from an error body, short, redacted and escaped.
fn github_message(body: &str, redactor: &Redactor) -> String {
    let msg = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("message")?.as_str().map(str::to_string))
        .unwrap_or_default();
    let msg = redactor.show_within(&msg, 300);
    if msg.is_empty() {
        String::new()
    } else {
        format!(": {msg}")
    }
}

/// GitHub's rate limits as the HTTP core reads them (a 429, or a 403 that says so).
fn github_rate_limit(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> Option<Option<Duration>> {
    rate_limit_wait(
        status.as_u16(),
        headers,
        &String::from_utf8_lossy(body),
        SystemTime::now(),
    )
    .map(Some)
}

impl Client {
    /// Checks the configuration ([`GitHubError::Config`] says what is wrong); sends nothing.
    pub fn new(config: Config) -> Result<Self, GitHubError> {
        let base = checked_api_url(&config.api_url)?;
        let (owner, name) = checked_repository(&config.repository)?;
        if config.token.expose().trim().is_empty() {
            return Err(config_error("GITHUB_TOKEN is empty"));
        }
        let token = Secret::new(config.token.expose().trim());
        let core = HttpCore::new(
            CoreConfig {
                name: "github",
                user_agent: concat!("cxqueues/", env!("CARGO_PKG_VERSION")).into(),
                request_timeout: config.timeout,
                connect_timeout: DEFAULT_CONNECT_TIMEOUT,
                requests_per_second: REQUESTS_PER_SECOND,
                burst: REQUESTS_PER_SECOND as u32,
                retry: RetryPolicy {
                    max_retry_after: config.max_wait,
                    ..RetryPolicy::new(
                        config.attempts.max(1),
                        Backoff::doubling(Duration::from_secs(1), Duration::from_secs(8))
                            .with_jitter(Jitter::Equal),
                    )
                },
                max_response_bytes: MAX_RESPONSE_BYTES,
                rate_limit: Some(github_rate_limit),
            },
            {
                // The token, also as git sends it (HTTP Basic, `x-access-token:TOKEN`).
                let mut secrets = Redactor::default();
                secrets.add_basic("x-access-token", &token);
                secrets
            },
        )
        .map_err(|e| config_error(e.to_string()))?;
        Ok(Self {
            core: Arc::new(core),
            base,
            owner,
            name,
            token,
            max_wait: config.max_wait,
        })
    }

    /// `owner/name`.
    pub fn repository(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }

    fn url(&self, tail: &str) -> Url {
        let mut url = self.base.clone();
        let path = format!("{}/{tail}", self.base.path().trim_end_matches('/'));
        url.set_path(&path);
        url
    }

    /// A `Link` target, only on the API's own origin: the token is never sent elsewhere.
    fn same_origin(&self, raw: &str) -> Result<Url, GitHubError> {
        let url = Url::parse(raw)
            .map_err(|e| config_error(format!("GitHub's Link header {raw:?} is not a URL: {e}")))?;
        if url.origin() != self.base.origin() {
            return Err(config_error(format!(
                "GitHub's next page is on another host ({}); not sending the token there",
                url.host_str().unwrap_or("none")
            )));
        }
        Ok(url)
    }

    /// The core's own failures in this crate's terms.
    fn http_error(&self, what: &str, error: HttpError) -> GitHubError {
        match error {
            HttpError::Network { host, cause, .. } => GitHubError::Network {
                what: format!("{what} at {host}"),
                reason: cause,
            },
            HttpError::Config(message) => GitHubError::Config(message),
            other => GitHubError::Http {
                what: what.to_string(),
                reason: other.to_string(),
            },
        }
    }

    /// Sends one request through the core (GitHub's rate limits waited out within
    /// `max_wait`, a GET or PATCH repeated after a server error, a POST never: it might have
    /// created the comment); maps a refusal to the error that says what to do.
    async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
        what: &str,
    ) -> Result<(HeaderMap, String), GitHubError> {
        let mut call = Call::new(method, what, url)
            .header(ACCEPT, "application/vnd.github+json")
            .and_then(|c| {
                c.header(
                    HeaderName::from_static("x-github-api-version"),
                    "2022-11-28",
                )
            })
            .map_err(|e| self.http_error(what, e))?;
        if call.method == Method::POST {
            call.repeat = Repeat::Never;
        }
        if let Some(b) = body {
            call = call.json(b).map_err(|e| self.http_error(what, e))?;
        }
        let reply = self
            .core
            .send(&call, Auth::<NoToken>::Bearer(&self.token))
            .await
            .map_err(|e| self.http_error(what, e))?;
        let status = reply.status.as_u16();
        if reply.is_success() {
            let text = String::from_utf8_lossy(&reply.body).into_owned();
            return Ok((reply.headers, text));
        }
        if reply.gave_up().is_some()
            && let Some(Some(wait)) = github_rate_limit(reply.status, &reply.headers, &reply.body)
        {
            return Err(GitHubError::RateLimited {
                what: what.to_string(),
                reason: format!(
                    "answered {status} {} time(s), asking to wait {}s more",
                    reply.attempts(),
                    wait.as_secs()
                ),
                max_wait: self.max_wait,
            });
        }
        Err(self.refusal(&reply, body, what))
    }

    /// The error a refusal stands for.
    fn refusal(&self, reply: &Reply, body: Option<&Value>, what: &str) -> GitHubError {
        let status = reply.status.as_u16();
        let detail = github_message(&String::from_utf8_lossy(&reply.body), reply.redactor());
        match status {
            401 => GitHubError::Unauthorized {
                what: what.to_string(),
            },
            403 | 404 => GitHubError::Forbidden {
                status,
                what: what.to_string(),
                repository: self.repository(),
                detail,
            },
            422 => GitHubError::BodyRejected {
                chars: body
                    .and_then(|b| b.get("body")?.as_str().map(|s| s.chars().count()))
                    .unwrap_or(0),
                detail,
            },
            _ => GitHubError::Status {
                status,
                what: what.to_string(),
                detail,
            },
        }
    }

    fn decode<T: for<'de> Deserialize<'de>>(text: &str, what: &str) -> Result<T, GitHubError> {
        serde_json::from_str(text).map_err(|e| GitHubError::Decode {
            what: what.to_string(),
            reason: e.to_string(),
        })
    }

    fn comments_path(&self, issue: u64) -> String {
        format!("repos/{}/{}/issues/{issue}/comments", self.owner, self.name)
    }

    /// Every comment of an issue or pull request, oldest first: 100 a page, following the
    /// `Link` header's `rel="next"`.
    pub async fn comments(&self, issue: u64) -> Result<Vec<Comment>, GitHubError> {
        let what = format!("GET /{}", self.comments_path(issue));
        let mut url = self.url(&self.comments_path(issue));
        url.query_pairs_mut().append_pair("per_page", "100");
        let mut all = Vec::new();
        for _ in 0..MAX_PAGES {
            let (headers, text) = self.send(Method::GET, url, None, &what).await?;
            all.extend(Self::decode::<Vec<Comment>>(&text, &what)?);
            let next = headers
                .get_all(LINK)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find_map(next_link);
            match next {
                Some(n) => url = self.same_origin(&n)?,
                None => return Ok(all),
            }
        }
        Err(GitHubError::Status {
            status: 200,
            what,
            detail: format!(": more than {MAX_PAGES} pages of comments"),
        })
    }

    fn check_length(body: &str) -> Result<(), GitHubError> {
        let chars = body.chars().count();
        if chars > COMMENT_LIMIT {
            return Err(GitHubError::BodyRejected {
                chars,
                detail: ", not sent".into(),
            });
        }
        Ok(())
    }

    /// `POST /repos/{owner}/{repo}/issues/{n}/comments`.
    pub async fn create_comment(&self, issue: u64, body: &str) -> Result<Comment, GitHubError> {
        Self::check_length(body)?;
        let what = format!("POST /{}", self.comments_path(issue));
        let url = self.url(&self.comments_path(issue));
        let (_, text) = self
            .send(Method::POST, url, Some(&json!({ "body": body })), &what)
            .await?;
        Self::decode(&text, &what)
    }

    /// `PATCH /repos/{owner}/{repo}/issues/comments/{id}`.
    pub async fn update_comment(&self, id: u64, body: &str) -> Result<Comment, GitHubError> {
        Self::check_length(body)?;
        let tail = format!("repos/{}/{}/issues/comments/{id}", self.owner, self.name);
        let what = format!("PATCH /{tail}");
        let (_, text) = self
            .send(
                Method::PATCH,
                self.url(&tail),
                Some(&json!({ "body": body })),
                &what,
            )
            .await?;
        Self::decode(&text, &what)
    }

    /// The token's own identity, the author its comments carry: the `GET /user` login of a
    /// personal token, or [`ACTIONS_BOT`] for the Actions token (which `GET /user` refuses
    /// with 403).
    pub async fn identity(&self) -> Result<String, GitHubError> {
        let what = "GET /user";
        match self.send(Method::GET, self.url("user"), None, what).await {
            Ok((_, text)) => Ok(Self::decode::<User>(&text, what)?.login),
            Err(GitHubError::Forbidden { status: 403, .. }) => Ok(ACTIONS_BOT.to_string()),
            Err(e) => Err(e),
        }
    }

    /// The first comment whose first line is `marker` and whose author is the token's own
    /// identity, if any: a comment by anyone else (a person quoting the marker, another bot)
    /// is never taken for ours. The identity is asked only when a marked comment exists.
    pub async fn find_marked(
        &self,
        issue: u64,
        marker: &str,
    ) -> Result<Option<Comment>, GitHubError> {
        let marked: Vec<Comment> = self
            .comments(issue)
            .await?
            .into_iter()
            .filter(|c| c.is_marked(marker))
            .collect();
        if marked.is_empty() {
            return Ok(None);
        }
        let me = self.identity().await?;
        Ok(marked
            .into_iter()
            .find(|c| c.user.as_ref().is_some_and(|u| u.login == me)))
    }

    /// Updates the comment that `marker` identifies, or creates it: never a second one.
    /// `body` must start with the marker line.
    pub async fn upsert_marked(
        &self,
        issue: u64,
        marker: &str,
        body: &str,
    ) -> Result<Posted, GitHubError> {
        match self.find_marked(issue, marker).await? {
            Some(c) => Ok(Posted {
                action: Upsert::Updated,
                comment: self.update_comment(c.id, body).await?,
            }),
            None => Ok(Posted {
                action: Upsert::Created,
                comment: self.create_comment(issue, body).await?,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str, repo: &str) -> Config {
        Config {
            api_url: url.into(),
            ..Config::new(repo, Secret::new("ghs_tok"))
        }
    }

    #[test]
    fn api_urls_are_https_or_loopback_http_and_repositories_are_owner_slash_name() {
        let cases = [
            ("https://api.github.com", "o/r", true),
            ("https://ghe.example.com/api/v3", "my-org/repo.name", true),
            ("http://127.0.0.1:9000", "o/r", true),
            ("http://localhost:1", "o/r", true),
            ("http://[::1]:9", "o/r", true),
            ("http://api.github.com", "o/r", false),
            ("ftp://api.github.com", "o/r", false),
            ("https://user:pw@api.github.com", "o/r", false),
            ("https://api.github.com?x=1", "o/r", false),
            ("not a url", "o/r", false),
            ("https://api.github.com", "o", false),
            ("https://api.github.com", "o/r/x", false),
            ("https://api.github.com", "/r", false),
            ("https://api.github.com", "o r/x", false),
        ];
        for (url, repo, ok) in cases {
            let got = Client::new(config(url, repo));
            assert_eq!(got.is_ok(), ok, "{url} {repo}: {got:?}");
            if let Err(e) = got {
                assert!(e.is_config(), "{e:?}");
            }
        }
    }

    #[test]
    fn paths_keep_an_enterprise_api_root() {
        let c = Client::new(config("https://ghe.example.com/api/v3/", "o/r")).unwrap();
        assert_eq!(
            c.url(&c.comments_path(7)).as_str(),
            "https://ghe.example.com/api/v3/repos/o/r/issues/7/comments"
        );
    }

    #[test]
    fn a_next_page_on_another_host_is_not_followed() {
        let c = Client::new(config("https://api.github.com", "o/r")).unwrap();
        assert!(c.same_origin("https://api.github.com/x?page=2").is_ok());
        let e = c
            .same_origin("https://evil.example.com/x?page=2")
            .unwrap_err();
        assert!(e.to_string().contains("evil.example.com"), "{e}");
        assert!(c.same_origin("http://api.github.com/x?page=2").is_err());
    }

    #[test]
    fn the_token_shows_in_neither_debug_nor_errors() {
        let c = Client::new(config("https://api.github.com", "o/r")).unwrap();
        assert!(!format!("{c:?}").contains("ghs_tok"));
        let msg = github_message(
            r#"{"message":"bad credentials ghs_tok"}"#,
            c.core.redactor(),
        );
        assert_eq!(msg, ": bad credentials ***");
    }

    #[test]
    fn only_a_first_line_marker_marks_a_comment() {
        let m = "<!-- cxqueues:plan tenant=a -->";
        let c = |b: &str| Comment {
            id: 1,
            body: Some(b.into()),
            html_url: None,
            user: None,
        };
        assert!(c(&format!("{m}\n### plan")).is_marked(m));
        assert!(c(&format!("{m}\r\nx")).is_marked(m));
        assert!(!c(&format!("> {m}\nquoted")).is_marked(m));
        assert!(!c("<!-- cxqueues:plan tenant=ab -->\n").is_marked(m));
        assert!(
            !Comment {
                id: 1,
                body: None,
                html_url: None,
                user: None,
            }
            .is_marked(m)
        );
    }
}
