//! [`HttpCore`]: one request, the same way for every adapter, GitHub and webhook delivery.
//!
//! One attempt goes through these steps:
//! 1. the pacer (the client-side rate limit, shared by every request of the client);
//! 2. the token cache, consulted before **every** attempt (a token that expired while the
//!    request waited is refreshed, never sent again);
//! 3. the request, within the connect and request timeouts, redirects never followed;
//! 4. the answer, its body read within the size cap; then:
//!    - a 3xx is an error ([`HttpError::Redirected`]);
//!    - a 401 to a cached token drops that token and sends once more with a fresh one;
//!    - a 429 waits its `Retry-After` (up to the policy's bound; a longer wait ends the call
//!      at once), or the backoff;
//!    - a 500, 502, 503 or 504, or no answer, backs off and tries again — except for an
//!      [`Repeat::Unsure`] call (a POST), whose outcome is then unknown: the caller gets
//!      [`Outcome::Lost`] and looks the object up before posting again;
//!    - a connection that cannot be made to a host this client never reached is tried once
//!      more, then fails, naming the host and the cause in plain words (no network is not
//!      worth a round of retries);
//!    - anything else is the caller's to map ([`Reply`]).
//!
//! Every server text in a [`Reply`] is shown through its [`Redactor`], which knows the
//! client's secrets and every token in play.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Once};
use std::time::{Duration, SystemTime};

use reqwest::header::{
    ACCEPT, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, LOCATION, RETRY_AFTER,
};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use tokio::time::Instant;
use tracing::{debug, info};

use super::retry::{Failure, GiveUp};
use super::{
    Budget, HttpError, Pacer, Redactor, RetryPolicy, TokenCache, TokenSource, parse_retry_after,
    read_capped,
};
use crate::{ClientStats, Secret, StatsRecorder};

/// How to build one client's core.
#[derive(Clone, Debug)]
pub struct CoreConfig {
    /// The client's name in log lines (`genesys-cloud`).
    pub name: &'static str,
    /// The `User-Agent` sent.
    pub user_agent: String,
    /// How long one request may take, connection and body included.
    pub request_timeout: Duration,
    /// How long making a connection may take (an unroutable host fails after this).
    pub connect_timeout: Duration,
    /// The client-side rate limit.
    pub requests_per_second: f64,
    /// Requests allowed at once before pacing starts (at least 1).
    pub burst: u32,
    /// The retry policy of every call.
    pub retry: RetryPolicy,
    /// The most bytes read from one answer's body.
    pub max_response_bytes: u64,
    /// Which answers are a rate limit, and the wait they ask for (`None`: a 429, waiting its
    /// `Retry-After` or the backoff). GitHub also throttles with some 403s.
    pub rate_limit: Option<RateLimitRule>,
}

/// Whether an answer (status, headers, body) is a rate limit: `Some(wait)` it asks for
/// (`Some(None)`: a rate limit that names no wait), `None` when it is not one.
pub type RateLimitRule = fn(StatusCode, &HeaderMap, &[u8]) -> Option<Option<Duration>>;

/// The default connect timeout: long enough for a slow TLS handshake, short enough that
/// "no network" is said within seconds.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Builds a `reqwest` client the one way every HTTP client of cxqueues is built: no
/// redirects, the timeouts, the user agent and the one rustls crypto provider (ring).
pub fn build_client(
    user_agent: &str,
    request_timeout: Duration,
    connect_timeout: Duration,
) -> Result<reqwest::Client, HttpError> {
    install_crypto_provider();
    reqwest::Client::builder()
        // A redirect could carry a credentials form or a token to another origin, and have
        // us trust its answer: a 3xx is an answer of its own, never followed.
        .redirect(reqwest::redirect::Policy::none())
        .timeout(request_timeout)
        .connect_timeout(connect_timeout.min(request_timeout))
        .user_agent(user_agent)
        .build()
        .map_err(|e| HttpError::Config(format!("cannot build the HTTP client: {e}")))
}

