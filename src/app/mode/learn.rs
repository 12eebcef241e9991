//! Learn mode (UI thread): bind a control of the MIDI controller to the selected strip's fader,
//! pan, mute, solo or select, or to a transport or bank button.
//!
//! First a list: what to learn. Then the box listens: the MIDI surface sends every control it
//! hears ([`Heard`]) and the box shows the first it can take and what it will be bound to; a
//! control already bound elsewhere in the mapping is moved, and the box says from where. Enter,
//! or a second move of the same control (pressed again, or moved again after a pause of
//! [`SECOND_MOVE`]), saves the binding in the user's mapping file and the surface reads it at
//! once; Esc cancels. Nothing here is a mix edit: no undo step, nothing in the journal.
//!
//! Strips are learned by their bank position, as the shipped mappings map them: the selected
//! strip's place in the controller's bank now (strip 10 with the bank at 9 is position 2).
//!
//! Faders take a CC (0..127), a 14-bit pair (CC n, then n+32 as its fine part) or pitch bend;
//! buttons a note or a CC (pressed at 64 and above); a pan a CC as an absolute knob or as a
//! relative encoder. The two look alike on the wire, so the box guesses (an encoder repeats
//! one value, 1 or 127, 65, 63, while it turns at an even pace; a knob never sends the same
//! value twice running) and Up and Down choose otherwise.

use std::time::{Duration, Instant};

use super::info::Info;
use super::pick::moved;
use super::{Host, Mode, Next};
use crate::app::action::Action;
use crate::app::context::Context;
use crate::app::state::App;
use crate::control::midi::learn::{
    Binding, Heard, LEARNABLE_BUTTONS, Learnable, Learned, button_named, save, taken_from,
};
use crate::control::midi::mapping::{EncoderMode, Mapping};
use crate::control::{Press, StripRef};
use crate::ui::view::Overlay;

/// How long a control must rest before its next move counts as a second move (which binds it).
pub const SECOND_MOVE: Duration = Duration::from_millis(600);

/// What the user can tell no controller is there: short enough for the status line of an
/// 80-column terminal beside its other fields (`earmix midi` and the README say the rest: the
/// ports, and `input` in `[midi]` of the settings).
pub const NO_CONTROLLER: &str = "No MIDI controller: start with --midi PORT";

/// How a pan control counts.
const PAN_KINDS: [Option<EncoderMode>; 4] = [
    None,
    Some(EncoderMode::TwosComplement),
    Some(EncoderMode::SignMagnitude),
    Some(EncoderMode::Offset64),
];

fn pan_kind_words(kind: Option<EncoderMode>) -> &'static str {
    match kind {
        None => "an absolute knob",
        Some(EncoderMode::TwosComplement) => "a relative encoder, 1 up and 127 down",
        Some(EncoderMode::SignMagnitude) => "a relative encoder, 1 up and 65 down (Mackie)",
        Some(EncoderMode::Offset64) => "a relative encoder, 65 up and 63 down",
    }
}

/// The control heard, as the box would bind it.
#[derive(Debug, Clone)]
struct Candidate {
    /// The control first heard (a 14-bit pair: its MSB).
    first: Heard,
    learned: Learned,
    /// When it last moved.
    last: Instant,
    /// A button: it was let go since it was pressed.
    released: bool,
    /// A CC's last value (an encoder repeats its value).
    value: Option<u8>,
}

#[derive(Debug, Clone)]
enum Phase {
    /// Choosing what to learn.
    Choose,
    /// Listening for a control for `binding`.
    Listen {
        binding: Binding,
        /// What the list called it.
        label: String,
        heard: Option<Candidate>,
        /// Why the last control heard cannot be taken.
        problem: Option<String>,
        /// The pan's kind, an index into [`PAN_KINDS`]; `chosen` once the user picked it.
        pan_kind: usize,
        chosen: bool,
    },
}

