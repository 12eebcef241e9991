//! Controller mappings (UI thread, read once when a MIDI surface starts): which MIDI message
//! of a controller moves which fader, turns which pan and presses which button, and what goes
//! back out to its motor faders and lamps.
//!
//! A mapping is a TOML file. The shipped ones live in `config/controllers/` and are built into
//! the binary; a file of the same name in the user's `controllers/` folder (beside
//! `config.toml`) replaces a shipped one, and `[midi] controller` may also name a file by its
//! path. Channels are written 1 to 16 as devices print them; note and controller numbers 0 to
//! 127. An error names the file, line, key and value. The `[learned]` table holds the bindings
//! made in the console's learn mode (see [`super::learn`]).

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::app::action::Action;
use crate::control::{Press, StripRef, Target, Turns};
use crate::session::locate::{Source, key_path_at};

use super::MidiError;

mod learned;

/// The mapping file version this earmix reads.
pub const MAPPING_VERSION: i64 = 1;

/// The mappings shipped with earmix, by name (the file name without `.toml`).
pub const SHIPPED: &[(&str, &str)] = &[
    (
        "generic-8",
        include_str!("../../../config/controllers/generic-8.toml"),
    ),
    (
        "mackie-control",
        include_str!("../../../config/controllers/mackie-control.toml"),
    ),
    (
        "nanokontrol2",
        include_str!("../../../config/controllers/nanokontrol2.toml"),
    ),
];

/// The mapping used when `[midi] controller` is not set.
pub const DEFAULT_MAPPING: &str = "generic-8";

/// Whether a button or touch sensor sends notes or control changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Note on / note off.
    Note,
    /// Control change.
    Cc,
}

/// One MIDI control: a note or a controller number on a channel (0 to 15 here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Control {
    /// Note or CC.
    pub kind: Kind,
    /// MIDI channel, 0 to 15 (written 1 to 16 in the file).
    pub channel: u8,
    /// Note or controller number, 0 to 127.
    pub number: u8,
}

/// How a fader sends its position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaderMessage {
    /// One 7-bit control change (0 to 127).
    Cc {
        /// Channel, 0 to 15.
        channel: u8,
        /// Controller number.
        controller: u8,
    },
    /// A 14-bit pair: the most significant 7 bits on `controller` (0 to 31), the least on
    /// `controller + 32`.
    Cc14 {
        /// Channel, 0 to 15.
        channel: u8,
        /// The MSB's controller number, 0 to 31.
        controller: u8,
    },
    /// Pitch bend on a channel of its own (Mackie Control), 14 bits.
    PitchBend {
        /// Channel, 0 to 15.
        channel: u8,
    },
}

/// A fader of the controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fader {
    /// What it sends (and, with motors, receives).
    pub message: FaderMessage,
    /// The note its touch sensor sends, when it has one.
    pub touch: Option<Control>,
    /// Motorised: earmix drives it to the mix's position.
    pub motor: bool,
}

/// How a relative encoder says which way and how far it turned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncoderMode {
    /// 1 to 63 up, 127 down to 65 (-1 to -63), as a 7-bit two's complement.
    TwosComplement,
    /// Bit 6 is the sign (set: down or left), bits 0 to 5 the count (Mackie Control V-Pots).
    SignMagnitude,
    /// 64 is still: 65 is +1, 63 is -1.
    Offset64,
}

impl EncoderMode {
    /// The signed number of detents a value means (0 when it means none).
    pub fn steps(self, value: u8) -> i32 {
        let value = i32::from(value & 0x7f);
        match self {
            Self::TwosComplement => {
                if value >= 64 {
                    value - 128
                } else {
                    value
                }
            }
            Self::SignMagnitude => {
                let count = value & 0x3f;
                if value & 0x40 == 0 { count } else { -count }
            }
            Self::Offset64 => value - 64,
        }
    }
}

/// What a control of the controller does when it arrives.
#[derive(Debug, Clone, PartialEq)]
pub enum Role {
    /// The 7-bit value of a fader (CC) or the MSB of a 14-bit pair.
    Fader {
        /// Which fader.
        target: Target,
        /// The LSB follows on controller + 32.
        fine: bool,
    },
    /// The LSB of a 14-bit fader.
    FaderLsb(Target),
    /// A touch sensor.
    Touch(Target),
    /// An absolute pan knob.
    Pan(StripRef),
    /// A relative encoder.
    Encoder {
        /// Whose.
        target: Target,
        /// What it turns.
        turns: Turns,
        /// How it counts.
        mode: EncoderMode,
    },
    /// A momentary button.
    Button(Press),
}

