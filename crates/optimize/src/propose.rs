//! From a repository and metrics to a proposal per queue: the policy, the bounds (each with a
//! warning that names the computed value) and the changes against what the YAML declares.

use std::borrow::Cow;
use std::fmt;
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::str::FromStr;

use model::genesys::{CgrMetric, CgrOperator, CgrRule};
use model::{Decimal, QueueDef, QueueSpec, Repository, Spanned, ranges};
use serde::{Deserialize, Serialize};

use crate::OptimizeError;
use crate::erlang::{self, ErlangC};
use crate::metrics::{Metrics, QueueMetrics};
use crate::seed::{self, trim};

/// How proposals are computed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Policy {
    /// Erlang C (M/M/N), the default.
    #[default]
    ErlangC,
    /// The formula of the original tool, reproduced exactly.
    Seed,
}

impl Policy {
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::ErlangC => "erlang-c",
            Policy::Seed => "seed",
        }
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Policy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "erlang-c" => Ok(Policy::ErlangC),
            "seed" => Ok(Policy::Seed),
            other => Err(format!("unknown policy {other:?}: erlang-c or seed")),
        }
    }
}

/// The default tail ε: `maxWaiters` and `maxWaitTime` leave at most 1 % beyond them.
pub const DEFAULT_TAIL: f64 = 0.01;

/// What a run of the optimizer is asked.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    pub policy: Policy,
    /// ε, in (0, 1).
    pub tail: f64,
    /// Only these queues (all when empty).
    pub only: Vec<String>,
    /// Fields the platform does not hold (`maxWaiters` and `maxWaitTime` on Genesys Cloud
    /// and NICE CXone): their values are reported under `predicted`, for the people who own
    /// the flow or the script, never proposed as changes.
    pub predicted_only: Vec<Field>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            policy: Policy::ErlangC,
            tail: DEFAULT_TAIL,
            only: Vec::new(),
            predicted_only: Vec::new(),
        }
    }
}

/// A field the optimizer may change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    MaxWaitTime,
    MaxWaiters,
    ServiceLevelThreshold,
    ServiceLevelTime,
    /// The `value` (seconds) of the `EstimatedWaitTime` rule at this index (0-based) of
    /// `spec.genesys.conditionalGroupRouting`: when this queue's estimated wait passes it,
    /// more agents join (Genesys Cloud's overflow threshold).
    CgrEstimatedWaitTime(usize),
}

impl Field {
    /// The field's path in the queue's `spec` (`maxWaitTime`,
    /// `genesys.conditionalGroupRouting.rules[0].value`).
    pub fn name(self) -> Cow<'static, str> {
        match self {
            Field::MaxWaitTime => "maxWaitTime".into(),
            Field::MaxWaiters => "maxWaiters".into(),
            Field::ServiceLevelThreshold => "serviceLevelTarget.threshold".into(),
            Field::ServiceLevelTime => "serviceLevelTarget.time".into(),
            Field::CgrEstimatedWaitTime(i) => {
                format!("genesys.conditionalGroupRouting.rules[{i}].value").into()
            }
        }
    }

    /// The value `spec` declares for this field.
    pub fn current(self, spec: &QueueSpec) -> Option<Decimal> {
        let slt = spec.service_level_target.as_ref().map(|s| &s.value);
        match self {
            Field::MaxWaitTime => spec.max_wait_time.as_ref().map(|v| v.value.into()),
            Field::MaxWaiters => spec.max_waiters.as_ref().map(|v| v.value.into()),
            Field::ServiceLevelThreshold => slt.map(|s| s.threshold.value),
            Field::ServiceLevelTime => slt.map(|s| s.time.value),
            Field::CgrEstimatedWaitTime(i) => Some(cgr_rules(spec).get(i)?.value.value.value),
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl Serialize for Field {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name())
    }
}

/// One proposed change of one field.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Change {
    pub field: Field,
    /// `null` when the file does not declare the field yet; a decimal where the file has
    /// one (`87.5` on Genesys Cloud).
    pub from: Option<Decimal>,
    pub to: i64,
    pub reason: String,
}

