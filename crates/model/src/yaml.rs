//! The one way YAML enters cxqueues: `serde-saphyr` with a budget, duplicate keys as errors,
//! and errors turned into [`YamlError`]s that carry a location, a rule and a hint.

use serde::de::DeserializeOwned;

use crate::{Loc, Rule};

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
    opts.with_snippet = false;
    // Comments are never read: skipping them is cheaper.
    opts.emit_comments = false;
    opts
}

/// Every document of `text`, each read as a `T`.
pub fn from_str_multi<T: DeserializeOwned>(
    text: &str,
    limits: &YamlLimits,
) -> Result<Vec<T>, YamlError> {
    serde_saphyr::from_str_multiple_with_options::<T, Vec<T>>(text, options(limits))
        .map_err(convert)
}

/// One document of `text` read as a `T`.
pub fn from_str<T: DeserializeOwned>(text: &str, limits: &YamlLimits) -> Result<T, YamlError> {
    serde_saphyr::from_str_with_options::<T>(text, options(limits)).map_err(convert)
}

fn convert(err: serde_saphyr::Error) -> YamlError {
    let loc = err.location().map(Loc::from_saphyr).unwrap_or_default();
    let raw = strip_location_suffix(&err.to_string());
    classify(&raw, loc)
}

/// serde-saphyr's `Display` may end with " at line X, column Y"; we carry the location apart.
fn strip_location_suffix(msg: &str) -> String {
    let first = msg.lines().next().unwrap_or(msg).trim();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    match first.rfind(" at line ") {
        Some(i) => first[..i].trim_end_matches(',').to_string(),
        None => first.to_string(),
    }
}

fn classify(msg: &str, loc: Loc) -> YamlError {
    let lower = msg.to_ascii_lowercase();
    if let Some((field, expected)) = parse_unknown_field(msg) {
        let hint = nearest(&field, &expected)
            .map(|s| format!("did you mean `{s}`?"))
            .or_else(|| {
                (!expected.is_empty()).then(|| format!("known fields: {}", expected.join(", ")))
            });
        return YamlError {
            rule: Rule::UnknownField,
            loc,
            message: format!("unknown field `{field}`"),
            hint,
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
        let err = from_str_multi::<QueueDoc>(text, &YamlLimits::default()).unwrap_err();
        assert_eq!(err.rule, Rule::UnknownField);
        assert_eq!(err.message, "unknown field `maxWaiter`");
        assert_eq!(err.hint.as_deref(), Some("did you mean `maxWaiters`?"));
        assert_eq!(err.loc.line, 5);
    }

    #[test]
    fn a_duplicate_key_is_an_error_with_its_line() {
        let text = "apiVersion: cxqueues/v1\nkind: Queue\nmetadata: {name: A}\nspec:\n  maxWaiters: 5\n  maxWaiters: 6\n";
        let err = from_str_multi::<QueueDoc>(text, &YamlLimits::default()).unwrap_err();
        assert_eq!(err.rule, Rule::DuplicateKey, "{err:?}");
        assert_eq!(err.loc.line, 6);
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
