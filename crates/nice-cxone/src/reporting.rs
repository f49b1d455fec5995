//! Traffic for the optimizer from NICE CXone's reporting APIs.
//!
//! - History: `GET /wfm-data/skills/contacts?startDate&endDate&mediaTypeId`. `mediaTypeId` is
//!   required, so there is one call per media type that the asked skills use, and one per day
//!   of the window at most (the API's window). Records come under `contactStats`:
//!   offered = `totalContacts`, handle time = `averageHandleTime` (seconds), handled =
//!   `totalHandled`, abandoned = `abandonCount`.
//! - Numbers arrive as integers, numeric strings or ISO-8601 durations (`PT3M20S`) depending
//!   on the field and the tenant: all three are read; anything else is refused with the field
//!   named.
//! - The interval length is inferred from the spacing of `intervalStartDate`; a window with a
//!   single interval is assumed to be 30 minutes (an assumption: the API does not say). Only
//!   intervals wholly inside the window are kept (the one still running is incomplete).
//! - Staffing: `GET /skills/activity`, `agentsLoggedIn` per skill, now (a snapshot; one page
//!   is read, as the API returns every skill of the business unit when no `top` is given).
//! - NICE documents no permission for these reports: a 403 names the endpoint that refused.

use std::collections::{BTreeSet, HashMap};

use reqwest::Method;
use serde_json::Value;
use tenant::{MetricsInterval, MetricsQuery, QueueMetrics, Staffing, TenantError, Window};

use crate::CxoneTenant;
use crate::json::int_of;

pub(crate) const SKILL_CONTACTS: &str = "GET /wfm-data/skills/contacts";
pub(crate) const SKILL_ACTIVITY: &str = "GET /skills/activity";

/// The longest span one history call covers: one day.
pub const MAX_QUERY_SECONDS: i64 = 86_400;
/// The interval length assumed when a window holds a single interval.
pub const ASSUMED_INTERVAL_SECONDS: u64 = 1800;

/// A number of a report: an integer or decimal, a numeric string, or an ISO-8601 duration
/// (in seconds). `Err` names the field.
pub fn number(field: &str, v: &Value) -> Result<f64, String> {
    let bad =
        || format!("{field}: {v} is neither a number, a numeric string nor an ISO-8601 duration");
    match v {
        Value::Number(n) => n.as_f64().filter(|x| x.is_finite()).ok_or_else(bad),
        Value::String(s) => {
            let s = s.trim();
            if let Ok(x) = s.parse::<f64>()
                && x.is_finite()
            {
                return Ok(x);
            }
            duration_seconds(s).ok_or_else(bad)
        }
        _ => Err(bad()),
    }
}

/// An ISO-8601 duration (`PT3M20S`, `P1DT2H`, `PT12.5S`) in seconds; weeks, months and
/// years are not durations a contact has.
pub fn duration_seconds(text: &str) -> Option<f64> {
    let rest = text.strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) if !t.is_empty() => (d, Some(t)),
        Some(_) => return None,
        None => (rest, None),
    };
    let mut total = 0.0;
    let mut any = false;
    let mut read = |part: &str, units: &[(char, f64)]| -> Option<()> {
        let mut number = String::new();
        let mut next_unit = 0;
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' {
                number.push(c);
                continue;
            }
            let at = units.iter().skip(next_unit).position(|(u, _)| *u == c)? + next_unit;
            let value: f64 = number.parse().ok()?;
            total += value * units[at].1;
            any = true;
            number.clear();
            next_unit = at + 1;
        }
        number.is_empty().then_some(())
    };
    read(date, &[('D', 86_400.0)])?;
    if let Some(t) = time {
        read(t, &[('H', 3600.0), ('M', 60.0), ('S', 1.0)])?;
    }
    any.then_some(total)
}

/// One record of `contactStats`.
struct Record {
    skill: i64,
    start: i64,
    offered: f64,
    handled: Option<f64>,
    aht: Option<f64>,
    abandoned: Option<f64>,
}