/// Installs ring as the process's rustls crypto provider, unless one is already chosen
/// (reqwest is built without a bundled provider).
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// How often a connection is tried to a host this client never reached before the call
/// fails (a blip is retried once; no network is said at once, not after every retry).
const NEVER_REACHED_ATTEMPTS: u32 = 2;

/// `base` with `segments` appended as path segments (each one percent-encoded: an id with a
/// `/` stays one segment); a base that cannot take a path is returned as is.
pub fn with_path(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

/// What a request carries.
#[derive(Clone, Debug)]
pub enum Body<'a> {
    Empty,
    /// A JSON document (sent with `Content-Type: application/json`).
    Json(Vec<u8>),
    /// An `application/x-www-form-urlencoded` form (it may hold secrets: never logged).
    Form(Vec<(&'a str, &'a str)>),
}

/// Whether a call may be sent again after a failure that may have been applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Repeat {
    /// Safe to send again (GET, a PUT of a whole object, a conditional write, DELETE, a
    /// token request).
    Safe,
    /// A POST whose outcome is unknown after a 5xx or a lost answer: never sent again
    /// blindly ([`Outcome::Lost`], after the backoff, for the caller to look the object up).
    Unsure,
    /// A POST the caller cannot look up: a 5xx comes back as the answer at once, a lost answer
    /// as an error at once (throttling and refused connections are still retried: nothing
    /// was applied).
    Never,
}

/// One request, as the core sends it (and sends again).
#[derive(Clone, Debug)]
pub struct Call<'a> {
    pub method: Method,
    /// The label of stats and log lines (`GET /api/v2/routing/queues/{id}`).
    pub endpoint: &'a str,
    pub url: Url,
    pub body: Body<'a>,
    /// Extra headers (`If-Match`, an `Accept` of its own).
    pub headers: HeaderMap,
    /// HTTP Basic credentials (a token request's client authentication).
    pub basic: Option<(&'a str, &'a Secret)>,
    pub repeat: Repeat,
    /// Whether this is a token request (counted apart in the stats).
    pub token_request: bool,
}

impl<'a> Call<'a> {
    /// A `method` call of `url`, safe to repeat, with no body.
    pub fn new(method: Method, endpoint: &'a str, url: Url) -> Self {
        let repeat = if method == Method::POST {
            Repeat::Unsure
        } else {
            Repeat::Safe
        };
        Self {
            method,
            endpoint,
            url,
            body: Body::Empty,
            headers: HeaderMap::new(),
            basic: None,
            repeat,
            token_request: false,
        }
    }

    /// With `value` as its JSON body.
    pub fn json(mut self, value: &impl serde::Serialize) -> Result<Self, HttpError> {
        let bytes = serde_json::to_vec(value).map_err(|e| {
            HttpError::Config(format!(
                "the body of {} cannot be encoded: {e}",
                self.endpoint
            ))
        })?;
        self.body = Body::Json(bytes);
        Ok(self)
    }

    /// With `form` as its body.
    pub fn form(mut self, form: Vec<(&'a str, &'a str)>) -> Self {
        self.body = Body::Form(form);
        self
    }

    /// With one more header (a value that is not a valid header value is an error).
    pub fn header(mut self, name: HeaderName, value: &str) -> Result<Self, HttpError> {
        let value = HeaderValue::from_str(value).map_err(|_| {
            HttpError::Config(format!(
                "the {name} header of {} cannot be sent",
                self.endpoint
            ))
        })?;
        self.headers.insert(name, value);
        Ok(self)
    }

    /// A token request authenticated with HTTP Basic `id:secret`; safe to repeat.
    pub fn token_request(mut self, id: &'a str, secret: &'a Secret) -> Self {
        self.basic = Some((id, secret));
        self.token_request = true;
        self.repeat = Repeat::Safe;
        self
    }

