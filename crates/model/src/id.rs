//! What a queue id looks like, and when two ids are the same: the one place that decides.
//!
//! Ids come from the platform (`metadata.id` pins a tenant queue, `overflow.targetId` names
//! one). Every check and comparison of ids goes through [`IdKind`], so that a platform whose
//! ids are spelled differently chooses its kind here and nowhere else.

use std::borrow::Cow;

/// How a platform spells its queue ids.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum IdKind {
    /// A UUID in its canonical hyphenated form, `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (hex
    /// digits, either case). Braces, `urn:uuid:` and 32 bare hex digits are refused: they
    /// would compare unequal to the same id written canonically.
    #[default]
    Uuid,
    /// A decimal integer (NICE CXone skill ids), at most 18 digits.
    Integer,
}

impl IdKind {
    /// What an id of this kind looks like, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            IdKind::Uuid => "a UUID (8-4-4-4-12 hex digits)",
            IdKind::Integer => "an integer id",
        }
    }

    /// Whether `text` is an id of this kind, in its canonical form.
    pub fn is_valid(self, text: &str) -> bool {
        match self {
            IdKind::Uuid => {
                text.len() == 36
                    && text.bytes().enumerate().all(|(i, b)| match i {
                        8 | 13 | 18 | 23 => b == b'-',
                        _ => b.is_ascii_hexdigit(),
                    })
            }
            IdKind::Integer => {
                (1..=18).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit())
            }
        }
    }

    /// The canonical spelling of an id that is written another way (`{…}`, `urn:uuid:…`,
    /// 32 bare hex digits), for the hint; `None` when `text` is no id at all.
    pub fn suggest(self, text: &str) -> Option<String> {
        match self {
            IdKind::Uuid => {
                let t = text.trim();
                let t = match t.get(..9) {
                    Some(p) if p.eq_ignore_ascii_case("urn:uuid:") => &t[9..],
                    _ => t,
                };
                let t = t
                    .strip_prefix('{')
                    .and_then(|t| t.strip_suffix('}'))
                    .unwrap_or(t);
                let hex: String = t.chars().filter(|c| *c != '-').collect();
                if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                    return None;
                }
                let hex = hex.to_ascii_lowercase();
                Some(format!(
                    "{}-{}-{}-{}-{}",
                    &hex[..8],
                    &hex[8..12],
                    &hex[12..16],
                    &hex[16..20],
                    &hex[20..]
                ))
            }
            IdKind::Integer => {
                let t = text.trim();
                (t != text && IdKind::Integer.is_valid(t)).then(|| t.to_string())
            }
        }
    }

    /// The form in which ids are compared (and sent): UUIDs in lower case.
    pub fn canonical(self, id: &str) -> Cow<'_, str> {
        match self {
            IdKind::Uuid if id.bytes().any(|b| b.is_ascii_uppercase()) => {
                Cow::Owned(id.to_ascii_lowercase())
            }
            IdKind::Uuid | IdKind::Integer => Cow::Borrowed(id),
        }
    }

    /// The error for `id` in `field` of `file` when it is not of this kind, with its canonical
    /// spelling as the hint when it is one written another way.
    pub fn invalid(
        self,
        file: &std::path::Path,
        field: &str,
        id: &crate::Spanned<String>,
        platform: &str,
    ) -> crate::Diagnostic {
        let d = crate::Diagnostic::error(
            crate::Rule::InvalidId,
            file,
            id.loc,
            format!(
                "{field} {:?} is not {}, the form of {platform} ids",
                id.value,
                self.describe()
            ),
        );
        match self.suggest(&id.value) {
            Some(canonical) => d.with_hint(format!("write the id as {canonical}")),
            None => d.with_hint(
                "copy the id from the tenant (e.g. from `cxqueues import`), or drop it to match by name",
            ),
        }
    }

    /// Whether `a` and `b` are the same id.
    pub fn same(self, a: &str, b: &str) -> bool {
        self.canonical(a) == self.canonical(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_canonical_hyphenated_uuid_is_an_id_and_other_spellings_get_it_as_a_hint() {
        let canonical = "0f8fad5b-d9cb-469f-a165-70867728950e";
        // (written, valid, suggested)
        let cases: &[(&str, bool, Option<&str>)] = &[
            (canonical, true, Some(canonical)),
            (
                "0F8FAD5B-D9CB-469F-A165-70867728950E",
                true,
                Some(canonical),
            ),
            (
                "{0f8fad5b-d9cb-469f-a165-70867728950e}",
                false,
                Some(canonical),
            ),
            (
                "urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e",
                false,
                Some(canonical),
            ),
            (
                "URN:UUID:0f8fad5b-d9cb-469f-a165-70867728950e",
                false,
                Some(canonical),
            ),
            ("0f8fad5bd9cb469fa16570867728950e", false, Some(canonical)),
            ("0f8fad5b-d9cb-469f-a165-70867728950", false, None),
            ("0f8fad5b-d9cb-469f-a165-70867728950g", false, None),
            (
                "0f8fad5bd-9cb-469f-a165-70867728950e",
                false,
                Some(canonical),
            ),
            ("sales-queue-1", false, None),
            ("", false, None),
        ];
        for (text, valid, suggested) in cases {
            assert_eq!(IdKind::Uuid.is_valid(text), *valid, "{text}");
            assert_eq!(IdKind::Uuid.suggest(text).as_deref(), *suggested, "{text}");
        }
    }

    #[test]
    fn uuids_are_the_same_id_in_any_case() {
        let k = IdKind::default();
        assert!(k.same(
            "0F8FAD5B-D9CB-469F-A165-70867728950E",
            "0f8fad5b-d9cb-469f-a165-70867728950e"
        ));
        assert!(!k.same(
            "0f8fad5b-d9cb-469f-a165-70867728950e",
            "0f8fad5b-d9cb-469f-a165-70867728950f"
        ));
        assert_eq!(k.canonical("ABC-def"), "abc-def");
    }
}
