//! Blind mode (UI thread): the hidden offsets it starts the faders from, the glides that bring
//! them in and take them out again, and leaving it with a choice: keep the balance heard, or
//! take the offsets out and keep only the moves made by ear (`[blind] on_exit`, or the user's
//! answer when it is `"ask"`). Leaving gives a [`Reveal`]: what changed while blind, per
//! channel, as data; [`Reveal::lines`] is the one place that puts it into words.
//!
//! The flow for a caller (the console):
//! 1. [`Mixer::set_blind`] with the next level. Entering or changing the level gives
//!    [`BlindSwitch::Switched`]; leaving gives [`BlindSwitch::Left`] with the reveal when the
//!    setting decides, or [`BlindSwitch::Ask`] when the user must choose (then nothing has
//!    changed and the console is still blind).
//! 2. After `Ask`, [`Mixer::finish_blind`] with the user's [`BlindChoice`] leaves blind mode and
//!    gives the reveal; not calling it (the user cancels) leaves blind mode on as it was.

use std::time::{Duration, Instant};

use super::{FADER_FLOOR_DB, FADER_MAX_DB, Mixer, round2};
use crate::app::edit::MixEdit;
use crate::app::notice::Notice;
use crate::app::undo::StepId;
use crate::config::BlindOnExit;
use crate::ui::view::BlindLevel;
use crate::units::{Decibels, Pan};

/// How long the hidden blind-mode offsets take to glide in (and out again, when leaving blind
/// mode takes them out), so the change is never a jump.
pub const BLIND_GLIDE: Duration = Duration::from_secs(2);

/// What leaving blind mode does with the hidden offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlindChoice {
    /// Keep the balance heard: the offsets stay in the faders.
    Keep,
    /// Take the offsets out: each fader goes to where it was when blind mode began plus the
    /// moves made by ear, gliding there, as one undo step.
    Revert,
}

/// What [`Mixer::set_blind`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum BlindSwitch {
    /// Blind mode started, changed level, or ended with nothing to reveal.
    Switched,
    /// Blind mode ended (as `[blind] on_exit` says, or with nothing to choose); what changed
    /// while blind.
    Left(Reveal),
    /// Leaving needs the user's choice (`[blind] on_exit = "ask"` and taking the offsets out
    /// would move a fader). Nothing changed: blind mode is still on. Answer with
    /// [`Mixer::finish_blind`]; without an answer blind mode stays on.
    Ask,
}

/// What changed while blind, for the user to read when blind mode ends.
#[derive(Debug, Clone, PartialEq)]
pub struct Reveal {
    /// What leaving did with the offsets.
    pub choice: BlindChoice,
    /// The strips (channels, then groups) with an offset or a change, in strip order.
    pub channels: Vec<ChannelReveal>,
    /// The master fader when blind mode began and now, when it changed.
    pub master: Option<(Decibels, Decibels)>,
}

/// One strip (a channel or a group) in a [`Reveal`].
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelReveal {
    /// The channel's or group's name.
    pub name: String,
    /// The fader (`None`: it had no offset and was not moved).
    pub fader: Option<FaderReveal>,
    /// The trim when blind mode began and now, when it changed (never for a group).
    pub trim: Option<(Decibels, Decibels)>,
    /// The pan when blind mode began and now, when it changed.
    pub pan: Option<(Pan, Pan)>,
}

/// A fader in a [`Reveal`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaderReveal {
    /// When blind mode began.
    pub before: Decibels,
    /// After leaving blind mode (as the choice left it).
    pub after: Decibels,
    /// The hidden offset in dB (0: none, because the fader was off, the offset was undone or
    /// `[blind] max_offset_db` is 0).
    pub offset: f64,
    /// What the user did to it by ear.
    pub by_ear: ByEar,
}

/// What the user did to a fader while blind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ByEar {
    /// Nothing: it is where the hidden offset put it.
    NotMoved,
    /// Moved by this many dB from where the offset put it.
    Moved(f64),
    /// Turned off.
    TurnedOff,
    /// Turned on from off.
    TurnedOn,
}

/// Blind mode's hidden state.
#[derive(Debug, Clone)]
pub(crate) struct BlindSession {
    /// Each strip (channels, then groups) when blind mode began, in strip order.
    start: Vec<Start>,
    /// The master fader when blind mode began.
    master: Decibels,
    /// The undo step that put the offsets in, while it can be undone (`None`: no fader got an
    /// offset, or the history it was in is gone).
    scramble: Option<StepId>,
    /// Whether the offsets are in the faders (false once that step is undone).
    applied: bool,
}

