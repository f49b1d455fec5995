//! `cxqueues windows`: which change windows are active now (or at `--at`), and per queue
//! whether changes and drift corrections may be written, with the next transitions.

use std::fmt::Write as _;

use jiff::Timestamp;
use model::{Applies, Windows};
use serde_json::{Value, json};

use crate::cli::args::RepoArgs;
use crate::exit::{CliError, Outcome};
use crate::output::windows::{rfc3339, until_shown, windows_of};

/// How many transitions are listed per queue.
const TRANSITIONS: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WindowsFormat {
    Text,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct WindowsArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// The instant to evaluate at, RFC 3339 (`2026-12-24T09:00:00-05:00`); default now.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    #[arg(long, value_enum, default_value_t = WindowsFormat::Text)]
    pub format: WindowsFormat,
}

pub fn run(args: WindowsArgs) -> Result<Outcome, CliError> {
    let at = match &args.at {
        None => Timestamp::now(),
        Some(t) => t.parse::<Timestamp>().map_err(|e| {
            CliError::Usage(format!(
                "--at {t:?} is not an RFC 3339 time ({e}); write e.g. 2026-12-24T09:00:00Z or 2026-12-24T09:00:00-05:00"
            ))
        })?,
    };
    let repo = match super::load_valid(&args.repo) {
        Ok(r) => r,
        Err(outcome) => return Ok(outcome),
    };
    let windows = windows_of(&repo);
    let report = report(&repo, &windows, at);
    match args.format {
        WindowsFormat::Json => {
            let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
            text.push('\n');
            print!("{text}");
        }
        WindowsFormat::Text => print!("{}", text(&report, &windows, at)),
    }
    Ok(Outcome::Success)
}

/// The verdict for one queue and one kind of write, as JSON.
fn verdict(
    windows: &Windows,
    name: &str,
    labels: &std::collections::BTreeMap<String, String>,
    what: Applies,
    at: Timestamp,
) -> Value {
    let hold = windows.hold(name, labels, what, at);
    let transitions: Vec<Value> = windows
        .transitions(name, labels, what, at, TRANSITIONS)
        .into_iter()
        .map(|(t, h)| match h {
            Some(h) => json!({"at": rfc3339(t), "allowed": false, "window": h.window}),
            None => json!({"at": rfc3339(t), "allowed": true}),
        })
        .collect();
    match hold {
        Some(h) => json!({
            "allowed": false,
            "window": h.window,
            "kind": h.kind.as_str(),
            "until": h.until.map(rfc3339),
            "transitions": transitions,
        }),
        None => json!({"allowed": true, "transitions": transitions}),
    }
}

/// `{"formatVersion": 1, "at", "windows": [...], "queues": [...]}`.
fn report(repo: &model::Repository, windows: &Windows, at: Timestamp) -> Value {
    let ws: Vec<Value> = windows
        .windows
        .iter()
        .map(|w| {
            let end = w.active_end(at).and_then(|_| w.stops(at));
            json!({
                "name": w.name,
                "kind": w.kind.as_str(),
                "timeZone": w.time_zone,
                "applies": w.applies(),
                "active": w.is_active(at),
                "activeUntil": end.map(rfc3339),
                "nextStart": w.next_start(at).map(rfc3339),
            })
        })
        .collect();
    let queues: Vec<Value> = repo
        .queues
        .iter()
        .filter(|q| !q.doc.metadata.deleted)
        .map(|q| {
            let labels = &q.doc.metadata.labels;
            let name = q.name();
            let covering: Vec<&str> = windows
                .windows
                .iter()
                .filter(|w| w.covers(name, labels))
                .map(|w| w.name.as_str())
                .collect();
            json!({
                "name": name,
                "windows": covering,
                "changes": verdict(windows, name, labels, Applies::Changes, at),
                "drift": verdict(windows, name, labels, Applies::Drift, at),
            })
        })
        .collect();
    json!({"formatVersion": 1, "at": rfc3339(at), "windows": ws, "queues": queues})
}

fn text(report: &Value, windows: &Windows, at: Timestamp) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Change windows at {}:", rfc3339(at));
    let ws = report["windows"].as_array().cloned().unwrap_or_default();
    if ws.is_empty() {
        let _ = writeln!(out, "  none: every queue may be changed at any time");
    }
    for w in &ws {
        let name = w["name"].as_str().unwrap_or_default();
        let state = if w["active"] == true {
            let until = w["activeUntil"].as_str().and_then(|s| s.parse().ok());
            format!("active, {}", until_shown(until, name, windows, at))
        } else {
            match w["nextStart"].as_str() {
                Some(t) => format!("inactive, next from {t}"),
                None => "inactive, never again".to_string(),
            }
        };
        let applies: Vec<&str> = w["applies"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {name} ({}, {}, {}): {state}",
            w["kind"].as_str().unwrap_or_default(),
            w["timeZone"].as_str().unwrap_or_default(),
            applies.join("+")
        );
    }
    let _ = writeln!(out, "\nQueues:");
    for q in report["queues"].as_array().cloned().unwrap_or_default() {
        let name = q["name"].as_str().unwrap_or_default();
        let mut parts = Vec::new();
        let mut next = Vec::new();
        for what in ["changes", "drift"] {
            let v = &q[what];
            if v["allowed"] == true {
                parts.push(format!("{what} allowed"));
            } else {
                let window = v["window"].as_str().unwrap_or_default();
                let until = v["until"].as_str().and_then(|s| s.parse().ok());
                parts.push(format!(
                    "{what} held by {window:?} {}",
                    until_shown(until, window, windows, at)
                ));
            }
            for t in v["transitions"].as_array().cloned().unwrap_or_default() {
                let to = if t["allowed"] == true {
                    "allowed".to_string()
                } else {
                    format!("held by {:?}", t["window"].as_str().unwrap_or_default())
                };
                next.push(format!(
                    "{what} {to} from {}",
                    t["at"].as_str().unwrap_or_default()
                ));
            }
        }
        let _ = writeln!(
            out,
            "  {}: {}",
            crate::output::printable::printable(name),
            parts.join("; ")
        );
        for n in next {
            let _ = writeln!(out, "      next: {n}");
        }
    }
    out
}