fn record(v: &Value) -> Result<Record, String> {
    let field = |k: &str| v.get(k).filter(|x| !x.is_null());
    let skill = field("skillId")
        .and_then(int_of)
        .ok_or_else(|| format!("skillId: {:?} is not a skill id", field("skillId")))?;
    let start_text = field("intervalStartDate")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let start = model::time::parse_rfc3339(start_text)
        .ok_or_else(|| format!("intervalStartDate: {start_text:?} is not an ISO 8601 date-time"))?;
    let opt = |k: &str| field(k).map(|x| number(k, x)).transpose();
    Ok(Record {
        skill,
        start,
        offered: opt("totalContacts")?.unwrap_or(0.0),
        handled: opt("totalHandled")?,
        aht: opt("averageHandleTime")?,
        abandoned: opt("abandonCount")?,
    })
}

/// The closed intervals per skill id from the records of one window, and the interval length
/// they were read with.
pub fn read_contacts(
    records: &[Value],
    window: Window,
) -> Result<HashMap<i64, Vec<MetricsInterval>>, TenantError> {
    let parsed = records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            record(r).map_err(|why| {
                TenantError::transport_message(format!(
                    "{SKILL_CONTACTS}: contactStats[{i}]: {why}"
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let starts: BTreeSet<i64> = parsed.iter().map(|r| r.start).collect();
    let seconds = starts
        .iter()
        .zip(starts.iter().skip(1))
        .map(|(a, b)| b - a)
        .filter(|d| *d > 0)
        .min()
        .map_or(ASSUMED_INTERVAL_SECONDS, |d| d.unsigned_abs());
    let length = i64::try_from(seconds).unwrap_or(i64::MAX);
    let mut out: HashMap<i64, Vec<MetricsInterval>> = HashMap::new();
    for r in parsed {
        if r.start < window.start || r.start.saturating_add(length) > window.end {
            continue;
        }
        out.entry(r.skill).or_default().push(MetricsInterval {
            start: r.start,
            seconds,
            offered: r.offered,
            handled: r.handled,
            average_handle_time_seconds: r.aht,
            answered_within_service_level: None,
            abandoned: r.abandoned,
        });
    }
    for v in out.values_mut() {
        v.sort_by_key(|i| i.start);
    }
    Ok(out)
}

/// `agentsLoggedIn` per skill id, from a `/skills/activity` answer.
pub fn read_activity(answer: &Value) -> Result<HashMap<i64, u32>, TenantError> {
    let mut out = HashMap::new();
    let rows = answer
        .get("skillActivity")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    for (i, row) in rows.iter().enumerate() {
        let Some(skill) = row.get("skillId").and_then(int_of) else {
            continue;
        };
        let agents = match row.get("agentsLoggedIn").filter(|v| !v.is_null()) {
            None => 0.0,
            Some(v) => number("agentsLoggedIn", v).map_err(|why| {
                TenantError::transport_message(format!(
                    "{SKILL_ACTIVITY}: skillActivity[{i}]: {why}"
                ))
            })?,
        };
        out.insert(skill, agents.max(0.0).min(f64::from(u32::MAX)) as u32);
    }
    Ok(out)
}

impl CxoneTenant {
    /// The traffic of the skills `query` names (see the module).
    pub async fn queue_metrics(
        &self,
        query: &MetricsQuery,
    ) -> Result<Vec<QueueMetrics>, TenantError> {
        let window = query.window();
        let skills: Vec<(i64, String, Option<i64>)> = self
            .list_all(&crate::port::SKILLS, &[])
            .await?
            .iter()
            .filter_map(|s| {
                let id = s.get("skillId").and_then(int_of)?;
                let name = s.get("skillName").and_then(Value::as_str)?.to_string();
                let media = s.get("mediaTypeId").and_then(int_of);
                query.wants(&name).then_some((id, name, media))
            })
            .collect();
        let media: BTreeSet<i64> = skills.iter().filter_map(|(_, _, m)| *m).collect();
        let mut intervals: HashMap<i64, Vec<MetricsInterval>> = HashMap::new();
        for m in media {
            let mut from = window.start;
            while from < window.end {
                let to = (from + MAX_QUERY_SECONDS).min(window.end);
                let url = self
                    .api_url(
                        &["wfm-data", "skills", "contacts"],
                        &[
                            ("startDate", model::time::rfc3339_secs(from)),
                            ("endDate", model::time::rfc3339_secs(to)),
                            ("mediaTypeId", m.to_string()),
                        ],
                    )
                    .await?;
                let answer = self.call(Method::GET, SKILL_CONTACTS, url, None).await?;
                let records = answer
                    .get("contactStats")
                    .and_then(Value::as_array)
                    .map_or(&[][..], Vec::as_slice);
                for (skill, found) in read_contacts(
                    records,
                    Window {
                        start: from,
                        end: to,
                    },
                )? {
                    // A skill's intervals come from its own media type's answer only.
                    if skills
                        .iter()
                        .any(|(id, _, sm)| *id == skill && *sm == Some(m))
                    {
                        intervals.entry(skill).or_default().extend(found);
                    }
                }
                from = to;
            }
        }
        let url = self.api_url(&["skills", "activity"], &[]).await?;
        let activity = read_activity(&self.call(Method::GET, SKILL_ACTIVITY, url, None).await?)?;
        Ok(skills
            .into_iter()
            .map(|(id, name, _)| QueueMetrics {
                queue_id: Some(id.to_string()),
                name,
                window: Some(window),
                intervals: intervals.remove(&id).unwrap_or_default(),
                staffing: Some(Staffing {
                    agents: activity.get(&id).copied().unwrap_or(0),
                    source: "agentsLoggedIn".into(),
                }),
                seed: None,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_are_integers_numeric_strings_or_durations_and_nothing_else() {
        for (v, want) in [
            (json!(12), Some(12.0)),
            (json!(12.5), Some(12.5)),
            (json!("12"), Some(12.0)),
            (json!(" 7.25 "), Some(7.25)),
            (json!("PT3M20S"), Some(200.0)),
            (json!("PT200S"), Some(200.0)),
            (json!("PT1H"), Some(3600.0)),
            (json!("P1DT0.5S"), Some(86_400.5)),
            (json!("PT"), None),
            (json!("P"), None),
            (json!("PT3S20M"), None),
            (json!("three"), None),
            (json!(true), None),
            (json!([1]), None),
            (json!("NaN"), None),
        ] {
            let got = number("averageHandleTime", &v);
            assert_eq!(got.as_ref().ok().copied(), want, "{v}");
            if want.is_none() {
                assert!(got.unwrap_err().starts_with("averageHandleTime: "));
            }
        }
    }

    #[test]
    fn the_interval_length_comes_from_the_spacing_and_one_interval_is_thirty_minutes() {
        let w = Window {
            start: 0,
            end: 7200,
        };
        let rec = |start: &str| {
            json!({"skillId": 7, "intervalStartDate": start, "totalContacts": "10",
                   "averageHandleTime": "PT2M"})
        };
        let two = [rec("1970-01-01T00:00:00Z"), rec("1970-01-01T00:15:00Z")];
        let got = read_contacts(&two, w).unwrap();
        assert_eq!(got[&7][0].seconds, 900);
        assert_eq!(got[&7][0].average_handle_time_seconds, Some(120.0));
        let one = [rec("1970-01-01T01:00:00Z")];
        assert_eq!(read_contacts(&one, w).unwrap()[&7][0].seconds, 1800);
        // One that ends after the window is incomplete.
        let late = [rec("1970-01-01T01:45:00Z")];
        assert!(read_contacts(&late, w).unwrap().is_empty());
        let bad = [
            json!({"skillId": 7, "intervalStartDate": "1970-01-01T00:00:00Z",
                          "totalContacts": "lots"}),
        ];
        let err = read_contacts(&bad, w).unwrap_err().to_string();
        assert!(
            err.contains("contactStats[0]: totalContacts: \"lots\""),
            "{err}"
        );
    }
}