    /// A token request without HTTP Basic (the secret is in the form); safe to repeat.
    pub fn token_form(mut self) -> Self {
        self.token_request = true;
        self.repeat = Repeat::Safe;
        self
    }

    /// Safe to repeat, whatever its method (a POST that cannot apply twice).
    pub fn safe(mut self) -> Self {
        self.repeat = Repeat::Safe;
        self
    }

    /// Where the call goes, as an origin (no path, no query: for messages).
    pub fn host(&self) -> String {
        // The origin (`https://api.example.com`, `http://127.0.0.1:8080`): the base URL the
        // user configured, without path, credentials or query.
        match self.url.origin() {
            url::Origin::Tuple(..) => self.url.origin().ascii_serialization(),
            url::Origin::Opaque(_) => self.url.host_str().unwrap_or("(no host)").to_owned(),
        }
    }
}

/// How a call is authorised.
#[derive(Debug)]
pub enum Auth<'a, S: TokenSource> {
    /// No `Authorization` header (or only the call's HTTP Basic).
    None,
    /// A fixed bearer token (a GitHub token).
    Bearer(&'a Secret),
    /// A token from the cache, filled by `S` as needed, asked for before every attempt.
    Token(&'a TokenCache<S::Error>, &'a S),
}

impl<S: TokenSource> Clone for Auth<'_, S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S: TokenSource> Copy for Auth<'_, S> {}

/// The token source of calls that need none (its `Auth` is never `Token`).
#[derive(Debug)]
pub enum NoToken {}

impl TokenSource for NoToken {
    type Error = HttpError;

    async fn fetch_token(&self) -> Result<super::Issued, HttpError> {
        match *self {}
    }
}

/// An answer the core did not retry (or no longer retries), for the caller to map.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// The body, at most the client's `max_response_bytes`.
    pub body: Vec<u8>,
    redactor: Redactor,
    attempts: u32,
    gave_up: Option<String>,
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reply")
            .field("status", &self.status)
            .field("body", &self.show_body())
            .field("attempts", &self.attempts)
            .field("gave_up", &self.gave_up)
            .finish_non_exhaustive()
    }
}

impl Reply {
    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }

    /// The `Retry-After` the server sent, read (not capped).
    pub fn retry_after(&self) -> Option<Duration> {
        let value = self.headers.get(RETRY_AFTER)?.to_str().ok()?;
        parse_retry_after(value, SystemTime::now())
    }

    /// Server text from this answer, as it may be shown (see [`Redactor::show`]).
    pub fn show(&self, text: &str) -> String {
        self.redactor.show(text)
    }

    /// The body, as it may be shown.
    pub fn show_body(&self) -> String {
        self.redactor.show_body(&self.body)
    }

    /// The redactor of this answer: the client's secrets and the tokens in play.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// The body as `T`; `Err` says why in words that may be shown.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, String> {
        serde_json::from_slice(&self.body).map_err(|e| self.show(&e.to_string()))
    }

    /// Tries it took (the re-send after a refused token not counted).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// When this is a retryable answer (429, 5xx) that the core stopped retrying: why, in
    /// words (`gave up after 6 attempts`, `it asks to wait 600 s, more than the 180 s this
    /// client waits`).
    pub fn gave_up(&self) -> Option<&str> {
        self.gave_up.as_deref()
    }

    /// `HTTP 503 from GET /x: <the body, shown>`, for logs and messages.
    pub fn describe(&self, endpoint: &str) -> String {
        format!(
            "HTTP {} from {endpoint}: {}",
            self.status.as_u16(),
            self.show_body()
        )
    }
}

/// How [`HttpCore::execute`] ended without an error.
#[derive(Debug)]
pub enum Outcome {
    /// An answer that is not retried here (2xx, or a status the caller maps).
    Reply(Reply),
    /// (Unsure calls only) the outcome is unknown and the backoff has been waited: look the
    /// object up before sending again (with the same budget).
    Lost(String),
}

