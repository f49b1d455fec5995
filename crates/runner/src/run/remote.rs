//! Following a remote repository (`run --git-url`): a bare clone in the state directory,
//! fetched every `--poll` and at once on a signed GitHub push (see [`super::hook`]).
//!
//! - The branch is fetched with a forced refspec into the clone's own `refs/heads/<branch>`,
//!   so [`super::git::GitSource`] reads it as it reads a checkout. A fetch that fails
//!   (network, auth, a vanished branch) leaves the ref where it was: the last good commit stays
//!   applied, the fetch is tried again after a doubling backoff, and `/status` and `/metrics`
//!   show the failure.
//! - A new head that does not descend from the old one is a rewritten history (a force-push):
//!   it is followed like any commit and logged as such.
//! - Transports: `https://` (a token from `CXQUEUES_GIT_TOKEN` or `CXQUEUES_GIT_TOKEN_FILE`,
//!   user `x-access-token` unless `CXQUEUES_GIT_USER`), `http://` to loopback only, `ssh://`
//!   and the scp form `user@host:path` (key from `CXQUEUES_GIT_SSH_KEY_FILE`, host keys from the
//!   file `CXQUEUES_GIT_KNOWN_HOSTS`: no known host key, no connection), and `file://`.
//! - A URL that carries a password or token is refused (the credential belongs in the
//!   environment); every URL shown (logs, `/status`, errors) is the one without userinfo.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use git2::{
    AutotagOption, CertificateCheckStatus, Cred, CredentialType, FetchOptions, PushOptions,
    RemoteCallbacks, Repository,
};
use serde::Serialize;
use tenant::{Backoff, Secret};
use tokio::sync::{Notify, mpsc, watch};
use tracing::{info, warn};
use url::Url;

use super::metrics::Metrics;
use super::status::{RemoteStatus, SharedStatus};
use super::{Trigger, rfc3339};

/// The folder of the bare clone inside the state directory.
pub const CLONE_DIR: &str = "remote.git";
/// The https user name with a token, unless `CXQUEUES_GIT_USER` says otherwise (GitHub's
/// convention for app and Actions tokens; GitLab and Bitbucket accept any name with a token).
pub const TOKEN_USER: &str = "x-access-token";

/// What can go wrong following a remote.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error("--git-url {shown}: {reason}")]
    BadUrl { shown: String, reason: String },
    #[error("{0}")]
    Credentials(String),
    #[error("fetching {shown}: {message}")]
    Fetch { shown: String, message: String },
    #[error(
        "the branch {branch:?} is not on {shown}{}",
        if branches.is_empty() { String::new() } else { format!(" (its branches: {})", branches.join(", ")) }
    )]
    NoSuchBranch {
        shown: String,
        branch: String,
        branches: Vec<String>,
    },
    #[error("the clone in {}: {message}", dir.display())]
    Clone { dir: PathBuf, message: String },
    #[error("pushing {branch} to {shown}: {message}")]
    Push {
        shown: String,
        branch: String,
        message: String,
    },
}

/// How the remote is reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    Https,
    /// Plain http, to a loopback host only.
    Http,
    Ssh,
    File,
}

/// A remote URL, checked: where it points, and how it may be shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteUrl {
    /// What libgit2 is given (never holds a credential: those are refused).
    url: String,
    /// The URL without userinfo, for logs, `/status` and errors.
    pub shown: String,
    pub transport: Transport,
    /// The ssh host and port, for the known-hosts check.
    ssh_host: Option<(String, u16)>,
    /// The ssh user named in the URL (`git` when none).
    ssh_user: Option<String>,
}

