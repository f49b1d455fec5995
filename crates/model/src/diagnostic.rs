//! Problems found in a repository, each with the place it is about.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

use crate::{Loc, Spanned};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// Which rule of `repo-format.md` (or which failure to read) a diagnostic is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    // Reading the files.
    /// A file could not be read, is too large, or is not UTF-8.
    File,
    /// A symlink that leaves the repository.
    Symlink,
    /// A file holds no document.
    EmptyFile,
    // Rule 1.
    /// YAML syntax, wrong types, missing fields, alias budget.
    Parse,
    /// A field the format does not know.
    UnknownField,
    DuplicateKey,
    /// `apiVersion` or `kind` unknown.
    Kind,
    /// A value out of range.
    Range,
    /// A field the tenant's platform cannot hold (its `Capabilities`).
    Unsupported,
    // Rule 2.
    DuplicateName,
    /// Two names that differ only by case, Unicode form, width or invisible characters (a
    /// warning).
    ConfusableName,
    DuplicateId,
    InvalidId,
    // Rule 3.
    OverflowTarget,
    SelfOverflow,
    DanglingTarget,
    // Rule 4, 5.
    Cycle,
    Depth,
    // Rule 6.
    SkillCount,
    DuplicateSkill,
    License,
    // Rule 7 (warnings).
    OverflowNeverFires,
    DisabledOverflowTarget,
    // Tenant-aware checks made by plan.
    UnknownSkill,
    UnknownTargetId,
    UnknownPinnedId,
    AmbiguousName,
}

impl Rule {
    /// The stable machine name (`range`, `cycle`, …).
    pub fn code(self) -> &'static str {
        match self {
            Rule::File => "file",
            Rule::Symlink => "symlink",
            Rule::EmptyFile => "empty-file",
            Rule::Parse => "parse",
            Rule::UnknownField => "unknown-field",
            Rule::DuplicateKey => "duplicate-key",
            Rule::Kind => "kind",
            Rule::Range => "range",
            Rule::Unsupported => "unsupported",
            Rule::DuplicateName => "duplicate-name",
            Rule::ConfusableName => "confusable-name",
            Rule::DuplicateId => "duplicate-id",
            Rule::InvalidId => "invalid-id",
            Rule::OverflowTarget => "overflow-target",
            Rule::SelfOverflow => "self-overflow",
            Rule::DanglingTarget => "dangling-target",
            Rule::Cycle => "cycle",
            Rule::Depth => "depth",
            Rule::SkillCount => "skill-count",
            Rule::DuplicateSkill => "duplicate-skill",
            Rule::License => "license",
            Rule::OverflowNeverFires => "overflow-never-fires",
            Rule::DisabledOverflowTarget => "disabled-overflow-target",
            Rule::UnknownSkill => "unknown-skill",
            Rule::UnknownTargetId => "unknown-target-id",
            Rule::UnknownPinnedId => "unknown-pinned-id",
            Rule::AmbiguousName => "ambiguous-name",
        }
    }

    /// The number of the rule in `repo-format.md` (0 for reading failures, 8 for the
    /// tenant-aware checks that `plan` adds).
    pub fn number(self) -> u8 {
        match self {
            Rule::File | Rule::Symlink | Rule::EmptyFile => 0,
            Rule::Parse
            | Rule::UnknownField
            | Rule::DuplicateKey
            | Rule::Kind
            | Rule::Range
            | Rule::Unsupported => 1,
            Rule::DuplicateName | Rule::ConfusableName | Rule::DuplicateId | Rule::InvalidId => 2,
            Rule::OverflowTarget | Rule::SelfOverflow | Rule::DanglingTarget => 3,
            Rule::Cycle => 4,
            Rule::Depth => 5,
            Rule::SkillCount | Rule::DuplicateSkill | Rule::License => 6,
            Rule::OverflowNeverFires | Rule::DisabledOverflowTarget => 7,
            Rule::UnknownSkill | Rule::UnknownTargetId | Rule::UnknownPinnedId => 8,
            Rule::AmbiguousName => 8,
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One problem: where it is, which rule, what is wrong, and how to fix it when that is obvious.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub rule: Rule,
    /// Path relative to the repository root, with `/` separators.
    pub file: PathBuf,
    pub line: u32,
    pub column: u32,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn error(
        rule: Rule,
        file: impl Into<PathBuf>,
        loc: Loc,
        message: impl Into<String>,
    ) -> Self {
        Self {
            severity: Severity::Error,
            rule,
            file: file.into(),
            line: loc.line,
            column: loc.column,
            message: message.into(),
            hint: None,
        }
    }

    pub fn warning(
        rule: Rule,
        file: impl Into<PathBuf>,
        loc: Loc,
        message: impl Into<String>,
    ) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(rule, file, loc, message)
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    pub fn loc(&self) -> Loc {
        Loc::new(self.line, self.column)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{}:{}:{}: {sev}[{}]: {}",
            self.file.display(),
            self.line,
            self.column,
            self.rule,
            self.message
        )?;
        if let Some(h) = &self.hint {
            write!(f, " (hint: {h})")?;
        }
        Ok(())
    }
}

/// A range error at `v` when it is outside `range` (`{field} is 5, outside 1–3`).
pub(crate) fn check_range(
    file: &std::path::Path,
    field: &str,
    v: &Spanned<i64>,
    range: std::ops::RangeInclusive<i64>,
    diags: &mut Vec<Diagnostic>,
) {
    if !range.contains(&v.value) {
        diags.push(
            Diagnostic::error(
                Rule::Range,
                file,
                v.loc,
                format!(
                    "{field} is {}, outside {}–{}",
                    v.value,
                    range.start(),
                    range.end()
                ),
            )
            .with_hint(format!(
                "use a value from {} to {} (values are never clamped)",
                range.start(),
                range.end()
            )),
        );
    }
}
