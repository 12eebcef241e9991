//! MIDI bytes to [`Input`]s (on the thread a MIDI port delivers on, never the audio thread):
//! a byte-stream parser with running status, through a controller's [`Mapping`].
//!
//! Note on with velocity 0 is a note off; `SysEx`, clock and the other system messages are
//! skipped. Buttons are momentary: a note on, or a CC of 64 or more, presses; releases do
//! nothing. 14-bit faders (CC n and n+32) and pitch-bend faders are scaled from 0..16383 to
//! 0.0..1.0 of their travel, 7-bit ones from 0..127.

use std::collections::HashMap;

use crate::control::{Input, Target};

use super::learn::Heard;
use super::mapping::{Control, Kind, Mapping, Role};

/// Largest 14-bit value.
pub const MAX_14: u16 = 16_383;

/// Reads the bytes of one input port, keeping what running status and 14-bit pairs need.
#[derive(Debug, Default)]
pub struct Decoder {
    /// The last channel message's status byte, for running status.
    running: Option<u8>,
    /// Data bytes of the message being read.
    data: [u8; 2],
    /// How many of `data` are filled.
    filled: usize,
    /// Inside a `SysEx` message.
    sysex: bool,
    /// Data bytes of a system common message still to skip.
    skip: u8,
    /// The latest MSB of each 14-bit fader.
    msb: HashMap<Target, u8>,
}

/// How many data bytes follow a channel message's status byte.
fn data_len(status: u8) -> usize {
    match status & 0xf0 {
        0xc0 | 0xd0 => 1,
        _ => 2,
    }
}

impl Decoder {
    /// A decoder with no running status.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads `bytes` (whole messages, parts of messages, or several) and appends what they
    /// ask for to `out`.
    pub fn feed(&mut self, mapping: &Mapping, bytes: &[u8], out: &mut Vec<Input>) {
        self.feed_heard(mapping, bytes, out, None);
    }

    /// As [`Decoder::feed`], and, with `heard`, appends every note, control change and pitch
    /// bend as it came, mapped or not (for learn mode).
    pub fn feed_heard(
        &mut self,
        mapping: &Mapping,
        bytes: &[u8],
        out: &mut Vec<Input>,
        mut heard: Option<&mut Vec<Heard>>,
    ) {
        for &byte in bytes {
            match byte {
                // Real-time messages (clock, start, stop, active sensing) may come anywhere,
                // even inside other messages, and change nothing.
                0xf8..=0xff => {}
                0xf0 => {
                    self.sysex = true;
                    self.running = None;
                }
                0xf7 => self.sysex = false,
                0xf1..=0xf6 => {
                    self.sysex = false;
                    self.running = None;
                    self.skip = match byte {
                        0xf1 | 0xf3 => 1,
                        0xf2 => 2,
                        _ => 0,
                    };
                }
                0x80..=0xef => {
                    self.sysex = false;
                    self.skip = 0;
                    self.running = Some(byte);
                    self.filled = 0;
                }
                _ => {
                    if self.sysex {
                        continue;
                    }
                    if self.skip > 0 {
                        self.skip -= 1;
                        continue;
                    }
                    let Some(status) = self.running else { continue };
                    self.data[self.filled] = byte;
                    self.filled += 1;
                    if self.filled == data_len(status) {
                        self.filled = 0;
                        let data = self.data;
                        if let Some(heard) = heard.as_deref_mut() {
                            heard.extend(raw(status, data));
                        }
                        self.message(mapping, status, data, out);
                    }
                }
            }
        }
    }

    fn message(&mut self, mapping: &Mapping, status: u8, data: [u8; 2], out: &mut Vec<Input>) {
        let channel = status & 0x0f;
        match status & 0xf0 {
            0x90 if data[1] > 0 => note(mapping, channel, data[0], true, out),
            0x80 | 0x90 => note(mapping, channel, data[0], false, out),
            0xb0 => self.cc(mapping, channel, data[0], data[1], out),
            0xe0 => {
                if let Some(target) = mapping.bends.get(&channel) {
                    let value = u16::from(data[0]) | (u16::from(data[1]) << 7);
                    out.push(Input::FaderPosition {
                        target: target.clone(),
                        position: f64::from(value) / f64::from(MAX_14),
                    });
                }
            }
            _ => {}
        }
    }

