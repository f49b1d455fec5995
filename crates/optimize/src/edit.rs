//! The lossless edit of Queue files, the way `toml_edit` edits TOML: the loader's locations
//! point at each scalar to change, and only those characters are rewritten. Everything else
//! (comments, key order, quoting, flow or block style, blank lines) is the file's own text.
//!
//! A field the queue does not declare yet is inserted into its `spec`: in a block mapping as a
//! new line after the last entry, with the indentation of its siblings; in a flow mapping as a
//! new entry before the closing brace. `serviceLevelTarget` is inserted in flow style
//! (`{threshold: 80, time: 20}`).
//!
//! Every edited file is read back: it must hold exactly the documents it held, with only the
//! proposed fields changed, or the edit is refused (and nothing is written).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use model::yaml::{self, YamlLimits};
use model::{Loc, QueueDef, QueueDoc, Repository, ServiceLevelTargetDoc, Spanned};

use crate::OptimizeError;
use crate::propose::{Change, Field, Report};

/// One file's text before and after the edit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileEdit {
    /// Relative to the repository, as the loader names it.
    pub file: PathBuf,
    pub before: String,
    pub after: String,
}

/// The edits that carry out `report` on the Queue files of `repo`. `read` gives a file's text
/// by its repository path. Files with no change are left out.
pub fn edit_files(
    repo: &Repository,
    report: &Report,
    mut read: impl FnMut(&Path) -> Result<String, String>,
) -> Result<Vec<FileEdit>, OptimizeError> {
    // File → (queue name → its changes), in repository order.
    let mut by_file: BTreeMap<&Path, Vec<(&str, &[Change])>> = BTreeMap::new();
    for q in report.queues.iter().filter(|q| !q.changes.is_empty()) {
        by_file
            .entry(q.file.as_path())
            .or_default()
            .push((q.name.as_str(), &q.changes));
    }
    // Every Queue document of each file, in file order.
    let mut docs_of: std::collections::HashMap<&Path, Vec<&QueueDef>> =
        std::collections::HashMap::new();
    for q in &repo.queues {
        if by_file.contains_key(q.file.as_path()) {
            docs_of.entry(q.file.as_path()).or_default().push(q);
        }
    }
    let mut edits = Vec::with_capacity(by_file.len());
    for (file, changes) in by_file {
        let before = read(file).map_err(|message| OptimizeError::Edit {
            file: file.to_path_buf(),
            message,
        })?;
        let docs = docs_of.remove(file).unwrap_or_default();
        let after = edit_text(&before, &docs, &changes).map_err(|message| OptimizeError::Edit {
            file: file.to_path_buf(),
            message,
        })?;
        edits.push(FileEdit {
            file: file.to_path_buf(),
            before,
            after,
        });
    }
    Ok(edits)
}

/// The text of one file with `changes` made to its queues `docs` (every Queue document of the
/// file, in file order), checked by reading it back.
pub fn edit_text(
    text: &str,
    docs: &[&QueueDef],
    changes: &[(&str, &[Change])],
) -> Result<String, String> {
    let src = Source::new(text);
    let mut ops: Vec<Op> = Vec::new();
    let mut expected: Vec<QueueDoc> = docs.iter().map(|d| d.doc.clone()).collect();
    for (name, queue_changes) in changes {
        let idx = docs
            .iter()
            .position(|d| d.name() == *name)
            .ok_or_else(|| format!("queue {name:?} is not in this file"))?;
        let doc = &docs[idx].doc;
        let mut inserts: Vec<String> = Vec::new();
        let mut slt_insert: Option<(model::Decimal, model::Decimal)> = None;
        for ch in queue_changes.iter() {
            set_field(&mut expected[idx], ch.field, ch.to);
            match scalar_loc(doc, ch.field) {
                Some(loc) => ops.push(src.replace_scalar(loc, ch.to)?),
                None => match ch.field {
                    Field::ServiceLevelThreshold | Field::ServiceLevelTime => {
                        let spec = &expected[idx].spec;
                        let slt = spec.service_level_target.as_ref().map(|s| &s.value);
                        slt_insert = slt.map(|s| (s.threshold.value, s.time.value));
                    }
                    Field::MaxWaitTime => inserts.push(format!("maxWaitTime: {}", ch.to)),
                    Field::MaxWaiters => inserts.push(format!("maxWaiters: {}", ch.to)),
                    // Proposed only for a rule the file declares, so it has a location.
                    Field::CgrEstimatedWaitTime(_) => {
                        return Err(format!(
                            "{} has no location in the file: change it by hand",
                            ch.field
                        ));
                    }
                },
            }
        }
        if let Some((threshold, time)) = slt_insert {
            inserts.insert(
                0,
                format!("serviceLevelTarget: {{threshold: {threshold}, time: {time}}}"),
            );
        }
        if !inserts.is_empty() {
            ops.push(src.insert_into_spec(doc, &inserts)?);
        }
    }
    ops.sort_by_key(|op| std::cmp::Reverse(op.start));
    let mut out = text.to_string();
    let mut last = usize::MAX;
    for op in ops {
        if op.end > last {
            return Err("two edits overlap".to_string());
        }
        out.replace_range(op.start..op.end, &op.text);
        last = op.start;
    }
    let docs = yaml::documents::<QueueDoc>(&out, &YamlLimits::default());
    if let Some(e) = docs.iter().flat_map(|d| &d.problems).next() {
        return Err(format!(
            "the edited file does not parse ({}: {})",
            e.loc, e.message
        ));
    }
    let reread: Vec<QueueDoc> = docs.into_iter().filter_map(|d| d.value).collect();
    if reread != expected {
        return Err(
            "the edited file would change more than the proposed fields; it was not edited"
                .to_string(),
        );
    }
    Ok(out)
}

