//! earmix's OSC address space, outgoing (the OSC server's feedback thread): what changed
//! between two [`Feedback`]s as OSC messages. Pure functions; `docs/osc.md` lists them.
//!
//! Blind mode: a level the console hides ([`Level::Hidden`]), a withheld fader position and a
//! hidden pan produce no message at all, so nothing a subscriber receives gives a level away.

use rosc::{OscMessage, OscType};

use crate::control::{FaderState, Feedback, Level, StripState};

fn message(addr: String, arg: OscType) -> OscMessage {
    OscMessage {
        addr,
        args: vec![arg],
    }
}

fn flag(on: bool) -> OscType {
    OscType::Int(i32::from(on))
}

/// A level as sent: dB as a float, off as minus infinity; `None` while hidden.
fn level(level: Level) -> Option<OscType> {
    match level {
        Level::Db(db) => Some(OscType::Float(db as f32)),
        Level::Off => Some(OscType::Float(f32::NEG_INFINITY)),
        Level::Hidden => None,
    }
}

/// The messages for a fader at `addr` (level) and `addr/position`.
fn fader(addr: &str, before: Option<&FaderState>, now: &FaderState, out: &mut Vec<OscMessage>) {
    if before.map(|b| b.level) != Some(now.level)
        && let Some(arg) = level(now.level)
    {
        out.push(message(addr.to_string(), arg));
    }
    if before.map(|b| b.position) != Some(now.position)
        && let Some(position) = now.position
    {
        out.push(message(
            format!("{addr}/position"),
            OscType::Float(position as f32),
        ));
    }
}

fn strip(n: usize, before: Option<&StripState>, now: &StripState, out: &mut Vec<OscMessage>) {
    let base = format!("/earmix/strip/{}", n + 1);
    if before.map(|b| &b.name) != Some(&now.name) {
        out.push(message(
            format!("{base}/name"),
            OscType::String(now.name.clone()),
        ));
    }
    fader(
        &format!("{base}/fader"),
        before.map(|b| &b.fader),
        &now.fader,
        out,
    );
    if before.map(|b| b.pan) != Some(now.pan)
        && let Some(pan) = now.pan
    {
        out.push(message(format!("{base}/pan"), OscType::Float(pan as f32)));
    }
    for (what, was, is) in [
        ("mute", before.map(|b| b.mute), now.mute),
        ("solo", before.map(|b| b.solo), now.solo),
        ("select", before.map(|b| b.selected), now.selected),
    ] {
        if was != Some(is) {
            out.push(message(format!("{base}/{what}"), flag(is)));
        }
    }
}

