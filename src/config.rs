//! earmix's settings: `config/default.toml` (built into the binary) overlaid by the user's
//! `config.toml` in the XDG config directory (or `--config FILE`). Keys the user leaves out keep
//! their defaults; unknown keys and bad values are errors that name the file, line, key and value.

use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::session::SessionError;
use crate::session::locate::{Source, key_path_at};
use crate::ui::ballistics::{Ballistics, DEFAULT_TOP_DB, Scale, ScaleKind};

/// The shipped defaults, documented for users to copy.
pub const DEFAULT_CONFIG: &str = include_str!("../config/default.toml");

/// The config file version this earmix reads.
pub const CONFIG_VERSION: i64 = 1;

/// Where the sound goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputChoice {
    /// The audio device.
    Device,
    /// No sound, at real-time pace.
    Null,
}

/// `[audio]`: the output device and its stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioConfig {
    /// Device or null output.
    pub output: OutputChoice,
    /// Audio host name (`None`: the system default).
    pub host: Option<String>,
    /// Output device name (`None`: the default device).
    pub device: Option<String>,
    /// Frames per buffer.
    pub buffer_frames: u32,
    /// Sample rate (`None`: the session's rate when the device offers it).
    pub sample_rate: Option<u32>,
    /// What the stem streams may hold in memory, in MiB (see
    /// [`crate::engine::stream_plan::StreamPlan`]).
    pub stream_memory_mb: u32,
}

/// `[meters]`: how the console's level meters move and are scaled.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetersConfig {
    /// The bottom of every meter, in dBFS; quieter levels show as silence.
    pub floor_db: f64,
    /// How fast bars and released peak holds fall, in dB per second.
    pub fall_db_per_second: f64,
    /// How long the numeric peak stays before it falls.
    pub peak_hold: Duration,
    /// How levels are spread along a meter.
    pub scale: ScaleKind,
}

impl MetersConfig {
    /// The ballistics of one meter with these settings.
    pub fn ballistics(&self) -> Ballistics {
        Ballistics {
            floor_db: self.floor_db,
            fall_db_per_second: self.fall_db_per_second,
            peak_hold: self.peak_hold,
        }
    }

    /// The meter scale: from the floor to full scale (0 dBFS).
    pub fn meter_scale(&self) -> Scale {
        Scale::new(self.scale, self.floor_db, DEFAULT_TOP_DB)
    }
}

/// `[steps]`: how far one key press moves a fader, in dB.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepsConfig {
    /// The plain step (Up/Down, k/j).
    pub fine_db: f64,
    /// The big step (Shift+Up/Down, K/J, PgUp/PgDn).
    pub coarse_db: f64,
    /// The small step (the finer modifier).
    pub finer_db: f64,
}

/// `[console]`: drawing the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsoleConfig {
    /// Most frames drawn per second while playing.
    pub fps: u32,
    /// Plain ASCII instead of Unicode block characters.
    pub ascii: bool,
    /// Colours (`NO_COLOR` and `--no-color` turn them off regardless).
    pub color: bool,
    /// The mouse: clicks and the wheel reported by the terminal (`--mouse` turns it on too).
    pub mouse: bool,
}

/// What leaving blind mode does with the hidden offsets (`[blind] on_exit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlindOnExit {
    /// Ask each time (`"ask"`, the default).
    Ask,
    /// Keep the balance heard: the offsets stay in the faders (`"keep"`).
    Keep,
    /// Take the offsets out, keeping the moves made by ear (`"revert"`).
    Revert,
}

impl BlindOnExit {
    /// The setting named as the config file names it.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "ask" => Some(Self::Ask),
            "keep" => Some(Self::Keep),
            "revert" => Some(Self::Revert),
            _ => None,
        }
    }
}

/// `[blind]`: how blind mode hides levels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BlindConfig {
    /// Largest hidden offset applied to a fader when blind mode starts, in dB (either way).
    pub max_offset_db: f64,
    /// Smallest random factor applied to a key press's step while blind.
    pub step_factor_min: f64,
    /// Largest random factor applied to a key press's step while blind.
    pub step_factor_max: f64,
    /// What leaving blind mode does with the hidden offsets.
    pub on_exit: BlindOnExit,
}

/// `[exercise]`: the guided exercises.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExerciseConfig {
    /// How far, in dB either way, the Blindfold Balance Test and the Emotional Arc Exercise
    /// scramble the faders (the drill's levels set their own).
    pub scramble_db: f64,
}

/// `[rides]`: recording rides (level automation) by ear.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RidesConfig {
    /// In touch mode, how long after the last fader move the touch lets go, in milliseconds.
    pub touch_release_ms: u32,
}

/// `[monitor]`: the monitor section (what is heard, never the bounce).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MonitorConfig {
    /// The output safety ceiling, dBFS: nothing louder leaves for the speakers.
    pub ceiling_db: f64,
}

/// Where a MIDI surface's feedback goes (`[midi] output`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MidiOutputChoice {
    /// The output port found by the input's name, when there is one (`"same"`, the default).
    Same,
    /// No feedback (`"none"`).
    Off,
    /// The output port this names (exact name, else a part of it).
    Port(String),
}

/// `[midi]`: a MIDI controller as a control surface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MidiConfig {
    /// The input port, by its name or a part of it (`None`: no MIDI surface).
    pub input: Option<String>,
    /// Where motor fader positions and lamps go.
    pub output: MidiOutputChoice,
    /// The controller mapping: a shipped or user mapping's name, or a file's path.
    pub controller: String,
}

