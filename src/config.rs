//! earmix's settings: `config/default.toml` (built into the binary) overlaid by the user's
//! `config.toml` in the XDG config directory (or `--config FILE`). Keys the user leaves out keep
//! their defaults; unknown keys and bad values are errors that name the file, line, key and value.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::session::SessionError;
use crate::session::locate::{Source, key_path_at};

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
}

/// All settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `[audio]`.
    pub audio: AudioConfig,
}

/// A problem in a config file (same one-line form as a session error:
/// `file:line:col: key = value: message`).
pub type ConfigError = SessionError;

/// Smallest and largest buffer sizes, in frames.
pub const BUFFER_RANGE: (u32, u32) = (16, 16_384);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    version: Option<Spanned<i64>>,
    audio: Option<RawAudio>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAudio {
    output: Option<Spanned<String>>,
    host: Option<Spanned<String>>,
    device: Option<Spanned<String>>,
    buffer_frames: Option<Spanned<i64>>,
    sample_rate: Option<Spanned<i64>>,
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
            },
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
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => return Ok(config),
            Err(e) => {
                return Err(vec![ConfigError::whole_file(
                    path,
                    format!("cannot read the config file: {e}"),
                )]);
            }
        };
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
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
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
