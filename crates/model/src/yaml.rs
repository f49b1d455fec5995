//! The one way YAML enters cxqueues: `serde-saphyr` with a budget, duplicate keys as errors,
//! and errors turned into [`YamlError`]s that carry a location, a rule and a hint.

use serde::de::DeserializeOwned;

use crate::{Loc, Rule};

mod fast;
mod node;
mod syntax;

/// Limits for one YAML file.
#[derive(Clone, Copy, Debug)]
pub struct YamlLimits {
    /// Most aliases (`*a`) in one file.
    pub max_aliases: usize,
    /// Most events replayed through aliases in one file (the billion-laughs guard).
    pub max_replayed_events: usize,
    /// Most nodes in one file.
    pub max_nodes: usize,
    /// Most documents in one file.
    pub max_documents: usize,
}

impl Default for YamlLimits {
    fn default() -> Self {
        Self {
            max_aliases: 1_000,
            max_replayed_events: 100_000,
            max_nodes: 250_000,
            max_documents: 10_000,
        }
    }
}

/// A YAML document that could not be read into the expected type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlError {
    pub rule: Rule,
    pub loc: Loc,
    pub message: String,
    pub hint: Option<String>,
}

fn options(limits: &YamlLimits) -> serde_saphyr::Options {
    let mut opts = serde_saphyr::Options::default();
    if let Some(budget) = opts.budget.as_mut() {
        budget.max_aliases = limits.max_aliases;
        budget.max_nodes = limits.max_nodes;
        budget.max_documents = limits.max_documents;
    }
    opts.alias_limits.max_total_replayed_events = limits.max_replayed_events;
    opts.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::Error;
    // YAML 1.2 core schema, strictly: `yes`/`no`/`on`/`off`, `3_00` and `0755` are text, and
    // a tag cxqueues does not know (`!Ref`, `!!python/object:…`) is an error, not ignored.
    opts.strict_booleans = true;
    opts.underscored_numbers_as_strings = true;
    opts.leading_zero_numbers_as_strings = true;
    opts.reject_unsupported_tags = true;
    opts.reject_tagged_field_names = true;
    opts.with_snippet = false;
    // Comments are never read: skipping them is cheaper.
    opts.emit_comments = false;
    opts
}

/// One document of a file: the value read from it, when it could be read, and every problem
/// found in it (unknown fields do not stop the read; a wrong type or a missing field does).
#[derive(Clone, Debug)]
pub struct Document<T> {
    pub value: Option<T>,
    pub problems: Vec<YamlError>,
    /// The line the document starts on.
    pub line: u32,
}

/// Every document of `text`, each read as a `T`, each with all its problems: one broken
/// document does not hide another. A syntax error ends the file (the parser cannot resume);
/// it is reported as a document of its own, at its line.
///
/// A file that reads cleanly straight into `T` (and holds nothing the direct read is more
/// lenient about than the tree, see the private `fast` module) is read that way; any other file
/// goes through the tree (the private `node` module), which is strict and finds every problem.
pub fn documents<T: DeserializeOwned>(text: &str, limits: &YamlLimits) -> Vec<Document<T>> {
    let starts = document_starts(text);
    let mut docs = fast::documents(text, &options(limits), &starts)
        .unwrap_or_else(|| tree_documents(text, limits));
    for &(loc, _) in starts.iter().filter(|(_, null)| *null) {
        docs.push(Document {
            value: None,
            line: loc.line,
            problems: vec![YamlError {
                rule: Rule::Parse,
                loc,
                message: "the document is only `null`".into(),
                hint: Some("write the document out, or delete it and its `---`".into()),
            }],
        });
    }
    if text.contains("<<") {
        for e in repeated_merge_keys(text, limits) {
            let at = docs.iter().rposition(|d| d.line <= e.loc.line).unwrap_or(0);
            match docs.get_mut(at) {
                Some(d) => {
                    d.problems.push(e);
                    d.value = None;
                }
                None => docs.push(Document {
                    value: None,
                    line: e.loc.line,
                    problems: vec![e],
                }),
            }
        }
    }
    docs.sort_by_key(|d| d.line);
    docs
}