/// What Erlang C predicts for the queue as staffed.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Prediction {
    pub traffic_erlangs: f64,
    pub wait_probability: Option<f64>,
    pub service_level: Option<f64>,
    pub average_speed_of_answer_seconds: Option<f64>,
    pub occupancy: Option<f64>,
    pub agents_needed: Option<u32>,
    /// The `maxWaiters` the platform cannot hold (see [`Options::predicted_only`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_waiters: Option<i64>,
    /// The `maxWaitTime` the platform cannot hold, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_wait_time: Option<i64>,
}

/// The proposal for one queue.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QueueProposal {
    pub name: String,
    pub file: PathBuf,
    /// The queue's figures; `null` when the metrics have no row for it.
    pub inputs: Option<QueueMetrics>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicted: Option<Prediction>,
    pub changes: Vec<Change>,
    pub warnings: Vec<String>,
}

/// The proposal for every queue considered, in repository order.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub policy: Policy,
    pub tail: f64,
    pub queues: Vec<QueueProposal>,
}

impl Report {
    pub fn has_changes(&self) -> bool {
        self.queues.iter().any(|q| !q.changes.is_empty())
    }
}

/// Proposes settings for the queues of `repo` (which must be valid) from `metrics`.
///
/// Errors: a metrics row that names no queue of the repository (the error names the row), a
/// name in `opts.only` that is no queue, a tail outside (0, 1).
pub fn propose(
    repo: &Repository,
    metrics: &Metrics,
    opts: &Options,
) -> Result<Report, OptimizeError> {
    if !(opts.tail > 0.0 && opts.tail < 1.0) {
        return Err(OptimizeError::Options(format!(
            "the tail ε is {}, not within (0, 1): e.g. 0.01",
            opts.tail
        )));
    }
    let by_name: std::collections::HashMap<&str, &QueueDef> =
        repo.queues.iter().map(|q| (q.name(), q)).collect();
    for row in &metrics.rows {
        if !by_name.contains_key(row.queue.as_str()) {
            return Err(OptimizeError::UnknownQueue {
                origin: row.origin.clone(),
                name: row.queue.clone(),
            });
        }
    }
    // Every figure out of bounds is named: those of the first such row, then the other rows.
    let mut bad = metrics
        .rows
        .iter()
        .map(|r| (r, r.metrics.out_of_bounds()))
        .filter(|(_, why)| !why.is_empty());
    if let Some((row, why)) = bad.next() {
        let mut message = format!("queue {:?}: {}", row.queue, why.join("; "));
        let others: Vec<String> = bad
            .map(|(r, _)| format!("{:?} ({})", r.queue, r.origin))
            .collect();
        if !others.is_empty() {
            message.push_str(&format!("; also out of bounds: {}", others.join(", ")));
        }
        return Err(OptimizeError::Metrics {
            origin: row.origin.clone(),
            message,
        });
    }
    for name in &opts.only {
        if !by_name.contains_key(name.as_str()) {
            return Err(OptimizeError::Options(format!(
                "--only {name:?}: the repository has no such queue"
            )));
        }
    }
    let rows: std::collections::HashMap<&str, &QueueMetrics> = metrics
        .rows
        .iter()
        .map(|r| (r.queue.as_str(), &r.metrics))
        .collect();
    let license = i64::from(repo.tenant.spec.limits.max_waiters);
    // Conditional group routing is Genesys Cloud's.
    let genesys = repo.tenant.spec.platform == model::Platform::GenesysCloud;
    let queues = repo
        .queues
        .iter()
        .filter(|q| !q.doc.metadata.deleted)
        .filter(|q| opts.only.is_empty() || opts.only.iter().any(|n| n == q.name()))
        .map(|q| propose_queue(q, rows.get(q.name()).copied(), opts, license, genesys))
        .collect();
    Ok(Report {
        policy: opts.policy,
        tail: opts.tail,
        queues,
    })
}

