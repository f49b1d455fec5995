//! Every output format in one place: a plan as text, markdown or JSON ([`plan`]), and
//! diagnostics as text, JSON or GitHub annotations ([`diagnostics`]). A new format is one
//! function here and one `--format` variant in its command.

pub(crate) mod diagnostics;
pub(crate) mod plan;
pub(crate) mod printable;

/// Colour only on a terminal, and never with `NO_COLOR` (the rule `validate` follows too).
pub(crate) fn color_on_stdout() -> bool {
    diagnostics::TextStyle::detect() == diagnostics::TextStyle::Graphical
}