/// All settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `[audio]`.
    pub audio: AudioConfig,
    /// `[meters]`.
    pub meters: MetersConfig,
    /// `[steps]`.
    pub steps: StepsConfig,
    /// `[console]`.
    pub console: ConsoleConfig,
    /// `[blind]`.
    pub blind: BlindConfig,
    /// `[exercise]`.
    pub exercise: ExerciseConfig,
    /// `[monitor]`.
    pub monitor: MonitorConfig,
    /// `[rides]`.
    pub rides: RidesConfig,
    /// `[midi]`.
    pub midi: MidiConfig,
    /// `[osc]`.
    pub osc: crate::control::osc::OscConfig,
}

/// A problem in a config file (same one-line form as a session error:
/// `file:line:col: key = value: message`).
pub type ConfigError = SessionError;

/// Smallest and largest buffer sizes, in frames.
pub const BUFFER_RANGE: (u32, u32) = (16, 16_384);

/// Allowed stream memory budgets, in MiB.
pub const STREAM_MEMORY_RANGE: RangeInclusive<u32> = 16..=65_536;

/// Allowed meter floors, in dBFS.
pub const FLOOR_RANGE: RangeInclusive<f64> = -120.0..=-20.0;
/// Allowed meter fall rates, in dB per second.
pub const FALL_RANGE: RangeInclusive<f64> = 1.0..=1000.0;
/// Allowed peak hold times, in seconds.
pub const HOLD_RANGE: RangeInclusive<f64> = 0.0..=60.0;
/// Allowed fader steps, in dB.
pub const STEP_RANGE: RangeInclusive<f64> = 0.01..=12.0;
/// Allowed frame rate caps.
pub const FPS_RANGE: RangeInclusive<u32> = 1..=240;
/// Allowed blind offsets, in dB.
pub const BLIND_OFFSET_RANGE: RangeInclusive<f64> = 0.0..=12.0;
/// Allowed exercise scramble ranges, in dB.
pub const SCRAMBLE_RANGE: RangeInclusive<f64> = 1.0..=20.0;
/// Allowed output safety ceilings, in dBFS.
pub const CEILING_RANGE: RangeInclusive<f64> = -30.0..=0.0;
/// Allowed touch release times, in milliseconds.
pub const TOUCH_RELEASE_RANGE: RangeInclusive<u32> = 50..=10_000;
/// Allowed blind step factors.
pub const STEP_FACTOR_RANGE: RangeInclusive<f64> = 0.1..=3.0;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    version: Option<Spanned<i64>>,
    audio: Option<RawAudio>,
    meters: Option<RawMeters>,
    steps: Option<RawSteps>,
    console: Option<RawConsole>,
    blind: Option<RawBlind>,
    exercise: Option<RawExercise>,
    monitor: Option<RawMonitor>,
    rides: Option<RawRides>,
    midi: Option<RawMidi>,
    osc: Option<RawOsc>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAudio {
    output: Option<Spanned<String>>,
    host: Option<Spanned<String>>,
    device: Option<Spanned<String>>,
    buffer_frames: Option<Spanned<i64>>,
    sample_rate: Option<Spanned<i64>>,
    stream_memory_mb: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeters {
    floor_db: Option<Spanned<f64>>,
    fall_db_per_second: Option<Spanned<f64>>,
    peak_hold_seconds: Option<Spanned<f64>>,
    scale: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOsc {
    enabled: Option<Spanned<bool>>,
    port: Option<Spanned<i64>>,
    address: Option<Spanned<String>>,
    allow: Option<Spanned<Vec<Spanned<String>>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[expect(clippy::struct_field_names, reason = "the fields are the file's keys")]
struct RawSteps {
    fine_db: Option<Spanned<f64>>,
    coarse_db: Option<Spanned<f64>>,
    finer_db: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConsole {
    fps: Option<Spanned<i64>>,
    ascii: Option<Spanned<bool>>,
    color: Option<Spanned<bool>>,
    mouse: Option<Spanned<bool>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExercise {
    scramble_db: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMonitor {
    ceiling_db: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMidi {
    input: Option<Spanned<String>>,
    output: Option<Spanned<String>>,
    controller: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRides {
    touch_release_ms: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBlind {
    max_offset_db: Option<Spanned<f64>>,
    step_factor_min: Option<Spanned<f64>>,
    step_factor_max: Option<Spanned<f64>>,
    on_exit: Option<Spanned<String>>,
}

/// Sets `target` from a number in the file when it lies in `allowed`; otherwise records an error
/// naming the key, the value and `allowed_text` (what is allowed, for the user).
fn set_number(
    src: &Source<'_>,
    value: Option<Spanned<f64>>,
    key: &str,
    allowed: &RangeInclusive<f64>,
    allowed_text: &str,
    target: &mut f64,
    errors: &mut Vec<ConfigError>,
) {
    if let Some(value) = value {
        if allowed.contains(value.get_ref()) {
            *target = value.into_inner();
        } else {
            errors.push(src.error(&value.span(), key, allowed_text));
        }
    }
}

impl Config {
    /// The built-in defaults.
    pub fn defaults() -> Self {
        let mut config = Self {
            audio: AudioConfig {
                output: OutputChoice::Device,
                host: None,
                device: None,
                buffer_frames: 256,
                sample_rate: None,
                stream_memory_mb: crate::engine::stream_plan::DEFAULT_BUDGET_MIB,
            },
            meters: MetersConfig {
                floor_db: crate::ui::ballistics::DEFAULT_FLOOR_DB,
                fall_db_per_second: crate::ui::ballistics::IEC_FALL_DB_PER_SECOND,
                peak_hold: crate::ui::ballistics::DEFAULT_PEAK_HOLD,
                scale: ScaleKind::Linear,
            },
            steps: StepsConfig {
                fine_db: 0.5,
                coarse_db: 3.0,
                finer_db: 0.1,
            },
            console: ConsoleConfig {
                fps: 30,
                ascii: false,
                color: true,
                mouse: false,
            },
            blind: BlindConfig {
                max_offset_db: 4.0,
                step_factor_min: 0.7,
                step_factor_max: 1.3,
                on_exit: BlindOnExit::Ask,
            },
            exercise: ExerciseConfig { scramble_db: 8.0 },
            rides: RidesConfig {
                touch_release_ms: 600,
            },
            monitor: MonitorConfig {
                ceiling_db: crate::engine::realtime::DEFAULT_CEILING_DB,
            },
            midi: MidiConfig {
                input: None,
                output: MidiOutputChoice::Same,
                controller: crate::control::midi::mapping::DEFAULT_MAPPING.to_string(),
            },
            osc: crate::control::osc::OscConfig::default(),
        };
        // The shipped file is tested to load; it can only fail in a broken build.
        if let Err(errors) = config.overlay(Path::new("config/default.toml"), DEFAULT_CONFIG) {
            tracing::error!("the built-in config/default.toml is invalid: {errors:?}");
        }
        config
    }

    /// The defaults overlaid by the user's file at `path`; a missing file is not an error when
    /// `required` is false (the usual XDG location).
    pub fn load(path: &Path, required: bool) -> Result<Self, Vec<ConfigError>> {
        let mut config = Self::defaults();
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => return Ok(config),
            Err(e) => {
                return Err(vec![ConfigError::whole_file(
                    path,
                    format!("cannot read the config file: {e}"),
                )]);
            }
        };
        let text = crate::text::decode(bytes)
            .map_err(|e| vec![crate::session::file::not_text(path, e)])?;
        config.overlay(path, &text)?;
        Ok(config)
    }

    /// The user's config file in the XDG config directory (`~/.config/earmix/config.toml`).
    pub fn user_path() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "earmix").map(|d| d.config_dir().join("config.toml"))
    }

    /// Applies the keys of one file over the current settings.
    fn overlay(&mut self, path: &Path, text: &str) -> Result<(), Vec<ConfigError>> {
        let src = Source::new(path, text);
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            let key = toml_edit::Document::parse(text)
                .ok()
                .and_then(|doc| key_path_at(&doc, span.start))
                .unwrap_or_default();
            vec![src.error_at(span.start, key, e.message().to_string())]
        })?;
        let mut errors = Vec::new();
        match &raw.version {
            None => errors.push(src.error_at(
                0,
                "version",
                format!("missing: a config file starts with `version = {CONFIG_VERSION}`"),
            )),
            Some(v) if *v.get_ref() != CONFIG_VERSION => errors.push(src.error(
                &v.span(),
                "version",
                format!("this earmix reads config files of version {CONFIG_VERSION} only"),
            )),
            Some(_) => {}
        }
        if let Some(audio) = raw.audio {
            self.overlay_audio(&src, audio, &mut errors);
        }
        if let Some(meters) = raw.meters {
            self.overlay_meters(&src, meters, &mut errors);
        }
        if let Some(steps) = raw.steps {
            self.overlay_steps(&src, steps, &mut errors);
        }
        if let Some(console) = raw.console {
            self.overlay_console(&src, console, &mut errors);
        }
        if let Some(blind) = raw.blind {
            self.overlay_blind(&src, blind, &mut errors);
        }
        if let Some(ms) = raw.rides.and_then(|r| r.touch_release_ms) {
            match u32::try_from(*ms.get_ref()) {
                Ok(n) if TOUCH_RELEASE_RANGE.contains(&n) => self.rides.touch_release_ms = n,
                _ => errors.push(src.error(
                    &ms.span(),
                    "rides.touch_release_ms",
                    format!(
                        "a touch lets go {} to {} ms after the last move (the default is 600)",
                        TOUCH_RELEASE_RANGE.start(),
                        TOUCH_RELEASE_RANGE.end()
                    ),
                )),
            }
        }
        if let Some(exercise) = raw.exercise {
            set_number(
                &src,
                exercise.scramble_db,
                "exercise.scramble_db",
                &SCRAMBLE_RANGE,
                "the scramble range is 1 to 20 dB either way (the default is 8)",
                &mut self.exercise.scramble_db,
                &mut errors,
            );
        }
        if let Some(monitor) = raw.monitor {
            set_number(
                &src,
                monitor.ceiling_db,
                "monitor.ceiling_db",
                &CEILING_RANGE,
                "the ceiling is -30 to 0 dBFS (the default is -1)",
                &mut self.monitor.ceiling_db,
                &mut errors,
            );
        }
        if let Some(midi) = raw.midi {
            self.overlay_midi(&src, midi, &mut errors);
        }
        if let Some(osc) = raw.osc {
            self.overlay_osc(&src, osc, &mut errors);
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    fn overlay_midi(&mut self, src: &Source<'_>, raw: RawMidi, errors: &mut Vec<ConfigError>) {
        let m = &mut self.midi;
        if let Some(input) = raw.input {
            let name = input.get_ref().trim();
            m.input = (!name.is_empty()).then(|| name.to_string());
        }
        if let Some(output) = raw.output {
            match output.get_ref().trim() {
                "same" => m.output = MidiOutputChoice::Same,
                "none" => m.output = MidiOutputChoice::Off,
                "" => errors.push(src.error(
                    &output.span(),
                    "midi.output",
                    "the output is \"same\" (the port named like the input), \"none\" (no \
                     feedback) or a port's name, as `earmix midi` lists it",
                )),
                name => m.output = MidiOutputChoice::Port(name.to_string()),
            }
        }
        if let Some(controller) = raw.controller {
            let name = controller.get_ref().trim();
            let is_path = crate::control::midi::mapping::is_path(name);
            let known = crate::control::midi::mapping::known_names(
                crate::control::midi::user_mapping_dir().as_deref(),
            );
            if is_path || known.iter().any(|k| k == name) {
                m.controller = name.to_string();
            } else {
                errors.push(src.error(
                    &controller.span(),
                    "midi.controller",
                    format!(
                        "no controller mapping of that name; the mappings are {} (or give a \
                         file's path)",
                        known.join(", ")
                    ),
                ));
            }
        }
    }

    fn overlay_osc(&mut self, src: &Source<'_>, raw: RawOsc, errors: &mut Vec<ConfigError>) {
        let o = &mut self.osc;
        if let Some(enabled) = raw.enabled {
            o.enabled = enabled.into_inner();
        }
        if let Some(port) = raw.port {
            match u16::try_from(*port.get_ref()) {
                Ok(p) if p > 0 => o.port = p,
                _ => errors.push(src.error(
                    &port.span(),
                    "osc.port",
                    "the OSC port is 1 to 65535 (the default is 9000)",
                )),
            }
        }
        if let Some(address) = &raw.address {
            match address.get_ref().trim().parse() {
                Ok(ip) => o.address = ip,
                Err(_) => errors.push(src.error(
                    &address.span(),
                    "osc.address",
                    "the address to listen on is an IP address of this machine: \"127.0.0.1\" \
                     (this machine only, the default), \"0.0.0.0\" (every network), or one \
                     interface's address",
                )),
            }
        }
        if let Some(allow) = raw.allow {
            let mut peers = Vec::new();
            for entry in allow.into_inner() {
                match entry.get_ref().parse() {
                    Ok(peer) => peers.push(peer),
                    Err(message) => errors.push(src.error(&entry.span(), "osc.allow", message)),
                }
            }
            o.allow = peers;
        }
        if let Err(message) = o.check() {
            match &raw.address {
                Some(address) => errors.push(src.error(&address.span(), "osc.address", message)),
                None => errors.push(src.error_at(0, "osc.allow", message)),
            }
        }
    }

    fn overlay_audio(&mut self, src: &Source<'_>, raw: RawAudio, errors: &mut Vec<ConfigError>) {
        let a = &mut self.audio;
        if let Some(output) = raw.output {
            match output.get_ref().as_str() {
                "device" => a.output = OutputChoice::Device,
                "null" => a.output = OutputChoice::Null,
                _ => errors.push(src.error(
                    &output.span(),
                    "audio.output",
                    "the output is \"device\" (the sound card) or \"null\" (silent, real-time)",
                )),
            }
        }
        if let Some(host) = raw.host {
            a.host = Some(host.into_inner()).filter(|h| !h.is_empty());
        }
        if let Some(device) = raw.device {
            a.device = Some(device.into_inner()).filter(|d| !d.is_empty());
        }
        if let Some(buffer) = raw.buffer_frames {
            let (low, high) = BUFFER_RANGE;
            match u32::try_from(*buffer.get_ref()) {
                Ok(frames) if (low..=high).contains(&frames) => a.buffer_frames = frames,
                _ => errors.push(src.error(
                    &buffer.span(),
                    "audio.buffer_frames",
                    format!("the buffer is {low} to {high} frames; 256 is 5.3 ms at 48 kHz"),
                )),
            }
        }
        if let Some(rate) = raw.sample_rate {
            let (low, high) = (
                crate::session::MIN_SAMPLE_RATE,
                crate::session::MAX_SAMPLE_RATE,
            );
            match u32::try_from(*rate.get_ref()) {
                Ok(0) => a.sample_rate = None,
                Ok(hz) if (low..=high).contains(&hz) => a.sample_rate = Some(hz),
                _ => errors.push(src.error(
                    &rate.span(),
                    "audio.sample_rate",
                    format!(
                        "the sample rate is {low} to {high} Hz, or 0 for the session's own rate"
                    ),
                )),
            }
        }
        if let Some(budget) = raw.stream_memory_mb {
            match u32::try_from(*budget.get_ref()) {
                Ok(mib) if STREAM_MEMORY_RANGE.contains(&mib) => a.stream_memory_mb = mib,
                _ => errors.push(src.error(
                    &budget.span(),
                    "audio.stream_memory_mb",
                    format!(
                        "the stream memory budget is {} to {} MiB (the default is {})",
                        STREAM_MEMORY_RANGE.start(),
                        STREAM_MEMORY_RANGE.end(),
                        crate::engine::stream_plan::DEFAULT_BUDGET_MIB
                    ),
                )),
            }
        }
    }

    fn overlay_meters(&mut self, src: &Source<'_>, raw: RawMeters, errors: &mut Vec<ConfigError>) {
        let m = &mut self.meters;
        set_number(
            src,
            raw.floor_db,
            "meters.floor_db",
            &FLOOR_RANGE,
            "the meter floor is -120 to -20 dBFS (the default is -60)",
            &mut m.floor_db,
            errors,
        );
        set_number(
            src,
            raw.fall_db_per_second,
            "meters.fall_db_per_second",
            &FALL_RANGE,
            "the fall rate is 1 to 1000 dB per second; IEC 60268-18 meters fall 20 dB in 1.7 s \
             (11.76)",
            &mut m.fall_db_per_second,
            errors,
        );
        let mut hold = m.peak_hold.as_secs_f64();
        set_number(
            src,
            raw.peak_hold_seconds,
            "meters.peak_hold_seconds",
            &HOLD_RANGE,
            "the peak hold is 0 (none) to 60 seconds",
            &mut hold,
            errors,
        );
        m.peak_hold = Duration::from_secs_f64(hold);
        if let Some(scale) = raw.scale {
            match ScaleKind::from_name(scale.get_ref()) {
                Some(kind) => m.scale = kind,
                None => errors.push(src.error(
                    &scale.span(),
                    "meters.scale",
                    "the scale is \"linear\" (equal room per dB) or \"iec\" (IEC 60268-18: more \
                     room near the top)",
                )),
            }
        }
    }

    fn overlay_steps(&mut self, src: &Source<'_>, raw: RawSteps, errors: &mut Vec<ConfigError>) {
        let s = &mut self.steps;
        let allowed = "a fader step is 0.01 to 12 dB";
        for (value, key, target) in [
            (raw.fine_db, "steps.fine_db", &mut s.fine_db),
            (raw.coarse_db, "steps.coarse_db", &mut s.coarse_db),
            (raw.finer_db, "steps.finer_db", &mut s.finer_db),
        ] {
            set_number(src, value, key, &STEP_RANGE, allowed, target, errors);
        }
    }

    fn overlay_console(
        &mut self,
        src: &Source<'_>,
        raw: RawConsole,
        errors: &mut Vec<ConfigError>,
    ) {
        let c = &mut self.console;
        if let Some(fps) = raw.fps {
            match u32::try_from(*fps.get_ref()) {
                Ok(fps) if FPS_RANGE.contains(&fps) => c.fps = fps,
                _ => errors.push(src.error(
                    &fps.span(),
                    "console.fps",
                    format!(
                        "the frame rate cap is {} to {} frames per second (the default is 30)",
                        FPS_RANGE.start(),
                        FPS_RANGE.end()
                    ),
                )),
            }
        }
        if let Some(ascii) = raw.ascii {
            c.ascii = ascii.into_inner();
        }
        if let Some(color) = raw.color {
            c.color = color.into_inner();
        }
        if let Some(mouse) = raw.mouse {
            c.mouse = mouse.into_inner();
        }
    }

    fn overlay_blind(&mut self, src: &Source<'_>, raw: RawBlind, errors: &mut Vec<ConfigError>) {
        let b = &mut self.blind;
        set_number(
            src,
            raw.max_offset_db,
            "blind.max_offset_db",
            &BLIND_OFFSET_RANGE,
            "the hidden offset is 0 (none) to 12 dB",
            &mut b.max_offset_db,
            errors,
        );
        if let Some(on_exit) = raw.on_exit {
            match BlindOnExit::from_name(on_exit.get_ref()) {
                Some(choice) => b.on_exit = choice,
                None => errors.push(src.error(
                    &on_exit.span(),
                    "blind.on_exit",
                    "leaving blind mode can \"ask\" (the default: you choose each time), \"keep\" \
                     (the balance you heard) or \"revert\" (take the hidden offsets out, keep \
                     your moves by ear)",
                )),
            }
        }
        let before = errors.len();
        // Where to point if the pair ends up out of order: a factor this file sets.
        let pair_at = match (&raw.step_factor_min, &raw.step_factor_max) {
            (Some(v), _) => Some((v.span(), "blind.step_factor_min")),
            (None, Some(v)) => Some((v.span(), "blind.step_factor_max")),
            (None, None) => None,
        };
        let allowed = "a step factor is 0.1 to 3.0 (1.0 is the plain step)";
        set_number(
            src,
            raw.step_factor_min,
            "blind.step_factor_min",
            &STEP_FACTOR_RANGE,
            allowed,
            &mut b.step_factor_min,
            errors,
        );
        set_number(
            src,
            raw.step_factor_max,
            "blind.step_factor_max",
            &STEP_FACTOR_RANGE,
            allowed,
            &mut b.step_factor_max,
            errors,
        );
        if let Some((span, key)) = pair_at
            && errors.len() == before
            && b.step_factor_min > b.step_factor_max
        {
            errors.push(src.error(
                &span,
                key,
                format!(
                    "step_factor_min ({}) must not be above step_factor_max ({})",
                    b.step_factor_min, b.step_factor_max
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, text: &str) -> PathBuf {
        let path = dir.join("config.toml");
        std::fs::write(&path, text).unwrap();
        path
    }

    /// The shipped config/default.toml loads, with the documented defaults.
    #[test]
    fn shipped_default_config_loads() {
        let mut config = Config {
            audio: AudioConfig {
                output: OutputChoice::Null,
                host: Some("x".into()),
                device: Some("y".into()),
                buffer_frames: 1,
                sample_rate: Some(1),
                stream_memory_mb: 1,
            },
            meters: MetersConfig {
                floor_db: -1.0,
                fall_db_per_second: -1.0,
                peak_hold: Duration::from_secs(99),
                scale: ScaleKind::Iec,
            },
            steps: StepsConfig {
                fine_db: -1.0,
                coarse_db: -1.0,
                finer_db: -1.0,
            },
            console: ConsoleConfig {
                fps: 0,
                ascii: true,
                color: false,
                mouse: true,
            },
            blind: BlindConfig {
                max_offset_db: -1.0,
                step_factor_min: -1.0,
                step_factor_max: -1.0,
                on_exit: BlindOnExit::Keep,
            },
            exercise: ExerciseConfig { scramble_db: -1.0 },
            monitor: MonitorConfig { ceiling_db: 5.0 },
            rides: RidesConfig {
                touch_release_ms: 1,
            },
            osc: crate::control::osc::OscConfig {
                enabled: true,
                port: 1,
                address: std::net::IpAddr::from([10, 0, 0, 1]),
                allow: vec!["10.0.0.2".parse().unwrap()],
            },
            midi: MidiConfig {
                input: Some("x".into()),
                output: MidiOutputChoice::Off,
                controller: "y".into(),
            },
        };
        config
            .overlay(Path::new("config/default.toml"), DEFAULT_CONFIG)
            .unwrap();
        assert_eq!(config, Config::defaults());
        assert_eq!(config.audio.output, OutputChoice::Device);
        assert_eq!(config.audio.buffer_frames, 256);
        assert_eq!(config.audio.sample_rate, None);
        assert_eq!(config.audio.host, None);
    }

    /// The touch release time is read, and one out of range is named with its file, line,
    /// key and value.
    #[test]
    fn touch_release_is_read_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Config::defaults().rides.touch_release_ms, 600);
        let path = write(dir.path(), "version = 1\n[rides]\ntouch_release_ms = 900\n");
        assert_eq!(
            Config::load(&path, true).unwrap().rides.touch_release_ms,
            900
        );
        let path = write(dir.path(), "version = 1\n[rides]\ntouch_release_ms = 0\n");
        let errors = Config::load(&path, true).unwrap_err();
        assert_eq!(
            errors[0].to_string(),
            format!(
                "{}:3:20: rides.touch_release_ms = 0: a touch lets go 50 to 10000 ms after the \
                 last move (the default is 600)",
                path.display()
            )
        );
    }

    /// The shipped file sets the console defaults the README and issue promise: -60 dBFS floor,
    /// IEC fall (20 dB in 1.7 s), 1 s hold, linear scale, 0.5/3/0.1 dB steps, 30 fps, Unicode
    /// and colour, no mouse, blind offsets up to 4 dB and step factors 0.7-1.3.
    #[test]
    fn shipped_console_defaults() {
        let config = Config::load(Path::new("/nonexistent/earmix/config.toml"), false).unwrap();
        let m = config.meters;
        assert_eq!(m.floor_db, -60.0);
        assert!(
            (m.fall_db_per_second - 20.0 / 1.7).abs() < 0.01,
            "{}",
            m.fall_db_per_second
        );
        assert_eq!(m.peak_hold, Duration::from_secs(1));
        assert_eq!(m.scale, ScaleKind::Linear);
        assert_eq!(m.ballistics().floor_db, -60.0);
        assert_eq!(
            (m.meter_scale().bottom_db(), m.meter_scale().top_db()),
            (-60.0, 0.0)
        );
        let s = config.steps;
        assert_eq!((s.fine_db, s.coarse_db, s.finer_db), (0.5, 3.0, 0.1));
        assert_eq!(
            config.console,
            ConsoleConfig {
                fps: 30,
                ascii: false,
                color: true,
                mouse: false
            }
        );
        let b = config.blind;
        assert_eq!(
            (b.max_offset_db, b.step_factor_min, b.step_factor_max),
            (4.0, 0.7, 1.3)
        );
        assert_eq!(b.on_exit, BlindOnExit::Ask);
    }

    /// `[blind] on_exit` reads "ask", "keep" and "revert"; anything else is an error naming
    /// the file, line, key and value, and what is allowed.
    #[test]
    fn blind_on_exit_is_read_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        for (name, choice) in [
            ("ask", BlindOnExit::Ask),
            ("keep", BlindOnExit::Keep),
            ("revert", BlindOnExit::Revert),
        ] {
            let path = write(
                dir.path(),
                &format!("version = 1\n[blind]\non_exit = \"{name}\"\n"),
            );
            assert_eq!(Config::load(&path, true).unwrap().blind.on_exit, choice);
        }
        let path = write(dir.path(), "version = 1\n[blind]\non_exit = \"Revert\"\n");
        let errors = Config::load(&path, true).unwrap_err();
        let text = errors[0].to_string();
        assert!(
            text.contains(
                "config.toml:3:11: blind.on_exit = \"Revert\": leaving blind mode can \"ask\""
            ),
            "{text}"
        );
        assert!(
            text.contains("\"keep\"") && text.contains("\"revert\""),
            "{text}"
        );
        let path = write(dir.path(), "version = 1\n[blind]\non_exit = true\n");
        let text = Config::load(&path, true).unwrap_err()[0].to_string();
        assert!(text.contains("config.toml:3:11: blind.on_exit"), "{text}");
    }

    /// A user file can change one console key (integers accepted for dB values) and every
    /// other key keeps its default.
    #[test]
    fn user_file_overrides_one_console_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "version = 1\n[meters]\nfloor_db = -48\n");
        let config = Config::load(&path, true).unwrap();
        assert_eq!(config.meters.floor_db, -48.0);
        let mut expected = Config::defaults();
        expected.meters.floor_db = -48.0;
        assert_eq!(config, expected);

        let path = write(
            dir.path(),
            "version = 1\n[meters]\nscale = \"iec\"\npeak_hold_seconds = 2.5\n\
             [console]\nascii = true\nfps = 10\n[steps]\nfine_db = 1\n\
             [blind]\nstep_factor_min = 1.0\n",
        );
        let config = Config::load(&path, true).unwrap();
        assert_eq!(config.meters.scale, ScaleKind::Iec);
        assert_eq!(config.meters.peak_hold, Duration::from_millis(2500));
        assert!(config.console.ascii && config.console.color);
        assert_eq!(config.console.fps, 10);
        assert_eq!(config.steps.fine_db, 1.0);
        assert_eq!(config.steps.coarse_db, 3.0);
        assert_eq!(config.blind.step_factor_min, 1.0);
        assert_eq!(config.blind.step_factor_max, 1.3);
    }

    /// `[console] mouse = true` turns the mouse on (it is off by default), and a value that is
    /// not true or false is reported with file, line, column and key.
    #[test]
    fn console_mouse_is_a_switch() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "version = 1\n[console]\nmouse = true\n");
        let config = Config::load(&path, true).unwrap();
        assert!(config.console.mouse);
        let mut expected = Config::defaults();
        expected.console.mouse = true;
        assert_eq!(config, expected);
        let path = write(dir.path(), "version = 1\n[console]\nmouse = \"yes\"\n");
        let errors = Config::load(&path, true).unwrap_err();
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].contains("config.toml:3:9"), "{lines:?}");
        assert!(lines[0].contains("mouse"), "{lines:?}");
    }

    /// Out-of-range console values are reported with file, line, column, key, the value as
    /// written and what is allowed; every bad key in the file is reported.
    #[test]
    fn bad_console_values_name_file_line_key_and_value() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "version = 1\n[meters]\nfloor_db = 5.0\nscale = \"k-14\"\n\
             fall_db_per_second = nan\n[steps]\ncoarse_db = 0\n[console]\nfps = 0\n\
             [blind]\nmax_offset_db = -2\n",
        );
        let errors = Config::load(&path, true).unwrap_err();
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        for expected in [
            "config.toml:3:12: meters.floor_db = 5.0: the meter floor is -120 to -20 dBFS",
            "config.toml:4:9: meters.scale = \"k-14\": the scale is \"linear\"",
            "config.toml:5:22: meters.fall_db_per_second = nan: the fall rate is 1 to 1000",
            "config.toml:7:13: steps.coarse_db = 0: a fader step is 0.01 to 12 dB",
            "config.toml:9:7: console.fps = 0: the frame rate cap is 1 to 240",
            "config.toml:11:17: blind.max_offset_db = -2: the hidden offset is 0 (none) to 12",
        ] {
            assert!(
                lines.iter().any(|l| l.contains(expected)),
                "no {expected:?} in {lines:?}"
            );
        }
        assert_eq!(lines.len(), 6, "{lines:?}");
    }

    /// A blind step factor range whose minimum ends up above its maximum (even against a
    /// default) is an error at the key the user set; a wrong type names the key too.
    #[test]
    fn blind_factor_order_and_types_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "version = 1\n[blind]\nstep_factor_min = 1.5\n");
        let errors = Config::load(&path, true).unwrap_err();
        let text = errors[0].to_string();
        assert!(
            text.contains(
                ":3:19: blind.step_factor_min = 1.5: step_factor_min (1.5) must not be above \
                 step_factor_max (1.3)"
            ),
            "{text}"
        );

        let path = write(dir.path(), "version = 1\n[console]\ncolor = \"yes\"\n");
        let errors = Config::load(&path, true).unwrap_err();
        let text = errors[0].to_string();
        assert!(text.contains("config.toml:3:9: console.color"), "{text}");
        assert!(text.contains("bool"), "{text}");
    }

    /// A user file overrides only the keys it sets; a missing optional file gives the defaults.
    #[test]
    fn user_file_overrides_some_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "version = 1\n[audio]\nbuffer_frames = 512\ndevice = \"hw:1\"\n",
        );
        let config = Config::load(&path, true).unwrap();
        assert_eq!(config.audio.buffer_frames, 512);
        assert_eq!(config.audio.device.as_deref(), Some("hw:1"));
        assert_eq!(config.audio.output, OutputChoice::Device);
        let missing = dir.path().join("nope.toml");
        assert_eq!(Config::load(&missing, false).unwrap(), Config::defaults());
        assert!(Config::load(&missing, true).is_err());
    }

    /// `[audio] stream_memory_mb` sets the stream memory budget (512 MiB unless set); a value
    /// out of range names the key, the value and the range.
    #[test]
    fn stream_memory_budget_is_read_and_checked() {
        assert_eq!(Config::defaults().audio.stream_memory_mb, 512);
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "version = 1\n[audio]\nstream_memory_mb = 2048\n",
        );
        assert_eq!(
            Config::load(&path, true).unwrap().audio.stream_memory_mb,
            2048
        );
        for bad in ["8", "100000", "-1"] {
            let path = write(
                dir.path(),
                &format!("version = 1\n[audio]\nstream_memory_mb = {bad}\n"),
            );
            let text = Config::load(&path, true).unwrap_err()[0].to_string();
            assert!(
                text.contains(&format!(
                    ":3:20: audio.stream_memory_mb = {bad}: the stream memory budget is 16 to \
                     65536 MiB (the default is 512)"
                )),
                "{text}"
            );
        }
    }

    /// `[midi]` reads the input port, the output choice and the mapping; an unknown mapping
    /// or an empty output names the file, line, key and value, and the mappings there are.
    #[test]
    fn midi_settings_are_read_and_checked() {
        let defaults = Config::defaults().midi;
        assert_eq!(defaults.input, None);
        assert_eq!(defaults.output, MidiOutputChoice::Same);
        assert_eq!(defaults.controller, "generic-8");
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "version = 1\n[midi]\ninput = \"nano\"\noutput = \"none\"\n\
             controller = \"nanokontrol2\"\n",
        );
        let midi = Config::load(&path, true).unwrap().midi;
        assert_eq!(midi.input.as_deref(), Some("nano"));
        assert_eq!(midi.output, MidiOutputChoice::Off);
        assert_eq!(midi.controller, "nanokontrol2");
        let path = write(
            dir.path(),
            "version = 1\n[midi]\noutput = \"X-Touch\"\ncontroller = \"my/box.toml\"\n",
        );
        let midi = Config::load(&path, true).unwrap().midi;
        assert_eq!(midi.output, MidiOutputChoice::Port("X-Touch".into()));
        assert_eq!(midi.controller, "my/box.toml");
        let path = write(
            dir.path(),
            "version = 1\n[midi]\noutput = \"\"\ncontroller = \"faderfox\"\n",
        );
        let lines: Vec<String> = Config::load(&path, true)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert!(
            lines[0].contains("config.toml:3:10: midi.output = \"\": the output is \"same\""),
            "{lines:?}"
        );
        assert!(
            lines[1].contains(
                "config.toml:4:14: midi.controller = \"faderfox\": no controller mapping of that \
                 name; the mappings are generic-8, mackie-control, nanokontrol2"
            ),
            "{lines:?}"
        );
    }

    /// `[osc]` is off by default on 127.0.0.1:9000; a user file turns it on with a port, an
    /// address and an allow-list of addresses and networks.
    #[test]
    fn osc_settings_are_read() {
        let defaults = Config::defaults().osc;
        assert!(!defaults.enabled);
        assert_eq!(defaults.socket_address().to_string(), "127.0.0.1:9000");
        assert!(defaults.allow.is_empty());
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "version = 1\n[osc]\nenabled = true\nport = 8000\naddress = \"0.0.0.0\"\n\
             allow = [\"192.168.1.0/24\", \"10.0.0.5\"]\n",
        );
        let osc = Config::load(&path, true).unwrap().osc;
        assert!(osc.enabled);
        assert_eq!(osc.socket_address().to_string(), "0.0.0.0:8000");
        let allow: Vec<String> = osc.allow.iter().map(ToString::to_string).collect();
        assert_eq!(allow, ["192.168.1.0/24", "10.0.0.5"]);
    }

    /// Bad `[osc]` values name the file, line, key and value; listening beyond this machine
    /// without an allow-list is refused with a message saying how to give one.
    #[test]
    fn bad_osc_settings_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "version = 1\n[osc]\nport = 70000\naddress = \"studio\"\n\
             allow = [\"10.0.0.0/40\"]\n",
        );
        let lines: Vec<String> = Config::load(&path, true)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        for expected in [
            ":3:8: osc.port = 70000: the OSC port is 1 to 65535",
            ":4:11: osc.address = \"studio\": the address to listen on is an IP address",
            ":5:10: osc.allow = \"10.0.0.0/40\": '10.0.0.0/40': a network's prefix is 0 to 32",
        ] {
            assert!(
                lines.iter().any(|l| l.contains(expected)),
                "no {expected:?} in {lines:?}"
            );
        }
        let path = write(
            dir.path(),
            "version = 1\n[osc]\nenabled = true\naddress = \"0.0.0.0\"\n",
        );
        let text = Config::load(&path, true).unwrap_err()[0].to_string();
        assert!(
            text.contains(
                ":4:11: osc.address = \"0.0.0.0\": the OSC server on 0.0.0.0 needs an \
                 allow-list of the peers that may control earmix"
            ),
            "{text}"
        );
    }

    /// An unknown key and a bad value are reported with file, line, key and value.
    #[test]
    fn errors_name_file_line_key_and_value() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "version = 1\n[audio]\nbufer = 3\n");
        let errors = Config::load(&path, true).unwrap_err();
        let text = errors[0].to_string();
        assert!(text.contains("config.toml:3:1"), "{text}");
        assert!(text.contains("unknown field `bufer`"), "{text}");

        let path = write(
            dir.path(),
            "version = 1\n[audio]\nbuffer_frames = 3\noutput = \"speakers\"\n",
        );
        let errors = Config::load(&path, true).unwrap_err();
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert!(
            lines
                .iter()
                .any(|l| l.contains(":3:17: audio.buffer_frames = 3: the buffer is 16 to 16384")),
            "{lines:?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.contains(":4:10: audio.output = \"speakers\"")),
            "{lines:?}"
        );
    }
}
