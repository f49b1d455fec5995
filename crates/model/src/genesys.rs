//! `spec.genesys`: what only a Genesys Cloud queue has, in the repository's own units
//! (percent and seconds), and its dotted settings paths (`genesys.acw.timeoutSeconds`, …) as
//! the port's `Queue.settings` carries them.
//!
//! `inQueueFlow` is not offered: resolving a flow's name to its id needs Genesys's Architect
//! flows API, which the adapter does not call yet.

use std::collections::BTreeMap;
use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{Decimal, Diagnostic, Rule, Spanned};

/// The settings paths of the `genesys` block.
pub mod paths {
    pub const ALERTING_TIMEOUT: &str = "genesys.alertingTimeoutSeconds";
    pub const SKILL_EVALUATION: &str = "genesys.skillEvaluationMethod";
    pub const ACW_WRAPUP_PROMPT: &str = "genesys.acw.wrapupPrompt";
    pub const ACW_TIMEOUT: &str = "genesys.acw.timeoutSeconds";
    pub const SCORING_METHOD: &str = "genesys.scoringMethod";
    /// The name of an existing skill group adopted as the queue's own.
    pub const SKILL_GROUP: &str = "genesys.skillGroup";
    /// The rules of conditional group routing, as [`super::CgrRuleSetting`]s.
    pub const CGR: &str = "genesys.conditionalGroupRouting";
    /// Followed by the media type: `genesys.serviceLevels.chat`.
    pub const SERVICE_LEVELS: &str = "genesys.serviceLevels.";
    /// The media types whose service level the block manages (call is the neutral
    /// `serviceLevelTarget`).
    pub const MEDIA: [&str; 4] = ["chat", "callback", "email", "message"];
}

/// Value ranges on `genesys-cloud` (the published model's and the reference client's):
/// per cent with decimals (the wire's fraction), seconds to the millisecond (the wire's
/// `…Ms`), no upper bound where Genesys documents none.
pub mod ranges {
    use crate::DecimalRule;
    /// Seconds, at least 7 (no documented upper bound).
    pub const ALERTING_TIMEOUT_MIN: i64 = 7;
    /// Per cent, 0–100, as many decimals as the wire's fraction keeps exactly.
    pub const SLT_THRESHOLD: DecimalRule = DecimalRule {
        min: 0,
        max: Some(100),
        fraction_digits: 10,
        step: "10 decimals",
    };
    /// Seconds, at least 1, to the millisecond, no upper bound.
    pub const SLT_TIME: DecimalRule = DecimalRule {
        min: 1,
        max: None,
        fraction_digits: 3,
        step: "a millisecond (3 decimals)",
    };
    /// Seconds, 1–3,600, to the millisecond.
    pub const ACW_TIMEOUT: DecimalRule = DecimalRule {
        min: 1,
        max: Some(3600),
        fraction_digits: 3,
        step: "a millisecond (3 decimals)",
    };
}

/// Settings only Genesys Cloud has (`spec.platform: genesys-cloud`). A field left out is not
/// managed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GenesysSpec {
    /// Seconds a call alerts an agent before it is offered to the next (at least 7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 7))]
    pub alerting_timeout_seconds: Option<Spanned<i64>>,
    /// Service level per media type other than call (call is `serviceLevelTarget`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_levels: Option<GenesysServiceLevels>,
    /// How agents' skills are matched: `NONE` (disregard skills), `BEST` (best available),
    /// `ALL` (all skills matching).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skill_evaluation_method: Option<Spanned<SkillEvaluationMethod>>,
    /// After-call work.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acw: Option<GenesysAcw>,
    /// How waiting interactions are ordered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scoring_method: Option<Spanned<ScoringMethod>>,
    /// Adopt this existing skill group as the queue's own (its conditions follow
    /// `skillRequirements`; it is never deleted). Default: a group named
    /// `cxqueues: <queue name>`, made and deleted by cxqueues.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub skill_group: Option<Spanned<String>>,
    /// When this queue is slow, bring in more agents: up to 5 rules, evaluated in order;
    /// rule 1 evaluates this queue. The list replaces the queue's own when declared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditional_group_routing: Option<Spanned<GenesysCgr>>,
}

/// `spec.genesys.conditionalGroupRouting`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GenesysCgr {
    #[schemars(length(max = 5))]
    pub rules: Vec<Spanned<CgrRule>>,
}

