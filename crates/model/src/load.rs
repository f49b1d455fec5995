//! Reading a whole repository: the tenant document and every Queue document under its
//! queues folder, accumulating every problem instead of stopping at the first.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use crate::diagnostic::check_range;
use crate::layout::{self, TENANT_FILE};
use crate::yaml::{self, YamlLimits};
use crate::{Diagnostic, IdKind, Loc, QueueDoc, Rule, TenantDoc, ranges};

/// How much a load may read.
#[derive(Clone, Copy, Debug)]
pub struct LoadOptions {
    /// Largest file read, in bytes (default 1 MiB).
    pub max_file_size: u64,
    pub yaml: YamlLimits,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            max_file_size: 1024 * 1024,
            yaml: YamlLimits::default(),
        }
    }
}

/// One file of a repository: its path relative to the root (with `/`) and its bytes.
#[derive(Clone, Debug)]
pub struct RepoFile {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
}

/// A queue document and the file it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct QueueDef {
    pub file: PathBuf,
    pub doc: QueueDoc,
    /// The lines of `file` that its document spans (first and last, 1-based, inclusive).
    pub lines: (u32, u32),
}

impl QueueDef {
    pub fn name(&self) -> &str {
        &self.doc.metadata.name.value
    }
}

/// A loaded repository: what parsed, and every problem found on the way.
#[derive(Clone, Debug, Default)]
pub struct Repository {
    pub tenant: TenantDoc,
    /// `cxqueues.yaml` when the repository has one.
    pub tenant_file: Option<PathBuf>,
    pub queues: Vec<QueueDef>,
    /// Queue documents (or whole Queue files) that could not be read at all: each has an
    /// error in `diagnostics` and no entry in `queues`.
    pub unread: usize,
    pub diagnostics: Vec<Diagnostic>,
    /// How ids are spelled and compared; every valid id in `queues` is in its canonical form.
    pub id_kind: IdKind,
}

impl Repository {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// How many queues were checked (read or not), and how many of them have an error: a
    /// queue has an error when one is reported inside its document, or when it could not be
    /// read. `others` are diagnostics found after loading (the cross-queue rules).
    pub fn queue_counts(&self, others: &[Diagnostic]) -> (usize, usize) {
        // The lines with an error, by file, sorted: each queue looks for one in its lines.
        let mut error_lines: std::collections::HashMap<&Path, Vec<u32>> = Default::default();
        for d in self
            .diagnostics
            .iter()
            .chain(others)
            .filter(|d| d.is_error())
        {
            error_lines.entry(&d.file).or_default().push(d.line.max(1));
        }
        for lines in error_lines.values_mut() {
            lines.sort_unstable();
        }
        let with_errors = self
            .queues
            .iter()
            .filter(|q| {
                error_lines.get(q.file.as_path()).is_some_and(|lines| {
                    let first = lines.partition_point(|l| *l < q.lines.0);
                    lines.get(first).is_some_and(|l| *l <= q.lines.1)
                })
            })
            .count();
        (self.queues.len() + self.unread, with_errors + self.unread)
    }
}