impl RemoteUrl {
    /// Checks `raw`: a scheme this runner follows, and no credential inside.
    pub fn parse(raw: &str) -> Result<Self, RemoteError> {
        let raw = raw.trim();
        let bad = |shown: &str, reason: &str| RemoteError::BadUrl {
            shown: shown.to_string(),
            reason: reason.to_string(),
        };
        if let Some((scheme, _)) = raw.split_once("://") {
            let parsed = Url::parse(raw).map_err(|e| bad(&strip_userinfo(raw), &e.to_string()))?;
            let mut shown_url = parsed.clone();
            let _ = shown_url.set_username("");
            let _ = shown_url.set_password(None);
            let shown = shown_url.to_string();
            if parsed.password().is_some() {
                return Err(bad(
                    &shown,
                    "the URL holds a password or token: remove it and set CXQUEUES_GIT_TOKEN (or CXQUEUES_GIT_TOKEN_FILE) instead",
                ));
            }
            let transport = match scheme.to_ascii_lowercase().as_str() {
                "https" => Transport::Https,
                "http" if tenant::endpoint::is_loopback(&parsed) => Transport::Http,
                "http" => {
                    return Err(bad(
                        &shown,
                        "plain http:// is followed only on this machine (loopback): use https://",
                    ));
                }
                "ssh" => Transport::Ssh,
                "file" => Transport::File,
                other => {
                    return Err(bad(
                        &shown,
                        &format!(
                            "the scheme {other:?} is not followed: use https://, ssh:// (or user@host:path) or file://"
                        ),
                    ));
                }
            };
            if matches!(transport, Transport::Https | Transport::Http)
                && !parsed.username().is_empty()
            {
                return Err(bad(
                    &shown,
                    "the URL names a user: remove it (set CXQUEUES_GIT_USER if the server wants a name other than x-access-token)",
                ));
            }
            let (ssh_host, ssh_user) = if transport == Transport::Ssh {
                let host = parsed
                    .host_str()
                    .ok_or_else(|| bad(&shown, "no host"))?
                    .to_string();
                let user = (!parsed.username().is_empty()).then(|| parsed.username().to_string());
                (Some((host, parsed.port().unwrap_or(22))), user)
            } else {
                (None, None)
            };
            let shown = if transport == Transport::Ssh {
                // The ssh user is no secret, and the server needs it.
                raw.to_string()
            } else {
                shown
            };
            return Ok(Self {
                url: raw.to_string(),
                shown,
                transport,
                ssh_host,
                ssh_user,
            });
        }
        // The scp form: [user@]host:path (no scheme, a colon before any slash).
        if let Some((before, path)) = raw.split_once(':')
            && !before.contains('/')
            && !before.is_empty()
            && !path.is_empty()
        {
            let (user, host) = match before.rsplit_once('@') {
                Some((u, h)) => (Some(u.to_string()), h.to_string()),
                None => (None, before.to_string()),
            };
            if host.is_empty() || user.as_deref().is_some_and(|u| u.contains(':')) {
                return Err(bad("(an scp-form URL)", "write user@host:path"));
            }
            return Ok(Self {
                url: raw.to_string(),
                shown: raw.to_string(),
                transport: Transport::Ssh,
                ssh_host: Some((host, 22)),
                ssh_user: user,
            });
        }
        Err(bad(
            &strip_userinfo(raw),
            "not a URL: use https://host/path, ssh://host/path, user@host:path or file:///path",
        ))
    }
}

/// `raw` without anything between `://` and an `@` (for an error about an unparsable URL).
fn strip_userinfo(raw: &str) -> String {
    match raw.split_once("://") {
        Some((scheme, rest)) => {
            let host_start = rest.find('/').unwrap_or(rest.len());
            match rest[..host_start].rfind('@') {
                Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
                None => raw.to_string(),
            }
        }
        None => raw.to_string(),
    }
}

/// The host names of a known-hosts line.
#[derive(Clone, Debug, PartialEq, Eq)]
enum HostNames {
    /// In clear, lower case (`github.com`, `[git.example.com]:2222`).
    Plain(Vec<String>),
    /// Hashed (`|1|salt|hash`, `ssh-keyscan -H` or `HashKnownHosts yes`): the HMAC-SHA1 of the
    /// name under the salt.
    Hashed { salt: Vec<u8>, hash: Vec<u8> },
}

impl HostNames {
    /// Reads `|1|base64(salt)|base64(hash)`; `None` for anything else.
    fn hashed(field: &str) -> Option<Self> {
        let b64 = &base64::engine::general_purpose::STANDARD;
        let rest = field.strip_prefix("|1|")?;
        let (salt, hash) = rest.split_once('|')?;
        Some(Self::Hashed {
            salt: b64.decode(salt).ok()?,
            hash: b64.decode(hash).ok()?,
        })
    }

    fn matches(&self, name: &str) -> bool {
        use hmac::Mac as _;
        match self {
            HostNames::Plain(hosts) => hosts.iter().any(|h| h == name),
            HostNames::Hashed { salt, hash } => hmac::Hmac::<sha1::Sha1>::new_from_slice(salt)
                .map(|mac| mac.chain_update(name.as_bytes()).verify_slice(hash).is_ok())
                .unwrap_or(false),
        }
    }
}

/// One line of a known-hosts file: the host names, the key type and the key.
#[derive(Clone, Debug, PartialEq, Eq)]
struct KnownHost {
    hosts: HostNames,
    key_type: String,
    key: Vec<u8>,
    revoked: bool,
}

/// The host keys the runner trusts (`CXQUEUES_GIT_KNOWN_HOSTS`, OpenSSH's format, as
/// `ssh-keyscan` prints it, host names in clear or hashed).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KnownHosts {
    entries: Vec<KnownHost>,
}