    fn cc(&mut self, mapping: &Mapping, channel: u8, number: u8, value: u8, out: &mut Vec<Input>) {
        let control = Control {
            kind: Kind::Cc,
            channel,
            number,
        };
        let Some(role) = mapping.controls.get(&control) else {
            return;
        };
        match role {
            Role::Fader {
                target,
                fine: false,
            } => out.push(Input::FaderPosition {
                target: target.clone(),
                position: f64::from(value) / 127.0,
            }),
            Role::Fader { target, fine: true } => {
                // The MSB alone moves the fader to the start of its step; the LSB that
                // follows refines it.
                self.msb.insert(target.clone(), value);
                out.push(Input::FaderPosition {
                    target: target.clone(),
                    position: f64::from(u16::from(value) << 7) / f64::from(MAX_14),
                });
            }
            Role::FaderLsb(target) => {
                if let Some(&msb) = self.msb.get(target) {
                    let value = (u16::from(msb) << 7) | u16::from(value);
                    out.push(Input::FaderPosition {
                        target: target.clone(),
                        position: f64::from(value) / f64::from(MAX_14),
                    });
                }
            }
            Role::Touch(target) => out.push(Input::FaderTouch {
                target: target.clone(),
                touched: value >= 64,
            }),
            Role::Pan(strip) => out.push(Input::Pan {
                strip: strip.clone(),
                pan: ((f64::from(value) - 64.0) / 63.0).clamp(-1.0, 1.0),
            }),
            Role::Encoder {
                target,
                turns,
                mode,
            } => {
                let steps = mode.steps(value);
                if steps != 0 {
                    out.push(Input::Turn {
                        turns: *turns,
                        target: target.clone(),
                        steps,
                    });
                }
            }
            Role::Button(press) => {
                if value >= 64 {
                    out.push(Input::Press(press.clone()));
                }
            }
        }
    }
}

/// A channel message as heard, if it is a note, a control change or a pitch bend.
fn raw(status: u8, data: [u8; 2]) -> Option<Heard> {
    let channel = status & 0x0f;
    Some(match status & 0xf0 {
        0x90 => Heard::Note {
            channel,
            note: data[0],
            on: data[1] > 0,
        },
        0x80 => Heard::Note {
            channel,
            note: data[0],
            on: false,
        },
        0xb0 => Heard::Cc {
            channel,
            controller: data[0],
            value: data[1],
        },
        0xe0 => Heard::PitchBend {
            channel,
            value: u16::from(data[0]) | (u16::from(data[1]) << 7),
        },
        _ => return None,
    })
}

