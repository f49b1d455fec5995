//! The three plan formats of `cli.md`: text (a terminal), markdown (a PR comment) and json
//! (machines, and saved plans for `apply --plan`).

use std::fmt::Write as _;

use reconcile::{Action, Change, FieldChange, Plan, Summary};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The markdown limit of a PR comment (GitHub allows 65,536).
pub const MARKDOWN_LIMIT: usize = 65_000;

/// The JSON plan, `formatVersion` 1. Fields may be added, never renamed.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanFile {
    pub format_version: u32,
    pub summary: Summary,
    pub changes: Vec<Change>,
    #[serde(default)]
    pub unchanged: Vec<String>,
    #[serde(default)]
    pub unmanaged: Vec<reconcile::Unmanaged>,
    #[serde(default)]
    pub ids: std::collections::BTreeMap<String, String>,
    /// What a tombstone does on the platform (`delete`, `deactivate`).
    #[serde(default)]
    pub deletes: tenant::DeleteMode,
}

impl PlanFile {
    pub fn from_plan(plan: &Plan) -> Self {
        Self {
            format_version: 1,
            summary: plan.summary(),
            changes: plan.changes.clone(),
            unchanged: plan.unchanged.clone(),
            unmanaged: plan.unmanaged.clone(),
            ids: plan.ids.clone(),
            deletes: plan.deletes,
        }
    }

    pub fn into_plan(self) -> Plan {
        Plan {
            changes: self.changes,
            unchanged: self.unchanged,
            unmanaged: self.unmanaged,
            ids: self.ids,
            diagnostics: Vec::new(),
            deletes: self.deletes,
        }
    }
}

pub fn json(plan: &Plan) -> String {
    let mut s = serde_json::to_string_pretty(&PlanFile::from_plan(plan)).expect("plan is JSON");
    s.push('\n');
    s
}

