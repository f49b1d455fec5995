//! Change windows (`spec.changeWindows[]` of `cxqueues.yaml`): when the reconciler may write
//! to which queues, with Argo CD's precedence, evaluated at an instant the caller gives (the
//! clock is never read here).
//!
//! - No window covers a queue (for what is being written): allowed.
//! - Allow windows cover it: allowed only while one of them is active.
//! - An active deny window wins over an active allow window.
//!
//! A window is active during each occurrence of its `schedule` (five-field cron, in its
//! `timeZone`) for `duration` real time, and on each of its `dates` (whole days in its time
//! zone, 23 or 25 hours on a daylight-saving change); both together are a union.

use std::collections::BTreeMap;
use std::path::Path;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::cron::{Cron, instant};
use crate::{Diagnostic, Loc, Rule, Spanned};

/// The longest `duration` a window may have.
pub const MAX_DURATION_SECS: i64 = 31 * 86_400;

/// How many edges the search for a window's end walks before it gives up ("no end in sight").
const MAX_STEPS: usize = 4096;

/// A change window as `cxqueues.yaml` writes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ChangeWindowDoc {
    /// A name, unique among the windows; plans, `/status` and the audit log show it.
    #[schemars(length(min = 1))]
    pub name: Spanned<String>,
    /// `allow`: writes only while an allow window is active; `deny`: no writes while active.
    pub kind: Spanned<WindowKind>,
    /// A five-field cron expression (minute hour day-of-month month day-of-week) in
    /// `timeZone`: when each occurrence starts. Needs `duration`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub schedule: Option<Spanned<String>>,
    /// How long each occurrence lasts, in real time: `25s`, `90m`, `10h`, `1d`, `1h30m`
    /// (at most 31 days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", regex(pattern = r"^([0-9]+[smhd])+$"))]
    pub duration: Option<Spanned<String>>,
    /// An IANA time zone (`America/New_York`); default UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub time_zone: Option<Spanned<String>>,
    /// Whole days (`2026-12-24`) in `timeZone` on which the window is active.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(with = "Vec<String>")]
    pub dates: Vec<Spanned<String>>,
    /// Queue names (globs: `*` any text, `?` one character) the window covers; default all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(with = "Vec<String>")]
    pub queues: Vec<Spanned<String>>,
    /// Labels a covered queue must all have (`metadata.labels`); default none.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// What the window holds back: applying commits (`changes`), correcting drift (`drift`);
    /// default both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applies: Option<Spanned<Vec<Applies>>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum WindowKind {
    Allow,
    Deny,
}

impl WindowKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WindowKind::Allow => "allow",
            WindowKind::Deny => "deny",
        }
    }
}

/// What a write is, for the windows: a declared change (a commit) or a drift correction.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Applies {
    Changes,
    Drift,
}

impl Applies {
    pub fn as_str(self) -> &'static str {
        match self {
            Applies::Changes => "changes",
            Applies::Drift => "drift",
        }
    }
}

/// A window ready to evaluate.
#[derive(Clone, Debug)]
pub struct Window {
    pub name: String,
    pub kind: WindowKind,
    schedule: Option<(Cron, SignedDuration)>,
    dates: Vec<Date>,
    tz: TimeZone,
    /// The IANA name (`UTC` by default).
    pub time_zone: String,
    queues: Vec<String>,
    labels: BTreeMap<String, String>,
    changes: bool,
    drift: bool,
}

impl Window {
    /// Whether the window covers a queue of this name and labels.
    pub fn covers(&self, name: &str, labels: &BTreeMap<String, String>) -> bool {
        (self.queues.is_empty() || self.queues.iter().any(|g| glob(g, name)))
            && self.labels.iter().all(|(k, v)| labels.get(k) == Some(v))
    }

    pub fn applies_to(&self, what: Applies) -> bool {
        match what {
            Applies::Changes => self.changes,
            Applies::Drift => self.drift,
        }
    }

    /// What the window holds back, for display.
    pub fn applies(&self) -> Vec<Applies> {
        [Applies::Changes, Applies::Drift]
            .into_iter()
            .filter(|a| self.applies_to(*a))
            .collect()
    }

    /// The time zone the window is evaluated in.
    pub fn tz(&self) -> &TimeZone {
        &self.tz
    }

