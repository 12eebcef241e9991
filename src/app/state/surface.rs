//! Control surfaces in the console's model (UI thread): what MIDI controllers, OSC remotes and
//! the mouse ask for ([`crate::control::Input`]) becomes the edits the keys make, through the
//! same rules, and the model says what the surfaces show ([`App::feedback`]).
//!
//! - **Same rules as the keys.** A box open on the screen (help, a question) stops the
//!   surfaces' strip and fader inputs, with a message; an exercise step sees a fader move as a
//!   nudge of that strip, a mute as the mute key on it, and refuses what it refuses from the
//!   keys, with the same message. A [`Press::Action`] is the key's action, box and all.
//! - **One edit per fader per pass.** The console hands over everything that arrived since its
//!   last pass; of a fader's moves only the latest is applied (soft takeover still sees every
//!   one), so a 14-bit fader's thousand messages a second are one edit, and one gain change to
//!   the engine (smoothed there like every gain change), per strip per pass.
//! - **A gesture is one undo step**, like a held key: fader moves from any surface closer
//!   together than [`BURST_GAP`], or while a touch fader is held, join one step; any other
//!   step in between starts a new one.
//! - **Soft takeover** for hardware positions: see [`crate::control::takeover`]. A level in dB
//!   ([`Input::FaderDb`]) is meant and is applied as it is.
//! - **Strips** are counted as the console counts them: the channels, then the groups (a
//!   group's fader, mute, solo and pan are a strip's like any other), by number, by name, or
//!   by a bank's slot.
//! - **Banks** per surface: its slot `n` is strip `first + n`; banks never go past the strips.
//! - **Blind mode.** While the numbers are hidden, a hardware fader moves its strip
//!   *relatively*: by the dB the law puts between its previous position and this one, from
//!   wherever the hidden offset left the strip (the first message after blind mode starts only
//!   sets where it is). Absolute positions would undo the hidden offsets and tell the eye where
//!   unity is. A level sent in dB is refused while blind: a number typed elsewhere defeats the
//!   exercise of balancing by ear. Turns are nudges, with blind mode's random step sizes.

use std::collections::HashMap;
use std::time::Instant;

use super::{App, Outcome};
use crate::app::action::{Action, Direction, Step};
use crate::app::edit::MixEdit;
use crate::app::effect::{Effect, Transport};
use crate::app::mixer::{BURST_GAP, FADER_FLOOR_DB, Fader, PAN_STEP, fader_level, nudged, round2};
use crate::app::mode::learn::Learn;
use crate::app::undo::BurstId;
use crate::control::law::{db_at, position_of};
use crate::control::midi::learn::{Heard, Learnable};
use crate::control::takeover::{Takeover, Verdict};
use crate::control::{
    Arrival, FaderState, Feedback, Input, Level, Press, Source, StripRef, StripState, Target, Turns,
};
use crate::ui::view::{Catch, Focus};
use crate::units::{Decibels, Pan, Seconds};

/// How many fader slots a surface has until it says ([`Input::Slots`]).
pub const DEFAULT_SLOTS: usize = 8;

/// The most detents one turn input moves (a runaway encoder cannot hang the console).
const MOST_DETENTS: u32 = 64;

/// A surface's bank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Bank {
    first: usize,
    slots: usize,
}

/// One hardware fader of one surface.
#[derive(Debug, Clone)]
struct Hold {
    /// The fader it moves now (a bank change re-arms takeover).
    fader: Fader,
    takeover: Takeover,
    /// Blind mode: the position it was last at (what the next move is measured from).
    reference: Option<f64>,
    /// Touched (a motor fader under a hand).
    touched: bool,
}

/// What the model keeps of the surfaces.
#[derive(Debug, Default)]
pub(super) struct SurfaceState {
    banks: Vec<(Source, Bank)>,
    holds: HashMap<(Source, Target), Hold>,
    /// The gesture the last fader move belonged to, and when it came.
    gesture: Option<(BurstId, Instant)>,
    /// Blind mode as the last pass found it.
    blind: bool,
    /// The MIDI surface that can learn controls, once it runs.
    learnable: Option<Learnable>,
    /// A binding was learned and saved: the surface reads its mapping again.
    reload: Option<Source>,
}