impl KnownHosts {
    pub fn parse(text: &str) -> Self {
        let mut entries = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut fields = line.split_whitespace();
            let mut first = fields.next().unwrap_or_default();
            let mut revoked = false;
            if first.starts_with('@') {
                // @cert-authority lines are not used; @revoked keys are refused.
                if first != "@revoked" {
                    continue;
                }
                revoked = true;
                first = fields.next().unwrap_or_default();
            }
            let (Some(key_type), Some(key)) = (fields.next(), fields.next()) else {
                continue;
            };
            let Ok(key) = base64::engine::general_purpose::STANDARD.decode(key) else {
                continue;
            };
            let hosts = if first.starts_with('|') {
                match HostNames::hashed(first) {
                    Some(h) => h,
                    None => continue,
                }
            } else {
                HostNames::Plain(first.split(',').map(str::to_ascii_lowercase).collect())
            };
            entries.push(KnownHost {
                hosts,
                key_type: key_type.to_string(),
                key,
                revoked,
            });
        }
        Self { entries }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether `key` of type `key_type` is `host`'s (at `port`) and not revoked.
    pub fn trusts(&self, host: &str, port: u16, key_type: &str, key: &[u8]) -> bool {
        let host = host.to_ascii_lowercase();
        let name = if port == 22 {
            host.clone()
        } else {
            format!("[{host}]:{port}")
        };
        let same_key = |e: &&KnownHost| e.key_type == key_type && e.key == key;
        if self.entries.iter().filter(same_key).any(|e| e.revoked) {
            return false;
        }
        self.entries
            .iter()
            .filter(|e| !e.revoked)
            .filter(same_key)
            .any(|e| e.hosts.matches(&name))
    }
}

/// The credentials of the remote, from the environment. `Debug` shows none of them.
#[derive(Clone, Debug, Default)]
pub struct GitAuth {
    token: Option<Secret>,
    user: Option<String>,
    ssh_key: Option<PathBuf>,
    known_hosts: Option<KnownHosts>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl GitAuth {
    /// Reads what `transport` needs: an optional token for http(s); a key and known hosts for
    /// ssh (both required); nothing for `file://`.
    pub fn from_env(transport: Transport) -> Result<Self, RemoteError> {
        let cred = RemoteError::Credentials;
        match transport {
            Transport::File => Ok(Self::default()),
            Transport::Https | Transport::Http => {
                let token = match (env("CXQUEUES_GIT_TOKEN"), env("CXQUEUES_GIT_TOKEN_FILE")) {
                    (Some(t), _) => Some(Secret::new(t.trim().to_string())),
                    (None, Some(path)) => {
                        let text = std::fs::read_to_string(&path).map_err(|e| {
                            cred(format!(
                                "CXQUEUES_GIT_TOKEN_FILE {path}: cannot read it: {e}"
                            ))
                        })?;
                        Some(Secret::new(text.trim().to_string()))
                    }
                    (None, None) => None,
                };
                Ok(Self {
                    token,
                    user: env("CXQUEUES_GIT_USER"),
                    ..Self::default()
                })
            }
            Transport::Ssh => {
                let key = env("CXQUEUES_GIT_SSH_KEY_FILE").ok_or_else(|| {
                    cred("an ssh remote needs CXQUEUES_GIT_SSH_KEY_FILE: the path of the private key (a deploy key)".into())
                })?;
                if !Path::new(&key).is_file() {
                    return Err(cred(format!(
                        "CXQUEUES_GIT_SSH_KEY_FILE {key}: no such file"
                    )));
                }
                let hosts = env("CXQUEUES_GIT_KNOWN_HOSTS").ok_or_else(|| {
                    cred("an ssh remote needs CXQUEUES_GIT_KNOWN_HOSTS: the path of a known_hosts file with the server's host key (ssh-keyscan HOST > known_hosts); without it no connection is made".into())
                })?;
                let text = std::fs::read_to_string(&hosts).map_err(|e| {
                    cred(format!(
                        "CXQUEUES_GIT_KNOWN_HOSTS {hosts}: cannot read it: {e}"
                    ))
                })?;
                let known = KnownHosts::parse(&text);
                if known.is_empty() {
                    return Err(cred(format!(
                        "CXQUEUES_GIT_KNOWN_HOSTS {hosts}: no host key in it (write it with ssh-keyscan HOST > known_hosts)"
                    )));
                }
                Ok(Self {
                    ssh_key: Some(PathBuf::from(key)),
                    known_hosts: Some(known),
                    ..Self::default()
                })
            }
        }
    }
}

/// The trailer of a proposal's commit message that names the followed branch it was made on:
/// a remote optimize branch is replaced only by proposals on the same followed branch
/// ([`Remote::push_branch`]).
pub const FOLLOWED_TRAILER: &str = "Cxqueues-Followed-Branch";

/// What a fetch found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fetched {
    /// The branch's commit before and after.
    pub before: Option<String>,
    pub after: String,
    /// The new head does not descend from the old one (a force-push).
    pub rewritten: bool,
}

