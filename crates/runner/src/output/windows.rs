//! What change windows and drift modes show: the held changes and the drift of a gated
//! plan as text lines (`~ Billing: maxWaitTime 300 → 240  held by window "peak" until 18:00
//! EST`) and as plan JSON (`held`, `drift`), and each time in the window's own zone.

use std::fmt::Write as _;
use std::path::PathBuf;

use jiff::Timestamp;
use model::{Repository, Windows};
use reconcile::Gated;

/// The windows of a repository (valid: `validate` reported any error before).
pub(crate) fn windows_of(repo: &Repository) -> Windows {
    let file = repo
        .tenant_file
        .clone()
        .unwrap_or_else(|| PathBuf::from("cxqueues.yaml"));
    Windows::compile(&repo.tenant.spec.change_windows, &file).0
}

/// `18:00 EST` in the window's time zone, with the date when it is not `now`'s day there.
pub(crate) fn until_shown(
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

/// RFC 3339 in UTC, whole seconds.
pub(crate) fn rfc3339(t: Timestamp) -> String {
    model::time::rfc3339_secs(t.as_second())
}

/// The writes break glass let through a window, as a markdown list under the plan (empty when
/// there are none).
pub(crate) fn overridden_markdown(g: &Gated) -> String {
    if g.overridden.is_empty() {
        return String::new();
    }
    let mut out = String::from("\n**Break glass**: applied through a change window\n\n");
    for o in &g.overridden {
        let _ = writeln!(
            out,
            "- {}: window {} ({})",
            super::plan::md_escape(&o.queue),
            super::plan::md_escape(&format!("{:?}", o.window)),
            o.applies.as_str()
        );
    }
    out
}

/// The text lines under a plan: each held change (`~ Billing: maxWaitTime 300 → 240  held by
/// window "peak" until 18:00 EST`), each drift reported and not corrected, each window broken.
pub(crate) fn text(g: &Gated, windows: &Windows, now: Timestamp) -> String {
    let mut out = String::new();
    for h in &g.held {
        let what = match h.applies {
            model::Applies::Changes => "",
            model::Applies::Drift => "drift correction ",
        };
        let _ = writeln!(
            out,
            "~ {}: {}{}  held by window {:?} {}",
            super::printable::printable(&h.queue),
            what,
            super::plan::changed_fields(&h.fields),
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
            super::printable::printable(&d.queue),
            super::plan::changed_fields(&d.fields),
        );
    }
    for o in &g.overridden {
        let _ = writeln!(
            out,
            "! {}: break glass: applied through window {:?} ({})",
            super::printable::printable(&o.queue),
            o.window,
            o.applies.as_str()
        );
    }
    out
}