impl SurfaceState {
    fn bank(&self, source: &Source) -> Bank {
        self.banks.iter().find(|(s, _)| s == source).map_or(
            Bank {
                first: 0,
                slots: DEFAULT_SLOTS,
            },
            |(_, bank)| *bank,
        )
    }

    fn set_bank(&mut self, source: &Source, bank: Bank) {
        match self.banks.iter_mut().find(|(s, _)| s == source) {
            Some((_, b)) => *b = bank,
            None => self.banks.push((source.clone(), bank)),
        }
    }

    /// The hold of `target` on `source`, now moving `fader` (a fresh one when it moved
    /// another fader before).
    fn hold(&mut self, source: &Source, target: &Target, fader: Fader) -> &mut Hold {
        let hold = self
            .holds
            .entry((source.clone(), target.clone()))
            .or_insert_with(|| Hold {
                fader,
                takeover: Takeover::new(),
                reference: None,
                touched: false,
            });
        if hold.fader != fader {
            *hold = Hold {
                fader,
                takeover: Takeover::new(),
                reference: None,
                touched: false,
            };
        }
        hold
    }

    /// Where a hardware fader on `fader` waits to catch the mix at `mix`, if one does.
    fn waiting(&self, fader: Fader, mix: f64) -> Option<f64> {
        self.holds
            .values()
            .filter(|h| h.fader == fader)
            .find_map(|h| h.takeover.waiting(mix))
    }
}

/// How a source is named in messages.
fn source_name(source: &Source) -> String {
    match source {
        Source::Midi(port) => format!("MIDI {port}"),
        Source::Osc(peer) => format!("OSC from {peer}"),
        Source::Mouse => "The mouse".to_string(),
    }
}

/// Which arrivals are applied: all but a fader move followed, in the same batch, by a later
/// move of the same kind of the same fader from the same source (with no bank change of that
/// source in between).
fn latest_moves(arrivals: &[Arrival]) -> Vec<bool> {
    let mut epochs: HashMap<&Source, usize> = HashMap::new();
    let keys: Vec<Option<(&Source, &Target, bool, usize)>> = arrivals
        .iter()
        .map(|a| {
            let epoch = epochs.entry(&a.source).or_insert(0);
            match &a.input {
                Input::FaderPosition { target, .. } => Some((&a.source, target, true, *epoch)),
                Input::FaderDb { target, .. } => Some((&a.source, target, false, *epoch)),
                Input::Slots(_)
                | Input::Press(
                    Press::BankLeft | Press::BankRight | Press::ChannelLeft | Press::ChannelRight,
                ) => {
                    *epoch += 1;
                    None
                }
                _ => None,
            }
        })
        .collect();
    let mut seen = std::collections::HashSet::new();
    let mut latest = vec![true; arrivals.len()];
    for (i, key) in keys.iter().enumerate().rev() {
        if let Some(key) = key
            && !seen.insert(*key)
        {
            latest[i] = false;
        }
    }
    latest
}

/// Learning a MIDI control (see [`crate::app::mode::learn`]).
impl App {
    /// A MIDI surface that can learn runs (the console says so once it started).
    pub fn set_learnable(&mut self, learnable: Learnable) {
        self.surfaces.learnable = Some(learnable);
    }

    /// The MIDI surface that can learn, if one runs.
    pub(crate) fn learnable(&self) -> Option<&Learnable> {
        self.surfaces.learnable.as_ref()
    }

    /// Whether learn mode listens for a control now: the surfaces send what they hear.
    pub fn is_learning(&self) -> bool {
        self.modes.last().is_some_and(|m| m.mode.listens())
    }

    /// The surface to read its mapping again, once, after a binding was saved.
    pub fn take_reload(&mut self) -> Option<Source> {
        self.surfaces.reload.take()
    }

    /// The first strip of `source`'s bank.
    pub(crate) fn bank_first(&self, source: &Source) -> usize {
        self.surfaces.bank(source).first
    }

