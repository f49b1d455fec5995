//! The outputs of a proposal: `text` for people, `json` for tools, `diff` for review.

use std::fmt::Write as _;

use serde::Serialize;

use crate::edit::FileEdit;
use crate::propose::{Policy, QueueProposal, Report};
use crate::seed::trim;

/// The version of the JSON output; fields may be added in later versions, never renamed.
pub const JSON_FORMAT_VERSION: u32 = 1;

/// The JSON document: `{"formatVersion": 1, "policy", "queues": [{"name", "file", "inputs",
/// "predicted", "changes", "warnings"}]}`; `predicted` is left out under `seed` (and when
/// nothing could be predicted).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonDoc<'a> {
    format_version: u32,
    policy: Policy,
    queues: &'a [QueueProposal],
}

impl<'a> JsonDoc<'a> {
    fn of(report: &'a Report) -> Self {
        Self {
            format_version: JSON_FORMAT_VERSION,
            policy: report.policy,
            queues: &report.queues,
        }
    }
}

/// The JSON document as a value (to add to, as `POST /v1/optimize` does).
pub fn json(report: &Report) -> serde_json::Value {
    serde_json::to_value(JsonDoc::of(report)).unwrap_or_default()
}

/// The JSON document as indented text with a final line end, written straight from the
/// report (no intermediate value: the fast path for 10,000 queues).
pub fn json_text(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(&JsonDoc::of(report)).unwrap_or_default();
    s.push('\n');
    s
}

/// ANSI colours, only when the output is a terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Colour {
    On,
    Off,
}

impl Colour {
    fn paint(self, code: &str, text: &str) -> String {
        match self {
            Colour::On => format!("\x1b[{code}m{text}\x1b[0m"),
            Colour::Off => text.to_string(),
        }
    }
}

/// How many queues without metrics the text names before it says "and N more".
const UNMEASURED_NAMED: usize = 10;

/// Per queue with changes or warnings: current → proposed with the reason, the prediction,
/// the warnings; then one summary line, which names the queues the metrics have no row for
/// (they get no block of their own: a metrics file often covers a few queues of many).
pub fn text(report: &Report, colour: Colour) -> String {
    let mut out = String::new();
    let mut changed = 0;
    let mut warnings = 0;
    let mut unmeasured = Vec::new();
    for q in &report.queues {
        if q.inputs.is_none() {
            unmeasured.push(q.name.as_str());
            continue;
        }
        warnings += q.warnings.len();
        if !q.changes.is_empty() {
            changed += 1;
        }
        if q.changes.is_empty() && q.warnings.is_empty() {
            continue;
        }
        queue_text(&mut out, q, colour);
    }
    let unchanged = report.queues.len() - changed - unmeasured.len();
    let _ = write!(
        out,
        "Optimize ({}, tail {}): {} to change, {} unchanged, {}",
        report.policy,
        trim(report.tail),
        plural(changed, "queue"),
        unchanged,
        plural(warnings, "warning")
    );
    if !unmeasured.is_empty() {
        let mut names = unmeasured
            .iter()
            .take(UNMEASURED_NAMED)
            .copied()
            .collect::<Vec<_>>()
            .join(", ");
        if unmeasured.len() > UNMEASURED_NAMED {
            names.push_str(&format!(
                " and {} more",
                unmeasured.len() - UNMEASURED_NAMED
            ));
        }
        let _ = write!(
            out,
            "; {} without metrics (nothing proposed): {names}",
            plural(unmeasured.len(), "queue")
        );
    }
    out.push_str(".\n");
    out
}

fn queue_text(out: &mut String, q: &QueueProposal, colour: Colour) {
    let mark = if q.changes.is_empty() {
        colour.paint("2", "=")
    } else {
        colour.paint("33", "~")
    };
    let _ = writeln!(
        out,
        "{mark} {} ({})",
        colour.paint("1", &q.name),
        q.file.display()
    );
    if let Some(src) = q.inputs.as_ref().and_then(|i| i.source.as_ref()) {
        let _ = writeln!(out, "    inputs: {}", colour.paint("2", &src.describe()));
    }
    for c in &q.changes {
        let from = c
            .from
            .map_or_else(|| "(absent)".to_string(), |v| v.to_string());
        let _ = writeln!(
            out,
            "    {}: {} → {}   {}",
            c.field.name(),
            colour.paint("31", &from),
            colour.paint("32", &c.to.to_string()),
            colour.paint("2", &c.reason)
        );
    }
    if let Some(p) = &q.predicted {
        let mut parts = vec![format!("A = {} Erlangs", trim(p.traffic_erlangs))];
        if let Some(c) = p.wait_probability {
            parts.push(format!("P(wait) {:.1}%", c * 100.0));
        }
        if let Some(sl) = p.service_level {
            parts.push(format!("service level {:.1}%", sl * 100.0));
        }
        if let Some(asa) = p.average_speed_of_answer_seconds {
            parts.push(format!("ASA {asa:.1} s"));
        }
        if let Some(o) = p.occupancy {
            parts.push(format!("occupancy {:.1}%", o * 100.0));
        }
        if let Some(n) = p.agents_needed {
            parts.push(format!("agents needed {n}"));
        }
        if let Some(w) = p.max_waiters {
            parts.push(format!("maxWaiters {w} (for the flow or script)"));
        }
        if let Some(t) = p.max_wait_time {
            parts.push(format!("maxWaitTime {t} s (for the flow or script)"));
        }
        let _ = writeln!(out, "    predicted: {}", parts.join(", "));
    }
    for w in &q.warnings {
        let _ = writeln!(out, "    {} {w}", colour.paint("33", "warning:"));
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// A unified diff of every edited file (`a/…`, `b/…` headers, 3 lines of context).
pub fn diff(edits: &[FileEdit]) -> String {
    let mut out = String::new();
    for e in edits {
        let name = model::layout::slash_path(&e.file);
        let d = similar::TextDiff::from_lines(&e.before, &e.after);
        let _ = write!(
            out,
            "{}",
            d.unified_diff()
                .context_radius(3)
                .header(&format!("a/{name}"), &format!("b/{name}"))
        );
    }
    out
}
