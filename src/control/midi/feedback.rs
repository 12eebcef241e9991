//! What goes back to a controller (on a surface's feedback thread): motor fader positions and
//! lamps, as MIDI bytes, only what differs from what was sent last.
//!
//! Blind mode: every motor fader parks at the bottom of its travel and stays there until blind
//! mode ends. A fader that kept following the mix would show the hidden levels (the console
//! publishes no position while blind: [`FaderState::position`] is `None`), and one left where
//! it stood would still look like a level that no longer holds (blind mode moves the faders by
//! hidden offsets); at the bottom they plainly show nothing, the same for every strip and every
//! mix. Mute, solo, select and the play and blind lamps stay lit as they are: they give no
//! level away.

use std::collections::HashMap;

use crate::control::{FaderState, Feedback, Target};

use super::decode::MAX_14;
use super::mapping::{Control, Fader, FaderMessage, Kind, Mapping};

/// Remembers what each motor and lamp was last sent.
#[derive(Debug, Default)]
pub struct Encoder {
    faders: HashMap<FaderMessage, u16>,
    lamps: HashMap<Control, bool>,
}

/// Where a motor fader goes for `state`, 0..=16383 of its travel: the bottom while blind.
fn travel(state: Option<&FaderState>) -> u16 {
    state.and_then(|s| s.position).map_or(0, |p| {
        (p.clamp(0.0, 1.0) * f64::from(MAX_14)).round() as u16
    })
}

impl Encoder {
    /// An encoder that has sent nothing yet (so the first feedback sends everything).
    pub fn new() -> Self {
        Self::default()
    }

    /// The messages that bring the controller to `feedback`, with the surface's bank starting
    /// at strip `bank`; a fader for which `touched` is true (a hand is on it) is not driven.
    pub fn update(
        &mut self,
        mapping: &Mapping,
        feedback: &Feedback,
        bank: usize,
        touched: &dyn Fn(&Target) -> bool,
        out: &mut Vec<Vec<u8>>,
    ) {
        let strip = |slot: usize| feedback.strips.get(bank + slot);
        for (slot, fader) in mapping.faders.iter().enumerate() {
            let target = Target::Strip(crate::control::StripRef::Slot(slot));
            if fader.motor && !touched(&target) {
                self.fader(*fader, travel(strip(slot).map(|s| &s.fader)), out);
            }
        }
        if let Some(master) = &mapping.master
            && master.motor
            && !touched(&Target::Master)
        {
            self.fader(*master, travel(Some(&feedback.master)), out);
        }
        let lamps = &mapping.lamps;
        for (list, lit) in [
            (
                &lamps.mute,
                (|s: &crate::control::StripState| s.mute) as fn(&_) -> bool,
            ),
            (&lamps.solo, |s| s.solo),
            (&lamps.select, |s| s.selected),
        ] {
            for (slot, control) in list.iter().enumerate() {
                self.lamp(*control, strip(slot).is_some_and(lit), out);
            }
        }
        if let Some(play) = lamps.play {
            self.lamp(play, feedback.playing, out);
        }
        if let Some(blind) = lamps.blind {
            self.lamp(blind, feedback.blind, out);
        }
    }

    /// Forgets what was sent (a port that came back is sent everything again).
    pub fn forget(&mut self) {
        self.faders.clear();
        self.lamps.clear();
    }

    fn fader(&mut self, fader: Fader, value: u16, out: &mut Vec<Vec<u8>>) {
        if self.faders.get(&fader.message) == Some(&value) {
            return;
        }
        self.faders.insert(fader.message, value);
        let msb = (value >> 7) as u8;
        let lsb = (value & 0x7f) as u8;
        match fader.message {
            FaderMessage::Cc {
                channel,
                controller,
            } => out.push(vec![0xb0 | channel, controller, (value >> 7) as u8]),
            FaderMessage::Cc14 {
                channel,
                controller,
            } => {
                out.push(vec![0xb0 | channel, controller, msb]);
                out.push(vec![0xb0 | channel, controller + 32, lsb]);
            }
            FaderMessage::PitchBend { channel } => out.push(vec![0xe0 | channel, lsb, msb]),
        }
    }