    /// A binding of `source` was saved: it reads its mapping again, and its faders take the
    /// mix over anew (soft takeover: the first move of a newly bound fader waits to catch).
    pub(crate) fn learned(&mut self, source: &Source) {
        self.surfaces.holds.retain(|(s, _), _| s != source);
        self.surfaces.reload = Some(source.clone());
    }

    /// The learn key: opens learn mode, or says why not.
    pub(super) fn open_learn(&mut self) {
        if let Some(mode) = Learn::open(self) {
            self.open(mode);
        }
    }
}

/// Control surfaces: inputs in, feedback out.
impl App {
    /// Applies what the surfaces sent since the last pass, oldest first (see the module
    /// documentation). `transport` is what the engine is doing now; the changes for the engine
    /// are queued (see [`App::take_effects`]).
    pub fn surface(&mut self, arrivals: Vec<Arrival>, transport: Transport) -> Outcome {
        if arrivals.is_empty() {
            return Outcome::Continue;
        }
        self.mixer.transport = transport;
        let blind = self.mixer.blind.hides_numbers();
        if blind != self.surfaces.blind {
            self.surfaces.blind = blind;
            for hold in self.surfaces.holds.values_mut() {
                hold.reference = None;
            }
        }
        let latest = latest_moves(&arrivals);
        for (arrival, latest) in arrivals.into_iter().zip(latest) {
            self.mixer.playhead = self.mixer.transport.position;
            if self.arrival(arrival, latest) == Outcome::Quit {
                return Outcome::Quit;
            }
        }
        Outcome::Continue
    }

    fn arrival(&mut self, arrival: Arrival, latest: bool) -> Outcome {
        let Arrival { source, input, at } = arrival;
        if self.is_learning() {
            // Learn mode hears the controls as they are; what they are mapped to waits.
            return match input {
                Input::Heard(heard) => self.heard(heard, at),
                _ => Outcome::Continue,
            };
        }
        match input {
            Input::FaderPosition { target, position } => {
                if let Some(fader) = self.resolve(&source, &target) {
                    self.fader_position(&source, &target, fader, position, latest, at);
                }
            }
            Input::FaderDb { target, db } => {
                if latest && let Some(fader) = self.resolve(&source, &target) {
                    self.fader_db(&source, fader, db, at);
                }
            }
            Input::FaderTouch { target, touched } => {
                if let Some(fader) = self.resolve(&source, &target) {
                    self.touch(&source, &target, fader, touched);
                }
            }
            Input::Turn {
                turns,
                target,
                steps,
            } => {
                if let Some(fader) = self.resolve(&source, &target) {
                    self.turn(turns, fader, steps, at);
                }
            }
            Input::Pan { strip, pan } => {
                if let Some(i) = self.strip(&source, &strip) {
                    self.set_pan(&source, i, pan);
                }
            }
            Input::Press(press) => return self.press(&source, press, at),
            Input::Slots(slots) => {
                let bank = self.surfaces.bank(&source);
                self.move_bank(&source, bank.first, slots.max(1), false);
            }
            // Heard controls are for learn mode only (a late one after it closed).
            Input::Heard(_) => {}
        }
        Outcome::Continue
    }

    fn heard(&mut self, heard: Heard, at: Instant) -> Outcome {
        self.with_top(|mode, app| mode.heard(heard, app, at))
    }

    /// The strip `strip` names for `source`, or a message saying there is none.
    fn strip(&mut self, source: &Source, strip: &StripRef) -> Option<usize> {
        let strips = self.mixer.strip_count();
        let found = match strip {
            StripRef::Index(i) => Some(*i),
            StripRef::Name(name) => self.mixer.strip_index(name),
            StripRef::Slot(n) => Some(self.surfaces.bank(source).first + n),
        }
        .filter(|i| *i < strips);
        if found.is_none() {
            let who = source_name(source);
            self.mixer.message = Some(match strip {
                StripRef::Index(i) => format!("{who}: there is no strip {}", i + 1),
                StripRef::Name(name) => format!("{who}: there is no strip named '{name}'"),
                StripRef::Slot(n) => format!(
                    "{who}: fader {} has no strip in this bank (the session has {})",
                    n + 1,
                    strips
                ),
            });
        }
        found
    }