/// Every document read through the located tree: strict, and every problem found.
fn tree_documents<T: DeserializeOwned>(text: &str, limits: &YamlLimits) -> Vec<Document<T>> {
    let opts = options(limits);
    // The whole file at once first; only when it fails is it read again one document at a
    // time, so that the documents around the broken one are still read.
    let nodes: Vec<Result<node::Node, YamlError>> =
        match serde_saphyr::from_str_multiple_with_options::<node::Node, Vec<_>>(text, opts.clone())
        {
            Ok(nodes) => nodes.into_iter().map(Ok).collect(),
            Err(_) => {
                let mut cursor = std::io::Cursor::new(text.as_bytes());
                serde_saphyr::read_with_options::<_, node::Node>(&mut cursor, opts)
                    .take(limits.max_documents.saturating_add(1))
                    .map(|r| r.map_err(|e| syntax::in_words(e, text)))
                    .collect()
            }
        };
    let mut docs: Vec<Document<T>> = Vec::with_capacity(nodes.len());
    for (i, n) in nodes.into_iter().enumerate() {
        if i == limits.max_documents {
            docs.push(Document {
                value: None,
                line: docs.last().map_or(1, |d| d.line),
                problems: vec![YamlError {
                    rule: Rule::Parse,
                    loc: Loc::new(docs.last().map_or(1, |d| d.line), 1),
                    message: format!("more than {} documents in one file", limits.max_documents),
                    hint: Some("split the queues over several files".into()),
                }],
            });
            break;
        }
        docs.push(match n {
            Ok(n) => {
                let (value, problems) = read_whole::<T>(n.clone());
                Document {
                    value,
                    problems,
                    line: n.loc.line,
                }
            }
            Err(e) => Document {
                value: None,
                line: e.loc.line,
                problems: vec![e],
            },
        });
    }
    docs
}

/// The first document of `text` read as a `T`: its value when it could be read (unknown fields
/// are skipped here; [`documents`] reports them), else its first problem.
pub fn from_str<T: DeserializeOwned>(text: &str, limits: &YamlLimits) -> Result<T, YamlError> {
    let mut docs = documents::<T>(text, limits).into_iter();
    match docs.next() {
        Some(Document {
            value: Some(v),
            problems,
            ..
        }) if problems.iter().all(|p| p.rule == Rule::UnknownField) => Ok(v),
        Some(Document { problems, .. }) => Err(problems
            .into_iter()
            .find(|p| p.rule != Rule::UnknownField)
            .unwrap_or_else(|| empty_document(Loc::new(1, 1)))),
        None => Err(empty_document(Loc::new(1, 1))),
    }
}

fn empty_document(loc: Loc) -> YamlError {
    YamlError {
        rule: Rule::Parse,
        loc,
        message: "the file holds no document".into(),
        hint: None,
    }
}

/// Most values of one document dropped for being wrong before it is given up.
const MAX_DROPPED_VALUES: usize = 32;

/// Reads a document, and every problem in it: a value of the wrong type is reported and
/// dropped (with the mapping it leaves incomplete, if any), and the rest is read again, so
/// that one wrong value hides neither the others nor the ranges and the graph rules.
fn read_whole<T: DeserializeOwned>(mut n: node::Node) -> (Option<T>, Vec<YamlError>) {
    let unknown = std::cell::RefCell::new(Vec::new());
    let mut result = node::read::<T>(&n, &unknown);
    let mut problems = unknown.into_inner();
    let mut dropped: Vec<String> = Vec::new();
    loop {
        let e = match result {
            Ok(v) => return (Some(v), problems),
            Err(e) => e,
        };
        // A field missing because it was dropped: its value was reported already.
        let follow_on = dropped
            .iter()
            .any(|k| e.message == format!("missing field `{k}`"));
        let loc = e.loc;
        if !follow_on {
            problems.push(e);
        }
        if dropped.len() == MAX_DROPPED_VALUES {
            return (None, problems);
        }
        match n.remove_at(loc) {
            Some(key) => dropped.push(key),
            None => return (None, problems),
        }
        // Unknown fields were all recorded by the first read.
        result = node::read::<T>(&n, &std::cell::RefCell::new(Vec::new()));
    }
}