/// A remote repository and its bare clone.
#[derive(Debug)]
pub struct Remote {
    url: RemoteUrl,
    auth: GitAuth,
    branch: String,
    dir: PathBuf,
    /// Fetches that failed, in a row.
    failures: AtomicU64,
}

impl Remote {
    /// Opens (or creates) the bare clone `<state_dir>/remote.git` for `url`'s `branch`.
    pub fn open(
        url: RemoteUrl,
        auth: GitAuth,
        branch: &str,
        state_dir: &Path,
    ) -> Result<Self, RemoteError> {
        let dir = state_dir.join(CLONE_DIR);
        let clone_err = |e: git2::Error| RemoteError::Clone {
            dir: dir.clone(),
            message: e.message().to_string(),
        };
        if !git2::Reference::is_valid_name(&format!("refs/heads/{branch}")) {
            return Err(RemoteError::Fetch {
                shown: url.shown.clone(),
                message: format!("{branch:?} is not a valid branch name"),
            });
        }
        let repo = if dir.join("HEAD").exists() {
            Repository::open_bare(&dir).map_err(clone_err)?
        } else {
            std::fs::create_dir_all(&dir).map_err(|e| RemoteError::Clone {
                dir: dir.clone(),
                message: e.to_string(),
            })?;
            Repository::init_bare(&dir).map_err(clone_err)?
        };
        // HEAD names the followed branch (unborn until the first fetch), as in a checkout.
        repo.set_head(&format!("refs/heads/{branch}"))
            .map_err(clone_err)?;
        Ok(Self {
            url,
            auth,
            branch: branch.to_string(),
            dir,
            failures: AtomicU64::new(0),
        })
    }

    /// The bare clone (what [`super::git::GitSource`] opens).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn shown(&self) -> &str {
        &self.url.shown
    }

    pub fn branch(&self) -> &str {
        &self.branch
    }

    /// The credentials (the environment's token or deploy key, offered once) and the host-key
    /// check of every connection to the remote, fetch or push.
    fn callbacks(&self) -> RemoteCallbacks<'_> {
        let mut callbacks = RemoteCallbacks::new();
        let mut tries = 0u32;
        let auth = &self.auth;
        let url = &self.url;
        callbacks.credentials(move |_url, user_from_url, allowed| {
            tries += 1;
            if tries > 1 {
                return Err(git2::Error::from_str(
                    "the server refused the credentials (check the token or the deploy key and its access to the repository)",
                ));
            }
            if allowed.contains(CredentialType::SSH_KEY)
                && let Some(key) = &auth.ssh_key
            {
                let user = user_from_url
                    .or(url.ssh_user.as_deref())
                    .unwrap_or("git");
                return Cred::ssh_key(user, None, key, None);
            }
            if allowed.contains(CredentialType::USER_PASS_PLAINTEXT)
                && let Some(token) = &auth.token
            {
                let user = auth.user.as_deref().unwrap_or(TOKEN_USER);
                return Cred::userpass_plaintext(user, token.expose());
            }
            Err(git2::Error::from_str(
                "the server wants credentials: set CXQUEUES_GIT_TOKEN (https) or CXQUEUES_GIT_SSH_KEY_FILE (ssh)",
            ))
        });
        callbacks.certificate_check(move |cert, host| {
            let Some(hostkey) = cert.as_hostkey() else {
                // TLS: the system's CA roots decide (libgit2's own check).
                return Ok(CertificateCheckStatus::CertificatePassthrough);
            };
            let (Some(known), Some((_, port))) = (&auth.known_hosts, &url.ssh_host) else {
                return Err(git2::Error::from_str(
                    "no known host keys (CXQUEUES_GIT_KNOWN_HOSTS): not connecting",
                ));
            };
            let key_type = hostkey.hostkey_type().map(|t| t.name()).unwrap_or("unknown");
            match hostkey.hostkey() {
                Some(key) if known.trusts(host, *port, key_type, key) => {
                    Ok(CertificateCheckStatus::CertificateOk)
                }
                _ => Err(git2::Error::from_str(&format!(
                    "the {key_type} host key of {host} is not in CXQUEUES_GIT_KNOWN_HOSTS: not connecting"
                ))),
            }
        });
        callbacks
    }

    /// Fetches the branch (blocking: run it off the async threads).
    pub fn fetch(&self) -> Result<Fetched, RemoteError> {
        let shown = self.url.shown.clone();
        let fetch_err = |e: git2::Error| RemoteError::Fetch {
            shown: shown.clone(),
            message: e.message().trim_end_matches('.').to_string(),
        };
        let repo = Repository::open_bare(&self.dir).map_err(|e| RemoteError::Clone {
            dir: self.dir.clone(),
            message: e.message().to_string(),
        })?;
        let local = format!("refs/heads/{}", self.branch);
        let before = repo.refname_to_id(&local).ok();
        let mut remote = repo.remote_anonymous(&self.url.url).map_err(fetch_err)?;
        let callbacks = self.callbacks();
        let mut opts = FetchOptions::new();
        opts.remote_callbacks(callbacks)
            .download_tags(AutotagOption::None)
            .depth(0);
        let refspec = format!("+{local}:{local}");
        remote
            .fetch(&[refspec.as_str()], Some(&mut opts), Some("cxqueues fetch"))
            .map_err(fetch_err)?;
        let advertised: Vec<String> = remote
            .list()
            .map(|heads| heads.iter().map(|h| h.name().to_string()).collect())
            .unwrap_or_default();
        if !advertised.contains(&local) {
            let branches = advertised
                .iter()
                .filter_map(|n| n.strip_prefix("refs/heads/"))
                .take(20)
                .map(str::to_string)
                .collect();
            return Err(RemoteError::NoSuchBranch {
                shown: shown.clone(),
                branch: self.branch.clone(),
                branches,
            });
        }
        let after = repo.refname_to_id(&local).map_err(fetch_err)?;
        let rewritten = match before {
            Some(b) if b != after => !repo.graph_descendant_of(after, b).unwrap_or(false),
            _ => false,
        };
        Ok(Fetched {
            before: before.map(|o| o.to_string()),
            after: after.to_string(),
            rewritten,
        })
    }
}