/// Reads `root/cxqueues.yaml` and every `.yaml`/`.yml` under its queues folder (recursively,
/// in sorted order) and parses them. Never fails: problems become diagnostics.
pub fn load_repository(root: &Path, opts: &LoadOptions) -> Repository {
    let (tenant, paths, mut diags) = list_repository_files(root, opts);
    let mut repo = parse_tenant(tenant, opts);
    // YAML parsing is nearly all the work: split the files into one contiguous run per core,
    // each read just before it is parsed, and join the runs in file order.
    let cores = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let per = paths.len().div_ceil(cores).max(1);
    let tenant_doc = &repo.tenant;
    let parts: Vec<Parsed> = std::thread::scope(|s| {
        let workers: Vec<_> = paths
            .chunks(per)
            .map(|chunk| {
                s.spawn(move || {
                    let mut part = Parsed::default();
                    for p in chunk {
                        match read_file(root, p, opts, &mut part.diags) {
                            Some(f) => parse_queue_file(&f, tenant_doc, opts, &mut part),
                            None => part.unread += 1,
                        }
                    }
                    part
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a parsing thread panicked"))
            .collect()
    });
    diags.append(&mut repo.diagnostics);
    for mut part in parts {
        repo.queues.append(&mut part.queues);
        diags.append(&mut part.diags);
        repo.unread += part.unread;
    }
    repo.diagnostics = diags;
    repo
}

/// The files of a repository on disk, with the problems of reading them (size, symlinks).
pub fn read_repository_files(
    root: &Path,
    opts: &LoadOptions,
) -> (Option<RepoFile>, Vec<RepoFile>, Vec<Diagnostic>) {
    let (tenant, paths, mut diags) = list_repository_files(root, opts);
    let files = paths
        .iter()
        .filter_map(|p| read_file(root, p, opts, &mut diags))
        .collect();
    (tenant, files, diags)
}

/// The tenant document (read) and the paths of the Queue files (not yet read).
fn list_repository_files(
    root: &Path,
    opts: &LoadOptions,
) -> (Option<RepoFile>, Vec<PathBuf>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let name = layout::tenant_file(|n| root.join(n).exists()).unwrap_or_else(|(name, d)| {
        diags.push(d);
        Some(name)
    });
    let tenant = name.and_then(|n| read_file(root, &root.join(n), opts, &mut diags));
    let tenant_name = name.unwrap_or(TENANT_FILE);
    let queues_dir = layout::queues_dir(tenant.as_ref().map(|t| &t.bytes[..]), &opts.yaml);
    let mut files = Vec::new();
    let dir = root.join(&queues_dir);
    if !dir.is_dir() {
        let loc = Loc::UNKNOWN;
        diags.push(
            Diagnostic::error(
                Rule::File,
                tenant_name,
                loc,
                format!("the queues folder `{queues_dir}` does not exist"),
            )
            .with_hint(format!(
                "create `{queues_dir}/` or set spec.queues in {tenant_name}"
            )),
        );
        return (tenant, files, diags);
    }
    let canon_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    if !dir.canonicalize().is_ok_and(|d| d.starts_with(&canon_root)) {
        diags.push(
            Diagnostic::error(
                Rule::Symlink,
                tenant_name,
                Loc::UNKNOWN,
                format!(
                    "the queues folder `{queues_dir}` is outside the repository; it was not read"
                ),
            )
            .with_hint("spec.queues names a folder inside the repository, e.g. `queues`"),
        );
        return (tenant, files, diags);
    }
    let mut visited = HashSet::new();
    walk(
        &canon_root,
        root,
        &dir,
        &mut visited,
        &mut files,
        &mut diags,
    );
    (tenant, files, diags)
}

fn rel(root: &Path, p: &Path) -> PathBuf {
    PathBuf::from(layout::slash_path(p.strip_prefix(root).unwrap_or(p)))
}

fn walk(
    canon_root: &Path,
    root: &Path,
    dir: &Path,
    visited: &mut HashSet<PathBuf>,
    files: &mut Vec<PathBuf>,
    diags: &mut Vec<Diagnostic>,
) {
    if let Ok(c) = dir.canonicalize()
        && !visited.insert(c)
    {
        return;
    }
    let mut entries: Vec<PathBuf> = match fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(e) => {
            diags.push(Diagnostic::error(
                Rule::File,
                rel(root, dir),
                Loc::UNKNOWN,
                format!("cannot read the folder: {e}"),
            ));
            return;
        }
    };
    entries.sort();
    for path in entries {
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.file_type().is_symlink() {
            match path.canonicalize() {
                Ok(target) if target.starts_with(canon_root) => {}
                Ok(target) => {
                    diags.push(
                        Diagnostic::error(
                            Rule::Symlink,
                            rel(root, &path),
                            Loc::UNKNOWN,
                            format!(
                                "symlink leaves the repository (points to {}); it was not followed",
                                target.display()
                            ),
                        )
                        .with_hint("copy the file into the repository instead of linking to it"),
                    );
                    continue;
                }
                Err(e) => {
                    diags.push(Diagnostic::error(
                        Rule::Symlink,
                        rel(root, &path),
                        Loc::UNKNOWN,
                        format!("broken symlink: {e}"),
                    ));
                    continue;
                }
            }
        }
        if path.is_dir() {
            walk(canon_root, root, &path, visited, files, diags);
        } else if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(layout::is_queue_file)
        {
            files.push(path);
        }
    }
}

fn read_file(
    root: &Path,
    path: &Path,
    opts: &LoadOptions,
    diags: &mut Vec<Diagnostic>,
) -> Option<RepoFile> {
    let relp = rel(root, path);
    match fs::metadata(path) {
        Ok(m) if !m.is_file() => {
            diags.push(not_a_regular_file(&relp, &m.file_type()));
            return None;
        }
        Ok(m) if m.len() > opts.max_file_size => {
            diags.push(too_large(&relp, m.len(), opts.max_file_size));
            return None;
        }
        Err(e) => {
            diags.push(Diagnostic::error(
                Rule::File,
                relp,
                Loc::UNKNOWN,
                format!("cannot read: {e}"),
            ));
            return None;
        }
        Ok(_) => {}
    }
    match fs::read(path) {
        Ok(bytes) => Some(RepoFile { path: relp, bytes }),
        Err(e) => {
            diags.push(Diagnostic::error(
                Rule::File,
                relp,
                Loc::UNKNOWN,
                format!("cannot read: {e}"),
            ));
            None
        }
    }
}

/// Only regular files are read: opening a FIFO (or a device) named `*.yaml` would block or
/// never end, so anything else is an error at its path, unread.
fn not_a_regular_file(path: &Path, ft: &fs::FileType) -> Diagnostic {
    Diagnostic::error(
        Rule::File,
        path,
        Loc::UNKNOWN,
        format!("{} is not a regular file; it was not read", file_kind(ft)),
    )
    .with_hint("keep only regular YAML files (or symlinks to them) in the repository")
}

fn file_kind(ft: &fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if ft.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if ft.is_socket() {
            return "a socket";
        }
        if ft.is_block_device() || ft.is_char_device() {
            return "a device";
        }
    }
    if ft.is_dir() { "a folder" } else { "this" }
}

fn too_large(path: &Path, len: u64, max: u64) -> Diagnostic {
    Diagnostic::error(
        Rule::File,
        path,
        Loc::new(1, 1),
        format!("file is {len} bytes, above the {max}-byte limit"),
    )
    .with_hint("split the queues over several files")
}

fn utf8<'a>(file: &'a RepoFile, diags: &mut Vec<Diagnostic>) -> Option<&'a str> {
    match std::str::from_utf8(&file.bytes) {
        Ok(s) => Some(s),
        Err(e) => {
            let good = &file.bytes[..e.valid_up_to()];
            let line = good.iter().filter(|b| **b == b'\n').count() + 1;
            let line_start = good.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
            // Columns count characters, as everywhere else.
            let col = String::from_utf8_lossy(&good[line_start..]).chars().count() + 1;
            diags.push(
                Diagnostic::error(
                    Rule::File,
                    &file.path,
                    Loc::new(line as u32, col as u32),
                    format!("not valid UTF-8 (byte offset {})", e.valid_up_to()),
                )
                .with_hint("save the file as UTF-8"),
            );
            None
        }
    }
}

