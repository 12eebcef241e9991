//! The `[learned]` table of a mapping file (UI thread, read with the mapping): bindings made in
//! the console's learn mode, each replacing what the other tables give its control and its
//! fader, knob or button (see [`crate::control::midi::learn`]).

use std::collections::HashMap;

use serde::Deserialize;
use toml::Spanned;

use super::{Control, Fader, FaderMessage, Lamps, Reader, Role};
use crate::app::action::Action;
use crate::control::midi::learn::{Binding, Learned, mode_named};
use crate::control::{Press, StripRef, Target, Turns};

/// One line of `[learned]`, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLearned {
    message: Spanned<String>,
    channel: Spanned<i64>,
    controller: Option<Spanned<i64>>,
    note: Option<Spanned<i64>>,
    mode: Option<Spanned<String>>,
}

/// The entries of `[learned]`, by key.
pub(super) type RawTable = HashMap<Spanned<String>, Spanned<RawLearned>>;

/// The control a line names, checked for what it binds.
fn learned_of(
    reader: &mut Reader<'_>,
    raw: &Spanned<RawLearned>,
    binding: &Binding,
    key: &str,
) -> Option<Learned> {
    let entry = raw.get_ref();
    let channel = reader.channel(&entry.channel, &format!("{key}.channel"))?;
    let message = entry.message.get_ref().as_str();
    let mut number = |value: &Option<Spanned<i64>>, name: &str, max: u8| {
        if let Some(value) = value {
            reader.number(value, &format!("{key}.{name}"), max)
        } else {
            reader.error(
                &raw.span(),
                key,
                format!("a \"{message}\" control needs `{name}`"),
            );
            None
        }
    };
    let learned = match message {
        "cc" => {
            let controller = number(&entry.controller, "controller", 127)?;
            match &entry.mode {
                None => Learned::Cc {
                    channel,
                    controller,
                },
                Some(mode) => {
                    let Some(mode) = mode_named(mode.get_ref()) else {
                        reader.error(
                            &mode.span(),
                            &format!("{key}.mode"),
                            "relative modes are \"twos-complement\", \"sign-magnitude\" or \
                             \"offset-64\"",
                        );
                        return None;
                    };
                    Learned::Encoder {
                        channel,
                        controller,
                        mode,
                    }
                }
            }
        }
        "cc14" => Learned::Cc14 {
            channel,
            controller: number(&entry.controller, "controller", 31)?,
        },
        "pitch-bend" => Learned::PitchBend { channel },
        "note" => Learned::Note {
            channel,
            note: number(&entry.note, "note", 127)?,
        },
        _ => {
            reader.error(
                &entry.message.span(),
                &format!("{key}.message"),
                "a learned control is \"cc\", \"cc14\", \"pitch-bend\" or \"note\"",
            );
            return None;
        }
    };
    let fits = matches!(
        (binding, learned),
        (
            Binding::Fader(_),
            Learned::Cc { .. } | Learned::Cc14 { .. } | Learned::PitchBend { .. }
        ) | (
            Binding::Pan(_),
            Learned::Cc { .. } | Learned::Encoder { .. }
        ) | (
            Binding::Button(_),
            Learned::Cc { .. } | Learned::Note { .. }
        )
    );
    if !fits {
        let allowed = match binding {
            Binding::Fader(_) => "a fader is \"cc\", \"cc14\" or \"pitch-bend\"",
            Binding::Pan(_) => "a pan is \"cc\" (a knob, or an encoder with `mode`)",
            Binding::Button(_) => "a button is \"note\" or \"cc\" (without `mode`)",
        };
        reader.error(&entry.message.span(), &format!("{key}.message"), allowed);
        return None;
    }
    Some(learned)
}

/// The role a learned control plays for `binding`.
fn role_of(binding: &Binding, learned: Learned) -> Role {
    match (binding, learned) {
        (Binding::Fader(slot), Learned::Cc14 { .. }) => Role::Fader {
            target: Target::Strip(StripRef::Slot(*slot)),
            fine: true,
        },
        (Binding::Fader(slot), _) => Role::Fader {
            target: Target::Strip(StripRef::Slot(*slot)),
            fine: false,
        },
        (Binding::Pan(slot), Learned::Encoder { mode, .. }) => Role::Encoder {
            target: Target::Strip(StripRef::Slot(*slot)),
            turns: Turns::Pan,
            mode,
        },
        (Binding::Pan(slot), _) => Role::Pan(StripRef::Slot(*slot)),
        (Binding::Button(press), _) => Role::Button(press.clone()),
    }
}