/// The lamps earmix lights: mute, solo and select per slot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lamps {
    /// Mute lamps, by slot.
    pub mute: Vec<Control>,
    /// Solo lamps, by slot.
    pub solo: Vec<Control>,
    /// Select lamps, by slot.
    pub select: Vec<Control>,
    /// The play button's lamp.
    pub play: Option<Control>,
    /// The blind button's lamp.
    pub blind: Option<Control>,
}

/// A controller's mapping, ready to decode with.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    /// Its name (the file name without `.toml`).
    pub name: String,
    /// What controller it is for, in the file's words.
    pub description: String,
    /// How many channel faders it has (a bank's width).
    pub slots: usize,
    /// The channel faders, by slot.
    pub faders: Vec<Fader>,
    /// The master fader.
    pub master: Option<Fader>,
    /// Lamps earmix lights (only when the file says `lamps = true`).
    pub lamps: Lamps,
    /// Every control with a role, for decoding.
    pub controls: HashMap<Control, Role>,
    /// Pitch-bend faders by channel.
    pub bends: HashMap<u8, Target>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMapping {
    version: Option<Spanned<i64>>,
    description: Option<String>,
    slots: Spanned<i64>,
    faders: Option<RawFaders>,
    master: Option<RawMaster>,
    pans: Option<RawKnobs>,
    encoders: Option<RawEncoders>,
    buttons: Option<RawButtons>,
    learned: Option<learned::RawTable>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFaders {
    message: Spanned<String>,
    channel: Option<Spanned<i64>>,
    controllers: Option<Vec<Spanned<i64>>>,
    channels: Option<Vec<Spanned<i64>>>,
    touch: Option<Vec<Spanned<i64>>>,
    #[serde(default)]
    motors: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMaster {
    message: Spanned<String>,
    channel: Spanned<i64>,
    controller: Option<Spanned<i64>>,
    touch: Option<Spanned<i64>>,
    #[serde(default)]
    motor: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKnobs {
    channel: Spanned<i64>,
    controllers: Vec<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEncoders {
    turns: Spanned<String>,
    mode: Spanned<String>,
    channel: Spanned<i64>,
    controllers: Vec<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawButtons {
    message: Spanned<String>,
    channel: Spanned<i64>,
    #[serde(default)]
    lamps: bool,
    mute: Option<Vec<Spanned<i64>>>,
    solo: Option<Vec<Spanned<i64>>>,
    select: Option<Vec<Spanned<i64>>>,
    #[serde(default)]
    actions: HashMap<Spanned<String>, Spanned<i64>>,
}

/// Collects the errors of one file while it is read.
struct Reader<'a> {
    src: Source<'a>,
    errors: Vec<crate::session::SessionError>,
    controls: HashMap<Control, Role>,
    /// Where each control was first given a role, to point at both places of a clash.
    seen: HashMap<Control, String>,
    bends: HashMap<u8, Target>,
}

impl Reader<'_> {
    fn error(&mut self, span: &Range<usize>, key: &str, message: impl Into<String>) {
        self.errors.push(self.src.error(span, key, message));
    }

    /// A channel written 1 to 16, as 0 to 15.
    fn channel(&mut self, value: &Spanned<i64>, key: &str) -> Option<u8> {
        if let Ok(c @ 1..=16) = u8::try_from(*value.get_ref()) {
            Some(c - 1)
        } else {
            self.error(&value.span(), key, "a MIDI channel is 1 to 16");
            None
        }
    }

    /// A note or controller number, 0 to `max`.
    fn number(&mut self, value: &Spanned<i64>, key: &str, max: u8) -> Option<u8> {
        match u8::try_from(*value.get_ref()) {
            Ok(n) if n <= max => Some(n),
            _ => {
                self.error(
                    &value.span(),
                    key,
                    format!("a note or controller number is 0 to {max}"),
                );
                None
            }
        }
    }

    /// Gives `control` its role, or says where it already has one.
    fn claim(&mut self, control: Control, role: Role, span: &Range<usize>, key: &str) {
        if let Some(first) = self.seen.get(&control) {
            let message = format!("this control is already mapped by {first}");
            self.error(span, key, message);
            return;
        }
        self.seen.insert(control, key.to_string());
        self.controls.insert(control, role);
    }

    /// A per-slot list: at most `slots` entries.
    fn per_slot<'v>(
        &mut self,
        values: &'v [Spanned<i64>],
        slots: usize,
        key: &str,
    ) -> &'v [Spanned<i64>] {
        if values.len() > slots {
            let span = values[slots].span();
            self.error(
                &span,
                &format!("{key}[{slots}]"),
                format!("one entry per fader slot: this controller has {slots} (`slots`)"),
            );
            &values[..slots]
        } else {
            values
        }
    }
}

fn kind_of(reader: &mut Reader<'_>, message: &Spanned<String>, key: &str) -> Option<Kind> {
    match message.get_ref().as_str() {
        "note" => Some(Kind::Note),
        "cc" => Some(Kind::Cc),
        _ => {
            reader.error(
                &message.span(),
                key,
                "buttons send \"note\" (note on/off) or \"cc\" (control changes)",
            );
            None
        }
    }
}

impl Mapping {
    /// Reads a mapping from `text` (the file at `path`; `name` is what it is called by).
    pub fn parse(name: &str, path: &Path, text: &str) -> Result<Self, MidiError> {
        let src = Source::new(path, text);
        let raw: RawMapping = toml::from_str(text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            let key = toml_edit::Document::parse(text)
                .ok()
                .and_then(|doc| key_path_at(&doc, span.start))
                .unwrap_or_default();
            MidiError::Mapping(vec![src.error_at(span.start, key, e.message().to_string())])
        })?;
        let mut reader = Reader {
            src,
            errors: Vec::new(),
            controls: HashMap::new(),
            seen: HashMap::new(),
            bends: HashMap::new(),
        };
        match &raw.version {
            None => reader.errors.push(reader.src.error_at(
                0,
                "version",
                format!("missing: a mapping file starts with `version = {MAPPING_VERSION}`"),
            )),
            Some(v) if *v.get_ref() != MAPPING_VERSION => reader.error(
                &v.span(),
                "version",
                format!("this earmix reads mapping files of version {MAPPING_VERSION} only"),
            ),
            Some(_) => {}
        }
        let slots = if let Ok(n @ 1..=64) = usize::try_from(*raw.slots.get_ref()) {
            n
        } else {
            reader.error(
                &raw.slots.span(),
                "slots",
                "a controller has 1 to 64 fader slots",
            );
            1
        };
        let faders = raw
            .faders
            .as_ref()
            .map(|f| read_faders(&mut reader, f, slots))
            .unwrap_or_default();
        let master = raw
            .master
            .as_ref()
            .and_then(|m| read_master(&mut reader, m));
        if let Some(pans) = &raw.pans {
            read_pans(&mut reader, pans, slots);
        }
        if let Some(encoders) = &raw.encoders {
            read_encoders(&mut reader, encoders, slots);
        }
        let mut lamps = raw
            .buttons
            .as_ref()
            .map(|b| read_buttons(&mut reader, b, slots))
            .unwrap_or_default();
        let mut faders = faders;
        if let Some(table) = &raw.learned {
            learned::apply(&mut reader, table, slots, &mut faders, &mut lamps);
        }
        if !reader.errors.is_empty() {
            reader.errors.sort_by_key(|e| (e.line, e.column));
            return Err(MidiError::Mapping(reader.errors));
        }
        Ok(Self {
            name: name.to_string(),
            description: raw.description.unwrap_or_default(),
            slots,
            faders,
            master,
            lamps,
            controls: reader.controls,
            bends: reader.bends,
        })
    }

    /// The mapping called `name_or_path`: a path (it contains a `/` or ends in `.toml`) is
    /// read as it is; a name is looked up in `user_dir` first, then among the shipped ones.
    pub fn load(name_or_path: &str, user_dir: Option<&Path>) -> Result<Self, MidiError> {
        let as_path = Path::new(name_or_path);
        if is_path(name_or_path) {
            let name = as_path
                .file_stem()
                .map_or_else(|| name_or_path.to_string(), |s| s.to_string_lossy().into());
            return Self::read(&name, as_path);
        }
        if let Some(dir) = user_dir {
            let path = dir.join(format!("{name_or_path}.toml"));
            if path.is_file() {
                return Self::read(name_or_path, &path);
            }
        }
        match SHIPPED.iter().find(|(name, _)| *name == name_or_path) {
            Some((name, text)) => {
                let path = PathBuf::from(format!("config/controllers/{name}.toml"));
                Self::parse(name, &path, text)
            }
            None => Err(MidiError::NoMapping {
                name: name_or_path.to_string(),
                known: known_names(user_dir).join(", "),
            }),
        }
    }

    fn read(name: &str, path: &Path) -> Result<Self, MidiError> {
        let bytes = std::fs::read(path).map_err(|e| MidiError::Read {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let text = crate::text::decode(bytes)
            .map_err(|e| MidiError::Mapping(vec![crate::session::file::not_text(path, e)]))?;
        Self::parse(name, path, &text)
    }
}

/// Whether `[midi] controller` names a file (it has a `/` or ends in `.toml`) rather than a
/// mapping by name.
pub fn is_path(name: &str) -> bool {
    name.contains('/')
        || Path::new(name)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
}

/// The names `[midi] controller` may take: the shipped mappings and the user's files.
pub fn known_names(user_dir: Option<&Path>) -> Vec<String> {
    let mut names: Vec<String> = SHIPPED.iter().map(|(n, _)| (*n).to_string()).collect();
    if let Some(dir) = user_dir
        && let Ok(entries) = std::fs::read_dir(dir)
    {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "toml")
                && let Some(stem) = path.file_stem()
            {
                let stem = stem.to_string_lossy().into_owned();
                if !names.contains(&stem) {
                    names.push(stem);
                }
            }
        }
    }
    names.sort();
    names
}

