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