/// What a subscriber must be sent to go from `before` (what it was sent last; `None`: nothing
/// yet, so everything) to `now`.
pub fn changes(before: Option<&Feedback>, now: &Feedback) -> Vec<OscMessage> {
    let mut out = Vec::new();
    let count = now.strips.len();
    if before.map(|b| b.strips.len()) != Some(count) {
        out.push(message(
            "/earmix/strips".into(),
            OscType::Int(i32::try_from(count).unwrap_or(i32::MAX)),
        ));
    }
    for (n, state) in now.strips.iter().enumerate() {
        strip(n, before.and_then(|b| b.strips.get(n)), state, &mut out);
    }
    fader(
        "/earmix/master",
        before.map(|b| &b.master),
        &now.master,
        &mut out,
    );
    if before.map(|b| b.playing) != Some(now.playing) {
        out.push(message(
            "/earmix/transport/playing".into(),
            flag(now.playing),
        ));
    }
    if before.map(|b| b.blind) != Some(now.blind) {
        out.push(message("/earmix/blind".into(), flag(now.blind)));
    }
    if before.map(|b| &b.section) != Some(&now.section) {
        let (number, name) = match &now.section {
            Some((index, name)) => (i32::try_from(index + 1).unwrap_or(0), name.clone()),
            None => (0, String::new()),
        };
        out.push(message("/earmix/section".into(), OscType::String(name)));
        out.push(message(
            "/earmix/section/number".into(),
            OscType::Int(number),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::Source;

    fn fader_at(db: f64, position: f64) -> FaderState {
        FaderState {
            position: Some(position),
            level: Level::Db(db),
            waiting: None,
        }
    }

    fn hidden() -> FaderState {
        FaderState {
            position: None,
            level: Level::Hidden,
            waiting: None,
        }
    }

    fn feedback() -> Feedback {
        let strip = |name: &str, db| StripState {
            name: name.into(),
            fader: fader_at(db, 0.7),
            pan: Some(0.0),
            mute: false,
            solo: false,
            selected: false,
        };
        Feedback {
            strips: vec![strip("Kick", -3.0), strip("Lead Vox", -6.0)],
            master: fader_at(0.0, 0.75),
            banks: vec![(Source::Mouse, 0)],
            playing: false,
            blind: false,
            section: Some((0, "Intro".into())),
        }
    }

    fn text(messages: &[OscMessage]) -> Vec<String> {
        messages
            .iter()
            .map(|m| format!("{} {:?}", m.addr, m.args))
            .collect()
    }

    /// A new subscriber gets the whole mix: the strip count, every strip's name, level,
    /// position, pan, mute, solo and selection, the master, transport, blind and section.
    #[test]
    fn a_new_subscriber_gets_everything() {
        let all = text(&changes(None, &feedback()));
        for expected in [
            "/earmix/strips [Int(2)]",
            "/earmix/strip/1/name [String(\"Kick\")]",
            "/earmix/strip/1/fader [Float(-3.0)]",
            "/earmix/strip/1/fader/position [Float(0.7)]",
            "/earmix/strip/2/name [String(\"Lead Vox\")]",
            "/earmix/strip/2/pan [Float(0.0)]",
            "/earmix/strip/2/mute [Int(0)]",
            "/earmix/strip/2/solo [Int(0)]",
            "/earmix/strip/2/select [Int(0)]",
            "/earmix/master [Float(0.0)]",
            "/earmix/master/position [Float(0.75)]",
            "/earmix/transport/playing [Int(0)]",
            "/earmix/blind [Int(0)]",
            "/earmix/section [String(\"Intro\")]",
            "/earmix/section/number [Int(1)]",
        ] {
            assert!(
                all.iter().any(|m| m == expected),
                "no {expected} in {all:?}"
            );
        }
        assert_eq!(all.len(), 1 + 2 * 7 + 2 + 4, "{all:?}");
    }

    /// Only what changed is sent; an unchanged mix sends nothing; off is minus infinity.
    #[test]
    fn only_changes_are_sent() {
        let before = feedback();
        assert!(changes(Some(&before), &before).is_empty());
        let mut now = before.clone();
        now.strips[1].mute = true;
        now.strips[0].fader = FaderState {
            position: Some(0.0),
            level: Level::Off,
            waiting: None,
        };
        now.playing = true;
        assert_eq!(
            text(&changes(Some(&before), &now)),
            [
                "/earmix/strip/1/fader [Float(-inf)]",
                "/earmix/strip/1/fader/position [Float(0.0)]",
                "/earmix/strip/2/mute [Int(1)]",
                "/earmix/transport/playing [Int(1)]",
            ]
        );
    }

    /// While blind, no message carries a level, a fader position or a pan: entering blind
    /// mode, moving faders and pans while blind, and a new subscriber while blind all send
    /// none; leaving blind mode sends the levels again.
    #[test]
    fn blind_mode_sends_no_level_position_or_pan() {
        let seeing = feedback();
        let mut blind = seeing.clone();
        blind.blind = true;
        for strip in &mut blind.strips {
            strip.fader = hidden();
            strip.pan = None;
        }
        blind.master = hidden();
        let mut moved = blind.clone();
        moved.strips[0].mute = true;
        let leaks = |messages: &[OscMessage]| {
            messages
                .iter()
                .filter(|m| {
                    m.addr.ends_with("/fader")
                        || m.addr.ends_with("/position")
                        || m.addr.ends_with("/pan")
                        || m.addr == "/earmix/master"
                })
                .map(|m| m.addr.clone())
                .collect::<Vec<_>>()
        };
        let entering = changes(Some(&seeing), &blind);
        assert!(leaks(&entering).is_empty(), "{:?}", text(&entering));
        assert!(text(&entering).contains(&"/earmix/blind [Int(1)]".to_string()));
        let during = changes(Some(&blind), &moved);
        assert_eq!(text(&during), ["/earmix/strip/1/mute [Int(1)]"]);
        let fresh = changes(None, &moved);
        assert!(leaks(&fresh).is_empty(), "{:?}", text(&fresh));
        let leaving = changes(Some(&moved), &seeing);
        assert!(
            text(&leaving).contains(&"/earmix/strip/2/fader [Float(-6.0)]".to_string()),
            "{:?}",
            text(&leaving)
        );
    }
}
