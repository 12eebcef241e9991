//! Which key does what (UI thread): `config/keymap.toml` (built into the binary) overlaid by the
//! user's `keymap.toml` in the XDG config directory. A user's list for an action replaces that
//! action's keys; unknown actions, bad keys and a key bound to two actions of one [`Context`]
//! are errors that name the file, line, key and value. The help screen is generated from the map.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use toml_edit::{Item, Value};

use super::action::Action;
use super::context::Context;
use crate::session::SessionError;
use crate::session::locate::{Source, join_key, key_path_by_text};

/// The shipped keymap, documented for users to copy.
pub const DEFAULT_KEYMAP: &str = include_str!("../../config/keymap.toml");

/// The keymap file version this earmix reads.
pub const KEYMAP_VERSION: i64 = 1;

/// A problem in a keymap file (same one-line form as a session error:
/// `file:line:col: key = value: message`).
pub type KeymapError = SessionError;

/// Key names a key spec may use, as the help screen writes them.
const NAMED_KEYS: &[(&str, KeyCode)] = &[
    ("Up", KeyCode::Up),
    ("Down", KeyCode::Down),
    ("Left", KeyCode::Left),
    ("Right", KeyCode::Right),
    ("Home", KeyCode::Home),
    ("End", KeyCode::End),
    ("PageUp", KeyCode::PageUp),
    ("PageDown", KeyCode::PageDown),
    ("Tab", KeyCode::Tab),
    ("BackTab", KeyCode::BackTab),
    ("Enter", KeyCode::Enter),
    ("Esc", KeyCode::Esc),
    ("Space", KeyCode::Char(' ')),
    ("Backspace", KeyCode::Backspace),
    ("Delete", KeyCode::Delete),
    ("Insert", KeyCode::Insert),
];

/// What a key spec may be, for error messages.
const KEY_GRAMMAR: &str = "a key is one character (\"k\", \"K\", \"<\") or Up, Down, Left, Right, \
     Home, End, PageUp, PageDown, Tab, BackTab, Enter, Esc, Space, Backspace, Delete, Insert, \
     F1 to F12, with optional ctrl+, alt+ or shift+ in front (\"ctrl+s\", \"shift+Up\")";

/// One key with its modifiers, normalised so that every way a terminal reports it compares
/// equal: a character carries its own shift (`K` with or without SHIFT reported, and `shift+k`,
/// are all `K`; `?` is `?` whatever the shift state), and shift+Tab is `BackTab`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    code: KeyCode,
    modifiers: KeyModifiers,
}

impl Key {
    /// The normalised key for a key code and modifiers as crossterm reports them.
    pub fn new(code: KeyCode, modifiers: KeyModifiers) -> Self {
        let mut code = code;
        let mut modifiers = modifiers;
        match code {
            KeyCode::Char(c) => {
                if modifiers.contains(KeyModifiers::SHIFT) && c.is_lowercase() {
                    let mut upper = c.to_uppercase();
                    if let (Some(u), None) = (upper.next(), upper.next()) {
                        code = KeyCode::Char(u);
                    }
                }
                modifiers.remove(KeyModifiers::SHIFT);
            }
            KeyCode::Tab if modifiers.contains(KeyModifiers::SHIFT) => {
                code = KeyCode::BackTab;
                modifiers.remove(KeyModifiers::SHIFT);
            }
            KeyCode::BackTab => modifiers.remove(KeyModifiers::SHIFT),
            _ => {}
        }
        Self { code, modifiers }
    }

    /// The key of a crossterm key event (whatever its kind).
    pub fn from_event(event: &KeyEvent) -> Self {
        Self::new(event.code, event.modifiers)
    }

    /// The key code after normalisation.
    pub fn code(&self) -> KeyCode {
        self.code
    }

    /// The modifiers after normalisation (never SHIFT with a character).
    pub fn modifiers(&self) -> KeyModifiers {
        self.modifiers
    }
}