/// Parses a set of files: the tenant document (if any) and the Queue files. Checks rule 1
/// (parse, kinds, unknown fields, duplicate keys, ranges) and the per-queue parts of rules 2,
/// 3 and 6 that need no other queue (id format, `target` xor `targetId`, skill counts,
/// license). Cross-queue rules belong to the routing graph in `reconcile`.
pub fn parse_files(
    tenant: Option<RepoFile>,
    files: impl IntoIterator<Item = RepoFile>,
    opts: &LoadOptions,
) -> Repository {
    let mut repo = parse_tenant(tenant, opts);
    let mut part = Parsed::default();
    for f in files {
        parse_queue_file(&f, &repo.tenant, opts, &mut part);
    }
    repo.queues = part.queues;
    repo.diagnostics.append(&mut part.diags);
    repo.unread = part.unread;
    repo
}

/// What parsing some Queue files found.
#[derive(Default)]
struct Parsed {
    queues: Vec<QueueDef>,
    diags: Vec<Diagnostic>,
    unread: usize,
}

/// A repository with only its tenant document parsed (the defaults when there is none).
fn parse_tenant(tenant: Option<RepoFile>, opts: &LoadOptions) -> Repository {
    let mut repo = Repository::default();
    if let Some(t) = tenant {
        if t.bytes.len() as u64 > opts.max_file_size {
            repo.diagnostics
                .push(too_large(&t.path, t.bytes.len() as u64, opts.max_file_size));
        } else if let Some(text) = utf8(&t, &mut repo.diagnostics) {
            let docs = yaml::documents::<TenantDoc>(text, &opts.yaml);
            if let Some(extra) = docs.get(1) {
                repo.diagnostics.push(
                    Diagnostic::error(
                        Rule::Parse,
                        &t.path,
                        Loc::new(extra.line, 1),
                        format!(
                            "{} holds one document; this is a second one",
                            layout::slash_path(&t.path)
                        ),
                    )
                    .with_hint("merge the documents into one"),
                );
            }
            if let Some(doc) = docs.into_iter().next() {
                for p in doc.problems {
                    repo.diagnostics.push(from_yaml(&t.path, p));
                }
                if let Some(doc) = doc.value {
                    check_tenant(&doc, text, &t.path, &mut repo.diagnostics);
                    repo.tenant = doc;
                }
            }
        }
        repo.tenant_file = Some(t.path);
    }
    repo.id_kind = repo.tenant.spec.platform.id_kind();
    repo
}

