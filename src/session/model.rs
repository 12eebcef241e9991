//! The session model: what a session file describes, after parsing and validation.

use std::path::{Path, PathBuf};

use super::tempo::TempoMap;
use crate::engine::streams::StemInfo;
use crate::units::{Decibels, Pan, Seconds};

/// The only session file version this build reads and writes.
pub const SESSION_VERSION: u32 = 1;

/// How long levels glide from one section's scene to the next when neither the session nor the
/// section says, in milliseconds.
pub const DEFAULT_SCENE_RAMP_MS: u32 = 250;

/// The longest scene glide a session or section may ask for, in milliseconds.
pub const MAX_SCENE_RAMP_MS: u32 = 10_000;

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
    /// The song's tempo and meter through time, when the file gives a `tempo`: what turns
    /// `"bar 9"` into seconds and the playhead into bars and beats.
    pub tempo: Option<TempoMap>,
    /// The channel strips, in file order.
    pub channels: Vec<Channel>,
    /// Song sections in time order (strictly increasing starts).
    pub sections: Vec<Section>,
    /// How long the glide between section scenes lasts, in milliseconds, for sections that do
    /// not set their own; `None`: [`DEFAULT_SCENE_RAMP_MS`].
    pub ramp_ms: Option<u32>,
    /// VCA-style groups of channels, in file order (see [`super::automation`]).
    pub groups: Vec<super::automation::Group>,
    /// Rides (level automation) of channels and groups, in file order, one per channel or
    /// group at most (see [`super::automation`]).
    pub rides: Vec<super::automation::Ride>,
    /// Named copies of the mix, in file order (see [`super::snapshot`]).
    pub snapshots: Vec<super::snapshot::Snapshot>,
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
    /// The stem file as written in the session (relative to the session folder, or absolute);
    /// for a split-stereo stem, its left file.
    pub file: PathBuf,
    /// The right file of a split-stereo stem (`file = ["Piano L.wav", "Piano R.wav"]`: two
    /// mono files played as one stereo stem), as written; `None` for a stem in one file.
    pub right_file: Option<PathBuf>,
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
    /// Where the stem's first frame plays in the song, in frames at the session's rate (0: the
    /// stem starts with the song). Before it the channel is silent.
    pub start_frames: u64,
}

/// What a channel carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Kick,
    Snare,
    Drums,
    /// Room microphones, ambience.
    Room,
    /// Hand percussion: shaker, tambourine, congas, claps.
    Percussion,
    Bass,
    Guitar,
    /// Organ, electric pianos, clavinet: keyboards other than the piano and synths.
    Keys,
    Piano,
    Synth,
    Pad,
    Strings,
    Brass,
    Woodwind,
    /// A vocal that is neither said to be the lead nor backing.
    Vocal,
    LeadVocal,
    BackingVocal,
    Fx,
    Other,
}

impl Role {
    /// Every role, in the order the session file documents them.
    pub const ALL: [Role; 19] = [
        Role::Kick,
        Role::Snare,
        Role::Drums,
        Role::Room,
        Role::Percussion,
        Role::Bass,
        Role::Guitar,
        Role::Keys,
        Role::Piano,
        Role::Synth,
        Role::Pad,
        Role::Strings,
        Role::Brass,
        Role::Woodwind,
        Role::Vocal,
        Role::LeadVocal,
        Role::BackingVocal,
        Role::Fx,
        Role::Other,
    ];