/// A strip when blind mode began.
#[derive(Debug, Clone)]
struct Start {
    name: String,
    gain: Decibels,
    /// The fader value the hidden offset put in (`gain` when it got none).
    scrambled: Decibels,
    /// The trim (`None` for a group, which has none).
    trim: Option<Decibels>,
    pan: Pan,
}

impl BlindSession {
    /// The undo history was replaced (a reload): the step that put the offsets in can no
    /// longer be undone, so the offsets stay in the faders.
    pub(super) fn history_replaced(&mut self) {
        self.scramble = None;
    }
}

/// A fader gliding to a new value over [`BLIND_GLIDE`] (UI side: the engine hears the steps of
/// the heard faders it moves).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Glide {
    /// The strip whose fader glides (a channel's or a group's, counted as the console counts
    /// strips).
    pub(super) strip: usize,
    from: f64,
    pub(super) to: f64,
    start: Instant,
}

impl Glide {
    /// Where the glide is at `now`, and whether it is still under way.
    fn at(&self, now: Instant) -> (f64, bool) {
        let t = now.duration_since(self.start).as_secs_f64() / BLIND_GLIDE.as_secs_f64();
        if t >= 1.0 {
            (self.to, false)
        } else {
            (self.from + (self.to - self.from) * t.max(0.0), true)
        }
    }
}

impl Mixer {
    /// Enters blind mode (scrambling the faders by hidden offsets, gliding so nothing jumps),
    /// changes its level, or leaves it (`next` is [`BlindLevel::Off`]) as `[blind] on_exit`
    /// says: see [`BlindSwitch`].
    pub fn set_blind(&mut self, next: BlindLevel, now: Instant) -> BlindSwitch {
        let was = self.blind;
        if was.hides_numbers() && !next.hides_numbers() {
            if self.blind_session.is_none() {
                self.blind = next;
                self.notify(Notice::Blind(BlindLevel::Off));
                return BlindSwitch::Switched;
            }
            let choice = match self.blind_config.on_exit {
                BlindOnExit::Keep => BlindChoice::Keep,
                BlindOnExit::Revert => BlindChoice::Revert,
                // Nothing to choose when taking the offsets out would move no fader.
                BlindOnExit::Ask if self.revert_targets().is_empty() => BlindChoice::Keep,
                BlindOnExit::Ask => return BlindSwitch::Ask,
            };
            return self
                .finish_blind(choice, now)
                .map_or(BlindSwitch::Switched, BlindSwitch::Left);
        }
        self.blind = next;
        if !was.hides_numbers() && next.hides_numbers() {
            self.start_blind(now);
        }
        self.notify(Notice::Blind(next));
        BlindSwitch::Switched
    }

    /// Leaves blind mode with `choice` (the answer to [`BlindSwitch::Ask`]): keeps the faders,
    /// or glides them to where they were when blind mode began plus the moves made by ear (one
    /// undo step; a fader turned off or on while blind stays as it is). `None` when blind mode
    /// has no hidden state (it was not started by [`Mixer::set_blind`], or has ended).
    pub fn finish_blind(&mut self, choice: BlindChoice, now: Instant) -> Option<Reveal> {
        let reveal = self.reveal(choice)?;
        if choice == BlindChoice::Revert {
            let targets = self.revert_targets();
            self.glide_faders(targets, now);
        }
        self.blind_session = None;
        self.blind = BlindLevel::Off;
        self.notify(Notice::BlindLeft {
            kept: choice == BlindChoice::Keep,
        });
        Some(reveal)
    }