#[expect(
    clippy::too_many_lines,
    reason = "one arm per kind of fader message, each short"
)]
fn read_faders(reader: &mut Reader<'_>, raw: &RawFaders, slots: usize) -> Vec<Fader> {
    let mut faders = Vec::new();
    let message = raw.message.get_ref().as_str();
    match message {
        "cc" | "cc14" => {
            let fine = message == "cc14";
            let Some(channel) = raw.channel.as_ref() else {
                reader.error(
                    &raw.message.span(),
                    "faders.message",
                    "CC faders need `channel` and `controllers`",
                );
                return faders;
            };
            let channel = reader.channel(channel, "faders.channel");
            let controllers = raw.controllers.as_deref().unwrap_or_default();
            let controllers = reader.per_slot(controllers, slots, "faders.controllers");
            for (slot, value) in controllers.iter().enumerate() {
                let key = format!("faders.controllers[{slot}]");
                let max = if fine { 31 } else { 127 };
                let (Some(channel), Some(controller)) = (channel, reader.number(value, &key, max))
                else {
                    continue;
                };
                let target = Target::Strip(StripRef::Slot(slot));
                let control = Control {
                    kind: Kind::Cc,
                    channel,
                    number: controller,
                };
                reader.claim(
                    control,
                    Role::Fader {
                        target: target.clone(),
                        fine,
                    },
                    &value.span(),
                    &key,
                );
                let message = if fine {
                    let lsb = Control {
                        number: controller + 32,
                        ..control
                    };
                    reader.claim(lsb, Role::FaderLsb(target), &value.span(), &key);
                    FaderMessage::Cc14 {
                        channel,
                        controller,
                    }
                } else {
                    FaderMessage::Cc {
                        channel,
                        controller,
                    }
                };
                faders.push(Fader {
                    message,
                    touch: None,
                    motor: raw.motors,
                });
            }
        }
        "pitch-bend" => {
            let channels = raw.channels.as_deref().unwrap_or_default();
            let channels = reader.per_slot(channels, slots, "faders.channels");
            for (slot, value) in channels.iter().enumerate() {
                let key = format!("faders.channels[{slot}]");
                let Some(channel) = reader.channel(value, &key) else {
                    continue;
                };
                let target = Target::Strip(StripRef::Slot(slot));
                if reader.bends.insert(channel, target).is_some() {
                    reader.error(&value.span(), &key, "two faders bend the same channel");
                }
                faders.push(Fader {
                    message: FaderMessage::PitchBend { channel },
                    touch: None,
                    motor: raw.motors,
                });
            }
        }
        _ => {
            reader.error(
                &raw.message.span(),
                "faders.message",
                "faders send \"cc\" (7-bit), \"cc14\" (14-bit pairs: controller n and n+32) or \
                 \"pitch-bend\" (one channel per fader, as Mackie Control)",
            );
            return faders;
        }
    }
    if let Some(touch) = &raw.touch {
        let touch = reader.per_slot(touch, slots, "faders.touch");
        for (slot, value) in touch.iter().enumerate() {
            let key = format!("faders.touch[{slot}]");
            let Some(note) = reader.number(value, &key, 127) else {
                continue;
            };
            let control = Control {
                kind: Kind::Note,
                channel: 0,
                number: note,
            };
            let target = Target::Strip(StripRef::Slot(slot));
            reader.claim(control, Role::Touch(target), &value.span(), &key);
            if let Some(fader) = faders.get_mut(slot) {
                fader.touch = Some(control);
            }
        }
    }
    faders
}

