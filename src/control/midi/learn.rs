//! Learning a control (UI thread for the file, the MIDI thread for [`Heard`]): the raw MIDI
//! controls a surface hears while the console's learn mode is open, what the user binds them
//! to, and the binding written into the user's mapping file.
//!
//! A learned binding is one line of the mapping file's `[learned]` table, keyed by what it
//! moves (`fader-2` is the second fader slot of the bank, `mute-2` its mute button, `blind` the
//! blind button...) and valued by the control (`{ message = "cc", channel = 1, controller = 40 }`).
//! Each line replaces what the tables above give its control and its fader, knob or button, so
//! the rest of a hand-written file stays as it was. The file is edited with `toml_edit` (the
//! user's comments and order stay) and replaced atomically; a shipped mapping is first copied,
//! comments and all, into the user's `controllers/` folder under its own name.

use std::fmt;
use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, InlineTable, Item, Table, Value};

use super::mapping::{Control, EncoderMode, Kind, Mapping, Role, SHIPPED, is_path};
use crate::app::action::Action;
use crate::control::{Press, Source, StripRef, Target, Turns};

/// One MIDI channel message as it arrived, for learn mode: which control, and its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Heard {
    /// A note on (`on`, velocity above 0) or off.
    Note {
        /// Channel, 0 to 15.
        channel: u8,
        /// Note number.
        note: u8,
        /// Pressed (note on), else released.
        on: bool,
    },
    /// A control change.
    Cc {
        /// Channel, 0 to 15.
        channel: u8,
        /// Controller number.
        controller: u8,
        /// Its value, 0 to 127.
        value: u8,
    },
    /// Pitch bend (a Mackie Control fader).
    PitchBend {
        /// Channel, 0 to 15.
        channel: u8,
        /// 0 to 16383.
        value: u16,
    },
}

impl Heard {
    /// The control, whatever its value (pitch bend is its channel with number 0).
    pub fn identity(&self) -> (u8, u8, u8) {
        match *self {
            Heard::Note { channel, note, .. } => (0, channel, note),
            Heard::Cc {
                channel,
                controller,
                ..
            } => (1, channel, controller),
            Heard::PitchBend { channel, .. } => (2, channel, 0),
        }
    }

    /// Whether this is a button going down: a note on, or a CC of 64 or more.
    pub fn is_press(&self) -> bool {
        match *self {
            Heard::Note { on, .. } => on,
            Heard::Cc { value, .. } => value >= 64,
            Heard::PitchBend { .. } => false,
        }
    }
}

impl fmt::Display for Heard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Heard::Note { channel, note, .. } => {
                write!(f, "note {note} on channel {}", channel + 1)
            }
            Heard::Cc {
                channel,
                controller,
                ..
            } => write!(f, "CC {controller} on channel {}", channel + 1),
            Heard::PitchBend { channel, .. } => write!(f, "pitch bend on channel {}", channel + 1),
        }
    }
}

/// What a learned control moves: a fader slot, its pan, one of its buttons, or a button of
/// the surface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Binding {
    /// The channel fader of this slot of the bank, counted from 0.
    Fader(usize),
    /// The pan of this slot.
    Pan(usize),
    /// A button: a slot's mute, solo or select (with [`StripRef::Slot`]), or a surface button
    /// (bank left, play/pause...).
    Button(Press),
}

/// The surface buttons learn mode offers, by their mapping-file name.
pub const LEARNABLE_BUTTONS: &[(&str, &str)] = &[
    ("play_pause", "Play/pause"),
    ("to_start", "To start"),
    ("blind", "Blind mode"),
    ("next_section", "Next section"),
    ("previous_section", "Previous section"),
    ("bank_left", "Bank left"),
    ("bank_right", "Bank right"),
];

/// A surface button by its mapping-file name (bank and channel moves, or a keymap action).
pub fn button_named(name: &str) -> Option<Press> {
    match name {
        "bank_left" => Some(Press::BankLeft),
        "bank_right" => Some(Press::BankRight),
        "channel_left" => Some(Press::ChannelLeft),
        "channel_right" => Some(Press::ChannelRight),
        _ => Action::from_name(name).map(Press::Action),
    }
}