    /// The word used in session files.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Kick => "kick",
            Role::Snare => "snare",
            Role::Drums => "drums",
            Role::Room => "room",
            Role::Percussion => "percussion",
            Role::Bass => "bass",
            Role::Guitar => "guitar",
            Role::Keys => "keys",
            Role::Piano => "piano",
            Role::Synth => "synth",
            Role::Pad => "pad",
            Role::Strings => "strings",
            Role::Brass => "brass",
            Role::Woodwind => "woodwind",
            Role::Vocal => "vocal",
            Role::LeadVocal => "lead_vocal",
            Role::BackingVocal => "backing_vocal",
            Role::Fx => "fx",
            Role::Other => "other",
        }
    }

    /// Parses the word used in session files.
    pub fn parse(word: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == word)
    }

    /// Whether this is a vocal of any kind (lead, backing or unspecified).
    pub fn is_vocal(self) -> bool {
        matches!(self, Role::Vocal | Role::LeadVocal | Role::BackingVocal)
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
    /// Channels muted in this section only (part of its scene), by name, in file order.
    pub mute: Vec<String>,
    /// How long the glide into this section's scene lasts, in milliseconds; `None`: the
    /// session's [`Session::ramp_ms`].
    pub ramp_ms: Option<u32>,
}

/// A reference mix to compare against.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    /// The file as written (relative to the session folder, or absolute).
    pub file: PathBuf,
    /// Where session time 0 falls in the reference, in seconds.
    pub offset: Seconds,
    /// Per-section alignment, for a reference whose structure differs: where a section of the
    /// session starts in the reference, by section name (`[reference.sections]`). From that
    /// section's start the reference plays from there. Entries naming a section the session no
    /// longer has (removed in the console) are ignored, and left out when saving.
    pub sections: Vec<(String, Seconds)>,
}

/// Where each moment of the session falls in the reference: the `[reference]` offset, and from
/// each aligned section's start the place written for it. Built by [`Session::reference_map`].
#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceMap {
    /// `(session time, reference time there)` pairs, the first at session time 0, in time order;
    /// each holds until the next.
    anchors: Vec<(Seconds, Seconds)>,
}

impl ReferenceMap {
    /// A map with one anchor: reference time = session time + `offset`.
    pub fn with_offset(offset: Seconds) -> Self {
        Self::new(offset, &[])
    }

    /// Reference time = session time + `offset`, and from each `(session time, reference time)`
    /// of `aligned` (in session time order) the reference time given there. An anchor at (or
    /// before) session time 0 replaces the offset.
    pub fn new(offset: Seconds, aligned: &[(Seconds, Seconds)]) -> Self {
        let mut anchors = vec![(Seconds(0.0), offset)];
        for &(at, to) in aligned {
            if at.0 <= 0.0 {
                anchors[0].1 = to;
            } else {
                anchors.push((at, to));
            }
        }
        Self { anchors }
    }

    /// The reference time (seconds) at session time `t` (may be past the reference's end).
    pub fn at(&self, t: Seconds) -> Seconds {
        let i = self
            .anchors
            .partition_point(|(start, _)| start.0 <= t.0)
            .saturating_sub(1);
        let (start, to) = self.anchors[i];
        Seconds(to.0 + (t.0 - start.0))
    }

    /// The `(session time, reference time)` anchors, the first at session time 0.
    pub fn anchors(&self) -> &[(Seconds, Seconds)] {
        &self.anchors
    }