/// Writes the key as a key spec (`ctrl+r`, `shift+Up`, `K`, `Space`); keys that a spec cannot
/// name (media keys, super+…) are written as crossterm names them.
impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (flag, prefix) in [
            (KeyModifiers::CONTROL, "ctrl+"),
            (KeyModifiers::ALT, "alt+"),
            (KeyModifiers::SHIFT, "shift+"),
            (KeyModifiers::SUPER, "super+"),
            (KeyModifiers::HYPER, "hyper+"),
            (KeyModifiers::META, "meta+"),
        ] {
            if self.modifiers.contains(flag) {
                f.write_str(prefix)?;
            }
        }
        if let Some((name, _)) = NAMED_KEYS.iter().find(|(_, code)| *code == self.code) {
            return f.write_str(name);
        }
        match self.code {
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "F{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// Why a key spec could not be read; the message says what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct KeySpecError(String);

/// Reads a key spec: optional `ctrl+`, `alt+`, `shift+` (any case, any order) and a key, which
/// is one character or a name (`Up`, `PageDown`, `F5`, …; names in any case).
impl FromStr for Key {
    type Err = KeySpecError;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let mut modifiers = KeyModifiers::NONE;
        let mut rest = spec;
        while rest.chars().count() > 1 {
            let Some((prefix, tail)) = rest.split_once('+') else {
                break;
            };
            let flag = match prefix.to_ascii_lowercase().as_str() {
                "ctrl" => KeyModifiers::CONTROL,
                "alt" => KeyModifiers::ALT,
                "shift" => KeyModifiers::SHIFT,
                _ => break,
            };
            if tail.is_empty() {
                return Err(KeySpecError(format!(
                    "the key is missing after `{prefix}+`; {KEY_GRAMMAR}"
                )));
            }
            modifiers |= flag;
            rest = tail;
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (None, _) => return Err(KeySpecError(format!("the key is empty; {KEY_GRAMMAR}"))),
            (Some(c), None) if c.is_control() => {
                return Err(KeySpecError(format!(
                    "a control character is not a key name; {KEY_GRAMMAR}"
                )));
            }
            (Some(c), None) => KeyCode::Char(c),
            _ => named_key(rest).ok_or_else(|| {
                KeySpecError(format!("`{rest}` is not a key name; {KEY_GRAMMAR}"))
            })?,
        };
        if let KeyCode::Char(c) = code
            && modifiers.contains(KeyModifiers::SHIFT)
            && !(c.is_lowercase() || c.is_uppercase())
        {
            let what = if c == ' ' {
                "Space".to_string()
            } else {
                format!("`{c}`")
            };
            return Err(KeySpecError(format!(
                "terminals do not report shift with {what}: shift+ goes with letters and named \
                 keys; for other characters write the character shift types (\"<\", not \
                 \"shift+,\")"
            )));
        }
        Ok(Key::new(code, modifiers))
    }
}

/// The key code of a key name (`Up`, `pageup`, `F5`), if it is one.
fn named_key(name: &str) -> Option<KeyCode> {
    if let Some((_, code)) = NAMED_KEYS
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(name))
    {
        return Some(*code);
    }
    let number = name.strip_prefix('F').or_else(|| name.strip_prefix('f'))?;
    match number.parse::<u8>() {
        Ok(n) if (1..=12).contains(&n) && !number.starts_with('0') => Some(KeyCode::F(n)),
        _ => None,
    }
}

/// Which key does which action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    /// Every action in [`Action::ALL`] order with its keys, in the order the file lists them.
    bindings: Vec<(Action, Vec<Key>)>,
    /// Each bound key's actions (several only when no context takes two of them).
    lookup: HashMap<Key, Vec<Action>>,
}

/// One key of an action in a keymap file, with where it is written.
struct Binding {
    key: Key,
    span: Range<usize>,
    path: String,
}

/// The shipped keymap, `config/keymap.toml`.
impl Default for Keymap {
    fn default() -> Self {
        let mut keymap = Self::empty();
        // The shipped file is tested to load; it can only fail in a broken build.
        if let Err(errors) = keymap.overlay(Path::new("config/keymap.toml"), DEFAULT_KEYMAP) {
            tracing::error!("the built-in config/keymap.toml is invalid: {errors:?}");
        }
        keymap
    }
}

impl Keymap {
    /// A keymap with no keys bound.
    fn empty() -> Self {
        Self {
            bindings: Action::ALL.iter().map(|&a| (a, Vec::new())).collect(),
            lookup: HashMap::new(),
        }
    }