fn propose_queue(
    q: &QueueDef,
    inputs: Option<&QueueMetrics>,
    opts: &Options,
    license: i64,
    genesys: bool,
) -> QueueProposal {
    let mut p = QueueProposal {
        name: q.name().to_string(),
        file: q.file.clone(),
        inputs: inputs.cloned(),
        predicted: None,
        changes: Vec::new(),
        warnings: Vec::new(),
    };
    let Some(m) = inputs else {
        p.warnings
            .push("no metrics for this queue: nothing is proposed".to_string());
        return p;
    };
    if let Some(src) = m.source.as_ref().filter(|s| s.no_traffic) {
        p.warnings.push(format!(
            "{}: nothing is proposed (no figures to model, never a guess)",
            src.describe()
        ));
        return p;
    }
    let missing = m.missing_for(opts.policy);
    if !missing.is_empty() {
        p.warnings.push(format!(
            "the {} policy needs {}, which the metrics do not give: nothing is proposed",
            opts.policy,
            missing.join(", ")
        ));
        return p;
    }
    let mut proposed = Vec::new();
    match opts.policy {
        Policy::Seed => {
            seed_policy(m, &q.doc.spec, license, &mut proposed, &mut p.warnings);
            if proposed
                .iter()
                .any(|(f, ..)| opts.predicted_only.contains(f))
            {
                // The seed formula has no traffic model: A is the interactions in progress.
                p.predicted = Some(Prediction {
                    traffic_erlangs: m.active_interactions.unwrap_or_default(),
                    ..Prediction::default()
                });
            }
        }
        Policy::ErlangC => {
            let cgr_rule = genesys
                .then(|| estimated_wait_rule(&q.doc.spec, q.name()))
                .flatten();
            p.predicted = erlang_policy(
                m,
                q,
                opts.tail,
                license,
                cgr_rule,
                &mut proposed,
                &mut p.warnings,
            );
        }
    }
    for (field, to, reason) in proposed {
        if opts.predicted_only.contains(&field) {
            let predicted = p.predicted.get_or_insert_with(Prediction::default);
            match field {
                Field::MaxWaiters => predicted.max_waiters = Some(to),
                Field::MaxWaitTime => predicted.max_wait_time = Some(to),
                Field::ServiceLevelThreshold
                | Field::ServiceLevelTime
                | Field::CgrEstimatedWaitTime(_) => {}
            }
            continue;
        }
        let from = field.current(&q.doc.spec);
        if from != Some(Decimal::from(to)) {
            p.changes.push(Change {
                field,
                from,
                to,
                reason,
            });
        }
    }
    let new_wait = p.changes.iter().find(|c| c.field == Field::MaxWaitTime);
    if let (Some(c), Some(Some(ov))) = (new_wait, &q.doc.spec.overflow)
        && ov.value.wait_time.value >= c.to
    {
        p.warnings.push(format!(
            "maxWaitTime {} is not above overflow.waitTime {}: the overflow would never fire",
            c.to, ov.value.wait_time.value
        ));
    }
    p
}

/// `computed` kept within `range` (and at most `cap`), with a warning that names the computed
/// value when it had to move.
fn bounded(
    field: Field,
    computed: f64,
    range: RangeInclusive<i64>,
    cap: Option<(i64, &str)>,
    warnings: &mut Vec<String>,
) -> i64 {
    let (lo, mut hi) = (*range.start(), *range.end());
    let mut hi_what = "maximum".to_string();
    if let Some((c, what)) = cap
        && c < hi
    {
        hi = c;
        hi_what = what.to_string();
    }
    let name = field.name();
    let shown = trim(computed);
    if computed < lo as f64 {
        warnings.push(format!(
            "{name}: computed {shown}, below the minimum {lo}: proposing {lo}"
        ));
        lo
    } else if computed > hi as f64 {
        warnings.push(format!(
            "{name}: computed {shown}, above the {hi_what} {hi}: proposing {hi}"
        ));
        hi
    } else {
        computed as i64
    }
}

fn license_cap(license: i64) -> Option<(i64, &'static str)> {
    Some((license, "licensed"))
}

