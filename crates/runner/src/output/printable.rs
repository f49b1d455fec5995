//! Text from a repository or a tenant, made safe to print: the one escaping function of the
//! text and markdown outputs.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal or a rendered page as itself: control characters
/// (an ANSI escape, a newline), the bidirectional marks, embeddings, overrides and isolates
/// (U+200E/F, U+202A–E, U+2066–9: they reorder what follows them, "Trojan Source"), and the
/// zero-width characters that hide inside a name.
fn must_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

/// `s` with every character that must be escaped (controls, bidirectional marks, zero-width
/// characters, the BOM) written as its Rust escape (`\n`, `\u{202e}`); borrowed when there is
/// none.
pub(crate) fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(must_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if must_escape(c) {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_bidi_and_zero_width_characters_are_escaped_and_the_rest_is_kept() {
        let cases = [
            ("Billing", "Billing"),
            ("Facturación \"VIP\"", "Facturación \"VIP\""),
            ("a\u{1b}[31mred", "a\\u{1b}[31mred"),
            ("two\nlines", "two\\nlines"),
            ("user\u{202E}gnp.exe", "user\\u{202e}gnp.exe"),
            ("\u{200E}\u{200F}", "\\u{200e}\\u{200f}"),
            (
                "\u{202A}\u{202B}\u{202C}\u{202D}",
                "\\u{202a}\\u{202b}\\u{202c}\\u{202d}",
            ),
            (
                "\u{2066}x\u{2067}\u{2068}\u{2069}",
                "\\u{2066}x\\u{2067}\\u{2068}\\u{2069}",
            ),
            ("Sa\u{200B}les", "Sa\\u{200b}les"),
        ];
        for (raw, shown) in cases {
            assert_eq!(printable(raw), shown, "{raw:?}");
        }
    }
}
