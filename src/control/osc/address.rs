//! earmix's OSC address space, incoming (the OSC server's receiving thread): a packet's bytes
//! to messages, a message to a [`Request`]. Pure functions; `docs/osc.md` documents every
//! address handled here.

use rosc::{OscMessage, OscPacket, OscType};

use crate::app::action::Action;
use crate::control::{Input, Press, StripRef, Target};

/// The largest packet read, in bytes. An earmix message is under 100 bytes and a bundle that
/// moves 64 faders under 4 KiB; anything larger is refused unread.
pub const MAX_PACKET: usize = 16 * 1024;

/// How deep bundles may nest inside bundles (rosc decodes them recursively).
pub const MAX_BUNDLE_DEPTH: usize = 4;

/// Why a packet or a message was refused (counted by kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Refusal {
    /// Not OSC: cut short, bad padding, bad strings, bundles nested too deep.
    Malformed,
    /// Larger than [`MAX_PACKET`].
    Oversized,
    /// No such address in earmix's address space (or no such strip).
    UnknownAddress,
    /// The address is known but its arguments are not what it takes.
    WrongType,
    /// The peer is not on the allow-list.
    NotAllowed,
}

impl Refusal {
    /// Every kind, in the order notices list them.
    pub const ALL: [Self; 5] = [
        Self::NotAllowed,
        Self::Oversized,
        Self::Malformed,
        Self::UnknownAddress,
        Self::WrongType,
    ];

    /// How a notice names it.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::Oversized => "oversized",
            Self::UnknownAddress => "unknown address",
            Self::WrongType => "wrong arguments",
            Self::NotAllowed => "from a peer not on the allow-list",
        }
    }
}

/// A switch that an OSC control sets on or off (the console has presses that toggle).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Switch {
    /// A strip's mute.
    Mute(StripRef),
    /// A strip's solo.
    Solo(StripRef),
    /// Blind mode.
    Blind,
    /// Playback.
    Playing,
}

impl Switch {
    /// The press that flips it.
    pub fn press(&self) -> Press {
        match self {
            Self::Mute(strip) => Press::Mute(strip.clone()),
            Self::Solo(strip) => Press::Solo(strip.clone()),
            Self::Blind => Press::Action(Action::Blind),
            Self::Playing => Press::Action(Action::PlayPause),
        }
    }
}

/// What one message asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// An input for the console, as it is.
    Input(Input),
    /// Set a switch: the server presses it only when the mix's state differs.
    Set {
        /// Which switch.
        switch: Switch,
        /// On (true) or off.
        on: bool,
    },
    /// Send feedback to the sender's address, or to this port at the sender's address.
    Subscribe(Option<u16>),
    /// Stop sending feedback there.
    Unsubscribe(Option<u16>),
    /// Answer `/earmix/pong` to the sender.
    Ping,
    /// A momentary button let go (an argument of 0 or false): nothing to do.
    Release,
}

/// Checks a packet's size and nesting, then decodes it into its messages, bundles opened
/// (their time tags are not waited for: everything in a bundle happens on arrival).
pub fn read_packet(bytes: &[u8]) -> Result<Vec<OscMessage>, Refusal> {
    if bytes.len() > MAX_PACKET {
        return Err(Refusal::Oversized);
    }
    check_shape(bytes, 0)?;
    let (rest, packet) = rosc::decoder::decode_udp(bytes).map_err(|_| Refusal::Malformed)?;
    if !rest.is_empty() {
        return Err(Refusal::Malformed);
    }
    let mut messages = Vec::new();
    let mut pending = vec![packet];
    while let Some(packet) = pending.pop() {
        match packet {
            OscPacket::Message(message) => messages.push(message),
            OscPacket::Bundle(bundle) => pending.extend(bundle.content.into_iter().rev()),
        }
    }
    Ok(messages)
}

