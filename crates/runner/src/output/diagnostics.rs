//! Rendering `validate`'s diagnostics: text (miette reports on a terminal, plain
//! `file:line:column` lines elsewhere), a stable JSON document, and GitHub workflow commands.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource};
use model::layout::slash_path;
use model::{Diagnostic, Rule, Severity};

/// The version of the JSON output; fields may be added in later versions, never renamed.
pub(crate) const JSON_FORMAT_VERSION: u32 = 1;

/// What one validation found, ready to render.
#[derive(Debug)]
pub(crate) struct Report<'a> {
    /// Sorted by file, line and column.
    pub diagnostics: &'a [Diagnostic],
    /// Queues checked: every Queue document found, read or not.
    pub queues: usize,
    /// Of those, the queues with at least one error.
    pub queues_with_errors: usize,
    pub files: usize,
    /// The text of each file read, by its path relative to the repository.
    pub sources: &'a BTreeMap<PathBuf, Arc<str>>,
    /// The repository folder as given on the command line; paths are shown relative to the
    /// current folder (this folder joined with the file), the JSON keeps them as they are.
    pub root: &'a Path,
}

impl Report<'_> {
    pub(crate) fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    pub(crate) fn warnings(&self) -> usize {
        self.diagnostics.len() - self.errors()
    }

    pub(crate) fn is_valid(&self) -> bool {
        self.errors() == 0
    }

    /// `3 errors, 1 warning in 7 files: 12 queues checked, 2 with errors` or
    /// `ok: 12 queues in 7 files, 0 warnings`.
    pub(crate) fn summary(&self) -> String {
        let (e, w) = (self.errors(), self.warnings());
        let (q, f) = (self.queues, self.files);
        if e == 0 {
            format!(
                "ok: {} in {}, {}",
                plural(q, "queue"),
                plural(f, "file"),
                plural(w, "warning")
            )
        } else {
            format!(
                "{}, {} in {}: {} checked, {} with errors",
                plural(e, "error"),
                plural(w, "warning"),
                plural(f, "file"),
                plural(q, "queue"),
                self.queues_with_errors
            )
        }
    }

    fn display_path(&self, file: &Path) -> String {
        slash_path(&self.root.join(file))
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// The rule id, one form everywhere: `range` in `error[range]` (text, the run log), in
/// `"rule": "range"` (JSON, `/status`) and in the GitHub annotation's title.
fn code(rule: Rule) -> String {
    rule.code().to_string()
}

/// A few words under the source snippet, saying what is wrong at that place.
fn label(rule: Rule) -> &'static str {
    match rule {
        Rule::File => "cannot be read",
        Rule::Symlink => "symlink",
        Rule::EmptyFile => "no document",
        Rule::Parse => "here",
        Rule::UnknownField => "unknown field",
        Rule::DuplicateKey => "duplicate key",
        Rule::Kind => "unknown value",
        Rule::Range => "out of range",
        Rule::DuplicateName => "name used twice",
        Rule::ConfusableName => "looks like another name",
        Rule::DuplicateId => "id used twice",
        Rule::InvalidId => "not an id of this platform",
        Rule::OverflowTarget => "one of target / targetId",
        Rule::SelfOverflow => "overflows to itself",
        Rule::DanglingTarget => "no such queue",
        Rule::Cycle => "part of a cycle",
        Rule::Depth => "chain too long",
        Rule::SkillCount => "too many skills",
        Rule::DuplicateSkill => "skill repeated",
        Rule::License => "above the license",
        Rule::OverflowNeverFires => "never fires",
        Rule::DisabledOverflowTarget => "disabled",
        _ => "here",
    }
}

/// The byte range a diagnostic at `line:column` (1-based, column in characters) points at in
/// `source`: the YAML token that starts there. `None` when the place is unknown.
pub(crate) fn span_of(source: &str, line: u32, column: u32) -> Option<(usize, usize)> {
    if line == 0 {
        return None;
    }
    let mut start = 0;
    for _ in 1..line {
        start += source[start..].find('\n')? + 1;
    }
    let line_text = source[start..].split('\n').next().unwrap_or("");
    let line_text = line_text.strip_suffix('\r').unwrap_or(line_text);
    let col = column.max(1) as usize - 1;
    let at = line_text
        .char_indices()
        .nth(col)
        .map_or(line_text.len(), |(i, _)| i);
    Some((start + at, token_len(&line_text[at..])))
}