fn button_name(press: &Press) -> Option<&'static str> {
    Some(match press {
        Press::BankLeft => "bank_left",
        Press::BankRight => "bank_right",
        Press::ChannelLeft => "channel_left",
        Press::ChannelRight => "channel_right",
        Press::Action(action) => action.name(),
        _ => return None,
    })
}

fn slot_of(strip: &StripRef) -> Option<usize> {
    match strip {
        StripRef::Slot(n) => Some(*n),
        _ => None,
    }
}

impl Binding {
    /// Its key in `[learned]`: `fader-2`, `pan-2`, `mute-2`, `solo-2`, `select-2` (slots
    /// counted from 1, as on the screen), or a surface button's name (`play_pause`).
    pub fn key(&self) -> String {
        match self {
            Binding::Fader(slot) => format!("fader-{}", slot + 1),
            Binding::Pan(slot) => format!("pan-{}", slot + 1),
            Binding::Button(press) => match press {
                Press::Mute(s) => format!("mute-{}", slot_of(s).unwrap_or(0) + 1),
                Press::Solo(s) => format!("solo-{}", slot_of(s).unwrap_or(0) + 1),
                Press::Select(s) => format!("select-{}", slot_of(s).unwrap_or(0) + 1),
                other => button_name(other).unwrap_or("unknown").to_string(),
            },
        }
    }

    /// The binding a `[learned]` key names, or `None`. Slots are checked against `slots`
    /// by the caller.
    pub fn from_key(key: &str) -> Option<Self> {
        if let Some((kind, n)) = key.rsplit_once('-')
            && let Ok(n @ 1..) = n.parse::<usize>()
        {
            let slot = StripRef::Slot(n - 1);
            return match kind {
                "fader" => Some(Binding::Fader(n - 1)),
                "pan" => Some(Binding::Pan(n - 1)),
                "mute" => Some(Binding::Button(Press::Mute(slot))),
                "solo" => Some(Binding::Button(Press::Solo(slot))),
                "select" => Some(Binding::Button(Press::Select(slot))),
                _ => None,
            };
        }
        button_named(key).map(Binding::Button)
    }

    /// The fader slot it belongs to, if any.
    pub fn slot(&self) -> Option<usize> {
        match self {
            Binding::Fader(slot) | Binding::Pan(slot) => Some(*slot),
            Binding::Button(Press::Mute(s) | Press::Solo(s) | Press::Select(s)) => slot_of(s),
            Binding::Button(_) => None,
        }
    }

    /// Whether `role` is this binding's (what a learned control takes over from the tables).
    pub fn owns(&self, role: &Role) -> bool {
        match (self, role) {
            (Binding::Fader(slot), Role::Fader { target, .. } | Role::FaderLsb(target)) => {
                *target == Target::Strip(StripRef::Slot(*slot))
            }
            (Binding::Pan(slot), Role::Pan(strip)) => *strip == StripRef::Slot(*slot),
            (
                Binding::Pan(slot),
                Role::Encoder {
                    target,
                    turns: Turns::Pan,
                    ..
                },
            ) => *target == Target::Strip(StripRef::Slot(*slot)),
            (Binding::Button(press), Role::Button(other)) => press == other,
            _ => false,
        }
    }
}

impl fmt::Display for Binding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let position = |s: &StripRef| slot_of(s).unwrap_or(0) + 1;
        match self {
            Binding::Fader(slot) => write!(f, "the fader of bank position {}", slot + 1),
            Binding::Pan(slot) => write!(f, "the pan of bank position {}", slot + 1),
            Binding::Button(Press::Mute(s)) => write!(f, "mute of bank position {}", position(s)),
            Binding::Button(Press::Solo(s)) => write!(f, "solo of bank position {}", position(s)),
            Binding::Button(Press::Select(s)) => {
                write!(f, "select of bank position {}", position(s))
            }
            Binding::Button(press) => {
                let name = button_name(press).unwrap_or("unknown");
                match LEARNABLE_BUTTONS.iter().find(|(n, _)| *n == name) {
                    Some((_, words)) => write!(f, "the {} button", words.to_lowercase()),
                    None => write!(f, "the {name} button"),
                }
            }
        }
    }
}