/// Applies `[learned]` over what the other tables gave: each line takes its control from
/// whatever had it, and its binding from whatever control had it.
pub(super) fn apply(
    reader: &mut Reader<'_>,
    raw: &RawTable,
    slots: usize,
    faders: &mut [Fader],
    lamps: &mut Lamps,
) {
    let mut lines: Vec<_> = raw.iter().collect();
    lines.sort_by_key(|(key, _)| key.span().start);
    let mut taken: Vec<(Learned, String)> = Vec::new();
    for (name, value) in lines {
        let key = format!("learned.{}", name.get_ref());
        let Some(binding) = Binding::from_key(name.get_ref()) else {
            reader.error(
                &name.span(),
                &key,
                "learned bindings are fader-N, pan-N, mute-N, solo-N, select-N (N: a fader \
                 slot, from 1) or a button: bank_left, bank_right, channel_left, channel_right, \
                 or an action of keymap.toml (play_pause, blind, next_section, ...)",
            );
            continue;
        };
        if let Some(slot) = binding.slot()
            && slot >= slots
        {
            reader.error(
                &name.span(),
                &key,
                format!("this controller has {slots} fader slots (`slots`)"),
            );
            continue;
        }
        let Some(learned) = learned_of(reader, value, &binding, &key) else {
            continue;
        };
        if let Some((_, first)) = taken.iter().find(|(l, _)| l.overlaps(&learned)) {
            let message = format!("this control is also learned by {first}");
            reader.error(&value.span(), &key, message);
            continue;
        }
        taken.push((learned, key.clone()));
        let controls = learned.controls();
        let bend = learned.bend();
        reader
            .controls
            .retain(|control, role| !controls.contains(control) && !binding.owns(role));
        reader.bends.retain(|channel, target| {
            Some(*channel) != bend && !binding.owns(&Role::FaderLsb(target.clone()))
        });
        let role = role_of(&binding, learned);
        match learned {
            Learned::Cc14 {
                channel,
                controller,
            } => {
                reader.controls.insert(controls[0], role);
                if let Binding::Fader(slot) = binding {
                    reader.controls.insert(
                        controls[1],
                        Role::FaderLsb(Target::Strip(StripRef::Slot(slot))),
                    );
                    retarget(
                        faders,
                        slot,
                        FaderMessage::Cc14 {
                            channel,
                            controller,
                        },
                    );
                }
            }
            Learned::PitchBend { channel } => {
                if let Binding::Fader(slot) = binding {
                    reader
                        .bends
                        .insert(channel, Target::Strip(StripRef::Slot(slot)));
                    retarget(faders, slot, FaderMessage::PitchBend { channel });
                }
            }
            Learned::Cc {
                channel,
                controller,
            } => {
                reader.controls.insert(controls[0], role);
                if let Binding::Fader(slot) = binding {
                    retarget(
                        faders,
                        slot,
                        FaderMessage::Cc {
                            channel,
                            controller,
                        },
                    );
                }
            }
            Learned::Note { .. } | Learned::Encoder { .. } => {
                reader.controls.insert(controls[0], role);
            }
        }
        if let Binding::Button(press) = &binding
            && let Some(&control) = controls.first()
        {
            relight(lamps, press, control);
        }
    }
}

/// A learned fader's motor (if it has one) follows its new message.
fn retarget(faders: &mut [Fader], slot: usize, message: FaderMessage) {
    if let Some(fader) = faders.get_mut(slot) {
        fader.message = message;
    }
}

/// A learned button's lamp (when the mapping lights lamps) is its new control.
fn relight(lamps: &mut Lamps, press: &Press, control: Control) {
    let slot = |s: &StripRef| match s {
        StripRef::Slot(n) => *n,
        _ => usize::MAX,
    };
    let row = match press {
        Press::Mute(s) => lamps.mute.get_mut(slot(s)),
        Press::Solo(s) => lamps.solo.get_mut(slot(s)),
        Press::Select(s) => lamps.select.get_mut(slot(s)),
        Press::Action(Action::PlayPause) => lamps.play.as_mut(),
        Press::Action(Action::Blind) => lamps.blind.as_mut(),
        _ => None,
    };
    if let Some(lamp) = row {
        *lamp = control;
    }
}