/// Where each document that holds anything starts (its first line that is not a comment),
/// and whether it holds nothing but a `null` (`null`, `~`): the parser skips such documents,
/// so they are found in the text. Documents start after a `---` line, or at the top.
fn document_starts(text: &str) -> Vec<(Loc, bool)> {
    let mut out = Vec::new();
    // The first line of the current document's content, and how many lines it has.
    let mut first: Option<(Loc, &str)> = None;
    let mut lines = 0;
    let mut finish = |first: &mut Option<(Loc, &str)>, lines: &mut usize| {
        if let Some((loc, only)) = first.take() {
            let null = *lines == 1 && matches!(only, "null" | "Null" | "NULL" | "~");
            out.push((loc, null));
        }
        *lines = 0;
    };
    for (i, line) in text.lines().enumerate() {
        let marker =
            line.starts_with("---") && line[3..].chars().next().is_none_or(char::is_whitespace);
        if marker || line.starts_with("...") {
            finish(&mut first, &mut lines);
        }
        let (body, offset) = if marker { (&line[3..], 3) } else { (line, 0) };
        let body = match body.find(" #") {
            Some(cut) => &body[..cut],
            None => body,
        };
        let trimmed = body.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || (!marker && line.starts_with("...")) {
            continue;
        }
        if line.starts_with('%') && first.is_none() {
            continue;
        }
        let col = offset + body.len() - body.trim_start().len();
        lines += 1;
        first.get_or_insert((Loc::new(i as u32 + 1, col as u32 + 1), trimmed));
    }
    finish(&mut first, &mut lines);
    out
}

/// A merge key `<<` given twice in one mapping: the parser merges both silently, so the text
/// is read once more with `<<` as an ordinary key, where a repeat is a duplicate key.
fn repeated_merge_keys(text: &str, limits: &YamlLimits) -> Vec<YamlError> {
    let mut opts = options(limits);
    opts.merge_keys = serde_saphyr::MergeKeyPolicy::AsOrdinary;
    let mut cursor = std::io::Cursor::new(text.as_bytes());
    serde_saphyr::read_with_options::<_, serde::de::IgnoredAny>(&mut cursor, opts)
        .filter_map(Result::err)
        .map(convert)
        .filter(|e| e.rule == Rule::DuplicateKey && e.message.contains("`<<`"))
        .map(|e| YamlError {
            message: "the merge key `<<` is given twice in one mapping".into(),
            hint: Some("merge several mappings with one key: `<<: [*first, *second]`".into()),
            ..e
        })
        .collect()
}

fn convert(err: serde_saphyr::Error) -> YamlError {
    let loc = err.location().map(Loc::from_saphyr).unwrap_or_default();
    if let serde_saphyr::Error::Budget { breach, .. } = &err {
        return YamlError {
            rule: Rule::Parse,
            loc,
            message: format!("the file is too large to read: {}", budget_words(breach)),
            hint: Some(
                "write the values out instead of repeating aliases, or split the file".into(),
            ),
        };
    }
    let raw = strip_location_suffix(&err.to_string());
    classify(&raw, loc)
}

/// What tripped the YAML budget, in words (serde-saphyr shows its `Debug` form).
fn budget_words(breach: &serde_saphyr::budget::BudgetBreach) -> String {
    use serde_saphyr::budget::BudgetBreach as B;
    match breach {
        B::Events { events } => format!("{events} YAML events, more than allowed"),
        B::Aliases { aliases } => format!("{aliases} aliases (`*name`), more than allowed"),
        B::Anchors { anchors } => format!("{anchors} anchors (`&name`), more than allowed"),
        B::Depth { depth } => format!("values nested {depth} deep, deeper than allowed"),
        B::Documents { documents } => format!("{documents} documents, more than allowed"),
        B::Nodes { nodes } => format!("{nodes} values, more than allowed"),
        B::ScalarBytes { total_scalar_bytes } => {
            format!("{total_scalar_bytes} bytes of text values, more than allowed")
        }
        B::MergeKeys { merge_keys } => {
            format!("{merge_keys} merge keys (`<<`), more than allowed")
        }
        B::AliasAnchorRatio { aliases, anchors } => {
            format!(
                "{aliases} aliases of only {anchors} anchors, more uses per anchor than allowed"
            )
        }
        B::InputBytes { input_bytes } => format!("{input_bytes} bytes, more than allowed"),
        _ => "it expands to more than the YAML reader allows".into(),
    }
}