fn read_master(reader: &mut Reader<'_>, raw: &RawMaster) -> Option<Fader> {
    let channel = reader.channel(&raw.channel, "master.channel")?;
    let message = match raw.message.get_ref().as_str() {
        "pitch-bend" => {
            if reader.bends.insert(channel, Target::Master).is_some() {
                reader.error(
                    &raw.channel.span(),
                    "master.channel",
                    "a channel fader already bends this channel",
                );
            }
            FaderMessage::PitchBend { channel }
        }
        kind @ ("cc" | "cc14") => {
            let fine = kind == "cc14";
            let Some(value) = raw.controller.as_ref() else {
                reader.error(
                    &raw.message.span(),
                    "master.message",
                    "a CC master fader needs `controller`",
                );
                return None;
            };
            let controller =
                reader.number(value, "master.controller", if fine { 31 } else { 127 })?;
            let control = Control {
                kind: Kind::Cc,
                channel,
                number: controller,
            };
            reader.claim(
                control,
                Role::Fader {
                    target: Target::Master,
                    fine,
                },
                &value.span(),
                "master.controller",
            );
            if fine {
                let lsb = Control {
                    number: controller + 32,
                    ..control
                };
                reader.claim(
                    lsb,
                    Role::FaderLsb(Target::Master),
                    &value.span(),
                    "master.controller",
                );
                FaderMessage::Cc14 {
                    channel,
                    controller,
                }
            } else {
                FaderMessage::Cc {
                    channel,
                    controller,
                }
            }
        }
        _ => {
            reader.error(
                &raw.message.span(),
                "master.message",
                "the master fader sends \"cc\", \"cc14\" or \"pitch-bend\"",
            );
            return None;
        }
    };
    let touch = raw.touch.as_ref().and_then(|value| {
        let note = reader.number(value, "master.touch", 127)?;
        let control = Control {
            kind: Kind::Note,
            channel: 0,
            number: note,
        };
        reader.claim(
            control,
            Role::Touch(Target::Master),
            &value.span(),
            "master.touch",
        );
        Some(control)
    });
    Some(Fader {
        message,
        touch,
        motor: raw.motor,
    })
}

