//! The overflow graph and rules 2–7 (being written).

use model::{Diagnostic, Repository};

/// Cross-queue checks of a loaded repository: rules 2–7 of `repo-format.md`.
pub fn check_repository(_repo: &Repository) -> Vec<Diagnostic> {
    Vec::new()
}
