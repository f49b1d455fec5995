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

use crate::{Diagnostic, Spanned};

/// The settings paths of the `genesys` block.
pub mod paths {
    pub const ALERTING_TIMEOUT: &str = "genesys.alertingTimeoutSeconds";
    pub const SKILL_EVALUATION: &str = "genesys.skillEvaluationMethod";
    pub const ACW_WRAPUP_PROMPT: &str = "genesys.acw.wrapupPrompt";
    pub const ACW_TIMEOUT: &str = "genesys.acw.timeoutSeconds";
    pub const SCORING_METHOD: &str = "genesys.scoringMethod";
    /// Followed by the media type: `genesys.serviceLevels.chat`.
    pub const SERVICE_LEVELS: &str = "genesys.serviceLevels.";
    /// The media types whose service level the block manages (call is the neutral
    /// `serviceLevelTarget`).
    pub const MEDIA: [&str; 4] = ["chat", "callback", "email", "message"];
}

/// Value ranges of the block. Lower bounds are Genesys's (the Terraform provider's); upper
/// bounds of alerting and service-level times are not documented and are sanity bounds of
/// ours, so that a typo is caught before the org is asked.
pub mod ranges {
    use std::ops::RangeInclusive;
    pub const ALERTING_TIMEOUT: RangeInclusive<i64> = 7..=86_400;
    pub const THRESHOLD: RangeInclusive<i64> = 0..=100;
    pub const SERVICE_LEVEL_TIME: RangeInclusive<i64> = 1..=604_800;
    pub const ACW_TIMEOUT: RangeInclusive<i64> = 1..=3600;
}

/// Settings only Genesys Cloud has (`spec.platform: genesys-cloud`). A field left out is not
/// managed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GenesysSpec {
    /// Seconds a call alerts an agent before it is offered to the next (at least 7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 7, max = 86400))]
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
    /// Percentage of interactions, 0–100.
    #[schemars(range(min = 0, max = 100))]
    pub threshold: Spanned<i64>,
    /// Seconds, at least 1.
    #[schemars(range(min = 1, max = 604800))]
    pub time: Spanned<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GenesysAcw {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrapup_prompt: Option<Spanned<WrapupPrompt>>,
    /// Seconds, 1–3600; used with the timeout and agent-requested prompts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 3600))]
    pub timeout_seconds: Option<Spanned<i64>>,
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
        out
    }

    /// The block that writes `settings` (as a tenant holds them); `None` when none of them is
    /// a `genesys` setting. Values the block cannot express are left out (unmanaged).
    pub fn from_settings(settings: &BTreeMap<String, Value>) -> Option<Self> {
        let mut spec = GenesysSpec {
            alerting_timeout_seconds: int(settings.get(paths::ALERTING_TIMEOUT)),
            skill_evaluation_method: from_word(settings.get(paths::SKILL_EVALUATION)),
            scoring_method: from_word(settings.get(paths::SCORING_METHOD)),
            ..GenesysSpec::default()
        };
        let mut levels = GenesysServiceLevels::default();
        for media in paths::MEDIA {
            let level = settings
                .get(&format!("{}{media}", paths::SERVICE_LEVELS))
                .and_then(|v| {
                    Some(GenesysServiceLevel {
                        threshold: Spanned::unlocated(v.get("threshold")?.as_i64()?),
                        time: Spanned::unlocated(v.get("time")?.as_i64()?),
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
            timeout_seconds: int(settings.get(paths::ACW_TIMEOUT)),
        };
        if acw != GenesysAcw::default() {
            spec.acw = Some(acw);
        }
        (spec != GenesysSpec::default()).then_some(spec)
    }

    /// Range errors of the block.
    pub(crate) fn check(&self, file: &Path, diags: &mut Vec<Diagnostic>) {
        use crate::diagnostic::check_range;
        if let Some(v) = &self.alerting_timeout_seconds {
            check_range(
                file,
                "genesys.alertingTimeoutSeconds",
                v,
                ranges::ALERTING_TIMEOUT,
                diags,
            );
        }
        if let Some(levels) = &self.service_levels {
            for media in paths::MEDIA {
                if let Some(s) = levels.get(media) {
                    let field = format!("genesys.serviceLevels.{media}");
                    check_range(
                        file,
                        &format!("{field}.threshold"),
                        &s.value.threshold,
                        ranges::THRESHOLD,
                        diags,
                    );
                    check_range(
                        file,
                        &format!("{field}.time"),
                        &s.value.time,
                        ranges::SERVICE_LEVEL_TIME,
                        diags,
                    );
                }
            }
        }
        if let Some(v) = self.acw.as_ref().and_then(|a| a.timeout_seconds.as_ref()) {
            check_range(
                file,
                "genesys.acw.timeoutSeconds",
                v,
                ranges::ACW_TIMEOUT,
                diags,
            );
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
        assert_eq!(spec.acw.unwrap().timeout_seconds.unwrap().value, 45);
    }
}