/// The length of the OSC string at the start of `bytes`, padding included.
fn string_length(bytes: &[u8]) -> Result<usize, Refusal> {
    let end = bytes
        .iter()
        .position(|&b| b == 0)
        .ok_or(Refusal::Malformed)?;
    let padded = (end / 4 + 1) * 4;
    if padded > bytes.len() {
        return Err(Refusal::Malformed);
    }
    Ok(padded)
}

/// Refuses, before rosc sees them, bundles nested deeper than [`MAX_BUNDLE_DEPTH`] (decoded
/// recursively) and arrays in a message's type tags (no earmix address takes one, and deeply
/// nested arrays are dropped recursively).
fn check_shape(bytes: &[u8], depth: usize) -> Result<(), Refusal> {
    if depth > MAX_BUNDLE_DEPTH {
        return Err(Refusal::Malformed);
    }
    if bytes.starts_with(b"#bundle\0") {
        let mut at = 16;
        if bytes.len() < at {
            return Err(Refusal::Malformed);
        }
        while at < bytes.len() {
            let size_bytes: [u8; 4] = bytes
                .get(at..at + 4)
                .and_then(|s| s.try_into().ok())
                .ok_or(Refusal::Malformed)?;
            let size = u32::from_be_bytes(size_bytes) as usize;
            let element = bytes.get(at + 4..at + 4 + size).ok_or(Refusal::Malformed)?;
            check_shape(element, depth + 1)?;
            at += 4 + size;
        }
        return Ok(());
    }
    let address = string_length(bytes)?;
    let tags = &bytes[address..];
    if tags.first() == Some(&b',') {
        let length = string_length(tags)?;
        if tags[..length].contains(&b'[') {
            return Err(Refusal::WrongType);
        }
    }
    Ok(())
}

/// The request a message makes, or why it is refused.
pub fn request(message: &OscMessage) -> Result<Request, Refusal> {
    let Some(rest) = message.addr.strip_prefix("/earmix/") else {
        return Err(Refusal::UnknownAddress);
    };
    let parts: Vec<&str> = rest.split('/').collect();
    let args = &message.args;
    let action = |action: Action| press(args, Press::Action(action));
    match parts.as_slice() {
        ["strip", id, what @ ..] => strip_request(strip_ref(id)?, what, args),
        ["master"] => fader_db(Target::Master, args),
        ["master", "position"] => fader_position(Target::Master, args),
        ["transport", "play"] => set_to(Switch::Playing, true, args),
        ["transport", "pause"] => set_to(Switch::Playing, false, args),
        ["transport", "toggle"] => action(Action::PlayPause),
        ["transport", "start"] => action(Action::ToStart),
        ["section", "next"] => action(Action::NextSection),
        ["section", "previous"] => action(Action::PreviousSection),
        ["section", number] => match number.parse::<usize>() {
            Ok(n) if n >= 1 && is_number(number) => press(args, Press::Section(n - 1)),
            _ => Err(Refusal::UnknownAddress),
        },
        ["blind"] => switch(Switch::Blind, args),
        ["undo"] => action(Action::Undo),
        ["redo"] => action(Action::Redo),
        ["save"] => action(Action::Save),
        ["subscribe"] => port(args).map(Request::Subscribe),
        ["unsubscribe"] => port(args).map(Request::Unsubscribe),
        ["ping"] => Ok(Request::Ping),
        _ => Err(Refusal::UnknownAddress),
    }
}

fn strip_request(strip: StripRef, what: &[&str], args: &[OscType]) -> Result<Request, Refusal> {
    let target = Target::Strip(strip.clone());
    match what {
        ["fader"] => fader_db(target, args),
        ["fader", "position"] => fader_position(target, args),
        ["mute"] => switch(Switch::Mute(strip), args),
        ["solo"] => switch(Switch::Solo(strip), args),
        ["pan"] => {
            let pan = one_number(args)?;
            Ok(Request::Input(Input::Pan {
                strip,
                pan: pan.clamp(-1.0, 1.0),
            }))
        }
        ["select"] => press(args, Press::Select(strip)),
        _ => Err(Refusal::UnknownAddress),
    }
}