    /// The session times where the reference jumps (an aligned section that does not continue
    /// where the one before it got to).
    pub fn jumps(&self) -> impl Iterator<Item = Seconds> + '_ {
        self.anchors.windows(2).filter_map(|w| {
            let continued = w[0].1.0 + (w[1].0.0 - w[0].0.0);
            ((continued - w[1].1.0).abs() > 1e-9).then_some(w[1].0)
        })
    }
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

    /// The stem file of a channel (the left one of a split-stereo stem), resolved.
    pub fn stem_path(&self, channel: &Channel) -> PathBuf {
        self.resolve(&channel.file)
    }

    /// The right file of a channel's split-stereo stem, resolved; `None` for a stem in one file.
    pub fn right_stem_path(&self, channel: &Channel) -> Option<PathBuf> {
        channel.right_file.as_deref().map(|file| self.resolve(file))
    }

    /// The session length in seconds.
    pub fn length(&self) -> Seconds {
        Seconds::from_frames(self.length_frames, self.sample_rate)
    }

    /// The index of a channel by name.
    pub fn channel_index(&self, name: &str) -> Option<usize> {
        self.channels.iter().position(|c| c.name == name)
    }

    /// The index of a section by name.
    pub fn section_index(&self, name: &str) -> Option<usize> {
        self.sections.iter().position(|s| s.name == name)
    }

    /// The section playing at `t`: the last one starting at or before it (a section runs until
    /// the next one starts; the last runs to the end). `None` before the first section's start,
    /// when there are no sections, or for a NaN time.
    pub fn section_index_at(&self, t: Seconds) -> Option<usize> {
        // Starts are strictly increasing, so the sections starting at or before `t` come first.
        self.sections
            .partition_point(|s| s.start.0 <= t.0)
            .checked_sub(1)
    }

    /// Where the session's moments fall in its reference (`None` without a reference):
    /// the offset, and from each aligned section's start the place written for it. Alignment
    /// entries for sections the session does not have are left out.
    pub fn reference_map(&self) -> Option<ReferenceMap> {
        let reference = self.reference.as_ref()?;
        let aligned: Vec<(Seconds, Seconds)> = self
            .sections
            .iter()
            .filter_map(|section| {
                let (_, to) = reference
                    .sections
                    .iter()
                    .find(|(n, _)| *n == section.name)?;
                Some((section.start, *to))
            })
            .collect();
        Some(ReferenceMap::new(reference.offset, &aligned))
    }

    /// How long the glide into section `section`'s scene lasts, in milliseconds: the section's
    /// own `ramp_ms`, else the session's, else [`DEFAULT_SCENE_RAMP_MS`]. An index past the
    /// last section gets the session's value.
    pub fn scene_ramp_ms(&self, section: usize) -> u32 {
        self.sections
            .get(section)
            .and_then(|s| s.ramp_ms)
            .or(self.ramp_ms)
            .unwrap_or(DEFAULT_SCENE_RAMP_MS)
    }
}

impl Section {
    /// The fader value this section's scene gives `channel` in place of its base fader; `None`
    /// when the channel follows the base mix here.
    pub fn scene_gain(&self, channel: &str) -> Option<Decibels> {
        self.gain_db
            .iter()
            .find(|(name, _)| name == channel)
            .map(|(_, db)| *db)
    }

    /// Whether this section's scene mutes `channel` (on top of the channel's own mute).
    pub fn is_muted(&self, channel: &str) -> bool {
        self.mute.iter().any(|name| name == channel)
    }

