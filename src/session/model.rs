//! The session model: what a session file describes, after parsing and validation.

use std::path::{Path, PathBuf};

use crate::engine::streams::StemInfo;
use crate::units::{Decibels, Pan, Seconds};

/// The only session file version this build reads and writes.
pub const SESSION_VERSION: u32 = 1;

/// A validated multitrack session.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// The session file this was loaded from (stem paths are relative to its folder).
    pub path: PathBuf,
    /// The session's display name.
    pub name: String,
    /// The sample rate the session runs at: the `sample_rate` key, or else the first stem's
    /// rate (stems at other rates are resampled to it).
    pub sample_rate: u32,
    /// Whether `sample_rate` was written in the file (kept so saving does not add it).
    pub sample_rate_explicit: bool,
    /// The master fader.
    pub master_db: Decibels,
    /// The channel strips, in file order.
    pub channels: Vec<Channel>,
    /// Song sections in time order (strictly increasing starts).
    pub sections: Vec<Section>,
    /// An optional reference mix.
    pub reference: Option<Reference>,
    /// What each channel's stem file holds, probed at load time (same order as `channels`).
    pub stems: Vec<StemInfo>,
    /// The session length in frames at `sample_rate`: the longest stem.
    pub length_frames: u64,
}

/// One channel strip.
#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    /// Unique name within the session.
    pub name: String,
    /// The stem file as written in the session (relative to the session folder, or absolute).
    pub file: PathBuf,
    /// What kind of part this is (colours the strip, picks exercise targets).
    pub role: Option<Role>,
    /// Input trim, -24..+24 dB.
    pub trim_db: Decibels,
    /// The fader, -inf (off) ..+12 dB.
    pub gain_db: Decibels,
    /// Pan, -1 (left) ..+1 (right).
    pub pan: Pan,
    /// Muted.
    pub mute: bool,
    /// Soloed.
    pub solo: bool,
}

/// What a channel carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Kick,
    Snare,
    Drums,
    Bass,
    Guitar,
    Keys,
    Pad,
    Vocal,
    Fx,
    Other,
}

impl Role {
    /// Every role, in the order the session file documents them.
    pub const ALL: [Role; 10] = [
        Role::Kick,
        Role::Snare,
        Role::Drums,
        Role::Bass,
        Role::Guitar,
        Role::Keys,
        Role::Pad,
        Role::Vocal,
        Role::Fx,
        Role::Other,
    ];

    /// The word used in session files.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Kick => "kick",
            Role::Snare => "snare",
            Role::Drums => "drums",
            Role::Bass => "bass",
            Role::Guitar => "guitar",
            Role::Keys => "keys",
            Role::Pad => "pad",
            Role::Vocal => "vocal",
            Role::Fx => "fx",
            Role::Other => "other",
        }
    }

    /// Parses the word used in session files.
    pub fn parse(word: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == word)
    }
}

/// A song section: a named span of the timeline from `start` to the next section's start.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// Display name ("Verse 1").
    pub name: String,
    /// Where the section starts on the session timeline.
    pub start: Seconds,
    /// Per-section fader values (the section's scene), by channel name, in file order.
    pub gain_db: Vec<(String, Decibels)>,
}

/// A reference mix to compare against.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    /// The file as written (relative to the session folder, or absolute).
    pub file: PathBuf,
    /// Where session time 0 falls in the reference, in seconds.
    pub offset: Seconds,
}

impl Session {
    /// The folder stem paths are relative to.
    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or_else(|| Path::new("."))
    }

    /// Resolves a path written in the session against the session's folder.
    pub fn resolve(&self, file: &Path) -> PathBuf {
        if file.is_absolute() {
            file.to_path_buf()
        } else {
            self.dir().join(file)
        }
    }

    /// The stem file of a channel, resolved.
    pub fn stem_path(&self, channel: &Channel) -> PathBuf {
        self.resolve(&channel.file)
    }

    /// The session length in seconds.
    pub fn length(&self) -> Seconds {
        Seconds::from_frames(self.length_frames, self.sample_rate)
    }

    /// The index of a channel by name.
    pub fn channel_index(&self, name: &str) -> Option<usize> {
        self.channels.iter().position(|c| c.name == name)
    }
}