/// Where the loader saw the field's scalar, when the file declares it.
fn scalar_loc(doc: &QueueDoc, field: Field) -> Option<Loc> {
    let spec = &doc.spec;
    let slt = spec.service_level_target.as_ref().map(|s| &s.value);
    let loc = match field {
        Field::MaxWaitTime => spec.max_wait_time.as_ref()?.loc,
        Field::MaxWaiters => spec.max_waiters.as_ref()?.loc,
        Field::ServiceLevelThreshold => slt?.threshold.loc,
        Field::ServiceLevelTime => slt?.time.loc,
        Field::CgrEstimatedWaitTime(i) => crate::propose::cgr_rules(spec).get(i)?.value.value.loc,
    };
    loc.is_known().then_some(loc)
}

/// Sets a field in a document (the read-back check's expectation).
fn set_field(doc: &mut QueueDoc, field: Field, to: i64) {
    let spec = &mut doc.spec;
    let v = Spanned::unlocated(to);
    match field {
        Field::MaxWaitTime => spec.max_wait_time = Some(v),
        Field::MaxWaiters => spec.max_waiters = Some(v),
        Field::ServiceLevelThreshold | Field::ServiceLevelTime => {
            let slt = spec.service_level_target.get_or_insert_with(|| {
                Spanned::unlocated(ServiceLevelTargetDoc {
                    threshold: Spanned::unlocated(0i64.into()),
                    time: Spanned::unlocated(0i64.into()),
                })
            });
            if field == Field::ServiceLevelThreshold {
                slt.value.threshold = Spanned::unlocated(to.into());
            } else {
                slt.value.time = Spanned::unlocated(to.into());
            }
        }
        Field::CgrEstimatedWaitTime(i) => {
            let rule = spec
                .genesys
                .as_mut()
                .and_then(|g| g.value.conditional_group_routing.as_mut())
                .and_then(|c| c.value.rules.get_mut(i));
            if let Some(rule) = rule {
                rule.value.value = Spanned::unlocated(to.into());
            }
        }
    }
}

/// A replacement of `start..end` by `text`.
#[derive(Debug)]
struct Op {
    start: usize,
    end: usize,
    text: String,
}

/// The text with its line starts, to turn loader locations into byte offsets.
struct Source<'a> {
    text: &'a str,
    /// Byte offset of each line's first character.
    starts: Vec<usize>,
    /// The file's line end (`\r\n` when it uses them), for inserted lines.
    eol: &'static str,
}