fn read_pans(reader: &mut Reader<'_>, raw: &RawKnobs, slots: usize) {
    let channel = reader.channel(&raw.channel, "pans.channel");
    let controllers = reader.per_slot(&raw.controllers, slots, "pans.controllers");
    for (slot, value) in controllers.iter().enumerate() {
        let key = format!("pans.controllers[{slot}]");
        if let (Some(channel), Some(number)) = (channel, reader.number(value, &key, 127)) {
            let control = Control {
                kind: Kind::Cc,
                channel,
                number,
            };
            reader.claim(
                control,
                Role::Pan(StripRef::Slot(slot)),
                &value.span(),
                &key,
            );
        }
    }
}

fn read_encoders(reader: &mut Reader<'_>, raw: &RawEncoders, slots: usize) {
    let turns = match raw.turns.get_ref().as_str() {
        "pan" => Some(Turns::Pan),
        "fader" => Some(Turns::Fader { coarse: false }),
        "fader-coarse" => Some(Turns::Fader { coarse: true }),
        _ => {
            reader.error(
                &raw.turns.span(),
                "encoders.turns",
                "encoders turn \"pan\", \"fader\" (a fine step per detent) or \"fader-coarse\"",
            );
            None
        }
    };
    let mode = match raw.mode.get_ref().as_str() {
        "twos-complement" => Some(EncoderMode::TwosComplement),
        "sign-magnitude" => Some(EncoderMode::SignMagnitude),
        "offset-64" => Some(EncoderMode::Offset64),
        _ => {
            reader.error(
                &raw.mode.span(),
                "encoders.mode",
                "relative modes are \"twos-complement\" (1 up, 127 down), \"sign-magnitude\" \
                 (1 up, 65 down: Mackie Control) or \"offset-64\" (65 up, 63 down)",
            );
            None
        }
    };
    let channel = reader.channel(&raw.channel, "encoders.channel");
    let controllers = reader.per_slot(&raw.controllers, slots, "encoders.controllers");
    for (slot, value) in controllers.iter().enumerate() {
        let key = format!("encoders.controllers[{slot}]");
        if let (Some(turns), Some(mode), Some(channel), Some(number)) =
            (turns, mode, channel, reader.number(value, &key, 127))
        {
            let control = Control {
                kind: Kind::Cc,
                channel,
                number,
            };
            let role = Role::Encoder {
                target: Target::Strip(StripRef::Slot(slot)),
                turns,
                mode,
            };
            reader.claim(control, role, &value.span(), &key);
        }
    }
}

