//! The mixer model (UI thread): the mix being edited and everything that edits it: the session
//! and the file it came from, undo, the crash journal, the selection, trim and scene modes,
//! blind mode's hidden offsets, and the changes queued for the engine. Every console mode
//! borrows it; an edit reaches the session, the undo history, the journal and the engine (as an
//! [`Effect`]) at once.

mod address;
mod blind;
mod files;
mod groups;
#[cfg(test)]
mod tests;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use rand_core::{Rng as _, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::action::{Direction, Step};
use super::edit::{Change, MixEdit, differences, replay_text};
use super::effect::{Effect, Transport};
use super::journal::Journal;
use super::undo::{BurstId, UndoStack};
use crate::app::notice::Notice;
use crate::config::{BlindConfig, StepsConfig};
use crate::session::lock::{Owner, SessionLock};
use crate::session::{Section, Session};
use crate::ui::view::{BlindLevel, Focus};
use crate::units::{Decibels, Pan, Seconds};

pub use address::{Fader, fader_level};
pub use blind::{BLIND_GLIDE, BlindChoice, BlindSwitch, ByEar, ChannelReveal, FaderReveal, Reveal};
use blind::{BlindSession, Glide};
pub(crate) use files::DiskWatch;
pub use files::{DISK_CHECK, Saved, Version};
pub use groups::{StripControls, StripKind};

/// The upper end of a fader (channel and master).
pub const FADER_MAX_DB: f64 = 12.0;
/// The lowest fader value above off: a nudge down from here turns the fader off, a nudge up from
/// off lands here.
pub const FADER_FLOOR_DB: f64 = -60.0;
/// The ends of the trim control.
pub const TRIM_MAX_DB: f64 = 24.0;
/// How far one pan key moves the pan (10 %).
pub const PAN_STEP: f64 = 0.1;
/// Key repeats closer together than this on the same control are one undo step.
pub const BURST_GAP: Duration = Duration::from_millis(600);
/// Jumping to the previous section from further into a section than this goes to the start of
/// the section instead.
const SECTION_RESTART: f64 = 1.0;

/// The mix being edited.
#[allow(clippy::struct_excessive_bools)] // independent switches, each a key
pub struct Mixer {
    /// The mix as edited.
    pub(crate) session: Session,
    /// The session as it is on disk (what "unsaved" compares against).
    pub(crate) saved: Session,
    pub(crate) steps: StepsConfig,
    pub(crate) blind_config: BlindConfig,
    /// The selected strip.
    pub(crate) selected: usize,
    pub(crate) focus: Focus,
    /// The fader keys edit the trim.
    pub(crate) trim_mode: bool,
    pub(crate) blind: BlindLevel,
    pub(crate) blind_session: Option<BlindSession>,
    pub(crate) glides: Vec<Glide>,
    pub(crate) undo: UndoStack,
    pub(crate) journal: Option<Journal>,
    /// Edits waiting to be written to the journal (written by [`Mixer::flush_journal`]).
    pub(crate) journal_pending: Vec<MixEdit>,
    /// The burst the last nudge belonged to: its control and when it came.
    pub(crate) burst: Option<(MixEdit, Instant, BurstId)>,
    pub(crate) next_burst: u64,
    pub(crate) rng: Xoshiro256PlusPlus,
    /// The fader and mute keys edit the scene of the section under the play head.
    pub(crate) scene_mode: bool,
    /// The base mix plays in place of the section scenes.
    pub(crate) comparing: bool,
    /// The play head when the current action began (scene edits address its section).
    pub(crate) playhead: Seconds,
    /// The session is open in another earmix (who): nothing is journalled or saved here.
    pub(crate) read_only: Option<Owner>,
    /// The lock on the session file this console holds.
    pub(crate) lock: Option<SessionLock>,
    /// The session file as last loaded or saved, to notice other programs' changes.
    pub(crate) disk: DiskWatch,
    /// A reload changed the strips: the console opens the engine again.
    pub(crate) engine_reopen: bool,
    /// What the engine was doing when the current action arrived (kept up to date with the
    /// effects queued since).
    pub(crate) transport: Transport,
    /// Changes for the engine, applied by the console after each update.
    pub(crate) effects: Vec<Effect>,
    /// The latest message for the status line.
    pub(crate) message: Option<String>,
    /// Ride modes and the pass being recorded.
    pub(crate) rides: super::rides::Rides,
}

impl Mixer {
    /// The mix of `session` (as loaded from disk), journalled to `journal` (`None`: not
    /// journalled, e.g. in tests).
    pub fn new(
        session: Session,
        steps: StepsConfig,
        blind: BlindConfig,
        journal: Option<Journal>,
    ) -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x5eed, |d| d.as_nanos() as u64);
        let disk = DiskWatch::read(&session.path);
        Self {
            saved: session.clone(),
            session,
            steps,
            blind_config: blind,
            selected: 0,
            focus: Focus::Strip,
            trim_mode: false,
            blind: BlindLevel::Off,
            blind_session: None,
            glides: Vec::new(),
            undo: UndoStack::new(),
            journal,
            journal_pending: Vec::new(),
            burst: None,
            next_burst: 0,
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
            scene_mode: false,
            comparing: false,
            playhead: Seconds(0.0),
            read_only: None,
            lock: None,
            disk,
            engine_reopen: false,
            transport: Transport::default(),
            effects: Vec::new(),
            message: None,
            rides: super::rides::Rides::default(),
        }
    }

    /// Seeds the random numbers blind mode uses (tests).
    pub fn seed(&mut self, seed: u64) {
        self.rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    }

    /// The mix as edited.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The selected strip.
    pub fn selected(&self) -> usize {
        self.selected
    }

    /// Where the fader keys act.
    pub fn focus(&self) -> Focus {
        self.focus
    }

    /// How much blind mode hides.
    pub fn blind(&self) -> BlindLevel {
        self.blind
    }

    /// Whether the fader keys edit the trim.
    pub fn trim_mode(&self) -> bool {
        self.trim_mode
    }

    /// Whether the fader and mute keys edit the current section's scene (else the base mix).
    pub fn scene_mode(&self) -> bool {
        self.scene_mode
    }

    /// Whether the base mix plays in place of the section scenes.
    pub fn comparing(&self) -> bool {
        self.comparing
    }

    /// Mutes (or solos) the selected strip (a channel or a group), or undoes that.
    pub(crate) fn toggle(&mut self, solo: bool) {
        let Some(strip) = self.channel_for_strip_edit(if solo { "solo" } else { "mute" }) else {
            return;
        };
        let (Some(name), Some(controls)) = (self.strip_name(strip), self.strip_controls(strip))
        else {
            return;
        };
        let name = name.to_string();
        if !solo && let Some(k) = self.scene_section() {
            let section = &self.session.sections[k];
            let on = !section.is_muted(&name);
            self.edit(MixEdit::SceneMute {
                section: section.name.clone(),
                channel: name,
                on,
            });
            return;
        }
        let edit = if solo {
            MixEdit::Solo {
                channel: name,
                on: !controls.solo,
            }
        } else {
            MixEdit::Mute {
                channel: name,
                on: !controls.mute,
            }
        };
        self.edit(edit);
    }

    pub(crate) fn clear_solos(&mut self) {
        let soloed = (self.session.channels.iter().filter(|c| c.solo))
            .map(|c| &c.name)
            .chain(
                self.session
                    .groups
                    .iter()
                    .filter(|g| g.solo)
                    .map(|g| &g.name),
            );
        let edits: Vec<MixEdit> = soloed
            .map(|name| MixEdit::Solo {
                channel: name.clone(),
                on: false,
            })
            .collect();
        if edits.is_empty() {
            self.notify(Notice::NoSolo);
        } else {
            self.edit_group(edits);
        }
    }

    pub(crate) fn pan(&mut self, delta: f64) {
        if let Some(strip) = self.channel_for_strip_edit("pan")
            && let (Some(name), Some(controls)) =
                (self.strip_name(strip), self.strip_controls(strip))
        {
            let pan = round2((controls.pan.0 + delta).clamp(-1.0, 1.0));
            let channel = name.to_string();
            self.edit(MixEdit::Pan {
                channel,
                pan: Pan(pan),
            });
        }
    }

    pub(crate) fn play_pause(&mut self) {
        if self.transport.playing {
            self.emit(Effect::Pause);
        } else {
            // Playing again from the end starts from the top, with loudness measured afresh.
            if self.transport.position.0 >= self.session.length().0 - 1e-3 {
                self.emit(Effect::Seek(Seconds(0.0)));
                self.emit(Effect::ResetLoudness);
            }
            self.emit(Effect::Play);
        }
    }

    /// Undoes or redoes one step; the message says what it did ("Undone: Chorus 2 starts at
    /// 1:02.500 again", "Redone: removed section Bridge"), without levels while blind.
    pub(crate) fn undo_redo(&mut self, redo: bool) {
        let next = if redo {
            self.undo.next_redo()
        } else {
            self.undo.next_undo()
        };
        let Some((id, changes)) = next.map(|(id, changes)| (id, changes.to_vec())) else {
            self.notify(Notice::NothingTo { redo });
            return;
        };
        let edits = if redo {
            self.undo.redo()
        } else {
            self.undo.undo()
        };
        self.apply_replayed(edits.unwrap_or_default());
        self.blind_step_replayed(id, redo);
        let levels = changes
            .iter()
            .any(|c| !matches!(c.after, MixEdit::Sections { .. }));
        let what = if self.blind.hides_numbers() && levels {
            "values hidden while blind".to_string()
        } else {
            replay_text(&changes, redo)
        };
        self.notify(Notice::Replayed { redo, what });
    }

    pub(crate) fn select(&mut self, index: usize) {
        let last = self.strip_count().saturating_sub(1);
        self.selected = index.min(last);
        self.focus = Focus::Strip;
    }

    /// The selected strip (a channel or a group) for a strip-only edit, or a message when the
    /// master has the focus.
    pub(crate) fn channel_for_strip_edit(&mut self, what: &'static str) -> Option<usize> {
        if self.focus == Focus::Master {
            self.notify(Notice::MasterHasNo(what));
            return None;
        }
        (self.selected < self.strip_count()).then_some(self.selected)
    }

    /// Whether the fader keys edit a trim: trim mode, on a channel strip (a group has none).
    fn edits_trim(&self) -> bool {
        self.trim_mode
            && self.focus == Focus::Strip
            && matches!(self.strip_kind(self.selected), Some(StripKind::Channel(_)))
    }

    /// The edit that sets the focused control (fader, trim or master) to `db`.
    pub(crate) fn focused_edit(&self, db: Decibels) -> MixEdit {
        if self.focus == Focus::Master {
            return MixEdit::Master { db };
        }
        let channel = self
            .strip_name(self.selected)
            .unwrap_or_default()
            .to_string();
        if self.edits_trim() {
            MixEdit::Trim { channel, db }
        } else if let Some(k) = self.scene_section() {
            MixEdit::SceneGain {
                section: self.session.sections[k].name.clone(),
                channel,
                db: Some(db),
            }
        } else {
            MixEdit::Gain { channel, db }
        }
    }

    /// The focused control's value now.
    pub(crate) fn focused_value(&self) -> Decibels {
        if self.focus == Focus::Master {
            return self.session.master_db;
        }
        let Some(kind) = self.strip_kind(self.selected) else {
            return Decibels::UNITY;
        };
        let (name, gain) = match kind {
            StripKind::Channel(i) => {
                let channel = &self.session.channels[i];
                if self.edits_trim() {
                    return channel.trim_db;
                }
                (&channel.name, channel.gain_db)
            }
            StripKind::Group(g) => {
                let group = &self.session.groups[g];
                (&group.name, group.gain_db)
            }
        };
        match self.scene_section() {
            Some(k) => self.session.sections[k].scene_gain(name).unwrap_or(gain),
            None => gain,
        }
    }

    /// In scene mode, the section whose scene the keys edit (the one under the play head).
    pub(crate) fn scene_section(&self) -> Option<usize> {
        if self.scene_mode {
            self.current_section(self.playhead)
        } else {
            None
        }
    }

    pub(crate) fn nudge(&mut self, direction: Direction, step: Step, now: Instant) {
        if self.session.channels.is_empty() && self.focus == Focus::Strip {
            return;
        }
        let mut size = match step {
            Step::Fine => self.steps.fine_db,
            Step::Coarse => self.steps.coarse_db,
            Step::Finer => self.steps.finer_db,
        };
        if self.blind.hides_numbers() {
            let (lo, hi) = (
                self.blind_config.step_factor_min,
                self.blind_config.step_factor_max,
            );
            size *= lo + (hi - lo) * self.random_unit();
        }
        let delta = match direction {
            Direction::Up => size,
            Direction::Down => -size,
        };
        if self.trim_mode && self.focus == Focus::Strip && !self.edits_trim() {
            let group = self.strip_name(self.selected).unwrap_or_default();
            let why = super::edit::EditError::GroupHasNoTrim {
                group: group.to_string(),
            };
            self.notify(Notice::Refused(why.to_string()));
            return;
        }
        // An armed strip records its ride while playing.
        if self.record_nudge(delta, now) {
            return;
        }
        let trim = self.edits_trim();
        let value = nudged(self.focused_value().0, delta, trim);
        let edit = self.focused_edit(Decibels(value));
        // Auto-repeat: the same control again soon after is the same undo step.
        let burst = match &self.burst {
            Some((control, at, id))
                if control.same_control(&edit) && now.duration_since(*at) < BURST_GAP =>
            {
                *id
            }
            _ => self.new_burst(),
        };
        self.burst = Some((edit.clone(), now, burst));
        if self.edit_in_burst(edit, burst) == Some(false) {
            self.notify(Notice::AtEnd {
                fader_top: value >= FADER_MAX_DB,
            });
        }
    }

    /// A new burst id, for a run of edits that is to be one undo step.
    pub(crate) fn new_burst(&mut self) -> BurstId {
        self.next_burst += 1;
        BurstId(self.next_burst)
    }

    /// Applies `edit` as part of `burst`: edits of one burst with no other step between them
    /// are one undo step (a held key, a hardware fader's gesture). `Some(false)` when it would
    /// change nothing (a fader at its end), `None` when it does not apply to this session.
    pub(crate) fn edit_in_burst(&mut self, edit: MixEdit, burst: BurstId) -> Option<bool> {
        let change = Change::of(edit.clone(), &self.session).ok()?;
        if change.is_noop() {
            return Some(false);
        }
        edit.apply(&mut self.session).ok()?;
        self.undo.push(change, Some(burst));
        self.send(&edit);
        if let MixEdit::Gain { channel, .. } = &edit
            && let Some(section) = self.scene_setting(channel)
        {
            self.notify(Notice::SceneSetsFader {
                channel: channel.clone(),
                section,
            });
        }
        self.journal_pending.push(edit);
        Some(true)
    }

    /// The section under the play head when its scene sets `channel`'s fader and the scenes
    /// play (not compared away): a base fader move is then not heard here.
    fn scene_setting(&self, channel: &str) -> Option<String> {
        if self.comparing {
            return None;
        }
        let section = &self.session.sections[self.current_section(self.playhead)?];
        section
            .scene_gain(channel)
            .is_some()
            .then(|| section.name.clone())
    }

    pub(crate) fn end_burst(&mut self) {
        self.burst = None;
        self.undo.end_burst();
    }

    /// Applies one edit as its own undo step; false when it was refused (the message says why).
    pub(crate) fn edit(&mut self, edit: MixEdit) -> bool {
        self.edit_group(vec![edit])
    }

    /// Applies edits as one undo step; false when one was refused (the message says why).
    pub(crate) fn edit_group(&mut self, edits: Vec<MixEdit>) -> bool {
        let mut accepted = true;
        let mut changes = Vec::new();
        for edit in edits {
            let Ok(change) = Change::of(edit.clone(), &self.session) else {
                continue;
            };
            if change.is_noop() {
                continue;
            }
            if let Err(e) = edit.apply(&mut self.session) {
                self.notify(Notice::Refused(e.to_string()));
                accepted = false;
                continue;
            }
            self.send(&edit);
            self.journal_pending.push(edit);
            changes.push(change);
        }
        if !changes.is_empty() {
            self.undo.push_group(changes);
        }
        accepted
    }

    /// Applies edits from undo or redo (already recorded in the history).
    pub(crate) fn apply_replayed(&mut self, edits: Vec<MixEdit>) {
        for edit in edits {
            if edit.apply(&mut self.session).is_ok() {
                self.send(&edit);
                self.journal_pending.push(edit);
            }
        }
    }

    /// Sends an edit's new value to the engine: for a fader, pan, mute or solo, a channel's or
    /// a group's, the heard values of the channels it reaches (see [`groups`]).
    pub(crate) fn send(&mut self, edit: &MixEdit) {
        let strip = edit
            .channel()
            .and_then(|name| self.session.channel_index(name));
        match (edit, strip) {
            (MixEdit::Master { db }, _) => self.emit(Effect::Master(*db)),
            (MixEdit::Trim { db, .. }, Some(i)) => self.emit(Effect::Trim(i, *db)),
            // A fader still gliding in blind mode's offset keeps gliding, to the new value.
            (MixEdit::Gain { channel, db }, _) => self.send_gain(channel, *db),
            (MixEdit::Pan { channel, .. }, _) => {
                self.send_heard(channel, |i, heard| Effect::Pan(i, heard.pan));
            }
            (MixEdit::Mute { channel, .. }, _) => {
                self.send_heard(channel, |i, heard| Effect::Mute(i, heard.mute));
            }
            (MixEdit::Solo { channel, .. }, _) => {
                self.send_heard(channel, |i, heard| Effect::Solo(i, heard.solo));
            }
            (
                MixEdit::SceneGain { .. } | MixEdit::SceneMute { .. } | MixEdit::Sections { .. },
                _,
            ) => {
                self.emit(Effect::Scenes(Box::new(self.session.clone())));
            }
            (MixEdit::Ride { .. }, _) => self.emit(Effect::Rides(self.heard_rides())),
            _ => {}
        }
    }

    /// Writes the edits made since the last call to the crash journal (one line per control,
    /// its latest value). The console calls it after each batch of keys; quitting calls it too.
    pub fn flush_journal(&mut self) {
        if self.journal_pending.is_empty() {
            return;
        }
        let pending = std::mem::take(&mut self.journal_pending);
        let Some(journal) = self.journal.as_mut() else {
            return;
        };
        // Absolute values: only the last edit of each control matters, in order.
        let mut latest: Vec<&MixEdit> = Vec::new();
        for edit in &pending {
            latest.retain(|e| !edit.supersedes(e));
            latest.push(edit);
        }
        for edit in latest {
            if let Err(e) = journal.append(edit) {
                tracing::error!("{e}");
                self.notify(Notice::JournalFailed(e.to_string()));
                break;
            }
        }
    }

    /// Whether the mix differs from the file on disk.
    pub fn unsaved(&self) -> bool {
        !differences(&self.saved, &self.session).is_empty()
    }

    pub(crate) fn random_unit(&mut self) -> f64 {
        (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// The index of the section under the play head (None before the first one).
    pub fn current_section(&self, at: Seconds) -> Option<usize> {
        self.session
            .sections
            .iter()
            .rposition(|s| s.start.0 <= at.0 + 1e-9)
    }

    pub(crate) fn previous_section(&mut self) {
        let pos = self.transport.position;
        let Some(i) = self.current_section(pos) else {
            return self.no_sections();
        };
        let start = self.session.sections[i].start;
        let target = if pos.0 - start.0 > SECTION_RESTART || i == 0 {
            start
        } else {
            self.session.sections[i - 1].start
        };
        self.emit(Effect::Seek(target));
    }

    pub(crate) fn next_section(&mut self) {
        let pos = self.transport.position;
        let next = self
            .session
            .sections
            .iter()
            .find(|s| s.start.0 > pos.0 + 1e-9)
            .map(|s| s.start);
        match next {
            Some(start) => self.emit(Effect::Seek(start)),
            None if self.session.sections.is_empty() => self.no_sections(),
            None => self.notify(Notice::LastSection { can_add: false }),
        }
    }

    pub(crate) fn no_sections(&mut self) {
        self.notify(Notice::NoSections);
    }

    pub(crate) fn loop_section(&mut self) {
        if self.transport.loop_region.is_some() {
            self.emit(Effect::Loop(None));
            self.notify(Notice::LoopOff);
            return;
        }
        let pos = self.transport.position;
        let length = self.session.length();
        let (start, end, name) = match self.current_section(pos) {
            Some(i) => {
                let section = &self.session.sections[i];
                let end = self.session.sections.get(i + 1).map_or(length, |s| s.start);
                (section.start, end, Some(section.name.clone()))
            }
            None => (Seconds(0.0), length, None),
        };
        if end.0 - start.0 <= 0.0 {
            return;
        }
        self.emit(Effect::Loop(Some((start, end))));
        self.notify(Notice::Looping(name));
    }

    pub(crate) fn toggle_trim_mode(&mut self) {
        self.trim_mode = !self.trim_mode;
        self.notify(Notice::TrimMode(self.trim_mode));
    }

    pub(crate) fn toggle_scene_mode(&mut self) {
        if self.session.sections.is_empty() {
            return self.no_sections();
        }
        self.scene_mode = !self.scene_mode;
        let notice = if self.scene_mode {
            Notice::SceneMode(
                self.current_section(self.transport.position)
                    .map(|k| self.session.sections[k].name.clone()),
            )
        } else {
            Notice::BaseMode
        };
        self.notify(notice);
    }

    /// The section under the play head, or a message saying there is none.
    pub(crate) fn section_here(&mut self) -> Option<usize> {
        let found = self.current_section(self.playhead);
        if found.is_none() {
            if self.session.sections.is_empty() {
                self.no_sections();
            } else {
                self.notify(Notice::BeforeFirstSection);
            }
        }
        found
    }

    /// Replaces the section list as one undo step.
    pub(crate) fn edit_sections(&mut self, sections: Vec<Section>, done: impl Into<Notice>) {
        if self.edit(MixEdit::Sections { sections }) {
            self.notify(done.into());
        }
    }

    /// Tells the user what happened, on the status line.
    #[allow(clippy::needless_pass_by_value)] // a notice is said once, then dropped
    pub(crate) fn notify(&mut self, notice: Notice) {
        self.message = Some(notice.to_string());
    }

    pub(crate) fn clear_scene(&mut self) {
        let Some(k) = self.section_here() else {
            return;
        };
        if !self.session.sections[k].has_scene() {
            self.notify(Notice::NoScene(self.session.sections[k].name.clone()));
            return;
        }
        let mut sections = self.session.sections.clone();
        sections[k].gain_db.clear();
        sections[k].mute.clear();
        let done = Notice::SceneCleared(sections[k].name.clone());
        self.edit_sections(sections, done);
    }

    /// `{`: the current section starts at the play head; `}` (`next`): the next one does.
    pub(crate) fn move_boundary(&mut self, next: bool) {
        let Some(k) = self.section_here() else {
            return;
        };
        let at = round_ms(self.playhead);
        let moved = if next { k + 1 } else { k };
        let mut sections = self.session.sections.clone();
        let Some(section) = sections.get_mut(moved) else {
            self.notify(Notice::LastSection { can_add: true });
            return;
        };
        if (section.start.0 - at.0).abs() < 1e-9 {
            let notice = Notice::AlreadyStarts(section.name.clone());
            self.notify(notice);
            return;
        }
        if moved == 0 || at.0 > sections[moved - 1].start.0 + 1e-9 {
            let section = &mut sections[moved];
            let done = Notice::StartMoved {
                section: section.name.clone(),
                at,
                was: section.start,
            };
            section.start = at;
            self.edit_sections(sections, done);
        } else {
            self.notify(Notice::CannotStartBefore {
                section: sections[moved].name.clone(),
                before: sections[moved - 1].name.clone(),
            });
        }
    }

    /// Adds a section named `name` at `at`, with the scene of the section it splits (so adding
    /// it changes nothing you hear until you edit it).
    pub(crate) fn add_section(&mut self, at: Seconds, name: &str) -> Result<(), Notice> {
        if name.is_empty() {
            return Err(Notice::NameMissing);
        }
        if self.session.sections.iter().any(|s| s.name == name) {
            return Err(Notice::SectionExists(name.to_string()));
        }
        if at.0 >= self.session.length().0 {
            return Err(Notice::AtSessionEnd);
        }
        if self
            .session
            .sections
            .iter()
            .any(|s| (s.start.0 - at.0).abs() < 1e-9)
        {
            return Err(Notice::SectionStartsAt(at));
        }
        let index = self
            .session
            .sections
            .iter()
            .position(|s| s.start.0 > at.0)
            .unwrap_or(self.session.sections.len());
        let mut section = index.checked_sub(1).map_or_else(
            || Section {
                name: String::new(),
                start: at,
                gain_db: Vec::new(),
                mute: Vec::new(),
                ramp_ms: None,
            },
            |k| self.session.sections[k].clone(),
        );
        section.name = name.to_string();
        section.start = at;
        let mut sections = self.session.sections.clone();
        sections.insert(index, section);
        self.edit_sections(sections, format!("Added section {name} at {at} (u undoes)"));
        Ok(())
    }

    pub(crate) fn remove_section(&mut self) {
        let Some(k) = self.section_here() else {
            return;
        };
        let mut sections = self.session.sections.clone();
        let removed = sections.remove(k);
        // The first section's time goes to the one after it; any other's to the one before.
        if k == 0
            && let Some(next) = sections.first_mut()
        {
            next.start = removed.start;
        }
        self.edit_sections(
            sections,
            format!("Removed section {} (u undoes)", removed.name),
        );
    }

    /// The section under the play head.
    pub fn section_name(&self, at: Seconds) -> Option<&str> {
        self.current_section(at)
            .map(|i| self.session.sections[i].name.as_str())
    }

    /// Queues a change for the engine, and keeps the transport as the model knows it up to
    /// date with it.
    pub(crate) fn emit(&mut self, effect: Effect) {
        self.transport.after(&effect);
        self.effects.push(effect);
    }

    /// The changes for the engine queued since the last call, in order: the console applies
    /// them after each batch of keys and each tick.
    pub fn take_effects(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.effects)
    }

    /// The session file's path.
    pub fn path(&self) -> &PathBuf {
        &self.session.path
    }
}

/// A fader (or trim) value moved by `delta` dB, kept in range: faders stop at +12 dB and at
/// off (below [`FADER_FLOOR_DB`]); trims stop at +-24 dB. Values are kept to 0.01 dB.
pub fn nudged(value: f64, delta: f64, trim: bool) -> f64 {
    if trim {
        return round2((value + delta).clamp(-TRIM_MAX_DB, TRIM_MAX_DB));
    }
    if value == f64::NEG_INFINITY {
        return if delta > 0.0 {
            FADER_FLOOR_DB
        } else {
            f64::NEG_INFINITY
        };
    }
    let next = value + delta;
    if next < FADER_FLOOR_DB - 1e-9 {
        f64::NEG_INFINITY
    } else {
        round2(next.min(FADER_MAX_DB))
    }
}

/// A time rounded to the millisecond, as session files write it.
pub(crate) fn round_ms(t: Seconds) -> Seconds {
    Seconds((t.0 * 1000.0).round() / 1000.0)
}

pub(crate) fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// A file's name without its folder, as messages show it.
pub(crate) fn file_name(path: &std::path::Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}