/// serde-saphyr's `Display` may end with " at line X, column Y"; we carry the location apart.
fn strip_location_suffix(msg: &str) -> String {
    let first = msg.lines().next().unwrap_or(msg).trim();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    match first.find(" at line ") {
        Some(i) => first[..i].trim_end_matches(',').to_string(),
        None => first.to_string(),
    }
}

/// The message of a `null` where it would be ambiguous (the types' deserializers say it; this
/// module adds the hint).
pub(crate) const NULL_IS_AMBIGUOUS: &str =
    "`null` is not a value for this field: it would not say whether the field is managed";

fn classify(msg: &str, loc: Loc) -> YamlError {
    let lower = msg.to_ascii_lowercase();
    if let Some((field, expected)) = parse_unknown_field(msg) {
        return unknown_field(&field, &expected, loc);
    }
    if msg == NULL_IS_AMBIGUOUS {
        return YamlError {
            rule: Rule::Parse,
            loc,
            message: msg.to_string(),
            hint: Some(
                "leave the field out to leave the tenant's value alone, or give the value to manage (only `overflow: null` means something: no overflow)".into(),
            ),
        };
    }
    if let Some(rest) = msg.strip_prefix("unsupported tag ") {
        return YamlError {
            rule: Rule::Parse,
            loc,
            message: format!("unsupported tag {rest}"),
            hint: Some(
                "cxqueues reads plain YAML: remove the tag and write the value itself".into(),
            ),
        };
    }
    if lower.contains("duplicate") && lower.contains("key") {
        // "duplicate mapping key: maxWaiters, set DuplicateKeyPolicy …" → the key alone.
        let key = msg
            .split_once("key: ")
            .map(|(_, rest)| rest.split(", set ").next().unwrap_or(rest).trim());
        let message = match key {
            Some(k) => format!("duplicate key `{k}`"),
            None => "duplicate key".to_string(),
        };
        return YamlError {
            rule: Rule::DuplicateKey,
            loc,
            message,
            hint: Some("a key may appear once per mapping: remove one of the two entries".into()),
        };
    }
    if lower.contains("unknown variant") {
        let hint = parse_unknown_variant(msg).and_then(|(v, expected)| {
            nearest(&v, &expected).map(|s| format!("did you mean `{s}`?"))
        });
        let expected = parse_unknown_variant(msg)
            .map(|(_, e)| e)
            .unwrap_or_default();
        let rule = if expected
            .iter()
            .any(|e| e == "Queue" || e == "Tenant" || e == "cxqueues/v1")
        {
            Rule::Kind
        } else {
            Rule::Parse
        };
        return YamlError {
            rule,
            loc,
            message: msg.to_string(),
            hint,
        };
    }
    if let Some(what) = lower.strip_prefix("expected ") {
        let what = if what.starts_with("sequence") {
            "a list"
        } else if what.starts_with("mapping") {
            "a mapping (key: value)"
        } else if what.starts_with("string") {
            "a string"
        } else {
            what
        };
        return YamlError {
            rule: Rule::Parse,
            loc,
            message: format!("wrong type: expected {what}"),
            hint: None,
        };
    }
    if let Some(ty) = msg.strip_prefix("invalid ") {
        let what = match ty {
            "i64" | "u64" | "u32" | "i32" => "an integer",
            "f64" => "a number",
            "bool" => "true or false",
            other => other,
        };
        return YamlError {
            rule: Rule::Parse,
            loc,
            message: format!("wrong type: expected {what}"),
            hint: None,
        };
    }
    let hint = if lower.contains("alias") || lower.contains("budget") || lower.contains("replay") {
        Some("the file expands too many aliases; write the values out instead".to_string())
    } else if lower.contains("missing field") {
        Some("add the field; see schemas/ for what each document needs".to_string())
    } else {
        None
    };
    YamlError {
        rule: Rule::Parse,
        loc,
        message: msg.to_string(),
        hint,
    }
}

/// An unknown field, with the nearest known field as a hint.
fn unknown_field(field: &str, expected: &[String], loc: Loc) -> YamlError {
    let hint = nearest(field, expected)
        .map(|s| format!("did you mean `{s}`?"))
        .or_else(|| {
            (!expected.is_empty()).then(|| format!("known fields: {}", expected.join(", ")))
        });
    YamlError {
        rule: Rule::UnknownField,
        loc,
        message: format!("unknown field `{field}`"),
        hint,
    }
}

