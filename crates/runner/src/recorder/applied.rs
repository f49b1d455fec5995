//! The last applied desired state per queue, kept in `<state-dir>/applied.json`: how a
//! plan's field is told as a change (declared differently than last applied) or drift
//! (declared as applied, changed in the tenant) by [`reconcile::gate`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use reconcile::{ApplyReport, Desired};
use serde::{Deserialize, Serialize};

/// The file of the state directory that holds the last applied desired state per queue.
pub(crate) const APPLIED_FILE: &str = "applied.json";

/// `applied.json`: `{"formatVersion": 1, "queues": {name: desired}}`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AppliedFile {
    format_version: u32,
    queues: BTreeMap<String, Desired>,
}

/// The last applied desired state of a state directory (`None`: no history, or unreadable,
/// which is said on stderr: every field then counts as a change).
pub(crate) fn load_applied(state_dir: &Path) -> Option<BTreeMap<String, Desired>> {
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
pub(crate) fn save_applied(
    state_dir: &Path,
    queues: &BTreeMap<String, Desired>,
) -> std::io::Result<()> {
    let file = AppliedFile {
        format_version: 1,
        queues: queues.clone(),
    };
    let text = serde_json::to_string_pretty(&file).map_err(std::io::Error::other)?;
    replace_file(&state_dir.join(APPLIED_FILE), &text)
}

/// Writes a state file whole: its folder made if need be, then `<path>.tmp`, renamed over
/// `path`, so that a reader never sees half a file.
pub(crate) fn replace_file(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

/// The file of the state directory that holds the drift last reported per queue, so that a
/// restart does not report the same drift again.
pub(crate) const REPORTED_FILE: &str = "drift-reported.json";

/// Per queue, the drift last reported: its fields and the tenant's values.
pub(crate) type Reported = BTreeMap<String, Vec<(String, serde_json::Value)>>;

/// `drift-reported.json`: `{"formatVersion": 1, "queues": {name: [[path, tenant value]…]}}`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReportedFile {
    format_version: u32,
    queues: Reported,
}

/// The drift last reported (empty when none was kept, or the file cannot be read: then the
/// current drift is reported once more).
pub(crate) fn load_reported(state_dir: &Path) -> Reported {
    let Ok(text) = std::fs::read_to_string(state_dir.join(REPORTED_FILE)) else {
        return Reported::new();
    };
    match serde_json::from_str::<ReportedFile>(&text) {
        Ok(f) if f.format_version == 1 => f.queues,
        _ => Reported::new(),
    }
}

/// Writes the drift reported (to a temporary file, then renamed over the old one).
pub(crate) fn save_reported(state_dir: &Path, queues: &Reported) -> std::io::Result<()> {
    let file = ReportedFile {
        format_version: 1,
        queues: queues.clone(),
    };
    let text = serde_json::to_string(&file).map_err(std::io::Error::other)?;
    replace_file(&state_dir.join(REPORTED_FILE), &text)
}

/// The record to keep after `report`: the gate's, except that a queue whose write did not
/// go through keeps its previous record.
pub(crate) fn record_after(
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