/// One rule: when `metric` of `queue` is `operator` `value`, after `waitSeconds`, the
/// `groups` join.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CgrRule {
    /// The queue whose metric is evaluated, by name (default: this queue; rule 1 is always
    /// this queue).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<Spanned<String>>,
    pub metric: Spanned<CgrMetric>,
    pub operator: Spanned<CgrOperator>,
    /// Seconds for `EstimatedWaitTime`; per cent (0–100) for `ServiceLevel`.
    pub value: Spanned<Decimal>,
    /// Seconds before the rule is evaluated.
    #[schemars(range(min = 0))]
    pub wait_seconds: Spanned<i64>,
    /// Member groups of the queue (or its own skill group) that join, by name and type.
    #[schemars(length(min = 1))]
    pub groups: Vec<Spanned<CgrGroup>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CgrGroup {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: GroupType,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum CgrMetric {
    EstimatedWaitTime,
    ServiceLevel,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum CgrOperator {
    GreaterThan,
    GreaterThanOrEqualTo,
    LessThan,
    LessThanOrEqualTo,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum GroupType {
    Skillgroup,
    Group,
    Team,
}

/// A rule as the port's settings carry it (`genesys.conditionalGroupRouting`, a list):
/// `queue` is `None` for this queue (always for rule 1), names stand for ids.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CgrRuleSetting {
    pub queue: Option<String>,
    pub metric: CgrMetric,
    pub operator: CgrOperator,
    pub value: Decimal,
    pub wait_seconds: i64,
    pub groups: Vec<CgrGroup>,
}

impl GenesysCgr {
    /// The rules as settings (rule 1, and a rule naming `queue` itself, evaluate this queue).
    pub fn setting(&self, queue: &str) -> Value {
        let rules: Vec<CgrRuleSetting> = self
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| CgrRuleSetting {
                queue: r
                    .value
                    .queue
                    .as_ref()
                    .map(|q| q.value.clone())
                    .filter(|q| i > 0 && q != queue),
                metric: r.value.metric.value,
                operator: r.value.operator.value,
                value: r.value.value.value,
                wait_seconds: r.value.wait_seconds.value,
                groups: r.value.groups.iter().map(|g| g.value.clone()).collect(),
            })
            .collect();
        serde_json::to_value(rules).unwrap_or(Value::Null)
    }

    fn from_setting(v: &Value) -> Option<Self> {
        let rules: Vec<CgrRuleSetting> = serde_json::from_value(v.clone()).ok()?;
        Some(Self {
            rules: rules
                .into_iter()
                .map(|r| {
                    Spanned::unlocated(CgrRule {
                        queue: r.queue.map(Spanned::unlocated),
                        metric: Spanned::unlocated(r.metric),
                        operator: Spanned::unlocated(r.operator),
                        value: Spanned::unlocated(r.value),
                        wait_seconds: Spanned::unlocated(r.wait_seconds),
                        groups: r.groups.into_iter().map(Spanned::unlocated).collect(),
                    })
                })
                .collect(),
        })
    }

    /// What Genesys enforces: at most 5 rules, rule 1 on this queue, values in range, at
    /// least one group a rule.
    pub(crate) fn check(&self, queue: &str, file: &Path, diags: &mut Vec<Diagnostic>) {
        const MAX_RULES: usize = 5;
        if let Some(extra) = self.rules.get(MAX_RULES) {
            diags.push(
                Diagnostic::error(
                    Rule::Range,
                    file,
                    extra.loc,
                    format!(
                        "genesys.conditionalGroupRouting has {} rules; Genesys holds at most {MAX_RULES}",
                        self.rules.len()
                    ),
                )
                .with_hint("merge or remove rules"),
            );
        }
        for (i, rule) in self.rules.iter().enumerate() {
            let r = &rule.value;
            if i == 0
                && let Some(q) = &r.queue
                && q.value != queue
            {
                diags.push(
                    Diagnostic::error(
                        Rule::Range,
                        file,
                        q.loc,
                        format!(
                            "rule 1 of genesys.conditionalGroupRouting evaluates queue {:?}; Genesys evaluates this queue ({queue:?}) in rule 1",
                            q.value
                        ),
                    )
                    .with_hint("remove `queue` from rule 1, or move this rule after the first"),
                );
            }
            let (min, max) = match r.metric.value {
                CgrMetric::ServiceLevel => (0, Some(100)),
                CgrMetric::EstimatedWaitTime => (0, None),
            };
            let rule_ = crate::DecimalRule {
                min,
                max,
                fraction_digits: 3,
                step: "3 decimals",
            };
            crate::decimal::check_decimal(
                file,
                &format!("genesys.conditionalGroupRouting.rules[{i}].value"),
                &r.value,
                &rule_,
                "genesys-cloud",
                diags,
            );
            if r.wait_seconds.value < 0 {
                diags.push(
                    Diagnostic::error(
                        Rule::Range,
                        file,
                        r.wait_seconds.loc,
                        format!(
                            "genesys.conditionalGroupRouting.rules[{i}].waitSeconds is {}, below 0",
                            r.wait_seconds.value
                        ),
                    )
                    .with_hint("use 0 or more seconds"),
                );
            }
            if r.groups.is_empty() {
                diags.push(
                    Diagnostic::error(
                        Rule::Range,
                        file,
                        rule.loc,
                        format!(
                            "rule {} of genesys.conditionalGroupRouting names no group",
                            i + 1
                        ),
                    )
                    .with_hint(
                        "add the member groups that join: `groups: [{name: …, type: GROUP}]`",
                    ),
                );
            }
        }
    }
}

/// `spec.genesys` of `cxqueues.yaml`: how the proficiency words of `skillRequirements` map to
/// Genesys's 0–5 skill proficiency (the skill group's `GreaterThanOrEqualTo` level).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GenesysTenantSpec {
    #[serde(default)]
    pub proficiency: ProficiencyLevels,
}