impl Remote {
    /// Pushes the clone's `branch` (the optimize branch, which the optimize endpoint resets onto
    /// each proposal) to the remote's `branch`, with the credentials of the fetch. Blocking:
    /// run it off the async threads. Tried once; the caller logs and counts a failure.
    ///
    /// The branch is cxqueues' own, and replaced by each proposal (a forced push), but only
    /// while the remote's copy is absent or is itself a proposal on the followed branch: one
    /// commit on one parent, authored and committed by `author_email`, its message starting
    /// `optimize (` and naming the followed branch in its trailer. A branch someone else
    /// committed to is never overwritten, even when they push while this push is under way:
    /// the push goes ahead only if the remote still holds what was checked (a lease, which
    /// the server checks again as it updates the branch). Returns the remote's commit replaced.
    pub fn push_branch(
        &self,
        branch: &str,
        author_email: &str,
    ) -> Result<Option<String>, RemoteError> {
        let fail = |message: String| RemoteError::Push {
            shown: self.url.shown.clone(),
            branch: branch.to_string(),
            message,
        };
        let git_fail = |e: git2::Error| fail(e.message().trim_end_matches('.').to_string());
        let repo = Repository::open_bare(&self.dir).map_err(|e| RemoteError::Clone {
            dir: self.dir.clone(),
            message: e.message().to_string(),
        })?;
        let local = format!("refs/heads/{branch}");
        let ours = repo.refname_to_id(&local).map_err(git_fail)?;
        let mut remote = repo.remote_anonymous(&self.url.url).map_err(git_fail)?;
        // What the remote holds now, fetched (into no ref of the clone) so that it can be read.
        let mut opts = FetchOptions::new();
        opts.remote_callbacks(self.callbacks())
            .download_tags(AutotagOption::None)
            .update_fetchhead(false);
        remote
            .fetch(
                &[local.as_str()],
                Some(&mut opts),
                Some("cxqueues: the remote's optimize branch"),
            )
            .map_err(git_fail)?;
        let theirs = remote
            .list()
            .map_err(git_fail)?
            .iter()
            .find(|h| h.name() == local)
            .map(|h| h.oid());
        if let Some(t) = theirs.filter(|t| *t != ours) {
            let commit = repo.find_commit(t).map_err(git_fail)?;
            let by = |sig: git2::Signature<'_>| sig.email().ok() == Some(author_email);
            let trailer = format!("\n{}: {}", FOLLOWED_TRAILER, self.branch);
            let a_proposal = commit.parent_count() == 1
                && by(commit.author())
                && by(commit.committer())
                && commit.message().is_ok_and(|m| {
                    m.starts_with("optimize (") && m.lines().any(|l| l == &trailer[1..])
                });
            if !a_proposal {
                return Err(fail(format!(
                    "the remote's branch is at {}, which is not a proposal cxqueues made on {} (someone committed to it, or it holds another branch's proposals): it is not overwritten; merge or close its pull request and delete the branch, or pick another --optimize-branch",
                    &t.to_string()[..10],
                    self.branch
                )));
            }
        }
        let rejected = std::cell::RefCell::new(None::<String>);
        let mut callbacks = self.callbacks();
        // The lease: the remote must still hold what was checked above.
        let expected = theirs.unwrap_or(git2::Oid::ZERO_SHA1);
        callbacks.push_negotiation(
            |updates| match updates.iter().find(|u| u.src() != expected) {
                Some(u) => Err(git2::Error::from_str(&format!(
                    "the remote's branch moved to {} while pushing: it is not overwritten",
                    &u.src().to_string()[..10]
                ))),
                None => Ok(()),
            },
        );
        callbacks.push_update_reference(|name, status| {
            if let Some(why) = status {
                *rejected.borrow_mut() = Some(format!("the remote refused {name}: {why}"));
            }
            Ok(())
        });
        let mut push = PushOptions::new();
        push.remote_callbacks(callbacks);
        // Forced only over a proposal of ours: a branch made meanwhile is not overwritten.
        let refspec = match theirs {
            Some(_) => format!("+{local}:{local}"),
            None => format!("{local}:{local}"),
        };
        remote
            .push(&[refspec.as_str()], Some(&mut push))
            .map_err(git_fail)?;
        drop(push);
        if let Some(why) = rejected.into_inner() {
            return Err(fail(why));
        }
        Ok(theirs.filter(|t| *t != ours).map(|t| t.to_string()))
    }
}