/// A button name of the surface itself (not a keymap action).
fn surface_press(name: &str) -> Option<Press> {
    match name {
        "bank_left" => Some(Press::BankLeft),
        "bank_right" => Some(Press::BankRight),
        "channel_left" => Some(Press::ChannelLeft),
        "channel_right" => Some(Press::ChannelRight),
        _ => None,
    }
}

/// A row of per-slot buttons: its key, its numbers, the press it makes.
type Row<'r> = (
    &'static str,
    Option<&'r Vec<Spanned<i64>>>,
    fn(StripRef) -> Press,
);

fn read_buttons(reader: &mut Reader<'_>, raw: &RawButtons, slots: usize) -> Lamps {
    let mut lamps = Lamps::default();
    let kind = kind_of(reader, &raw.message, "buttons.message");
    let channel = reader.channel(&raw.channel, "buttons.channel");
    let (Some(kind), Some(channel)) = (kind, channel) else {
        return lamps;
    };
    let rows: [Row<'_>; 3] = [
        ("mute", raw.mute.as_ref(), Press::Mute),
        ("solo", raw.solo.as_ref(), Press::Solo),
        ("select", raw.select.as_ref(), Press::Select),
    ];
    for (row, values, press) in rows {
        let Some(values) = values else { continue };
        let values = reader.per_slot(values, slots, &format!("buttons.{row}"));
        for (slot, value) in values.iter().enumerate() {
            let key = format!("buttons.{row}[{slot}]");
            let Some(number) = reader.number(value, &key, 127) else {
                continue;
            };
            let control = Control {
                kind,
                channel,
                number,
            };
            reader.claim(
                control,
                Role::Button(press(StripRef::Slot(slot))),
                &value.span(),
                &key,
            );
            if raw.lamps {
                match row {
                    "mute" => lamps.mute.push(control),
                    "solo" => lamps.solo.push(control),
                    _ => lamps.select.push(control),
                }
            }
        }
    }
    let mut actions: Vec<_> = raw.actions.iter().collect();
    actions.sort_by_key(|(name, _)| name.span().start);
    for (name, value) in actions {
        let key = format!("buttons.actions.{}", name.get_ref());
        let press = surface_press(name.get_ref())
            .or_else(|| Action::from_name(name.get_ref()).map(Press::Action));
        let Some(press) = press else {
            reader.error(
                &name.span(),
                &key,
                "not a button earmix knows: bank_left, bank_right, channel_left, channel_right, \
                 or an action of keymap.toml (play_pause, to_start, blind, next_section, \
                 previous_section, undo, save, ...)",
            );
            continue;
        };
        let Some(number) = reader.number(value, &key, 127) else {
            continue;
        };
        let control = Control {
            kind,
            channel,
            number,
        };
        if raw.lamps {
            match &press {
                Press::Action(Action::PlayPause) => lamps.play = Some(control),
                Press::Action(Action::Blind) => lamps.blind = Some(control),
                _ => {}
            }
        }
        reader.claim(control, Role::Button(press), &value.span(), &key);
    }
    lamps
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Mapping, MidiError> {
        Mapping::parse("test", Path::new("test.toml"), text)
    }

    fn errors(text: &str) -> Vec<String> {
        match parse(text) {
            Err(MidiError::Mapping(errors)) => errors.iter().map(ToString::to_string).collect(),
            other => panic!("expected mapping errors, got {other:?}"),
        }
    }

    /// Every shipped mapping loads, has eight channel faders, and maps mute and solo for each.
    #[test]
    fn every_shipped_mapping_loads() {
        for (name, _) in SHIPPED {
            let mapping = Mapping::load(name, None).unwrap();
            assert_eq!(mapping.slots, 8, "{name}");
            assert_eq!(mapping.faders.len(), 8, "{name}");
            for slot in 0..8 {
                for press in [Press::Mute, Press::Solo] {
                    let want = Role::Button(press(StripRef::Slot(slot)));
                    assert!(
                        mapping.controls.values().any(|r| *r == want),
                        "{name}: no {want:?}"
                    );
                }
            }
        }
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/controllers");
        let mut on_disk: Vec<String> = std::fs::read_dir(path)
            .unwrap()
            .map(|e| {
                e.unwrap()
                    .path()
                    .file_stem()
                    .unwrap()
                    .to_string_lossy()
                    .into()
            })
            .collect();
        on_disk.sort();
        let shipped: Vec<&str> = SHIPPED.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            on_disk, shipped,
            "every file in config/controllers is built in"
        );
    }

    /// The Mackie Control mapping has the MCU layout: pitch-bend faders on channels 1-8 and
    /// the master on 9, touch notes 104-112, sign-magnitude V-Pots on CC 16-23 for pan, mute
    /// 16-23, solo 8-15, select 24-31, bank 46/47, channel 48/49, play 94, stop 93.
    #[test]
    fn mackie_control_has_the_mcu_layout() {
        let m = Mapping::load("mackie-control", None).unwrap();
        let note = |n| Control {
            kind: Kind::Note,
            channel: 0,
            number: n,
        };
        for slot in 0..8u8 {
            assert_eq!(
                m.faders[usize::from(slot)].message,
                FaderMessage::PitchBend { channel: slot }
            );
            let strip = StripRef::Slot(usize::from(slot));
            assert_eq!(
                m.controls[&note(104 + slot)],
                Role::Touch(Target::Strip(strip.clone()))
            );
            assert_eq!(
                m.controls[&note(16 + slot)],
                Role::Button(Press::Mute(strip.clone()))
            );
            assert_eq!(
                m.controls[&note(8 + slot)],
                Role::Button(Press::Solo(strip.clone()))
            );
            assert_eq!(
                m.controls[&note(24 + slot)],
                Role::Button(Press::Select(strip.clone()))
            );
            let vpot = Control {
                kind: Kind::Cc,
                channel: 0,
                number: 16 + slot,
            };
            assert_eq!(
                m.controls[&vpot],
                Role::Encoder {
                    target: Target::Strip(strip),
                    turns: Turns::Pan,
                    mode: EncoderMode::SignMagnitude
                }
            );
        }
        assert_eq!(m.bends[&8], Target::Master);
        assert_eq!(m.controls[&note(112)], Role::Touch(Target::Master));
        assert!(m.faders.iter().all(|f| f.motor));
        for (n, press) in [
            (46, Press::BankLeft),
            (47, Press::BankRight),
            (48, Press::ChannelLeft),
            (49, Press::ChannelRight),
            (94, Press::Action(Action::PlayPause)),
            (93, Press::Action(Action::ToStart)),
        ] {
            assert_eq!(m.controls[&note(n)], Role::Button(press), "note {n}");
        }
        assert_eq!(m.lamps.mute.len(), 8);
    }

    /// The nanoKONTROL2 mapping has Korg's CC layout: faders 0-7, knobs 16-23 (pan), S 32-39,
    /// M 48-55, R 64-71, track < > 58/59, play 41, stop 42.
    #[test]
    fn nanokontrol2_has_korgs_layout() {
        let m = Mapping::load("nanokontrol2", None).unwrap();
        let cc = |n| Control {
            kind: Kind::Cc,
            channel: 0,
            number: n,
        };
        for slot in 0..8u8 {
            let strip = StripRef::Slot(usize::from(slot));
            assert_eq!(
                m.controls[&cc(slot)],
                Role::Fader {
                    target: Target::Strip(strip.clone()),
                    fine: false
                }
            );
            assert_eq!(m.controls[&cc(16 + slot)], Role::Pan(strip.clone()));
            assert_eq!(
                m.controls[&cc(32 + slot)],
                Role::Button(Press::Solo(strip.clone()))
            );
            assert_eq!(
                m.controls[&cc(48 + slot)],
                Role::Button(Press::Mute(strip.clone()))
            );
            assert_eq!(
                m.controls[&cc(64 + slot)],
                Role::Button(Press::Select(strip))
            );
        }
        assert_eq!(m.controls[&cc(58)], Role::Button(Press::BankLeft));
        assert_eq!(m.controls[&cc(59)], Role::Button(Press::BankRight));
        assert_eq!(
            m.controls[&cc(41)],
            Role::Button(Press::Action(Action::PlayPause))
        );
        assert_eq!(
            m.controls[&cc(42)],
            Role::Button(Press::Action(Action::ToStart))
        );
    }

    /// Each relative mode reads up and down turns as the controllers send them.
    #[test]
    fn encoder_modes_count_detents() {
        use EncoderMode::*;
        assert_eq!(
            (TwosComplement.steps(1), TwosComplement.steps(127)),
            (1, -1)
        );
        assert_eq!(
            (TwosComplement.steps(3), TwosComplement.steps(125)),
            (3, -3)
        );
        assert_eq!((SignMagnitude.steps(1), SignMagnitude.steps(65)), (1, -1));
        assert_eq!((SignMagnitude.steps(5), SignMagnitude.steps(69)), (5, -5));
        assert_eq!((Offset64.steps(65), Offset64.steps(63)), (1, -1));
        assert_eq!(Offset64.steps(64), 0);
    }

    /// Bad values are errors naming the file, line, key and value; every one is reported.
    #[test]
    fn mapping_errors_name_file_line_key_and_value() {
        let lines = errors(
            "version = 1\nslots = 2\n[faders]\nmessage = \"cc\"\nchannel = 17\n\
             controllers = [0, 200]\n[encoders]\nturns = \"pan\"\nmode = \"binary\"\n\
             channel = 1\ncontrollers = [16]\n[buttons]\nmessage = \"note\"\nchannel = 1\n\
             mute = [1, 2, 3]\n[buttons.actions]\nplay_pause = 1\nlaunch = 5\n",
        );
        for expected in [
            "test.toml:5:11: faders.channel = 17: a MIDI channel is 1 to 16",
            "test.toml:6:19: faders.controllers[1] = 200: a note or controller number is 0 to 127",
            "test.toml:9:8: encoders.mode = \"binary\": relative modes are",
            "test.toml:15:15: buttons.mute[2] = 3: one entry per fader slot: this controller has 2",
            "test.toml:17:14: buttons.actions.play_pause = 1: this control is already mapped by \
             buttons.mute[0]",
            "test.toml:18:1: buttons.actions.launch = launch: not a button earmix knows",
        ] {
            assert!(
                lines.iter().any(|l| l.contains(expected)),
                "no {expected:?} in {lines:#?}"
            );
        }
        let lines = errors("version = 1\nslots = 8\nfaderz = 1\n");
        assert!(lines[0].contains("test.toml:3:1"), "{lines:?}");
        assert!(lines[0].contains("unknown field `faderz`"), "{lines:?}");
        let lines = errors("slots = 8\n");
        assert!(lines[0].contains("version"), "{lines:?}");
    }

    /// A user file of a shipped mapping's name replaces it; an unknown name lists the known.
    #[test]
    fn user_mappings_override_shipped_ones_by_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("generic-8.toml"),
            "version = 1\ndescription = \"mine\"\nslots = 2\n",
        )
        .unwrap();
        let mine = Mapping::load("generic-8", Some(dir.path())).unwrap();
        assert_eq!((mine.description.as_str(), mine.slots), ("mine", 2));
        let shipped = Mapping::load("mackie-control", Some(dir.path())).unwrap();
        assert_eq!(shipped.slots, 8);
        let by_path = dir.path().join("generic-8.toml");
        let by_path = Mapping::load(&by_path.to_string_lossy(), None).unwrap();
        assert_eq!(by_path.description, "mine");
        let err = Mapping::load("faderfox", Some(dir.path())).unwrap_err();
        assert_eq!(
            err.to_string(),
            "no controller mapping called 'faderfox' (known: generic-8, mackie-control, \
             nanokontrol2)"
        );
    }
}