fn note(mapping: &Mapping, channel: u8, number: u8, on: bool, out: &mut Vec<Input>) {
    let control = Control {
        kind: Kind::Note,
        channel,
        number,
    };
    match mapping.controls.get(&control) {
        Some(Role::Touch(target)) => out.push(Input::FaderTouch {
            target: target.clone(),
            touched: on,
        }),
        Some(Role::Button(press)) if on => out.push(Input::Press(press.clone())),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::action::Action;
    use crate::control::{Press, StripRef, Turns};

    fn decode(mapping: &str, bytes: &[u8]) -> Vec<Input> {
        let mapping = Mapping::load(mapping, None).unwrap();
        let mut out = Vec::new();
        Decoder::new().feed(&mapping, bytes, &mut out);
        out
    }

    fn position(target: Target, position: f64) -> Input {
        Input::FaderPosition { target, position }
    }

    fn slot(n: usize) -> Target {
        Target::Strip(StripRef::Slot(n))
    }

    /// A 7-bit CC fader scales 0..127 to 0..1; running status carries a second and third
    /// value without their status byte.
    #[test]
    fn cc_faders_scale_and_running_status_works() {
        let out = decode("nanokontrol2", &[0xb0, 0, 127, 1, 0, 2, 64]);
        assert_eq!(
            out,
            vec![
                position(slot(0), 1.0),
                position(slot(1), 0.0),
                position(slot(2), 64.0 / 127.0)
            ]
        );
    }

    /// Pitch-bend faders (Mackie Control) read 14 bits, one channel per fader, channel 9 the
    /// master; touch notes come as touched and let go (note on velocity 0 is a let go).
    #[test]
    fn pitch_bend_faders_and_touch() {
        let out = decode(
            "mackie-control",
            &[
                0x90, 104, 127, 0xe0, 0x7f, 0x7f, 0xe3, 0, 64, 0xe8, 0, 0, 0x90, 104, 0, 0x80, 112,
                64,
            ],
        );
        assert_eq!(
            out,
            vec![
                Input::FaderTouch {
                    target: slot(0),
                    touched: true
                },
                position(slot(0), 1.0),
                position(slot(3), 8192.0 / 16383.0),
                position(Target::Master, 0.0),
                Input::FaderTouch {
                    target: slot(0),
                    touched: false
                },
                Input::FaderTouch {
                    target: Target::Master,
                    touched: false
                },
            ]
        );
    }

    /// A 14-bit CC fader combines CC n (MSB) with CC n+32 (LSB).
    #[test]
    fn fourteen_bit_cc_pairs() {
        let text = "version = 1\nslots = 1\n[faders]\nmessage = \"cc14\"\nchannel = 2\n\
                    controllers = [7]\n";
        let mapping = Mapping::parse("t", std::path::Path::new("t.toml"), text).unwrap();
        let mut out = Vec::new();
        let mut decoder = Decoder::new();
        decoder.feed(&mapping, &[0xb1, 7, 0x40, 39, 0x01], &mut out);
        // A LSB on the wrong channel is not this fader's.
        decoder.feed(&mapping, &[0xb0, 39, 0x7f], &mut out);
        assert_eq!(
            out,
            vec![
                position(slot(0), f64::from(0x40u16 << 7) / 16383.0),
                position(slot(0), f64::from((0x40u16 << 7) | 1) / 16383.0),
            ]
        );
    }

    /// Buttons press on note on or CC >= 64 only; `SysEx` (even with data bytes that look like
    /// a CC), clock and unmapped controls give nothing.
    #[test]
    fn buttons_are_momentary_and_system_messages_are_skipped() {
        let out = decode(
            "nanokontrol2",
            &[
                0xf0, 0x42, 0x40, 0x00, 0x01, 0xf7, 0xf8, 0xb0, 48, 127, 0xf8, 48, 0, 41, 127,
                0xf2, 1, 2, 42, 127, 0xb0, 100, 127,
            ],
        );
        assert_eq!(
            out,
            vec![
                Input::Press(Press::Mute(StripRef::Slot(0))),
                Input::Press(Press::Action(Action::PlayPause)),
            ]
        );
        let out = decode("mackie-control", &[0x90, 94, 127, 0x90, 94, 0, 0x80, 16, 0]);
        assert_eq!(out, vec![Input::Press(Press::Action(Action::PlayPause))]);
    }

    /// Relative V-Pots (sign and magnitude) turn the pan by signed detents; absolute knobs set
    /// it, 64 being the centre.
    #[test]
    fn encoders_and_pan_knobs() {
        let out = decode("mackie-control", &[0xb0, 16, 3, 17, 0x41]);
        assert_eq!(
            out,
            vec![
                Input::Turn {
                    turns: Turns::Pan,
                    target: slot(0),
                    steps: 3
                },
                Input::Turn {
                    turns: Turns::Pan,
                    target: slot(1),
                    steps: -1
                },
            ]
        );
        let out = decode("nanokontrol2", &[0xb0, 16, 64, 17, 0, 18, 127]);
        let pans: Vec<f64> = out
            .iter()
            .map(|i| match i {
                Input::Pan { pan, .. } => *pan,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(pans, vec![0.0, -1.0, 1.0]);
    }
}
