//! Turning byte spans in a session file into the line, column, key path and value text that
//! every [`SessionError`] carries.

use std::ops::Range;
use std::path::Path;

use toml_edit::{Item, TableLike, Value};

use super::SessionError;

/// Longest value text quoted in an error before it is shortened.
const MAX_VALUE_CHARS: usize = 60;

/// The text of a session file, with what is needed to point into it.
pub(crate) struct Source<'a> {
    path: &'a Path,
    text: &'a str,
    /// Byte offset where each line starts.
    line_starts: Vec<usize>,
}

impl<'a> Source<'a> {
    pub(crate) fn new(path: &'a Path, text: &'a str) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self {
            path,
            text,
            line_starts,
        }
    }

    pub(crate) fn path(&self) -> &'a Path {
        self.path
    }

    pub(crate) fn text(&self) -> &'a str {
        self.text
    }

    /// The 1-based line and column (in characters) of a byte offset.
    pub(crate) fn line_column(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(self.text, offset.min(self.text.len()));
        let line = self
            .line_starts
            .partition_point(|&start| start <= offset)
            .max(1);
        let start = self.line_starts[line - 1];
        let column = self.text[start..offset].chars().count() + 1;
        (line, column)
    }

    /// The text of a span as written, on one line and shortened if long.
    pub(crate) fn snippet(&self, span: &Range<usize>) -> String {
        let start = floor_char_boundary(self.text, span.start.min(self.text.len()));
        let end = floor_char_boundary(self.text, span.end.clamp(start, self.text.len()));
        let raw = &self.text[start..end];
        let first_line = raw.lines().next().unwrap_or("").trim_end();
        let shortened = first_line.len() < raw.trim_end().len();
        if first_line.chars().count() > MAX_VALUE_CHARS {
            let cut: String = first_line.chars().take(MAX_VALUE_CHARS).collect();
            format!("{cut}…")
        } else if shortened {
            format!("{first_line} …")
        } else {
            first_line.to_string()
        }
    }

    /// An error at a span, quoting the span's text as the value.
    pub(crate) fn error(
        &self,
        span: &Range<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> SessionError {
        let mut error = self.error_at(span.start, key, message);
        error.value = Some(self.snippet(span));
        error
    }

    /// An error at a byte offset, with no value.
    pub(crate) fn error_at(
        &self,
        offset: usize,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> SessionError {
        let (line, column) = self.line_column(offset);
        SessionError {
            file: self.path.to_path_buf(),
            line,
            column,
            key: key.into(),
            value: None,
            message: message.into(),
        }
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// A key as it appears in a key path: plain words as they are, anything else quoted.
pub(crate) fn key_segment(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        key.to_string()
    } else {
        format!("{key:?}")
    }
}

/// Joins a key path and one more key.
pub(crate) fn join_key(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key_segment(key)
    } else {
        format!("{prefix}.{}", key_segment(key))
    }
}

/// The key path (`channel[2].gain_db`) of whatever sits at a byte offset of a parsed document:
/// a key, a value, or a table header. `None` when the offset is between items.
pub(crate) fn key_path_at(doc: &toml_edit::Document<&str>, offset: usize) -> Option<String> {
    let mut found = None;
    walk_table(doc.as_table(), "", offset, &mut found);
    found
}

fn contains(span: Option<Range<usize>>, offset: usize) -> bool {
    span.is_some_and(|s| s.contains(&offset) || (s.is_empty() && s.start == offset))
}

fn walk_table(table: &dyn TableLike, prefix: &str, offset: usize, found: &mut Option<String>) {
    for (name, item) in table.iter() {
        let path = join_key(prefix, name);
        let key_span = table.key(name).and_then(toml_edit::Key::span);
        if contains(key_span, offset) {
            *found = Some(path.clone());
        }
        walk_item(item, &path, offset, found);
    }
}

fn walk_item(item: &Item, path: &str, offset: usize, found: &mut Option<String>) {
    match item {
        Item::None => {}
        Item::Value(value) => walk_value(value, path, offset, found),
        Item::Table(table) => {
            if contains(table.span(), offset) {
                *found = Some(path.to_string());
            }
            walk_table(table, path, offset, found);
        }
        Item::ArrayOfTables(array) => {
            for (i, table) in array.iter().enumerate() {
                let path = format!("{path}[{}]", i + 1);
                if contains(table.span(), offset) {
                    *found = Some(path.clone());
                }
                walk_table(table, &path, offset, found);
            }
        }
    }
}

fn walk_value(value: &Value, path: &str, offset: usize, found: &mut Option<String>) {
    if !contains(value.span(), offset) {
        return;
    }
    *found = Some(path.to_string());
    match value {
        Value::InlineTable(table) => walk_table(table, path, offset, found),
        Value::Array(array) => {
            for (i, element) in array.iter().enumerate() {
                walk_value(element, &format!("{path}[{}]", i + 1), offset, found);
            }
        }
        _ => {}
    }
}

/// A best guess at the key path of a line in a file that is not valid TOML: the table headers
/// above it, counted as a reader counts them, and the key at the start of the line.
pub(crate) fn key_path_by_text(text: &str, offset: usize) -> String {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let mut table = String::new();
    let mut counts: Vec<(String, usize)> = Vec::new();
    for line in text[..line_start].lines() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix("[[").and_then(|l| l.split("]]").next()) {
            let name = name.trim().to_string();
            let count = if let Some((_, count)) = counts.iter_mut().find(|(n, _)| *n == name) {
                *count += 1;
                *count
            } else {
                counts.push((name.clone(), 1));
                1
            };
            table = format!("{name}[{count}]");
        } else if let Some(name) = line.strip_prefix('[').and_then(|l| l.split(']').next()) {
            table = name.trim().to_string();
        }
    }
    let line = text[line_start..].lines().next().unwrap_or("");
    let key = line
        .split_once('=')
        .map(|(key, _)| key.trim())
        .filter(|key| !key.is_empty() && !key.starts_with('[') && !key.starts_with('#'))
        .map(|key| key.trim_matches(|c| c == '"' || c == '\''));
    match key {
        Some(key) => join_key_raw(&table, &key_segment(key)),
        None => table,
    }
}