/// The control a binding listens to, as written in `[learned]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Learned {
    /// A 7-bit CC fader, an absolute pan knob, or a CC button (pressed at 64 and above).
    Cc {
        /// Channel, 0 to 15.
        channel: u8,
        /// Controller number.
        controller: u8,
    },
    /// A 14-bit CC fader: the MSB on `controller` (0 to 31), the LSB on `controller + 32`.
    Cc14 {
        /// Channel, 0 to 15.
        channel: u8,
        /// The MSB's controller number.
        controller: u8,
    },
    /// A pitch-bend fader.
    PitchBend {
        /// Channel, 0 to 15.
        channel: u8,
    },
    /// A note button.
    Note {
        /// Channel, 0 to 15.
        channel: u8,
        /// Note number.
        note: u8,
    },
    /// A relative encoder (turning a pan).
    Encoder {
        /// Channel, 0 to 15.
        channel: u8,
        /// Controller number.
        controller: u8,
        /// How it counts.
        mode: EncoderMode,
    },
}

/// A relative mode's name in mapping files.
pub fn mode_name(mode: EncoderMode) -> &'static str {
    match mode {
        EncoderMode::TwosComplement => "twos-complement",
        EncoderMode::SignMagnitude => "sign-magnitude",
        EncoderMode::Offset64 => "offset-64",
    }
}

impl Learned {
    /// The controls it takes (a 14-bit fader takes two; pitch bend none: see
    /// [`Learned::bend`]).
    pub fn controls(&self) -> Vec<Control> {
        let cc = |channel, number| Control {
            kind: Kind::Cc,
            channel,
            number,
        };
        match *self {
            Learned::Cc {
                channel,
                controller,
            }
            | Learned::Encoder {
                channel,
                controller,
                ..
            } => vec![cc(channel, controller)],
            Learned::Cc14 {
                channel,
                controller,
            } => vec![cc(channel, controller), cc(channel, controller + 32)],
            Learned::PitchBend { .. } => Vec::new(),
            Learned::Note { channel, note } => vec![Control {
                kind: Kind::Note,
                channel,
                number: note,
            }],
        }
    }

    /// The pitch-bend channel it takes.
    pub fn bend(&self) -> Option<u8> {
        match *self {
            Learned::PitchBend { channel } => Some(channel),
            _ => None,
        }
    }

    /// Whether it takes a control `other` takes too.
    pub fn overlaps(&self, other: &Learned) -> bool {
        (self.bend().is_some() && self.bend() == other.bend())
            || self.controls().iter().any(|c| other.controls().contains(c))
    }

    /// Its inline table in `[learned]`.
    pub fn to_toml(&self) -> InlineTable {
        let mut table = InlineTable::new();
        let mut put = |key: &str, value: Value| {
            table.insert(key, value);
        };
        let (message, channel) = match *self {
            Learned::Cc { channel, .. } | Learned::Encoder { channel, .. } => ("cc", channel),
            Learned::Cc14 { channel, .. } => ("cc14", channel),
            Learned::PitchBend { channel } => ("pitch-bend", channel),
            Learned::Note { channel, .. } => ("note", channel),
        };
        put("message", message.into());
        put("channel", i64::from(channel + 1).into());
        match *self {
            Learned::Cc { controller, .. } | Learned::Cc14 { controller, .. } => {
                put("controller", i64::from(controller).into());
            }
            Learned::Encoder {
                controller, mode, ..
            } => {
                put("controller", i64::from(controller).into());
                put("mode", mode_name(mode).into());
            }
            Learned::Note { note, .. } => put("note", i64::from(note).into()),
            Learned::PitchBend { .. } => {}
        }
        table
    }