    fn resolve(&mut self, source: &Source, target: &Target) -> Option<Fader> {
        match target {
            Target::Master => Some(Fader::Master),
            Target::Strip(strip) => self.strip(source, strip).map(Fader::Strip),
        }
    }

    /// Whether the console takes `action` from a surface now, on `fader` (see the module
    /// documentation); when not, the message line says why.
    fn surface_allows(&mut self, action: Action, fader: Option<Fader>) -> bool {
        if self.is_asking() {
            self.mixer.message = Some(
                "The control surfaces wait while a box is open on the screen (answer or close it)"
                    .to_string(),
            );
            return false;
        }
        if self.exercise.is_none() {
            return true;
        }
        let was = fader.map(|f| self.mixer.address(f));
        let allowed = self.exercise_allows(action);
        if let Some(was) = was {
            self.mixer.restore(was);
        }
        allowed
    }

    /// The level `fader` has now, as the surfaces move it.
    fn level_now(&self, fader: Fader) -> Decibels {
        self.mixer.fader_value(fader, self.mixer.playhead)
    }

    /// Sets `fader` to `db` as part of the current gesture (see the module documentation);
    /// `held`: the hardware fader moving it is touched (the gesture goes on however slowly).
    fn set_fader(&mut self, fader: Fader, db: Decibels, at: Instant, held: bool) {
        // An armed strip records its ride while playing.
        if let Fader::Strip(i) = fader
            && self.mixer.record_fader(i, db, at)
        {
            return;
        }
        let burst = match self.surfaces.gesture {
            Some((id, last)) if held || at.saturating_duration_since(last) < BURST_GAP => id,
            _ => self.mixer.new_burst(),
        };
        self.surfaces.gesture = Some((burst, at));
        let edit = self.mixer.fader_edit(fader, db);
        self.mixer.edit_in_burst(edit, burst);
    }

    fn fader_position(
        &mut self,
        source: &Source,
        target: &Target,
        fader: Fader,
        position: f64,
        latest: bool,
        at: Instant,
    ) {
        let position = if position.is_nan() {
            0.0
        } else {
            position.clamp(0.0, 1.0)
        };
        let now = self.level_now(fader);
        let mix = position_of(level(now));
        if self.surfaces.blind {
            if !latest {
                return;
            }
            let (from, touched) = {
                let hold = self.surfaces.hold(source, target, fader);
                (hold.reference.replace(position), hold.touched)
            };
            let Some(from) = from else {
                return;
            };
            if !self.surface_allows(nudge(Direction::Up), Some(fader)) {
                return;
            }
            let value = match db_at(position) {
                None => f64::NEG_INFINITY,
                Some(to) => nudged(now.0, to - db_at(from).unwrap_or(FADER_FLOOR_DB), false),
            };
            self.set_fader(fader, Decibels(value), at, touched);
            return;
        }
        let verdict = self
            .surfaces
            .hold(source, target, fader)
            .takeover
            .arrive(position, mix);
        if !latest || verdict != Verdict::Follow {
            return;
        }
        if !self.surface_allows(nudge(Direction::Up), Some(fader)) {
            return;
        }
        let Some(db) = fader_level(db_at(position)) else {
            return;
        };
        let touched = self.surfaces.hold(source, target, fader).touched;
        self.set_fader(fader, db, at, touched);
        let after = position_of(level(self.level_now(fader)));
        self.surfaces
            .hold(source, target, fader)
            .takeover
            .moved(after);
    }

    fn fader_db(&mut self, source: &Source, fader: Fader, db: Option<f64>, at: Instant) {
        if !self.surface_allows(nudge(Direction::Up), Some(fader)) {
            return;
        }
        if self.mixer.blind.hides_numbers() {
            self.mixer.message = Some(format!(
                "{}: blind mode refuses levels sent in dB (move a fader by ear, or leave blind \
                 mode)",
                source_name(source)
            ));
            return;
        }
        let Some(db) = fader_level(db) else {
            self.mixer.message = Some(format!(
                "{}: a fader level that is not a number was ignored",
                source_name(source)
            ));
            return;
        };
        self.set_fader(fader, db, at, false);
    }

