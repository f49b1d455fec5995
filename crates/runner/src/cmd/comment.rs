//! `cxqueues comment`: posts a saved plan (`plan --out FILE`) as one pull-request comment, or
//! updates the one it posted before, in GitHub Actions' own conventions (`GITHUB_TOKEN`,
//! `GITHUB_REPOSITORY`, `GITHUB_API_URL`, `GITHUB_EVENT_PATH`).
//!
//! The comment is found by a hidden first line, `<!-- cxqueues:plan tenant=NAME -->`, so that
//! each tenant planned on a pull request keeps exactly one comment. The body never exceeds
//! GitHub's 65,536 characters; the job log (stdout) gets the whole plan. The GitHub calls live
//! in the `github` crate.

use std::path::{Path, PathBuf};

use tenant::Secret;

use crate::exit::{CliError, Outcome};
use crate::output::plan::{self as plan_output, PlanFile};

#[derive(Debug, clap::Args)]
pub(crate) struct CommentArgs {
    /// The plan saved by `cxqueues plan --out FILE`.
    #[arg(long, value_name = "FILE")]
    pub plan: PathBuf,
    /// The pull request; default: `pull_request.number` of the event file that
    /// `GITHUB_EVENT_PATH` names.
    #[arg(long, value_name = "N")]
    pub pr: Option<u64>,
    /// Print the body it would post and whether it would create or update; post nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `<!-- cxqueues:plan tenant=NAME -->`; a character of the name that could end the HTML
/// comment or the line (anything but letters, digits and `._:/-`) is percent-encoded. A plan
/// saved before plans named their tenant counts as the tenant `default`, as an unnamed
/// `cxqueues.yaml` does.
pub(crate) fn marker(tenant: &str) -> String {
    let tenant = if tenant.is_empty() { "default" } else { tenant };
    let mut name = String::new();
    for c in tenant.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '/' | '-') {
            name.push(c);
        } else {
            let mut buf = [0; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                name.push_str(&format!("%{b:02X}"));
            }
        }
    }
    // `--` may not appear inside an HTML comment.
    let name = name.replace("--", "-%2D");
    format!("<!-- cxqueues:plan tenant={name} -->")
}

/// The comment body: the marker line, then the markdown plan cut to GitHub's limit.
pub(crate) fn body(doc: &PlanFile) -> String {
    let marker = marker(&doc.origin.tenant);
    let room = github::COMMENT_LIMIT.saturating_sub(marker.len() + 1);
    format!("{marker}\n{}", plan_output::markdown_limited(doc, room))
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The pull request's number from a GitHub Actions event file.
fn pr_from_event(path: &Path) -> Result<u64, CliError> {
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Io {
        what: "read the event file (GITHUB_EVENT_PATH)",
        path: path.to_path_buf(),
        source,
    })?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|source| CliError::Json {
        what: "the event file",
        path: path.to_path_buf(),
        source,
    })?;
    v.pointer("/pull_request/number")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| {
            CliError::Usage(format!(
                "{} holds no pull_request.number: run on a pull_request event, or pass --pr N",
                path.display()
            ))
        })
}

/// The pull request and a client for its repository, from the arguments and the environment.
fn target(args: &CommentArgs) -> Result<(github::Client, u64), CliError> {
    let token = env("GITHUB_TOKEN").ok_or_else(|| {
        CliError::Usage(
            "GITHUB_TOKEN is not set: in a workflow, add `env: GITHUB_TOKEN: ${{ github.token }}` \
             to the step"
                .into(),
        )
    })?;
    let repository = env("GITHUB_REPOSITORY").ok_or_else(|| {
        CliError::Usage("GITHUB_REPOSITORY is not set (owner/name; GitHub Actions sets it)".into())
    })?;
    let pr = match args.pr {
        Some(n) => n,
        None => {
            let path = env("GITHUB_EVENT_PATH").ok_or_else(|| {
                CliError::Usage(
                    "no pull request: pass --pr N, or run in a pull_request workflow (GITHUB_EVENT_PATH)"
                        .into(),
                )
            })?;
            pr_from_event(Path::new(&path))?
        }
    };
    let mut config = github::Config::new(repository, Secret::new(token));
    if let Some(url) = env("GITHUB_API_URL") {
        config.api_url = url;
    }
    Ok((github::Client::new(config)?, pr))
}