/// The length in bytes of the YAML token at the start of `rest`: a quoted scalar with its
/// quotes, or a plain scalar up to a flow indicator, a comment or a `: `.
fn token_len(rest: &str) -> usize {
    if let Some(q) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') {
        return rest[1..].find(q).map_or(rest.len(), |i| i + 2);
    }
    let mut end = rest.len();
    for (i, c) in rest.char_indices() {
        let key_end = c == ':' && rest[i + 1..].chars().next().is_none_or(char::is_whitespace);
        if matches!(c, ',' | '[' | ']' | '{' | '}' | '#') || key_end {
            end = i;
            break;
        }
    }
    rest[..end].trim_end().len()
}

/// How text output looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TextStyle {
    /// miette's graphical reports, unicode and colour: for a terminal.
    Graphical,
    /// Plain lines, each diagnostic starting with `file:line:column:`: for logs and pipes.
    Plain,
}

impl TextStyle {
    /// Graphical when stdout is a terminal, unless `NO_COLOR` is set (to anything but the
    /// empty string).
    pub(crate) fn detect() -> Self {
        Self::for_terminal(std::io::IsTerminal::is_terminal(&std::io::stdout()))
    }

    /// [`TextStyle::detect`] for output on stderr.
    pub(crate) fn detect_stderr() -> Self {
        Self::for_terminal(std::io::IsTerminal::is_terminal(&std::io::stderr()))
    }

    fn for_terminal(terminal: bool) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        if terminal && !no_color {
            TextStyle::Graphical
        } else {
            TextStyle::Plain
        }
    }
}

/// Every diagnostic, then the summary line.
pub(crate) fn text(report: &Report, style: TextStyle) -> String {
    let mut out = String::new();
    for d in report.diagnostics {
        match style {
            TextStyle::Graphical => graphical(&mut out, report, d),
            TextStyle::Plain => plain(&mut out, report, d),
        }
    }
    out.push_str(&report.summary());
    out.push('\n');
    out
}

fn graphical(out: &mut String, report: &Report, d: &Diagnostic) {
    let path = report.display_path(&d.file);
    let source = report.sources.get(&d.file);
    let span = source.and_then(|s| span_of(s, d.line, d.column));
    let message = match span {
        Some(_) => d.message.clone(),
        None if d.line > 0 => format!("{path}:{}:{}: {}", d.line, d.column, d.message),
        None => format!("{path}: {}", d.message),
    };
    let mut md = MietteDiagnostic::new(message)
        .with_code(code(d.rule))
        .with_severity(match d.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        });
    if let Some(h) = &d.hint {
        md = md.with_help(h.clone());
    }
    let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode());
    let rendered = match (source, span) {
        (Some(src), Some((offset, len))) => {
            let md = md.with_label(LabeledSpan::new_primary_with_span(
                Some(label(d.rule).to_string()),
                (offset, len),
            ));
            let report =
                miette::Report::new(md).with_source_code(NamedSource::new(path, Arc::clone(src)));
            render_with(&handler, report.as_ref())
        }
        _ => render_with(&handler, &md),
    };
    out.push_str(&rendered);
    out.push('\n');
}

fn render_with(handler: &GraphicalReportHandler, d: &dyn miette::Diagnostic) -> String {
    let mut s = String::new();
    // Writing into a String cannot fail.
    let _ = handler.render_report(&mut s, d);
    s
}

/// ```text
/// queues/a.yaml:12:16: error[range]: serviceLevelTarget.threshold is 101, outside 0–100
///    12 |     threshold: 101
///       |                ^^^ out of range
///   help: use a value from 0 to 100 (values are never clamped)
/// ```
fn plain(out: &mut String, report: &Report, d: &Diagnostic) {
    let path = report.display_path(&d.file);
    let place = match (d.line, d.column) {
        (0, _) => path,
        (l, 0) => format!("{path}:{l}"),
        (l, c) => format!("{path}:{l}:{c}"),
    };
    let _ = writeln!(
        out,
        "{place}: {}[{}]: {}",
        severity_word(d.severity),
        code(d.rule),
        d.message
    );
    if let Some(src) = report.sources.get(&d.file)
        && let Some((offset, len)) = span_of(src, d.line, d.column)
    {
        let line_start = src[..offset].rfind('\n').map_or(0, |i| i + 1);
        let line_text = src[line_start..].split('\n').next().unwrap_or("");
        let line_text = line_text.trim_end_matches('\r');
        let indent = src[line_start..offset].chars().count();
        let width = src[offset..offset + len].chars().count().max(1);
        let gutter = d.line.to_string().len();
        let _ = writeln!(out, " {:>gutter$} | {line_text}", d.line);
        let _ = writeln!(
            out,
            " {:>gutter$} | {}{} {}",
            "",
            " ".repeat(indent),
            "^".repeat(width),
            label(d.rule)
        );
    }
    if let Some(h) = &d.hint {
        let _ = writeln!(out, "  help: {h}");
    }
    out.push('\n');
}

