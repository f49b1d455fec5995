//! Every output format in one place: a plan as text, markdown or JSON ([`plan`]), and
//! diagnostics as text, JSON or GitHub annotations ([`diagnostics`]). A new format is one
//! function here and one `--format` variant in its command.

pub mod diagnostics;
pub mod plan;
pub mod printable;

/// Colour only on a terminal, and never with `NO_COLOR` (the rule `validate` follows too).
pub fn color_on_stdout() -> bool {
    diagnostics::TextStyle::detect() == diagnostics::TextStyle::Graphical
}

/// Writes `text` to standard output and flushes it. A closed, full or failing stdout
/// (`plan > /dev/full`) is an error that says so, never the panic of `print!`.
pub fn print(text: impl AsRef<str>) -> Result<(), crate::exit::CliError> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_ref().as_bytes())
        .and_then(|()| out.flush())
        .map_err(|source| crate::exit::CliError::Io {
            what: "write to",
            path: "standard output".into(),
            source,
        })
}