    /// Reads an entry of `[learned]` as `to_toml` writes it (hand-written files are checked,
    /// with positions, by the mapping reader; here an entry that is not understood is `None`).
    fn from_toml(value: &Item) -> Option<Self> {
        let table = value.as_inline_table().map(|t| t.clone().into_table());
        let table = table.as_ref().or_else(|| value.as_table())?;
        let number = |key: &str| {
            table
                .get(key)
                .and_then(Item::as_integer)
                .and_then(|n| u8::try_from(n).ok())
        };
        let channel = number("channel")?.checked_sub(1)?;
        let mode = table.get("mode").and_then(Item::as_str);
        Some(match (table.get("message").and_then(Item::as_str)?, mode) {
            ("cc", None) => Learned::Cc {
                channel,
                controller: number("controller")?,
            },
            ("cc", Some(mode)) => Learned::Encoder {
                channel,
                controller: number("controller")?,
                mode: mode_named(mode)?,
            },
            ("cc14", _) => Learned::Cc14 {
                channel,
                controller: number("controller")?,
            },
            ("pitch-bend", _) => Learned::PitchBend { channel },
            ("note", _) => Learned::Note {
                channel,
                note: number("note")?,
            },
            _ => return None,
        })
    }
}

/// A relative mode by its name in mapping files.
pub fn mode_named(name: &str) -> Option<EncoderMode> {
    match name {
        "twos-complement" => Some(EncoderMode::TwosComplement),
        "sign-magnitude" => Some(EncoderMode::SignMagnitude),
        "offset-64" => Some(EncoderMode::Offset64),
        _ => None,
    }
}

impl fmt::Display for Learned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Learned::Cc {
                channel,
                controller,
            } => write!(f, "CC {controller} on channel {}", channel + 1),
            Learned::Cc14 {
                channel,
                controller,
            } => write!(
                f,
                "CC {controller} with {} (14-bit) on channel {}",
                controller + 32,
                channel + 1
            ),
            Learned::PitchBend { channel } => write!(f, "pitch bend on channel {}", channel + 1),
            Learned::Note { channel, note } => write!(f, "note {note} on channel {}", channel + 1),
            Learned::Encoder {
                channel,
                controller,
                mode,
            } => write!(
                f,
                "CC {controller} on channel {} as a relative encoder ({})",
                channel + 1,
                mode_name(mode)
            ),
        }
    }
}

/// What `role` does, in words ("the fader of bank position 3").
pub fn describe_role(role: &Role) -> String {
    let slot = |t: &Target| match t {
        Target::Strip(s) => format!("bank position {}", slot_of(s).map_or(0, |n| n + 1)),
        Target::Master => "the master".to_string(),
    };
    match role {
        Role::Fader {
            target: Target::Master,
            ..
        }
        | Role::FaderLsb(Target::Master) => "the master fader".to_string(),
        Role::Fader { target, .. } | Role::FaderLsb(target) => {
            format!("the fader of {}", slot(target))
        }
        Role::Touch(target) => format!("the touch sensor of {}", slot(target)),
        Role::Pan(strip) => format!(
            "the pan of bank position {}",
            slot_of(strip).map_or(0, |n| n + 1)
        ),
        Role::Encoder {
            target,
            turns: Turns::Pan,
            ..
        } => format!("the pan encoder of {}", slot(target)),
        Role::Encoder { target, .. } => format!("the fader encoder of {}", slot(target)),
        Role::Button(press) => Binding::Button(press.clone()).to_string(),
    }
}

/// What `learned` does in `mapping` now, other than `binding`: the words for each role it
/// would take over ("moves" away from there).
pub fn taken_from(mapping: &Mapping, learned: &Learned, binding: &Binding) -> Vec<String> {
    let mut roles: Vec<String> = Vec::new();
    for control in learned.controls() {
        if let Some(role) = mapping.controls.get(&control)
            && !binding.owns(role)
        {
            let words = describe_role(role);
            if !roles.contains(&words) {
                roles.push(words);
            }
        }
    }
    if let Some(channel) = learned.bend()
        && let Some(target) = mapping.bends.get(&channel)
    {
        let role = Role::Fader {
            target: target.clone(),
            fine: true,
        };
        if !binding.owns(&role) {
            roles.push(describe_role(&role));
        }
    }
    roles
}

