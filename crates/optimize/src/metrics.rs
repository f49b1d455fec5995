//! Traffic metrics per queue, as a WFM or reporting tool exports them: JSON
//! (`{"queues": {"<name>": {…}}}`) or CSV (a `queue` column and the same names as headers).
//!
//! Every figure is optional; a policy takes only what it needs. A figure that is present is
//! checked here (finite, not negative, `coverageRatio` within 0–1, an interval and a handle
//! time above 0), with the file, line and column of the bad value.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::{OptimizeError, Policy};

/// The figures of one queue.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QueueMetrics {
    /// Contacts offered in the interval.
    #[serde(
        default,
        deserialize_with = "non_negative",
        skip_serializing_if = "Option::is_none"
    )]
    pub offered: Option<f64>,
    /// The interval's length, in seconds (> 0).
    #[serde(
        default,
        deserialize_with = "positive",
        skip_serializing_if = "Option::is_none"
    )]
    pub interval_seconds: Option<f64>,
    /// Average handle time, in seconds (> 0).
    #[serde(
        default,
        deserialize_with = "positive",
        skip_serializing_if = "Option::is_none"
    )]
    pub average_handle_time_seconds: Option<f64>,
    /// Staffed agents, N.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agents: Option<u32>,
    /// Interactions in progress (the `seed` policy).
    #[serde(
        default,
        deserialize_with = "non_negative",
        skip_serializing_if = "Option::is_none"
    )]
    pub active_interactions: Option<f64>,
    /// The interactions the queue can hold at once (the `seed` policy).
    #[serde(
        default,
        deserialize_with = "non_negative",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_capacity: Option<f64>,
    /// The share of the queue's skill demand that agents cover, 0–1 (the `seed` policy).
    #[serde(
        default,
        deserialize_with = "ratio",
        skip_serializing_if = "Option::is_none"
    )]
    pub coverage_ratio: Option<f64>,
    /// Where the figures came from, when they were read from a tenant (never read from a
    /// file: a `source` key there is an unknown field).
    #[serde(default, skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub source: Option<crate::source::InputSource>,
}

/// The largest staffing the optimizer models.
pub const MAX_AGENTS: u32 = 100_000;
/// The most contacts offered in one interval.
pub const MAX_OFFERED: f64 = 1e9;
/// The shortest and longest interval, in seconds (1 s – 31 days).
pub const INTERVAL_SECONDS: (f64, f64) = (1.0, 31.0 * 86_400.0);
/// The shortest and longest average handle time, in seconds (1 s – 1 day).
pub const HANDLE_SECONDS: (f64, f64) = (1.0, 86_400.0);

/// The field names, as in JSON and as CSV headers.
pub const FIELDS: [&str; 7] = [
    "offered",
    "intervalSeconds",
    "averageHandleTimeSeconds",
    "agents",
    "activeInteractions",
    "maxCapacity",
    "coverageRatio",
];

impl QueueMetrics {
    /// The names of the figures `policy` needs that are absent.
    pub fn missing_for(&self, policy: Policy) -> Vec<&'static str> {
        let needed: &[(&'static str, bool)] = match policy {
            Policy::ErlangC => &[
                ("offered", self.offered.is_some()),
                ("intervalSeconds", self.interval_seconds.is_some()),
                (
                    "averageHandleTimeSeconds",
                    self.average_handle_time_seconds.is_some(),
                ),
                ("agents", self.agents.is_some()),
            ],
            Policy::Seed => &[
                ("activeInteractions", self.active_interactions.is_some()),
                ("maxCapacity", self.max_capacity.is_some()),
            ],
        };
        needed
            .iter()
            .filter(|(_, present)| !present)
            .map(|(name, _)| *name)
            .collect()
    }

