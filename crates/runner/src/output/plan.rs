//! The three plan formats of `cli.md`: text (a terminal), markdown (a PR comment) and json
//! (machines, and saved plans for `apply --plan`).

use std::fmt::Write as _;

use reconcile::{Action, Change, DriftFound, FieldChange, Held, Plan, Summary};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The markdown limit of a PR comment (GitHub allows 65,536).
pub(crate) const MARKDOWN_LIMIT: usize = 65_000;

/// The JSON plan, `formatVersion` 1. Fields may be added, never renamed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PlanFile {
    pub format_version: u32,
    pub summary: Summary,
    pub changes: Vec<Change>,
    #[serde(default)]
    pub unchanged: Vec<String>,
    #[serde(default)]
    pub unmanaged: Vec<reconcile::Unmanaged>,
    #[serde(default)]
    pub ids: std::collections::BTreeMap<String, String>,
    /// Where the plan comes from (tenant, commit, `--sim`); absent from older plans.
    #[serde(flatten)]
    pub origin: Origin,
    /// `invalid` when no plan could be made: `errors` says why, and nothing may be applied.
    #[serde(default)]
    pub status: PlanStatus,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<PlanError>,
    /// What a tombstone does on the platform (`delete`, `deactivate`).
    #[serde(default)]
    pub deletes: tenant::DeleteMode,
    /// Changes a change window holds back: `[{queue, fields, window, until, applies}]`; not in
    /// `changes`, never applied from this plan.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub held: Vec<HeldEntry>,
    /// Drift found (by the last applied state of `--state-dir`), corrected or only reported.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<DriftEntry>,
}

/// The tenant and the commit a plan was made from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Origin {
    /// `metadata.name` of `cxqueues.yaml`.
    #[serde(default)]
    pub tenant: String,
    /// The full sha of the repository's checked-out commit, when it is a git checkout.
    #[serde(default)]
    pub commit: Option<String>,
    /// Made against the embedded simulated tenant (`--sim`), not a real one.
    #[serde(default)]
    pub simulated: bool,
}

impl Origin {
    /// The commit's first 7 characters, as git shows it.
    pub(crate) fn short_commit(&self) -> Option<&str> {
        self.commit.as_deref().map(|c| c.get(..7).unwrap_or(c))
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum PlanStatus {
    #[default]
    Valid,
    Invalid,
}

/// Why a plan could not be made: one error, at `file:line:column`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PlanError {
    pub file: std::path::PathBuf,
    pub line: u32,
    pub column: u32,
    pub rule: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl PlanFile {
    pub(crate) fn from_plan(plan: &Plan, origin: Origin) -> Self {
        Self {
            format_version: 1,
            summary: plan.summary(),
            changes: plan.changes.clone(),
            unchanged: plan.unchanged.clone(),
            unmanaged: plan.unmanaged.clone(),
            ids: plan.ids.clone(),
            origin,
            status: PlanStatus::Valid,
            errors: Vec::new(),
            deletes: plan.deletes,
            held: Vec::new(),
            drift: Vec::new(),
        }
    }

    /// The document `plan --out` saves when no plan can be made: the errors, no changes.
    pub(crate) fn invalid(origin: Origin, diagnostics: &[model::Diagnostic]) -> Self {
        Self {
            status: PlanStatus::Invalid,
            errors: diagnostics
                .iter()
                .filter(|d| d.is_error())
                .map(|d| PlanError {
                    file: d.file.clone(),
                    line: d.line,
                    column: d.column,
                    rule: d.rule.code().to_string(),
                    message: d.message.clone(),
                    hint: d.hint.clone(),
                })
                .collect(),
            ..Self::from_plan(&Plan::default(), origin)
        }
    }

    pub(crate) fn into_plan(self) -> Plan {
        Plan {
            changes: self.changes,
            unchanged: self.unchanged,
            unmanaged: self.unmanaged,
            ids: self.ids,
            deletes: self.deletes,
            warnings: Vec::new(),
            skipped: Vec::new(),
        }
    }
}

/// Why a saved plan cannot be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PlanFileError {
    #[error("cannot read the plan {}", path.display())]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}:{}:{}: not a cxqueues plan (JSON, formatVersion 1): {source}", path.display(), source.line(), source.column())]
    Json {
        path: std::path::PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{}: formatVersion {version} is not supported (this release reads 1)", path.display())]
    Version {
        path: std::path::PathBuf,
        version: u32,
    },
}

impl PlanFile {
    /// Reads a plan saved by `plan --out`.
    pub(crate) fn read(path: &std::path::Path) -> Result<PlanFile, PlanFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| PlanFileError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let saved: PlanFile =
            serde_json::from_str(&text).map_err(|source| PlanFileError::Json {
                path: path.to_path_buf(),
                source,
            })?;
        if saved.format_version != 1 {
            return Err(PlanFileError::Version {
                path: path.to_path_buf(),
                version: saved.format_version,
            });
        }
        Ok(saved)
    }
}

pub(crate) fn json(file: &PlanFile) -> String {
    let mut s = serde_json::to_string_pretty(file).expect("plan is JSON");
    s.push('\n');
    s
}

/// `Plan: 1 to create, 3 to update, 0 to delete, 120 unchanged.` (`to deactivate` on a
/// platform that deactivates instead).
pub(crate) fn summary_line(s: &Summary, deletes: tenant::DeleteMode) -> String {
    format!(
        "Plan: {} to create, {} to update, {} to {}, {} unchanged.",
        s.create,
        s.update,
        s.delete,
        deletes.verb(),
        s.unchanged
    )
}

fn show(v: &Value) -> String {
    match v {
        Value::Null => "(none)".into(),
        Value::String(s) => format!("{s:?}"),
        Value::Object(m) => {
            let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k}: {}", show(v))).collect();
            format!("{{{}}}", parts.join(", "))
        }
        other => other.to_string(),
    }
}