fn seed_policy(
    m: &QueueMetrics,
    spec: &QueueSpec,
    license: i64,
    out: &mut Vec<(Field, i64, String)>,
    warnings: &mut Vec<String>,
) {
    let (Some(active), Some(capacity)) = (m.active_interactions, m.max_capacity) else {
        return;
    };
    if capacity <= 0.0 {
        warnings.push(format!(
            "the utilisation activeInteractions / maxCapacity = {} / 0 is undefined with a maxCapacity of 0: nothing is proposed",
            trim(active)
        ));
        return;
    }
    let raw = seed::compute(active, capacity, m.coverage_ratio);
    let wait = bounded(
        Field::MaxWaitTime,
        raw.wait,
        ranges::MAX_WAIT_TIME,
        None,
        warnings,
    );
    out.push((Field::MaxWaitTime, wait, raw.wait_reason()));
    if raw.max_waiters == 0.0 {
        let kept = match spec.max_waiters.as_ref() {
            Some(v) => format!("the current {} is kept", v.value),
            None => "it stays undeclared".to_string(),
        };
        warnings.push(format!(
            "maxWaiters: computed 0 (round({} × 0.8)): {kept}",
            trim(capacity)
        ));
    } else {
        let waiters = bounded(
            Field::MaxWaiters,
            raw.max_waiters,
            ranges::MAX_WAITERS,
            license_cap(license),
            warnings,
        );
        out.push((
            Field::MaxWaiters,
            waiters,
            format!("round(maxCapacity {} × 0.8)", trim(capacity)),
        ));
    }
    let threshold = bounded(
        Field::ServiceLevelThreshold,
        raw.threshold,
        ranges::THRESHOLD,
        None,
        warnings,
    );
    out.push((
        Field::ServiceLevelThreshold,
        threshold,
        raw.threshold_reason(),
    ));
    let time = bounded(
        Field::ServiceLevelTime,
        raw.time,
        ranges::SLT_TIME,
        None,
        warnings,
    );
    out.push((
        Field::ServiceLevelTime,
        time,
        format!("round(wait {} × 0.6)", raw.wait),
    ));
}