/// `{"formatVersion": 1, "valid", "errors", "warnings", "queues", "queuesWithErrors",
/// "diagnostics": [...]}`.
pub(crate) fn json(report: &Report) -> String {
    let diagnostics: Vec<serde_json::Value> = report
        .diagnostics
        .iter()
        .map(|d| {
            serde_json::json!({
                "severity": severity_word(d.severity),
                "rule": code(d.rule),
                "ruleNumber": d.rule.number(),
                "file": slash_path(&d.file),
                "line": d.line,
                "column": d.column,
                "message": d.message,
                "hint": d.hint,
            })
        })
        .collect();
    let doc = serde_json::json!({
        "formatVersion": JSON_FORMAT_VERSION,
        "valid": report.is_valid(),
        "errors": report.errors(),
        "warnings": report.warnings(),
        "queues": report.queues,
        "queuesWithErrors": report.queues_with_errors,
        "diagnostics": diagnostics,
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("a JSON value serializes");
    s.push('\n');
    s
}

/// One `::error` / `::warning` workflow command per diagnostic, then the summary line.
pub(crate) fn github(report: &Report) -> String {
    let mut out = String::new();
    for d in report.diagnostics {
        let mut props = format!("file={}", escape_property(&report.display_path(&d.file)));
        if d.line > 0 {
            let _ = write!(props, ",line={}", d.line);
            if d.column > 0 {
                let _ = write!(props, ",col={}", d.column);
            }
        }
        let _ = write!(
            props,
            ",title={}",
            escape_property(&format!("{}[{}]", severity_word(d.severity), code(d.rule)))
        );
        let message = match &d.hint {
            Some(h) => format!("{}; help: {h}", d.message),
            None => d.message.clone(),
        };
        let _ = writeln!(
            out,
            "::{} {props}::{}",
            severity_word(d.severity),
            escape_data(&message)
        );
    }
    out.push_str(&report.summary());
    out.push('\n');
    out
}

/// A workflow command's message: `%`, CR and LF escaped.
pub(crate) fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property value: as data, and `:` and `,` too.
pub(crate) fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_span_covers_the_plain_scalar_at_the_line_and_column() {
        let src = "a: 1\nspec:\n  maxWaiters: 101 # too many\n";
        let (start, len) = span_of(src, 3, 15).unwrap();
        assert_eq!(&src[start..start + len], "101");
    }

    #[test]
    fn a_span_on_a_key_stops_before_the_colon() {
        let src = "spec:\n  maxWaiter: 5\n";
        let (start, len) = span_of(src, 2, 3).unwrap();
        assert_eq!(&src[start..start + len], "maxWaiter");
    }

    #[test]
    fn a_span_covers_a_quoted_scalar_with_its_quotes() {
        let src = "x: {target: \"Sales, EU\", waitTime: 30}\n";
        let (start, len) = span_of(src, 1, 13).unwrap();
        assert_eq!(&src[start..start + len], "\"Sales, EU\"");
    }

    #[test]
    fn a_span_counts_columns_in_characters_not_bytes() {
        let src = "description: é ü 7\n";
        let (start, len) = span_of(src, 1, 18).unwrap();
        assert_eq!(&src[start..start + len], "7");
    }

    #[test]
    fn a_span_past_the_end_of_the_file_is_none_and_an_unknown_line_is_none() {
        assert_eq!(span_of("a: 1\n", 5, 1), None);
        assert_eq!(span_of("a: 1\n", 0, 0), None);
    }

    #[test]
    fn a_span_past_the_end_of_a_line_is_empty_at_the_line_end() {
        let src = "ab\ncd\n";
        assert_eq!(span_of(src, 1, 9), Some((2, 0)));
    }

    fn one_range_error() -> (Vec<Diagnostic>, BTreeMap<PathBuf, Arc<str>>) {
        let diag = Diagnostic::error(
            Rule::Range,
            "queues/a.yaml",
            model::Loc::new(2, 15),
            "maxWaiters is 101, outside 1–100",
        )
        .with_hint("use a value from 1 to 100");
        let sources = BTreeMap::from([(
            PathBuf::from("queues/a.yaml"),
            Arc::from("spec:\n  maxWaiters: 101\n"),
        )]);
        (vec![diag], sources)
    }

    /// A report of one queue in one file, with an error, under the current folder.
    fn one_queue<'a>(
        diagnostics: &'a [Diagnostic],
        sources: &'a BTreeMap<PathBuf, Arc<str>>,
    ) -> Report<'a> {
        Report {
            diagnostics,
            queues: 1,
            queues_with_errors: 1,
            files: 1,
            sources,
            root: Path::new("."),
        }
    }

    #[test]
    fn the_rule_id_has_one_form_in_text_json_github_and_the_run_log() {
        let (diags, sources) = one_range_error();
        let report = one_queue(&diags, &sources);
        let plain = text(&report, TextStyle::Plain);
        assert!(plain.contains("error[range]: maxWaiters"), "{plain}");
        let doc: serde_json::Value = serde_json::from_str(&json(&report)).expect("JSON");
        assert_eq!(doc["diagnostics"][0]["rule"], "range");
        let gh = github(&report);
        assert!(gh.contains("title=error[range]::"), "{gh}");
        // The run log writes a diagnostic with its Display: the same `error[range]`.
        assert!(
            diags[0].to_string().contains("error[range]: "),
            "{}",
            diags[0]
        );
        for out in [&plain, &gh, &diags[0].to_string()] {
            assert!(!out.contains("cxqueues::"), "{out}");
        }
    }

    #[test]
    fn a_hint_in_a_github_annotation_adds_no_nested_parentheses() {
        let diag = Diagnostic::error(Rule::Range, "a.yaml", model::Loc::new(1, 1), "x is 0")
            .with_hint("use a value from 1 to 100 (values are never clamped)");
        let diags = [diag];
        let sources = BTreeMap::new();
        let report = one_queue(&diags, &sources);
        let gh = github(&report);
        assert!(
            gh.contains("::x is 0; help: use a value from 1 to 100 (values are never clamped)"),
            "{gh}"
        );
    }

    #[test]
    fn graphical_text_is_a_miette_report_with_code_location_label_and_help() {
        let (diags, sources) = one_range_error();
        let report = one_queue(&diags, &sources);
        let text = text(&report, TextStyle::Graphical);
        for part in [
            "range",
            "maxWaiters is 101, outside 1–100",
            "queues/a.yaml:2:15",
            "maxWaiters: 101",
            "out of range",
            "use a value from 1 to 100",
        ] {
            assert!(text.contains(part), "{part:?} not in\n{text}");
        }
        assert!(
            text.ends_with("1 error, 0 warnings in 1 file: 1 queue checked, 1 with errors\n"),
            "{text}"
        );
    }

    #[test]
    fn a_diagnostic_without_a_place_names_its_file_in_both_text_styles() {
        let diags = vec![Diagnostic::error(
            Rule::Symlink,
            "queues/out.yaml",
            model::Loc::UNKNOWN,
            "symlink leaves the repository",
        )];
        let sources = BTreeMap::new();
        let report = Report {
            diagnostics: &diags,
            queues: 0,
            queues_with_errors: 0,
            files: 1,
            sources: &sources,
            root: Path::new("repo"),
        };
        let plain = text(&report, TextStyle::Plain);
        assert!(
            plain.starts_with("repo/queues/out.yaml: error[symlink]: symlink leaves"),
            "{plain}"
        );
        let graphical = text(&report, TextStyle::Graphical);
        assert!(
            graphical.contains("repo/queues/out.yaml: symlink leaves the repository"),
            "{graphical}"
        );
        let github = github(&report);
        assert!(
            github.starts_with("::error file=repo/queues/out.yaml,title=error[symlink]::"),
            "{github}"
        );
    }

    #[test]
    fn json_keeps_repository_relative_paths_and_a_null_hint() {
        let (mut diags, sources) = one_range_error();
        diags[0].hint = None;
        let report = Report {
            diagnostics: &diags,
            queues: 1,
            queues_with_errors: 1,
            files: 1,
            sources: &sources,
            root: Path::new("some/repo"),
        };
        let doc: serde_json::Value = serde_json::from_str(&json(&report)).unwrap();
        assert_eq!(doc["diagnostics"][0]["file"], "queues/a.yaml");
        assert_eq!(doc["diagnostics"][0]["ruleNumber"], 1);
        assert!(doc["diagnostics"][0]["hint"].is_null());
        assert_eq!(doc["valid"], false);
    }

    #[test]
    fn workflow_command_values_escape_percent_newlines_and_in_properties_colons_and_commas() {
        assert_eq!(escape_data("50% a\r\nb: c, d"), "50%25 a%0D%0Ab: c, d");
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
    }

    #[test]
    fn paths_are_shown_with_slashes_and_without_the_current_folder() {
        assert_eq!(slash_path(Path::new("./queues/a.yaml")), "queues/a.yaml");
        assert_eq!(
            slash_path(&Path::new("tests/corpus/x").join("queues/a.yaml")),
            "tests/corpus/x/queues/a.yaml"
        );
    }
}