    /// Scrambles every fader that is not off, the channels' and the groups', by a hidden
    /// random offset, gliding there so nothing jumps (one undo step).
    fn start_blind(&mut self, now: Instant) {
        let max = self.blind_config.max_offset_db;
        let mut start = Vec::with_capacity(self.strip_count());
        let mut targets = Vec::new();
        for i in 0..self.strip_count() {
            let Some(controls) = self.strip_controls(i) else {
                continue;
            };
            let gain = controls.gain;
            let scrambled = if max > 0.0 && !gain.is_off() {
                let offset = max * (2.0 * self.random_unit() - 1.0);
                Decibels(round2(
                    (gain.0 + offset).clamp(FADER_FLOOR_DB, FADER_MAX_DB),
                ))
            } else {
                gain
            };
            if scrambled != gain {
                targets.push((i, scrambled));
            }
            start.push(Start {
                name: self.strip_name(i).unwrap_or_default().to_string(),
                gain,
                scrambled,
                trim: self.session.channels.get(i).map(|c| c.trim_db),
                pan: controls.pan,
            });
        }
        let newest = self.undo.next_undo().map(|(id, _)| id);
        self.glide_faders(targets, now);
        let scramble = self
            .undo
            .next_undo()
            .map(|(id, _)| id)
            .filter(|id| Some(*id) != newest);
        self.blind_session = Some(BlindSession {
            start,
            master: self.session.master_db,
            scramble,
            applied: true,
        });
    }

    /// Sets faders (`strip`, value) as one undo step, the engine gliding each from what it
    /// plays now to the new value over [`BLIND_GLIDE`].
    fn glide_faders(&mut self, targets: Vec<(usize, Decibels)>, now: Instant) {
        let mut edits = Vec::with_capacity(targets.len());
        for (strip, to) in targets {
            let from = self.heard_gain(strip, now);
            self.glides.retain(|g| g.strip != strip);
            if from.is_finite() && !to.is_off() {
                self.glides.push(Glide {
                    strip,
                    from,
                    to: to.0,
                    start: now,
                });
            }
            edits.push(MixEdit::Gain {
                channel: self.strip_name(strip).unwrap_or_default().to_string(),
                db: to,
            });
        }
        self.edit_group(edits);
    }

    /// The value of `strip`'s own fader (a channel's or a group's) at `now`: a gliding fader's
    /// value on the way.
    fn heard_gain(&self, strip: usize, now: Instant) -> f64 {
        match self.glides.iter().find(|g| g.strip == strip) {
            Some(glide) => glide.at(now).0,
            None => self.strip_controls(strip).map_or(0.0, |c| c.gain.0),
        }
    }

    /// Moves gliding faders along (every frame while [`Mixer::is_gliding`]): each channel a
    /// glide reaches (its own fader's or a group's) hears its own fader plus its groups', each
    /// where its glide is.
    pub(crate) fn tick_glides(&mut self, now: Instant) {
        let reached: Vec<usize> = (0..self.session.channels.len())
            .filter(|&i| self.glide_reaches(i))
            .collect();
        let moved: Vec<_> = reached
            .into_iter()
            .map(|i| {
                let db = self.heard_gain_with(i, |strip| Decibels(self.heard_gain(strip, now)));
                crate::app::effect::Effect::Gain(i, db)
            })
            .collect();
        self.glides.retain(|glide| glide.at(now).1);
        for effect in moved {
            self.emit(effect);
        }
    }

    /// Whether faders are still gliding to or from blind mode's hidden offsets.
    pub(crate) fn is_gliding(&self) -> bool {
        !self.glides.is_empty()
    }

    /// Undo or redo just took back (`redone` false) or made again the step `id`: when it is
    /// the step that put the hidden offsets in, they are out of the faders, or in again.
    pub(super) fn blind_step_replayed(&mut self, id: StepId, redone: bool) {
        if let Some(blind) = self.blind_session.as_mut()
            && blind.scramble == Some(id)
        {
            blind.applied = redone;
        }
    }

    /// Each channel's fader as it was when blind mode began, where it started in the session
    /// (index), with the hidden offset it carries now and what the user did by ear.
    fn faders(&self) -> Vec<(usize, &Start, FaderReveal)> {
        let Some(blind) = &self.blind_session else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for start in &blind.start {
            let Some(i) = self.strip_index(&start.name) else {
                continue;
            };
            let Some(now) = self.strip_controls(i).map(|c| c.gain) else {
                continue;
            };
            let scrambled = if blind.applied {
                start.scrambled
            } else {
                start.gain
            };
            let by_ear = match (start.gain.is_off(), now.is_off()) {
                (true, true) => ByEar::NotMoved,
                (true, false) => ByEar::TurnedOn,
                (false, true) => ByEar::TurnedOff,
                (false, false) => {
                    let yours = round2(now.0 - scrambled.0);
                    if yours.abs() < 0.005 {
                        ByEar::NotMoved
                    } else {
                        ByEar::Moved(yours)
                    }
                }
            };
            let offset = if start.gain.is_off() {
                0.0
            } else {
                scrambled.0 - start.gain.0
            };
            let fader = FaderReveal {
                before: start.gain,
                after: now,
                offset,
                by_ear,
            };
            out.push((i, start, fader));
        }
        out
    }