    /// The shipped keymap overlaid by the user's file at `path`. A missing file is not an
    /// error: the shipped keymap alone is the usual case.
    pub fn load_user(path: &Path) -> Result<Self, Vec<KeymapError>> {
        let mut keymap = Self::default();
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(keymap),
            Err(e) => {
                return Err(vec![KeymapError::whole_file(
                    path,
                    format!("cannot read the keymap file: {e}"),
                )]);
            }
        };
        let text = crate::text::decode(bytes)
            .map_err(|e| vec![crate::session::file::not_text(path, e)])?;
        keymap.overlay(path, &text)?;
        Ok(keymap)
    }

    /// The user's keymap file in the XDG config directory (`~/.config/earmix/keymap.toml`).
    pub fn user_path() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "earmix").map(|d| d.config_dir().join("keymap.toml"))
    }

    /// The mixer's action a key event asks for: only presses and auto-repeats count, never
    /// releases.
    pub fn action_for(&self, event: &KeyEvent) -> Option<Action> {
        self.action_in(event, Context::Mixer)
    }

    /// The action a key event asks for in `context` (one of the actions it takes): only presses
    /// and auto-repeats count, never releases.
    pub fn action_in(&self, event: &KeyEvent, context: Context) -> Option<Action> {
        match event.kind {
            KeyEventKind::Press | KeyEventKind::Repeat => {
                let actions = self.lookup.get(&Key::from_event(event))?;
                let takes = context.actions();
                actions.iter().copied().find(|a| takes.contains(a))
            }
            KeyEventKind::Release => None,
        }
    }

    /// The keys of `action` as the boxes show them: the first key, or "(no key)".
    pub fn key_label(&self, action: Action) -> String {
        self.keys_for(action)
            .first()
            .map_or_else(|| "(no key)".to_string(), ToString::to_string)
    }

    /// The keys bound to an action, in the order the keymap file lists them (empty when the
    /// user freed them all).
    pub fn keys_for(&self, action: Action) -> &[Key] {
        self.bindings
            .iter()
            .find(|(a, _)| *a == action)
            .map_or(&[], |(_, keys)| keys.as_slice())
    }

    /// Every key bound to an action, separated by spaces (`"Up k"`; empty when none), as the
    /// exercise help lists them.
    pub fn keys_text(&self, action: Action) -> String {
        self.keys_for(action)
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// One help line per action in [`Action::ALL`] order: its keys (`"Up, k"`, or `"(no key)"`)
    /// and its description.
    pub fn help_lines(&self) -> Vec<(String, &'static str)> {
        self.bindings
            .iter()
            .map(|(action, keys)| {
                let keys = if keys.is_empty() {
                    "(no key)".to_string()
                } else {
                    keys.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                (keys, action.desc())
            })
            .collect()
    }

    /// Applies the bindings of one keymap file over the current ones. On any error nothing
    /// changes.
    fn overlay(&mut self, path: &Path, text: &str) -> Result<(), Vec<KeymapError>> {
        let src = Source::new(path, text);
        let doc = toml_edit::Document::parse(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            vec![src.error_at(
                offset,
                key_path_by_text(text, offset),
                e.message().to_string(),
            )]
        })?;
        let table = doc.as_table();
        let mut errors = Vec::new();
        let mut version_seen = false;
        let mut entries: Vec<(Action, Vec<Binding>)> = Vec::new();
        for (name, item) in table {
            let key_start = table
                .key(name)
                .and_then(toml_edit::Key::span)
                .map_or(0, |s| s.start);
            let value_span = item.span().unwrap_or(key_start..key_start);
            if name == "version" {
                version_seen = true;
                if item.as_integer() != Some(KEYMAP_VERSION) {
                    errors.push(src.error(
                        &value_span,
                        "version",
                        format!("this earmix reads keymap files of version {KEYMAP_VERSION} only"),
                    ));
                }
                continue;
            }
            let Some(action) = Action::from_name(name) else {
                let mut error =
                    src.error_at(key_start, join_key("", name), unknown_action_message(name));
                error.value = Some(src.snippet(&value_span));
                errors.push(error);
                continue;
            };
            match bindings_of(&src, name, item, value_span.clone()) {
                // Without a quit key the console could only be left by killing it.
                Ok(bindings) if action == Action::Quit && bindings.is_empty() => {
                    errors.push(src.error(
                        &value_span,
                        join_key("", name),
                        "quit needs a key, or the console could not be left: give it one, e.g. \
                         quit = [\"q\", \"ctrl+c\"]",
                    ));
                }
                Ok(bindings) => entries.push((action, bindings)),
                Err(mut bad) => errors.append(&mut bad),
            }
        }
        if !version_seen {
            errors.push(src.error_at(
                0,
                "version",
                format!("missing: a keymap file starts with `version = {KEYMAP_VERSION}`"),
            ));
        }
        self.check_conflicts(&src, &entries, &mut errors);
        if !errors.is_empty() {
            errors.sort_by_key(|e| (e.line, e.column));
            return Err(errors);
        }
        for (action, bindings) in entries {
            if let Some((_, keys)) = self.bindings.iter_mut().find(|(a, _)| *a == action) {
                *keys = bindings.into_iter().map(|b| b.key).collect();
            }
        }
        let mut lookup: HashMap<Key, Vec<Action>> = HashMap::new();
        for (action, keys) in &self.bindings {
            for key in keys {
                lookup.entry(*key).or_default().push(*action);
            }
        }
        self.lookup = lookup;
        Ok(())
    }

    /// Reports every key that would end up bound to two actions of one context: to two actions
    /// of the file, or to an action of the file and an action whose keys the file keeps. A key
    /// is reported once, at its first place in the file.
    fn check_conflicts(
        &self,
        src: &Source<'_>,
        entries: &[(Action, Vec<Binding>)],
        errors: &mut Vec<KeymapError>,
    ) {
        let rebound: HashSet<Action> = entries.iter().map(|(a, _)| *a).collect();
        let mut reported: HashSet<(Action, Key)> = HashSet::new();
        for context in Context::ALL {
            let accepted = context.actions();
            // Each key taken so far here: its action and the file line that binds it (none
            // when kept).
            let mut taken: HashMap<Key, (Action, Option<usize>)> = HashMap::new();
            for (action, keys) in &self.bindings {
                if !rebound.contains(action) && accepted.contains(action) {
                    for key in keys {
                        taken.insert(*key, (*action, None));
                    }
                }
            }
            for (action, bindings) in entries.iter().filter(|(a, _)| accepted.contains(a)) {
                for binding in bindings {
                    let line = src.line_column(binding.span.start).0;
                    let message = match taken.get(&binding.key) {
                        None => {
                            taken.insert(binding.key, (*action, Some(line)));
                            continue;
                        }
                        Some((other, _)) if other == action => {
                            format!("`{}` is listed twice for {}", binding.key, action.name())
                        }
                        Some((other, Some(other_line))) => format!(
                            "`{}` is already bound to {} on line {other_line}{}; one key does one \
                             thing",
                            binding.key,
                            other.name(),
                            place(*context)
                        ),
                        Some((other, None)) => format!(
                            "`{}` is already bound to {} by the built-in keymap{}; one key does \
                             one thing: rebind {} as well, or free its keys with `{} = []`",
                            binding.key,
                            other.name(),
                            place(*context),
                            other.name(),
                            other.name()
                        ),
                    };
                    if reported.insert((*action, binding.key)) {
                        errors.push(src.error(&binding.span, binding.path.clone(), message));
                    }
                }
            }
        }
    }
}

