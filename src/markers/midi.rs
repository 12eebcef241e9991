//! Markers in a Standard MIDI File: marker (meta type 6) and cue point (meta type 7) events of
//! format 0 and 1 files, in every track. Ticks become seconds through the tempo map (set-tempo
//! events, type 0x51, in any track; 120 bpm until the first) at the file's ticks per quarter
//! note, or directly for a file timed in SMPTE frames (ticks per frame at 24, 25, 29.97 or 30
//! frames a second). Format 2 (independent patterns, each with its own time) is refused.

use super::wav::text_of;
use super::{Fault, Marker, Place};
use crate::units::Seconds;

/// The tempo until the first set-tempo event: 500 000 µs a quarter note (120 bpm).
const DEFAULT_TEMPO_US: u32 = 500_000;

/// What one track event means here.
enum Kind {
    /// Set tempo: microseconds a quarter note.
    Tempo(u32),
    /// A marker or cue point: its text, and which of the two.
    Marker(String, &'static str),
}

/// A track event this reader keeps.
struct Event {
    tick: u64,
    offset: usize,
    track: usize,
    kind: Kind,
}

fn u16_be(bytes: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([bytes[at], bytes[at + 1]])
}

fn u32_be(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// The markers and cue points of a MIDI file, in track order and within a track in time order.
pub(crate) fn parse(bytes: &[u8]) -> Result<Vec<Marker>, Fault> {
    if bytes.len() < 14 {
        return Err(header_fault(format!(
            "the file ends after {} bytes, inside its 14-byte header",
            bytes.len()
        )));
    }
    let header_len = u32_be(bytes, 4) as usize;
    if header_len < 6 {
        return Err(header_fault(format!(
            "the header says it holds {header_len} bytes, not 6"
        )));
    }
    let format = u16_be(bytes, 8);
    if format == 2 {
        return Err(header_fault(
            "a format 2 file (independent patterns, each with its own time): earmix reads \
             markers from format 0 and 1 files"
                .into(),
        ));
    }
    if format > 2 {
        return Err(header_fault(format!(
            "format {format} is not a MIDI file format (0, 1 or 2)"
        )));
    }
    let timing = timing(u16_be(bytes, 12))?;

    let mut events = Vec::new();
    let mut at = 8 + header_len;
    let mut track = 0;
    while at + 8 <= bytes.len() {
        let size = u32_be(bytes, at + 4) as usize;
        let start = at + 8;
        let Some(data) = bytes.get(start..start.saturating_add(size)) else {
            return Err(Fault::At(
                Place::Byte {
                    offset: at as u64,
                    what: format!("'{}' chunk", String::from_utf8_lossy(&bytes[at..at + 4])),
                },
                format!(
                    "the chunk says it holds {size} bytes, but the file ends {} bytes after its \
                     header",
                    bytes.len() - start
                ),
            ));
        };
        if &bytes[at..at + 4] == b"MTrk" {
            track += 1;
            read_track(data, start, track, &mut events)?;
        }
        at = start + size;
    }

    let mut tempos: Vec<(u64, u32)> = events
        .iter()
        .filter_map(|e| match e.kind {
            Kind::Tempo(us) => Some((e.tick, us)),
            Kind::Marker(..) => None,
        })
        .collect();
    tempos.sort_by_key(|&(tick, _)| tick);
    Ok(events
        .into_iter()
        .filter_map(|e| match e.kind {
            Kind::Marker(text, what) => Some(Marker {
                name: super::clean_name(&text),
                start: Seconds(timing.seconds_at(e.tick, &tempos)),
                at: Place::Byte {
                    offset: e.offset as u64,
                    what: format!("track {}, tick {}, {what}", e.track, e.tick),
                },
            }),
            Kind::Tempo(_) => None,
        })
        .collect())
}

/// A fault in the `MThd` header.
fn header_fault(message: String) -> Fault {
    Fault::At(
        Place::Byte {
            offset: 0,
            what: "'MThd' header".into(),
        },
        message,
    )
}

/// How the header's time division times ticks.
fn timing(division: u16) -> Result<Timing, Fault> {
    if division & 0x8000 == 0 {
        if division == 0 {
            return Err(header_fault(
                "the time division is 0 ticks a quarter note".into(),
            ));
        }
        Ok(Timing::Ppq(division))
    } else {
        let fps = -i16::from((division >> 8) as u8 as i8);
        let ticks = division & 0xff;
        let fps = match fps {
            24 | 25 | 30 => f64::from(fps),
            29 => 30_000.0 / 1001.0,
            other => {
                return Err(header_fault(format!(
                    "SMPTE timing at {other} frames a second: MIDI files use 24, 25, 29 (29.97) \
                     or 30"
                )));
            }
        };
        if ticks == 0 {
            return Err(header_fault("the time division is 0 ticks a frame".into()));
        }
        Ok(Timing::Smpte(fps * f64::from(ticks)))
    }
}

/// How a file's ticks are timed.
#[derive(Clone, Copy)]
enum Timing {
    /// Ticks a quarter note; the tempo map says how long a quarter note is.
    Ppq(u16),
    /// Ticks a second (frames a second times ticks a frame).
    Smpte(f64),
}

impl Timing {
    /// The time of `tick` under `tempos` (tick, µs a quarter note), sorted by tick.
    fn seconds_at(self, tick: u64, tempos: &[(u64, u32)]) -> f64 {
        match self {
            Timing::Smpte(per_second) => tick as f64 / per_second,
            Timing::Ppq(ppq) => {
                let per_tick = |us: u32| f64::from(us) / 1e6 / f64::from(ppq);
                let (mut time, mut from, mut tempo) = (0.0, 0, DEFAULT_TEMPO_US);
                for &(at, us) in tempos.iter().take_while(|(at, _)| *at < tick) {
                    time += (at - from) as f64 * per_tick(tempo);
                    from = at;
                    tempo = us;
                }
                time + (tick - from) as f64 * per_tick(tempo)
            }
        }
    }
}

/// Reads one track chunk's events (`data` starts at file offset `base`), keeping tempo changes,
/// markers and cue points.
fn read_track(
    data: &[u8],
    base: usize,
    track: usize,
    events: &mut Vec<Event>,
) -> Result<(), Fault> {
    let fault = |offset: usize, message: String| {
        Fault::At(
            Place::Byte {
                offset: (base + offset) as u64,
                what: format!("track {track}"),
            },
            message,
        )
    };
    let cut = |offset: usize| {
        fault(
            offset,
            "the track ends inside an event (the chunk's length or the event is wrong)".into(),
        )
    };
    let mut at = 0;
    let mut tick: u64 = 0;
    let mut running: Option<u8> = None;
    while at < data.len() {
        let (delta, next) = vlq(data, at).ok_or_else(|| cut(at))?;
        tick += u64::from(delta);
        let event_at = next;
        let status = *data.get(next).ok_or_else(|| cut(next))?;
        at = next + 1;
        match status {
            0xFF => {
                running = None;
                let kind = *data.get(at).ok_or_else(|| cut(at))?;
                let (len, from) = vlq(data, at + 1).ok_or_else(|| cut(at + 1))?;
                let body = data
                    .get(from..from + len as usize)
                    .ok_or_else(|| cut(event_at))?;
                at = from + len as usize;
                if let Some(kind) =
                    meta_event(kind, body).map_err(|message| fault(event_at, message))?
                {
                    events.push(Event {
                        tick,
                        offset: base + event_at,
                        track,
                        kind,
                    });
                }
            }
            0xF0 | 0xF7 => {
                running = None;
                let (len, from) = vlq(data, at).ok_or_else(|| cut(at))?;
                at = from + len as usize;
                if at > data.len() {
                    return Err(cut(event_at));
                }
            }
            0x80..=0xEF => {
                running = Some(status);
                at += channel_data_len(status);
            }
            0x00..=0x7F => {
                let Some(status) = running else {
                    return Err(fault(
                        event_at,
                        format!(
                            "a data byte (0x{status:02X}) where an event's status byte belongs, \
                             with no running status before it"
                        ),
                    ));
                };
                // The byte read is the first data byte.
                at += channel_data_len(status) - 1;
            }
            _ => {
                return Err(fault(
                    event_at,
                    format!("status byte 0x{status:02X} does not belong in a MIDI file's track"),
                ));
            }
        }
        if at > data.len() {
            return Err(cut(event_at));
        }
    }
    Ok(())
}

/// What a meta event of type `kind` with data `body` means here: a tempo change, a marker or
/// cue point, or nothing; or what is wrong with it.
fn meta_event(kind: u8, body: &[u8]) -> Result<Option<Kind>, String> {
    match kind {
        0x51 if body.len() == 3 => {
            let us = u32::from_be_bytes([0, body[0], body[1], body[2]]);
            if us == 0 {
                return Err("a set-tempo event of 0 µs a quarter note".into());
            }
            Ok(Some(Kind::Tempo(us)))
        }
        0x51 => Err(format!("a set-tempo event of {} bytes, not 3", body.len())),
        0x06 => Ok(Some(Kind::Marker(text_of(body), "marker"))),
        0x07 => Ok(Some(Kind::Marker(text_of(body), "cue point"))),
        _ => Ok(None),
    }
}

/// How many data bytes a channel message with this status has.
fn channel_data_len(status: u8) -> usize {
    match status & 0xF0 {
        0xC0 | 0xD0 => 1,
        _ => 2,
    }
}

/// A variable-length quantity at `at` (at most 4 bytes): its value and the offset after it.
fn vlq(data: &[u8], at: usize) -> Option<(u32, usize)> {
    let mut value: u32 = 0;
    for i in 0..4 {
        let byte = *data.get(at + i)?;
        value = (value << 7) | u32::from(byte & 0x7F);
        if byte & 0x80 == 0 {
            return Some((value, at + i + 1));
        }
    }
    None
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A variable-length quantity.
    pub(crate) fn vlq_bytes(mut value: u32) -> Vec<u8> {
        let mut out = vec![(value & 0x7F) as u8];
        value >>= 7;
        while value > 0 {
            out.insert(0, (value & 0x7F) as u8 | 0x80);
            value >>= 7;
        }
        out
    }

    /// A meta event after `delta` ticks.
    pub(crate) fn meta(delta: u32, kind: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vlq_bytes(delta);
        out.extend([0xFF, kind]);
        out.extend(vlq_bytes(body.len() as u32));
        out.extend(body);
        out
    }

    /// A set-tempo event in beats per minute.
    pub(crate) fn tempo(delta: u32, bpm: u32) -> Vec<u8> {
        let us = 60_000_000 / bpm;
        meta(delta, 0x51, &us.to_be_bytes()[1..])
    }

    /// A chunk with a big-endian length.
    pub(crate) fn chunk(id: [u8; 4], data: &[u8]) -> Vec<u8> {
        let mut out = id.to_vec();
        out.extend((data.len() as u32).to_be_bytes());
        out.extend(data);
        out
    }

    /// A MIDI file of `format` and `division` with these tracks' events (an end-of-track added).
    pub(crate) fn smf(format: u16, division: u16, tracks: &[Vec<u8>]) -> Vec<u8> {
        let mut header = format.to_be_bytes().to_vec();
        header.extend((tracks.len() as u16).to_be_bytes());
        header.extend(division.to_be_bytes());
        let mut out = chunk(*b"MThd", &header);
        for events in tracks {
            let mut data = events.clone();
            data.extend(meta(0, 0x2F, &[]));
            out.extend(chunk(*b"MTrk", &data));
        }
        out
    }

    /// Format 1: a tempo track (120 bpm, 60 bpm from bar 3) with markers, and a note track with
    /// running status, a program change, a system exclusive message and a cue point; ticks become seconds through
    /// the tempo change.
    #[test]
    fn format_1_markers_follow_the_tempo_map() {
        let mut conductor = tempo(0, 120);
        conductor.extend(meta(0, 0x06, b"Intro"));
        // Bar 3 at 4/4, 480 ticks a quarter: tick 3840 = 4 s at 120 bpm.
        conductor.extend(meta(3840, 0x06, b"Verse"));
        conductor.extend(tempo(0, 60));
        // Two quarters later at 60 bpm: 2 s more.
        conductor.extend(meta(960, 0x06, "Br\u{fc}cke".as_bytes()));
        let mut notes = vec![0x00, 0xC0, 0x05, 0x00, 0x90, 60, 100, 0x60, 64, 100];
        notes.extend([0x00, 0xF0, 0x03, 0x7E, 0x09, 0xF7]);
        notes.extend(meta(0x20, 0x07, b"Hit"));
        let bytes = smf(1, 480, &[conductor, notes]);
        let got = parse(&bytes).unwrap();
        let names: Vec<&str> = got.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["Intro", "Verse", "Br\u{fc}cke", "Hit"]);
        let starts: Vec<f64> = got.iter().map(|m| m.start.0).collect();
        // Hit: 0x60 + 0x20 = 128 ticks at 120 bpm and 480 ppq.
        assert_eq!(starts, [0.0, 4.0, 6.0, 128.0 / 960.0]);
        assert!(
            matches!(&got[3].at, Place::Byte { what, .. } if what == "track 2, tick 128, cue point"),
            "{:?}",
            got[3].at
        );
    }

    /// SMPTE timing (25 frames a second, 40 ticks a frame: ms ticks) needs no tempo map.
    #[test]
    fn smpte_timing_is_ticks_per_second() {
        let division = (u16::from((-25i8) as u8) << 8) | 0x28;
        let bytes = smf(0, division, &[meta(2500, 0x06, b"A")]);
        assert_eq!(parse(&bytes).unwrap()[0].start, Seconds(2.5));
    }

    /// Format 2, a data byte with no running status, a truncated track and a bad tempo event
    /// are refused with their byte offset and track.
    #[test]
    fn malformed_files_name_their_offset() {
        let bytes = smf(2, 480, &[meta(0, 0x06, b"A")]);
        assert!(
            matches!(parse(&bytes), Err(Fault::At(Place::Byte { offset: 0, .. }, m)) if m.contains("format 2"))
        );

        let bytes = smf(0, 480, &[vec![0x00, 0x40, 0x40]]);
        assert_eq!(
            parse(&bytes).unwrap_err(),
            Fault::At(
                Place::Byte {
                    offset: 23,
                    what: "track 1".into()
                },
                "a data byte (0x40) where an event's status byte belongs, with no running \
                 status before it"
                    .into()
            )
        );

        let mut bytes = smf(0, 480, &[meta(0, 0x06, b"Chorus")]);
        // Make the marker's length 100.
        bytes[25] = 100;
        assert_eq!(
            parse(&bytes).unwrap_err(),
            Fault::At(
                Place::Byte {
                    offset: 23,
                    what: "track 1".into()
                },
                "the track ends inside an event (the chunk's length or the event is wrong)".into()
            )
        );

        let bytes = smf(0, 480, &[meta(0, 0x51, &[1, 2])]);
        assert!(
            matches!(parse(&bytes), Err(Fault::At(_, m)) if m == "a set-tempo event of 2 bytes, not 3")
        );
    }
}