/// One try's failure to get an answer.
enum SendError {
    TooLarge,
    Transport {
        error: reqwest::Error,
        /// No connection was made (nothing was sent).
        connect: bool,
    },
}

/// The HTTP core of one client. Adapters hold it (usually in an `Arc`); it is `Sync`.
pub struct HttpCore {
    name: &'static str,
    http: reqwest::Client,
    pacer: Pacer,
    retry: RetryPolicy,
    max_response_bytes: u64,
    rate_limit: Option<RateLimitRule>,
    request_timeout: Duration,
    connect_timeout: Duration,
    /// The client's own secrets (client secrets, access keys, a GitHub token).
    secrets: Redactor,
    stats: StatsRecorder,
    /// Whether any answer has come back yet (a connection failure before that is "no
    /// network" and fails at once).
    reached: AtomicBool,
}

impl std::fmt::Debug for HttpCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpCore")
            .field("name", &self.name)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl HttpCore {
    /// The core of one client; `secrets` is what its redactor knows from the start (the
    /// configured secrets; tokens join as they are issued).
    pub fn new(config: CoreConfig, secrets: Redactor) -> Result<Self, HttpError> {
        if !(config.requests_per_second.is_finite() && config.requests_per_second > 0.0) {
            return Err(HttpError::Config(format!(
                "requests per second is {}: it must be a positive number",
                config.requests_per_second
            )));
        }
        if config.request_timeout.is_zero() {
            return Err(HttpError::Config(
                "the request timeout is zero: every request would time out".into(),
            ));
        }
        let http = build_client(
            &config.user_agent,
            config.request_timeout,
            config.connect_timeout,
        )?;
        Ok(Self {
            name: config.name,
            http,
            pacer: Pacer::new(config.requests_per_second, config.burst),
            retry: config.retry,
            max_response_bytes: config.max_response_bytes,
            rate_limit: config.rate_limit,
            request_timeout: config.request_timeout,
            connect_timeout: config.connect_timeout.min(config.request_timeout),
            secrets,
            stats: StatsRecorder::default(),
            reached: AtomicBool::new(false),
        })
    }

    /// What this client has sent so far.
    pub fn stats(&self) -> ClientStats {
        self.stats.snapshot()
    }

    /// The live counters (for what an adapter counts itself: look-ups after a lost create).
    pub fn recorder(&self) -> &StatsRecorder {
        &self.stats
    }

    /// The retry policy of every call.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// A fresh retry budget for one logical call.
    pub fn budget(&self) -> Budget {
        Budget::new(&self.retry)
    }

    /// The redactor of the client's own secrets.
    pub fn redactor(&self) -> &Redactor {
        &self.secrets
    }

    /// Sends a call that needs no token until it gets an answer that is not retried here.
    pub async fn send_plain(&self, call: &Call<'_>) -> Result<Reply, HttpError> {
        self.send(call, Auth::<NoToken>::None).await
    }

    /// Sends `call` (with a fresh budget) until it gets an answer that is not retried here.
    /// An unsure call whose outcome stays unknown is an error here; use
    /// [`HttpCore::execute`] to look the object up instead.
    pub async fn send<S: TokenSource>(
        &self,
        call: &Call<'_>,
        auth: Auth<'_, S>,
    ) -> Result<Reply, S::Error> {
        let mut budget = self.budget();
        match self.execute(call, &mut budget, auth).await? {
            Outcome::Reply(reply) => Ok(reply),
            Outcome::Lost(reason) => Err(HttpError::Network {
                host: call.host(),
                endpoint: call.endpoint.to_owned(),
                cause: format!("the outcome is unknown: {reason}"),
                attempts: budget.attempts(),
                source: None,
            }
            .into()),
        }
    }

    /// Sends `call` within `budget` until it gets an answer that is not retried here.
    pub async fn execute<S: TokenSource>(
        &self,
        call: &Call<'_>,
        budget: &mut Budget,
        auth: Auth<'_, S>,
    ) -> Result<Outcome, S::Error> {
        let mut reauthorized = false;
        loop {
            let waited = self.pacer.ready().await;
            if !waited.is_zero() {
                self.stats.rate_limited(waited);
            }
            let bearer = match auth {
                Auth::None => None,
                Auth::Bearer(token) => Some(token.clone()),
                Auth::Token(cache, source) => Some(cache.bearer(source).await?),
            };
            budget.sent();
            let attempt = budget.attempts();
            let redactor = || {
                let mut redactor = self.secrets.clone();
                if let Some(token) = &bearer {
                    redactor.add(token);
                }
                if let Auth::Token(cache, _) = auth {
                    for token in cache.in_play() {
                        redactor.add(&token);
                    }
                }
                redactor
            };
            let (failure, reply) = match self.send_once(call, bearer.as_ref(), attempt).await {
                Ok((status, headers, body)) => {
                    let reply = Reply {
                        status,
                        headers,
                        body,
                        redactor: redactor(),
                        attempts: attempt,
                        gave_up: None,
                    };
                    match status.as_u16() {
                        300..=399 => {
                            let location = reply.redactor.show_location(
                                reply.headers.get(LOCATION).map(HeaderValue::as_bytes),
                                &call.url,
                            );
                            return Err(HttpError::Redirected {
                                endpoint: call.endpoint.to_owned(),
                                status: status.as_u16(),
                                location,
                            }
                            .into());
                        }
                        401 if !reauthorized && matches!(auth, Auth::Token(..)) => {
                            // The re-send with a new token is not a retry: it is free once.
                            budget.unsent();
                            reauthorized = true;
                            if let (Auth::Token(cache, _), Some(token)) = (auth, &bearer) {
                                cache.rejected(token);
                            }
                            self.stats.token_invalidated();
                            debug!(
                                client = self.name,
                                endpoint = call.endpoint,
                                "401: fetching a new token and sending once more"
                            );
                            continue;
                        }
                        _ => {}
                    }
                    let throttled = match self.rate_limit {
                        Some(rule) => rule(status, &reply.headers, &reply.body),
                        None => {
                            (status == StatusCode::TOO_MANY_REQUESTS).then(|| reply.retry_after())
                        }
                    };
                    match (throttled, status.as_u16()) {
                        (Some(retry_after), _) => (
                            Failure {
                                reason: reply.describe(call.endpoint),
                                retry_after,
                                maybe_applied: false,
                            },
                            reply,
                        ),
                        (None, 500 | 502 | 503 | 504) if call.repeat != Repeat::Never => (
                            Failure {
                                reason: reply.describe(call.endpoint),
                                retry_after: reply.retry_after(),
                                maybe_applied: true,
                            },
                            reply,
                        ),
                        _ => return Ok(Outcome::Reply(reply)),
                    }
                }
                Err(SendError::TooLarge) => {
                    return Err(HttpError::TooLarge {
                        endpoint: call.endpoint.to_owned(),
                        limit: self.max_response_bytes,
                    }
                    .into());
                }
                Err(SendError::Transport { error, connect }) => {
                    let cause = self.secrets.show(&plain_cause(
                        &error,
                        self.connect_timeout,
                        self.request_timeout,
                    ));
                    let network = |attempts: u32, why: Option<String>| HttpError::Network {
                        host: call.host(),
                        endpoint: call.endpoint.to_owned(),
                        cause: match &why {
                            Some(why) => format!("{cause}; {why}"),
                            None => cause.clone(),
                        },
                        attempts,
                        source: None,
                    };
                    if connect
                        && attempt >= NEVER_REACHED_ATTEMPTS
                        && !self.reached.load(Ordering::Relaxed)
                    {
                        // Never reached: no network, a wrong host, nothing listening. Say so
                        // now rather than after a round of retries.
                        let mut error_out = network(attempt, None);
                        if let HttpError::Network { source, .. } = &mut error_out {
                            *source = Some(Arc::new(error));
                        }
                        return Err(error_out.into());
                    }
                    if !connect && call.repeat == Repeat::Never {
                        // It may have been applied, and the caller cannot look it up.
                        let mut error_out = network(attempt, None);
                        if let HttpError::Network { source, .. } = &mut error_out {
                            *source = Some(Arc::new(error));
                        }
                        return Err(error_out.into());
                    }
                    let failure = Failure {
                        reason: format!("no answer from {}: {cause}", call.host()),
                        retry_after: None,
                        maybe_applied: !connect,
                    };
                    match budget.next_delay(&failure) {
                        Ok(delay) => {
                            self.wait_to_retry(call, &failure, delay).await;
                            if failure.maybe_applied && call.repeat == Repeat::Unsure {
                                return Ok(Outcome::Lost(failure.reason));
                            }
                            continue;
                        }
                        Err(GiveUp::Spent(_) | GiveUp::TooLong(_)) => {
                            let mut error_out = network(budget.attempts(), None);
                            if let HttpError::Network { source, .. } = &mut error_out {
                                *source = Some(Arc::new(error));
                            }
                            return Err(error_out.into());
                        }
                    }
                }
            };
            let mut reply = reply;
            match budget.next_delay(&failure) {
                Ok(delay) => {
                    self.wait_to_retry(call, &failure, delay).await;
                    if failure.maybe_applied && call.repeat == Repeat::Unsure {
                        return Ok(Outcome::Lost(failure.reason));
                    }
                }
                Err(GiveUp::TooLong(wait)) => {
                    reply.gave_up = Some(format!(
                        "it asks to wait {} s, more than the {} s this client waits",
                        wait.as_secs(),
                        self.retry.max_retry_after.as_secs()
                    ));
                    return Ok(Outcome::Reply(reply));
                }
                Err(GiveUp::Spent(why)) => {
                    reply.gave_up = Some(why);
                    return Ok(Outcome::Reply(reply));
                }
            }
        }
    }

    async fn wait_to_retry(&self, call: &Call<'_>, failure: &Failure, delay: Duration) {
        self.stats.retry(call.endpoint);
        if failure.retry_after.is_some() {
            let wait = if delay.subsec_nanos() == 0 {
                format!("{}s", delay.as_secs())
            } else {
                format!("{:.1}s", delay.as_secs_f64())
            };
            info!(
                client = self.name,
                endpoint = call.endpoint,
                "the server rate-limits {}: waiting {wait} as it asks",
                call.endpoint
            );
        }
        debug!(
            client = self.name,
            endpoint = call.endpoint,
            delay_ms = delay.as_millis() as u64,
            reason = %failure.reason,
            "retrying"
        );
        tokio::time::sleep(delay).await;
    }

    /// Sends one try and reads the answer, at most `max_response_bytes` of it.
    async fn send_once(
        &self,
        call: &Call<'_>,
        bearer: Option<&Secret>,
        attempt: u32,
    ) -> Result<(StatusCode, HeaderMap, Vec<u8>), SendError> {
        let mut request = self.http.request(call.method.clone(), call.url.clone());
        if !call.headers.contains_key(ACCEPT) {
            request = request.header(ACCEPT, "application/json");
        }
        request = request.headers(call.headers.clone());
        if let Some(token) = bearer {
            request = request.bearer_auth(token.expose());
        }
        if let Some((id, secret)) = call.basic {
            request = request.basic_auth(id, Some(secret.expose()));
        }
        request = match &call.body {
            Body::Empty => request,
            Body::Json(bytes) => request
                .header(CONTENT_TYPE, "application/json")
                .body(bytes.clone()),
            Body::Form(form) => request.form(form),
        };
        let started = Instant::now();
        let result = async {
            let response = request.send().await.map_err(|error| SendError::Transport {
                connect: error.is_connect(),
                error: error.without_url(),
            })?;
            let status = response.status();
            let headers = response.headers().clone();
            let body = read_capped(response, self.max_response_bytes)
                .await
                .map_err(|e| match e {
                    super::BodyError::TooLarge { .. } => SendError::TooLarge,
                    super::BodyError::Transport(error) => SendError::Transport {
                        error,
                        connect: false,
                    },
                })?;
            Ok((status, headers, body))
        }
        .await;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match &result {
            Ok((status, _, _)) => {
                self.reached.store(true, Ordering::Relaxed);
                self.stats
                    .request(call.endpoint, Some(status.as_u16()), call.token_request);
                debug!(
                    client = self.name,
                    endpoint = call.endpoint,
                    path = call.url.path(),
                    status = status.as_u16(),
                    attempt,
                    elapsed_ms,
                    "request"
                );
            }
            Err(failed) => {
                self.stats.request(call.endpoint, None, call.token_request);
                let reason = match failed {
                    SendError::TooLarge => format!(
                        "the answer is larger than {} bytes",
                        self.max_response_bytes
                    ),
                    SendError::Transport { error, .. } => self.secrets.show(&plain_cause(
                        error,
                        self.connect_timeout,
                        self.request_timeout,
                    )),
                };
                debug!(
                    client = self.name,
                    endpoint = call.endpoint,
                    path = call.url.path(),
                    attempt,
                    elapsed_ms,
                    reason = %reason,
                    "request failed"
                );
            }
        }
        result
    }
}