/// Learn mode.
#[derive(Debug, Clone)]
pub struct Learn {
    learnable: Learnable,
    mapping: Mapping,
    /// What can be learned, with its words in the list.
    choices: Vec<(Binding, String)>,
    selected: usize,
    /// Why the selected strip is not offered (it is outside the bank).
    note: Option<String>,
    phase: Phase,
}

impl Learn {
    /// Learn mode for `app`'s MIDI surface and selected strip, or `None` with a message (no
    /// controller; its mapping cannot be read).
    pub fn open(app: &mut App) -> Option<Self> {
        let Some(learnable) = app.learnable().cloned() else {
            app.mixer_mut().message = Some(NO_CONTROLLER.to_string());
            return None;
        };
        let mapping = match learnable.mapping() {
            Ok(mapping) => mapping,
            Err(e) => {
                app.mixer_mut().message = Some(format!("Cannot learn: {e}"));
                return None;
            }
        };
        let mixer = app.mixer();
        let strip = mixer.selected();
        let first = app.bank_first(&learnable.source);
        let mut choices = Vec::new();
        let mut note = None;
        if let Some(name) = mixer.strip_name(strip) {
            match strip.checked_sub(first).filter(|s| *s < mapping.slots) {
                Some(slot) => {
                    let at = format!("(bank position {})", slot + 1);
                    let s = || StripRef::Slot(slot);
                    choices.extend([
                        (Binding::Fader(slot), format!("{name} fader {at}")),
                        (Binding::Pan(slot), format!("{name} pan {at}")),
                        (
                            Binding::Button(Press::Mute(s())),
                            format!("{name} mute {at}"),
                        ),
                        (
                            Binding::Button(Press::Solo(s())),
                            format!("{name} solo {at}"),
                        ),
                        (
                            Binding::Button(Press::Select(s())),
                            format!("{name} select {at}"),
                        ),
                    ]);
                }
                None => {
                    note = Some(format!(
                        "{name} is not in the controller's bank (strips {} to {}): bank to it \
                         to learn its controls",
                        first + 1,
                        first + mapping.slots
                    ));
                }
            }
        }
        for (name, words) in LEARNABLE_BUTTONS {
            if let Some(press) = button_named(name) {
                choices.push((Binding::Button(press), format!("{words} button")));
            }
        }
        Some(Self {
            learnable,
            mapping,
            choices,
            selected: 0,
            note,
            phase: Phase::Choose,
        })
    }

    /// Binds what was heard: saves it, has the surface read it, closes (or says why not).
    fn bind(&mut self, app: &mut App) -> Next {
        let Phase::Listen {
            binding,
            label,
            heard: Some(candidate),
            ..
        } = &self.phase
        else {
            app.mixer_mut().message = Some("Move a control on the controller first".to_string());
            return Next::Stay;
        };
        let learned = candidate.learned;
        let moved = taken_from(&self.mapping, &learned, binding);
        let saved = self.learnable.file().and_then(|(path, shipped)| {
            save(&path, shipped, &self.mapping.name, binding, &learned)
        });
        match saved {
            Ok(saved) => {
                app.learned(&self.learnable.source);
                let from = if moved.is_empty() {
                    String::new()
                } else {
                    format!(" (moved from {})", moved.join(", "))
                };
                app.mixer_mut().message = Some(format!(
                    "Learned: {learned} is {label}, saved in {}{from}",
                    saved.path.display()
                ));
                Next::Close
            }
            Err(e) => {
                app.open_box(Box::new(Info::new(
                    "Binding not saved",
                    e.to_string().lines().map(str::to_string).collect(),
                )));
                Next::Close
            }
        }
    }