    /// The figures outside what the optimizer models, each as `field: why` (agents ≤ 100,000,
    /// offered ≤ 10⁹ per interval, the interval 1 s – 31 days, the handle time 1 s – 1 day):
    /// bounded inputs keep every computation bounded.
    pub fn out_of_bounds(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(a) = self.agents.filter(|a| *a > MAX_AGENTS) {
            out.push(format!(
                "agents: {a} is above the {MAX_AGENTS} the optimizer models"
            ));
        }
        if let Some(o) = self.offered.filter(|o| *o > MAX_OFFERED) {
            out.push(format!(
                "offered: {} is above 10^9 contacts in one interval",
                crate::seed::trim(o)
            ));
        }
        let within = |v: Option<f64>, (lo, hi): (f64, f64), field: &str, what: &str| {
            v.filter(|v| !(lo..=hi).contains(v))
                .map(|v| format!("{field}: {} s is outside {what}", crate::seed::trim(v)))
        };
        out.extend(within(
            self.interval_seconds,
            INTERVAL_SECONDS,
            "intervalSeconds",
            "1 s – 31 days (2678400 s)",
        ));
        out.extend(within(
            self.average_handle_time_seconds,
            HANDLE_SECONDS,
            "averageHandleTimeSeconds",
            "1 s – 1 day (86400 s)",
        ));
        out
    }

    /// Sets one figure from its text (a CSV cell), checked as in JSON.
    fn set(&mut self, field: &str, text: &str) -> Result<(), String> {
        let number = || -> Result<f64, String> {
            text.parse::<f64>()
                .map_err(|_| format!("{field}: {text:?} is not a number"))
        };
        match field {
            "offered" => self.offered = Some(check_non_negative(number()?)?),
            "intervalSeconds" => self.interval_seconds = Some(check_positive(number()?)?),
            "averageHandleTimeSeconds" => {
                self.average_handle_time_seconds = Some(check_positive(number()?)?);
            }
            "agents" => {
                self.agents = Some(text.parse::<u32>().map_err(|_| {
                    format!("agents: {text:?} is not a whole number of agents (0 or more)")
                })?);
            }
            "activeInteractions" => {
                self.active_interactions = Some(check_non_negative(number()?)?);
            }
            "maxCapacity" => self.max_capacity = Some(check_non_negative(number()?)?),
            "coverageRatio" => self.coverage_ratio = Some(check_ratio(number()?)?),
            other => return Err(format!("unknown column `{other}`")),
        }
        Ok(())
    }
}

fn check_non_negative(v: f64) -> Result<f64, String> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(format!("{v} is not a finite number of 0 or more"))
    }
}

fn check_positive(v: f64) -> Result<f64, String> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(format!("{v} is not a finite number above 0"))
    }
}

fn check_ratio(v: f64) -> Result<f64, String> {
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{v} is not a ratio within 0–1"))
    }
}

fn checked<'de, D: Deserializer<'de>>(
    d: D,
    check: fn(f64) -> Result<f64, String>,
) -> Result<Option<f64>, D::Error> {
    match Option::<f64>::deserialize(d)? {
        None => Ok(None),
        Some(v) => check(v).map(Some).map_err(de::Error::custom),
    }
}

fn non_negative<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    checked(d, check_non_negative)
}

fn positive<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    checked(d, check_positive)
}

fn ratio<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    checked(d, check_ratio)
}

/// One queue's figures and where they were read.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricsRow {
    pub queue: String,
    /// `file:line:col` of the row (CSV) or of the queue's key (JSON).
    pub origin: String,
    pub metrics: QueueMetrics,
}

/// The figures of every queue in a metrics file, in file order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Metrics {
    pub rows: Vec<MetricsRow>,
}

/// A metrics JSON document: the queues' figures and, in a `POST /v1/optimize` body, the policy.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MetricsDocument {
    pub metrics: Metrics,
    pub policy: Option<Policy>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonDoc {
    queues: Entries,
    #[serde(default)]
    policy: Option<Policy>,
}

/// The `queues` object, in file order, duplicates kept (they are refused after).
struct Entries(Vec<(String, QueueMetrics)>);

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Entries;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of queue name → figures")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries, A::Error> {
                let mut out = Vec::new();
                while let Some(name) = map.next_key::<String>()? {
                    let m = map.next_value::<QueueMetrics>()?;
                    out.push((name, m));
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(V)
    }
}

impl Metrics {
    /// Reads a metrics file: CSV when its name ends in `.csv`, JSON otherwise.
    pub fn parse(source: &str, text: &str) -> Result<Self, OptimizeError> {
        if source.to_ascii_lowercase().ends_with(".csv") {
            Self::parse_csv(source, text)
        } else {
            Ok(Self::parse_json(source, text)?.metrics)
        }
    }