/// The log on stderr: the HTTP core's waits for GitHub's rate limits (`waiting 1s as it
/// asks`) by default, a debug log with `RUST_LOG` (the token is a sensitive header there too,
/// and every server text is redacted).
fn init_log() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("tenant::http=info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

pub(crate) async fn run(args: CommentArgs) -> Result<Outcome, CliError> {
    init_log();
    let doc = crate::output::plan::PlanFile::read(&args.plan)?;
    let marker = marker(&doc.origin.tenant);
    let body = body(&doc);
    if args.dry_run {
        crate::output::print(&body)?;
        let (client, pr) = match target(&args) {
            Ok(t) => t,
            Err(e) => {
                eprintln!(
                    "Would create or update the comment marked {marker}; cannot tell which: {e}"
                );
                return Ok(Outcome::Success);
            }
        };
        match client.find_marked(pr, &marker).await? {
            Some(c) => eprintln!(
                "Would update comment {} on pull request #{pr} of {}.",
                c.id,
                client.repository()
            ),
            None => eprintln!(
                "Would create a comment on pull request #{pr} of {}.",
                client.repository()
            ),
        }
        return Ok(Outcome::Success);
    }
    // The job log has the whole plan, whatever the comment leaves out or GitHub answers.
    crate::output::print(plan_output::markdown_full(&doc))?;
    let (client, pr) = target(&args)?;
    let posted = client.upsert_marked(pr, &marker, &body).await?;
    let verb = match posted.action {
        github::Upsert::Created => "Created",
        github::Upsert::Updated => "Updated",
    };
    eprintln!(
        "{verb} the plan comment on pull request #{pr}: {} ({} characters).",
        posted
            .comment
            .html_url
            .unwrap_or_else(|| format!("id {}", posted.comment.id)),
        body.chars().count()
    );
    Ok(Outcome::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_keep_tenant_names_apart_and_inside_one_html_comment() {
        let cases = [
            ("acme-us", "<!-- cxqueues:plan tenant=acme-us -->"),
            ("acme us", "<!-- cxqueues:plan tenant=acme%20us -->"),
            ("a-->b", "<!-- cxqueues:plan tenant=a-%2D%3Eb -->"),
            ("x\ny", "<!-- cxqueues:plan tenant=x%0Ay -->"),
            ("é", "<!-- cxqueues:plan tenant=%C3%A9 -->"),
        ];
        for (name, want) in cases {
            assert_eq!(marker(name), want, "{name:?}");
        }
        assert_ne!(marker("a b"), marker("a_b"));
        assert_eq!(marker(""), marker("default"));
    }

    #[test]
    fn the_event_file_gives_the_pull_request_number() {
        let dir = tempfile::tempdir().unwrap();
        let ok = dir.path().join("ok.json");
        std::fs::write(
            &ok,
            r#"{"action":"synchronize","pull_request":{"number":42}}"#,
        )
        .unwrap();
        assert_eq!(pr_from_event(&ok).unwrap(), 42);
        let push = dir.path().join("push.json");
        std::fs::write(&push, r#"{"ref":"refs/heads/main"}"#).unwrap();
        let e = pr_from_event(&push).unwrap_err().to_string();
        assert!(e.contains("--pr N"), "{e}");
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, "{\n  nope").unwrap();
        let e = pr_from_event(&bad).unwrap_err().to_string();
        assert!(e.contains("bad.json:2:"), "{e}");
    }
}