    fn lines(&self) -> Vec<String> {
        let Phase::Listen {
            binding,
            heard,
            problem,
            pan_kind,
            ..
        } = &self.phase
        else {
            return Vec::new();
        };
        let mut lines = Vec::new();
        match heard {
            None => {
                lines.push("Move or press a control on the controller.".to_string());
                lines.push(
                    match binding {
                        Binding::Fader(_) => {
                            "A fader sends a CC (0-127), a 14-bit CC pair or pitch bend."
                        }
                        Binding::Pan(_) => "A pan is a knob or an encoder sending a CC.",
                        Binding::Button(_) => "A button sends a note or a CC.",
                    }
                    .to_string(),
                );
            }
            Some(candidate) => {
                lines.push(format!("Heard: {}", candidate.first));
                lines.push(format!("Binds: {}", candidate.learned));
                if let Binding::Pan(_) = binding {
                    lines.push(format!("As {}", pan_kind_words(PAN_KINDS[*pan_kind])));
                }
                let moved = taken_from(&self.mapping, &candidate.learned, binding);
                if !moved.is_empty() {
                    lines.push(format!("It is {} now: it moves here.", moved.join(" and ")));
                }
                lines.push("Enter, or the same control again, binds it.".to_string());
            }
        }
        if let Some(problem) = problem {
            lines.push(problem.clone());
        }
        lines
    }

    /// What a control heard while listening does.
    fn listen(&mut self, heard: Heard, at: Instant) -> Listened {
        let Phase::Listen {
            binding,
            heard: candidate,
            problem,
            pan_kind,
            chosen,
            ..
        } = &mut self.phase
        else {
            return Listened::Nothing;
        };
        if let Some(c) = candidate.as_mut() {
            // The fine part of a 14-bit fader follows its coarse part.
            if let (
                Binding::Fader(_),
                Learned::Cc {
                    channel,
                    controller: msb @ 0..=31,
                },
                Heard::Cc {
                    channel: ch,
                    controller,
                    ..
                },
            ) = (&*binding, c.learned, heard)
                && ch == channel
                && controller == msb + 32
            {
                c.learned = Learned::Cc14 {
                    channel,
                    controller: msb,
                };
                c.last = at;
                return Listened::Shown;
            }
            if let (
                Learned::Cc14 {
                    channel,
                    controller,
                },
                Heard::Cc {
                    channel: ch,
                    controller: n,
                    ..
                },
            ) = (c.learned, heard)
                && ch == channel
                && n == controller + 32
            {
                c.last = at;
                return Listened::Shown;
            }
            if c.first.identity() == heard.identity() {
                let again = if let Binding::Button(_) = binding {
                    if heard.is_press() {
                        c.released
                    } else {
                        c.released = true;
                        false
                    }
                } else {
                    at.saturating_duration_since(c.last) >= SECOND_MOVE
                };
                if again {
                    return Listened::Again;
                }
                c.last = at;
                if let (Heard::Cc { value, .. }, Binding::Pan(_)) = (heard, &*binding) {
                    if c.value == Some(value) && !*chosen {
                        *pan_kind = guess_encoder(value);
                        c.learned = pan_learned(c.learned, PAN_KINDS[*pan_kind]);
                    }
                    c.value = Some(value);
                }
                return Listened::Shown;
            }
        }
        match take(binding, heard, PAN_KINDS[*pan_kind]) {
            Ok(Some(learned)) => {
                *candidate = Some(Candidate {
                    first: heard,
                    learned,
                    last: at,
                    released: false,
                    value: match heard {
                        Heard::Cc { value, .. } => Some(value),
                        _ => None,
                    },
                });
                *problem = None;
            }
            Ok(None) => {}
            Err(why) => *problem = Some(why),
        }
        Listened::Shown
    }
}

/// What a heard control did to the box.
enum Listened {
    Nothing,
    Shown,
    /// The same control again: bind it.
    Again,
}

/// The relative mode an encoder repeating `value` most likely counts in.
fn guess_encoder(value: u8) -> usize {
    match value {
        1..=15 | 113..=127 => 1,
        65..=79 => 2,
        49..=63 => 3,
        _ => 0,
    }
}