/// How long a push of the optimize branch may take before it is given up.
pub const PUSH_TIMEOUT: Duration = Duration::from_secs(120);

/// [`Remote::push_branch`] on a thread of its own, waited for at most `timeout`: libgit2 sets
/// no network timeout, so a server that stops answering would otherwise hold the proposal
/// lock (and every later proposal) for as long as the connection lives. A push given up
/// finishes or fails on its own thread, unobserved.
pub fn push_within(
    remote: &Arc<Remote>,
    branch: &str,
    author_email: &str,
    timeout: Duration,
) -> Result<Option<String>, RemoteError> {
    let (tx, rx) = std::sync::mpsc::channel();
    let (r, b, e) = (remote.clone(), branch.to_string(), author_email.to_string());
    std::thread::spawn(move || {
        let _ = tx.send(r.push_branch(&b, &e));
    });
    rx.recv_timeout(timeout).unwrap_or_else(|_| {
        Err(RemoteError::Push {
            shown: remote.shown().to_string(),
            branch: branch.to_string(),
            message: format!(
                "no answer within {}: given up",
                humantime::format_duration(timeout)
            ),
        })
    })
}

/// The backoff between failed fetches: `poll`, doubled each failure, at most 5 minutes (or
/// `poll` when that is longer).
pub fn fetch_backoff(poll: Duration) -> Backoff {
    Backoff::doubling(poll, poll.max(Duration::from_secs(300)))
}

/// Fetches now (off the async threads), records the result, and turns a changed head into a
/// commit trigger.
pub async fn fetch_once(
    remote: &Arc<Remote>,
    status: &SharedStatus,
    metrics: &Metrics,
    triggers: &mpsc::UnboundedSender<Trigger>,
) -> Result<Fetched, String> {
    let result = fetch_blocking(remote).await;
    if let Ok(f) = &result
        && f.before.as_deref() != Some(f.after.as_str())
    {
        let _ = triggers.send(Trigger::commit(Some(f.after.clone())));
    }
    record(remote, status, metrics, &result);
    result
}

/// How long a fetch may take before it counts as failed.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(300);

/// Fetches off the async threads, waited for at most [`FETCH_TIMEOUT`].
pub async fn fetch_blocking(remote: &Arc<Remote>) -> Result<Fetched, String> {
    fetch_within(remote, FETCH_TIMEOUT).await
}

/// Fetches on a thread of its own, waited for at most `timeout`. libgit2 sets no network
/// timeout: without this, a server that stops answering mid-fetch would stop the follow loop
/// for good. A fetch given up finishes or fails on its thread, unobserved (a plain thread, so
/// that it cannot hold up the runtime's shutdown); the next fetch may meet its ref lock and
/// fail, and is tried again after the backoff.
pub async fn fetch_within(remote: &Arc<Remote>, timeout: Duration) -> Result<Fetched, String> {
    let r = remote.clone();
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = tx.send(r.fetch());
    });
    match tokio::time::timeout(timeout, rx).await {
        Ok(done) => done
            .map_err(|e| format!("the fetch thread failed: {e}"))
            .and_then(|r| r.map_err(|e| e.to_string())),
        Err(_) => Err(format!(
            "fetching {}: no answer within {}: given up",
            remote.shown(),
            humantime::format_duration(timeout)
        )),
    }
}