fn is_number(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// A strip's address segment: its number from 1, or its name percent-encoded (`%20` a space,
/// `%2F` a slash, `%25` a percent sign).
fn strip_ref(segment: &str) -> Result<StripRef, Refusal> {
    if is_number(segment) {
        return match segment.parse::<usize>() {
            Ok(n) if n >= 1 => Ok(StripRef::Index(n - 1)),
            _ => Err(Refusal::UnknownAddress),
        };
    }
    // OSC's pattern characters: patterns are not expanded, a name holding one is encoded.
    if segment.contains(['*', '?', '[', ']', '{', '}', ',', '#', ' ']) {
        return Err(Refusal::UnknownAddress);
    }
    let name = percent_decode(segment).ok_or(Refusal::UnknownAddress)?;
    if name.is_empty() {
        return Err(Refusal::UnknownAddress);
    }
    Ok(StripRef::Name(name))
}

/// `%XX` sequences to bytes; `None` for a bad sequence or bytes that are not UTF-8.
pub fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'%' {
            let hex = text.get(at + 1..at + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            at += 3;
        } else {
            out.push(bytes[at]);
            at += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A name as an address segment: what [`percent_decode`] reads back (everything but ASCII
/// letters, digits and `-_.~` encoded).
pub fn percent_encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0F)]));
        }
    }
    out
}

/// The one argument as a number (int, long, float or double); NaN is not a number.
fn number(arg: &OscType) -> Option<f64> {
    let value = match arg {
        OscType::Int(i) => f64::from(*i),
        OscType::Long(l) => *l as f64,
        OscType::Float(f) => f64::from(*f),
        OscType::Double(d) => *d,
        _ => return None,
    };
    (!value.is_nan()).then_some(value)
}

fn one_number(args: &[OscType]) -> Result<f64, Refusal> {
    match args {
        [arg] => number(arg)
            .filter(|v| v.is_finite())
            .ok_or(Refusal::WrongType),
        _ => Err(Refusal::WrongType),
    }
}

/// A level in dB; minus infinity (or the string "off") turns the fader off.
fn fader_db(target: Target, args: &[OscType]) -> Result<Request, Refusal> {
    let db = match args {
        [OscType::String(s)] if s == "off" || s == "-inf" => None,
        [arg] => match number(arg) {
            Some(v) if v == f64::NEG_INFINITY => None,
            Some(v) if v.is_finite() => Some(v),
            _ => return Err(Refusal::WrongType),
        },
        _ => return Err(Refusal::WrongType),
    };
    Ok(Request::Input(Input::FaderDb { target, db }))
}

fn fader_position(target: Target, args: &[OscType]) -> Result<Request, Refusal> {
    let position = one_number(args)?.clamp(0.0, 1.0);
    Ok(Request::Input(Input::FaderPosition { target, position }))
}

/// An argument read as on or off: a non-zero number or true is on.
fn truth(arg: &OscType) -> Option<bool> {
    match arg {
        OscType::Bool(b) => Some(*b),
        other => number(other).map(|v| v != 0.0),
    }
}

/// No argument toggles; one argument sets.
fn switch(switch: Switch, args: &[OscType]) -> Result<Request, Refusal> {
    match args {
        [] => Ok(Request::Input(Input::Press(switch.press()))),
        [arg] => {
            let on = truth(arg).ok_or(Refusal::WrongType)?;
            Ok(Request::Set { switch, on })
        }
        _ => Err(Refusal::WrongType),
    }
}

/// A button that always sets `switch` to `on` (play, pause): no argument or a true one
/// presses it, a false one is its release.
fn set_to(switch: Switch, on: bool, args: &[OscType]) -> Result<Request, Refusal> {
    match args {
        [] => Ok(Request::Set { switch, on }),
        [arg] => match truth(arg) {
            Some(true) => Ok(Request::Set { switch, on }),
            Some(false) => Ok(Request::Release),
            None => Err(Refusal::WrongType),
        },
        _ => Err(Refusal::WrongType),
    }
}