/// A pan's control as `kind` counts it.
fn pan_learned(learned: Learned, kind: Option<EncoderMode>) -> Learned {
    let (channel, controller) = match learned {
        Learned::Cc {
            channel,
            controller,
        }
        | Learned::Encoder {
            channel,
            controller,
            ..
        } => (channel, controller),
        other => return other,
    };
    match kind {
        None => Learned::Cc {
            channel,
            controller,
        },
        Some(mode) => Learned::Encoder {
            channel,
            controller,
            mode,
        },
    }
}

/// The control `heard` would be for `binding`; `None` to wait (a button's release), or why
/// it cannot be.
fn take(
    binding: &Binding,
    heard: Heard,
    pan: Option<EncoderMode>,
) -> Result<Option<Learned>, String> {
    Ok(Some(match (binding, heard) {
        // A button learns from its press: a release (or a fader's low value) waits.
        (Binding::Button(_), Heard::Note { .. } | Heard::Cc { .. }) if !heard.is_press() => {
            return Ok(None);
        }
        (
            Binding::Fader(_) | Binding::Button(_),
            Heard::Cc {
                channel,
                controller,
                ..
            },
        ) => Learned::Cc {
            channel,
            controller,
        },
        (Binding::Fader(_), Heard::PitchBend { channel, .. }) => Learned::PitchBend { channel },
        (
            Binding::Pan(_),
            Heard::Cc {
                channel,
                controller,
                ..
            },
        ) => pan_learned(
            Learned::Cc {
                channel,
                controller,
            },
            pan,
        ),
        (Binding::Button(_), Heard::Note { channel, note, .. }) => Learned::Note { channel, note },
        (Binding::Fader(_), _) => {
            return Err(format!(
                "{heard} is a button: a fader sends a CC, a 14-bit CC pair or pitch bend"
            ));
        }
        (Binding::Pan(_), _) => {
            return Err(format!(
                "{heard} cannot turn a pan: a knob or an encoder sends a CC"
            ));
        }
        (Binding::Button(_), Heard::PitchBend { .. }) => {
            return Err(format!("{heard} is a fader: a button sends a note or a CC"));
        }
    }))
}

impl Mode<App> for Learn {
    fn context(&self) -> Context {
        Context::List
    }

    fn listens(&self) -> bool {
        matches!(self.phase, Phase::Listen { .. })
    }

    fn update(&mut self, action: Action, app: &mut App, _now: Instant) -> Next {
        match action {
            Action::Cancel | Action::Back => {
                app.mixer_mut().message = Some("Nothing learned".to_string());
                return Next::Close;
            }
            Action::QuitNow => return app.quit_from_box(),
            _ => {}
        }
        match &mut self.phase {
            Phase::Choose => {
                if let Some(selected) = moved(self.selected, self.choices.len(), action) {
                    self.selected = selected;
                } else if action == Action::Confirm
                    && let Some((binding, label)) = self.choices.get(self.selected)
                {
                    self.phase = Phase::Listen {
                        binding: binding.clone(),
                        label: label.clone(),
                        heard: None,
                        problem: None,
                        pan_kind: 0,
                        chosen: false,
                    };
                }
                Next::Stay
            }
            Phase::Listen {
                binding,
                heard,
                pan_kind,
                chosen,
                ..
            } => {
                if action == Action::Confirm {
                    return self.bind(app);
                }
                if let Binding::Pan(_) = binding
                    && let Some(kind) = moved(*pan_kind, PAN_KINDS.len(), action)
                {
                    *pan_kind = kind;
                    *chosen = true;
                    if let Some(c) = heard.as_mut() {
                        c.learned = pan_learned(c.learned, PAN_KINDS[kind]);
                    }
                }
                Next::Stay
            }
        }
    }

    fn heard(&mut self, heard: Heard, app: &mut App, at: Instant) -> Next {
        match self.listen(heard, at) {
            Listened::Again => self.bind(app),
            Listened::Shown | Listened::Nothing => Next::Stay,
        }
    }