/// The level (0–5) each proficiency word stands for; default 1, 2, 4, 5.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProficiencyLevels {
    #[serde(default = "one")]
    #[schemars(range(min = 0, max = 5))]
    pub beginner: u8,
    #[serde(default = "two")]
    #[schemars(range(min = 0, max = 5))]
    pub intermediate: u8,
    #[serde(default = "four")]
    #[schemars(range(min = 0, max = 5))]
    pub advanced: u8,
    #[serde(default = "five")]
    #[schemars(range(min = 0, max = 5))]
    pub expert: u8,
}

fn one() -> u8 {
    1
}
fn two() -> u8 {
    2
}
fn four() -> u8 {
    4
}
fn five() -> u8 {
    5
}

impl Default for ProficiencyLevels {
    fn default() -> Self {
        Self {
            beginner: 1,
            intermediate: 2,
            advanced: 4,
            expert: 5,
        }
    }
}

impl crate::TenantSpec {
    /// The proficiency levels of `spec.genesys.proficiency` (the defaults when absent).
    pub fn proficiency_levels(&self) -> ProficiencyLevels {
        self.genesys
            .as_ref()
            .map(|g| g.proficiency)
            .unwrap_or_default()
    }
}

impl ProficiencyLevels {
    /// The highest proficiency Genesys holds.
    pub const MAX: u8 = 5;

    /// The level of a proficiency (a word through the mapping, a number as it is).
    pub fn level(&self, p: crate::Proficiency) -> u8 {
        use crate::Proficiency as P;
        match p {
            P::Beginner => self.beginner,
            P::Intermediate => self.intermediate,
            P::Advanced => self.advanced,
            P::Expert => self.expert,
            P::Level(n) => n,
        }
    }

    /// `level` as a document writes it: the one word whose level it is, else the number.
    pub fn word(&self, level: u8) -> crate::Proficiency {
        use crate::Proficiency as P;
        let mut found = [P::Beginner, P::Intermediate, P::Advanced, P::Expert]
            .into_iter()
            .filter(|p| self.level(*p) == level);
        match (found.next(), found.next()) {
            (Some(p), None) => p,
            _ => P::Level(level),
        }
    }