    /// When the occurrence (or date) active at `t` ends, the latest one if several overlap;
    /// `None` when the window is not active at `t`.
    pub fn active_end(&self, t: Timestamp) -> Option<Timestamp> {
        let mut end = None;
        if let Some((cron, dur)) = &self.schedule
            && let Some(start) = t
                .checked_sub(*dur)
                .ok()
                .and_then(|from| cron.last_at_or_before(t, from, &self.tz))
            && let Ok(e) = start.checked_add(*dur)
            && e > t
        {
            end = Some(e);
        }
        let day = self.tz.to_datetime(t).date();
        if self.dates.binary_search(&day).is_ok()
            && let Some(e) = day.tomorrow().ok().and_then(|d| day_start(d, &self.tz))
        {
            end = end.max(Some(e));
        }
        end
    }

    pub fn is_active(&self, t: Timestamp) -> bool {
        self.active_end(t).is_some()
    }

    /// The first start (an occurrence or a date) strictly after `t`.
    pub fn next_start(&self, t: Timestamp) -> Option<Timestamp> {
        let cron = self
            .schedule
            .as_ref()
            .and_then(|(c, _)| c.next_after(t, &self.tz));
        let date = self
            .dates
            .iter()
            .filter_map(|d| day_start(*d, &self.tz))
            .find(|s| *s > t);
        match (cron, date) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The next instant after `t` at which the window may start or stop.
    fn next_edge(&self, t: Timestamp) -> Option<Timestamp> {
        match (self.active_end(t), self.next_start(t)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// When the window, active at `t`, stops being active (overlapping occurrences joined);
    /// `None` when it never does within the search.
    pub fn stops(&self, t: Timestamp) -> Option<Timestamp> {
        let mut at = t;
        for _ in 0..MAX_STEPS {
            match self.active_end(at) {
                Some(end) => at = end,
                None => return Some(at),
            }
        }
        None
    }
}

fn day_start(d: Date, tz: &TimeZone) -> Option<Timestamp> {
    instant(d.at(0, 0, 0, 0), tz)
}

/// `*` any text (also none), `?` one character; everything else itself.
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Why a write is held back: the window, and when the hold lifts (`None`: not within the
/// search, e.g. a deny window that never ends).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hold {
    pub window: String,
    /// `Deny`: an active deny window; `Allow`: outside every allow window.
    pub kind: WindowKind,
    pub until: Option<Timestamp>,
}

/// Every window of a tenant document.
#[derive(Clone, Debug, Default)]
pub struct Windows {
    pub windows: Vec<Window>,
}

impl Windows {
    /// The windows of `spec.changeWindows` and the problems with them (at `file`'s lines).
    /// A window with an error is left out.
    pub fn compile(docs: &[ChangeWindowDoc], file: &Path) -> (Windows, Vec<Diagnostic>) {
        let mut diags = Vec::new();
        let mut out = Vec::new();
        let mut seen: BTreeMap<&str, u32> = BTreeMap::new();
        for doc in docs {
            let errors = diags.len();
            let name = &doc.name;
            if name.value.trim().is_empty() {
                diags.push(
                    err(file, name.loc, "a change window's name is blank").with_hint(
                        "give each window a name: plans and /status show what holds a change by it",
                    ),
                );
            } else if let Some(first) = seen.insert(&name.value, name.loc.line) {
                diags.push(
                    err(
                        file,
                        name.loc,
                        format!(
                            "change window {:?} is named twice (first at line {first})",
                            name.value
                        ),
                    )
                    .with_hint("give each window its own name"),
                );
            }
            let (tz, time_zone) = match &doc.time_zone {
                None => (TimeZone::UTC, "UTC".to_string()),
                Some(z) => match TimeZone::get(&z.value) {
                    Ok(tz) => (tz, z.value.clone()),
                    Err(_) => {
                        let known = jiff::tz::db()
                            .available()
                            .map(|n| n.as_str().to_string())
                            .collect::<Vec<_>>();
                        let hint = match crate::yaml::nearest(&z.value, &known) {
                            Some(n) => format!("did you mean `{n}`?"),
                            None => "use an IANA time zone name, e.g. America/New_York".into(),
                        };
                        diags.push(
                            err(
                                file,
                                z.loc,
                                format!("{:?} is not a known time zone", z.value),
                            )
                            .with_hint(hint),
                        );
                        (TimeZone::UTC, z.value.clone())
                    }
                },
            };
            let cron = doc.schedule.as_ref().and_then(|s| match Cron::parse(&s.value) {
                Ok(c) => Some(c),
                Err(e) => {
                    diags.push(
                        err(file, s.loc, format!("schedule {:?}: {e}", s.value)).with_hint(
                            "write five fields: minute hour day-of-month month day-of-week, e.g. `0 9 * * 1-5`",
                        ),
                    );
                    None
                }
            });
            let duration = doc
                .duration
                .as_ref()
                .and_then(|d| match parse_duration(&d.value) {
                    Ok(secs) if secs > MAX_DURATION_SECS => {
                        diags.push(
                            err(
                                file,
                                d.loc,
                                format!("duration {} is longer than 31 days", d.value),
                            )
                            .with_hint("use `dates` for long freezes, or several windows"),
                        );
                        None
                    }
                    Ok(0) => {
                        diags.push(
                            err(file, d.loc, "a duration of zero never holds anything")
                                .with_hint("give a duration such as `10h`"),
                        );
                        None
                    }
                    Ok(secs) => Some(SignedDuration::from_secs(secs)),
                    Err(e) => {
                        diags.push(err(file, d.loc, e).with_hint(
                            "write a number and a unit (s, m, h, d), e.g. `10h` or `1h30m`",
                        ));
                        None
                    }
                });
            match (&doc.schedule, &doc.duration) {
                (Some(s), None) => diags.push(
                    err(file, s.loc, "a schedule needs a duration")
                        .with_hint("add `duration: 10h` (how long each occurrence lasts)"),
                ),
                (None, Some(d)) => diags.push(
                    err(file, d.loc, "a duration needs a schedule")
                        .with_hint("add `schedule: \"0 9 * * 1-5\"`, or remove the duration"),
                ),
                (None, None) if doc.dates.is_empty() => diags.push(
                    err(
                        file,
                        name.loc,
                        format!(
                            "change window {:?} has neither a schedule nor dates",
                            name.value
                        ),
                    )
                    .with_hint("add `schedule` and `duration`, or `dates`"),
                ),
                _ => {}
            }
            let mut dates = Vec::new();
            for d in &doc.dates {
                match parse_date(&d.value) {
                    Some(date) => dates.push(date),
                    None => diags.push(
                        err(file, d.loc, format!("{:?} is not a date", d.value))
                            .with_hint("write dates as YYYY-MM-DD, e.g. 2026-12-24"),
                    ),
                }
            }
            dates.sort();
            dates.dedup();
            let applies = doc.applies.as_ref();
            if let Some(a) = applies
                && a.value.is_empty()
            {
                diags.push(
                    err(
                        file,
                        a.loc,
                        "`applies` lists nothing: the window would hold nothing",
                    )
                    .with_hint("list `changes`, `drift` or both, or leave `applies` out (both)"),
                );
            }
            let has = |w: Applies| applies.is_none_or(|a| a.value.contains(&w));
            if diags.len() > errors {
                continue;
            }
            out.push(Window {
                name: name.value.clone(),
                kind: doc.kind.value,
                schedule: cron.zip(duration),
                dates,
                tz,
                time_zone,
                queues: doc.queues.iter().map(|q| q.value.clone()).collect(),
                labels: doc.labels.clone(),
                changes: has(Applies::Changes),
                drift: has(Applies::Drift),
            });
        }
        (Windows { windows: out }, diags)
    }

    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }

    /// The windows that cover a queue for `what`.
    pub fn covering<'a>(
        &'a self,
        name: &'a str,
        labels: &'a BTreeMap<String, String>,
        what: Applies,
    ) -> impl Iterator<Item = &'a Window> + 'a {
        self.windows
            .iter()
            .filter(move |w| w.applies_to(what) && w.covers(name, labels))
    }

    /// Whether writing `what` to the queue is held back at `t`, and by which window until
    /// when. `None`: the write may go ahead.
    pub fn hold(
        &self,
        name: &str,
        labels: &BTreeMap<String, String>,
        what: Applies,
        t: Timestamp,
    ) -> Option<Hold> {
        let relevant: Vec<&Window> = self.covering(name, labels, what).collect();
        let (window, kind) = holding(&relevant, t)?;
        let until = open_again(&relevant, t);
        Some(Hold {
            window: window.name.clone(),
            kind,
            until,
        })
    }

    /// The next `n` instants after `t` at which the verdict for the queue changes, each with
    /// the verdict from then on.
    pub fn transitions(
        &self,
        name: &str,
        labels: &BTreeMap<String, String>,
        what: Applies,
        t: Timestamp,
        n: usize,
    ) -> Vec<(Timestamp, Option<Hold>)> {
        let relevant: Vec<&Window> = self.covering(name, labels, what).collect();
        let mut out = Vec::new();
        let mut state = holding(&relevant, t).map(|(w, k)| (w.name.clone(), k));
        let mut at = t;
        for _ in 0..MAX_STEPS {
            if out.len() >= n {
                break;
            }
            let Some(next) = relevant.iter().filter_map(|w| w.next_edge(at)).min() else {
                break;
            };
            at = next;
            let now = holding(&relevant, at).map(|(w, k)| (w.name.clone(), k));
            if now != state {
                let hold = now.as_ref().map(|(window, kind)| Hold {
                    window: window.clone(),
                    kind: *kind,
                    until: open_again(&relevant, at),
                });
                out.push((at, hold));
                state = now;
            }
        }
        out
    }
}

/// The window that holds a write at `t`, if any: an active deny (the one that ends last), or,
/// when allow windows exist and none is active, the allow window that starts soonest.
fn holding<'a>(relevant: &[&'a Window], t: Timestamp) -> Option<(&'a Window, WindowKind)> {
    let deny = relevant
        .iter()
        .filter(|w| w.kind == WindowKind::Deny)
        .filter_map(|w| Some((w.active_end(t)?, *w)))
        .max_by_key(|(end, _)| *end);
    if let Some((_, w)) = deny {
        return Some((w, WindowKind::Deny));
    }
    let allows: Vec<&&Window> = relevant
        .iter()
        .filter(|w| w.kind == WindowKind::Allow)
        .collect();
    if allows.is_empty() || allows.iter().any(|w| w.is_active(t)) {
        return None;
    }
    let soonest = allows
        .iter()
        .min_by_key(|w| w.next_start(t).unwrap_or(Timestamp::MAX))?;
    Some((soonest, WindowKind::Allow))
}

