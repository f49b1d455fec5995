//! The direct read: a file parsed straight into its typed documents, without the tree.
//!
//! Building the located tree costs about a third more CPU than reading the types directly,
//! and almost every file of a repository is valid. So a file is first read directly; the
//! result is kept only when the direct read can be no more lenient than the tree would be:
//! - the direct read succeeded (any error, an unknown field included, goes to the tree,
//!   which reports every problem);
//! - its options refuse what the tree refuses: YAML 1.1 booleans, unknown tags, and a number
//!   or boolean where text is expected (`no_schema`);
//! - the text holds none of the spellings that the direct read takes as a number or a boolean
//!   and the tree takes as text ([`lenient_spellings`]): a quoted number or boolean (`"60"`,
//!   `'true'`), digits around `_` (`3_00`), a `0x`/`0o`/`0b` prefix, a tag, a merge key;
//! - it found as many documents as the text holds (null documents aside).
//!
//! A tree test reads the same files both ways and compares every value and every location.

use serde::de::DeserializeOwned;

use super::Document;
use crate::Loc;

/// The documents of `text` read directly, or `None` when the tree must read them.
/// `starts` are the documents that hold anything, from [`super::document_starts`].
pub(super) fn documents<T: DeserializeOwned>(
    text: &str,
    opts: &serde_saphyr::Options,
    starts: &[(Loc, bool)],
) -> Option<Vec<Document<T>>> {
    if lenient_spellings(text) {
        return None;
    }
    let mut opts = opts.clone();
    opts.no_schema = true;
    let values = serde_saphyr::from_str_multiple_with_options::<T, Vec<T>>(text, opts).ok()?;
    let lines: Vec<u32> = starts
        .iter()
        .filter(|(_, null)| !*null)
        .map(|(loc, _)| loc.line)
        .collect();
    if lines.len() != values.len() {
        return None;
    }
    Some(
        values
            .into_iter()
            .zip(lines)
            .map(|(value, line)| Document {
                value: Some(value),
                problems: Vec::new(),
                line,
            })
            .collect(),
    )
}

/// Whether `text` may hold a spelling that the direct read is more lenient about than the
/// tree. Errs on the side of `true` (a false alarm only costs the tree's time).
pub(super) fn lenient_spellings(text: &str) -> bool {
    if text.contains("<<") {
        return true;
    }
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let prev = if i == 0 { b'\n' } else { bytes[i - 1] };
        let node_start = matches!(
            prev,
            b' ' | b'\t' | b'\n' | b'[' | b'{' | b',' | b'-' | b':'
        );
        match b {
            // A tag, or an alias (which may bring a quoted number from elsewhere).
            b'!' | b'*' if node_start => return true,
            b'_' if prev.is_ascii_digit() && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                return true;
            }
            // `0x…`, `0o…`, `0b…` as a value (not inside a UUID, whose `-` follows a digit).
            b'x' | b'X' | b'o' | b'O' | b'b' | b'B'
                if prev == b'0'
                    && bytes.get(i + 1).is_some_and(u8::is_ascii_alphanumeric)
                    && number_starts(bytes, i - 1) =>
            {
                return true;
            }
            b'"' | b'\'' => {
                // The quoted text up to the closing quote on the same line.
                let rest = &text[i + 1..];
                let end = rest.find([b as char, '\n']).unwrap_or(rest.len());
                if rest[end..].starts_with(b as char) {
                    if typed_when_plain(&rest[..end]) && typed_field_before(text, i) {
                        return true;
                    }
                    i += end + 2;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    false
}

/// Whether the token at `at` (a `0`) starts a value: after a space, `:`, `[`, `{`, `,`, or a
/// sign that itself starts one.
fn number_starts(bytes: &[u8], at: usize) -> bool {
    let Some(at) = at.checked_sub(1) else {
        return true;
    };
    match bytes[at] {
        b' ' | b'\t' | b'\n' | b':' | b'[' | b'{' | b',' => true,
        b'-' | b'+' => number_starts(bytes, at),
        _ => false,
    }
}

/// Whether the quoted value at `quote` belongs to a number or boolean field (`maxWaiters:
/// "60"`), or may (an anchored value, which an alias could use anywhere).
fn typed_field_before(text: &str, quote: usize) -> bool {
    let before = text[..quote].trim_end();
    if let Some(key) = before.strip_suffix(':') {
        let key = key.trim_end();
        let start = key
            .char_indices()
            .rfind(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(0, |(p, c)| p + c.len_utf8());
        return crate::schema::typed_fields().contains(&key[start..]);
    }
    // `&anchor "60"`: usable anywhere through an alias.
    before
        .rsplit(|c: char| c.is_whitespace())
        .next()
        .is_some_and(|last| last.starts_with('&'))
}

/// Whether `s`, quoted in the text, would be read as a number or a boolean by the direct read.
fn typed_when_plain(s: &str) -> bool {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    matches!(
        lower.as_str(),
        "true" | "false" | ".inf" | "-.inf" | "+.inf" | ".nan"
    ) || t.replace('_', "").parse::<f64>().is_ok()
        || ["0x", "0o", "0b", "-0x", "+0x"]
            .iter()
            .any(|p| lower.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quoted_value_after_a_key_ending_in_a_multibyte_character_does_not_panic() {
        // Found by the seeded mutation run (FUZZING.md): U+202E spliced into a label key.
        assert!(!lenient_spellings("labels: {ti\u{202e}er: \"4\"}"));
        assert!(lenient_spellings("labels: {é\u{202e}maxWaiters: \"4\"}"));
    }

    #[test]
    fn spellings_the_direct_read_would_take_as_numbers_or_booleans_send_the_file_to_the_tree() {
        let lenient = [
            "maxWaiters: \"60\"",
            "maxWaiters: '60'",
            "maxWaitTime: 3_00",
            "maxWaitTime: 0x3C",
            "maxWaitTime: 0o74",
            "maxWaitTime: 0b11",
            "enabled: \"true\"",
            "enabled: 'False'",
            "maxWaiters: !!int 60",
            "description: !Ref x",
            "spec: {maxWaiters: !custom 5}",
            "- !!str 60",
            "<<: *base",
            "requestsPerSecond: \"1e1\"",
            "serviceLevelTarget: {threshold: \"80\", time: 20}",
            "spec:\n  maxWaitTime: -0x10",
            "labels: {a: &n \"60\"}\nspec: {maxWaiters: *n}",
        ];
        for text in lenient {
            assert!(lenient_spellings(text), "{text}");
        }
        let plain = [
            "name: Billing Tier 1\ndescription: \"First-line billing (invoices, payments)\"\n",
            "description: 'It''s here!'\nmaxWaiters: 60\n",
            "name: team_2024\nlabels: {owner: box_office}\n",
            "description: Welcome! Call 0800 now\n",
            "skill: language:en\n",
            "labels: {team: billing, tier: \"1\"}\n",
            "id: 5b0f6b8e-0b5a-4a53-9a3e-0a3f4c1d2e11\n",
            "description: \"60\"\n",
        ];
        for text in plain {
            assert!(!lenient_spellings(text), "{text}");
        }
    }
}