    /// Reads a metrics JSON document (`source` names it in errors).
    pub fn parse_json(source: &str, text: &str) -> Result<MetricsDocument, OptimizeError> {
        let text = without_bom(text);
        let doc: JsonDoc = serde_json::from_str(text).map_err(|e| OptimizeError::Metrics {
            origin: format!("{source}:{}:{}", e.line(), e.column()),
            message: json_message(&e),
        })?;
        let mut rows = Vec::with_capacity(doc.queues.0.len());
        let mut from = 0;
        let mut lines = LineCounter::default();
        for (queue, metrics) in doc.queues.0 {
            // serde_json keeps no positions: find the key in the text, after the previous one.
            let (offset, origin) = match key_offset(text, &queue, from) {
                Some(o) => (o, format!("{source}:{}", lines.line_col(text, o))),
                None => (from, format!("{source}: queues.{queue:?}")),
            };
            from = offset + 1;
            rows.push(MetricsRow {
                queue,
                origin,
                metrics,
            });
        }
        let metrics = Metrics { rows };
        metrics.refuse_duplicates()?;
        Ok(MetricsDocument {
            metrics,
            policy: doc.policy,
        })
    }

    /// Reads a metrics CSV: a header row with `queue` and any of [`FIELDS`], then one row per
    /// queue. Empty cells are absent figures.
    pub fn parse_csv(source: &str, text: &str) -> Result<Self, OptimizeError> {
        let text = without_bom(text);
        let records = csv_records(text).map_err(|(line, col, message)| OptimizeError::Metrics {
            origin: format!("{source}:{line}:{col}"),
            message,
        })?;
        let mut records = records.into_iter();
        let Some(header) = records.next() else {
            return Err(OptimizeError::Metrics {
                origin: format!("{source}:1:1"),
                message: "the file is empty: a header row with a `queue` column is needed".into(),
            });
        };
        let mut queue_col = None;
        for (i, cell) in header.cells.iter().enumerate() {
            let name = cell.text.trim();
            if name == "queue" {
                queue_col = Some(i);
            } else if !FIELDS.contains(&name) {
                return Err(OptimizeError::Metrics {
                    origin: format!("{source}:{}:{}", header.line, cell.column),
                    message: format!(
                        "unknown column `{name}`: the columns are queue, {}",
                        FIELDS.join(", ")
                    ),
                });
            }
        }
        let Some(queue_col) = queue_col else {
            return Err(OptimizeError::Metrics {
                origin: format!("{source}:{}:1", header.line),
                message: "no `queue` column in the header row".into(),
            });
        };
        let mut rows = Vec::new();
        for rec in records {
            if rec.cells.iter().all(|c| c.text.trim().is_empty()) {
                continue;
            }
            if rec.cells.len() != header.cells.len() {
                return Err(OptimizeError::Metrics {
                    origin: format!("{source}:{}:1", rec.line),
                    message: format!(
                        "{} cells, but the header has {}",
                        rec.cells.len(),
                        header.cells.len()
                    ),
                });
            }
            let mut metrics = QueueMetrics::default();
            for (i, (h, cell)) in header.cells.iter().zip(&rec.cells).enumerate() {
                let value = cell.text.trim();
                if i == queue_col || value.is_empty() {
                    continue;
                }
                metrics
                    .set(h.text.trim(), value)
                    .map_err(|message| OptimizeError::Metrics {
                        origin: format!("{source}:{}:{}", rec.line, cell.column),
                        message,
                    })?;
            }
            let cell = &rec.cells[queue_col];
            let queue = cell.text.trim().to_string();
            if queue.is_empty() {
                return Err(OptimizeError::Metrics {
                    origin: format!("{source}:{}:{}", rec.line, cell.column),
                    message: "the row names no queue".into(),
                });
            }
            rows.push(MetricsRow {
                queue,
                origin: format!("{source}:{}:{}", rec.line, cell.column),
                metrics,
            });
        }
        let metrics = Metrics { rows };
        metrics.refuse_duplicates()?;
        Ok(metrics)
    }

    fn refuse_duplicates(&self) -> Result<(), OptimizeError> {
        let mut seen = std::collections::HashMap::new();
        for row in &self.rows {
            if let Some(first) = seen.insert(row.queue.as_str(), row.origin.as_str()) {
                return Err(OptimizeError::Metrics {
                    origin: row.origin.clone(),
                    message: format!("queue {:?} has figures twice (first at {first})", row.queue),
                });
            }
        }
        Ok(())
    }
}