/// Records a fetch's result in `status` and `metrics`, and logs what matters: a rewritten
/// history, a new commit, the first failure of a series.
pub fn record(
    remote: &Remote,
    status: &SharedStatus,
    metrics: &Metrics,
    result: &Result<Fetched, String>,
) {
    let now = rfc3339(SystemTime::now());
    let mut st = status.write();
    let rs = st.remote.get_or_insert_with(RemoteStatus::default);
    rs.url = remote.shown().to_string();
    rs.branch = remote.branch().to_string();
    rs.last_fetch = Some(now.clone());
    match result {
        Ok(f) => {
            remote.failures.store(0, Ordering::SeqCst);
            rs.last_success = Some(now);
            rs.last_error = None;
            rs.consecutive_failures = 0;
            rs.commit = Some(f.after.clone());
            metrics.observe_fetch(true);
            if f.rewritten {
                rs.rewrites += 1;
                metrics.observe_rewrite();
                warn!(
                    url = %remote.shown(),
                    branch = remote.branch(),
                    before = f.before.as_deref().unwrap_or("none"),
                    after = %f.after,
                    "the remote's history was rewritten (a force-push): following its new head"
                );
            }
            if f.before.as_deref() != Some(f.after.as_str()) {
                info!(url = %remote.shown(), branch = remote.branch(), commit = %f.after, "fetched a new commit");
            }
        }
        Err(e) => {
            let n = remote.failures.fetch_add(1, Ordering::SeqCst) + 1;
            rs.last_error = Some(e.clone());
            rs.consecutive_failures = u32::try_from(n).unwrap_or(u32::MAX);
            metrics.observe_fetch(false);
            if n == 1 {
                warn!(error = %e, "the fetch failed: the last good commit stays applied; trying again after a backoff");
            }
        }
    }
}