/// A surface that can learn: its source and the mapping it reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Learnable {
    /// The surface's inputs come from here.
    pub source: Source,
    /// `[midi] controller`: a mapping's name or a file's path.
    pub controller: String,
    /// The user's `controllers/` folder, if there is one.
    pub user_dir: Option<PathBuf>,
}

impl Learnable {
    /// The mapping as it is now.
    pub fn mapping(&self) -> Result<Mapping, super::MidiError> {
        Mapping::load(&self.controller, self.user_dir.as_deref())
    }

    /// The file learned bindings go to, and the shipped text it starts from when it is not
    /// there yet.
    pub fn file(&self) -> Result<(PathBuf, Option<&'static str>), LearnError> {
        if is_path(&self.controller) {
            return Ok((PathBuf::from(&self.controller), None));
        }
        let dir = self.user_dir.as_ref().ok_or(LearnError::NoConfigDir)?;
        let shipped = SHIPPED
            .iter()
            .find(|(name, _)| *name == self.controller)
            .map(|(_, text)| *text);
        Ok((dir.join(format!("{}.toml", self.controller)), shipped))
    }
}

/// Why a binding was not saved.
#[derive(Debug, thiserror::Error)]
pub enum LearnError {
    /// The user has no config folder (no home).
    #[error("cannot save the binding: there is no config folder (is HOME set?)")]
    NoConfigDir,
    /// The mapping file cannot be read.
    #[error("cannot save the binding: reading {} failed: {error}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// The mapping file is not valid TOML (it is left alone).
    #[error(
        "cannot save the binding: {} is not valid TOML ({message}); fix it, then learn again",
        path.display()
    )]
    NotToml {
        /// The file.
        path: PathBuf,
        /// The parser's words.
        message: String,
    },
    /// The mapping with the binding does not load (it is not written).
    #[error("cannot save the binding: the mapping would not load:\n{0}")]
    Invalid(String),
    /// The folder cannot be made or the file written.
    #[error("cannot save the binding: {0}")]
    Write(#[from] crate::session::error::SaveError),
    /// The folder cannot be made.
    #[error("cannot save the binding: making the folder {} failed: {error}", path.display())]
    Folder {
        /// The folder.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
}

/// What saving a binding did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    /// The file written.
    pub path: PathBuf,
    /// It was started as a copy of the shipped mapping.
    pub copied: bool,
    /// Keys of `[learned]` whose control the binding took (they are gone).
    pub moved: Vec<String>,
}

/// The comment above a new `[learned]` table.
const LEARNED_HEADER: &str = "\n# Bindings made in earmix's learn mode. Each line replaces what \
    the tables above give its\n# control and its fader, knob or button: fader-N, pan-N, mute-N, \
    solo-N and select-N are\n# the N-th fader slot of the bank; the others are buttons.\n";

