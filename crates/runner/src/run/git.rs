//! Reading the committed tree of the watched branch with `git2`.
//!
//! Only what a commit holds is read, never the working tree, so an uncommitted edit is never
//! applied. The files are the same as `model::load_repository` would read from disk
//! (`cxqueues.yaml` and every `.yaml`/`.yml` under the queues folder, recursively, in sorted
//! order), handed to `model::parse_files` and `reconcile::check_repository`. A symlink in the
//! tree is an error and is never followed.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use git2::{ObjectType, Oid, Repository as GitRepo, Tree};
use model::layout::TENANT_FILE;
use model::layout::{self, slash_path};
use model::{Diagnostic, LoadOptions, Loc, QueueDef, RepoFile, Repository, Rule};
use serde::Serialize;

/// The tree entry mode of a symbolic link.
const MODE_SYMLINK: i32 = 0o120_000;

/// What can go wrong reading git (the repository itself, not its content: content problems
/// are diagnostics).
#[derive(Debug, thiserror::Error)]
pub(crate) enum GitError {
    #[error("{}: {}", path.display(), not_a_repository(source))]
    NotARepository { path: PathBuf, source: git2::Error },
    #[error(
        "HEAD does not point at a branch (detached HEAD); name the branch to watch with --branch"
    )]
    DetachedHead,
    #[error("{0:?} is not a valid branch name")]
    BadBranch(String),
    #[error("reading git: {}", in_words(.0))]
    Git(#[from] git2::Error),
    #[error("the git task failed: {0}")]
    Task(String),
}

/// A libgit2 error in plain words: its message, without libgit2's
/// `; class=Repository (6); code=NotFound (-3)` suffix.
fn in_words(e: &git2::Error) -> String {
    e.message().trim_end_matches('.').to_string()
}

/// Why a folder could not be opened as a repository, as git itself says it.
fn not_a_repository(e: &git2::Error) -> String {
    if e.code() == git2::ErrorCode::NotFound {
        "not a git repository (or any parent); run `git init` there, or name a checkout with --repo"
            .to_string()
    } else {
        format!("cannot open it as a git repository: {}", in_words(e))
    }
}

/// The commit a run reconciled.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CommitInfo {
    pub id: String,
    pub short_id: String,
    /// `Name <email>` of the author.
    pub author: String,
    /// The author time, RFC 3339 (UTC).
    pub time: String,
    /// The first line of the message.
    pub summary: String,
}

/// A commit's repository, parsed and checked offline.
#[derive(Debug)]
pub(crate) struct Snapshot {
    pub commit: CommitInfo,
    pub repo: Repository,
}

impl Snapshot {
    pub(crate) fn has_errors(&self) -> bool {
        self.repo.has_errors()
    }
}

/// A Queue file parsed on its own: keyed by the tenant document's blob, the file's path and
/// its blob, so that a commit re-parses only the files it changed.
type CacheKey = (Option<Oid>, String, Oid);
/// The tenant document and its blob id.
type TenantBlob = (RepoFile, Oid);
/// A Queue file's path and blob id.
type QueueBlob = (String, Oid);

#[derive(Debug)]
struct ParsedFile {
    queues: Vec<QueueDef>,
    diagnostics: Vec<Diagnostic>,
}

/// Where the runner reads from: a git repository, the folder of the cxqueues repository
/// inside it, and a branch.
#[derive(Clone, Debug)]
pub(crate) struct GitSource {
    /// The git directory (`.git`, or the repository itself when bare).
    git_dir: PathBuf,
    /// Where refs live (differs from `git_dir` in a linked worktree).
    common_dir: PathBuf,
    /// The cxqueues repository's folder relative to the top of the work tree (empty: the top).
    prefix: PathBuf,
    branch: String,
    /// The Queue files of the last commit read, parsed (shared by clones).
    cache: Arc<Mutex<HashMap<CacheKey, Arc<ParsedFile>>>>,
}