    /// Whether the section changes anything about the mix: a fader value or a mute.
    pub fn has_scene(&self) -> bool {
        !self.gain_db.is_empty() || !self.mute.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(name: &str, start: f64) -> Section {
        Section {
            name: name.to_string(),
            start: Seconds(start),
            gain_db: Vec::new(),
            mute: Vec::new(),
            ramp_ms: None,
        }
    }

    /// A session 60 s long with sections at 5, 20 and 40 s and no channels.
    fn session() -> Session {
        Session {
            path: PathBuf::from("s.toml"),
            name: "S".to_string(),
            sample_rate: 48_000,
            sample_rate_explicit: false,
            master_db: Decibels(0.0),
            tempo: None,
            channels: Vec::new(),
            sections: vec![
                section("Intro", 5.0),
                section("Verse", 20.0),
                section("Chorus", 40.0),
            ],
            ramp_ms: None,
            groups: Vec::new(),
            rides: Vec::new(),
            snapshots: Vec::new(),
            reference: None,
            stems: Vec::new(),
            length_frames: 60 * 48_000,
        }
    }

    /// A time belongs to the last section starting at or before it: none before the first,
    /// a start belongs to its own section, and the last section runs on to the end.
    #[test]
    fn section_index_at_finds_the_section_playing() {
        let s = session();
        let at = |t: f64| s.section_index_at(Seconds(t));
        assert_eq!(at(0.0), None);
        assert_eq!(at(4.999), None);
        assert_eq!(at(5.0), Some(0));
        assert_eq!(at(19.999), Some(0));
        assert_eq!(at(20.0), Some(1));
        assert_eq!(at(40.0), Some(2));
        assert_eq!(at(59.9), Some(2));
        assert_eq!(at(f64::NAN), None);
        let mut empty = session();
        empty.sections.clear();
        assert_eq!(empty.section_index_at(Seconds(10.0)), None);
        assert_eq!(s.section_index("Verse"), Some(1));
        assert_eq!(s.section_index("Bridge"), None);
    }

    /// A section's own ramp wins, then the session's, then the default; an index past the
    /// end gets the session's.
    #[test]
    fn scene_ramp_falls_back_to_the_session_then_the_default() {
        let mut s = session();
        assert_eq!(s.scene_ramp_ms(0), DEFAULT_SCENE_RAMP_MS);
        s.ramp_ms = Some(400);
        s.sections[1].ramp_ms = Some(0);
        assert_eq!(s.scene_ramp_ms(0), 400);
        assert_eq!(s.scene_ramp_ms(1), 0);
        assert_eq!(s.scene_ramp_ms(9), 400);
    }

    /// Without alignment the reference runs at the offset; an aligned section jumps there and
    /// runs on; an alignment naming no section is ignored; one continuing seamlessly is no jump.
    #[test]
    fn reference_map_follows_offset_and_alignment() {
        let mut s = session();
        assert_eq!(s.reference_map(), None);
        s.reference = Some(Reference {
            file: PathBuf::from("ref.wav"),
            offset: Seconds(2.0),
            sections: Vec::new(),
        });
        let map = s.reference_map().unwrap();
        assert_eq!(map.at(Seconds(0.0)), Seconds(2.0));
        assert_eq!(map.at(Seconds(30.0)), Seconds(32.0));
        assert_eq!(map.jumps().count(), 0);
        s.reference.as_mut().unwrap().sections = vec![
            ("Chorus".into(), Seconds(70.0)),
            ("Gone".into(), Seconds(1.0)),
            ("Verse".into(), Seconds(22.0)),
        ];
        let map = s.reference_map().unwrap();
        assert_eq!(map.at(Seconds(10.0)), Seconds(12.0));
        assert_eq!(map.at(Seconds(25.0)), Seconds(27.0));
        assert_eq!(map.at(Seconds(40.0)), Seconds(70.0));
        assert_eq!(map.at(Seconds(45.5)), Seconds(75.5));
        // Verse continues the offset seamlessly (20 s + 2 s = 22 s): only Chorus jumps.
        assert_eq!(map.jumps().collect::<Vec<_>>(), vec![Seconds(40.0)]);
        assert_eq!(map.anchors().len(), 3);
    }

    /// A scene's fader values and mutes answer by channel name; an empty section has no scene.
    #[test]
    fn scene_lookups_by_channel() {
        let mut verse = section("Verse", 0.0);
        assert!(!verse.has_scene());
        assert_eq!(verse.scene_gain("Bass"), None);
        assert!(!verse.is_muted("Bass"));
        verse.gain_db = vec![
            ("Bass".into(), Decibels(-3.0)),
            ("Keys".into(), Decibels::OFF),
        ];
        assert!(verse.has_scene());
        assert_eq!(verse.scene_gain("Bass"), Some(Decibels(-3.0)));
        assert_eq!(verse.scene_gain("Keys"), Some(Decibels::OFF));
        assert_eq!(verse.scene_gain("bass"), None);
        verse.gain_db.clear();
        verse.mute = vec!["Keys".into()];
        assert!(verse.has_scene());
        assert!(verse.is_muted("Keys"));
        assert!(!verse.is_muted("Bass"));
    }
}
