//! Text read from files on its way to a terminal or back from bytes.
//!
//! A name in a session, a history record or a device list is whatever its file says, and a
//! terminal obeys control characters: a channel called `"\u001b]0;pwned\u0007"` would retitle
//! the window and `"\u001b[2J"` clear the screen. Everything that shows such a name (the
//! commands' output, error messages, the console) shows it through [`escape`], which writes
//! control characters visibly instead. The stored name is never changed: a session file saves
//! back exactly as it was written.
//!
//! [`decode`] turns a file's bytes into text, or says on which line, column and byte the file
//! stops being UTF-8.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

/// Whether `c` must not reach a terminal as it is: C0 control characters (tab and line feed
/// included), DEL, C1 control characters (U+0080-U+009F, which some terminals obey as ESC
/// sequences), and the bidirectional embeddings, overrides and isolates (U+202A-U+202E,
/// U+2066-U+2069) that can make a line read in another order than it is written.
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every character [`is_unsafe`] names written visibly: `\e` (ESC), `\a` (BEL),
/// `\b`, `\t`, `\n`, `\v`, `\f`, `\r`, `\0`; `\x01`-`\x1f` and `\x7f` for the other C0
/// controls and DEL; `\u{9b}` for C1 controls and `\u{202e}` for bidirectional controls.
/// Everything else is kept, backslashes included. Borrowed when there is nothing to escape.
pub fn escape(text: &str) -> Cow<'_, str> {
    escape_with(text, |_| false)
}

/// [`escape`], keeping line feeds: for messages of several lines.
pub fn escape_lines(text: &str) -> Cow<'_, str> {
    escape_with(text, |c| c == '\n')
}

fn escape_with(text: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    let bad = |c: char| is_unsafe(c) && !keep(c);
    let Some(first) = text.find(bad) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len() + 8);
    out.push_str(&text[..first]);
    for c in text[first..].chars() {
        if bad(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Appends the visible form of one unsafe character.
fn push_escaped(out: &mut String, c: char) {
    let short = match c {
        '\0' => "\\0",
        '\u{7}' => "\\a",
        '\u{8}' => "\\b",
        '\t' => "\\t",
        '\n' => "\\n",
        '\u{b}' => "\\v",
        '\u{c}' => "\\f",
        '\r' => "\\r",
        '\u{1b}' => "\\e",
        _ => "",
    };
    if !short.is_empty() {
        out.push_str(short);
    } else if (c as u32) < 0x80 {
        let _ = write!(out, "\\x{:02x}", c as u32);
    } else {
        let _ = write!(out, "\\u{{{:x}}}", c as u32);
    }
}

/// JSON text (as `serde_json` writes it) with the characters [`is_unsafe`] names that JSON
/// leaves raw (DEL, C1 and bidirectional controls) written as `\uXXXX` escapes, so the document
/// is safe to show in a terminal and still decodes to the same values. JSON's own syntax is
/// ASCII, so such characters can only be inside strings.
pub fn json_safe(json: String) -> String {
    if !json.contains(is_unsafe) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        // Line feeds and tabs here are the pretty printer's layout: strings escape their own.
        if is_unsafe(c) && !matches!(c, '\n' | '\t' | '\r') {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

/// Where a file stops being UTF-8 text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotUtf8 {
    /// The line, counted from 1.
    pub line: usize,
    /// The column in characters, counted from 1.
    pub column: usize,
    /// The first byte that is not part of UTF-8 text.
    pub byte: u8,
    /// Its offset in the file, counted from 0.
    pub offset: usize,
    /// Whether the file starts with a UTF-16 byte order mark.
    pub utf16: bool,
}

/// Reads as "not UTF-8 text (byte 0xNN at byte offset N)", and says when the file looks like
/// UTF-16. The caller puts the file, line and column in front.
impl fmt::Display for NotUtf8 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "not UTF-8 text (byte 0x{:02X} at byte offset {})",
            self.byte, self.offset
        )?;
        if self.utf16 {
            f.write_str("; the file looks like UTF-16: save it as UTF-8")?;
        }
        Ok(())
    }
}