impl GitSource {
    /// Finds the git repository holding `dir` and the branch to watch: `branch`, or the one
    /// HEAD points at.
    pub(crate) fn open(dir: &Path, branch: Option<&str>) -> Result<Self, GitError> {
        let repo = GitRepo::discover(dir).map_err(|source| GitError::NotARepository {
            path: dir.to_path_buf(),
            source,
        })?;
        let prefix = match repo.workdir() {
            Some(top) => {
                let top = top.canonicalize().unwrap_or_else(|_| top.to_path_buf());
                let here = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
                here.strip_prefix(&top)
                    .map(Path::to_path_buf)
                    .unwrap_or_default()
            }
            None => PathBuf::new(),
        };
        let branch = match branch {
            Some(b) => b.trim_start_matches("refs/heads/").to_string(),
            None => {
                let head = repo.find_reference("HEAD")?;
                let target = head.symbolic_target()?.ok_or(GitError::DetachedHead)?;
                target
                    .strip_prefix("refs/heads/")
                    .ok_or(GitError::DetachedHead)?
                    .to_string()
            }
        };
        if !git2::Reference::is_valid_name(&format!("refs/heads/{branch}")) {
            return Err(GitError::BadBranch(branch));
        }
        Ok(Self {
            git_dir: repo.path().to_path_buf(),
            common_dir: repo.commondir().to_path_buf(),
            prefix,
            branch,
            cache: Arc::default(),
        })
    }

    pub(crate) fn branch(&self) -> &str {
        &self.branch
    }

    /// The directory that holds `HEAD`, `packed-refs` and `refs/`.
    pub(crate) fn common_dir(&self) -> &Path {
        &self.common_dir
    }

    /// The folder of the cxqueues repository inside the work tree (empty: the top).
    pub(crate) fn prefix(&self) -> &Path {
        &self.prefix
    }

    pub(crate) fn open_repo(&self) -> Result<GitRepo, GitError> {
        Ok(GitRepo::open(&self.git_dir)?)
    }