/// The first instant after `t` at which no window holds the write.
fn open_again(relevant: &[&Window], t: Timestamp) -> Option<Timestamp> {
    let mut at = t;
    for _ in 0..MAX_STEPS {
        at = relevant.iter().filter_map(|w| w.next_edge(at)).min()?;
        if holding(relevant, at).is_none() {
            return Some(at);
        }
    }
    None
}

fn err(file: &Path, loc: Loc, message: impl Into<String>) -> Diagnostic {
    Diagnostic::error(Rule::ChangeWindow, file, loc, message)
}

/// `10h`, `25s`, `1h30m`, `2d`: whole seconds. Days are 24 real hours.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let bad = || format!("duration {text:?} is not a number and a unit (s, m, h or d)");
    let mut total: i64 = 0;
    let mut digits = String::new();
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(bad()),
        };
        let n: i64 = digits.parse().map_err(|_| bad())?;
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
        digits.clear();
    }
    if !digits.is_empty() || text.trim().is_empty() {
        return Err(bad());
    }
    Ok(total)
}

/// `YYYY-MM-DD` exactly.
fn parse_date(text: &str) -> Option<Date> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i16 = text[0..4].parse().ok()?;
    let m: i8 = text[5..7].parse().ok()?;
    let d: i8 = text[8..10].parse().ok()?;
    Date::new(y, m, d).ok()
}

/// The warnings for queue globs that match no queue of the repository (a typo would leave
/// the window covering nothing).
pub fn unmatched_globs(
    docs: &[ChangeWindowDoc],
    file: &Path,
    queue_names: &[&str],
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for doc in docs {
        for g in &doc.queues {
            if !queue_names.iter().any(|n| glob(&g.value, n)) {
                out.push(
                    Diagnostic::warning(
                        Rule::ChangeWindow,
                        file,
                        g.loc,
                        format!(
                            "change window {:?}: {:?} matches no queue of the repository",
                            doc.name.value, g.value
                        ),
                    )
                    .with_hint("check the queue name (globs: `*` any text, `?` one character)"),
                );
            }
        }
    }
    out
}