    fn touch(&mut self, source: &Source, target: &Target, fader: Fader, touched: bool) {
        let mix = position_of(level(self.level_now(fader)));
        let blind = self.surfaces.blind;
        let hold = self.surfaces.hold(source, target, fader);
        hold.touched = touched;
        if touched && !blind {
            hold.takeover.touched(mix);
        }
        if !touched && !self.surfaces.holds.values().any(|h| h.touched) {
            // Letting go ends the gesture: the next move is a new undo step.
            self.surfaces.gesture = None;
        }
    }

    fn turn(&mut self, turns: Turns, fader: Fader, steps: i32, at: Instant) {
        if steps == 0 {
            return;
        }
        let direction = if steps > 0 {
            Direction::Up
        } else {
            Direction::Down
        };
        let detents = steps.unsigned_abs().min(MOST_DETENTS);
        match turns {
            Turns::Fader { coarse } => {
                let step = if coarse { Step::Coarse } else { Step::Fine };
                let action = Action::Nudge { direction, step };
                if !self.surface_allows(action, Some(fader)) {
                    return;
                }
                let was = self.mixer.address(fader);
                for _ in 0..detents {
                    self.mixer.nudge(direction, step, at);
                }
                self.mixer.restore(was);
            }
            Turns::Pan => {
                let action = match direction {
                    Direction::Up => Action::PanRight,
                    Direction::Down => Action::PanLeft,
                };
                if !self.surface_allows(action, Some(fader)) {
                    return;
                }
                let was = self.mixer.address(fader);
                self.mixer.end_burst();
                self.mixer.pan(PAN_STEP * f64::from(steps.clamp(-64, 64)));
                self.mixer.restore(was);
            }
        }
    }

    fn set_pan(&mut self, source: &Source, strip: usize, pan: f64) {
        if !self.surface_allows(Action::PanRight, Some(Fader::Strip(strip))) {
            return;
        }
        if pan.is_nan() {
            self.mixer.message = Some(format!(
                "{}: a pan that is not a number was ignored",
                source_name(source)
            ));
            return;
        }
        let Some(channel) = self.mixer.strip_name(strip).map(str::to_string) else {
            return;
        };
        self.mixer.end_burst();
        self.mixer.edit(MixEdit::Pan {
            channel,
            pan: Pan(round2(pan.clamp(-1.0, 1.0))),
        });
    }

    fn press(&mut self, source: &Source, press: Press, at: Instant) -> Outcome {
        match press {
            Press::Mute(ref strip) | Press::Solo(ref strip) => {
                let solo = matches!(press, Press::Solo(_));
                let Some(i) = self.strip(source, strip) else {
                    return Outcome::Continue;
                };
                let action = if solo { Action::Solo } else { Action::Mute };
                if self.surface_allows(action, Some(Fader::Strip(i))) {
                    self.mixer.end_burst();
                    let was = self.mixer.address(Fader::Strip(i));
                    self.mixer.toggle(solo);
                    self.mixer.restore(was);
                }
            }
            Press::Select(strip) => {
                if let Some(i) = self.strip(source, &strip)
                    && self.surface_allows(Action::SelectNext, None)
                {
                    self.mixer.select(i);
                }
            }
            Press::FocusMaster => {
                if self.surface_allows(Action::CycleFocus, None) {
                    self.mixer.focus = Focus::Master;
                }
            }
            Press::BankLeft | Press::BankRight | Press::ChannelLeft | Press::ChannelRight => {
                let bank = self.surfaces.bank(source);
                let first = match press {
                    Press::BankLeft => bank.first.saturating_sub(bank.slots),
                    Press::BankRight => bank.first + bank.slots,
                    Press::ChannelLeft => bank.first.saturating_sub(1),
                    _ => bank.first + 1,
                };
                self.move_bank(source, first, bank.slots, true);
            }
            Press::Section(k) => {
                if self.surface_allows(Action::NextSection, None) {
                    match self.mixer.session.sections.get(k) {
                        Some(section) => {
                            let start = section.start;
                            self.mixer.emit(Effect::Seek(start));
                        }
                        None if self.mixer.session.sections.is_empty() => {
                            self.mixer.no_sections();
                        }
                        None => {
                            self.mixer.message = Some(format!(
                                "{}: there is no section {}",
                                source_name(source),
                                k + 1
                            ));
                        }
                    }
                }
            }
            Press::Action(action) => return self.update(action, at, self.mixer.transport),
        }
        Outcome::Continue
    }