    /// The branch's commit id, or `None` while the branch has no commit.
    pub(crate) fn head(&self) -> Result<Option<String>, GitError> {
        let repo = self.open_repo()?;
        match repo.refname_to_id(&format!("refs/heads/{}", self.branch)) {
            Ok(oid) => Ok(Some(oid.to_string())),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Why the followed branch cannot be reconciled although the repository is there: it does
    /// not exist while other branches do, or HEAD points at another one (a mistyped
    /// `--branch`). `None` when it exists, or when it is the unborn branch of a repository
    /// with no commit yet.
    pub fn missing_branch(&self) -> Result<Option<String>, GitError> {
        let repo = self.open_repo()?;
        let name = format!("refs/heads/{}", self.branch);
        if repo.find_reference(&name).is_ok() {
            return Ok(None);
        }
        let mut branches: Vec<String> = repo
            .branches(Some(git2::BranchType::Local))?
            .filter_map(|b| b.ok())
            .filter_map(|(b, _)| b.name().ok().flatten().map(str::to_string))
            .collect();
        branches.sort();
        let unborn_head = repo
            .find_reference("HEAD")
            .ok()
            .and_then(|h| h.symbolic_target().ok().flatten().map(str::to_string))
            .is_some_and(|t| t == name);
        if branches.is_empty() && unborn_head {
            return Ok(None);
        }
        let known = if branches.is_empty() {
            "it has no branch yet".to_string()
        } else {
            let shown: Vec<&str> = branches.iter().take(20).map(String::as_str).collect();
            format!("its branches: {}", shown.join(", "))
        };
        Ok(Some(format!(
            "the branch {:?} does not exist in the repository ({known}): check --branch",
            self.branch
        )))
    }

    /// Reads and checks the repository as commit `id` holds it. Only the Queue files that
    /// changed since the last commit read are parsed again.
    pub(crate) fn read_commit(&self, id: &str, opts: &LoadOptions) -> Result<Snapshot, GitError> {
        let repo = self.open_repo()?;
        let commit = repo.find_commit(Oid::from_str(id)?)?;
        let info = commit_info(&commit);
        let root = commit.tree()?;
        let mut diags = Vec::new();
        let (tenant, entries) = if self.prefix.as_os_str().is_empty() {
            list_files(&repo, &root, opts, &mut diags)
        } else {
            match subtree(&repo, &root, &self.prefix)? {
                Some(tree) => list_files(&repo, &tree, opts, &mut diags),
                None => {
                    diags.push(Diagnostic::error(
                        Rule::File,
                        TENANT_FILE,
                        Loc::UNKNOWN,
                        format!(
                            "the folder `{}` is not in commit {}",
                            slash_path(&self.prefix),
                            info.short_id
                        ),
                    ));
                    (None, Vec::new())
                }
            }
        };
        let tenant_oid = tenant.as_ref().map(|(_, oid)| *oid);
        let tenant = tenant.map(|(file, _)| file);
        let mut parsed = model::parse_files(tenant.clone(), Vec::new(), opts);
        diags.append(&mut parsed.diagnostics);
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        let mut fresh = HashMap::with_capacity(entries.len());
        for (path, oid) in entries {
            let key = (tenant_oid, path, oid);
            let file = match cache.remove(&key) {
                Some(f) => f,
                None => match repo.find_blob(oid) {
                    Ok(blob) => {
                        let one = RepoFile {
                            path: PathBuf::from(&key.1),
                            bytes: blob.content().to_vec(),
                        };
                        let alone = model::parse_files(tenant.clone(), vec![one], opts);
                        let tenant_path = tenant
                            .as_ref()
                            .map_or(Path::new(TENANT_FILE), |t| t.path.as_path());
                        Arc::new(ParsedFile {
                            queues: alone.queues,
                            diagnostics: alone
                                .diagnostics
                                .into_iter()
                                .filter(|d| d.file != tenant_path)
                                .collect(),
                        })
                    }
                    Err(e) => {
                        diags.push(Diagnostic::error(
                            Rule::File,
                            key.1.as_str(),
                            Loc::UNKNOWN,
                            format!("cannot read: {e}"),
                        ));
                        continue;
                    }
                },
            };
            parsed.queues.extend(file.queues.iter().cloned());
            diags.extend(file.diagnostics.iter().cloned());
            fresh.insert(key, file);
        }
        *cache = fresh;
        drop(cache);
        parsed.diagnostics = diags;
        let caps = crate::tenant::capabilities(parsed.tenant.spec.platform);
        let mut more = reconcile::check_offline(&parsed, caps);
        parsed.diagnostics.append(&mut more);
        reconcile::sort_diagnostics(&mut parsed.diagnostics);
        Ok(Snapshot {
            commit: info,
            repo: parsed,
        })
    }
}

fn commit_info(commit: &git2::Commit<'_>) -> CommitInfo {
    let id = commit.id().to_string();
    let author = commit.author();
    let name = String::from_utf8_lossy(author.name_bytes()).into_owned();
    let email = String::from_utf8_lossy(author.email_bytes()).into_owned();
    CommitInfo {
        short_id: id.chars().take(10).collect(),
        id,
        author: if email.is_empty() {
            name
        } else {
            format!("{name} <{email}>")
        },
        time: super::rfc3339_secs(author.when().seconds()),
        summary: commit
            .summary_bytes()
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .unwrap_or_default(),
    }
}

/// The tree at `path` below `root`, or `None` when there is none.
fn subtree<'r>(
    repo: &'r GitRepo,
    root: &Tree<'r>,
    path: &Path,
) -> Result<Option<Tree<'r>>, GitError> {
    match root.get_path(path) {
        Ok(entry) if entry.kind() == Some(ObjectType::Tree) => {
            Ok(Some(repo.find_tree(entry.id())?))
        }
        Ok(_) => Ok(None),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn symlink_error(path: &str) -> Diagnostic {
    Diagnostic::error(
        Rule::Symlink,
        path,
        Loc::UNKNOWN,
        "a symlink that leaves the repository (or points to a folder or another link); it was not followed",
    )
    .with_hint("commit the file itself instead of a link to it")
}

/// The blob a symlink in folder `at` points to, when its target stays inside the repository
/// (`root`) and is a plain file there.
fn link_target(repo: &GitRepo, root: &Tree<'_>, at: &str, link: git2::Oid) -> Option<git2::Oid> {
    let blob = repo.find_blob(link).ok()?;
    let target = std::str::from_utf8(blob.content()).ok()?;
    let inside = layout::link_target_inside(at, target)?;
    let entry = root.get_path(Path::new(&inside)).ok()?;
    (entry.kind() == Some(ObjectType::Blob) && entry.filemode() != MODE_SYMLINK).then(|| entry.id())
}

/// `cxqueues.yaml` (read) and the Queue files of a commit's tree (paths relative to `root`,
/// sorted, with their blob ids).
fn list_files(
    repo: &GitRepo,
    root: &Tree<'_>,
    opts: &LoadOptions,
    diags: &mut Vec<Diagnostic>,
) -> (Option<TenantBlob>, Vec<QueueBlob>) {
    // `cxqueues.yaml`, else `cxqueues.yml` (both is an error), as on disk.
    let name = layout::tenant_file(|n| root.get_name(n).is_some()).unwrap_or_else(|(n, d)| {
        diags.push(d);
        Some(n)
    });
    let tenant = match name.and_then(|n| root.get_name(n)) {
        None => None,
        Some(e) if e.filemode() == MODE_SYMLINK => {
            diags.push(symlink_error(name.unwrap_or(TENANT_FILE)));
            None
        }
        Some(e) => match repo.find_blob(e.id()) {
            Ok(blob) => Some((
                RepoFile {
                    path: PathBuf::from(name.unwrap_or(TENANT_FILE)),
                    bytes: blob.content().to_vec(),
                },
                e.id(),
            )),
            Err(err) => {
                diags.push(Diagnostic::error(
                    Rule::File,
                    name.unwrap_or(TENANT_FILE),
                    Loc::UNKNOWN,
                    format!("cannot read: {err}"),
                ));
                None
            }
        },
    };
    let queues_dir = layout::queues_dir(tenant.as_ref().map(|(t, _)| &t.bytes[..]), &opts.yaml);
    let dir = Path::new(&queues_dir);
    let escapes = dir
        .components()
        .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir));
    let tree = if escapes {
        None
    } else {
        match subtree(repo, root, dir) {
            Ok(t) => t,
            Err(e) => {
                diags.push(Diagnostic::error(
                    Rule::File,
                    queues_dir.as_str(),
                    Loc::UNKNOWN,
                    format!("cannot read the folder: {e}"),
                ));
                return (tenant, Vec::new());
            }
        }
    };
    let Some(tree) = tree else {
        let symlinked = root
            .get_path(dir)
            .is_ok_and(|e| e.filemode() == MODE_SYMLINK);
        if symlinked {
            diags.push(symlink_error(&queues_dir));
        } else {
            diags.push(
                Diagnostic::error(
                    Rule::File,
                    TENANT_FILE,
                    Loc::UNKNOWN,
                    format!("the queues folder `{queues_dir}` is not in the commit"),
                )
                .with_hint(format!(
                    "commit `{queues_dir}/`, or set spec.queues in {TENANT_FILE}"
                )),
            );
        }
        return (tenant, Vec::new());
    };
    let mut files = Vec::new();
    walk(repo, root, &tree, &slash_path(dir), &mut files, diags);
    files.sort_by(|a, b| Path::new(&a.0).cmp(Path::new(&b.0)));
    (tenant, files)
}