/// Erlang C for one queue; `cgr_rule` is the index of the Genesys rule whose threshold takes
/// the `maxWaitTime` figure ([`estimated_wait_rule`]).
fn erlang_policy(
    m: &QueueMetrics,
    q: &QueueDef,
    tail: f64,
    license: i64,
    cgr_rule: Option<usize>,
    out: &mut Vec<(Field, i64, String)>,
    warnings: &mut Vec<String>,
) -> Option<Prediction> {
    let (offered, interval, aht, agents) = (
        m.offered?,
        m.interval_seconds?,
        m.average_handle_time_seconds?,
        m.agents?,
    );
    let spec = &q.doc.spec;
    let traffic = offered / interval * aht;
    let mut predicted = Prediction {
        traffic_erlangs: traffic,
        ..Prediction::default()
    };
    let Some(model) = ErlangC::new(agents, traffic) else {
        warnings.push(format!(
            "the queue cannot keep up: traffic A = {} Erlangs with N = {agents} agents (N must exceed A); nothing is predicted or changed",
            trim(traffic)
        ));
        return Some(predicted);
    };
    predicted.wait_probability = Some(model.wait_probability);
    predicted.average_speed_of_answer_seconds = Some(model.average_speed_of_answer(aht));
    predicted.occupancy = Some(model.occupancy());
    let pct = tail * 100.0;
    match spec.service_level_target.as_ref().map(|s| &s.value) {
        Some(slt) => {
            let (t, target) = (
                slt.time.value.to_f64(),
                slt.threshold.value.to_f64() / 100.0,
            );
            let sl = model.service_level(t, aht);
            predicted.service_level = Some(sl);
            predicted.agents_needed = erlang::agents_needed(traffic, aht, t, target);
            if sl < target {
                let needed = match predicted.agents_needed {
                    Some(n) => format!("{n} agents are needed"),
                    None => "no staffing within reach meets it".to_string(),
                };
                warnings.push(format!(
                    "the service level target ({}% in {} s) is out of reach with {agents} agents: predicted {:.1}%; {needed}",
                    slt.threshold.value,
                    slt.time.value,
                    sl * 100.0
                ));
            }
        }
        None => warnings.push(
            "no serviceLevelTarget: the service level and agentsNeeded are not predicted"
                .to_string(),
        ),
    }
    let k = model.waiters_within(tail);
    let waiters = bounded(
        Field::MaxWaiters,
        k as f64,
        ranges::MAX_WAITERS,
        license_cap(license),
        warnings,
    );
    let t = model.wait_within(tail, aht);
    let wait = bounded(
        Field::MaxWaitTime,
        t as f64,
        ranges::MAX_WAIT_TIME,
        None,
        warnings,
    );
    out.push((
        Field::MaxWaitTime,
        wait,
        format!(
            "P(wait > {t} s) ≤ {}% (C = {:.4})",
            trim(pct),
            model.wait_probability
        ),
    ));
    out.push((
        Field::MaxWaiters,
        waiters,
        format!(
            "P({k} or more waiting) ≤ {}% (C = {:.4}, ρ = {:.4})",
            trim(pct),
            model.wait_probability,
            model.occupancy()
        ),
    ));
    if let Some(rule) = cgr_rule {
        let field = Field::CgrEstimatedWaitTime(rule);
        if t == 0 {
            // A threshold of 0 would bring the groups in at the first wait estimated.
            warnings.push(format!(
                "{field}: P(wait > 0 s) ≤ {}% already (C = {:.4}): the queue rarely waits, so its threshold is kept",
                trim(pct),
                model.wait_probability
            ));
        } else {
            // The overflow threshold of the original tool, unbounded like the rule's value.
            out.push((
                field,
                t as i64,
                format!(
                    "rule {}'s EstimatedWaitTime: P(wait > {t} s) ≤ {}% (C = {:.4})",
                    rule + 1,
                    trim(pct),
                    model.wait_probability
                ),
            ));
            let proposed = Decimal::from(t as i64);
            for (j, later) in cgr_rules(spec).iter().enumerate().skip(rule + 1) {
                let v = later.value.value.value;
                if own_wait_threshold(&later.value, q.name()) && v <= proposed {
                    warnings.push(format!(
                        "rule {}'s EstimatedWaitTime threshold {v} s is not above the {t} s proposed for rule {}: the thresholds no longer rise in order; review the later rules",
                        j + 1,
                        rule + 1
                    ));
                }
            }
        }
    }
    Some(predicted)
}

/// The rules of `spec.genesys.conditionalGroupRouting` (none when it is not declared).
pub(crate) fn cgr_rules(spec: &QueueSpec) -> &[Spanned<CgrRule>] {
    spec.genesys
        .as_ref()
        .and_then(|g| g.value.conditional_group_routing.as_ref())
        .map_or(&[], |c| &c.value.rules)
}

/// Whether `rule` is an overflow threshold on this queue's wait: `EstimatedWaitTime`
/// `GreaterThan` (or `…OrEqualTo`) a value, on this queue (rule 1 always is; a later rule when it
/// names no other queue). A rule on another queue's wait is that queue's figure, not this one's.
fn own_wait_threshold(rule: &CgrRule, name: &str) -> bool {
    rule.metric.value == CgrMetric::EstimatedWaitTime
        && matches!(
            rule.operator.value,
            CgrOperator::GreaterThan | CgrOperator::GreaterThanOrEqualTo
        )
        && rule.queue.as_ref().is_none_or(|q| q.value == name)
}

/// The index of the first rule of `spec.genesys.conditionalGroupRouting` that is an overflow
/// threshold on this queue's wait ([`own_wait_threshold`]).
fn estimated_wait_rule(spec: &QueueSpec, name: &str) -> Option<usize> {
    cgr_rules(spec)
        .iter()
        .position(|r| own_wait_threshold(&r.value, name))
}
