//! The skill-name rule of NICE's v34 PUT schema: the one place that knows it (a leaf: used
//! by the wire mapping, the safe write's property table and the port's `Capabilities`).

/// The most characters a skill name has (the v34 PUT schema's `maxLength`).
pub const NAME_MAX_CHARS: usize = 30;

/// The skill-name rule of NICE's v34 PUT schema (`^(([a-zA-Z0-9-:_\.\(\)^\s])*)$`, 1–30
/// characters), with its `\s` read as the ASCII space only: ASCII letters, digits,
/// `- : _ . ( ) ^` and the space, no leading or trailing space. `None` when `name` follows
/// it, else what is wrong. The one place that knows it.
pub fn skill_name_problem(name: &str) -> Option<String> {
    let n = name.chars().count();
    if !(1..=NAME_MAX_CHARS).contains(&n) {
        return Some(format!(
            "a CXone skill name has 1 to {NAME_MAX_CHARS} characters; {name:?} has {n}"
        ));
    }
    let mut bad: Vec<char> = name
        .chars()
        .filter(|c| {
            !(c.is_ascii_alphanumeric()
                || matches!(c, '-' | ':' | '_' | '.' | '(' | ')' | '^' | ' '))
        })
        .collect();
    bad.dedup();
    if !bad.is_empty() {
        let shown: String = bad.iter().collect();
        return Some(format!(
            "a CXone skill name holds only ASCII letters, digits, spaces and - : _ . ( ) ^ ; {name:?} has {shown:?}"
        ));
    }
    (name.starts_with(' ') || name.ends_with(' '))
        .then(|| format!("a CXone skill name does not begin or end with a space; {name:?} does"))
}