fn walk(
    repo: &GitRepo,
    root: &Tree<'_>,
    tree: &Tree<'_>,
    at: &str,
    files: &mut Vec<QueueBlob>,
    diags: &mut Vec<Diagnostic>,
) {
    for entry in tree.iter() {
        let name = String::from_utf8_lossy(entry.name_bytes()).into_owned();
        let path = if at.is_empty() {
            name.clone()
        } else {
            format!("{at}/{name}")
        };
        match entry.kind() {
            Some(ObjectType::Tree) => match repo.find_tree(entry.id()) {
                Ok(sub) => walk(repo, root, &sub, &path, files, diags),
                Err(e) => diags.push(Diagnostic::error(
                    Rule::File,
                    path.as_str(),
                    Loc::UNKNOWN,
                    format!("cannot read the folder: {e}"),
                )),
            },
            // As on disk: a link that stays inside the repository is followed, to a file.
            Some(ObjectType::Blob) if entry.filemode() == MODE_SYMLINK => {
                match link_target(repo, root, at, entry.id()) {
                    Some(target) if layout::is_queue_file(&name) => files.push((path, target)),
                    Some(_) => {}
                    None => diags.push(symlink_error(&path)),
                }
            }
            Some(ObjectType::Blob) if layout::is_queue_file(&name) => {
                files.push((path, entry.id()))
            }
            Some(ObjectType::Commit) => diags.push(Diagnostic::warning(
                Rule::File,
                path.as_str(),
                Loc::UNKNOWN,
                "a git submodule; its files are not read",
            )),
            _ => {}
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A git repository in a temp dir, committed to with `git2`.
    pub(crate) struct TempRepo {
        pub dir: tempfile::TempDir,
        pub repo: GitRepo,
    }

    impl TempRepo {
        pub(crate) fn new() -> Self {
            let dir = tempfile::tempdir().unwrap();
            let mut opts = git2::RepositoryInitOptions::new();
            opts.initial_head("main");
            let repo = GitRepo::init_opts(dir.path(), &opts).unwrap();
            Self { dir, repo }
        }

        pub(crate) fn write(&self, path: &str, text: &str) {
            let p = self.dir.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }

        pub(crate) fn commit(&self, message: &str) -> String {
            let mut index = self.repo.index().unwrap();
            index
                .add_all(["*"].iter(), git2::IndexAddOption::DEFAULT, None)
                .unwrap();
            index.update_all(["*"].iter(), None).unwrap();
            index.write().unwrap();
            let tree = self.repo.find_tree(index.write_tree().unwrap()).unwrap();
            let sig = git2::Signature::now("Ada Lovelace", "ada@example.com").unwrap();
            let parent = self.repo.head().ok().and_then(|h| h.peel_to_commit().ok());
            let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
            self.repo
                .commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
                .unwrap()
                .to_string()
        }
    }

    pub(crate) fn queue_yaml(name: &str, max_wait: u32) -> String {
        format!(
            "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: {name}\nspec:\n  maxWaitTime: {max_wait}\n"
        )
    }

    #[test]
    fn a_folder_outside_any_repository_is_said_in_plain_words_without_libgit2_codes() {
        let dir = tempfile::tempdir().unwrap();
        let Err(e) = GitSource::open(dir.path(), None) else {
            panic!("a temp folder is not a git repository");
        };
        let m = e.to_string();
        assert!(m.contains("not a git repository (or any parent)"), "{m}");
        assert!(!m.contains("class=") && !m.contains("code="), "{m}");
    }

    #[test]
    fn the_committed_tree_is_read_and_uncommitted_edits_are_not() {
        let t = TempRepo::new();
        t.write("queues/a.yaml", &queue_yaml("Alpha", 100));
        t.write("queues/sub/b.yml", &queue_yaml("Beta", 200));
        t.write("queues/notes.txt", "not a queue");
        let id = t.commit("two queues");
        t.write("queues/a.yaml", &queue_yaml("Alpha", 999));
        let src = GitSource::open(t.dir.path(), None).unwrap();
        assert_eq!(src.branch(), "main");
        assert_eq!(src.head().unwrap().as_deref(), Some(id.as_str()));
        let snap = src.read_commit(&id, &LoadOptions::default()).unwrap();
        assert!(!snap.has_errors(), "{:?}", snap.repo.diagnostics);
        let names: Vec<_> = snap
            .repo
            .queues
            .iter()
            .map(|q| q.name().to_string())
            .collect();
        assert_eq!(names, ["Alpha", "Beta"]);
        let alpha = &snap.repo.queues[0];
        assert_eq!(
            alpha.doc.spec.max_wait_time.as_ref().map(|v| v.value),
            Some(100)
        );
        assert_eq!(alpha.file, PathBuf::from("queues/a.yaml"));
        assert_eq!(snap.commit.author, "Ada Lovelace <ada@example.com>");
        assert_eq!(snap.commit.summary, "two queues");
    }

    #[test]
    fn a_cached_read_equals_a_fresh_one_and_a_tenant_change_reparses_every_file() {
        let t = TempRepo::new();
        t.write("queues/a.yaml", &queue_yaml("Alpha", 100));
        t.write(
            "queues/b.yaml",
            "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: Beta\nspec:\n  maxWaiters: 50\n",
        );
        let first = t.commit("two");
        let src = GitSource::open(t.dir.path(), None).unwrap();
        let opts = LoadOptions::default();
        src.read_commit(&first, &opts).unwrap();

        t.write("queues/a.yaml", &queue_yaml("Alpha", 700));
        let second = t.commit("alpha out of range");
        let cached = src.read_commit(&second, &opts).unwrap();
        let fresh = GitSource::open(t.dir.path(), None)
            .unwrap()
            .read_commit(&second, &opts)
            .unwrap();
        assert_eq!(cached.repo.queues, fresh.repo.queues);
        assert_eq!(cached.repo.diagnostics, fresh.repo.diagnostics);
        assert!(
            cached
                .repo
                .diagnostics
                .iter()
                .any(|d| d.rule == Rule::Range)
        );

        // A lower license limit makes the unchanged Beta file invalid too.
        t.write(
            "cxqueues.yaml",
            "apiVersion: cxqueues/v1\nkind: Tenant\nmetadata: {name: t}\nspec:\n  limits: {maxWaiters: 20}\n",
        );
        let third = t.commit("smaller license");
        let snap = src.read_commit(&third, &opts).unwrap();
        assert!(
            snap.repo
                .diagnostics
                .iter()
                .any(|d| d.rule == Rule::License && d.file == Path::new("queues/b.yaml")),
            "{:#?}",
            snap.repo.diagnostics
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_that_leaves_the_repository_is_an_error_and_is_not_followed() {
        let t = TempRepo::new();
        t.write("queues/a.yaml", &queue_yaml("Alpha", 100));
        std::os::unix::fs::symlink("../../elsewhere/b.yaml", t.dir.path().join("queues/b.yaml"))
            .unwrap();
        let id = t.commit("a link");
        let src = GitSource::open(t.dir.path(), None).unwrap();
        let snap = src.read_commit(&id, &LoadOptions::default()).unwrap();
        assert!(snap.has_errors());
        let d = snap
            .repo
            .diagnostics
            .iter()
            .find(|d| d.rule == Rule::Symlink)
            .expect("a symlink diagnostic");
        assert_eq!(d.file, PathBuf::from("queues/b.yaml"));
        assert!(snap.repo.queues.iter().all(|q| q.name() != "Beta"));
    }

    #[test]
    fn a_symlink_inside_the_repository_is_followed_as_on_disk() {
        let t = TempRepo::new();
        t.write("queues/a.yaml", &queue_yaml("Alpha", 100));
        t.write("shared/b.yaml", &queue_yaml("Beta", 200));
        std::os::unix::fs::symlink("../shared/b.yaml", t.dir.path().join("queues/b.yaml")).unwrap();
        let id = t.commit("an inside link");
        let src = GitSource::open(t.dir.path(), None).unwrap();
        let snap = src.read_commit(&id, &LoadOptions::default()).unwrap();
        assert!(!snap.has_errors(), "{:#?}", snap.repo.diagnostics);
        let beta = snap
            .repo
            .queues
            .iter()
            .find(|q| q.name() == "Beta")
            .expect("followed");
        assert_eq!(beta.file, PathBuf::from("queues/b.yaml"));
        // The same repository validates the same way from disk.
        let disk = model::load_repository(t.dir.path(), &LoadOptions::default());
        assert!(disk.diagnostics.is_empty());
        assert_eq!(disk.queues.len(), snap.repo.queues.len());
    }

    #[test]
    fn a_repository_in_a_subfolder_reads_that_folder_of_the_tree() {
        let t = TempRepo::new();
        t.write(
            "ops/cx/cxqueues.yaml",
            "apiVersion: cxqueues/v1\nkind: Tenant\nmetadata: {name: t}\nspec:\n  queues: defs\n",
        );
        t.write("ops/cx/defs/a.yaml", &queue_yaml("Alpha", 100));
        t.write("queues/ignored.yaml", &queue_yaml("Ignored", 100));
        let id = t.commit("nested");
        let src = GitSource::open(&t.dir.path().join("ops/cx"), None).unwrap();
        assert_eq!(src.prefix(), Path::new("ops/cx"));
        let snap = src.read_commit(&id, &LoadOptions::default()).unwrap();
        assert!(!snap.has_errors(), "{:?}", snap.repo.diagnostics);
        assert_eq!(snap.repo.queues.len(), 1);
        assert_eq!(snap.repo.queues[0].file, PathBuf::from("defs/a.yaml"));
    }

    #[test]
    fn a_missing_queues_folder_and_an_unborn_branch_are_reported() {
        let t = TempRepo::new();
        let src = GitSource::open(t.dir.path(), None).unwrap();
        assert_eq!(src.head().unwrap(), None);
        t.write("README.md", "hello");
        let id = t.commit("no queues");
        let snap = src.read_commit(&id, &LoadOptions::default()).unwrap();
        assert!(snap.has_errors());
        assert!(snap.repo.diagnostics[0].message.contains("queues folder"));
    }
}
