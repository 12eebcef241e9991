//! What can go wrong reading or writing a session file, written for the person editing it.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// One problem found in a session file.
///
/// Displays as one line an editor can jump to:
///
/// ```text
/// demo.toml:14:11: channel[2].gain_db = 20.0: the fader goes from -inf (off) to +12 dB
/// ```
///
/// `key` is a path into the file. Tables of an array are counted from 1 in file order, as a
/// reader counts them: `channel[2]` is the second `[[channel]]` table, `section[1]` the first
/// `[[section]]`. Keys that are not plain words are quoted: `section[3].gain_db."Lead vocal"`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.line_text())]
pub struct SessionError {
    /// The session file.
    pub file: PathBuf,
    /// The line, counted from 1; 0 when the problem is not at one place in the file (the file
    /// cannot be read at all).
    pub line: usize,
    /// The column in characters, counted from 1; 0 together with `line`.
    pub column: usize,
    /// Where in the file's structure: `channel[2].gain_db`, `section[1].start`, `version`.
    /// Empty for problems with the whole file.
    pub key: String,
    /// The offending value exactly as written in the file (strings keep their quotes), when
    /// there is one.
    pub value: Option<String>,
    /// What is wrong and what is allowed.
    pub message: String,
}

impl SessionError {
    /// A problem with the whole file rather than a place in it.
    pub fn whole_file(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            line: 0,
            column: 0,
            key: String::new(),
            value: None,
            message: message.into(),
        }
    }

    /// Whether the error points at a line and column.
    pub fn has_location(&self) -> bool {
        self.line > 0
    }

    fn line_text(&self) -> String {
        let mut out = self.file.display().to_string();
        if self.has_location() {
            out.push(':');
            out.push_str(&self.line.to_string());
            out.push(':');
            out.push_str(&self.column.to_string());
        }
        out.push_str(": ");
        if !self.key.is_empty() {
            out.push_str(&self.key);
            if let Some(value) = &self.value {
                out.push_str(" = ");
                out.push_str(value);
            }
            out.push_str(": ");
        }
        out.push_str(&self.message);
        // One line whatever the file holds: a value or a file name from it may hold line breaks
        // or a terminal's escape sequences.
        crate::text::escape(&out).into_owned()
    }
}

/// Every problem found in one attempt to load a session file (never empty when returned by
/// [`load`](super::load)), in file order.
///
/// Displays one problem per line, followed by a count when there is more than one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionErrors(pub Vec<SessionError>);

impl SessionErrors {
    /// The problems, in file order.
    pub fn iter(&self) -> std::slice::Iter<'_, SessionError> {
        self.0.iter()
    }

    /// How many problems there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for SessionErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        if self.0.len() > 1 {
            let file = self.0[0].file.display();
            write!(f, "\n{} problems in {file}", self.0.len())?;
        }
        Ok(())
    }
}

impl std::error::Error for SessionErrors {}

impl From<SessionError> for SessionErrors {
    fn from(error: SessionError) -> Self {
        Self(vec![error])
    }
}

impl<'a> IntoIterator for &'a SessionErrors {
    type Item = &'a SessionError;
    type IntoIter = std::slice::Iter<'a, SessionError>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl IntoIterator for SessionErrors {
    type Item = SessionError;
    type IntoIter = std::vec::IntoIter<SessionError>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// Why a session could not be saved. In every case the file on disk is as it was before.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// The existing file could not be read (to keep its comments and layout).
    #[error("cannot save {}: reading the existing file failed: {error}", path.display())]
    Read { path: PathBuf, error: io::Error },
    /// The existing file is no longer valid TOML, so its layout cannot be kept; it is left
    /// alone rather than overwritten.
    #[error(
        "cannot save {}: the file on disk is not valid TOML any more ({line}:{column}: {message}); \
         fix or move it, then save again",
        path.display()
    )]
    NotToml {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// Writing the new contents failed.
    #[error("cannot save {}: {action} failed: {error}", path.display())]
    Write {
        path: PathBuf,
        action: &'static str,
        error: io::Error,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(key: &str, value: Option<&str>) -> SessionError {
        SessionError {
            file: PathBuf::from("demo.toml"),
            line: 14,
            column: 11,
            key: key.into(),
            value: value.map(Into::into),
            message: "the fader goes from -inf (off) to +12 dB".into(),
        }
    }

    /// One error displays as `file:line:column: key = value: message`.
    #[test]
    fn error_line_has_file_position_key_value_and_message() {
        assert_eq!(
            error("channel[2].gain_db", Some("20.0")).to_string(),
            "demo.toml:14:11: channel[2].gain_db = 20.0: the fader goes from -inf (off) to +12 dB"
        );
        assert_eq!(
            error("channel[2].gain_db", None).to_string(),
            "demo.toml:14:11: channel[2].gain_db: the fader goes from -inf (off) to +12 dB"
        );
        assert_eq!(
            SessionError::whole_file("demo.toml", "cannot read it").to_string(),
            "demo.toml: cannot read it"
        );
    }

    /// Several errors print one per line with a count at the end; one prints alone.
    #[test]
    fn errors_print_one_per_line_with_a_count() {
        let one = SessionErrors(vec![error("a", None)]);
        assert_eq!(one.to_string().lines().count(), 1);
        let two = SessionErrors(vec![error("a", None), error("b", Some("1"))]);
        let text = two.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].contains(": a: "));
        assert!(lines[1].contains(": b = 1: "));
        assert_eq!(lines[2], "2 problems in demo.toml");
    }
}