/// Where a conflict is, after "already bound to ...": nothing for the mixer (the usual case).
fn place(context: Context) -> String {
    match context {
        Context::Mixer | Context::ExerciseStep => String::new(),
        other => format!(" ({})", other.describe()),
    }
}

/// The keys of one action's entry: a list of key specs (or one spec on its own).
fn bindings_of(
    src: &Source<'_>,
    name: &str,
    item: &Item,
    value_span: Range<usize>,
) -> Result<Vec<Binding>, Vec<KeymapError>> {
    let path = join_key("", name);
    let specs: Vec<(&Value, String)> = match item.as_value() {
        Some(Value::Array(array)) => array
            .iter()
            .enumerate()
            .map(|(i, value)| (value, format!("{path}[{}]", i + 1)))
            .collect(),
        Some(value @ Value::String(_)) => vec![(value, path.clone())],
        _ => {
            return Err(vec![src.error(
                &value_span,
                path,
                format!("an action takes a list of keys, e.g. {name} = [\"k\", \"ctrl+Up\"]"),
            )]);
        }
    };
    let mut bindings = Vec::new();
    let mut errors = Vec::new();
    for (value, path) in specs {
        let span = value.span().unwrap_or_else(|| value_span.clone());
        match value.as_str().map(str::parse::<Key>) {
            Some(Ok(key)) => bindings.push(Binding { key, span, path }),
            Some(Err(e)) => errors.push(src.error(&span, path, e.to_string())),
            None => errors.push(src.error(
                &span,
                path,
                "a key is written as a string in quotes, e.g. \"k\" or \"ctrl+s\"",
            )),
        }
    }
    if errors.is_empty() {
        Ok(bindings)
    } else {
        Err(errors)
    }
}

/// What to say about an action name that does not exist: the nearest name, or all of them.
fn unknown_action_message(name: &str) -> String {
    let longer = Action::ALL
        .iter()
        .map(Action::name)
        .find(|known| known.starts_with(name) && !name.is_empty());
    let nearest = Action::ALL
        .iter()
        .map(|a| (edit_distance(name, a.name()), a.name()))
        .min_by_key(|(distance, _)| *distance);
    match longer.map(|known| (0, known)).or(nearest) {
        Some((distance, near)) if distance <= 3 => {
            format!("there is no action `{name}`; did you mean `{near}`?")
        }
        _ => {
            let names: Vec<&str> = Action::ALL
                .iter()
                .map(Action::name)
                .filter(|n| !n.starts_with("select_strip_") || n.ends_with("_1"))
                .map(|n| {
                    if n == "select_strip_1" {
                        "select_strip_1 to select_strip_9"
                    } else {
                        n
                    }
                })
                .collect();
            format!(
                "there is no action `{name}`; the actions are {}",
                names.join(", ")
            )
        }
    }
}