    /// Moves `source`'s bank to start at `first` (kept so that it never goes past the
    /// strips), saying so when `say`.
    fn move_bank(&mut self, source: &Source, first: usize, slots: usize, say: bool) {
        let strips = self.mixer.strip_count();
        let first = first.min(strips.saturating_sub(slots));
        self.surfaces.set_bank(source, Bank { first, slots });
        if say {
            let last = (first + slots).min(strips);
            self.mixer.message = Some(format!(
                "{}: faders on strips {} to {last}",
                source_name(source),
                first + 1
            ));
        }
    }

    /// Which way the hardware fader waiting on `strip` must move to catch the mix (for the
    /// strip on screen); `None` when none waits, and always while blind.
    pub fn catch(&self, strip: usize) -> Option<Catch> {
        if self.mixer.blind.hides_numbers() || strip >= self.mixer.strip_count() {
            return None;
        }
        let fader = Fader::Strip(strip);
        let at = self.mixer.transport.position;
        let mix = position_of(level(self.mixer.fader_value(fader, at)));
        let hardware = self.surfaces.waiting(fader, mix)?;
        Some(if hardware < mix {
            Catch::Up
        } else {
            Catch::Down
        })
    }

    /// What the surfaces show now: every strip's fader (the level a surface's fader moves:
    /// the channel fader, or the scene's level in scene mode; never the trim), mute as on the
    /// screen (the base mix's, or the scene's in scene mode), solo, the selection, the master,
    /// each surface's bank, the transport, blind mode and the section under the play head.
    /// While blind no position, level or pan is given away.
    pub fn feedback(&self) -> Feedback {
        let mixer = &self.mixer;
        let at = mixer.transport.position;
        let blind = mixer.blind.hides_numbers();
        let session = &mixer.session;
        let current = mixer.current_section(at);
        let scene = current
            .filter(|_| mixer.scene_mode)
            .map(|k| &session.sections[k]);
        let strips = (0..mixer.strip_count())
            .filter_map(|i| Some((i, mixer.strip_name(i)?, mixer.strip_controls(i)?)))
            .map(|(i, name, c)| StripState {
                name: name.to_string(),
                fader: self.fader_state(Fader::Strip(i), at, blind),
                pan: (!blind).then_some(c.pan.0),
                mute: c.mute || scene.is_some_and(|s| s.is_muted(name)),
                solo: c.solo,
                selected: i == mixer.selected && mixer.focus == Focus::Strip,
            })
            .collect();
        Feedback {
            strips,
            master: self.fader_state(Fader::Master, at, blind),
            banks: self
                .surfaces
                .banks
                .iter()
                .map(|(s, b)| (s.clone(), b.first))
                .collect(),
            playing: mixer.transport.playing,
            blind,
            section: current.map(|k| (k, session.sections[k].name.clone())),
        }
    }

    fn fader_state(&self, fader: Fader, at: Seconds, blind: bool) -> FaderState {
        if blind {
            return FaderState {
                position: None,
                level: Level::Hidden,
                waiting: None,
            };
        }
        let db = self.mixer.fader_value(fader, at);
        let position = position_of(level(db));
        FaderState {
            position: Some(position),
            level: if db.is_off() {
                Level::Off
            } else {
                Level::Db(db.0)
            },
            waiting: self.surfaces.waiting(fader, position).map(|_| position),
        }
    }
}

/// A fader value as the law takes it (`None`: off).
fn level(db: Decibels) -> Option<f64> {
    (!db.is_off()).then_some(db.0)
}

/// A fine nudge: what an exercise sees a fader move as.
fn nudge(direction: Direction) -> Action {
    Action::Nudge {
        direction,
        step: Step::Fine,
    }
}

#[cfg(test)]
mod tests;