/// `unknown field `x`, expected one of `a`, `b`` (serde's wording) → ("x", ["a", "b"]).
fn parse_unknown_field(msg: &str) -> Option<(String, Vec<String>)> {
    let rest = &msg[msg.find("unknown field `")? + "unknown field `".len()..];
    let end = rest.find('`')?;
    let field = rest[..end].to_string();
    Some((field, backticked(&rest[end + 1..])))
}

fn parse_unknown_variant(msg: &str) -> Option<(String, Vec<String>)> {
    let rest = &msg[msg.find("unknown variant `")? + "unknown variant `".len()..];
    let end = rest.find('`')?;
    Some((rest[..end].to_string(), backticked(&rest[end + 1..])))
}

/// The names after "expected one of" / "expected", with or without backticks.
fn backticked(s: &str) -> Vec<String> {
    let list = match s.find("expected one of ") {
        Some(i) => &s[i + "expected one of ".len()..],
        None => match s.find("expected ") {
            Some(i) => &s[i + "expected ".len()..],
            None => return Vec::new(),
        },
    };
    list.split(", ")
        .map(|w| w.trim().trim_matches('`').to_string())
        .filter(|w| !w.is_empty() && !w.contains(' '))
        .collect()
}

/// The known name closest to `word`, when it is close enough to be a typo.
pub fn nearest<'a>(word: &str, known: &'a [String]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| {
            (
                strsim::jaro_winkler(&word.to_lowercase(), &k.to_lowercase()),
                k,
            )
        })
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k.as_str())
}