/// serde_json's message without its " at line L column C" tail (the origin carries it).
fn json_message(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// The byte offset of `"name"` used as an object key at or after `from`.
fn key_offset(text: &str, name: &str, from: usize) -> Option<usize> {
    let quoted = serde_json::to_string(name).ok()?;
    let mut at = from;
    while let Some(i) = text.get(at..)?.find(&quoted) {
        let start = at + i;
        let rest = text[start + quoted.len()..].trim_start();
        if rest.starts_with(':') {
            return Some(start);
        }
        at = start + 1;
    }
    None
}

/// `line:col` (1-based, columns in characters) of byte offsets given in increasing order:
/// each call counts the line ends only from the previous offset on.
#[derive(Default)]
struct LineCounter {
    offset: usize,
    line: usize,
    line_start: usize,
}

impl LineCounter {
    fn line_col(&mut self, text: &str, offset: usize) -> String {
        let between = &text[self.offset..offset];
        self.line += between.matches('\n').count();
        if let Some(i) = between.rfind('\n') {
            self.line_start = self.offset + i + 1;
        }
        self.offset = offset;
        let col = text[self.line_start..offset].chars().count() + 1;
        format!("{}:{col}", self.line + 1)
    }
}

#[derive(Debug)]
struct Cell {
    text: String,
    column: usize,
}

#[derive(Debug)]
struct Record {
    line: usize,
    cells: Vec<Cell>,
}

/// RFC 4180 records through the `csv` crate (`,` separated, `"` quoted, `""` inside quotes is
/// one `"`), each with the line it starts on and the column of each cell (in characters; a
/// quoted cell's column is its opening quote's).
fn csv_records(text: &str) -> Result<Vec<Record>, (usize, usize, String)> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = Vec::new();
    let mut record = csv::StringRecord::new();
    let bytes = text.as_bytes();
    // Lines counted once, forward: (byte offset, its line, where that line starts).
    let (mut counted, mut line, mut line_start) = (0usize, 1usize, 0usize);
    let mut advance = |to: usize| {
        for (i, b) in bytes[counted..to].iter().enumerate() {
            if *b == b'\n' {
                line += 1;
                line_start = counted + i + 1;
            }
        }
        counted = to;
        (line, line_start)
    };
    loop {
        let start = reader.position().byte() as usize;
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                return Err((line, 1, format!("not CSV: {e}")));
            }
        }
        // The reader's position may sit before the previous record's line end.
        let mut offset = start.min(bytes.len());
        while matches!(bytes.get(offset), Some(b'\r' | b'\n')) {
            offset += 1;
        }
        let (rec_line, _) = advance(offset);
        let mut cells = Vec::with_capacity(record.len());
        for field in &record {
            let (_, from) = advance(offset.min(bytes.len()));
            let column = text.get(from..offset).map_or(1, |s| s.chars().count() + 1);
            let quoted = bytes.get(offset) == Some(&b'"');
            if quoted && !closed_quote(text, offset) {
                return Err((rec_line, column, "a quoted cell is never closed".into()));
            }
            offset += field.len() + 1;
            if quoted {
                offset += 2 + field.matches('"').count();
            }
            cells.push(Cell {
                text: field.to_string(),
                column,
            });
        }
        records.push(Record {
            line: rec_line,
            cells,
        });
    }
    Ok(records)
}

/// Whether the quoted cell opening at byte `open` has its closing quote.
fn closed_quote(text: &str, open: usize) -> bool {
    let bytes = text.as_bytes();
    let mut i = open + 1;
    while i < bytes.len() {
        if bytes[i] == b'"' {
            if bytes.get(i + 1) == Some(&b'"') {
                i += 2;
                continue;
            }
            return true;
        }
        i += 1;
    }
    false
}