fn join_key_raw(prefix: &str, segment: &str) -> String {
    if prefix.is_empty() {
        segment.to_string()
    } else {
        format!("{prefix}.{segment}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Byte offsets become 1-based line and character columns, also after multi-byte text.
    #[test]
    fn offsets_become_lines_and_columns() {
        let text = "a = 1\nname = \"Café\" # x\n\nb = 2";
        let source = Source::new(Path::new("s.toml"), text);
        assert_eq!(source.line_column(0), (1, 1));
        assert_eq!(source.line_column(4), (1, 5));
        assert_eq!(source.line_column(6), (2, 1));
        let hash = text.find('#').unwrap();
        assert_eq!(source.line_column(hash), (2, 15));
        assert_eq!(source.line_column(text.len()), (4, 6));
        assert_eq!(source.line_column(text.find("b =").unwrap()), (4, 1));
    }

    /// Snippets quote the value as written and shorten long or multi-line values.
    #[test]
    fn snippets_are_one_short_line() {
        let text = "a = \"x\"\nb = [\n 1,\n 2 ]\n";
        let source = Source::new(Path::new("s.toml"), text);
        assert_eq!(source.snippet(&(4..7)), "\"x\"");
        let array = text.find('[').unwrap();
        assert_eq!(source.snippet(&(array..text.len() - 1)), "[ …");
        let long = format!("a = \"{}\"", "y".repeat(100));
        let source = Source::new(Path::new("s.toml"), &long);
        assert!(source.snippet(&(4..long.len())).ends_with('…'));
    }

    /// Keys, values and table headers map back to key paths with 1-based table indices.
    #[test]
    fn key_paths_from_offsets() {
        let text = "version = 1\n[[channel]]\nname = \"a\"\n[[channel]]\nname = \"b\"\n\
                    colour = 3\n[[section]]\ngain_db = { \"Lead vocal\" = 1 }\n";
        let doc = toml_edit::Document::parse(text).unwrap();
        let at = |needle: &str| key_path_at(&doc, text.find(needle).unwrap());
        assert_eq!(at("version").as_deref(), Some("version"));
        assert_eq!(at("colour").as_deref(), Some("channel[2].colour"));
        assert_eq!(at("3\n").as_deref(), Some("channel[2].colour"));
        assert_eq!(at("\"b\"").as_deref(), Some("channel[2].name"));
        assert_eq!(
            at("1 }").as_deref(),
            Some("section[1].gain_db.\"Lead vocal\"")
        );
        assert_eq!(at("[[section]]").as_deref(), Some("section[1]"));
    }

    /// Without a parse, the key path comes from the headers above and the key on the line.
    #[test]
    fn key_paths_from_text() {
        let text = "version = 1\n[[channel]]\nname = \"a\"\n[[channel]]\nname = \n[reference]\n";
        assert_eq!(
            key_path_by_text(text, text.find("name = \n").unwrap() + 6),
            "channel[2].name"
        );
        assert_eq!(key_path_by_text(text, 3), "version");
        assert_eq!(key_path_by_text(text, text.len()), "reference");
    }
}
