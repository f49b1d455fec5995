//! `spec.cxone`: the settings of a NICE CXone ACD skill that no other platform has.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use std::ops::RangeInclusive;
use std::path::Path;

use crate::{Diagnostic, Spanned};

/// NICE CXone only (`spec.platform: nice-cxone`): the skill's own settings. Every field is
/// optional; one left out is not managed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CxoneSpec {
    /// The skill's media type. Required to create a skill; CXone fixes it afterwards
    /// (changing it means a new skill).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<Spanned<CxoneMediaType>>,
    /// The campaign (reporting group) by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub campaign: Option<Spanned<String>>,
    /// Contact priority: `initial + minutes waited × acceleration`, up to `max`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Spanned<CxonePriority>>,
    /// Contacts that hang up within `thresholdSeconds` are not counted as abandoned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_abandon: Option<Spanned<CxoneShortAbandon>>,
    /// Whether the skill is active (a tombstone deactivates it too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<Spanned<bool>>,
}

/// NICE's published v34 ranges for the neutral service level on `nice-cxone`, applied by
/// `validate`: `serviceLevelThreshold` a whole number of seconds with no upper bound (0 kept
/// as a tenant holds it), `serviceLevelGoal` a whole per cent 0–100.
pub mod ranges {
    use crate::DecimalRule;
    pub const SLT_THRESHOLD: DecimalRule = DecimalRule::whole(0..=100);
    pub const SLT_TIME: DecimalRule = DecimalRule {
        min: 0,
        max: None,
        fraction_digits: 0,
        step: "",
    };
}

/// `spec.cxone` of `cxqueues.yaml` (NICE CXone only): how skills are written.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CxoneTenantSpec {
    /// `true` when this tenant's `PUT /skills/{id}` has been verified to keep what it is not
    /// sent: an update then sends only the changed fields, without reading the skill first.
    /// Default `false`: every update reads the skill and sends back every writable property
    /// as read (NICE does not document whether its PUT is partial).
    #[serde(default)]
    pub partial_updates: bool,
}

impl CxoneSpec {
    /// Seconds of `shortAbandon.thresholdSeconds`: NICE's v34 skill schemas publish 0–300.
    pub const SHORT_ABANDON_SECONDS: RangeInclusive<i64> = 0..=300;

    /// The ranges NICE publishes for these settings.
    pub(crate) fn check(&self, file: &Path, diags: &mut Vec<Diagnostic>) {
        if let Some(sa) = &self.short_abandon
            && let Some(t) = &sa.value.threshold_seconds
        {
            crate::diagnostic::check_range(
                file,
                "cxone.shortAbandon.thresholdSeconds",
                t,
                Self::SHORT_ABANDON_SECONDS,
                diags,
            );
        }
    }
}

/// A CXone media type, by the name the CXone help uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum CxoneMediaType {
    #[serde(rename = "email")]
    Email,
    #[serde(rename = "chat")]
    Chat,
    #[serde(rename = "voice")]
    Voice,
    #[serde(rename = "voicemail")]
    Voicemail,
    #[serde(rename = "work item")]
    WorkItem,
    #[serde(rename = "sms")]
    Sms,
    #[serde(rename = "digital")]
    Digital,
}

impl CxoneMediaType {
    pub const ALL: [CxoneMediaType; 7] = [
        CxoneMediaType::Email,
        CxoneMediaType::Chat,
        CxoneMediaType::Voice,
        CxoneMediaType::Voicemail,
        CxoneMediaType::WorkItem,
        CxoneMediaType::Sms,
        CxoneMediaType::Digital,
    ];

    /// The name a Queue document writes.
    pub fn as_str(self) -> &'static str {
        match self {
            CxoneMediaType::Email => "email",
            CxoneMediaType::Chat => "chat",
            CxoneMediaType::Voice => "voice",
            CxoneMediaType::Voicemail => "voicemail",
            CxoneMediaType::WorkItem => "work item",
            CxoneMediaType::Sms => "sms",
            CxoneMediaType::Digital => "digital",
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CxonePriority {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub initial: Option<Spanned<i64>>,
    /// Priority gained per minute of waiting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub acceleration: Option<Spanned<i64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub max: Option<Spanned<i64>>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CxoneShortAbandon {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<Spanned<bool>>,
    /// Seconds, 0–300.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 300))]
    pub threshold_seconds: Option<Spanned<i64>>,
}
