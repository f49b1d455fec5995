//! What a platform can hold and how it writes.

use serde::{Deserialize, Serialize};

/// A field of a Queue document's `spec` that a platform may or may not hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum QueueField {
    Description,
    SkillRequirements,
    ServiceLevelTarget,
    MaxWaitTime,
    MaxWaiters,
    Overflow,
}

impl QueueField {
    pub const ALL: [QueueField; 6] = [
        QueueField::Description,
        QueueField::SkillRequirements,
        QueueField::ServiceLevelTarget,
        QueueField::MaxWaitTime,
        QueueField::MaxWaiters,
        QueueField::Overflow,
    ];

    /// The key a Queue document writes it under.
    pub fn key(self) -> &'static str {
        match self {
            QueueField::Description => "description",
            QueueField::SkillRequirements => "skillRequirements",
            QueueField::ServiceLevelTarget => "serviceLevelTarget",
            QueueField::MaxWaitTime => "maxWaitTime",
            QueueField::MaxWaiters => "maxWaiters",
            QueueField::Overflow => "overflow",
        }
    }
}

/// How writes meet concurrent edits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WriteMode {
    /// Every write names the version it was based on; a moved version is a conflict.
    Conditional,
    /// No versions: the last writer wins. The adapter narrows the window (read just before
    /// the write) and reconcile reports what it overrode.
    LastWriterWins,
}

/// What an update sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UpdateMode {
    /// The whole object, which replaces what the tenant holds: fields left out are erased, so
    /// on a last-writer-wins platform apply reads the queue just before writing it.
    Replace,
    /// Only the changed fields: what is not sent is not touched.
    Partial,
}

/// What a tombstone (`metadata.deleted: true`) does on this platform.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeleteMode {
    #[default]
    Delete,
    /// The platform cannot delete; the queue is deactivated.
    Deactivate,
}

impl DeleteMode {
    /// The verb plans use for a tombstone: `delete` or `deactivate`.
    pub fn verb(self) -> &'static str {
        match self {
            DeleteMode::Delete => "delete",
            DeleteMode::Deactivate => "deactivate",
        }
    }

    /// The past participle: `deleted` or `deactivated`.
    pub fn done(self) -> &'static str {
        match self {
            DeleteMode::Delete => "deleted",
            DeleteMode::Deactivate => "deactivated",
        }
    }
}

/// The form of a platform's queue ids (`metadata.id`, `overflow.targetId`): the model's one
/// id rule.
pub use model::IdKind;

/// What one platform supports. Each adapter has one, known before any connection, so that
/// offline validation can use it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Capabilities {
    /// The platform's name as `spec.platform` writes it.
    pub platform: &'static str,
    /// The neutral `spec` fields this platform holds.
    pub fields: &'static [QueueField],
    /// Where the platform keeps each neutral field it cannot hold, for the error message.
    #[serde(skip)]
    pub elsewhere: &'static [(QueueField, &'static str)],
    /// The `spec` block of platform-only settings (`genesys`, `cxone`), if any.
    pub settings_block: Option<&'static str>,
    pub writes: WriteMode,
    /// How an update is sent.
    pub updates: UpdateMode,
    pub deletes: DeleteMode,
    #[serde(skip)]
    pub ids: IdKind,
    /// Items per list page the adapter asks for.
    pub page_size: u32,
    /// The platform's own rule for queue names, beyond the repository's 1–64 characters.
    #[serde(skip)]
    pub names: Option<NameRule>,
    /// On a platform that deactivates: the setting path (e.g. `cxone.active`) whose `false`
    /// marks a deactivated queue, so that a tombstone over one is already satisfied.
    pub active_setting: Option<&'static str>,
    /// Setting paths (e.g. `cxone.mediaType`) that a create must declare and an update may
    /// not change: the platform fixes them when the queue is made.
    pub create_only: &'static [&'static str],
}

/// A platform's rule for queue names, checked offline at file:line.
#[derive(Clone, Copy, Debug)]
pub struct NameRule {
    /// The rule in words, for hints.
    pub rule: &'static str,
    /// What is wrong with a name, or `None` when it follows the rule.
    pub problem: fn(&str) -> Option<String>,
}

impl Capabilities {
    /// Whether the platform holds `field`.
    pub fn supports(&self, field: QueueField) -> bool {
        self.fields.contains(&field)
    }

    /// Where the platform keeps a setting it cannot hold on a queue.
    pub fn elsewhere(&self, field: QueueField) -> Option<&'static str> {
        self.elsewhere
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, w)| *w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_platform_says_where_it_keeps_what_it_cannot_hold() {
        let caps = Capabilities {
            platform: "example",
            fields: &[QueueField::Description],
            elsewhere: &[(QueueField::MaxWaiters, "the flow")],
            settings_block: None,
            writes: WriteMode::LastWriterWins,
            updates: UpdateMode::Replace,
            deletes: DeleteMode::Delete,
            ids: IdKind::Uuid,
            page_size: 100,
            names: None,
            active_setting: None,
            create_only: &[],
        };
        assert!(caps.supports(QueueField::Description));
        assert!(!caps.supports(QueueField::Overflow));
        assert_eq!(caps.elsewhere(QueueField::MaxWaiters), Some("the flow"));
        assert_eq!(caps.elsewhere(QueueField::Overflow), None);
    }
}
