//! Syntax errors in plain words, at the line that holds the mistake.
//!
//! The YAML parser words what it stopped at in its own terms ("while scanning a plain scalar,
//! found a tab") and places it where it noticed, which for a tab is often the line before the
//! one that holds it. With the text at hand, the usual mistakes are said the way a person
//! fixes them: a tab in the indentation, a key indented off its mapping, an alias to an
//! anchor that does not exist.

use super::{YamlError, convert};
use crate::{Loc, Rule};

/// `err` as a [`YamlError`], reworded and moved to the right line when it is one of the usual
/// syntax mistakes in `text`.
pub(super) fn in_words(err: serde_saphyr::Error, text: &str) -> YamlError {
    let unknown_anchor = matches!(err, serde_saphyr::Error::UnknownAnchor { .. });
    let e = convert(err);
    if unknown_anchor {
        return missing_anchor(e, text);
    }
    let lower = e.message.to_ascii_lowercase();
    if lower.contains("found a tab") || lower.contains("tabs disallowed") {
        return tab(e, text);
    }
    if lower.contains("did not find expected key") || lower.contains("did not find expected '-'") {
        // The parser's own words stay in brackets, without its "while parsing a block …".
        let said = e
            .message
            .rsplit(", ")
            .next()
            .unwrap_or_default()
            .to_string();
        return YamlError {
            message: format!(
                "this line is not indented like the other keys of its mapping ({said})"
            ),
            hint: Some(
                "indent every key of one mapping by the same number of spaces, and a nested value further than its key".into(),
            ),
            ..e
        };
    }
    if lower.contains("mapping values are not allowed") {
        return YamlError {
            message: "a `key: value` where no mapping can start".into(),
            hint: Some(
                "is this line indented further than the keys above it? (a value that holds `: ` needs quotes)".into(),
            ),
            ..e
        };
    }
    e
}

/// The first line at or after the reported one (else anywhere) whose indentation holds a tab.
fn tab(e: YamlError, text: &str) -> YamlError {
    let indented_by_tab = |(_, line): &(usize, &str)| {
        line.chars()
            .take_while(|c| *c == ' ' || *c == '\t')
            .any(|c| c == '\t')
    };
    let from = e.loc.line.saturating_sub(1) as usize;
    let found = text
        .lines()
        .enumerate()
        .skip(from)
        .find(indented_by_tab)
        .or_else(|| text.lines().enumerate().find(indented_by_tab));
    let loc = match found {
        Some((i, line)) => {
            let col = line.chars().position(|c| c == '\t').unwrap_or(0);
            Loc::new(i as u32 + 1, col as u32 + 1)
        }
        None => e.loc,
    };
    YamlError {
        rule: Rule::Parse,
        loc,
        message: "a tab in the indentation".into(),
        hint: Some("YAML does not allow tabs for indentation: indent with spaces".into()),
    }
}

/// The alias at the error's place, named, with the anchor it lacks.
fn missing_anchor(e: YamlError, text: &str) -> YamlError {
    let name = text
        .lines()
        .nth(e.loc.line.saturating_sub(1) as usize)
        .map(|line| {
            let rest: String = line
                .chars()
                .skip(e.loc.column.saturating_sub(1) as usize)
                .collect();
            let rest = rest.trim_start_matches('*');
            rest.chars()
                .take_while(|c| !c.is_whitespace() && !matches!(c, ',' | '[' | ']' | '{' | '}'))
                .collect::<String>()
        })
        .filter(|n| !n.is_empty());
    let (message, hint) = match name {
        Some(n) => (
            format!("the alias `*{n}` refers to an anchor `&{n}` that is not defined before it"),
            format!(
                "define `&{n}` on a value above this line (anchors are per document), or write the value out"
            ),
        ),
        None => (
            "an alias refers to an anchor that is not defined before it".into(),
            "define the anchor on a value above the alias, or write the value out".into(),
        ),
    };
    YamlError {
        rule: Rule::Parse,
        message,
        hint: Some(hint),
        ..e
    }
}

#[cfg(test)]
mod tests {
    use crate::yaml::{YamlLimits, documents};
    use crate::{QueueDoc, Rule};

    const HEAD: &str = "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: A\nspec:\n";

    fn problem(spec: &str) -> super::YamlError {
        let text = format!("{HEAD}{spec}");
        documents::<QueueDoc>(&text, &YamlLimits::default())
            .into_iter()
            .flat_map(|d| d.problems)
            .next()
            .expect("a problem")
    }

    #[test]
    fn syntax_mistakes_are_worded_plainly_at_the_line_that_holds_them() {
        // (spec lines, line, column, words of the message, words of the hint)
        let cases: &[(&str, u32, u32, &str, &str)] = &[
            (
                "  maxWaiters: 3\n\tmaxWaitTime: 30\n",
                7,
                1,
                "a tab in the indentation",
                "YAML does not allow tabs for indentation",
            ),
            (
                "\tmaxWaiters: 3\n",
                6,
                1,
                "a tab in the indentation",
                "YAML does not allow tabs for indentation",
            ),
            (
                "  overflow:\n    target: B\n  \twaitTime: 60\n",
                8,
                3,
                "a tab in the indentation",
                "indent with spaces",
            ),
            (
                "  maxWaiters: 3\n maxWaitTime: 30\n",
                7,
                2,
                "not indented like the other keys",
                "same number of spaces",
            ),
            (
                "  maxWaiters: 3\n    maxWaitTime: 30\n",
                7,
                16,
                "where no mapping can start",
                "indented further",
            ),
            (
                "  description: &d hi\n  maxWaitTime: *missing\n",
                7,
                16,
                "the alias `*missing` refers to an anchor `&missing` that is not defined",
                "define `&missing`",
            ),
        ];
        for (spec, line, column, message, hint) in cases {
            let e = problem(spec);
            assert_eq!(e.rule, Rule::Parse, "{spec:?}: {e:?}");
            assert_eq!(
                (e.loc.line, e.loc.column),
                (*line, *column),
                "{spec:?}: {e:?}"
            );
            assert!(e.message.contains(message), "{spec:?}: {e:?}");
            let h = e.hint.as_deref().unwrap_or_default();
            assert!(h.contains(hint), "{spec:?}: {e:?}");
            assert!(!h.contains("too many aliases"), "{spec:?}: {e:?}");
            assert!(
                !e.message.contains("scalar") && !e.message.contains("block"),
                "no parser jargon: {e:?}"
            );
        }
    }
}