/// A momentary button: no argument or a true one presses, a false one is its release.
fn press(args: &[OscType], press: Press) -> Result<Request, Refusal> {
    match args {
        [] => Ok(Request::Input(Input::Press(press))),
        [arg] => match truth(arg) {
            Some(true) => Ok(Request::Input(Input::Press(press))),
            Some(false) => Ok(Request::Release),
            None => Err(Refusal::WrongType),
        },
        _ => Err(Refusal::WrongType),
    }
}

/// `/earmix/subscribe` and `/unsubscribe`: no argument, or the port (an int, 1 to 65535).
fn port(args: &[OscType]) -> Result<Option<u16>, Refusal> {
    match args {
        [] => Ok(None),
        [OscType::Int(port)] => match u16::try_from(*port) {
            Ok(port) if port > 0 => Ok(Some(port)),
            _ => Err(Refusal::WrongType),
        },
        [arg] => match number(arg) {
            Some(v) if v.fract() == 0.0 && (1.0..=65535.0).contains(&v) => Ok(Some(v as u16)),
            _ => Err(Refusal::WrongType),
        },
        _ => Err(Refusal::WrongType),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rosc::{OscBundle, OscTime};

    fn msg(addr: &str, args: Vec<OscType>) -> OscMessage {
        OscMessage {
            addr: addr.to_string(),
            args,
        }
    }

    fn req(addr: &str, args: Vec<OscType>) -> Result<Request, Refusal> {
        request(&msg(addr, args))
    }

    #[expect(clippy::unnecessary_wraps, reason = "compared with request()'s result")]
    fn input(i: Input) -> Result<Request, Refusal> {
        Ok(Request::Input(i))
    }

    fn strip(n: usize) -> Target {
        Target::Strip(StripRef::Index(n))
    }

    fn encode(packet: &OscPacket) -> Vec<u8> {
        rosc::encoder::encode(packet).unwrap()
    }

    /// Every address of earmix's OSC address space maps to the input the docs promise: strip
    /// numbers count from 1, names are percent-decoded, levels are dB (int or float), minus
    /// infinity is off, pan and positions are clamped.
    #[test]
    #[expect(
        clippy::too_many_lines,
        reason = "one assertion per address, in the docs' order"
    )]
    fn every_address_maps_to_its_input() {
        use OscType::{Bool, Double, Float, Int, Long, String as Str};
        let db = |target, db| input(Input::FaderDb { target, db });
        assert_eq!(
            req("/earmix/strip/3/fader", vec![Float(-6.5)]),
            db(strip(2), Some(-6.5))
        );
        assert_eq!(
            req("/earmix/strip/1/fader", vec![Int(-12)]),
            db(strip(0), Some(-12.0))
        );
        assert_eq!(
            req("/earmix/strip/1/fader", vec![Double(1.25)]),
            db(strip(0), Some(1.25))
        );
        assert_eq!(
            req("/earmix/strip/1/fader", vec![Long(3)]),
            db(strip(0), Some(3.0))
        );
        assert_eq!(
            req("/earmix/strip/1/fader", vec![Float(f32::NEG_INFINITY)]),
            db(strip(0), None)
        );
        assert_eq!(
            req("/earmix/strip/1/fader", vec![Str("off".into())]),
            db(strip(0), None)
        );
        let named = Target::Strip(StripRef::Name("Lead Vox/Dbl".into()));
        assert_eq!(
            req("/earmix/strip/Lead%20Vox%2fDbl/fader", vec![Float(0.0)]),
            db(named, Some(0.0))
        );
        assert_eq!(
            req("/earmix/strip/2/fader/position", vec![Float(1.5)]),
            input(Input::FaderPosition {
                target: strip(1),
                position: 1.0
            })
        );
        assert_eq!(
            req("/earmix/master", vec![Float(-1.0)]),
            db(Target::Master, Some(-1.0))
        );
        assert_eq!(
            req("/earmix/master/position", vec![Float(0.25)]),
            input(Input::FaderPosition {
                target: Target::Master,
                position: 0.25
            })
        );
        assert_eq!(
            req("/earmix/strip/4/pan", vec![Float(-2.0)]),
            input(Input::Pan {
                strip: StripRef::Index(3),
                pan: -1.0
            })
        );
        let mute = Switch::Mute(StripRef::Index(0));
        assert_eq!(
            req("/earmix/strip/1/mute", vec![]),
            input(Input::Press(Press::Mute(StripRef::Index(0))))
        );
        for (arg, on) in [
            (Int(1), true),
            (Int(0), false),
            (Float(1.0), true),
            (Bool(false), false),
        ] {
            assert_eq!(
                req("/earmix/strip/1/mute", vec![arg]),
                Ok(Request::Set {
                    switch: mute.clone(),
                    on
                })
            );
        }
        assert_eq!(
            req("/earmix/strip/Bass/solo", vec![Int(1)]),
            Ok(Request::Set {
                switch: Switch::Solo(StripRef::Name("Bass".into())),
                on: true
            })
        );
        assert_eq!(
            req("/earmix/strip/12/select", vec![]),
            input(Input::Press(Press::Select(StripRef::Index(11))))
        );
        assert_eq!(
            req("/earmix/strip/12/select", vec![Int(0)]),
            Ok(Request::Release)
        );
        let set = |switch, on| Ok(Request::Set { switch, on });
        assert_eq!(
            req("/earmix/transport/play", vec![]),
            set(Switch::Playing, true)
        );
        assert_eq!(
            req("/earmix/transport/pause", vec![Int(1)]),
            set(Switch::Playing, false)
        );
        assert_eq!(
            req("/earmix/transport/pause", vec![Int(0)]),
            Ok(Request::Release)
        );
        let action = |a| input(Input::Press(Press::Action(a)));
        assert_eq!(
            req("/earmix/transport/toggle", vec![]),
            action(Action::PlayPause)
        );
        assert_eq!(
            req("/earmix/transport/start", vec![]),
            action(Action::ToStart)
        );
        assert_eq!(
            req("/earmix/section/next", vec![]),
            action(Action::NextSection)
        );
        assert_eq!(
            req("/earmix/section/previous", vec![Int(1)]),
            action(Action::PreviousSection)
        );
        assert_eq!(
            req("/earmix/section/2", vec![]),
            input(Input::Press(Press::Section(1)))
        );
        assert_eq!(req("/earmix/blind", vec![]), action(Action::Blind));
        assert_eq!(req("/earmix/blind", vec![Int(1)]), set(Switch::Blind, true));
        assert_eq!(req("/earmix/undo", vec![]), action(Action::Undo));
        assert_eq!(req("/earmix/redo", vec![]), action(Action::Redo));
        assert_eq!(req("/earmix/save", vec![]), action(Action::Save));
        assert_eq!(
            req("/earmix/subscribe", vec![]),
            Ok(Request::Subscribe(None))
        );
        assert_eq!(
            req("/earmix/subscribe", vec![Int(9001)]),
            Ok(Request::Subscribe(Some(9001)))
        );
        assert_eq!(
            req("/earmix/unsubscribe", vec![Float(9001.0)]),
            Ok(Request::Unsubscribe(Some(9001)))
        );
        assert_eq!(req("/earmix/ping", vec![]), Ok(Request::Ping));
    }

    /// Unknown addresses and wrong arguments are refused by kind, never guessed at.
    #[test]
    fn unknown_addresses_and_wrong_types_are_refused() {
        use OscType::{Float, Int, Nil, String as Str};
        for addr in [
            "/earmix",
            "/earmix/",
            "/other/strip/1/fader",
            "/earmix/strip/0/fader",
            "/earmix/strip//fader",
            "/earmix/strip/1/gain",
            "/earmix/strip/1",
            "/earmix/strip/%zz/fader",
            "/earmix/strip/%ff/fader",
            "/earmix/section/0",
            "/earmix/section/+1",
            "/earmix/transport",
            "/earmix/strip/*/mute",
        ] {
            assert_eq!(
                req(addr, vec![Float(0.0)]),
                Err(Refusal::UnknownAddress),
                "{addr}"
            );
        }
        for (addr, args) in [
            ("/earmix/strip/1/fader", vec![]),
            ("/earmix/strip/1/fader", vec![Str("loud".into())]),
            ("/earmix/strip/1/fader", vec![Float(f32::NAN)]),
            ("/earmix/strip/1/fader", vec![Float(f32::INFINITY)]),
            ("/earmix/strip/1/fader", vec![Float(1.0), Float(2.0)]),
            ("/earmix/strip/1/pan", vec![Nil]),
            ("/earmix/strip/1/mute", vec![Str("on".into())]),
            ("/earmix/strip/1/mute", vec![Int(1), Int(1)]),
            ("/earmix/subscribe", vec![Int(0)]),
            ("/earmix/subscribe", vec![Int(70000)]),
            ("/earmix/subscribe", vec![Float(9000.5)]),
            ("/earmix/undo", vec![Str("x".into())]),
        ] {
            assert_eq!(
                req(addr, args.clone()),
                Err(Refusal::WrongType),
                "{addr} {args:?}"
            );
        }
    }

    /// Names round-trip through percent-encoding, spaces, slashes, percent signs and
    /// non-ASCII letters included.
    #[test]
    fn names_round_trip_through_percent_encoding() {
        for name in ["Lead Vox", "Gtr L/R", "50% wet", "Chœur", "a"] {
            let encoded = percent_encode(name);
            assert!(
                !encoded.contains('/') && !encoded.contains(' '),
                "{encoded}"
            );
            assert_eq!(percent_decode(&encoded).as_deref(), Some(name));
        }
        assert_eq!(percent_encode("Lead Vox"), "Lead%20Vox");
    }

    /// Bundles are opened (nested ones too, in order) and their messages read as if they
    /// arrived one after the other.
    #[test]
    fn bundles_are_opened_in_order() {
        let a = OscPacket::Message(msg("/earmix/undo", vec![]));
        let b = OscPacket::Message(msg("/earmix/redo", vec![]));
        let c = OscPacket::Message(msg("/earmix/save", vec![]));
        let inner = OscPacket::Bundle(OscBundle {
            timetag: OscTime::from((0, 1)),
            content: vec![b, c],
        });
        let outer = OscPacket::Bundle(OscBundle {
            timetag: OscTime::from((99, 0)),
            content: vec![a, inner],
        });
        let addrs: Vec<String> = read_packet(&encode(&outer))
            .unwrap()
            .into_iter()
            .map(|m| m.addr)
            .collect();
        assert_eq!(addrs, ["/earmix/undo", "/earmix/redo", "/earmix/save"]);
    }

    /// Packets over the size limit, bundles nested too deep, arrays and broken bytes are
    /// refused by kind before (or instead of) being decoded.
    #[test]
    fn bad_packets_are_refused_by_kind() {
        let big = msg("/earmix/undo", vec![OscType::Blob(vec![0; MAX_PACKET])]);
        assert_eq!(
            read_packet(&encode(&OscPacket::Message(big))),
            Err(Refusal::Oversized)
        );
        let mut packet = OscPacket::Message(msg("/earmix/undo", vec![]));
        for _ in 0..=MAX_BUNDLE_DEPTH {
            packet = OscPacket::Bundle(OscBundle {
                timetag: OscTime::from((0, 1)),
                content: vec![packet],
            });
        }
        assert_eq!(read_packet(&encode(&packet)), Err(Refusal::Malformed));
        let array = msg(
            "/earmix/strip/1/fader",
            vec![OscType::Array(rosc::OscArray {
                content: vec![OscType::Int(1)],
            })],
        );
        assert_eq!(
            read_packet(&encode(&OscPacket::Message(array))),
            Err(Refusal::WrongType)
        );
        let good = encode(&OscPacket::Message(msg(
            "/earmix/strip/1/fader",
            vec![OscType::Float(-3.0)],
        )));
        assert_eq!(read_packet(&good).unwrap().len(), 1);
        for cut in 0..good.len() {
            assert_eq!(read_packet(&good[..cut]), Err(Refusal::Malformed), "{cut}");
        }
        let mut trailing = good.clone();
        trailing.extend_from_slice(&[0, 0, 0, 0]);
        assert_eq!(read_packet(&trailing), Err(Refusal::Malformed));
    }

    /// Deeply nested arrays (which rosc would drop recursively) are refused before decoding,
    /// whatever the depth, without overflowing the stack.
    #[test]
    fn deeply_nested_arrays_are_refused_unread() {
        let depth = MAX_PACKET / 2 - 32;
        let mut bytes = b"/earmix/undo\0\0\0\0,".to_vec();
        bytes.extend(std::iter::repeat_n(b'[', depth));
        bytes.extend(std::iter::repeat_n(b']', depth));
        bytes.push(0);
        while !bytes.len().is_multiple_of(4) {
            bytes.push(0);
        }
        assert!(bytes.len() <= MAX_PACKET);
        assert_eq!(read_packet(&bytes), Err(Refusal::WrongType));
    }

    fn arg_strategy() -> impl Strategy<Value = OscType> {
        prop_oneof![
            any::<i32>().prop_map(OscType::Int),
            any::<f32>().prop_map(OscType::Float),
            any::<f64>().prop_map(OscType::Double),
            any::<i64>().prop_map(OscType::Long),
            any::<bool>().prop_map(OscType::Bool),
            ".{0,12}".prop_map(OscType::String),
            proptest::collection::vec(any::<u8>(), 0..16).prop_map(OscType::Blob),
            Just(OscType::Nil),
            Just(OscType::Inf),
        ]
    }

    fn address_strategy() -> impl Strategy<Value = String> {
        let known = prop_oneof![
            Just("/earmix/strip/1/fader".to_string()),
            Just("/earmix/strip/2/mute".to_string()),
            Just("/earmix/strip/Bass/pan".to_string()),
            Just("/earmix/master".to_string()),
            Just("/earmix/section/3".to_string()),
            Just("/earmix/subscribe".to_string()),
            Just("/earmix/blind".to_string()),
        ];
        prop_oneof![known, "/[a-z0-9%/]{0,24}"]
    }

    proptest! {
        /// Random bytes, cut and corrupted packets and messages of every argument type on
        /// known and unknown addresses are read or refused, never a panic.
        #[test]
        fn any_bytes_are_read_or_refused(
            bytes in proptest::collection::vec(any::<u8>(), 0..256),
            addr in address_strategy(),
            args in proptest::collection::vec(arg_strategy(), 0..4),
            cut in any::<prop::sample::Index>(),
            flip in any::<prop::sample::Index>(),
        ) {
            let _ = read_packet(&bytes);
            let good = encode(&OscPacket::Message(msg(&addr, args)));
            if let Ok(messages) = read_packet(&good) {
                for message in &messages {
                    let _ = request(message);
                }
            }
            let _ = read_packet(&good[..cut.index(good.len())]);
            let mut corrupt = good.clone();
            let at = flip.index(corrupt.len());
            corrupt[at] ^= 0xA5;
            if let Ok(messages) = read_packet(&corrupt) {
                for message in &messages {
                    let _ = request(message);
                }
            }
        }
    }
}