/// Fetches every `poll` (after a failure, after the backoff) and whenever `now` is notified,
/// until `shutdown`.
pub async fn follow(
    remote: Arc<Remote>,
    poll: Duration,
    now: Arc<Notify>,
    status: SharedStatus,
    metrics: Arc<Metrics>,
    triggers: mpsc::UnboundedSender<Trigger>,
    mut shutdown: watch::Receiver<bool>,
) {
    let backoff = fetch_backoff(poll);
    let mut failures = 0u32;
    loop {
        let wait = if failures == 0 {
            poll
        } else {
            backoff.ceiling(failures - 1)
        };
        status
            .write()
            .remote
            .get_or_insert_with(RemoteStatus::default)
            .next_fetch = Some(rfc3339(SystemTime::now() + wait));
        tokio::select! {
            _ = shutdown.changed() => break,
            () = now.notified() => {}
            () = tokio::time::sleep(wait) => {}
        }
        if *shutdown.borrow() {
            break;
        }
        match fetch_once(&remote, &status, &metrics, &triggers).await {
            Ok(_) => failures = 0,
            Err(_) => failures = failures.saturating_add(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_and_shown_without_userinfo() {
        let cases: &[(&str, Option<(Transport, &str)>)] = &[
            (
                "https://github.com/acme/queues.git",
                Some((Transport::Https, "https://github.com/acme/queues.git")),
            ),
            (
                "http://127.0.0.1:8080/q.git",
                Some((Transport::Http, "http://127.0.0.1:8080/q.git")),
            ),
            ("http://git.example.com/q.git", None),
            (
                "ssh://git@github.com:22/acme/q.git",
                Some((Transport::Ssh, "ssh://git@github.com:22/acme/q.git")),
            ),
            (
                "git@github.com:acme/q.git",
                Some((Transport::Ssh, "git@github.com:acme/q.git")),
            ),
            (
                "file:///srv/q.git",
                Some((Transport::File, "file:///srv/q.git")),
            ),
            (
                "https://x-access-token:ghp_s3cret@github.com/acme/q.git",
                None,
            ),
            ("https://ghp_s3cret@github.com/acme/q.git", None),
            ("ftp://example.com/q.git", None),
            ("queues", None),
        ];
        for (raw, want) in cases {
            match (RemoteUrl::parse(raw), want) {
                (Ok(u), Some((t, shown))) => {
                    assert_eq!(u.transport, *t, "{raw}");
                    assert_eq!(u.shown, *shown, "{raw}");
                }
                (Err(e), None) => {
                    let text = e.to_string();
                    assert!(!text.contains("s3cret"), "{raw}: {text}");
                }
                (got, want) => panic!("{raw}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn known_hosts_trust_the_listed_key_for_the_listed_host_and_port_only() {
        let key = base64::engine::general_purpose::STANDARD.encode(b"key-one");
        let other = base64::engine::general_purpose::STANDARD.encode(b"key-two");
        let text = format!(
            "# comment\ngithub.com,140.82.112.3 ssh-ed25519 {key}\n[git.example.com]:2222 ssh-rsa {key}\n|1|c2FsdA==|aGFzaA== ssh-ed25519 {other}\n@revoked bad.example.com ssh-ed25519 {other}\nbad.example.com ssh-ed25519 {other}\n"
        );
        let k = KnownHosts::parse(&text);
        assert!(k.trusts("github.com", 22, "ssh-ed25519", b"key-one"));
        assert!(k.trusts("GitHub.com", 22, "ssh-ed25519", b"key-one"));
        assert!(!k.trusts("github.com", 22, "ssh-ed25519", b"key-two"));
        assert!(!k.trusts("github.com", 22, "ssh-rsa", b"key-one"));
        assert!(!k.trusts("github.com", 2222, "ssh-ed25519", b"key-one"));
        assert!(k.trusts("git.example.com", 2222, "ssh-rsa", b"key-one"));
        assert!(!k.trusts("git.example.com", 22, "ssh-rsa", b"key-one"));
        assert!(
            !k.trusts("bad.example.com", 22, "ssh-ed25519", b"key-two"),
            "revoked"
        );
        assert!(KnownHosts::parse("# nothing\n").is_empty());
    }

    #[test]
    fn hashed_known_hosts_lines_as_ssh_keygen_writes_them_are_trusted_for_their_host_only() {
        // `ssh-keygen -H` of `github.com …` and `[git.example.com]:2222 …` (OpenSSH 9).
        let key = "AAAAC3NzaC1lZDI1NTE5AAAAIFXjC6BjwnaK2MG7Dux+NFbbZQMgjyUG65bdgo/gmuIT";
        let text = format!(
            "|1|J9EqkB6YAks0MELJpkeogPgRspM=|NU58j7NYJOcIRHUfaNc96KI/xIo= ssh-ed25519 {key}\n\
             |1|w4flMFNk6KJ7k3nzlo1dJtMHm1s=|KSfVAtqbb/8vvVQY5ckrk1rlpl0= ssh-ed25519 {key}\n\
             |1|not base64!|x ssh-ed25519 {key}\n"
        );
        let k = KnownHosts::parse(&text);
        assert_eq!(k.entries.len(), 2, "the malformed line is skipped");
        let blob = base64::engine::general_purpose::STANDARD
            .decode(key)
            .unwrap();
        assert!(k.trusts("github.com", 22, "ssh-ed25519", &blob));
        assert!(k.trusts("GitHub.com", 22, "ssh-ed25519", &blob));
        assert!(k.trusts("git.example.com", 2222, "ssh-ed25519", &blob));
        assert!(!k.trusts("git.example.com", 22, "ssh-ed25519", &blob));
        assert!(!k.trusts("gitlab.com", 22, "ssh-ed25519", &blob));
        assert!(!k.trusts("github.com", 22, "ssh-ed25519", b"another key"));
    }

    #[test]
    fn auth_debug_shows_no_token() {
        let auth = GitAuth {
            token: Some(Secret::new("ghp_s3cret".to_string())),
            ..GitAuth::default()
        };
        assert!(!format!("{auth:?}").contains("s3cret"));
    }

    /// A server that accepts connections and never says a word, and a clone that follows it.
    fn silent_remote() -> (std::net::TcpListener, tempfile::TempDir, Arc<Remote>) {
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = RemoteUrl::parse(&format!(
            "http://{}/queues.git",
            silent.local_addr().unwrap()
        ))
        .unwrap();
        let state = tempfile::tempdir().unwrap();
        let remote = Arc::new(Remote::open(url, GitAuth::default(), "main", state.path()).unwrap());
        (silent, state, remote)
    }

    #[tokio::test]
    async fn a_fetch_from_a_server_that_never_answers_is_given_up_after_the_timeout() {
        let (silent, _state, remote) = silent_remote();
        let err = fetch_within(&remote, Duration::from_millis(300))
            .await
            .unwrap_err();
        assert!(err.contains("no answer within 300ms: given up"), "{err}");
        drop(silent);
    }

    #[test]
    fn a_push_to_a_server_that_never_answers_is_given_up_after_the_timeout() {
        let (silent, _state, remote) = silent_remote();
        // A proposal on `opt` in the clone.
        let repo = Repository::open_bare(remote.dir()).unwrap();
        let tree = repo
            .find_tree(repo.treebuilder(None).unwrap().write().unwrap())
            .unwrap();
        let sig = git2::Signature::now("cxqueues optimize", "cxqueues@localhost").unwrap();
        let id = repo
            .commit(None, &sig, &sig, "optimize (erlang-c)", &tree, &[])
            .unwrap();
        repo.reference("refs/heads/opt", id, true, "test").unwrap();

        let err = push_within(
            &remote,
            "opt",
            "cxqueues@localhost",
            Duration::from_millis(300),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("no answer within 300ms: given up"), "{err}");
        drop(silent);
    }

    #[test]
    fn fetch_backoff_starts_at_the_poll_and_doubles_to_five_minutes() {
        let b = fetch_backoff(Duration::from_secs(30));
        let d: Vec<u64> = (0..6).map(|a| b.ceiling(a).as_secs()).collect();
        assert_eq!(d, [30, 60, 120, 240, 300, 300]);
    }
}
