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

/// Standard output could not be written (a full disk, a closed pipe, `/dev/full`).
#[derive(Debug, thiserror::Error)]
#[error("cannot write to standard output")]
pub struct Unprintable(#[source] pub std::io::Error);

/// Writes `text` to standard output and flushes it. A closed, full or failing stdout
/// (`plan > /dev/full`) is an error that says so, never the panic of `print!`.
pub fn print(text: impl AsRef<str>) -> Result<(), Unprintable> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_ref().as_bytes())
        .and_then(|()| out.flush())
        .map_err(Unprintable)
}

/// Whether the process logs JSON lines (`run --log-format json`): then every line it writes
/// is JSON, notes and errors too.
static JSON_LOG: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// From now on, notes and the final error are JSON log events (the tracing subscriber
/// writes them), not plain lines.
pub fn log_as_json() {
    JSON_LOG.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// Whether [`log_as_json`] was called.
pub fn json_log() -> bool {
    JSON_LOG.load(std::sync::atomic::Ordering::SeqCst)
}

#[cfg_attr(
    not(feature = "sim"),
    allow(dead_code, reason = "only the simulator's state warns so far")
)]
/// A warning for the person at the terminal: a plain `warning: …` line on stderr, or a JSON
/// log event under `--log-format json`.
pub fn warn(text: &str) {
    if json_log() {
        tracing::warn!("{text}");
    } else {
        eprintln!("warning: {text}");
    }
}