    fn overlay(&self, app: &App) -> Overlay {
        let keys = app.keymap();
        match &self.phase {
            Phase::Choose => Overlay::Pick {
                title: match &self.note {
                    Some(note) => format!("Learn a control for what? {note}"),
                    None => "Learn a control for what?".to_string(),
                },
                items: self
                    .choices
                    .iter()
                    .map(|(_, words)| words.clone())
                    .collect(),
                selected: self.selected,
                hint: format!(
                    "{}/{} choose, {} listens, {} cancels",
                    keys.key_label(Action::ListUp),
                    keys.key_label(Action::ListDown),
                    keys.key_label(Action::Confirm),
                    keys.key_label(Action::Cancel)
                ),
            },
            Phase::Listen { binding, label, .. } => {
                let mut answers = vec![
                    (keys.key_label(Action::Confirm), "bind".to_string()),
                    (keys.key_label(Action::Cancel), "cancel".to_string()),
                ];
                if let Binding::Pan(_) = binding {
                    answers.push((
                        format!(
                            "{}/{}",
                            keys.key_label(Action::ListUp),
                            keys.key_label(Action::ListDown)
                        ),
                        "knob or encoder".to_string(),
                    ));
                }
                Overlay::Question {
                    title: format!("Learn: {label}"),
                    lines: self.lines(),
                    answers,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::edit::test_session;
    use crate::app::effect::Transport;
    use crate::app::mode::testing::{Console, console_of};
    use crate::app::state::Outcome;
    use crate::control::{Arrival, Input, Source, Target};
    use std::path::{Path, PathBuf};

    fn source() -> Source {
        Source::Midi("box:out".into())
    }

    /// A console whose MIDI surface reads generic-8 with its user files in a temporary folder.
    fn learning() -> (tempfile::TempDir, Console) {
        let dir = tempfile::tempdir().unwrap();
        let mut console = console_of(test_session(Path::new("s.toml")));
        console.app.set_learnable(Learnable {
            source: source(),
            controller: "generic-8".into(),
            user_dir: Some(dir.path().join("controllers")),
        });
        (dir, console)
    }

    fn user_file(dir: &tempfile::TempDir) -> PathBuf {
        dir.path().join("controllers").join("generic-8.toml")
    }

    /// `input` arrives from the surface `ms` after `start`.
    fn arrive(console: &mut Console, start: Instant, ms: u64, input: Input) {
        let arrival = Arrival {
            source: source(),
            input,
            at: start + Duration::from_millis(ms),
        };
        assert_eq!(
            console.app.surface(vec![arrival], Transport::default()),
            Outcome::Continue
        );
    }

    fn cc(controller: u8, value: u8) -> Input {
        Input::Heard(Heard::Cc {
            channel: 0,
            controller,
            value,
        })
    }

    fn note(note: u8, on: bool) -> Input {
        Input::Heard(Heard::Note {
            channel: 0,
            note,
            on,
        })
    }

    fn items(console: &Console) -> Vec<String> {
        match console.overlay() {
            Some(Overlay::Pick { items, .. }) => items,
            other => panic!("expected the list, got {other:?}"),
        }
    }

    /// Without a MIDI surface the learn key says how to connect one and opens nothing.
    #[test]
    fn without_a_controller_the_key_says_how_to_connect_one() {
        let mut console = console_of(test_session(Path::new("s.toml")));
        assert_eq!(console.key("ctrl+l"), Outcome::Continue);
        assert_eq!(console.overlay(), None);
        assert_eq!(console.message(), NO_CONTROLLER);
        assert!(!console.app.is_learning());
    }

    /// The list offers the selected strip's fader, pan, mute, solo and select at its bank
    /// position, then the buttons; Enter listens; a CC heard is shown with what it will be
    /// bound to; Enter saves it in the user's file, asks the surface to read it again, and is
    /// no mix edit (nothing to undo, nothing unsaved, nothing for the engine).
    #[test]
    fn learning_a_fader_shows_what_it_heard_and_saves_on_enter() {
        let (dir, mut console) = learning();
        let name = console.app.mixer().session().channels[1].name.clone();
        console.key("2");
        console.take_effects();
        console.key("ctrl+l");
        let list = items(&console);
        assert_eq!(list[0], format!("{name} fader (bank position 2)"));
        assert_eq!(list[4], format!("{name} select (bank position 2)"));
        assert_eq!(list[5], "Play/pause button");
        assert_eq!(list.last().map(String::as_str), Some("Bank right button"));
        assert!(!console.app.is_learning());
        console.key("Enter");
        assert!(console.app.is_learning());
        let (title, lines, answers) = console.question();
        assert_eq!(title, format!("Learn: {name} fader (bank position 2)"));
        assert_eq!(lines[0], "Move or press a control on the controller.");
        assert_eq!(answers[0], ("Enter".to_string(), "bind".to_string()));

        let start = Instant::now();
        arrive(&mut console, start, 0, cc(40, 12));
        let (_, lines, _) = console.question();
        assert_eq!(
            lines[..2],
            ["Heard: CC 40 on channel 1", "Binds: CC 40 on channel 1"]
        );
        // A note cannot be a fader: said, and the CC stays.
        arrive(&mut console, start, 10, note(3, true));
        let (_, lines, _) = console.question();
        assert!(
            lines.contains(&"Binds: CC 40 on channel 1".to_string()),
            "{lines:?}"
        );
        assert!(
            lines
                .last()
                .unwrap()
                .starts_with("note 3 on channel 1 is a button"),
            "{lines:?}"
        );
        console.key("Enter");
        assert_eq!(console.overlay(), None);
        assert!(!console.app.is_learning());
        let message = console.message();
        assert!(
            message.starts_with(&format!(
                "Learned: CC 40 on channel 1 is {name} fader (bank position 2), saved in "
            )),
            "{message}"
        );
        let text = std::fs::read_to_string(user_file(&dir)).unwrap();
        assert!(
            text.contains("fader-2 = { message = \"cc\", channel = 1, controller = 40 }"),
            "{text}"
        );
        assert_eq!(console.app.take_reload(), Some(source()));
        assert_eq!(console.app.unsaved_count(), 0);
        assert!(console.take_effects().is_empty());
        console.key("u");
        assert_eq!(console.message(), "Nothing to undo");
    }

    /// Esc cancels, in the list or while listening: nothing is written.
    #[test]
    fn esc_cancels_and_writes_nothing() {
        let (dir, mut console) = learning();
        console.key("ctrl+l");
        console.key("Esc");
        assert_eq!(console.overlay(), None);
        console.key("ctrl+l");
        console.key("Enter");
        arrive(&mut console, Instant::now(), 0, cc(40, 1));
        console.key("Esc");
        assert_eq!(console.overlay(), None);
        assert_eq!(console.message(), "Nothing learned");
        assert!(!user_file(&dir).exists());
        assert_eq!(console.app.take_reload(), None);
    }

    /// A control bound elsewhere in the mapping is said to move; a second move of the control
    /// after a pause binds it without Enter, a quick one does not.
    #[test]
    fn a_bound_control_is_said_to_move_and_a_second_move_binds() {
        let (dir, mut console) = learning();
        console.key("ctrl+l");
        console.key("Enter");
        let start = Instant::now();
        // CC 2 is generic-8's third fader.
        arrive(&mut console, start, 0, cc(2, 50));
        arrive(&mut console, start, 100, cc(2, 52));
        let (_, lines, _) = console.question();
        assert!(
            lines.contains(&"It is the fader of bank position 3 now: it moves here.".to_string()),
            "{lines:?}"
        );
        arrive(&mut console, start, 100 + 700, cc(2, 60));
        assert_eq!(console.overlay(), None);
        assert!(
            console
                .message()
                .contains("(moved from the fader of bank position 3)")
        );
        let text = std::fs::read_to_string(user_file(&dir)).unwrap();
        assert!(text.contains("fader-1 = { message = \"cc\", channel = 1, controller = 2 }"));
    }

    /// A button learns from a press, and a second press (after letting go) binds it; a CC
    /// pair n, n+32 is a 14-bit fader.
    #[test]
    fn buttons_bind_on_a_second_press_and_cc_pairs_are_14_bit() {
        let (dir, mut console) = learning();
        console.key("ctrl+l");
        console.key("End");
        console.key("Enter");
        let start = Instant::now();
        arrive(&mut console, start, 0, note(60, true));
        arrive(&mut console, start, 50, note(60, false));
        let (title, lines, _) = console.question();
        assert_eq!(title, "Learn: Bank right button");
        assert_eq!(lines[1], "Binds: note 60 on channel 1");
        arrive(&mut console, start, 100, note(60, true));
        assert_eq!(console.overlay(), None);
        console.key("ctrl+l");
        console.key("Enter");
        arrive(&mut console, start, 200, cc(7, 64));
        arrive(&mut console, start, 201, cc(39, 3));
        let (_, lines, _) = console.question();
        assert_eq!(lines[1], "Binds: CC 7 with 39 (14-bit) on channel 1");
        console.key("Enter");
        let text = std::fs::read_to_string(user_file(&dir)).unwrap();
        assert!(text.contains("bank_right = { message = \"note\", channel = 1, note = 60 }"));
        assert!(text.contains("fader-1 = { message = \"cc14\", channel = 1, controller = 7 }"));
    }

    /// A pan control that repeats its value is taken for an encoder (1: two's complement);
    /// Up and Down choose how it counts, back to an absolute knob.
    #[test]
    fn a_pan_encoder_is_guessed_and_can_be_chosen() {
        let (dir, mut console) = learning();
        console.key("ctrl+l");
        console.key("Down");
        console.key("Enter");
        let start = Instant::now();
        arrive(&mut console, start, 0, cc(30, 1));
        let (_, lines, answers) = console.question();
        assert_eq!(lines[2], "As an absolute knob");
        assert_eq!(answers[2].1, "knob or encoder");
        arrive(&mut console, start, 20, cc(30, 1));
        let (_, lines, _) = console.question();
        assert_eq!(lines[2], "As a relative encoder, 1 up and 127 down");
        console.key("Down");
        let (_, lines, _) = console.question();
        assert_eq!(lines[2], "As a relative encoder, 1 up and 65 down (Mackie)");
        assert_eq!(
            lines[1],
            "Binds: CC 30 on channel 1 as a relative encoder (sign-magnitude)"
        );
        console.key("Enter");
        let text = std::fs::read_to_string(user_file(&dir)).unwrap();
        assert!(
            text.contains(
                "pan-1 = { message = \"cc\", channel = 1, controller = 30, mode = \"sign-magnitude\" }"
            ),
            "{text}"
        );
    }

    /// While learn mode listens, what the controls are mapped to waits (a fader move does not
    /// move the mix); after a binding, the surface's faders take the mix over anew: a fader
    /// that had caught the mix waits again for its first move to cross it (soft takeover).
    #[test]
    fn learning_moves_nothing_and_rearms_takeover() {
        let (_dir, mut console) = learning();
        let start = Instant::now();
        let target = Target::Strip(crate::control::StripRef::Slot(0));
        let position = |p: f64| Input::FaderPosition {
            target: target.clone(),
            position: p,
        };
        let mix = crate::control::law::position_of(Some(console.gain(0)));
        arrive(&mut console, start, 0, position(mix));
        arrive(&mut console, start, 10, position(mix - 0.1));
        let caught = console.gain(0);
        assert!(
            caught < -1.0,
            "the fader caught and moved the mix: {caught}"
        );
        console.key("ctrl+l");
        console.key("Enter");
        arrive(&mut console, start, 20, position(mix - 0.3));
        assert_eq!(console.gain(0), caught, "learn mode holds the mix");
        arrive(&mut console, start, 30, cc(40, 1));
        console.key("Enter");
        assert_eq!(console.overlay(), None);
        arrive(&mut console, start, 2000, position(0.95));
        assert_eq!(
            console.gain(0),
            caught,
            "the first move after learning waits to catch"
        );
    }
}
