//! The repository-layout rules, shared by the file-system walk ([`crate::load_repository`]) and
//! the runner's walk of a git tree: where the Queue files are, which files count, which links
//! are followed, and how a path is written in diagnostics.

use std::path::{Component, Path};

use crate::TenantDoc;
use crate::yaml::{self, YamlLimits};

/// The tenant document, at the repository's root.
pub const TENANT_FILE: &str = "cxqueues.yaml";

/// The tenant document's names: `cxqueues.yaml`, or `cxqueues.yml` when it is absent.
pub const TENANT_FILES: [&str; 2] = ["cxqueues.yaml", "cxqueues.yml"];

/// Which of [`TENANT_FILES`] a repository's root holds (`exists` says whether a name is
/// there): the one present, or none. Both present is an error (at `cxqueues.yml`), since
/// either could be the one meant; `Err` still names `cxqueues.yaml`, to read it on.
pub fn tenant_file(
    exists: impl Fn(&str) -> bool,
) -> Result<Option<&'static str>, (&'static str, crate::Diagnostic)> {
    let [yaml, yml] = TENANT_FILES;
    match (exists(yaml), exists(yml)) {
        (true, true) => Err((
            yaml,
            crate::Diagnostic::error(
                crate::Rule::File,
                yml,
                crate::Loc::UNKNOWN,
                "both cxqueues.yaml and cxqueues.yml are here: either could be the tenant document",
            )
            .with_hint("keep one: merge cxqueues.yml into cxqueues.yaml and delete it"),
        )),
        (true, false) => Ok(Some(yaml)),
        (false, true) => Ok(Some(yml)),
        (false, false) => Ok(None),
    }
}

/// The queues folder when `cxqueues.yaml` names none (or cannot be read).
pub const DEFAULT_QUEUES_DIR: &str = "queues";

/// The queues folder the tenant document's bytes name (`spec.queues`), or
/// [`DEFAULT_QUEUES_DIR`] when there is no readable tenant document.
pub fn queues_dir(tenant: Option<&[u8]>, limits: &YamlLimits) -> String {
    tenant
        .and_then(|bytes| std::str::from_utf8(bytes).ok())
        .and_then(|text| yaml::from_str::<TenantDoc>(text, limits).ok())
        .map_or_else(|| DEFAULT_QUEUES_DIR.to_string(), |doc| doc.spec.queues)
}

/// Whether a file named `name` is a Queue file: `*.yaml` or `*.yml`; every other file in the
/// queues folder is ignored.
pub fn is_queue_file(name: &str) -> bool {
    name.ends_with(".yaml") || name.ends_with(".yml")
}

/// The repository path (with `/`) that a symlink in folder `at` (a `/` path from the root)
/// pointing to `target` names, or `None` when the link leaves the repository (an absolute
/// target, or more `..` than folders above it). Such links are errors and are not followed.
pub fn link_target_inside(at: &str, target: &str) -> Option<String> {
    let mut parts: Vec<&str> = at.split('/').filter(|p| !p.is_empty()).collect();
    for c in Path::new(target).components() {
        match c {
            Component::Normal(p) => parts.push(p.to_str()?),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(parts.join("/"))
}

/// A path with `/` separators and without `.` components (`./queues/a.yaml` →
/// `queues/a.yaml`, `queues\a.yaml` on Windows → `queues/a.yaml`): how every path is written in
/// diagnostics, plans, audit records and git trees.
pub fn slash_path(p: &Path) -> String {
    let mut out = String::new();
    for c in p.components() {
        let part = match c {
            Component::CurDir => continue,
            Component::RootDir => {
                out.push('/');
                continue;
            }
            Component::Prefix(p) => p.as_os_str().to_string_lossy(),
            Component::ParentDir => "..".into(),
            Component::Normal(s) => s.to_string_lossy(),
        };
        if !out.is_empty() && !out.ends_with('/') {
            out.push('/');
        }
        out.push_str(&part);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slash_paths_drop_dot_components_and_keep_the_rest() {
        assert_eq!(slash_path(Path::new("./queues/a.yaml")), "queues/a.yaml");
        assert_eq!(
            slash_path(Path::new("queues/sub/b.yml")),
            "queues/sub/b.yml"
        );
        assert_eq!(slash_path(Path::new("../x")), "../x");
        assert_eq!(slash_path(Path::new("/abs/x")), "/abs/x");
        assert_eq!(slash_path(Path::new("")), "");
    }

    #[test]
    fn the_queues_folder_is_spec_queues_or_queues_by_default() {
        let limits = YamlLimits::default();
        assert_eq!(queues_dir(None, &limits), "queues");
        assert_eq!(queues_dir(Some(b"not: [valid"), &limits), "queues");
        let doc = b"apiVersion: cxqueues/v1\nkind: Tenant\nmetadata:\n  name: t\nspec:\n  queues: routing\n";
        assert_eq!(queues_dir(Some(doc), &limits), "routing");
    }

    #[test]
    fn only_yaml_files_count() {
        assert!(is_queue_file("a.yaml"));
        assert!(is_queue_file("a.yml"));
        assert!(!is_queue_file("README.md"));
        assert!(!is_queue_file("a.yaml.bak"));
    }

    #[test]
    fn a_link_is_followed_only_while_it_stays_inside_the_repository() {
        assert_eq!(
            link_target_inside("queues", "a.yaml").as_deref(),
            Some("queues/a.yaml")
        );
        assert_eq!(
            link_target_inside("queues/sub", "../b.yaml").as_deref(),
            Some("queues/b.yaml")
        );
        assert_eq!(link_target_inside("queues", "../../etc/passwd"), None);
        assert_eq!(link_target_inside("queues", "/etc/passwd"), None);
    }
}