impl<'a> Source<'a> {
    fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
        Self { text, starts, eol }
    }

    /// The text of line `i` (0-based), without its line end.
    fn line(&self, i: usize) -> &'a str {
        let start = self.starts[i];
        let end = self.starts.get(i + 1).map_or(self.text.len(), |e| e - 1);
        self.text[start..end].trim_end_matches('\r')
    }

    fn lines(&self) -> usize {
        self.starts.len()
    }

    /// The byte offset of a 1-based line and column (columns count characters).
    fn offset(&self, loc: Loc) -> Result<usize, String> {
        let line = loc.line as usize;
        if line == 0 || line > self.starts.len() {
            return Err(format!("location {loc} is outside the file"));
        }
        let start = self.starts[line - 1];
        let text = self.line(line - 1);
        let col = loc.column.max(1) as usize - 1;
        match text.char_indices().nth(col) {
            Some((i, _)) => Ok(start + i),
            None if col == text.chars().count() => Ok(start + text.len()),
            None => Err(format!("location {loc} is outside its line")),
        }
    }

    /// Rewrites the scalar at `loc` as `value`, keeping its quotes, anchor and tag.
    fn replace_scalar(&self, loc: Loc, value: i64) -> Result<Op, String> {
        let mut at = self.offset(loc)?;
        let bytes = self.text.as_bytes();
        // Skip a leading anchor (`&a`) or tag (`!!int`), each followed by spaces.
        while at < bytes.len() && (bytes[at] == b'&' || bytes[at] == b'!') {
            while at < bytes.len() && !matches!(bytes[at], b' ' | b'\t' | b'\n' | b'\r') {
                at += 1;
            }
            while at < bytes.len() && matches!(bytes[at], b' ' | b'\t') {
                at += 1;
            }
        }
        let rest = &self.text[at..];
        let (len, text) = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => {
                let close = rest[1..]
                    .find(q)
                    .ok_or_else(|| format!("an unclosed quote at {loc}"))?;
                (close + 2, format!("{q}{value}{q}"))
            }
            Some(_) => {
                let len = rest
                    .find(|c: char| c.is_whitespace() || matches!(c, ',' | '}' | ']' | '#'))
                    .unwrap_or(rest.len());
                (len, value.to_string())
            }
            None => return Err(format!("no value at {loc}")),
        };
        if len == 0 {
            return Err(format!("no scalar at {loc}"));
        }
        Ok(Op {
            start: at,
            end: at + len,
            text,
        })
    }

    /// Adds `entries` (`key: value` each) to the `spec` of `doc`.
    fn insert_into_spec(&self, doc: &QueueDoc, entries: &[String]) -> Result<Op, String> {
        let top_line = doc.api_version.loc.line as usize;
        if top_line == 0 {
            return Err("the document has no known location".to_string());
        }
        let top_line = top_line - 1;
        let top = indent(self.line(top_line));
        if !self.line(top_line)[top..].starts_with("apiVersion") {
            return Err("the document is not a block mapping: add the field by hand".to_string());
        }
        let (first, end) = self.document_lines(top_line);
        let spec_line = (first..end).find(|&i| {
            let l = self.line(i);
            indent(l) == top && key_is(&l[top..], "spec")
        });
        let Some(spec_line) = spec_line else {
            // No `spec` at all: add one at the end of the document.
            let last = self.last_content_line(first, end, top_line);
            let eol = self.eol;
            let mut text = format!("{}spec:{eol}", " ".repeat(top));
            for e in entries {
                text.push_str(&format!("{}{e}{eol}", " ".repeat(top + 2)));
            }
            return Ok(self.insert_after_line(last, text));
        };
        let l = self.line(spec_line);
        let after_key = top + "spec:".len();
        let value = strip_comment(&l[after_key..]).trim();
        if value.is_empty() {
            // A block mapping (or an empty spec): after the last entry, at its siblings' indent.
            let mut sibling = None;
            let mut last = spec_line;
            for i in spec_line + 1..end {
                let li = self.line(i);
                let t = li.trim_start();
                if t.is_empty() || t.starts_with('#') {
                    continue;
                }
                let ind = indent(li);
                if ind <= top {
                    break;
                }
                sibling.get_or_insert(ind);
                last = i;
            }
            let pad = " ".repeat(sibling.unwrap_or(top + 2));
            let eol = self.eol;
            let text: String = entries.iter().map(|e| format!("{pad}{e}{eol}")).collect();
            return Ok(self.insert_after_line(last, text));
        }
        if !value.starts_with('{') {
            return Err(format!(
                "spec is `{value}`, not a mapping: add the field by hand"
            ));
        }
        let open = self.starts[spec_line] + after_key + l[after_key..].find('{').unwrap_or(0);
        let close = matching_brace(self.text, open)
            .ok_or_else(|| "the flow mapping of spec is never closed".to_string())?;
        let inner = &self.text[open + 1..close];
        let content_end = open + 1 + inner.trim_end().len();
        let joined = entries.join(", ");
        let text = if inner.trim().is_empty() {
            joined
        } else {
            let last_char = self.text[..content_end].chars().next_back();
            let sep = if last_char == Some(',') { "" } else { "," };
            let line_of = |off: usize| self.starts.partition_point(|&s| s <= off) - 1;
            let last_line = line_of(content_end - 1);
            if last_line != spec_line {
                let (pad, eol) = (" ".repeat(indent(self.line(last_line))), self.eol);
                format!("{sep}{eol}{pad}{}", entries.join(&format!(",{eol}{pad}")))
            } else {
                format!("{sep} {joined}")
            }
        };
        Ok(Op {
            start: content_end,
            end: content_end,
            text,
        })
    }

    /// The lines of the document holding line `i`: after the `---` before it, up to the next
    /// `---` or `...` (exclusive).
    fn document_lines(&self, i: usize) -> (usize, usize) {
        let first = (0..i)
            .rev()
            .find(|&j| is_marker(self.line(j)))
            .map_or(0, |j| j + 1);
        let end = (i + 1..self.lines())
            .find(|&j| is_marker(self.line(j)))
            .unwrap_or(self.lines());
        (first, end)
    }

    /// The last line in `first..end` with content (not blank, not only a comment).
    fn last_content_line(&self, first: usize, end: usize, fallback: usize) -> usize {
        (first..end)
            .rev()
            .find(|&j| {
                let t = self.line(j).trim_start();
                !t.is_empty() && !t.starts_with('#')
            })
            .unwrap_or(fallback)
    }

    /// Inserts `text` (whole lines) after line `i`.
    fn insert_after_line(&self, i: usize, text: String) -> Op {
        match self.starts.get(i + 1) {
            Some(&next) => Op {
                start: next,
                end: next,
                text,
            },
            // The last line has no line end: add one first.
            None => Op {
                start: self.text.len(),
                end: self.text.len(),
                text: format!("{}{}", self.eol, text.trim_end_matches(['\r', '\n'])),
            },
        }
    }
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn is_marker(line: &str) -> bool {
    let starts = |m: &str| {
        line.strip_prefix(m)
            .is_some_and(|r| r.is_empty() || r.starts_with([' ', '\t']))
    };
    starts("---") || starts("...")
}