    /// The faders that taking the offsets out would move, with where they would go: where
    /// they were plus the moves made by ear (a fader turned off or on while blind stays).
    fn revert_targets(&self) -> Vec<(usize, Decibels)> {
        self.faders()
            .into_iter()
            .filter_map(|(i, _, fader)| {
                let to = match fader.by_ear {
                    ByEar::NotMoved => fader.before,
                    ByEar::Moved(yours) => {
                        Decibels(snap2(fader.before.0 + yours).clamp(FADER_FLOOR_DB, FADER_MAX_DB))
                    }
                    ByEar::TurnedOff | ByEar::TurnedOn => fader.after,
                };
                (to != fader.after).then_some((i, to))
            })
            .collect()
    }

    /// What changed while blind, with the faders as `choice` will leave them.
    fn reveal(&self, choice: BlindChoice) -> Option<Reveal> {
        let blind = self.blind_session.as_ref()?;
        let targets = self.revert_targets();
        let mut channels = Vec::new();
        for (i, start, mut fader) in self.faders() {
            if choice == BlindChoice::Revert
                && let Some(&(_, to)) = targets.iter().find(|(at, _)| *at == i)
            {
                fader.after = to;
            }
            let trim_now = self.session.channels.get(i).map(|c| c.trim_db);
            let pan_now = self.strip_controls(i).map_or(start.pan, |c| c.pan);
            let reveal = ChannelReveal {
                name: start.name.clone(),
                fader: (fader.offset != 0.0 || fader.by_ear != ByEar::NotMoved).then_some(fader),
                trim: start.trim.zip(trim_now).filter(|(was, now)| was != now),
                pan: (start.pan != pan_now).then_some((start.pan, pan_now)),
            };
            if reveal.fader.is_some() || reveal.trim.is_some() || reveal.pan.is_some() {
                channels.push(reveal);
            }
        }
        let master = self.session.master_db;
        Some(Reveal {
            choice,
            channels,
            master: (blind.master != master).then_some((blind.master, master)),
        })
    }
}

/// `value` rounded to 0.01 dB when it is that already but for the float error of a sum.
fn snap2(value: f64) -> f64 {
    let rounded = round2(value);
    if (rounded - value).abs() < 1e-6 {
        rounded
    } else {
        value
    }
}

/// One fader value as the strips show it: "-3.0 dB", "0.0 dB", "off".
fn value(db: Decibels) -> String {
    if db.is_off() {
        "off".to_string()
    } else {
        format!("{} dB", number(db.0))
    }
}

/// A fader value without its unit: "-3.0", "0.0", "+1.5".
fn number(db: f64) -> String {
    if db.abs() < 0.05 {
        "0.0".to_string()
    } else {
        format!("{db:+.1}")
    }
}

/// "-3.0 -> -1.1 dB", "-3.0 dB -> off", "off -> -20.0 dB".
fn span(from: Decibels, to: Decibels) -> String {
    if from.is_off() || to.is_off() {
        format!("{} -> {}", value(from), value(to))
    } else {
        format!("{} -> {} dB", number(from.0), number(to.0))
    }
}

/// An amount in dB, to a hundredth when a tenth would read 0.0: "+1.5 dB", "-0.07 dB".
fn amount(db: f64) -> String {
    if db.abs() < 0.05 {
        format!("{db:+.2} dB")
    } else {
        format!("{db:+.1} dB")
    }
}