/// A file's bytes as text, or where they stop being UTF-8.
pub fn decode(bytes: Vec<u8>) -> Result<String, NotUtf8> {
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(e) => Err(not_utf8(e.as_bytes(), e.utf8_error().valid_up_to())),
    }
}

/// [`decode`] for a slice (one line of a file, say).
pub fn decode_slice(bytes: &[u8]) -> Result<&str, NotUtf8> {
    std::str::from_utf8(bytes).map_err(|e| not_utf8(bytes, e.valid_up_to()))
}

fn not_utf8(bytes: &[u8], offset: usize) -> NotUtf8 {
    let valid = &bytes[..offset];
    let line_start = valid
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |at| at + 1);
    // Everything before `offset` is valid UTF-8, and so is any part of it from a line start.
    let column = std::str::from_utf8(&valid[line_start..]).map_or(0, |s| s.chars().count()) + 1;
    NotUtf8 {
        line: valid.split(|&b| b == b'\n').count(),
        column,
        byte: bytes[offset],
        offset,
        utf16: bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Terminal control sequences in a name come out as visible text with no control character
    /// left, and ordinary names (accents, wide letters, backslashes) are kept as they are.
    #[test]
    fn escape_shows_control_characters() {
        assert_eq!(
            escape("\u{1b}]0;pwned\u{7}\u{1b}[2J"),
            "\\e]0;pwned\\a\\e[2J"
        );
        assert_eq!(escape("a\tb\r\nc\0"), "a\\tb\\r\\nc\\0");
        assert_eq!(escape("\u{1}\u{7f}"), "\\x01\\x7f");
        assert_eq!(escape("\u{9b}31m"), "\\u{9b}31m");
        assert_eq!(escape("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(escape("x\u{2066}y\u{2069}"), "x\\u{2066}y\\u{2069}");
        for plain in ["Bass", "Gitarre – ä", "漢字", "C:\\stems", "שלום"] {
            assert!(matches!(escape(plain), Cow::Borrowed(_)), "{plain}");
        }
        let all: String = (0..=0x20_u32)
            .chain(0x7f..=0xa0)
            .chain(0x202a..=0x202e)
            .chain(0x2066..=0x2069)
            .filter_map(char::from_u32)
            .collect();
        assert!(!escape(&all).contains(is_unsafe));
        assert_eq!(escape_lines("one\u{1b}\ntwo"), "one\\e\ntwo");
    }

    /// JSON keeps its values and loses every raw character a terminal could obey.
    #[test]
    fn json_safe_keeps_values() {
        let name = "a\u{1b}b\u{7f}c\u{9b}d\u{202e}e";
        let json = serde_json::to_string_pretty(&serde_json::json!({ "name": name })).unwrap();
        assert!(json.contains('\u{9b}'));
        let safe = json_safe(json);
        assert!(
            !safe.contains(|c: char| is_unsafe(c) && c != '\n'),
            "{safe}"
        );
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back["name"], name);
    }

    /// The first byte that is not UTF-8 is found with its line, column (in characters) and
    /// offset.
    #[test]
    fn decode_names_the_first_bad_byte() {
        assert_eq!(decode(b"version = 1\n".to_vec()).unwrap(), "version = 1\n");
        let bad = decode(b"version = 1\nname = \"\xc3\xa4\xff\"\n".to_vec()).unwrap_err();
        assert_eq!(
            bad,
            NotUtf8 {
                line: 2,
                column: 10,
                byte: 0xff,
                offset: 22,
                utf16: false
            }
        );
        assert_eq!(
            bad.to_string(),
            "not UTF-8 text (byte 0xFF at byte offset 22)"
        );
        // A sequence cut short at the end of the file.
        let cut = decode(b"ab\xe2\x82".to_vec()).unwrap_err();
        assert_eq!(
            (cut.line, cut.column, cut.byte, cut.offset),
            (1, 3, 0xe2, 2)
        );
        let wide = decode(b"\xff\xfev\x00".to_vec()).unwrap_err();
        assert!(wide.to_string().contains("UTF-16"), "{wide}");
        assert_eq!(decode_slice(b"ok"), Ok("ok"));
        assert_eq!(decode_slice(b"o\x80").unwrap_err().column, 2);
    }
}