/// `value` as YAML text.
pub fn to_string<T: serde::Serialize>(value: &T) -> Result<String, String> {
    serde_saphyr::to_string(value).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::QueueDoc;

    #[test]
    fn a_typo_in_a_field_suggests_the_nearest_known_field() {
        let text =
            "apiVersion: cxqueues/v1\nkind: Queue\nmetadata: {name: A}\nspec:\n  maxWaiter: 5\n";
        let err = first_problem(text);
        assert_eq!(err.rule, Rule::UnknownField);
        assert_eq!(err.message, "unknown field `maxWaiter`");
        assert_eq!(err.hint.as_deref(), Some("did you mean `maxWaiters`?"));
        assert_eq!(err.loc.line, 5);
    }

    #[test]
    fn a_duplicate_key_is_an_error_with_its_line() {
        let text = "apiVersion: cxqueues/v1\nkind: Queue\nmetadata: {name: A}\nspec:\n  maxWaiters: 5\n  maxWaiters: 6\n";
        let err = first_problem(text);
        assert_eq!(err.rule, Rule::DuplicateKey, "{err:?}");
        assert_eq!(err.loc.line, 6);
    }

    fn first_problem(text: &str) -> YamlError {
        let docs = documents::<QueueDoc>(text, &YamlLimits::default());
        docs.into_iter()
            .flat_map(|d| d.problems)
            .next()
            .expect("a problem")
    }

    const HEAD: &str = "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: A\nspec:\n";

    #[test]
    fn values_the_json_schema_rejects_are_errors_at_their_line_with_a_hint() {
        // (spec lines, line of the error, words of the message, words of the hint, rule)
        let cases: &[(&str, u32, &str, &str, Rule)] = &[
            (
                "  maxWaiters: \"60\"\n",
                6,
                "expected an integer, found the string \"60\"",
                "without quotes: 60",
                Rule::Parse,
            ),
            (
                "  maxWaitTime: 3_00\n",
                6,
                "expected an integer",
                "write 300",
                Rule::Parse,
            ),
            (
                "  maxWaitTime: 0300\n",
                6,
                "expected an integer",
                "leading zero makes the value text (it was octal in YAML 1.1): write 300",
                Rule::Parse,
            ),
            (
                "  maxWaitTime: 1.5\n",
                6,
                "expected an integer, found the number 1.5",
                "",
                Rule::Parse,
            ),
            (
                "  overflow: {target: B, waitTime: 60, enabled: \"true\"}\n",
                6,
                "expected a boolean",
                "write true",
                Rule::Parse,
            ),
            (
                "  overflow:\n    target: B\n    waitTime: 60\n    enabled: yes\n",
                9,
                "found the string \"yes\"",
                "write true",
                Rule::Parse,
            ),
            (
                "  overflow: {target: B, waitTime: 60, enabled: no}\n",
                6,
                "expected a boolean",
                "write false",
                Rule::Parse,
            ),
            (
                "  overflow: {target: B, waitTime: 60, enabled: on}\n",
                6,
                "expected a boolean",
                "write true",
                Rule::Parse,
            ),
            (
                "  overflow: {target: B, waitTime: 60, enabled: off}\n",
                6,
                "expected a boolean",
                "write false",
                Rule::Parse,
            ),
            (
                "  description: 2024\n",
                6,
                "expected a string, found the integer 2024",
                "quote",
                Rule::Parse,
            ),
            (
                "  description: true\n",
                6,
                "expected a string",
                "quote",
                Rule::Parse,
            ),
            (
                "  maxWaiters: !custom 5\n",
                6,
                "unsupported tag `!custom`",
                "remove the tag",
                Rule::Parse,
            ),
            (
                "  description: !Ref other\n",
                6,
                "unsupported tag `!Ref`",
                "remove the tag",
                Rule::Parse,
            ),
            (
                "  serviceLevelTarget: !!python/object:x.Y {threshold: 1, time: 2}\n",
                6,
                "unsupported tag `!!python/object:x.Y`",
                "remove the tag",
                Rule::Parse,
            ),
            (
                "  <<: {maxWaiters: 5}\n  <<: {maxWaitTime: 60}\n",
                7,
                "`<<` is given twice",
                "<<: [*first, *second]",
                Rule::DuplicateKey,
            ),
        ];
        for (spec, line, message, hint, rule) in cases {
            let text = format!("{HEAD}{spec}");
            let err = first_problem(&text);
            assert_eq!(err.rule, *rule, "{spec}: {err:?}");
            assert_eq!(err.loc.line, *line, "{spec}: {err:?}");
            assert!(err.message.contains(message), "{spec}: {err:?}");
            assert!(
                err.hint.as_deref().unwrap_or("").contains(hint),
                "{spec}: {err:?}"
            );
        }
    }

    #[test]
    fn yaml_1_2_values_that_look_alike_but_are_right_are_read() {
        let text = format!(
            "{HEAD}  maxWaiters: !!int \"60\"\n  maxWaitTime: 0x3C\n  description: \"yes\"\n  overflow: {{target: B, waitTime: 60, enabled: False}}\n"
        );
        let docs = documents::<QueueDoc>(&text, &YamlLimits::default());
        assert!(docs[0].problems.is_empty(), "{:?}", docs[0].problems);
        let spec = &docs[0].value.as_ref().unwrap().spec;
        assert_eq!(spec.max_waiters.as_ref().unwrap().value, 60);
        assert_eq!(spec.max_wait_time.as_ref().unwrap().value, 60);
        assert_eq!(spec.description.as_ref().unwrap().value, "yes");
        assert!(!spec.overflow.clone().flatten().unwrap().value.enabled.value);
    }

    #[test]
    fn a_single_merge_key_still_merges() {
        let text = format!("{HEAD}  <<: [{{maxWaiters: 5}}, {{maxWaitTime: 60}}]\n");
        let docs = documents::<QueueDoc>(&text, &YamlLimits::default());
        assert!(docs[0].problems.is_empty(), "{:?}", docs[0].problems);
        let spec = &docs[0].value.as_ref().unwrap().spec;
        assert_eq!(spec.max_waiters.as_ref().unwrap().value, 5);
        assert_eq!(spec.max_wait_time.as_ref().unwrap().value, 60);
    }

    #[test]
    fn a_document_that_is_only_null_is_an_error_at_its_line() {
        for (text, line) in [
            ("null\n".to_string(), 1),
            ("# a comment\n~\n".to_string(), 2),
            (format!("{HEAD}---\nnull # nothing\n---\n{HEAD}"), 7),
            (format!("{HEAD}--- null\n"), 6),
        ] {
            let docs = documents::<QueueDoc>(&text, &YamlLimits::default());
            let nulls: Vec<_> = docs
                .iter()
                .flat_map(|d| &d.problems)
                .filter(|p| p.message.contains("only `null`"))
                .map(|p| p.loc.line)
                .collect();
            assert_eq!(nulls, [line], "{text:?}: {docs:?}");
        }
        // A block scalar that says null, and an empty document, are not null documents.
        let text = format!("{HEAD}---\n---\n{HEAD}  description: |\n    null\n");
        let docs = documents::<QueueDoc>(&text, &YamlLimits::default());
        assert!(docs.iter().all(|d| d.problems.is_empty()), "{docs:?}");
        assert_eq!(docs.len(), 2);
    }

    #[test]
    fn unknown_fields_are_all_reported_and_the_document_is_still_read() {
        let text = format!("{HEAD}  maxWaitTme: 5\n  maxWaiters: 500\n  bogus: 1\n");
        let docs = documents::<QueueDoc>(&text, &YamlLimits::default());
        let problems: Vec<_> = docs[0]
            .problems
            .iter()
            .map(|p| (p.rule, p.loc.line, p.message.as_str()))
            .collect();
        assert_eq!(
            problems,
            [
                (Rule::UnknownField, 6, "unknown field `maxWaitTme`"),
                (Rule::UnknownField, 8, "unknown field `bogus`"),
            ]
        );
        assert_eq!(
            docs[0].problems[0].hint.as_deref(),
            Some("did you mean `maxWaitTime`?")
        );
        let spec = &docs[0].value.as_ref().expect("still read").spec;
        assert_eq!(spec.max_waiters.as_ref().unwrap().value, 500);
    }

    #[test]
    fn a_broken_document_does_not_hide_the_documents_after_it() {
        let text = format!(
            "{HEAD}  maxWaiters: 1\n  maxWaiters: 2\n---\n{}  maxWaiters: x\n---\n{}",
            HEAD.replace("name: A", "name: B"),
            HEAD.replace("name: A", "name: C")
        );
        let docs = documents::<QueueDoc>(&text, &YamlLimits::default());
        let summary: Vec<_> = docs
            .iter()
            .map(|d| {
                (
                    d.value.is_some(),
                    d.problems.iter().map(|p| p.rule).collect::<Vec<_>>(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (false, vec![Rule::DuplicateKey]),
                // Read without its wrong value.
                (true, vec![Rule::Parse]),
                (true, vec![]),
            ]
        );
        assert_eq!(docs[2].value.as_ref().unwrap().metadata.name.value, "C");
    }

    #[test]
    fn null_where_it_would_be_ambiguous_is_an_error_at_the_value_with_a_hint() {
        let head = "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: A\n";
        for (fields, line) in [
            ("  id: null\n", 5),
            ("spec:\n  description: null\n", 6),
            ("spec:\n  maxWaiters:\n", 6),
            ("spec:\n  maxWaitTime: ~\n", 6),
            ("spec:\n  skillRequirements: null\n", 6),
            ("spec:\n  serviceLevelTarget: null\n", 6),
            (
                "spec:\n  overflow: {target: null, targetId: 0f8fad5b-d9cb-469f-a165-70867728950e, waitTime: 60}\n",
                6,
            ),
            (
                "spec:\n  overflow:\n    target: B\n    targetId:\n    waitTime: 60\n",
                8,
            ),
        ] {
            let err = first_problem(&format!("{head}{fields}"));
            assert_eq!(err.rule, Rule::Parse, "{fields}: {err:?}");
            assert_eq!(err.loc.line, line, "{fields}: {err:?}");
            assert!(
                err.message.contains("`null` is not a value"),
                "{fields}: {err:?}"
            );
            assert!(
                err.hint
                    .as_deref()
                    .unwrap_or("")
                    .contains("leave the field out"),
                "{fields}: {err:?}"
            );
        }
    }

    #[test]
    fn overflow_null_manages_no_overflow_and_an_empty_spec_manages_nothing() {
        let head = "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: A\n";
        for (fields, overflow) in [
            ("spec:\n  overflow: null\n", Some(None)),
            ("spec:\n  overflow:\n", Some(None)),
            ("spec:\n", None),
            ("spec: null\n", None),
        ] {
            let docs = documents::<QueueDoc>(&format!("{head}{fields}"), &YamlLimits::default());
            assert!(
                docs[0].problems.is_empty(),
                "{fields}: {:?}",
                docs[0].problems
            );
            let spec = &docs[0].value.as_ref().unwrap().spec;
            assert_eq!(spec.overflow, overflow, "{fields}");
            assert!(
                spec.max_waiters.is_none() && spec.description.is_none(),
                "{fields}"
            );
        }
    }

    #[test]
    fn a_budget_breach_is_worded_without_rust_debug_text() {
        let mut text = String::from("a: &a x\nb: [");
        text.push_str(&["*a"; 12].join(", "));
        text.push_str("]\n");
        let limits = YamlLimits {
            max_aliases: 10,
            ..YamlLimits::default()
        };
        let err = from_str::<serde_json::Value>(&text, &limits).unwrap_err();
        assert_eq!(err.rule, Rule::Parse);
        assert!(
            err.message.starts_with("the file is too large to read: "),
            "{err:?}"
        );
        assert!(err.message.contains("aliases (`*name`)"), "{err:?}");
        assert!(
            !err.message.contains('{') && !err.message.contains("Aliases"),
            "{err:?}"
        );
    }

    #[test]
    fn the_direct_read_and_the_tree_agree_on_every_value_and_place_of_the_valid_example_files() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut files = Vec::new();
        for dir in [
            "queues",
            "tests/corpus/bounds_ok/queues",
            "tests/corpus/cycle_5/queues",
        ] {
            for e in std::fs::read_dir(root.join(dir)).unwrap() {
                let p = e.unwrap().path();
                if p.extension().is_some_and(|x| x == "yaml") {
                    files.push(p);
                }
            }
        }
        assert!(files.len() >= 8, "{files:?}");
        let limits = YamlLimits::default();
        let mut read_directly = 0;
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            let starts = document_starts(&text);
            // A quoted number (a label `tier: "1"`) sends a file to the tree.
            let Some(direct) = fast::documents::<QueueDoc>(&text, &options(&limits), &starts)
            else {
                assert!(fast::lenient_spellings(&text), "{}", f.display());
                continue;
            };
            read_directly += 1;
            let tree = tree_documents::<QueueDoc>(&text, &limits);
            let show = |docs: &[Document<QueueDoc>]| -> Vec<String> {
                docs.iter()
                    .map(|d| format!("{}: {:?} {:?}", d.line, d.value, d.problems))
                    .collect()
            };
            assert_eq!(show(&direct), show(&tree), "{}", f.display());
        }
        assert!(read_directly >= 5, "{read_directly} files read directly");
    }

    #[test]
    fn every_wrong_value_of_a_document_is_reported_and_the_rest_is_still_read() {
        let text = format!(
            "{HEAD}  maxWaiters: \"60\"\n  description: 2024\n  maxWaitTime: 5\n  overflow:\n    target: A\n    waitTime: sixty\n  serviceLevelTarget: {{threshold: 80, time: 20}}\n"
        );
        let docs = documents::<QueueDoc>(&text, &YamlLimits::default());
        let problems: Vec<(u32, &str)> = docs[0]
            .problems
            .iter()
            .map(|p| (p.loc.line, p.message.as_str()))
            .collect();
        assert_eq!(
            problems,
            [
                (
                    6,
                    "wrong type: expected an integer, found the string \"60\""
                ),
                (7, "wrong type: expected a string, found the integer 2024"),
                (
                    11,
                    "wrong type: expected an integer, found the string \"sixty\""
                ),
            ]
        );
        let spec = &docs[0].value.as_ref().expect("the rest is read").spec;
        assert_eq!(
            spec.max_wait_time.as_ref().unwrap().value,
            5,
            "its range is still checked"
        );
        assert!(spec.service_level_target.is_some());
        assert!(spec.max_waiters.is_none() && spec.overflow.is_none());
    }

    #[test]
    fn a_billion_laughs_alias_bomb_is_refused() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = (b'a' + i - 1) as char;
            let cur = (b'a' + i) as char;
            text.push_str(&format!(
                "{cur}: &{cur} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
        }
        let err = from_str::<serde_json::Value>(&text, &YamlLimits::default()).unwrap_err();
        assert_eq!(err.rule, Rule::Parse);
    }
}