/// Whether `s` starts with the plain key `key` and its `:`.
fn key_is(s: &str, key: &str) -> bool {
    s.strip_prefix(key)
        .and_then(|r| r.strip_prefix(':'))
        .is_some_and(|r| r.is_empty() || r.starts_with([' ', '\t']))
}

/// The text before a `#` comment (a `#` at the start or after a space).
fn strip_comment(s: &str) -> &str {
    let b = s.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if c == b'#' && (i == 0 || b[i - 1] == b' ' || b[i - 1] == b'\t') {
            return &s[..i];
        }
    }
    s
}

/// The offset of the `}` that closes the `{` at `open`, skipping quoted text and comments.
fn matching_brace(text: &str, open: usize) -> Option<usize> {
    let b = text.as_bytes();
    let mut depth = 0usize;
    let mut i = open;
    while i < b.len() {
        match b[i] {
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return (b[i] == b'}').then_some(i);
                }
            }
            b'"' if starts_token(b, i) => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'\'' if starts_token(b, i) => {
                i += 1;
                while i < b.len() {
                    if b[i] == b'\'' {
                        if b.get(i + 1) == Some(&b'\'') {
                            i += 1;
                        } else {
                            break;
                        }
                    }
                    i += 1;
                }
            }
            b'#' if i > 0 && matches!(b[i - 1], b' ' | b'\t' | b'\n') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Whether a quote at `i` opens a quoted scalar (rather than sitting inside a plain one).
fn starts_token(b: &[u8], i: usize) -> bool {
    i == 0
        || matches!(
            b[i - 1],
            b'{' | b'[' | b',' | b':' | b' ' | b'\t' | b'\n' | b'\r'
        )
}