/// Levenshtein distance between two short names, in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::action::{Direction, Step};
    use crossterm::event::KeyEventState;

    const NONE: KeyModifiers = KeyModifiers::NONE;
    const SHIFT: KeyModifiers = KeyModifiers::SHIFT;
    const CTRL: KeyModifiers = KeyModifiers::CONTROL;
    const ALT: KeyModifiers = KeyModifiers::ALT;

    fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    fn nudge(direction: Direction, step: Step) -> Action {
        Action::Nudge { direction, step }
    }

    fn shipped() -> Keymap {
        let mut keymap = Keymap::empty();
        keymap
            .overlay(Path::new("config/keymap.toml"), DEFAULT_KEYMAP)
            .unwrap();
        keymap
    }

    /// Loads `text` as a user keymap file and returns the keymap or the error lines.
    fn user(text: &str) -> Result<Keymap, Vec<String>> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keymap.toml");
        std::fs::write(&path, text).unwrap();
        Keymap::load_user(&path).map_err(|errors| errors.iter().map(ToString::to_string).collect())
    }

    /// The shipped keymap.toml loads without errors and binds at least one key to every action.
    #[test]
    fn shipped_keymap_binds_every_action() {
        let keymap = shipped();
        assert_eq!(keymap, Keymap::default());
        for action in Action::ALL {
            assert!(
                !keymap.keys_for(*action).is_empty(),
                "{} has no key in config/keymap.toml",
                action.name()
            );
        }
    }

    /// Every default key of the issue's list resolves to its action, however the terminal
    /// reports shift on capitals and symbols.
    #[test]
    fn default_keys_resolve_to_their_actions() {
        use Direction::{Down, Up};
        use KeyCode::{BackTab, Char, Home, PageDown, PageUp, Tab};
        let keymap = Keymap::default();
        let mut table = vec![
            (Char('h'), NONE, Action::SelectPrevious),
            (KeyCode::Left, NONE, Action::SelectPrevious),
            (Char('l'), NONE, Action::SelectNext),
            (KeyCode::Right, NONE, Action::SelectNext),
            (Tab, NONE, Action::CycleFocus),
            (BackTab, SHIFT, Action::CycleFocus),
            (BackTab, NONE, Action::CycleFocus),
            (Tab, SHIFT, Action::CycleFocus),
            (KeyCode::Up, NONE, nudge(Up, Step::Fine)),
            (Char('k'), NONE, nudge(Up, Step::Fine)),
            (KeyCode::Down, NONE, nudge(Down, Step::Fine)),
            (Char('j'), NONE, nudge(Down, Step::Fine)),
            (KeyCode::Up, SHIFT, nudge(Up, Step::Coarse)),
            (Char('K'), NONE, nudge(Up, Step::Coarse)),
            (Char('K'), SHIFT, nudge(Up, Step::Coarse)),
            (Char('k'), SHIFT, nudge(Up, Step::Coarse)),
            (PageUp, NONE, nudge(Up, Step::Coarse)),
            (KeyCode::Down, SHIFT, nudge(Down, Step::Coarse)),
            (Char('J'), NONE, nudge(Down, Step::Coarse)),
            (Char('J'), SHIFT, nudge(Down, Step::Coarse)),
            (PageDown, NONE, nudge(Down, Step::Coarse)),
            (KeyCode::Up, ALT, nudge(Up, Step::Finer)),
            (KeyCode::Down, ALT, nudge(Down, Step::Finer)),
            (Char('0'), NONE, Action::Unity),
            (Char('m'), NONE, Action::Mute),
            (Char('s'), NONE, Action::Solo),
            (Char('S'), NONE, Action::ClearSolos),
            (Char('S'), SHIFT, Action::ClearSolos),
            (Char('t'), NONE, Action::TrimMode),
            (Char('<'), NONE, Action::PanLeft),
            (Char('<'), SHIFT, Action::PanLeft),
            (Char('>'), NONE, Action::PanRight),
            (Char('>'), SHIFT, Action::PanRight),
            (Char(' '), NONE, Action::PlayPause),
            (Home, NONE, Action::ToStart),
            (Char('['), NONE, Action::PreviousSection),
            (Char(']'), NONE, Action::NextSection),
            (Char('L'), SHIFT, Action::LoopSection),
            (Char('r'), NONE, Action::ResetPeaks),
            (Char('u'), NONE, Action::Undo),
            (Char('U'), NONE, Action::Redo),
            (Char('U'), SHIFT, Action::Redo),
            (Char('r'), CTRL, Action::Redo),
            (Char('s'), CTRL, Action::Save),
            (Char('q'), NONE, Action::Quit),
            (Char('c'), CTRL, Action::Quit),
            (Char('b'), NONE, Action::Blind),
            (Char('B'), NONE, Action::BlindMetersOff),
            (Char('B'), SHIFT, Action::BlindMetersOff),
            (Char('?'), NONE, Action::Help),
            (Char('?'), SHIFT, Action::Help),
        ];
        for digit in 1..=9u8 {
            table.push((
                Char(char::from(b'0' + digit)),
                NONE,
                Action::SelectStrip(digit),
            ));
        }
        for (code, modifiers, action) in table {
            assert_eq!(
                keymap.action_for(&press(code, modifiers)),
                Some(action),
                "{code:?} with {modifiers:?}"
            );
        }
    }

    /// Keys that are not bound, or bound only without a modifier, and key releases do nothing.
    #[test]
    fn unbound_keys_and_releases_do_nothing() {
        let keymap = Keymap::default();
        assert_eq!(keymap.action_for(&press(KeyCode::Char('Z'), NONE)), None);
        assert_eq!(keymap.action_for(&press(KeyCode::Char('m'), CTRL)), None);
        assert_eq!(keymap.action_for(&press(KeyCode::Char('s'), ALT)), None);
        assert_eq!(keymap.action_for(&press(KeyCode::Up, CTRL)), None);
        assert_eq!(
            keymap.action_for(&press(KeyCode::Char('k'), KeyModifiers::SUPER)),
            None
        );
        let release = KeyEvent::new_with_kind(KeyCode::Char('m'), NONE, KeyEventKind::Release);
        assert_eq!(keymap.action_for(&release), None);
        let repeat = KeyEvent::new_with_kind_and_state(
            KeyCode::Up,
            NONE,
            KeyEventKind::Repeat,
            KeyEventState::NONE,
        );
        assert_eq!(
            keymap.action_for(&repeat),
            Some(nudge(Direction::Up, Step::Fine))
        );
    }

    /// Key specs normalise like events do, print back as specs, and bad specs say what is wrong.
    #[test]
    fn key_specs_parse_and_print() {
        let parse = |spec: &str| spec.parse::<Key>();
        assert_eq!(parse("shift+k"), parse("K"));
        assert_eq!(parse("SHIFT+K"), parse("K"));
        assert_eq!(parse("shift+Tab"), parse("BackTab"));
        assert_eq!(parse("pageup"), parse("PageUp"));
        assert_eq!(parse(" "), parse("Space"));
        assert_eq!(parse("Ctrl+Alt+Up"), Ok(Key::new(KeyCode::Up, CTRL | ALT)));
        assert_eq!(parse("ctrl++"), Ok(Key::new(KeyCode::Char('+'), CTRL)));
        assert_eq!(parse("+"), Ok(Key::new(KeyCode::Char('+'), NONE)));
        assert_eq!(parse("F12"), Ok(Key::new(KeyCode::F(12), NONE)));
        for spec in [
            "k", "K", "ctrl+r", "alt+Up", "shift+Up", "Space", "BackTab", "F5", "<", "ctrl++",
        ] {
            assert_eq!(parse(spec).unwrap().to_string(), spec);
        }
        for (spec, message) in [
            ("", "the key is empty"),
            ("ctrl+", "missing after `ctrl+`"),
            ("Upp", "`Upp` is not a key name"),
            ("super+k", "`super+k` is not a key name"),
            ("F13", "`F13` is not a key name"),
            ("F0", "`F0` is not a key name"),
            ("shift+,", "write the character shift types"),
            ("shift+Space", "shift with Space"),
            ("\t", "control character"),
        ] {
            let error = parse(spec).unwrap_err().to_string();
            assert!(error.contains(message), "{spec:?}: {error}");
        }
    }

    /// A user's list for one action replaces that action's keys and leaves the others alone.
    #[test]
    fn user_binding_replaces_one_actions_keys() {
        let keymap = user("version = 1\nmute = [\"Y\", \"ctrl+m\"]\n").unwrap();
        let m = |modifiers| keymap.action_for(&press(KeyCode::Char('m'), modifiers));
        assert_eq!(m(NONE), None);
        assert_eq!(m(CTRL), Some(Action::Mute));
        assert_eq!(
            keymap.action_for(&press(KeyCode::Char('Y'), SHIFT)),
            Some(Action::Mute)
        );
        let mut expected = Keymap::default();
        assert_ne!(keymap, expected);
        expected
            .overlay(Path::new("x"), "version = 1\nmute = [\"Y\", \"ctrl+m\"]")
            .unwrap();
        assert_eq!(keymap, expected);
        assert_eq!(
            keymap.keys_for(Action::Solo),
            Keymap::default().keys_for(Action::Solo)
        );
    }

    /// Freeing an action's keys with `[]` lets another action take them; a missing file is the
    /// shipped keymap.
    #[test]
    fn freed_keys_can_be_rebound() {
        let keymap =
            user("version = 1\nnudge_up_fine = [\"Up\"]\nmute = [\"k\"]\nsolo = []\n").unwrap();
        assert_eq!(
            keymap.action_for(&press(KeyCode::Char('k'), NONE)),
            Some(Action::Mute)
        );
        assert_eq!(keymap.action_for(&press(KeyCode::Char('s'), NONE)), None);
        assert!(keymap.keys_for(Action::Solo).is_empty());
        let missing = Keymap::load_user(Path::new("/nonexistent/earmix/keymap.toml")).unwrap();
        assert_eq!(missing, Keymap::default());
    }

    /// A key bound to two actions is an error naming the file, line, column, key and value, and
    /// the other action.
    #[test]
    fn conflicting_bindings_are_errors() {
        let errors = user("version = 1\nmute = [\"m\", \"k\"]\n").unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].contains(
                "keymap.toml:2:14: mute[2] = \"k\": `k` is already bound to \
                                nudge_up_fine by the built-in keymap"
            ),
            "{errors:?}"
        );
        let errors =
            user("version = 1\nmute = [\"Z\"]\nsolo = [\"y\", \"Y\"]\nundo = \"Z\"\n").unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0]
                .contains("keymap.toml:4:8: undo = \"Z\": `Z` is already bound to mute on line 2"),
            "{errors:?}"
        );
        let errors = user("version = 1\nmute = [\"g\", \"shift+g\", \"G\"]\n").unwrap_err();
        assert!(
            errors[0].contains(":2:25: mute[3] = \"G\": `G` is listed twice for mute"),
            "{errors:?}"
        );
    }

    /// Unknown action names, bad key specs, wrong types and a wrong version are errors naming
    /// the file, line, column, key and value; all of them are reported at once.
    #[test]
    fn bad_entries_are_errors_with_their_place() {
        let errors = user(
            "version = 1\nnudge_up = [\"k\"]\nnudge_up_fine = [\"Up\", \"Upp\"]\nsave = 3\n\
             helpp = [\"?\"]\nfrobnicate = []\n",
        )
        .unwrap_err();
        assert_eq!(errors.len(), 5, "{errors:?}");
        assert!(
            errors[0].contains(
                "keymap.toml:2:1: nudge_up = [\"k\"]: there is no action `nudge_up`; did you mean"
            ),
            "{errors:?}"
        );
        assert!(
            errors[1].contains("keymap.toml:3:24: nudge_up_fine[2] = \"Upp\": `Upp` is not a key"),
            "{errors:?}"
        );
        assert!(
            errors[2].contains("keymap.toml:4:8: save = 3: an action takes a list of keys"),
            "{errors:?}"
        );
        assert!(
            errors[3].contains(
                "keymap.toml:5:1: helpp = [\"?\"]: there is no action `helpp`; \
                                did you mean `help`?"
            ),
            "{errors:?}"
        );
        assert!(
            errors[4].contains(
                "keymap.toml:6:1: frobnicate = []: there is no action \
                                `frobnicate`; the actions are select_previous"
            ),
            "{errors:?}"
        );
        assert!(errors[4].contains("select_strip_1 to select_strip_9, cycle_focus"));

        let errors = user("mute = [\"m\"]\n").unwrap_err();
        assert!(errors[0].contains("version: missing"), "{errors:?}");
        let errors = user("version = 2\n").unwrap_err();
        assert!(errors[0].contains(":1:11: version = 2: "), "{errors:?}");
        let errors = user("version = 1\nmute = [\"m\"\n").unwrap_err();
        assert!(errors[0].contains("keymap.toml:2:"), "{errors:?}");
        assert!(errors[0].contains("mute"), "{errors:?}");
    }

    /// A keymap that leaves quit without a key is refused at the quit line, whatever else it
    /// frees or binds; quit may move to other keys.
    #[test]
    fn quit_cannot_be_left_without_a_key() {
        let errors = user("version = 1\nhelp = []\nquit = []\n").unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].ends_with(
                "keymap.toml:3:8: quit = []: quit needs a key, or the console could not be left: \
                 give it one, e.g. quit = [\"q\", \"ctrl+c\"]"
            ),
            "{errors:?}"
        );
        let errors = user("version = 1\nquit = [\"q\", \"nokey\"]\n").unwrap_err();
        assert!(
            errors[0].contains(":2:14: quit[2] = \"nokey\""),
            "{errors:?}"
        );
        let moved = user("version = 1\nquit = [\"ctrl+q\"]\n").unwrap();
        assert_eq!(
            moved.keys_for(Action::Quit),
            [Key::new(KeyCode::Char('q'), CTRL)]
        );
    }

    /// The help lists every action once, in Action order, with the keys that trigger it.
    #[test]
    fn help_lines_cover_every_action_with_its_keys() {
        let keymap = Keymap::default();
        let lines = keymap.help_lines();
        assert_eq!(lines.len(), Action::ALL.len());
        for ((keys, desc), action) in lines.iter().zip(Action::ALL) {
            assert_eq!(*desc, action.desc());
            for spec in keys.split(", ") {
                let key: Key = spec.parse().unwrap();
                let event = press(key.code(), key.modifiers());
                let context = Context::ALL.iter().find(|c| c.takes(*action)).unwrap();
                assert_eq!(
                    keymap.action_in(&event, *context),
                    Some(*action),
                    "{spec} {context:?}"
                );
            }
        }
        let line = |action: Action| {
            let at = Action::ALL.iter().position(|a| *a == action).unwrap();
            lines[at].0.clone()
        };
        assert_eq!(line(nudge(Direction::Up, Step::Fine)), "Up, k");
        assert_eq!(
            line(nudge(Direction::Up, Step::Coarse)),
            "shift+Up, K, PageUp"
        );
        assert_eq!(line(Action::Redo), "U, ctrl+r");
        assert_eq!(line(Action::PlayPause), "Space");
        let freed = user("version = 1\nhelp = []\n").unwrap();
        let last_help = freed.help_lines();
        let at = Action::ALL.iter().position(|a| *a == Action::Help).unwrap();
        assert_eq!(last_help[at], ("(no key)".to_string(), Action::Help.desc()));
    }

    /// A key may do different things in different boxes but not two things in one: the
    /// shipped `r` recovers and reloads in their own questions, a user's `recover = ["d"]`
    /// clashes with discard in the recovery question (named in the error), and a box key may
    /// reuse a mixer key.
    #[test]
    fn conflicts_are_checked_per_context() {
        let keymap = shipped();
        let r = press(KeyCode::Char('r'), NONE);
        assert_eq!(
            keymap.action_in(&r, Context::Recover),
            Some(Action::Recover)
        );
        assert_eq!(
            keymap.action_in(&r, Context::DiskChanged),
            Some(Action::Reload)
        );
        assert_eq!(keymap.action_in(&r, Context::Results), Some(Action::Retry));
        assert_eq!(
            keymap.action_in(&r, Context::Mixer),
            Some(Action::ResetPeaks)
        );
        assert_eq!(keymap.action_in(&r, Context::Prompt), None);
        let errors = user("version = 1\nrecover = [\"d\"]\n").unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].contains(
                "keymap.toml:2:12: recover[1] = \"d\": `d` is already bound to discard by the \
                 built-in keymap (in the recovery question)"
            ),
            "{errors:?}"
        );
        let moved =
            user("version = 1\nkeep = [\"m\"]\nconfirm = [\"Enter\", \"ctrl+j\"]\n").unwrap();
        let m = press(KeyCode::Char('m'), NONE);
        assert_eq!(moved.action_in(&m, Context::Results), Some(Action::Keep));
        assert_eq!(moved.action_in(&m, Context::Mixer), Some(Action::Mute));
        // Enter is done in an exercise step, so the mixer may not take it.
        let errors = user("version = 1\nmute = [\"Enter\"]\n").unwrap_err();
        assert!(
            errors[0].contains("`Enter` is already bound to confirm"),
            "{errors:?}"
        );
    }

    /// The edit distance behind "did you mean" counts insertions, deletions and substitutions.
    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("help", "help"), 0);
        assert_eq!(edit_distance("helpp", "help"), 1);
        assert_eq!(edit_distance("mtue", "mute"), 2);
        assert_eq!(edit_distance("", "undo"), 4);
        assert_eq!(edit_distance("redo", "undo"), 2);
    }
}