/// The tenant document's own ranges.
fn check_tenant(doc: &TenantDoc, text: &str, file: &Path, diags: &mut Vec<Diagnostic>) {
    // These values are not spanned (plain numbers): their place is found in the text.
    let key_loc = |key: &str| {
        let written = format!("{key}:");
        text.lines()
            .enumerate()
            .find_map(|(i, l)| {
                let col = l.find(&written)?;
                Some(Loc::new(i as u32 + 1, (col + written.len() + 2) as u32))
            })
            .unwrap_or(Loc::new(1, 1))
    };
    if let Some(rps) = doc.spec.requests_per_second
        && !(ranges::REQUESTS_PER_SECOND.contains(&rps))
    {
        diags.push(
            Diagnostic::error(
                Rule::Range,
                file,
                key_loc("requestsPerSecond"),
                format!(
                    "spec.requestsPerSecond is {rps}, outside {}–{}",
                    ranges::REQUESTS_PER_SECOND.start(),
                    ranges::REQUESTS_PER_SECOND.end()
                ),
            )
            .with_hint("set it below the tenant's own rate limit, e.g. 10"),
        );
    }
    if doc.spec.cxone.is_some() && doc.spec.platform != crate::Platform::NiceCxone {
        diags.push(
            Diagnostic::error(
                Rule::Unsupported,
                file,
                key_loc("cxone"),
                format!(
                    "spec.cxone is for `platform: nice-cxone`; this tenant is on {}",
                    doc.spec.platform.as_str()
                ),
            )
            .with_hint("remove spec.cxone, or set spec.platform: nice-cxone"),
        );
    }
    let limits = &doc.spec.limits;
    for (key, value, range) in [
        ("maxWaiters", limits.max_waiters, ranges::LIMIT_MAX_WAITERS),
        (
            "maxOverflowDepth",
            limits.max_overflow_depth,
            ranges::LIMIT_MAX_OVERFLOW_DEPTH,
        ),
        ("maxSkills", limits.max_skills, ranges::LIMIT_MAX_SKILLS),
    ] {
        if !range.contains(&value) {
            diags.push(
                Diagnostic::error(
                    Rule::Range,
                    file,
                    key_loc(key),
                    format!(
                        "spec.limits.{key} is {value}, outside {}–{}",
                        range.start(),
                        range.end()
                    ),
                )
                .with_hint("set the license's limit, within the range the schema states"),
            );
        }
    }
    if let Some(g) = &doc.spec.genesys {
        let p = g.proficiency;
        let max = crate::genesys::ProficiencyLevels::MAX;
        for (key, value) in [
            ("beginner", p.beginner),
            ("intermediate", p.intermediate),
            ("advanced", p.advanced),
            ("expert", p.expert),
        ] {
            if value > max {
                diags.push(
                    Diagnostic::error(
                        Rule::Range,
                        file,
                        key_loc(key),
                        format!("spec.genesys.proficiency.{key} is {value}, outside 0–{max}"),
                    )
                    .with_hint("Genesys skill proficiency is 0–5"),
                );
            }
        }
    }
}