    /// A condition as the plan shows it: `language:en ≥ 4`.
    pub fn condition(&self, skill: &str, p: crate::Proficiency) -> String {
        format!("{skill} ≥ {}", self.level(p))
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GenesysServiceLevels {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat: Option<Spanned<GenesysServiceLevel>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback: Option<Spanned<GenesysServiceLevel>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Spanned<GenesysServiceLevel>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Spanned<GenesysServiceLevel>>,
}

/// `threshold` % of interactions answered within `time` seconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GenesysServiceLevel {
    /// Percentage of interactions, 0–100 (decimals allowed).
    #[schemars(range(min = 0, max = 100))]
    pub threshold: Spanned<Decimal>,
    /// Seconds, at least 1, to the millisecond.
    #[schemars(range(min = 1))]
    pub time: Spanned<Decimal>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GenesysAcw {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrapup_prompt: Option<Spanned<WrapupPrompt>>,
    /// Seconds, 1–3600, to the millisecond; only with the `MANDATORY_TIMEOUT`,
    /// `MANDATORY_FORCED_TIMEOUT` and `AGENT_REQUESTED` prompts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 3600))]
    pub timeout_seconds: Option<Spanned<Decimal>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum SkillEvaluationMethod {
    #[serde(rename = "NONE")]
    None,
    #[serde(rename = "BEST")]
    Best,
    #[serde(rename = "ALL")]
    All,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WrapupPrompt {
    Mandatory,
    Optional,
    MandatoryTimeout,
    MandatoryForcedTimeout,
    AgentRequested,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ScoringMethod {
    TimestampAndPriority,
    PriorityOnly,
}

fn word<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

fn from_word<T: serde::de::DeserializeOwned>(v: Option<&Value>) -> Option<Spanned<T>> {
    v.and_then(|v| serde_json::from_value(v.clone()).ok())
        .map(Spanned::unlocated)
}

fn int(v: Option<&Value>) -> Option<Spanned<i64>> {
    v.and_then(Value::as_i64).map(Spanned::unlocated)
}

fn decimal(v: Option<&Value>) -> Option<Spanned<Decimal>> {
    match v {
        Some(Value::Number(n)) => Decimal::from_json(n).map(Spanned::unlocated),
        _ => None,
    }
}

impl WrapupPrompt {
    /// Whether the prompt uses `acwSettings.timeoutMs` (the published model: "can only be
    /// used when ACW is AGENT_REQUESTED, MANDATORY_TIMEOUT or MANDATORY_FORCED_TIMEOUT").
    pub fn takes_timeout(self) -> bool {
        matches!(
            self,
            WrapupPrompt::MandatoryTimeout
                | WrapupPrompt::MandatoryForcedTimeout
                | WrapupPrompt::AgentRequested
        )
    }
}

impl GenesysServiceLevels {
    fn get(&self, media: &str) -> Option<&Spanned<GenesysServiceLevel>> {
        match media {
            "chat" => self.chat.as_ref(),
            "callback" => self.callback.as_ref(),
            "email" => self.email.as_ref(),
            "message" => self.message.as_ref(),
            _ => None,
        }
    }

    fn slot(&mut self, media: &str) -> Option<&mut Option<Spanned<GenesysServiceLevel>>> {
        match media {
            "chat" => Some(&mut self.chat),
            "callback" => Some(&mut self.callback),
            "email" => Some(&mut self.email),
            "message" => Some(&mut self.message),
            _ => None,
        }
    }
}

impl GenesysSpec {
    /// The declared settings, by dotted path.
    pub fn settings(&self) -> BTreeMap<String, Value> {
        let mut out = BTreeMap::new();
        if let Some(v) = &self.alerting_timeout_seconds {
            out.insert(paths::ALERTING_TIMEOUT.into(), json!(v.value));
        }
        if let Some(levels) = &self.service_levels {
            for media in paths::MEDIA {
                if let Some(s) = levels.get(media) {
                    out.insert(
                        format!("{}{media}", paths::SERVICE_LEVELS),
                        json!({"threshold": s.value.threshold.value, "time": s.value.time.value}),
                    );
                }
            }
        }
        if let Some(v) = &self.skill_evaluation_method {
            out.insert(paths::SKILL_EVALUATION.into(), word(&v.value));
        }
        if let Some(acw) = &self.acw {
            if let Some(v) = &acw.wrapup_prompt {
                out.insert(paths::ACW_WRAPUP_PROMPT.into(), word(&v.value));
            }
            if let Some(v) = &acw.timeout_seconds {
                out.insert(paths::ACW_TIMEOUT.into(), json!(v.value));
            }
        }
        if let Some(v) = &self.scoring_method {
            out.insert(paths::SCORING_METHOD.into(), word(&v.value));
        }
        if let Some(v) = &self.skill_group {
            out.insert(paths::SKILL_GROUP.into(), json!(v.value));
        }
        out
    }

    /// The declared settings of a queue named `queue` (conditional group routing needs the
    /// name: a rule on the queue itself is written without one).
    pub fn settings_of(&self, queue: &str) -> BTreeMap<String, Value> {
        let mut out = self.settings();
        if let Some(cgr) = &self.conditional_group_routing {
            out.insert(paths::CGR.into(), cgr.value.setting(queue));
        }
        out
    }

    /// The block that writes `settings` (as a tenant holds them); `None` when none of them is
    /// a `genesys` setting. Values the block cannot express are left out (unmanaged).
    pub fn from_settings(settings: &BTreeMap<String, Value>) -> Option<Self> {
        let mut spec = GenesysSpec {
            alerting_timeout_seconds: int(settings.get(paths::ALERTING_TIMEOUT)),
            skill_evaluation_method: from_word(settings.get(paths::SKILL_EVALUATION)),
            scoring_method: from_word(settings.get(paths::SCORING_METHOD)),
            skill_group: settings
                .get(paths::SKILL_GROUP)
                .and_then(Value::as_str)
                .map(|s| Spanned::unlocated(s.to_owned())),
            conditional_group_routing: settings
                .get(paths::CGR)
                .and_then(GenesysCgr::from_setting)
                .map(Spanned::unlocated),
            ..GenesysSpec::default()
        };
        let mut levels = GenesysServiceLevels::default();
        for media in paths::MEDIA {
            let level = settings
                .get(&format!("{}{media}", paths::SERVICE_LEVELS))
                .and_then(|v| {
                    Some(GenesysServiceLevel {
                        threshold: decimal(v.get("threshold"))?,
                        time: decimal(v.get("time"))?,
                    })
                });
            if let (Some(slot), Some(level)) = (levels.slot(media), level) {
                *slot = Some(Spanned::unlocated(level));
            }
        }
        if levels != GenesysServiceLevels::default() {
            spec.service_levels = Some(levels);
        }
        let acw = GenesysAcw {
            wrapup_prompt: from_word(settings.get(paths::ACW_WRAPUP_PROMPT)),
            timeout_seconds: decimal(settings.get(paths::ACW_TIMEOUT)),
        };
        if acw != GenesysAcw::default() {
            spec.acw = Some(acw);
        }
        (spec != GenesysSpec::default()).then_some(spec)
    }

    /// Range errors of the block, and a timeout given with a prompt that takes none.
    pub(crate) fn check(&self, file: &Path, diags: &mut Vec<Diagnostic>) {
        use crate::decimal::check_decimal;
        const PLATFORM: &str = "genesys-cloud";
        if let Some(v) = &self.alerting_timeout_seconds
            && v.value < ranges::ALERTING_TIMEOUT_MIN
        {
            diags.push(
                Diagnostic::error(
                    Rule::Range,
                    file,
                    v.loc,
                    format!(
                        "genesys.alertingTimeoutSeconds is {}, below {}",
                        v.value,
                        ranges::ALERTING_TIMEOUT_MIN
                    ),
                )
                .with_hint("use at least 7 seconds (values are never clamped)"),
            );
        }
        if let Some(levels) = &self.service_levels {
            for media in paths::MEDIA {
                if let Some(s) = levels.get(media) {
                    let field = format!("genesys.serviceLevels.{media}");
                    let threshold = format!("{field}.threshold");
                    let time = format!("{field}.time");
                    let l = &s.value;
                    check_decimal(
                        file,
                        &threshold,
                        &l.threshold,
                        &ranges::SLT_THRESHOLD,
                        PLATFORM,
                        diags,
                    );
                    check_decimal(file, &time, &l.time, &ranges::SLT_TIME, PLATFORM, diags);
                }
            }
        }
        if let Some(acw) = &self.acw
            && let Some(v) = &acw.timeout_seconds
        {
            check_decimal(
                file,
                "genesys.acw.timeoutSeconds",
                v,
                &ranges::ACW_TIMEOUT,
                PLATFORM,
                diags,
            );
            if let Some(prompt) = &acw.wrapup_prompt
                && !prompt.value.takes_timeout()
            {
                diags.push(
                    Diagnostic::error(
                        Rule::Range,
                        file,
                        v.loc,
                        format!(
                            "genesys.acw.timeoutSeconds is given with wrapupPrompt {}, which takes no timeout",
                            word(&prompt.value).as_str().unwrap_or_default()
                        ),
                    )
                    .with_hint(
                        "remove timeoutSeconds, or use MANDATORY_TIMEOUT, MANDATORY_FORCED_TIMEOUT or AGENT_REQUESTED",
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_and_the_block_convert_both_ways() {
        let yaml = "alertingTimeoutSeconds: 8\nserviceLevels:\n  chat: {threshold: 70, time: 60}\n  email: {threshold: 90, time: 86400}\nskillEvaluationMethod: BEST\nacw: {wrapupPrompt: MANDATORY_TIMEOUT, timeoutSeconds: 30}\nscoringMethod: PriorityOnly\n";
        let spec: GenesysSpec =
            crate::yaml::from_str(yaml, &crate::yaml::YamlLimits::default()).unwrap();
        let settings = spec.settings();
        assert_eq!(settings[paths::SKILL_EVALUATION], json!("BEST"));
        assert_eq!(
            settings[paths::ACW_WRAPUP_PROMPT],
            json!("MANDATORY_TIMEOUT")
        );
        assert_eq!(settings[paths::SCORING_METHOD], json!("PriorityOnly"));
        assert_eq!(
            settings["genesys.serviceLevels.email"],
            json!({"threshold": 90, "time": 86400})
        );
        assert_eq!(settings.len(), 7);
        let back = GenesysSpec::from_settings(&settings).unwrap();
        assert_eq!(back.settings(), settings);
        assert_eq!(GenesysSpec::from_settings(&BTreeMap::new()), None);
    }

    #[test]
    fn an_unknown_word_is_left_unmanaged_on_import() {
        let settings = BTreeMap::from([
            (paths::SKILL_EVALUATION.to_string(), json!("SOMETHING_NEW")),
            (paths::ACW_TIMEOUT.to_string(), json!(45)),
        ]);
        let spec = GenesysSpec::from_settings(&settings).unwrap();
        assert_eq!(spec.skill_evaluation_method, None);
        assert_eq!(
            spec.acw.unwrap().timeout_seconds.unwrap().value,
            Decimal::from(45i64)
        );
    }
}

#[cfg(test)]
mod platform_tests {
    use crate::{LoadOptions, RepoFile, Rule};

    fn load(platform: &str, spec: &str) -> Vec<(Rule, u32, String)> {
        let tenant = RepoFile {
            path: "cxqueues.yaml".into(),
            bytes: format!(
                "apiVersion: cxqueues/v1\nkind: Tenant\nspec:\n  platform: {platform}\n"
            )
            .into_bytes(),
        };
        let queue = RepoFile {
            path: "queues/a.yaml".into(),
            bytes: format!(
                "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: A\nspec:\n{spec}"
            )
            .into_bytes(),
        };
        crate::parse_files(Some(tenant), vec![queue], &LoadOptions::default())
            .diagnostics
            .into_iter()
            .map(|d| (d.rule, d.line, d.message))
            .collect()
    }

    #[test]
    fn decimals_numbers_and_optional_skills_follow_the_platform() {
        type Case<'a> = (&'a str, &'a str, &'a [(u32, &'a str)]);
        let table: [Case; 7] = [
            (
                "genesys-cloud",
                "  serviceLevelTarget: {threshold: 87.5, time: 20.5}\n",
                &[],
            ),
            (
                "routing-api",
                "  serviceLevelTarget: {threshold: 87.5, time: 20}\n",
                &[(6, "whole numbers only")],
            ),
            (
                "genesys-cloud",
                "  serviceLevelTarget: {threshold: 80, time: 20.0005}\n",
                &[(6, "at most 3 digits")],
            ),
            (
                "genesys-cloud",
                "  serviceLevelTarget: {threshold: 80, time: 86400}\n",
                &[],
            ),
            (
                "genesys-cloud",
                "  skillRequirements:\n    - {skill: s, proficiency: 3}\n    - {skill: t, proficiency: 6}\n    - {skill: u, proficiency: expert, required: false}\n",
                &[(8, "outside 0–5"), (9, "required: false")],
            ),
            (
                "routing-api",
                "  skillRequirements:\n    - {skill: s, proficiency: 3}\n",
                &[(7, "takes a word")],
            ),
            (
                "genesys-cloud",
                "  genesys:\n    acw: {wrapupPrompt: OPTIONAL, timeoutSeconds: 30}\n",
                &[(7, "takes no timeout")],
            ),
        ];
        for (platform, spec, want) in table {
            let mut got = load(platform, spec);
            got.sort_by_key(|(_, line, _)| *line);
            assert_eq!(got.len(), want.len(), "{platform} {spec}: {got:#?}");
            for ((_, line, message), (want_line, words)) in got.iter().zip(want) {
                assert_eq!(line, want_line, "{message}");
                assert!(message.contains(words), "{message}");
            }
        }
    }
}