/// The fields a change sets, on one line for a log or a summary:
/// `maxWaitTime 300 → 240, maxWaiters (none) → 60`; a list (skill requirements) is written
/// `[language:en advanced; language:fr expert (optional)]`.
pub(crate) fn changed_fields(fields: &[FieldChange]) -> String {
    let one_line = |v: &Value| match v {
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(skill_line).collect();
            format!("[{}]", items.join("; "))
        }
        other => show(other),
    };
    fields
        .iter()
        .map(|f| {
            format!(
                "{} {} → {}",
                f.path,
                one_line(&f.before),
                one_line(&f.after)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn pretty(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Array(items) => items
            .iter()
            .map(|i| format!("{}\n", skill_line(i)))
            .collect(),
        Value::Object(_) => serde_json::to_string_pretty(v).unwrap_or_default() + "\n",
        other => format!("{}\n", show(other)),
    }
}

/// `language:en advanced (required)`, for a skill requirement; a text (a skill group's
/// condition, `language:en ≥ 4`) as it is.
fn skill_line(v: &Value) -> String {
    if let Value::String(text) = v {
        return safe(text);
    }
    match (v.get("skill"), v.get("proficiency"), v.get("required")) {
        (Some(Value::String(s)), Some(Value::String(p)), Some(Value::Bool(r))) => {
            format!("{} {p}{}", safe(s), if *r { "" } else { " (optional)" })
        }
        _ => safe(&v.to_string()),
    }
}

fn is_multiline(f: &FieldChange) -> bool {
    f.before.is_array() || f.after.is_array()
}

/// Unified line diff of a field's before and after, via `similar`.
fn field_diff(f: &FieldChange) -> Vec<(char, String)> {
    let before = pretty(&f.before);
    let after = pretty(&f.after);
    let diff = similar::TextDiff::from_lines(&before, &after);
    diff.iter_all_changes()
        .map(|c| {
            let sign = match c.tag() {
                similar::ChangeTag::Delete => '-',
                similar::ChangeTag::Insert => '+',
                similar::ChangeTag::Equal => ' ',
            };
            (sign, c.value().trim_end_matches('\n').to_string())
        })
        .collect()
}

/// A name or path from the tenant or the repository, safe to print.
fn safe(name: &str) -> String {
    crate::output::printable::printable(name).into_owned()
}

struct Colors {
    on: bool,
}

impl Colors {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

fn sign(a: Action) -> (char, &'static str) {
    match a {
        Action::Create => ('+', "32"),
        Action::Update => ('~', "33"),
        Action::Delete => ('-', "31"),
    }
}

/// What applying a plan costs: the requests it sends, at the client's pace.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cost {
    pub requests: usize,
    /// The client's ceiling, requests per second.
    pub per_second: f64,
}

impl Cost {
    /// ` — 87 requests, about 18 s at 5/s`: the suffix of the `Plan:` line.
    pub fn suffix(&self) -> String {
        let rate = self.per_second.max(0.001);
        let secs = (self.requests as f64 / rate).ceil() as u64;
        let time = match secs {
            0 => "no time".to_string(),
            s if s < 120 => format!("about {s} s"),
            s if s < 7200 => format!("about {} min", s.div_ceil(60)),
            s => format!("about {} h", s.div_ceil(3600)),
        };
        let rate = if (rate - rate.round()).abs() < 1e-9 {
            format!("{rate:.0}")
        } else {
            format!("{rate}")
        };
        let noun = if self.requests == 1 {
            "request"
        } else {
            "requests"
        };
        format!(" — {} {noun}, {time} at {rate}/s", self.requests)
    }
}

#[cfg(test)]
/// The text plan without its cost (the tests' shorthand for [`text_with_cost`]).
fn text(plan: &Plan, color: bool) -> String {
    text_with_cost(plan, color, None)
}

/// The text plan: one block per changed queue, then the summary line, with the cost of
/// applying it after it when given (`Plan: … unchanged. — 87 requests, about 18 s at 5/s`).
pub(crate) fn text_with_cost(plan: &Plan, color: bool, cost: Option<Cost>) -> String {
    let c = Colors { on: color };
    let mut out = String::new();
    for ch in &plan.changes {
        let (s, code) = sign(ch.action());
        let id = match (ch.id(), ch.version()) {
            (Some(id), Some(v)) => format!(" (id {id}, version {v})"),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "{} {}{}  {}",
            c.paint(code, &s.to_string()),
            c.paint("1", &safe(&ch.name)),
            id,
            c.paint("2", &safe(&ch.file.display().to_string()))
        );
        for f in &ch.fields {
            if is_multiline(f) {
                let _ = writeln!(out, "    {}:", f.path);
                for (sg, line) in field_diff(f) {
                    let painted = match sg {
                        '-' => c.paint("31", &format!("- {line}")),
                        '+' => c.paint("32", &format!("+ {line}")),
                        _ => format!("  {line}"),
                    };
                    let _ = writeln!(out, "      {painted}");
                }
            } else {
                let _ = writeln!(
                    out,
                    "    {}: {} → {}",
                    f.path,
                    show(&f.before),
                    show(&f.after)
                );
            }
        }
        out.push('\n');
    }
    if !plan.unmanaged.is_empty() {
        let names: Vec<String> = plan.unmanaged.iter().map(|u| safe(&u.name)).collect();
        let _ = writeln!(
            out,
            "{} tenant queues are not managed by this repository: {}",
            names.len(),
            names.join(", ")
        );
    }
    let _ = writeln!(
        out,
        "{}{}",
        c.paint("1", &summary_line(&plan.summary(), plan.deletes)),
        cost.map(|c| c.suffix()).unwrap_or_default()
    );
    out
}

pub(crate) fn md_escape(s: &str) -> String {
    safe(s)
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The fields a reviewer reads: for a create, only those the document sets.
fn shown_fields(ch: &Change) -> impl Iterator<Item = &FieldChange> {
    ch.fields
        .iter()
        .filter(move |f| ch.action() != Action::Create || !f.after.is_null())
}

fn details(ch: &Change, deletes: tenant::DeleteMode) -> String {
    let (s, _) = sign(ch.action());
    let mut body = String::new();
    for f in shown_fields(ch) {
        if ch.action() == Action::Create {
            if is_multiline(f) {
                let _ = writeln!(body, "+ {}:", f.path);
                for line in pretty(&f.after).lines() {
                    let _ = writeln!(body, "+   {line}");
                }
            } else {
                let _ = writeln!(body, "+ {}: {}", f.path, show(&f.after));
            }
        } else if is_multiline(f) {
            let _ = writeln!(body, "  {}:", f.path);
            for (sg, line) in field_diff(f) {
                let _ = writeln!(body, "{sg}   {line}");
            }
        } else {
            let _ = writeln!(body, "- {}: {}", f.path, show(&f.before));
            let _ = writeln!(body, "+ {}: {}", f.path, show(&f.after));
        }
    }
    if ch.action() == Action::Delete {
        let _ = writeln!(
            body,
            "- {} ({} by tombstone)",
            safe(&ch.name),
            deletes.done()
        );
    }
    let body = body.replace("```", "` ` `");
    format!(
        "<details><summary>{s} {}</summary>\n\n```diff\n{body}```\n\n</details>\n",
        md_escape(&ch.name)
    )
}

/// `### cxqueues plan · tenant acme-us · commit `abc1234``: a stale comment shows itself.
fn header(origin: &Origin) -> String {
    let mut h = format!("### cxqueues plan · tenant {}", md_escape(&origin.tenant));
    match origin.short_commit() {
        Some(c) => {
            let _ = write!(h, " · commit `{}`", md_escape(c));
        }
        None => h.push_str(" · not a git commit"),
    }
    if origin.simulated {
        h.push_str(" · simulated tenant (`--sim`)");
    }
    h.push_str("\n\n");
    h
}

/// The unmanaged tenant queues, named in a collapsed block of at most `room` characters.
fn unmanaged_block(unmanaged: &[reconcile::Unmanaged], room: usize) -> String {
    if unmanaged.is_empty() {
        return String::new();
    }
    let open = format!(
        "\n<details><summary>{} tenant queues are not managed by this repository</summary>\n\n",
        unmanaged.len()
    );
    let close = "\n</details>\n";
    let mut list = String::new();
    let mut named = 0;
    for u in unmanaged {
        let line = format!("- {}\n", md_escape(&u.name));
        if open.len() + list.len() + line.len() + close.len() + 40 > room {
            break;
        }
        list.push_str(&line);
        named += 1;
    }
    if named < unmanaged.len() {
        let _ = writeln!(list, "- … and {} more", unmanaged.len() - named);
    }
    format!("{open}{list}{close}")
}

/// The markdown of a plan that could not be made: every error at `file:line:column`.
fn invalid_markdown(mut out: String, file: &PlanFile, limit: usize) -> String {
    let n = file.errors.len();
    let _ = write!(
        out,
        "**The plan cannot be made: {n} error{}.** Nothing can be applied from this commit until {} fixed.\n\n",
        if n == 1 { "" } else { "s" },
        if n == 1 { "it is" } else { "they are" },
    );
    let budget = limit.saturating_sub(200);
    let mut shown = 0;
    for e in &file.errors {
        let mut line = format!(
            "- `{}:{}:{}` {}: {}",
            e.file.display(),
            e.line,
            e.column,
            e.rule,
            md_escape(&e.message)
        );
        if let Some(h) = &e.hint {
            let _ = write!(line, " (hint: {})", md_escape(h));
        }
        line.push('\n');
        if out.len() + line.len() > budget {
            break;
        }
        out.push_str(&line);
        shown += 1;
    }
    if shown < n {
        let _ = writeln!(
            out,
            "\n> **{} more errors**; the full list is in the job log.",
            n - shown
        );
    }
    out
}

/// The markdown plan: the header (tenant, commit), the summary, a table of changed queues,
/// a collapsed diff per queue, the unmanaged queues; never longer than [`MARKDOWN_LIMIT`]
/// characters.
pub(crate) fn markdown(file: &PlanFile) -> String {
    markdown_limited(file, MARKDOWN_LIMIT)
}

/// The markdown plan with nothing left out (for a job log).
pub(crate) fn markdown_full(file: &PlanFile) -> String {
    markdown_limited(file, usize::MAX)
}

/// The markdown plan in at most `limit` bytes (so at most `limit` characters): the summary
/// first, then the table, then the per-queue diffs while they fit, then a note of what was
/// left out.
pub(crate) fn markdown_limited(file: &PlanFile, limit: usize) -> String {
    let mut out = header(&file.origin);
    if file.status == PlanStatus::Invalid {
        return invalid_markdown(out, file, limit);
    }
    let summary = file.summary;
    let _ = write!(out, "**{}**", summary_line(&summary, file.deletes));
    if summary.unmanaged > 0 {
        let _ = write!(out, " {} tenant queues are unmanaged.", summary.unmanaged);
    }
    out.push_str("\n\n");
    let unmanaged = unmanaged_block(&file.unmanaged, limit / 10);
    let gated = gated_block(file, limit / 5);
    if file.changes.is_empty() {
        let held: std::collections::BTreeSet<&str> =
            file.held.iter().map(|h| h.queue.as_str()).collect();
        let drifted = file.drift.iter().filter(|d| !d.corrected).count();
        match (held.len(), file.origin.short_commit()) {
            (0, _) if drifted > 0 => {
                let _ = writeln!(
                    out,
                    "No changes to apply. {drifted} queue{} drifted from the repository and {} not corrected (below).",
                    if drifted == 1 { "" } else { "s" },
                    if drifted == 1 { "is" } else { "are" }
                );
            }
            (0, Some(c)) => {
                let _ = writeln!(
                    out,
                    "No changes. The tenant matches the repository at commit `{}`.",
                    md_escape(c)
                );
            }
            (0, None) => out.push_str("No changes. The tenant matches the repository.\n"),
            (n, _) => {
                let _ = writeln!(
                    out,
                    "No changes to apply now: {n} queue{} held back by a change window (below).",
                    if n == 1 { " is" } else { "s are" }
                );
            }
        }
        out.push_str(&gated);
        out.push_str(&unmanaged);
        return out;
    }
    // Room for the closing note, the held changes and drift, and the unmanaged queues.
    let budget = limit.saturating_sub(400 + gated.len() + unmanaged.len());
    let table_budget = budget / 5 * 2;
    out.push_str("| | queue | changed fields | file |\n|---|---|---|---|\n");
    let mut in_table = 0;
    for ch in &file.changes {
        let fields: Vec<&str> = shown_fields(ch).map(|f| f.path.as_str()).collect();
        let row = format!(
            "| {} {} | {} | {} | `{}` |\n",
            sign(ch.action()).0,
            match ch.action() {
                Action::Create => "create",
                Action::Update => "update",
                Action::Delete => file.deletes.verb(),
            },
            md_escape(&ch.name),
            md_escape(&fields.join(", ")),
            safe(&ch.file.display().to_string())
        );
        if out.len() + row.len() > table_budget {
            break;
        }
        out.push_str(&row);
        in_table += 1;
    }
    if in_table < file.changes.len() {
        let _ = writeln!(out, "| … | {} more | | |", file.changes.len() - in_table);
    }
    out.push('\n');
    let mut detailed = 0;
    for ch in &file.changes {
        let d = details(ch, file.deletes);
        if out.len() + d.len() > budget {
            break;
        }
        out.push_str(&d);
        detailed += 1;
    }
    if detailed < file.changes.len() {
        let rest = &file.changes[detailed..];
        let n = |a| rest.iter().filter(|c| c.action() == a).count();
        let _ = write!(
            out,
            "\n> **{} more queues changed; the full plan is in the job log** ({} to create, {} to \
             update, {} to {}): this comment is limited to {limit} characters.\n",
            rest.len(),
            n(Action::Create),
            n(Action::Update),
            n(Action::Delete),
            file.deletes.verb(),
        );
    }
    out.push_str(&gated);
    out.push_str(&unmanaged);
    out
}

/// The changes a change window holds back and the drift not corrected, as two tables in at
/// most `room` bytes (rows while they fit, then a count of the rest). Times are UTC.
fn gated_block(file: &PlanFile, room: usize) -> String {
    let drift: Vec<&DriftEntry> = file.drift.iter().filter(|d| !d.corrected).collect();
    if file.held.is_empty() && drift.is_empty() {
        return String::new();
    }
    // Each row, and whether it is a queue (not a heading).
    let mut rows: Vec<(String, bool)> = Vec::new();
    if !file.held.is_empty() {
        rows.push((
            "\n**Held back by a change window** (applied when it lifts: by `cxqueues run`, or the next `apply`)\n\n| queue | held | window | until (UTC) |\n|---|---|---|---|\n".to_string(),
            false,
        ));
        for h in &file.held {
            let what = match h.applies {
                model::Applies::Changes => "",
                model::Applies::Drift => "drift correction: ",
            };
            rows.push((
                format!(
                    "| {} | {what}{} | {} | {} |\n",
                    md_escape(&h.queue),
                    md_escape(&changed_fields(&h.fields)),
                    md_escape(&h.window),
                    h.until
                        .as_deref()
                        .map_or("no end in sight".to_string(), md_escape)
                ),
                true,
            ));
        }
    }
    if !drift.is_empty() {
        rows.push((
            "\n**Drift not corrected** (the tenant differs from the repository)\n\n| queue | tenant → repository | why | changed by |\n|---|---|---|---|\n".to_string(),
            false,
        ));
        for d in drift {
            let why = match d.mode {
                model::DriftMode::Warn => "drift mode warn",
                _ => "held by a change window",
            };
            rows.push((
                format!(
                    "| {} | {} | {why} | {} |\n",
                    md_escape(&d.queue),
                    md_escape(&changed_fields(&d.fields)),
                    d.modified_by.as_deref().map_or(String::new(), md_escape)
                ),
                true,
            ));
        }
    }
    let mut out = String::new();
    let mut left: usize = 0;
    for (row, queue) in &rows {
        if left > 0 || out.len() + row.len() + 60 > room {
            left += usize::from(*queue);
            continue;
        }
        out.push_str(row);
    }
    if left > 0 {
        let _ = writeln!(
            out,
            "\n> {left} more row{} of held changes or drift in the job log.",
            if left == 1 { "" } else { "s" }
        );
    }
    out
}

/// One held change in the plan JSON: `{queue, fields, window, until, applies}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HeldEntry {
    pub queue: String,
    pub fields: Vec<FieldChange>,
    pub window: String,
    /// RFC 3339, UTC (`null`: no end in sight).
    pub until: Option<String>,
    /// `changes` (a commit's change) or `drift` (a drift correction).
    pub applies: model::Applies,
}

impl From<&Held> for HeldEntry {
    fn from(h: &Held) -> Self {
        Self {
            queue: h.queue.clone(),
            fields: h.fields.clone(),
            window: h.window.clone(),
            until: h.until.map(|t| model::time::rfc3339_secs(t.as_second())),
            applies: h.applies,
        }
    }
}

/// One queue's drift in the plan JSON and `/status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DriftEntry {
    pub queue: String,
    /// `correct`, `warn`.
    pub mode: model::DriftMode,
    /// Each field: `before` the tenant's value, `after` the declared one.
    pub fields: Vec<FieldChange>,
    pub modified_by: Option<String>,
    pub modified_at: Option<String>,
    pub corrected: bool,
}

impl From<&DriftFound> for DriftEntry {
    fn from(d: &DriftFound) -> Self {
        Self {
            queue: d.queue.clone(),
            mode: d.mode,
            fields: d.fields.clone(),
            modified_by: d.modified_by.clone(),
            modified_at: d.modified_at.clone(),
            corrected: d.corrected,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reconcile::Desired;
    use serde_json::json;

    fn gated_file(held: usize, drift: usize) -> PlanFile {
        let mut file = PlanFile::from_plan(&Plan::default(), Origin::default());
        file.held = (0..held)
            .map(|i| HeldEntry {
                queue: format!("Held {i}"),
                fields: vec![FieldChange {
                    path: "maxWaitTime".into(),
                    before: json!(300),
                    after: json!(240),
                }],
                window: "freeze".into(),
                until: (i == 0).then(|| "2026-12-05T18:00:00Z".to_string()),
                applies: model::Applies::Changes,
            })
            .collect();
        file.drift = (0..drift)
            .map(|i| DriftEntry {
                queue: format!("Drifted {i}"),
                mode: model::DriftMode::Warn,
                fields: vec![FieldChange {
                    path: "maxWaiters".into(),
                    before: json!(12),
                    after: json!(10),
                }],
                modified_by: Some("alice".into()),
                modified_at: None,
                corrected: false,
            })
            .collect();
        file
    }

    #[test]
    fn a_markdown_plan_whose_changes_are_all_held_says_so_and_lists_them_never_in_sync() {
        let md = markdown(&gated_file(2, 1));
        assert!(
            md.contains("No changes to apply now: 2 queues are held back by a change window"),
            "{md}"
        );
        assert!(!md.contains("matches the repository"), "{md}");
        assert!(
            md.contains("| Held 0 | maxWaitTime 300 → 240 | freeze | 2026-12-05T18:00:00Z |"),
            "{md}"
        );
        assert!(md.contains("| Held 1 | maxWaitTime 300 → 240 | freeze | no end in sight |"));
        assert!(
            md.contains("| Drifted 0 | maxWaiters 12 → 10 | drift mode warn | alice |"),
            "{md}"
        );
        // Changes to apply and held ones: the plan's table, then the held table.
        let mut both = PlanFile::from_plan(&plan_of(2), Origin::default());
        both.held = gated_file(1, 0).held;
        let md = markdown(&both);
        let (table, held) = (md.find("| queue | changed fields |"), md.find("| Held 0 |"));
        assert!(table.is_some() && held.is_some() && table < held, "{md}");
        assert!(!md.contains("No changes"), "{md}");
        // Drift only: not "in sync" either.
        let md = markdown(&gated_file(0, 2));
        assert!(
            md.contains("No changes to apply. 2 queues drifted from the repository and are not corrected (below)."),
            "{md}"
        );
        assert!(!md.contains("matches the repository"), "{md}");
        // A queue held twice (its change and its drift correction) counts once.
        let mut twice = gated_file(1, 0);
        let mut correction = twice.held[0].clone();
        correction.applies = model::Applies::Drift;
        twice.held.push(correction);
        assert!(markdown(&twice).contains("1 queue is held back"));
        // Without held changes or drift, the in-sync sentence stays.
        let md = markdown(&gated_file(0, 0));
        assert!(
            md.contains("No changes. The tenant matches the repository."),
            "{md}"
        );
        assert!(!md.contains("Held back"), "{md}");
    }

    #[test]
    fn held_changes_beyond_the_room_are_counted_not_cut_mid_row() {
        let file = gated_file(500, 500);
        let md = markdown_limited(&file, 8_000);
        assert!(md.len() <= 8_000, "{}", md.len());
        assert!(md.contains("| Held 0 |"), "{md}");
        let rows = md.matches("| Held ").count() + md.matches("| Drifted ").count();
        assert!(
            md.contains(&format!(
                "> {} more rows of held changes or drift in the job log.",
                1000 - rows
            )),
            "{md}"
        );
        for line in md
            .lines()
            .filter(|l| l.starts_with("| Held") || l.starts_with("| Drifted"))
        {
            assert!(line.ends_with(" |"), "a whole row: {line}");
        }
    }

    fn change(i: usize, action: Action) -> Change {
        Change {
            name: format!("Queue {i:05}"),
            op: {
                let (id, revision) = (
                    format!("id-{i}"),
                    reconcile::Revision {
                        version: Some(3),
                        modified_at: None,
                    },
                );
                match action {
                    Action::Create => reconcile::Op::Create,
                    Action::Update => reconcile::Op::Update { id, revision },
                    Action::Delete => reconcile::Op::Delete { id, revision },
                }
            },
            fields: vec![
                FieldChange {
                    path: "maxWaitTime".into(),
                    before: json!(300),
                    after: json!(240),
                },
                FieldChange {
                    path: "skillRequirements".into(),
                    before: json!([{"skill": "language:en", "proficiency": "beginner", "required": true}]),
                    after: json!([{"skill": "language:en", "proficiency": "expert", "required": true}]),
                },
            ],
            file: format!("queues/q{i:05}.yaml").into(),
            desired: Desired {
                name: format!("Queue {i:05}"),
                description: None,
                skill_requirements: None,
                service_level_target: None,
                max_wait_time: Some(240),
                max_waiters: None,
                overflow: None,
                settings: Default::default(),
            },
            after: Vec::new(),
        }
    }

    fn plan_of(n: usize) -> Plan {
        Plan {
            changes: (0..n)
                .map(|i| {
                    change(
                        i,
                        if i % 10 == 0 {
                            Action::Create
                        } else {
                            Action::Update
                        },
                    )
                })
                .collect(),
            ..Plan::default()
        }
    }

    fn origin() -> Origin {
        Origin {
            tenant: "acme-us".into(),
            commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
            simulated: false,
        }
    }

    fn file(p: &Plan) -> PlanFile {
        PlanFile::from_plan(p, origin())
    }

    #[test]
    fn a_markdown_plan_of_5000_changed_queues_stays_under_the_limit_and_says_what_it_left_out() {
        let md = markdown(&file(&plan_of(5000)));
        assert!(md.len() <= MARKDOWN_LIMIT, "{} characters", md.len());
        assert!(md.contains("\n\n**Plan: 500 to create, 4500 to update"));
        assert!(md.contains("the full plan is in the job log"));
        let shown = md.matches("<details>").count();
        let said: usize = md
            .split("**")
            .find_map(|s| s.strip_suffix(" more queues changed; the full plan is in the job log"))
            .and_then(|n| n.parse().ok())
            .unwrap();
        assert_eq!(shown + said, 5000, "every queue is either shown or counted");
        let full = markdown_full(&file(&plan_of(5000)));
        assert_eq!(full.matches("<details>").count(), 5000);
        assert!(!full.contains("job log"));
    }

    #[test]
    fn a_small_markdown_plan_shows_every_queue_in_the_table_and_in_details() {
        let md = markdown(&file(&plan_of(3)));
        assert_eq!(md.matches("<details>").count(), 3);
        assert_eq!(md.matches("| ~ update |").count(), 2);
        assert!(md.contains("```diff\n- maxWaitTime: 300\n+ maxWaitTime: 240\n"));
        assert!(
            md.contains("-   language:en beginner\n+   language:en expert\n"),
            "{md}"
        );
        assert!(!md.contains("job log"));
    }

    #[test]
    fn the_markdown_header_names_the_tenant_and_the_short_commit() {
        let md = markdown(&file(&plan_of(1)));
        assert!(
            md.starts_with("### cxqueues plan · tenant acme-us · commit `0123456`\n\n**Plan:"),
            "{md}"
        );
        let sim = PlanFile::from_plan(
            &plan_of(1),
            Origin {
                commit: None,
                simulated: true,
                ..origin()
            },
        );
        assert!(markdown(&sim).starts_with(
            "### cxqueues plan · tenant acme-us · not a git commit · simulated tenant (`--sim`)\n"
        ));
    }

    #[test]
    fn a_create_lists_only_the_fields_its_document_sets() {
        let mut ch = change(1, Action::Create);
        ch.fields = vec![
            FieldChange {
                path: "description".into(),
                before: Value::Null,
                after: Value::Null,
            },
            FieldChange {
                path: "maxWaitTime".into(),
                before: Value::Null,
                after: json!(240),
            },
            FieldChange {
                path: "skillRequirements".into(),
                before: Value::Null,
                after: json!([{"skill": "billing", "proficiency": "expert", "required": false}]),
            },
        ];
        let p = Plan {
            changes: vec![ch],
            ..Plan::default()
        };
        let md = markdown(&file(&p));
        assert!(!md.contains("(none)"), "{md}");
        assert!(!md.contains("description"), "{md}");
        assert!(
            md.contains("```diff\n+ maxWaitTime: 240\n+ skillRequirements:\n+   billing expert (optional)\n```"),
            "{md}"
        );
        assert!(md.contains("| maxWaitTime, skillRequirements |"), "{md}");
    }

    #[test]
    fn an_empty_plan_says_no_changes_at_its_commit_and_names_unmanaged_queues_collapsed() {
        let p = Plan {
            unmanaged: vec![
                reconcile::Unmanaged {
                    id: "u1".into(),
                    name: "Legacy IVR".into(),
                },
                reconcile::Unmanaged {
                    id: "u2".into(),
                    name: "Test <x>".into(),
                },
            ],
            ..Plan::default()
        };
        let md = markdown(&file(&p));
        assert!(md.contains("No changes. The tenant matches the repository at commit `0123456`."));
        assert!(md.contains(
            "<details><summary>2 tenant queues are not managed by this repository</summary>\n\n- Legacy IVR\n- Test &lt;x&gt;\n\n</details>"
        ), "{md}");
    }

    #[test]
    fn thousands_of_unmanaged_queues_are_counted_past_a_tenth_of_the_limit() {
        let p = Plan {
            unmanaged: (0..20_000)
                .map(|i| reconcile::Unmanaged {
                    id: format!("u{i}"),
                    name: format!("Unmanaged {i}"),
                })
                .collect(),
            ..plan_of(2)
        };
        let md = markdown_limited(&file(&p), 65_000);
        assert!(md.len() <= 65_000);
        assert_eq!(
            md.matches("<details><summary>").count(),
            3,
            "two changes, one list"
        );
        assert!(md.contains("- … and "), "{}", &md[md.len() - 300..]);
    }

    #[test]
    fn an_invalid_plan_names_each_error_at_file_line_column() {
        let diags = vec![
            model::Diagnostic::error(
                model::Rule::UnknownSkill,
                "queues/billing.yaml",
                model::Loc::new(12, 9),
                "skill \"biling\" does not exist in the tenant",
            )
            .with_hint("did you mean `billing`?"),
            model::Diagnostic::warning(
                model::Rule::OverflowNeverFires,
                "queues/x.yaml",
                model::Loc::new(3, 1),
                "a warning is not a reason",
            ),
        ];
        let doc = PlanFile::invalid(origin(), &diags);
        let md = markdown(&doc);
        assert!(md.contains("**The plan cannot be made: 1 error.**"), "{md}");
        assert!(md.contains(
            "- `queues/billing.yaml:12:9` unknown-skill: skill \"biling\" does not exist in the tenant (hint: did you mean `billing`?)\n"
        ), "{md}");
        assert!(!md.contains("warning"));
        let back: PlanFile = serde_json::from_str(&json(&doc)).unwrap();
        assert_eq!(back.status, PlanStatus::Invalid);
        assert_eq!(back.errors.len(), 1);
        let v: Value = serde_json::from_str(&json(&doc)).unwrap();
        assert_eq!(v["status"], "invalid");
        assert_eq!(v["errors"][0]["line"], 12);
    }

    #[test]
    fn bidi_controls_in_names_files_skills_and_values_are_escaped_in_text_and_markdown() {
        let rlo = '\u{202E}';
        let mut ch = change(1, Action::Delete);
        ch.name = format!("Sales{rlo}gnp.exe \u{2066}x\u{2069}");
        ch.file = format!("queues/a{rlo}.yaml").into();
        ch.fields = vec![
            FieldChange {
                path: "description".into(),
                before: json!(format!("old{rlo}")),
                after: json!("new\u{200F}"),
            },
            FieldChange {
                path: "skillRequirements".into(),
                before: json!([]),
                after: json!([{"skill": format!("lang{rlo}"), "proficiency": "expert", "required": true}]),
            },
        ];
        let plan = Plan {
            changes: vec![ch],
            unmanaged: vec![reconcile::Unmanaged {
                id: "x".into(),
                name: "Other\u{202A}".to_string(),
            }],
            ..Plan::default()
        };
        let md = markdown(&PlanFile::from_plan(&plan, origin()));
        for out in [text(&plan, false), text(&plan, true), md] {
            for bidi in ['\u{202E}', '\u{202A}', '\u{2066}', '\u{2069}', '\u{200F}'] {
                assert!(!out.contains(bidi), "raw {bidi:?} in:\n{out}");
            }
            assert!(out.contains("Sales\\u{202e}gnp.exe"), "{out}");
        }
        assert!(text(&plan, false).contains("Other\\u{202a}"));
    }

    #[test]
    fn the_cost_suffix_counts_requests_and_time_at_the_clients_pace() {
        let cases = [
            (87, 5.0, " — 87 requests, about 18 s at 5/s"),
            (1, 8.0, " — 1 request, about 1 s at 8/s"),
            (0, 5.0, " — 0 requests, no time at 5/s"),
            (600, 2.5, " — 600 requests, about 4 min at 2.5/s"),
            (100_000, 5.0, " — 100000 requests, about 6 h at 5/s"),
        ];
        for (requests, per_second, want) in cases {
            assert_eq!(
                Cost {
                    requests,
                    per_second
                }
                .suffix(),
                want
            );
        }
    }

    #[test]
    fn text_is_coloured_only_when_asked() {
        let p = plan_of(2);
        assert!(text(&p, true).contains("\x1b[33m~\x1b[0m"));
        let plain = text(&p, false);
        assert!(!plain.contains('\x1b'));
        assert!(plain.contains("    maxWaitTime: 300 → 240\n"));
        assert!(plain.ends_with("Plan: 1 to create, 1 to update, 0 to delete, 0 unchanged.\n"));
    }

    #[test]
    fn the_json_plan_round_trips_for_apply_plan_with_its_origin() {
        let p = plan_of(4);
        let back = serde_json::from_str::<PlanFile>(&json(&file(&p))).unwrap();
        assert_eq!(back.origin, origin());
        assert_eq!(back.status, PlanStatus::Valid);
        assert_eq!(back.into_plan().changes, p.changes);
        let v: Value = serde_json::from_str(&json(&file(&p))).unwrap();
        assert_eq!(v["formatVersion"], 1);
        assert_eq!(v["summary"]["update"], 3);
        assert_eq!(v["changes"][1]["fields"][0]["path"], "maxWaitTime");
        assert_eq!(v["tenant"], "acme-us");
        assert_eq!(v["commit"], "0123456789abcdef0123456789abcdef01234567");
        assert_eq!(v["status"], "valid");
    }

    #[test]
    fn a_plan_saved_before_origin_and_status_existed_still_reads_as_valid() {
        let old = r#"{"formatVersion": 1, "summary": {"create": 0, "update": 0, "delete": 0,
            "unchanged": 2, "unmanaged": 0}, "changes": [], "unchanged": ["A", "B"]}"#;
        let f: PlanFile = serde_json::from_str(old).unwrap();
        assert_eq!(f.status, PlanStatus::Valid);
        assert_eq!(f.origin, Origin::default());
        assert_eq!(f.unchanged, ["A", "B"]);
    }
}