/// Parses one file of Queue documents and checks each on its own.
fn parse_queue_file(f: &RepoFile, tenant: &TenantDoc, opts: &LoadOptions, out: &mut Parsed) {
    let diags = &mut out.diags;
    if f.bytes.len() as u64 > opts.max_file_size {
        diags.push(too_large(&f.path, f.bytes.len() as u64, opts.max_file_size));
        out.unread += 1;
        return;
    }
    let Some(text) = utf8(f, diags) else {
        out.unread += 1;
        return;
    };
    if text.trim().is_empty() || only_comments(text) {
        diags.push(
            Diagnostic::error(
                Rule::EmptyFile,
                &f.path,
                Loc::new(1, 1),
                "the file holds no document",
            )
            .with_hint("add a Queue document or delete the file"),
        );
        return;
    }
    let docs = yaml::documents::<QueueDoc>(text, &opts.yaml);
    let starts: Vec<u32> = docs.iter().map(|d| d.line).collect();
    for (i, doc) in docs.into_iter().enumerate() {
        for p in doc.problems {
            diags.push(from_yaml(&f.path, p));
        }
        let last = starts
            .get(i + 1)
            .map_or(u32::MAX, |next| next.saturating_sub(1));
        match doc.value {
            Some(value) => {
                let mut def = QueueDef {
                    file: f.path.clone(),
                    doc: value,
                    lines: (doc.line, last.max(doc.line)),
                };
                check_queue(&def, tenant, diags);
                canonical_ids(&mut def.doc, tenant.spec.platform.id_kind());
                out.queues.push(def);
            }
            None => out.unread += 1,
        }
    }
}

fn only_comments(text: &str) -> bool {
    text.lines().all(|l| {
        let t = l.trim();
        t.is_empty() || t.starts_with('#') || t == "---" || t == "..."
    })
}

fn from_yaml(path: &Path, e: yaml::YamlError) -> Diagnostic {
    let mut d = Diagnostic::error(e.rule, path, e.loc, e.message);
    d.hint = e.hint;
    d
}

/// The valid ids of `doc` in their canonical form, so that every later comparison (duplicate
/// ids, self-overflow, matching tenant queues) and every write uses one spelling.
fn canonical_ids(doc: &mut QueueDoc, kind: IdKind) {
    let overflow_id = doc
        .spec
        .overflow
        .as_mut()
        .and_then(|o| o.as_mut())
        .and_then(|o| o.value.target_id.as_mut());
    for id in doc.metadata.id.as_mut().into_iter().chain(overflow_id) {
        if kind.is_valid(&id.value) {
            id.value = kind.canonical(&id.value).into_owned();
        }
    }
}