/// The text without a leading UTF-8 byte-order mark (spreadsheets write one).
fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_metrics_keep_file_order_and_the_line_of_each_queue() {
        let text = r#"{"queues": {
  "Sales": {"offered": 600, "intervalSeconds": 1800, "averageHandleTimeSeconds": 300, "agents": 12},
  "Billing": {"activeInteractions": 9, "maxCapacity": 10}
}}"#;
        let m = Metrics::parse("m.json", text).unwrap();
        assert_eq!(m.rows.len(), 2);
        assert_eq!(m.rows[0].queue, "Sales");
        assert_eq!(m.rows[0].origin, "m.json:2:3");
        assert_eq!(m.rows[0].metrics.agents, Some(12));
        assert_eq!(m.rows[1].origin, "m.json:3:3");
        assert_eq!(m.rows[1].metrics.max_capacity, Some(10.0));
        assert_eq!(m.rows[1].metrics.offered, None);
    }

    #[test]
    fn a_bad_json_value_is_reported_with_its_line_and_column() {
        for (text, needle) in [
            (
                r#"{"queues": {"A": {"offered": -3}}}"#,
                "not a finite number",
            ),
            (
                r#"{"queues": {"A": {"coverageRatio": 1.5}}}"#,
                "ratio within 0–1",
            ),
            (r#"{"queues": {"A": {"intervalSeconds": 0}}}"#, "above 0"),
            (
                r#"{"queues": {"A": {"ofered": 3}}}"#,
                "unknown field `ofered`",
            ),
            (r#"{"queues": {"A": {"agents": 2.5}}}"#, "invalid type"),
            (r#"{"queue": {}}"#, "unknown field `queue`"),
            (r#"{"queues": "#, "EOF"),
        ] {
            let err = Metrics::parse("m.json", text).unwrap_err();
            let s = err.to_string();
            assert!(s.starts_with("m.json:1:"), "{s}");
            assert!(s.contains(needle), "{s} should contain {needle}");
        }
    }

    #[test]
    fn a_queue_named_twice_is_an_error_naming_the_second_row() {
        let text = "{\"queues\": {\"A\": {},\n \"A\": {}}}";
        let err = Metrics::parse("m.json", text).unwrap_err().to_string();
        assert!(err.starts_with("m.json:2:2:"), "{err}");
        assert!(err.contains("first at m.json:1:13"), "{err}");
    }

    #[test]
    fn csv_metrics_read_quoted_names_and_empty_cells() {
        let text = "queue,offered,agents,coverageRatio\r\n\"Sales, Inbound\",600,12,\n\"Say \"\"hi\"\"\",,3,0.5\n\n";
        let m = Metrics::parse("m.csv", text).unwrap();
        assert_eq!(m.rows.len(), 2);
        assert_eq!(m.rows[0].queue, "Sales, Inbound");
        assert_eq!(m.rows[0].origin, "m.csv:2:1");
        assert_eq!(m.rows[0].metrics.offered, Some(600.0));
        assert_eq!(m.rows[0].metrics.coverage_ratio, None);
        assert_eq!(m.rows[1].queue, "Say \"hi\"");
        assert_eq!(m.rows[1].metrics.agents, Some(3));
        assert_eq!(m.rows[1].metrics.coverage_ratio, Some(0.5));
    }

    #[test]
    fn csv_problems_name_the_line_and_column() {
        for (text, origin, needle) in [
            ("queue,offered\nA,x\n", "m.csv:2:3", "not a number"),
            (
                "queue,offerd\nA,1\n",
                "m.csv:1:7",
                "unknown column `offerd`",
            ),
            ("offered\n1\n", "m.csv:1:1", "no `queue` column"),
            ("queue,offered\nA,1,2\n", "m.csv:2:1", "3 cells"),
            ("queue,agents\nA,-1\n", "m.csv:2:3", "whole number"),
            ("queue,offered\n,1\n", "m.csv:2:1", "names no queue"),
            ("queue,offered\n\"A,1\n", "m.csv:2:1", "never closed"),
            ("", "m.csv:1:1", "empty"),
        ] {
            let err = Metrics::parse("m.csv", text).unwrap_err().to_string();
            assert!(err.starts_with(origin), "{err} should start with {origin}");
            assert!(err.contains(needle), "{err} should contain {needle}");
        }
    }

    #[test]
    fn a_policy_needs_its_own_figures_only() {
        let m = QueueMetrics {
            offered: Some(1.0),
            agents: Some(2),
            max_capacity: Some(3.0),
            ..QueueMetrics::default()
        };
        assert_eq!(
            m.missing_for(Policy::ErlangC),
            vec!["intervalSeconds", "averageHandleTimeSeconds"]
        );
        assert_eq!(m.missing_for(Policy::Seed), vec!["activeInteractions"]);
    }

    #[test]
    fn the_policy_of_a_request_body_is_read_with_the_figures() {
        let doc =
            Metrics::parse_json("body", r#"{"policy": "seed", "queues": {"A": {}}}"#).unwrap();
        assert_eq!(doc.policy, Some(Policy::Seed));
        assert_eq!(doc.metrics.rows.len(), 1);
    }
}
