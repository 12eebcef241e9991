//! Versions of the mix heard side by side (UI thread; not realtime-safe): what blind A/B/X and
//! the plain compare share. A version is a whole [`Session`] (a snapshot applied to the mix,
//! the mix as it is, or the file as saved); two versions are measured over a span in the
//! background and matched in loudness (the louder one turned down on the master); hearing one
//! sends its whole mix to the engine while the console's own mix stays as it is, so the play
//! head keeps its place and only the levels change.

use std::path::Path;

use super::effect::Effect;
use super::exercises::{Measuring, arrived, measure_in_background};
use super::mixer::Mixer;
use crate::analysis::levels::ChannelLevel;
use crate::session::Session;
use crate::units::{Decibels, Seconds};

/// Which version of the mix: the mix as it is, the saved file, or a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Versus {
    /// The mix as it is in the console.
    Current,
    /// The session file as saved.
    Saved,
    /// A snapshot, by name.
    Snapshot(String),
}

impl Versus {
    /// What it is, for the panel and the results: "your mix as it is", "the saved file",
    /// "snapshot Verse up".
    pub fn describe(&self) -> String {
        match self {
            Versus::Current => "your mix as it is".to_string(),
            Versus::Saved => "the saved file".to_string(),
            Versus::Snapshot(name) => format!("snapshot {name}"),
        }
    }

    /// What the history calls it: "current mix", "saved file" or the snapshot's name.
    pub fn record(&self) -> String {
        match self {
            Versus::Current => "current mix".to_string(),
            Versus::Saved => "saved file".to_string(),
            Versus::Snapshot(name) => name.clone(),
        }
    }

    /// Its short name on a compare line: "mix now", "saved file" or the snapshot's name.
    pub fn label(&self) -> &str {
        match self {
            Versus::Current => "mix now",
            Versus::Saved => "saved file",
            Versus::Snapshot(name) => name,
        }
    }

    /// The whole mix it is: snapshots are taken from `snapshots_of` and applied to `now` (the
    /// mix as it is); the saved file is read from `path`, its solos off. Says why not.
    pub fn session(
        &self,
        snapshots_of: &Session,
        now: &Session,
        path: &Path,
    ) -> Result<Session, String> {
        match self {
            Versus::Current => Ok(now.clone()),
            Versus::Saved => {
                let mut saved = crate::session::load(path)
                    .map_err(|e| format!("The saved file cannot be compared: {e}"))?;
                for channel in &mut saved.channels {
                    channel.solo = false;
                }
                Ok(saved)
            }
            Versus::Snapshot(name) => Ok(snapshots_of
                .snapshots
                .iter()
                .find(|s| &s.name == name)
                .ok_or_else(|| format!("There is no snapshot named {name}"))?
                .applied_to(now)),
        }
    }
}

/// A version's measurement, or why there is none.
type Measured = Result<Vec<ChannelLevel>, String>;

/// Two versions being measured in the background, to match them in loudness.
pub struct Matching {
    measuring: (Measuring<Vec<ChannelLevel>>, Measuring<Vec<ChannelLevel>>),
    /// The measurements as they arrive.
    measured: (Option<Measured>, Option<Measured>),
}

impl Matching {
    /// Starts measuring `a` and `b` over `span`, each on a thread of its own.
    pub fn start(a: &Session, b: &Session, span: (Seconds, Seconds)) -> Self {
        Self {
            measuring: (
                measure_in_background(a.clone(), span),
                measure_in_background(b.clone(), span),
            ),
            measured: (None, None),
        }
    }

    /// Once both measurements are in: the offsets (dB added to A's master, to B's) that make
    /// them equally loud, or why they cannot be matched. `None` while one is still on its
    /// way; each is kept as it arrives until the other does.
    pub fn poll(&mut self) -> Option<Result<(f64, f64), String>> {
        if self.measured.0.is_none() {
            self.measured.0 = arrived(&self.measuring.0);
        }
        if self.measured.1.is_none() {
            self.measured.1 = arrived(&self.measuring.1);
        }
        let (Some(a), Some(b)) = (&self.measured.0, &self.measured.1) else {
            return None;
        };
        Some(match (a, b) {
            (Ok(a), Ok(b)) => Ok(match_offsets(loudness(a), loudness(b))),
            (Err(e), _) | (_, Err(e)) => Err(e.clone()),
        })
    }
}

/// A version's loudness over the span: its channels' loudness summed as powers (the same
/// approximation the drill's loudness match makes).
fn loudness(levels: &[ChannelLevel]) -> Option<f64> {
    let power: f64 = levels
        .iter()
        .filter_map(|l| l.loudness_lufs)
        .map(|lufs| 10f64.powf(lufs / 10.0))
        .sum();
    (power > 0.0 && power.is_finite()).then(|| 10.0 * power.log10())
}

/// The offsets (dB added to A, to B) that make the louder one as loud as the other.
pub fn match_offsets(a_lufs: Option<f64>, b_lufs: Option<f64>) -> (f64, f64) {
    match (a_lufs, b_lufs) {
        (Some(a), Some(b)) => ((b - a).min(0.0), (a - b).min(0.0)),
        _ => (0.0, 0.0),
    }
}

/// Sends `version`'s whole mix to the engine, `offset` dB added to its master; the console's
/// own mix (`mixer.session`) stays as it is. Nothing is journalled or undoable.
pub fn hear(mixer: &mut Mixer, version: &Session, offset: f64) {
    let master = version.master_db;
    let own = std::mem::replace(&mut mixer.session, version.clone());
    mixer.push_whole_mix();
    mixer.session = own;
    mixer.emit(Effect::Master(Decibels(master.0 + offset)));
}

/// Whether two versions of the mix sound the same: no control that is heard differs between
/// them (the snapshots each one keeps are no difference).
pub fn sounds_the_same(a: &Session, b: &Session) -> bool {
    crate::app::edit::differences(a, b)
        .iter()
        .all(|c| matches!(c.after, crate::app::edit::MixEdit::Snapshots { .. }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The louder side is turned down by the difference, the quieter one left alone; without
    /// both measurements nothing moves.
    #[test]
    fn the_louder_side_is_turned_down() {
        assert_eq!(match_offsets(Some(-20.0), Some(-17.5)), (0.0, -2.5));
        assert_eq!(match_offsets(Some(-14.0), Some(-20.0)), (-6.0, 0.0));
        assert_eq!(match_offsets(None, Some(-20.0)), (0.0, 0.0));
    }
}
