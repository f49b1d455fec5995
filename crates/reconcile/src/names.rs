//! Queue names that people cannot tell apart: the same name but for case, Unicode
//! normalisation (NFC/NFD), full-width forms or invisible characters. They are distinct
//! queues to the tenant, so each such pair is a warning naming both places.

use std::collections::HashMap;

use model::{Diagnostic, QueueDef, Rule};
use unicode_normalization::UnicodeNormalization as _;

use crate::graph::routing::Site;

/// Characters that show as nothing: zero-width spaces and joiners, the word joiner, the byte
/// order mark, the soft hyphen and the bidirectional marks and controls.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// What a name looks like to a person: compatibility-normalised (NFKC: full-width forms and
/// NFD sequences become their plain composed letters), without invisible characters, in
/// lower case.
pub fn look_alike_key(name: &str) -> String {
    // ASCII is its own normal form and has no invisible characters but the controls.
    if name.is_ascii() {
        return name.to_ascii_lowercase();
    }
    let plain: String = name.nfkc().filter(|c| !is_invisible(*c)).collect();
    plain.to_lowercase().nfkc().collect()
}

/// A warning at every queue whose name looks like an earlier, different name (identical
/// names are duplicate-name errors, not repeated here).
pub fn confusable_names(queues: &[QueueDef]) -> Vec<Diagnostic> {
    let mut first: HashMap<String, &QueueDef> = HashMap::with_capacity(queues.len());
    let mut diags = Vec::new();
    for q in queues {
        match first.entry(look_alike_key(q.name())) {
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(q);
            }
            std::collections::hash_map::Entry::Occupied(e) => {
                let other = *e.get();
                if other.name() == q.name() {
                    continue;
                }
                let name = &q.doc.metadata.name;
                diags.push(
                    Diagnostic::warning(
                        Rule::ConfusableName,
                        &q.file,
                        name.loc,
                        format!(
                            "queue name {:?} looks the same as {:?} ({}): they differ only in case, Unicode form, width or invisible characters",
                            q.name(),
                            other.name(),
                            Site::in_file(&other.file, other.doc.metadata.name.loc)
                        ),
                    )
                    .with_hint("rename one of them: the tenant keeps them as two queues that people cannot tell apart"),
                );
            }
        }
    }
    diags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_differ_only_in_case_form_width_or_invisible_characters_have_one_key() {
        // (a name, a look-alike of it)
        let alike = [
            ("Sales", "sales"),
            ("Sales", "SALES"),
            ("Facturación", "Facturacio\u{301}n"),
            ("Sales", "\u{FF33}\u{FF41}\u{FF4C}\u{FF45}\u{FF53}"),
            ("Sales", "Sa\u{200B}les"),
            ("Sales", "\u{FEFF}Sales\u{200D}"),
            ("Sales", "Sales\u{202E}"),
        ];
        for (a, b) in alike {
            assert_eq!(look_alike_key(a), look_alike_key(b), "{a:?} / {b:?}");
        }
        for (a, b) in [
            ("Sales", "Sales 2"),
            ("Sales", "Sale"),
            ("Facturación", "Facturacion"),
        ] {
            assert_ne!(look_alike_key(a), look_alike_key(b), "{a:?} / {b:?}");
        }
    }
}