/// `Plan: 1 to create, 3 to update, 0 to delete, 120 unchanged.` (`to deactivate` on a
/// platform that deactivates instead).
pub fn summary_line(s: &Summary, deletes: tenant::DeleteMode) -> String {
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

/// `language:en advanced (required)`, for a skill requirement.
fn skill_line(v: &Value) -> String {
    match (v.get("skill"), v.get("proficiency"), v.get("required")) {
        (Some(Value::String(s)), Some(Value::String(p)), Some(Value::Bool(r))) => {
            format!("{s} {p}{}", if *r { "" } else { " (optional)" })
        }
        _ => v.to_string(),
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

/// A name from the tenant, safe to print: control characters (an ANSI escape, a newline)
/// shown escaped.
fn safe(name: &str) -> String {
    if name.chars().any(char::is_control) {
        name.escape_debug().to_string()
    } else {
        name.to_string()
    }
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

/// The text plan: one block per changed queue, then the summary line.
pub fn text(plan: &Plan, color: bool) -> String {
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
            c.paint("2", &ch.file.display().to_string())
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
        "{}",
        c.paint("1", &summary_line(&plan.summary(), plan.deletes))
    );
    out
}

fn md_escape(s: &str) -> String {
    safe(s)
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn details(ch: &Change, deletes: tenant::DeleteMode) -> String {
    let (s, _) = sign(ch.action());
    let mut body = String::new();
    for f in &ch.fields {
        if is_multiline(f) {
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
        let _ = writeln!(body, "- {} ({} by tombstone)", ch.name, deletes.done());
    }
    let body = body.replace("```", "` ` `");
    format!(
        "<details><summary>{s} {}</summary>\n\n```diff\n{body}```\n\n</details>\n",
        md_escape(&ch.name)
    )
}

/// The markdown plan: the summary first, a table of changed queues, then a collapsed diff per
/// queue; never longer than [`MARKDOWN_LIMIT`] characters.
pub fn markdown(plan: &Plan) -> String {
    markdown_limited(plan, MARKDOWN_LIMIT)
}

pub fn markdown_limited(plan: &Plan, limit: usize) -> String {
    let summary = plan.summary();
    let mut out = format!("**{}**", summary_line(&summary, plan.deletes));
    if summary.unmanaged > 0 {
        let _ = write!(out, " {} tenant queues are unmanaged.", summary.unmanaged);
    }
    out.push_str("\n\n");
    if plan.changes.is_empty() {
        out.push_str("No changes. The tenant matches the repository.\n");
        return out;
    }
    // Room for the closing note.
    let budget = limit.saturating_sub(400);
    let table_budget = budget * 2 / 5;
    out.push_str("| | queue | changed fields | file |\n|---|---|---|---|\n");
    let mut in_table = 0;
    for ch in &plan.changes {
        let fields: Vec<&str> = ch.fields.iter().map(|f| f.path.as_str()).collect();
        let row = format!(
            "| {} {} | {} | {} | `{}` |\n",
            sign(ch.action()).0,
            match ch.action() {
                Action::Create => "create",
                Action::Update => "update",
                Action::Delete => plan.deletes.verb(),
            },
            md_escape(&ch.name),
            md_escape(&fields.join(", ")),
            ch.file.display()
        );
        if out.len() + row.len() > table_budget {
            break;
        }
        out.push_str(&row);
        in_table += 1;
    }
    if in_table < plan.changes.len() {
        let _ = writeln!(out, "| … | {} more | | |", plan.changes.len() - in_table);
    }
    out.push('\n');
    let mut detailed = 0;
    for ch in &plan.changes {
        let d = details(ch, plan.deletes);
        if out.len() + d.len() > budget {
            break;
        }
        out.push_str(&d);
        detailed += 1;
    }
    if detailed < plan.changes.len() {
        let rest = &plan.changes[detailed..];
        let n = |a| rest.iter().filter(|c| c.action() == a).count();
        let _ = write!(
            out,
            "\n> **{} more changed queues are not shown** ({} to create, {} to update, {} to {}): \
             this comment is limited to {limit} characters. Run `cxqueues plan` for the full plan.\n",
            rest.len(),
            n(Action::Create),
            n(Action::Update),
            n(Action::Delete),
            plan.deletes.verb(),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use reconcile::Desired;
    use serde_json::json;

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

    #[test]
    fn a_markdown_plan_of_5000_changed_queues_stays_under_the_limit_and_says_what_it_left_out() {
        let md = markdown(&plan_of(5000));
        assert!(md.len() <= MARKDOWN_LIMIT, "{} characters", md.len());
        assert!(md.starts_with("**Plan: 500 to create, 4500 to update"));
        assert!(md.contains("more changed queues are not shown"));
        let shown = md.matches("<details>").count();
        let said: usize = md
            .split("**")
            .find_map(|s| s.strip_suffix(" more changed queues are not shown"))
            .and_then(|n| n.parse().ok())
            .unwrap();
        assert_eq!(shown + said, 5000, "every queue is either shown or counted");
    }

    #[test]
    fn a_small_markdown_plan_shows_every_queue_in_the_table_and_in_details() {
        let md = markdown(&plan_of(3));
        assert_eq!(md.matches("<details>").count(), 3);
        assert_eq!(md.matches("| ~ update |").count(), 2);
        assert!(md.contains("```diff\n- maxWaitTime: 300\n+ maxWaitTime: 240\n"));
        assert!(
            md.contains("-   language:en beginner\n+   language:en expert\n"),
            "{md}"
        );
        assert!(!md.contains("not shown"));
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
    fn the_json_plan_round_trips_for_apply_plan() {
        let p = plan_of(4);
        let back = serde_json::from_str::<PlanFile>(&json(&p))
            .unwrap()
            .into_plan();
        assert_eq!(back.changes, p.changes);
        let v: Value = serde_json::from_str(&json(&p)).unwrap();
        assert_eq!(v["formatVersion"], 1);
        assert_eq!(v["summary"]["update"], 3);
        assert_eq!(v["changes"][1]["fields"][0]["path"], "maxWaitTime");
    }
}