/// A transport failure in plain words, without the URL or any header: `connection refused`,
/// `the host name could not be resolved (DNS): …`, `no connection within 5.0 s`. (Pass an
/// error whose URL was removed, `reqwest::Error::without_url`.)
pub fn plain_cause(error: &reqwest::Error, connect_timeout: Duration, timeout: Duration) -> String {
    use std::io::ErrorKind;
    let mut chain: Vec<String> = Vec::new();
    let mut io_kind = None;
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            io_kind.get_or_insert(io.kind());
        }
        chain.push(cause.to_string());
        source = cause.source();
    }
    let text = chain.join(": ");
    let innermost = chain.last().cloned().unwrap_or_default();
    if text.contains("dns error") || text.contains("failed to lookup address") {
        return format!("the host name could not be resolved (DNS): {innermost}");
    }
    let said = match io_kind {
        Some(ErrorKind::ConnectionRefused) => Some("connection refused (nothing listens there)"),
        Some(ErrorKind::ConnectionReset) => Some("the connection was reset"),
        Some(ErrorKind::ConnectionAborted) => Some("the connection was aborted"),
        Some(ErrorKind::HostUnreachable) => Some("the host is unreachable"),
        Some(ErrorKind::NetworkUnreachable) => Some("the network is unreachable (no route)"),
        Some(ErrorKind::NetworkDown) => Some("the network is down"),
        Some(ErrorKind::AddrNotAvailable) => Some("the address is not available"),
        Some(ErrorKind::UnexpectedEof) => Some("the connection closed before the answer ended"),
        _ => None,
    };
    if let Some(said) = said {
        return said.to_owned();
    }
    if error.is_timeout() || io_kind == Some(ErrorKind::TimedOut) {
        return if error.is_connect() {
            format!(
                "no connection within {:.1} s (the host may be unreachable)",
                connect_timeout.as_secs_f64()
            )
        } else {
            format!("no answer within {:.1} s", timeout.as_secs_f64())
        };
    }
    let without_url = chain
        .iter()
        .filter(|part| !part.is_empty())
        .cloned()
        .collect::<Vec<_>>();
    let mut deduped: Vec<String> = Vec::new();
    for part in without_url {
        if !deduped.iter().any(|seen| seen.contains(&part)) {
            deduped.push(part);
        }
    }
    deduped.join(": ")
}