impl Reveal {
    /// The reveal in words: a heading, one line per channel (its fader, then its trim and pan
    /// when they changed), the master, and what undo does now.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::with_capacity(self.channels.len() + 4);
        lines.push(
            if self.channels.is_empty() && self.master.is_none() {
                "Nothing moved while blind."
            } else {
                match self.choice {
                    BlindChoice::Keep => "Kept the balance you heard. Per strip:",
                    BlindChoice::Revert => "Hidden offsets taken out, your moves by ear kept:",
                }
            }
            .to_string(),
        );
        for channel in &self.channels {
            let mut parts = Vec::with_capacity(3);
            if let Some(fader) = &channel.fader {
                parts.push(self.fader_text(fader));
            }
            if let Some((from, to)) = channel.trim {
                parts.push(format!("trim {}", span(from, to)));
            }
            if let Some((from, to)) = channel.pan {
                parts.push(format!("pan {from} -> {to}"));
            }
            lines.push(format!("{}: {}", channel.name, parts.join("; ")));
        }
        if let Some((from, to)) = self.master {
            lines.push(format!("Master: {}", span(from, to)));
        }
        lines.push(String::new());
        lines.push(
            match self.choice {
                BlindChoice::Keep => "u undoes step by step.",
                BlindChoice::Revert => "u brings back the balance you heard.",
            }
            .to_string(),
        );
        lines
    }

    /// One fader: what the user did by ear, the values, and what became of the offset: "moved
    /// by +1.5 dB, -3.0 -> -1.5 dB (offset +2.6 dB out)", "not moved, back at -3.0 dB (offset
    /// +2.6 dB out)".
    fn fader_text(&self, fader: &FaderReveal) -> String {
        let values = span(fader.before, fader.after);
        let text = match fader.by_ear {
            ByEar::TurnedOff => return format!("turned off, {values}"),
            ByEar::TurnedOn => return format!("turned on, {values}"),
            ByEar::NotMoved if fader.after == fader.before => {
                format!("not moved, back at {}", value(fader.after))
            }
            ByEar::NotMoved => format!("not moved, {values}"),
            ByEar::Moved(yours) => format!("moved by {}, {values}", amount(yours)),
        };
        if fader.offset == 0.0 {
            return text;
        }
        let fate = match self.choice {
            BlindChoice::Keep => "stays",
            BlindChoice::Revert => "out",
        };
        format!("{text} (offset {} {fate})", amount(fader.offset))
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::app::action::{Direction, Step};
    use crate::app::edit::test_session;
    use crate::app::effect::Effect;
    use crate::config::{BlindConfig, StepsConfig};

    /// A mixer of `test_session` (Bass at -3 dB, Keys at 0 dB) leaving blind mode as `on_exit`
    /// says, with offsets of up to `max_offset_db`.
    fn mixer(on_exit: BlindOnExit, max_offset_db: f64) -> Mixer {
        let steps = StepsConfig {
            fine_db: 0.5,
            coarse_db: 3.0,
            finer_db: 0.1,
        };
        let blind = BlindConfig {
            max_offset_db,
            step_factor_min: 0.7,
            step_factor_max: 1.3,
            on_exit,
        };
        let mut mixer = Mixer::new(test_session(Path::new("s.toml")), steps, blind, None);
        mixer.seed(7);
        mixer
    }

    fn gains(mixer: &Mixer) -> Vec<Decibels> {
        mixer.session.channels.iter().map(|c| c.gain_db).collect()
    }

    fn set_gain(mixer: &mut Mixer, channel: &str, db: f64) {
        assert!(mixer.edit(MixEdit::Gain {
            channel: channel.into(),
            db: Decibels(db),
        }));
    }

    /// Runs the glides to their end, frame by frame, checking that no frame jumps; returns
    /// the last value the engine heard per strip and the time the glides ended.
    fn glide_out(mixer: &mut Mixer, from: Instant, heard: &mut [f64]) -> Instant {
        let max_step = 2.0 * 4.0 * 0.034 / BLIND_GLIDE.as_secs_f64() + 1e-9;
        let mut now = from;
        while mixer.is_gliding() {
            now += Duration::from_millis(33);
            mixer.tick_glides(now);
            for effect in mixer.take_effects() {
                if let Effect::Gain(i, db) = effect {
                    assert!(
                        (db.0 - heard[i]).abs() <= max_step,
                        "strip {i} jumped from {} to {}",
                        heard[i],
                        db.0
                    );
                    heard[i] = db.0;
                }
            }
        }
        now
    }

    fn leave(mixer: &mut Mixer, now: Instant) -> Reveal {
        match mixer.set_blind(BlindLevel::Off, now) {
            BlindSwitch::Left(reveal) => reveal,
            other => panic!("expected to leave blind mode, got {other:?}"),
        }
    }

    /// Blind mode scrambles a group's fader like a channel's: the engine hears each member's
    /// own fader plus the group's on the way (no jump, ending at the heard sum), and taking
    /// the offsets out brings the group back, the reveal naming it after the channels.
    #[test]
    fn groups_are_scrambled_glided_and_revealed() {
        let mut m = mixer(BlindOnExit::Revert, 4.0);
        let mut band = crate::session::automation::Group::new("Band", vec!["Bass".into()]);
        band.gain_db = Decibels(-1.0);
        m.session.groups.push(band);
        m.saved = m.session.clone();
        let t = Instant::now();
        m.set_blind(BlindLevel::Numbers, t);
        let group = m.session.groups[0].gain_db;
        assert_ne!(group, Decibels(-1.0), "the group fader has a hidden offset");
        // Bass is heard at -3 - 1 = -4 dB when blind mode starts; Keys at 0.
        let mut heard = vec![-4.0, 0.0];
        let t = glide_out(&mut m, t, &mut heard);
        let bass = m.session.channels[0].gain_db.0;
        assert!((heard[0] - (bass + group.0)).abs() < 1e-9, "{heard:?}");
        let reveal = leave(&mut m, t);
        glide_out(&mut m, t, &mut heard);
        assert!((heard[0] - -4.0).abs() < 1e-9, "{heard:?}");
        assert_eq!(m.session.groups[0].gain_db, Decibels(-1.0));
        let names: Vec<&str> = reveal.channels.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["Bass", "Keys", "Band"]);
        let lines = reveal.lines();
        assert!(
            lines[3].starts_with("Band: not moved, back at -1.0 dB (offset "),
            "{lines:#?}"
        );
        assert!(!m.unsaved());
    }

    /// `b` `b` with no key pressed and `on_exit = "revert"` leaves every fader exactly where it
    /// was, gliding back so nothing jumps, and the reveal claims no changed fader.
    #[test]
    fn revert_with_nothing_moved_leaves_the_faders_as_they_were() {
        let mut m = mixer(BlindOnExit::Revert, 4.0);
        let t = Instant::now();
        let before = gains(&m);
        assert_eq!(m.set_blind(BlindLevel::Numbers, t), BlindSwitch::Switched);
        assert_ne!(gains(&m), before, "blind mode scrambles the faders");
        let mut heard: Vec<f64> = before.iter().map(|d| d.0).collect();
        let t = glide_out(&mut m, t, &mut heard);
        assert_eq!(heard, gains(&m).iter().map(|d| d.0).collect::<Vec<_>>());

        let reveal = leave(&mut m, t);
        assert_eq!(m.blind(), BlindLevel::Off);
        assert_eq!(gains(&m), before);
        assert!(!m.unsaved(), "the mix is the saved one again");
        glide_out(&mut m, t, &mut heard);
        assert_eq!(heard, before.iter().map(|d| d.0).collect::<Vec<_>>());

        assert_eq!(reveal.choice, BlindChoice::Revert);
        for channel in &reveal.channels {
            let fader = channel.fader.expect("each fader had an offset");
            assert_eq!(fader.by_ear, ByEar::NotMoved);
            assert_eq!(fader.after, fader.before);
            assert_ne!(fader.offset, 0.0);
        }
        let lines = reveal.lines();
        assert_eq!(lines.len(), 5, "{lines:#?}");
        assert!(
            lines[1].starts_with("Bass: not moved, back at -3.0 dB (offset ")
                && lines[1].ends_with(" dB out)"),
            "{lines:#?}"
        );
        assert!(
            lines[2].starts_with("Keys: not moved, back at 0.0 dB (offset "),
            "{lines:#?}"
        );
        assert!(lines[1..].iter().all(|l| !l.contains("->")), "{lines:#?}");
    }

    /// Taking the offsets out keeps the moves made by ear: each fader goes to where it was
    /// plus the move, in one undo step that undo takes back to the balance heard.
    #[test]
    fn revert_keeps_the_moves_made_by_ear_as_one_undo_step() {
        let mut m = mixer(BlindOnExit::Revert, 4.0);
        let t = Instant::now();
        m.set_blind(BlindLevel::Numbers, t);
        let scrambled = gains(&m);
        // By ear: Bass up 1.5 dB from where the offset put it, Keys down 2 dB.
        set_gain(&mut m, "Bass", scrambled[0].0 + 1.5);
        set_gain(&mut m, "Keys", scrambled[1].0 - 2.0);
        let heard = gains(&m);
        let steps = m.undo.undo_len();
        let reveal = leave(&mut m, t);
        assert_eq!(gains(&m), [Decibels(-1.5), Decibels(-2.0)]);
        assert_eq!(m.undo.undo_len(), steps + 1);
        let bass = reveal.channels[0].fader.unwrap();
        assert_eq!(bass.by_ear, ByEar::Moved(1.5));
        assert_eq!((bass.before, bass.after), (Decibels(-3.0), Decibels(-1.5)));
        let lines = reveal.lines();
        assert!(
            lines[1].starts_with("Bass: moved by +1.5 dB, -3.0 -> -1.5 dB (offset "),
            "{lines:#?}"
        );
        assert!(lines[1].ends_with(" dB out)"), "{lines:#?}");
        m.undo_redo(false);
        assert_eq!(gains(&m), heard, "undo brings back the balance heard");
    }

    /// A fader turned off while blind, or turned on from off, stays as the user left it when
    /// the offsets are taken out.
    #[test]
    fn revert_leaves_faders_turned_off_or_on() {
        let mut m = mixer(BlindOnExit::Revert, 4.0);
        set_gain(&mut m, "Keys", f64::NEG_INFINITY);
        let t = Instant::now();
        m.set_blind(BlindLevel::Numbers, t);
        assert!(
            m.session.channels[1].gain_db.is_off(),
            "an off fader gets no offset"
        );
        set_gain(&mut m, "Bass", f64::NEG_INFINITY);
        set_gain(&mut m, "Keys", -20.0);
        let reveal = leave(&mut m, t);
        assert!(m.session.channels[0].gain_db.is_off());
        assert_eq!(m.session.channels[1].gain_db, Decibels(-20.0));
        let lines = reveal.lines();
        assert!(
            lines[1].starts_with("Bass: turned off, -3.0 dB -> off"),
            "{lines:#?}"
        );
        assert_eq!(lines[2], "Keys: turned on, off -> -20.0 dB");
    }

    /// With `on_exit = "ask"` leaving changes nothing and asks; the answer leaves blind mode
    /// as chosen. With no offset in any fader there is nothing to ask.
    #[test]
    fn ask_waits_for_the_choice() {
        let t = Instant::now();
        for choice in [BlindChoice::Keep, BlindChoice::Revert] {
            let mut m = mixer(BlindOnExit::Ask, 4.0);
            let before = gains(&m);
            m.set_blind(BlindLevel::MetersOff, t);
            m.take_effects();
            let scrambled = gains(&m);
            let steps = m.undo.undo_len();
            assert_eq!(m.set_blind(BlindLevel::Off, t), BlindSwitch::Ask);
            assert_eq!(m.blind(), BlindLevel::MetersOff, "still blind while asking");
            assert_eq!(gains(&m), scrambled);
            assert_eq!(m.undo.undo_len(), steps);
            assert!(m.take_effects().is_empty());
            let reveal = m.finish_blind(choice, t).expect("blind mode was on");
            assert_eq!(reveal.choice, choice);
            assert_eq!(m.blind(), BlindLevel::Off);
            let expected = if choice == BlindChoice::Keep {
                scrambled
            } else {
                before
            };
            assert_eq!(gains(&m), expected);
            assert_eq!(m.finish_blind(choice, t), None, "blind mode has ended");
        }

        let mut m = mixer(BlindOnExit::Ask, 0.0);
        m.set_blind(BlindLevel::Numbers, t);
        set_gain(&mut m, "Bass", -4.0);
        let reveal = leave(&mut m, t);
        assert_eq!(reveal.lines()[1], "Bass: moved by -1.0 dB, -3.0 -> -4.0 dB");
    }

    /// `on_exit = "keep"` keeps the balance heard, offsets and all (the old behaviour), and
    /// says which faders were not moved by ear.
    #[test]
    fn keep_keeps_the_balance_heard() {
        let mut m = mixer(BlindOnExit::Keep, 4.0);
        let t = Instant::now();
        m.set_blind(BlindLevel::Numbers, t);
        let nudge = |m: &mut Mixer| m.nudge(Direction::Up, Step::Fine, t);
        nudge(&mut m);
        let heard = gains(&m);
        m.take_effects();
        let reveal = leave(&mut m, t);
        assert_eq!(gains(&m), heard);
        assert!(m.take_effects().is_empty(), "nothing moves");
        let lines = reveal.lines();
        assert_eq!(lines[0], "Kept the balance you heard. Per strip:");
        assert!(lines[1].starts_with("Bass: moved by +0."), "{lines:#?}");
        assert!(
            lines[2].starts_with("Keys: not moved, 0.0 -> "),
            "{lines:#?}"
        );
        assert!(lines[2].ends_with(" dB stays)"), "{lines:#?}");
        assert_eq!(
            lines.last().map(String::as_str),
            Some("u undoes step by step.")
        );
    }

    /// The reveal lists the trims, pans and master moved while blind, per channel.
    #[test]
    fn reveal_lists_trim_pan_and_master() {
        let mut m = mixer(BlindOnExit::Revert, 0.0);
        let t = Instant::now();
        m.set_blind(BlindLevel::Numbers, t);
        m.edit(MixEdit::Trim {
            channel: "Keys".into(),
            db: Decibels(2.0),
        });
        m.edit(MixEdit::Pan {
            channel: "Keys".into(),
            pan: Pan(-0.2),
        });
        m.edit(MixEdit::Master { db: Decibels(-1.5) });
        let reveal = leave(&mut m, t);
        assert_eq!(
            reveal.channels,
            [ChannelReveal {
                name: "Keys".into(),
                fader: None,
                trim: Some((Decibels(0.0), Decibels(2.0))),
                pan: Some((Pan(0.0), Pan(-0.2))),
            }]
        );
        let lines = reveal.lines();
        assert_eq!(lines[1], "Keys: trim 0.0 -> +2.0 dB; pan C -> L20");
        assert_eq!(lines[2], "Master: 0.0 -> -1.5 dB");
        assert_eq!(m.session.channels[1].trim_db, Decibels(2.0), "trims stay");

        let mut m = mixer(BlindOnExit::Keep, 0.0);
        m.set_blind(BlindLevel::Numbers, t);
        assert_eq!(leave(&mut m, t).lines()[0], "Nothing moved while blind.");
    }

    /// Undoing the step that put the offsets in takes them out of the faders: taking them out
    /// again on leaving would move the faders twice, so it does not; redo puts them back in.
    #[test]
    fn undoing_the_scramble_is_not_taken_out_twice() {
        let t = Instant::now();
        let mut m = mixer(BlindOnExit::Revert, 4.0);
        let before = gains(&m);
        m.set_blind(BlindLevel::Numbers, t);
        m.undo_redo(false);
        assert_eq!(gains(&m), before);
        assert_eq!(
            m.message.as_deref(),
            Some("Undone: values hidden while blind")
        );
        let reveal = leave(&mut m, t);
        assert_eq!(gains(&m), before);
        assert!(reveal.channels.is_empty(), "{reveal:?}");

        let mut m = mixer(BlindOnExit::Revert, 4.0);
        m.set_blind(BlindLevel::Numbers, t);
        let scrambled = gains(&m);
        m.undo_redo(false);
        m.undo_redo(true);
        assert_eq!(gains(&m), scrambled);
        leave(&mut m, t);
        assert_eq!(gains(&m), before);
    }

    /// Entering blind mode again while the faders still glide out starts the new offsets from
    /// what the engine plays, so nothing jumps.
    #[test]
    fn blind_again_mid_glide_does_not_jump() {
        let mut m = mixer(BlindOnExit::Revert, 4.0);
        let t = Instant::now();
        let mut heard: Vec<f64> = gains(&m).iter().map(|d| d.0).collect();
        m.set_blind(BlindLevel::Numbers, t);
        let t = glide_out(&mut m, t, &mut heard);
        leave(&mut m, t);
        // Half way out, the engine plays neither the offsets nor the faders as they were.
        let half = t + BLIND_GLIDE / 2;
        m.tick_glides(half);
        for effect in m.take_effects() {
            if let Effect::Gain(i, db) = effect {
                heard[i] = db.0;
            }
        }
        m.set_blind(BlindLevel::Numbers, half);
        glide_out(&mut m, half, &mut heard);
        assert_eq!(heard, gains(&m).iter().map(|d| d.0).collect::<Vec<_>>());
    }
}