/// Rule 1 ranges and the single-queue parts of rules 2, 3 and 6.
fn check_queue(def: &QueueDef, tenant: &TenantDoc, diags: &mut Vec<Diagnostic>) {
    let file = def.file.as_path();
    let md = &def.doc.metadata;
    let spec = &def.doc.spec;
    let name_len = md.name.value.chars().count();
    if name_len > 0 && md.name.value.trim().is_empty() {
        diags.push(
            Diagnostic::error(
                Rule::Range,
                file,
                md.name.loc,
                format!("metadata.name is blank ({name_len} spaces)"),
            )
            .with_hint("give the queue a name: the tenant refuses a blank one"),
        );
    } else if !ranges::NAME_CHARS.contains(&name_len) {
        diags.push(
            Diagnostic::error(
                Rule::Range,
                file,
                md.name.loc,
                format!("metadata.name has {name_len} characters, outside 1–64"),
            )
            .with_hint(if name_len == 0 {
                "give the queue a name"
            } else {
                "shorten the name to at most 64 characters"
            }),
        );
    }
    // The form of metadata.id and overflow.targetId is the tenant's platform's.
    let kind = tenant.spec.platform.id_kind();
    let platform = tenant.spec.platform.as_str();
    if let Some(id) = &md.id
        && !kind.is_valid(&id.value)
    {
        diags.push(kind.invalid(file, "metadata.id", id, platform));
    }
    if let Some(d) = &spec.description {
        let n = d.value.chars().count();
        if n > ranges::DESCRIPTION_CHARS {
            diags.push(
                Diagnostic::error(
                    Rule::Range,
                    file,
                    d.loc,
                    format!("description has {n} characters, above 512"),
                )
                .with_hint("shorten the description to at most 512 characters"),
            );
        }
    }
    if let Some(slt) = &spec.service_level_target {
        let (threshold, time) = match tenant.spec.platform {
            crate::Platform::GenesysCloud => (
                crate::genesys::ranges::SLT_THRESHOLD,
                crate::genesys::ranges::SLT_TIME,
            ),
            crate::Platform::NiceCxone => (
                crate::cxone::ranges::SLT_THRESHOLD,
                crate::cxone::ranges::SLT_TIME,
            ),
            _ => (
                crate::DecimalRule::whole(ranges::THRESHOLD),
                crate::DecimalRule::whole(ranges::SLT_TIME),
            ),
        };
        let t = &slt.value;
        crate::decimal::check_decimal(
            file,
            "serviceLevelTarget.threshold",
            &t.threshold,
            &threshold,
            platform,
            diags,
        );
        crate::decimal::check_decimal(
            file,
            "serviceLevelTarget.time",
            &t.time,
            &time,
            platform,
            diags,
        );
    }
    if let Some(c) = &spec.cxone {
        c.value.check(file, diags);
    }
    if let Some(g) = &spec.genesys {
        g.value.check(file, diags);
        if let Some(cgr) = &g.value.conditional_group_routing {
            cgr.value.check(&md.name.value, file, diags);
        }
        if let Some(group) = &g.value.skill_group
            && spec.skill_requirements.is_none()
        {
            diags.push(
                Diagnostic::error(
                    Rule::Unsupported,
                    file,
                    group.loc,
                    "genesys.skillGroup adopts a skill group for skillRequirements, which this queue does not declare",
                )
                .with_hint("add skillRequirements (the group's conditions), or remove genesys.skillGroup"),
            );
        }
    }
    if tenant.spec.platform == crate::Platform::GenesysCloud
        && let Some(skills) = &spec.skill_requirements
    {
        for s in skills.value.iter().filter(|s| !s.required) {
            diags.push(
                Diagnostic::error(
                    Rule::Unsupported,
                    file,
                    s.skill.loc,
                    format!(
                        "skill {:?} has required: false; on genesys-cloud skill requirements are the queue's skill group, whose conditions are all required",
                        s.skill.value
                    ),
                )
                .with_hint("remove `required: false` (or the requirement): optional skills, as bullseye rings, are not managed on genesys-cloud"),
            );
        }
    }
    if let Some(v) = &spec.max_wait_time {
        check_range(file, "maxWaitTime", v, ranges::MAX_WAIT_TIME, diags);
    }
    if let Some(v) = &spec.max_waiters {
        check_range(file, "maxWaiters", v, ranges::MAX_WAITERS, diags);
        let lic = i64::from(tenant.spec.limits.max_waiters);
        if v.value > lic && ranges::MAX_WAITERS.contains(&v.value) {
            diags.push(
                Diagnostic::error(
                    Rule::License,
                    file,
                    v.loc,
                    format!("maxWaiters is {}, above the licensed {lic} (limits.maxWaiters)", v.value),
                )
                .with_hint(format!("lower it to {lic}, or raise limits.maxWaiters in cxqueues.yaml if the license allows")),
            );
        }
    }
    if let Some(Some(ov)) = &spec.overflow {
        check_range(
            file,
            "overflow.waitTime",
            &ov.value.wait_time,
            ranges::OVERFLOW_WAIT,
            diags,
        );
        match (&ov.value.target, &ov.value.target_id) {
            (Some(t), Some(_)) => diags.push(
                Diagnostic::error(
                    Rule::OverflowTarget,
                    file,
                    t.loc,
                    "overflow names both `target` and `targetId`",
                )
                .with_hint("keep `target` for a queue of this repository, `targetId` for an unmanaged tenant queue"),
            ),
            (None, None) => diags.push(
                Diagnostic::error(
                    Rule::OverflowTarget,
                    file,
                    ov.loc,
                    "overflow names neither `target` nor `targetId`",
                )
                .with_hint("add `target: <queue name>`, or write `overflow: null` for no overflow"),
            ),
            (None, Some(id)) if !kind.is_valid(&id.value) => {
                diags.push(kind.invalid(file, "overflow.targetId", id, platform))
            }
            _ => {}
        }
    }
    if let Some(skills) = &spec.skill_requirements {
        let max = tenant.spec.limits.max_skills as usize;
        if skills.value.len() > max {
            diags.push(
                Diagnostic::error(
                    Rule::SkillCount,
                    file,
                    skills.loc,
                    format!(
                        "{} skill requirements, above the limit of {max} (limits.maxSkills)",
                        skills.value.len()
                    ),
                )
                .with_hint("split the queue, or drop the least important requirements"),
            );
        }
        let genesys = tenant.spec.platform == crate::Platform::GenesysCloud;
        for s in &skills.value {
            let crate::Proficiency::Level(n) = s.proficiency.value else {
                continue;
            };
            let max = crate::genesys::ProficiencyLevels::MAX;
            let (problem, hint) = if !genesys {
                (
                    format!("proficiency {n} is a number; a {platform} tenant takes a word"),
                    "use beginner, intermediate, advanced or expert (numbers are Genesys Cloud levels)".to_string(),
                )
            } else if n > max {
                (
                    format!("proficiency {n} is outside 0–{max}"),
                    "Genesys skill proficiency is 0–5, or use a word".to_string(),
                )
            } else {
                continue;
            };
            diags.push(
                Diagnostic::error(Rule::Range, file, s.proficiency.loc, problem).with_hint(hint),
            );
        }
        let mut seen: std::collections::HashMap<&str, Loc> = std::collections::HashMap::new();
        for s in &skills.value {
            if s.skill.value.trim().is_empty() {
                diags.push(
                    Diagnostic::error(Rule::Range, file, s.skill.loc, "skill is blank")
                        .with_hint("name the tenant's skill, e.g. `language:en`"),
                );
                continue;
            }
            if let Some(first) = seen.get(s.skill.value.as_str()) {
                diags.push(
                    Diagnostic::error(
                        Rule::DuplicateSkill,
                        file,
                        s.skill.loc,
                        format!(
                            "skill {:?} is required twice (first at line {})",
                            s.skill.value, first.line
                        ),
                    )
                    .with_hint("keep one requirement per skill"),
                );
            } else {
                seen.insert(&s.skill.value, s.skill.loc);
            }
        }
    }
}