    fn lamp(&mut self, control: Control, lit: bool, out: &mut Vec<Vec<u8>>) {
        if self.lamps.get(&control) == Some(&lit) {
            return;
        }
        self.lamps.insert(control, lit);
        let status = match control.kind {
            Kind::Note => 0x90,
            Kind::Cc => 0xb0,
        } | control.channel;
        out.push(vec![status, control.number, if lit { 127 } else { 0 }]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::{Level, Source, StripState};

    fn fader(position: Option<f64>, level: Level) -> FaderState {
        FaderState {
            position,
            level,
            waiting: None,
        }
    }

    fn strip(n: usize, position: f64) -> StripState {
        StripState {
            name: format!("strip {n}"),
            fader: fader(Some(position), Level::Db(0.0)),
            pan: Some(0.0),
            mute: n == 1,
            solo: false,
            selected: n == 0,
        }
    }

    fn feedback(strips: usize) -> Feedback {
        Feedback {
            strips: (0..strips).map(|n| strip(n, n as f64 / 10.0)).collect(),
            master: fader(Some(0.75), Level::Db(0.0)),
            banks: vec![(Source::Midi("x".into()), 0)],
            playing: true,
            blind: false,
            section: None,
        }
    }

    fn blind(mut fb: Feedback) -> Feedback {
        fb.blind = true;
        for s in &mut fb.strips {
            s.fader = fader(None, Level::Hidden);
            s.pan = None;
        }
        fb.master = fader(None, Level::Hidden);
        fb
    }

    fn update(enc: &mut Encoder, m: &Mapping, fb: &Feedback, bank: usize) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        enc.update(m, fb, bank, &|_| false, &mut out);
        out
    }

    /// Mackie Control gets 14-bit pitch bend per fader channel and the master on channel 9,
    /// then note-on lamps; a second identical feedback sends nothing, and one changed fader
    /// sends one message.
    #[test]
    fn mackie_feedback_sends_what_changed_only() {
        let m = Mapping::load("mackie-control", None).unwrap();
        let mut enc = Encoder::new();
        let fb = feedback(8);
        let out = update(&mut enc, &m, &fb, 0);
        assert_eq!(out[0], vec![0xe0, 0, 0]);
        let tenth = (0.1 * 16383.0_f64).round() as u16;
        assert_eq!(out[1], vec![0xe1, (tenth & 0x7f) as u8, (tenth >> 7) as u8]);
        let master = (0.75 * 16383.0_f64).round() as u16;
        assert_eq!(
            out[8],
            vec![0xe8, (master & 0x7f) as u8, (master >> 7) as u8]
        );
        assert!(
            out.contains(&vec![0x90, 17, 127]),
            "strip 2's mute lamp: {out:?}"
        );
        assert!(out.contains(&vec![0x90, 16, 0]), "{out:?}");
        assert!(
            out.contains(&vec![0x90, 24, 127]),
            "strip 1 selected: {out:?}"
        );
        assert!(out.contains(&vec![0x90, 94, 127]), "playing: {out:?}");
        assert!(update(&mut enc, &m, &fb, 0).is_empty());
        let mut moved = fb.clone();
        moved.strips[3].fader.position = Some(1.0);
        assert_eq!(
            update(&mut enc, &m, &moved, 0),
            vec![vec![0xe3, 0x7f, 0x7f]]
        );
    }

    /// A touched fader is not driven; once let go it is.
    #[test]
    fn a_touched_fader_is_not_driven() {
        let m = Mapping::load("mackie-control", None).unwrap();
        let mut enc = Encoder::new();
        let fb = feedback(8);
        let mut out = Vec::new();
        let slot0 = Target::Strip(crate::control::StripRef::Slot(0));
        enc.update(&m, &fb, 0, &|t| *t == slot0, &mut out);
        assert!(!out.iter().any(|msg| msg[0] == 0xe0), "{out:?}");
        assert_eq!(update(&mut enc, &m, &fb, 0), vec![vec![0xe0, 0, 0]]);
    }

    /// The bank shifts which strips the faders and lamps show; slots past the last strip park
    /// at the bottom with their lamps off.
    #[test]
    fn banks_shift_the_strips_shown() {
        let m = Mapping::load("mackie-control", None).unwrap();
        let mut enc = Encoder::new();
        let out = update(&mut enc, &m, &feedback(10), 8);
        let nine = (0.9 * 16383.0_f64).round() as u16;
        assert_eq!(out[1], vec![0xe1, (nine & 0x7f) as u8, (nine >> 7) as u8]);
        assert_eq!(out[2], vec![0xe2, 0, 0]);
        assert!(
            out.contains(&vec![0x90, 17, 0]),
            "no strip 10 muted: {out:?}"
        );
    }

    /// While blind no message carrying a level leaves: with two different hidden mixes the
    /// bytes sent are the same, every fader parks at the bottom, and lamps that give no level
    /// away still follow; leaving blind mode brings the faders back.
    #[test]
    fn blind_feedback_gives_no_level_away() {
        for name in ["mackie-control", "generic-8"] {
            let m = Mapping::load(name, None).unwrap();
            let mut sent = Vec::new();
            for mix in 0..2 {
                let mut fb = feedback(8);
                for s in &mut fb.strips {
                    s.fader.position = Some(0.2 + 0.3 * f64::from(mix));
                }
                let mut enc = Encoder::new();
                update(&mut enc, &m, &fb, 0);
                sent.push(update(&mut enc, &m, &blind(fb), 0));
            }
            assert_eq!(sent[0], sent[1], "{name}");
            for msg in &sent[0] {
                match msg[0] & 0xf0 {
                    0xe0 => assert_eq!(&msg[1..], &[0, 0], "{name}: parked at the bottom"),
                    0xb0 if name == "generic-8" => {
                        assert_eq!(msg[2], 0, "{name}: parked at the bottom");
                    }
                    0x90 => {}
                    _ => panic!("{name}: unexpected {msg:?}"),
                }
            }
            let mut enc = Encoder::new();
            update(&mut enc, &m, &feedback(8), 0);
            update(&mut enc, &m, &blind(feedback(8)), 0);
            let back = update(&mut enc, &m, &feedback(8), 0);
            assert!(
                !back.is_empty(),
                "{name}: faders come back after blind mode"
            );
        }
    }

    /// Lamps of a CC controller (nanoKONTROL2 in external LED mode) are CC 127/0.
    #[test]
    fn cc_lamps() {
        let m = Mapping::load("nanokontrol2", None).unwrap();
        let out = update(&mut Encoder::new(), &m, &feedback(8), 0);
        assert!(out.contains(&vec![0xb0, 49, 127]), "{out:?}");
        assert!(out.contains(&vec![0xb0, 41, 127]), "{out:?}");
        assert!(out.iter().all(|msg| msg[0] == 0xb0), "no motors: {out:?}");
    }
}
