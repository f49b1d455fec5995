//! Change windows and drift modes for every command that plans (`plan`, `apply`, `run`):
//! the last applied desired state kept in the state directory (how change is told from
//! drift; the pipeline gates each plan with it, [`crate::pipeline::GateOptions`]), and how
//! held changes and drift are shown (text lines, plan JSON).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use model::{Repository, Windows};
use reconcile::{ApplyReport, Desired, DriftFound, FieldChange, Gated, Held};
use serde::{Deserialize, Serialize};

/// The file of the state directory that holds the last applied desired state per queue.
pub const APPLIED_FILE: &str = "applied.json";

/// `applied.json`: `{"formatVersion": 1, "queues": {name: desired}}`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AppliedFile {
    format_version: u32,
    queues: BTreeMap<String, Desired>,
}

/// The last applied desired state of a state directory (`None`: no history, or unreadable,
/// which is said on stderr: every field then counts as a change).
pub fn load_applied(state_dir: &Path) -> Option<BTreeMap<String, Desired>> {
    let path = state_dir.join(APPLIED_FILE);
    let text = std::fs::read_to_string(&path).ok()?;
    match serde_json::from_str::<AppliedFile>(&text) {
        Ok(f) if f.format_version == 1 => Some(f.queues),
        Ok(f) => {
            eprintln!(
                "warning: {}: formatVersion {} is not read by this release; every difference counts as a change",
                path.display(),
                f.format_version
            );
            None
        }
        Err(e) => {
            eprintln!(
                "warning: {} cannot be read ({e}); every difference counts as a change",
                path.display()
            );
            None
        }
    }
}

/// Writes the record (to a temporary file, then renamed over the old one).
pub fn save_applied(state_dir: &Path, queues: &BTreeMap<String, Desired>) -> std::io::Result<()> {
    std::fs::create_dir_all(state_dir)?;
    let file = AppliedFile {
        format_version: 1,
        queues: queues.clone(),
    };
    let text = serde_json::to_string_pretty(&file).map_err(std::io::Error::other)?;
    let tmp: PathBuf = state_dir.join(format!("{APPLIED_FILE}.tmp"));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, state_dir.join(APPLIED_FILE))
}

/// The record to keep after `report`: the gate's, except that a queue whose write did not
/// go through keeps its previous record.
pub fn record_after(
    gated: &BTreeMap<String, Desired>,
    prev: Option<&BTreeMap<String, Desired>>,
    report: &ApplyReport,
) -> BTreeMap<String, Desired> {
    let mut out = gated.clone();
    for o in report.outcomes.iter().filter(|o| !o.is_applied()) {
        match prev.and_then(|p| p.get(&o.name)) {
            Some(d) => {
                out.insert(o.name.clone(), d.clone());
            }
            None => {
                out.remove(&o.name);
            }
        }
    }
    out
}

/// The windows of a repository (valid: `validate` reported any error before).
pub fn windows_of(repo: &Repository) -> Windows {
    let file = repo
        .tenant_file
        .clone()
        .unwrap_or_else(|| PathBuf::from("cxqueues.yaml"));
    Windows::compile(&repo.tenant.spec.change_windows, &file).0
}

/// `18:00 EST` in the window's time zone, with the date when it is not `now`'s day there.
pub fn until_shown(
    until: Option<Timestamp>,
    window: &str,
    windows: &Windows,
    now: Timestamp,
) -> String {
    let Some(until) = until else {
        return "no end in sight".into();
    };
    let tz = windows
        .windows
        .iter()
        .find(|w| w.name == window)
        .map(|w| w.tz().clone())
        .unwrap_or(jiff::tz::TimeZone::UTC);
    let at = until.to_zoned(tz.clone());
    let same_day = now.to_zoned(tz).date() == at.date();
    let format = if same_day {
        "%H:%M %Z"
    } else {
        "%Y-%m-%d %H:%M %Z"
    };
    format!("until {}", at.strftime(format))
}

/// One held change in the plan JSON: `{queue, fields, window, until, applies}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeldEntry {
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
            until: h.until.map(rfc3339),
            applies: h.applies,
        }
    }
}

/// One queue's drift in the plan JSON and `/status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DriftEntry {
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

/// RFC 3339 in UTC, whole seconds.
pub fn rfc3339(t: Timestamp) -> String {
    model::time::rfc3339_secs(t.as_second())
}

/// The text lines under a plan: each held change (`~ Billing: maxWaitTime 300 → 240  held by
/// window "peak" until 18:00 EST`), each drift reported and not corrected, each window broken.
pub fn text(g: &Gated, windows: &Windows, now: Timestamp) -> String {
    let mut out = String::new();
    for h in &g.held {
        let what = match h.applies {
            model::Applies::Changes => "",
            model::Applies::Drift => "drift correction ",
        };
        let _ = writeln!(
            out,
            "~ {}: {}{}  held by window {:?} {}",
            crate::output::printable::printable(&h.queue),
            what,
            crate::output::plan::changed_fields(&h.fields),
            h.window,
            until_shown(h.until, &h.window, windows, now)
        );
    }
    for d in g.drift.iter().filter(|d| !d.corrected) {
        let by = d
            .modified_by
            .as_deref()
            .map(|b| format!(", changed by {b}"))
            .unwrap_or_default();
        let why = match d.mode {
            model::DriftMode::Warn => "drift mode warn: reported, not corrected".to_string(),
            _ => "held".to_string(),
        };
        let _ = writeln!(
            out,
            "! {}: drift {} ({why}{by})",
            crate::output::printable::printable(&d.queue),
            crate::output::plan::changed_fields(&d.fields),
        );
    }
    for o in &g.overridden {
        let _ = writeln!(
            out,
            "! {}: break glass: applied through window {:?} ({})",
            crate::output::printable::printable(&o.queue),
            o.window,
            o.applies.as_str()
        );
    }
    out
}