/// Writes `binding` = `learned` into `path` (started from `shipped` when it does not exist),
/// keeping the file's comments and order; a `[learned]` line of another binding on the same
/// control is removed. The result must load as a mapping called `name`, or nothing is
/// written. Atomic: the file is replaced whole, or left as it was.
pub fn save(
    path: &Path,
    shipped: Option<&str>,
    name: &str,
    binding: &Binding,
    learned: &Learned,
) -> Result<Saved, LearnError> {
    let (text, copied) = match std::fs::read(path) {
        Ok(bytes) => (
            crate::text::decode(bytes).map_err(|e| LearnError::NotToml {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?,
            false,
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && shipped.is_some() => {
            (shipped.unwrap_or_default().to_string(), true)
        }
        Err(error) => {
            return Err(LearnError::Read {
                path: path.to_path_buf(),
                error,
            });
        }
    };
    let mut doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        let (line, column) = crate::session::locate::Source::new(path, &text)
            .line_column(e.span().map_or(0, |s| s.start));
        LearnError::NotToml {
            path: path.to_path_buf(),
            message: format!("{line}:{column}: {}", e.message()),
        }
    })?;
    if !doc.contains_key("learned") {
        let mut table = Table::new();
        table.decor_mut().set_prefix(LEARNED_HEADER);
        doc.insert("learned", Item::Table(table));
    }
    let table = doc
        .get_mut("learned")
        .and_then(Item::as_table_like_mut)
        .ok_or_else(|| {
            LearnError::Invalid(format!("{}: `learned` is not a table", path.display()))
        })?;
    let key = binding.key();
    let moved: Vec<String> = table
        .iter()
        .filter(|(k, v)| *k != key && Learned::from_toml(v).is_some_and(|l| l.overlaps(learned)))
        .map(|(k, _)| k.to_string())
        .collect();
    for old in &moved {
        table.remove(old);
    }
    let mut value = Value::InlineTable(learned.to_toml());
    // A line learned again keeps the comment beside it.
    if let Some(old) = table.get(&key).and_then(Item::as_value) {
        *value.decor_mut() = old.decor().clone();
    }
    table.insert(&key, Item::Value(value));
    let new = doc.to_string();
    Mapping::parse(name, path, &new).map_err(|e| LearnError::Invalid(e.to_string()))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.is_dir()
    {
        std::fs::create_dir_all(dir).map_err(|error| LearnError::Folder {
            path: dir.to_path_buf(),
            error,
        })?;
    }
    crate::session::file::write_atomically(path, new.as_bytes())?;
    Ok(Saved {
        path: path.to_path_buf(),
        copied,
        moved,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::midi::mapping::{FaderMessage, Role};

    fn cc(channel: u8, number: u8) -> Control {
        Control {
            kind: Kind::Cc,
            channel,
            number,
        }
    }

    fn fader(slot: usize) -> Role {
        Role::Fader {
            target: Target::Strip(StripRef::Slot(slot)),
            fine: false,
        }
    }

    fn shipped(name: &str) -> &'static str {
        SHIPPED.iter().find(|(n, _)| *n == name).unwrap().1
    }

    fn load(path: &Path) -> Mapping {
        let text = std::fs::read_to_string(path).unwrap();
        Mapping::parse("generic-8", path, &text).unwrap()
    }

    /// The first binding of a shipped mapping starts the user's file as a copy of the shipped
    /// text, comments and all, with a `[learned]` line at the end; the mapping read from it
    /// moves fader 2 with the learned CC, and the fader's old CC does nothing any more.
    #[test]
    fn a_first_binding_copies_the_shipped_file_and_adds_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("controllers").join("generic-8.toml");
        let learned = Learned::Cc {
            channel: 2,
            controller: 40,
        };
        let saved = save(
            &path,
            Some(shipped("generic-8")),
            "generic-8",
            &Binding::Fader(1),
            &learned,
        )
        .unwrap();
        assert_eq!(
            saved,
            Saved {
                path: path.clone(),
                copied: true,
                moved: Vec::new()
            }
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(shipped("generic-8")), "{text}");
        assert!(
            text.ends_with(
                "[learned]\nfader-2 = { message = \"cc\", channel = 3, controller = 40 }\n"
            ),
            "{text}"
        );
        let mapping = load(&path);
        assert_eq!(mapping.controls[&cc(2, 40)], fader(1));
        assert_eq!(mapping.controls.get(&cc(0, 1)), None);
        assert_eq!(
            mapping.faders[1].message,
            FaderMessage::Cc {
                channel: 2,
                controller: 40
            }
        );
    }

    /// A control already bound elsewhere moves: from a table (CC 2 was fader 3: it becomes
    /// fader 1, fader 3 is left without a control) and from another learned line (which is
    /// removed and reported).
    #[test]
    fn a_bound_control_moves() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("generic-8.toml");
        let start = Some(shipped("generic-8"));
        let two = Learned::Cc {
            channel: 0,
            controller: 2,
        };
        save(&path, start, "generic-8", &Binding::Fader(0), &two).unwrap();
        let mapping = load(&path);
        assert_eq!(mapping.controls[&cc(0, 2)], fader(0));
        assert_eq!(mapping.controls.get(&cc(0, 0)), None);
        assert!(!mapping.controls.values().any(|r| *r == fader(2)));
        // The same control learned for the blind button: the fader line goes.
        let saved = save(
            &path,
            start,
            "generic-8",
            &Binding::Button(Press::Action(Action::Blind)),
            &two,
        )
        .unwrap();
        assert_eq!(saved.moved, vec!["fader-1".to_string()]);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("fader-1"), "{text}");
        let mapping = load(&path);
        assert_eq!(
            mapping.controls[&cc(0, 2)],
            Role::Button(Press::Action(Action::Blind))
        );
        // The blind note of the table no longer presses blind; its lamp is the CC now.
        let note = Control {
            kind: Kind::Note,
            channel: 0,
            number: 28,
        };
        assert_eq!(mapping.controls.get(&note), None);
        assert_eq!(mapping.lamps.blind, Some(cc(0, 2)));
    }

    /// The user's comments, layout and order stay; a second binding of the same target
    /// replaces its line in place; 14-bit pairs, pitch bend, notes and encoders read back as
    /// written.
    #[test]
    fn the_users_file_keeps_its_comments_and_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mine.toml");
        let mine = "# My box.\nversion = 1\nslots = 4   # four faders\n\n[faders]\nmessage = \"cc\"\n\
                    channel = 1\ncontrollers = [1, 2, 3, 4]\n\n# Mine, by hand.\n[learned]\n\
                    pan-1 = { message = \"cc\", channel = 1, controller = 20 } # the big knob\n\
                    play_pause = { message = \"note\", channel = 1, note = 60 }\n";
        std::fs::write(&path, mine).unwrap();
        let bind = |binding: Binding, learned: Learned| {
            save(&path, None, "mine", &binding, &learned).unwrap();
        };
        bind(
            Binding::Fader(3),
            Learned::Cc14 {
                channel: 0,
                controller: 7,
            },
        );
        bind(
            Binding::Pan(0),
            Learned::Encoder {
                channel: 0,
                controller: 21,
                mode: EncoderMode::Offset64,
            },
        );
        bind(Binding::Fader(2), Learned::PitchBend { channel: 4 });
        let text = std::fs::read_to_string(&path).unwrap();
        let want = "# My box.\nversion = 1\nslots = 4   # four faders\n\n[faders]\nmessage = \"cc\"\n\
                    channel = 1\ncontrollers = [1, 2, 3, 4]\n\n# Mine, by hand.\n[learned]\n\
                    pan-1 = { message = \"cc\", channel = 1, controller = 21, mode = \"offset-64\" } # the big knob\n\
                    play_pause = { message = \"note\", channel = 1, note = 60 }\n\
                    fader-4 = { message = \"cc14\", channel = 1, controller = 7 }\n\
                    fader-3 = { message = \"pitch-bend\", channel = 5 }\n";
        assert_eq!(text, want);
        let mapping = Mapping::parse("mine", &path, &text).unwrap();
        assert_eq!(
            mapping.controls[&cc(0, 7)],
            Role::Fader {
                target: Target::Strip(StripRef::Slot(3)),
                fine: true
            }
        );
        assert_eq!(
            mapping.controls[&cc(0, 39)],
            Role::FaderLsb(Target::Strip(StripRef::Slot(3)))
        );
        assert_eq!(mapping.bends[&4], Target::Strip(StripRef::Slot(2)));
        assert_eq!(mapping.controls.get(&cc(0, 3)), None);
        assert_eq!(
            mapping.controls[&cc(0, 21)],
            Role::Encoder {
                target: Target::Strip(StripRef::Slot(0)),
                turns: Turns::Pan,
                mode: EncoderMode::Offset64
            }
        );
        assert_eq!(mapping.controls.get(&cc(0, 20)), None);
    }

    /// A file that cannot be written is an error naming the path, and leaves nothing behind; a
    /// file that is not TOML is named with the line and left alone.
    #[test]
    fn unwritable_or_broken_files_are_errors_naming_the_path() {
        let dir = tempfile::tempdir().unwrap();
        // A file where the folder should be: nothing can be written inside it (even by root).
        let blocker = dir.path().join("controllers");
        std::fs::write(&blocker, "not a folder").unwrap();
        let path = blocker.join("generic-8.toml");
        let learned = Learned::Note {
            channel: 0,
            note: 99,
        };
        let binding = Binding::Button(Press::BankLeft);
        let err = save(
            &path,
            Some(shipped("generic-8")),
            "generic-8",
            &binding,
            &learned,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("cannot save the binding: ")
                && err.contains(&*blocker.to_string_lossy()),
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(&blocker).unwrap(), "not a folder");

        let broken = dir.path().join("broken.toml");
        std::fs::write(&broken, "version = 1\nslots = [\n").unwrap();
        let err = save(&broken, None, "broken", &binding, &learned)
            .unwrap_err()
            .to_string();
        assert!(err.contains(&*broken.to_string_lossy()), "{err}");
        assert!(
            err.contains("is not valid TOML (2:10: unclosed array"),
            "{err}"
        );
        assert_eq!(
            std::fs::read_to_string(&broken).unwrap(),
            "version = 1\nslots = [\n"
        );
    }

    /// Hand-written `[learned]` lines are checked like the rest of the file: an unknown
    /// binding, a slot past the controller's, a note for a fader and one control learned
    /// twice name the line and key.
    #[test]
    fn bad_learned_lines_are_errors_with_line_and_key() {
        let text = "version = 1\nslots = 2\n[learned]\nfader-3 = { message = \"cc\", channel = 1, \
                    controller = 1 }\nwobble = { message = \"cc\", channel = 1, controller = 2 }\n\
                    fader-1 = { message = \"note\", channel = 1, note = 3 }\n\
                    mute-1 = { message = \"note\", channel = 1, note = 4 }\n\
                    solo-1 = { message = \"note\", channel = 1, note = 4 }\n";
        let err = Mapping::parse("t", Path::new("t.toml"), text)
            .unwrap_err()
            .to_string();
        for want in [
            "t.toml:4:1: learned.fader-3 = fader-3: this controller has 2 fader slots",
            "t.toml:5:1: learned.wobble = wobble: learned bindings are fader-N",
            "t.toml:6:23: learned.fader-1.message = \"note\": a fader is",
            "t.toml:8:10: learned.solo-1 = ",
            "this control is also learned by learned.mute-1",
        ] {
            assert!(err.contains(want), "no {want:?} in {err}");
        }
    }

    /// What the box shows for the controls it hears: the words a device's manual uses.
    #[test]
    fn heard_controls_in_words() {
        let heard = [
            Heard::Cc {
                channel: 0,
                controller: 7,
                value: 3,
            },
            Heard::PitchBend {
                channel: 2,
                value: 0,
            },
            Heard::Note {
                channel: 0,
                note: 16,
                on: true,
            },
        ];
        let words: Vec<String> = heard.iter().map(ToString::to_string).collect();
        assert_eq!(
            words,
            [
                "CC 7 on channel 1",
                "pitch bend on channel 3",
                "note 16 on channel 1"
            ]
        );
        assert_eq!(
            Binding::from_key("select-8"),
            Some(Binding::Button(Press::Select(StripRef::Slot(7))))
        );
        assert_eq!(Binding::Fader(0).key(), "fader-1");
        assert_eq!(
            Binding::from_key("next_section").map(|b| b.key()),
            Some("next_section".to_string())
        );
    }
}
