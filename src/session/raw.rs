//! The session file as written: serde structs that keep every value's span, before validation.
//!
//! Keys a file must have are still `Option` here so that validation can report every missing
//! one at once; serde only rejects unknown keys and values of the wrong type.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use toml::Spanned;

/// The keys allowed at the top of a session file, in documentation order.
pub(crate) const TOP_KEYS: &[&str] = &[
    "version",
    "name",
    "sample_rate",
    "tempo",
    "meter",
    "master_db",
    "ramp_ms",
    "tempo_change",
    "channel",
    "section",
    "reference",
];
/// The keys allowed in a `[[channel]]` table.
pub(crate) const CHANNEL_KEYS: &[&str] = &[
    "name", "file", "role", "trim_db", "gain_db", "pan", "mute", "solo", "start",
];
/// The keys allowed in a `[[section]]` table.
pub(crate) const SECTION_KEYS: &[&str] = &["name", "start", "gain_db", "mute", "ramp_ms"];
/// The keys allowed in a `[[tempo_change]]` table.
pub(crate) const TEMPO_CHANGE_KEYS: &[&str] = &["bar", "tempo", "meter"];
/// The keys allowed in the `[reference]` table.
pub(crate) const REFERENCE_KEYS: &[&str] = &["file", "offset", "sections"];

/// Just the version, read before anything else so a file of another version is not judged by
/// this version's rules.
#[derive(Debug, Deserialize)]
pub(crate) struct RawVersion {
    pub version: Option<Spanned<toml::Value>>,
}

/// A whole session file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSession {
    /// Checked by [`RawVersion`] first.
    #[serde(rename = "version")]
    pub _version: Option<IgnoredAny>,
    pub name: Option<Spanned<String>>,
    pub sample_rate: Option<Spanned<Number>>,
    pub tempo: Option<Spanned<Number>>,
    pub meter: Option<Spanned<String>>,
    pub master_db: Option<Spanned<Number>>,
    pub ramp_ms: Option<Spanned<Number>>,
    #[serde(default)]
    pub tempo_change: Vec<Spanned<RawTempoChange>>,
    #[serde(default)]
    pub channel: Vec<Spanned<RawChannel>>,
    #[serde(default)]
    pub section: Vec<Spanned<RawSection>>,
    pub reference: Option<Spanned<RawReference>>,
}

/// One `[[tempo_change]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTempoChange {
    pub bar: Option<Spanned<Number>>,
    pub tempo: Option<Spanned<Number>>,
    pub meter: Option<Spanned<String>>,
}

/// One `[[channel]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawChannel {
    pub name: Option<Spanned<String>>,
    pub file: Option<Spanned<String>>,
    pub role: Option<Spanned<String>>,
    pub trim_db: Option<Spanned<Number>>,
    pub gain_db: Option<Spanned<Number>>,
    pub pan: Option<Spanned<Number>>,
    pub mute: Option<Spanned<bool>>,
    pub solo: Option<Spanned<bool>>,
    pub start: Option<Spanned<Time>>,
}

/// One `[[section]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSection {
    pub name: Option<Spanned<String>>,
    pub start: Option<Spanned<Time>>,
    pub gain_db: Option<Spanned<GainMap>>,
    pub mute: Option<Spanned<Vec<Spanned<String>>>>,
    pub ramp_ms: Option<Spanned<Number>>,
}

/// The `[reference]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawReference {
    pub file: Option<Spanned<String>>,
    pub offset: Option<Spanned<Time>>,
    pub sections: Option<Spanned<TimeMap>>,
}

/// A TOML integer or float (`-6`, `-6.0`, `-inf`), as `f64`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Number(pub f64);

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NumberVisitor;

        impl Visitor<'_> for NumberVisitor {
            type Value = Number;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number")
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Number, E> {
                Ok(Number(v as f64))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Number, E> {
                Ok(Number(v as f64))
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Number, E> {
                Ok(Number(v))
            }
        }

        deserializer.deserialize_any(NumberVisitor)
    }
}

/// A time: a `"m:ss.mmm"` string (parsed during validation) or a number of seconds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Time {
    Text(String),
    Seconds(f64),
}

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TimeVisitor;

        impl Visitor<'_> for TimeVisitor {
            type Value = Time;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a time like \"1:23.500\" or a number of seconds")
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Time, E> {
                Ok(Time::Seconds(v as f64))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Time, E> {
                Ok(Time::Seconds(v as f64))
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Time, E> {
                Ok(Time::Seconds(v))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Time, E> {
                Ok(Time::Text(v.to_string()))
            }
        }

        deserializer.deserialize_any(TimeVisitor)
    }
}

/// A table of names and values in file order: a section's per-channel fader values
/// ([`GainMap`]), the reference's per-section alignment ([`TimeMap`]).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NamedMap<V>(pub Vec<(Spanned<String>, Spanned<V>)>);

impl<V> Default for NamedMap<V> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

/// A section's per-channel fader values, in file order.
pub(crate) type GainMap = NamedMap<Number>;

/// The reference's section alignment: section names and where each starts in the reference.
pub(crate) type TimeMap = NamedMap<Time>;

impl<'de, V: Deserialize<'de>> Deserialize<'de> for NamedMap<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NamedMapVisitor<V>(std::marker::PhantomData<V>);

        impl<'de, V: Deserialize<'de>> Visitor<'de> for NamedMapVisitor<V> {
            type Value = NamedMap<V>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table of names and values, like { \"Bass\" = -3.0 }")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NamedMap<V>, A::Error> {
                let mut entries: Vec<(Spanned<String>, Spanned<V>)> = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                // The deserializer may hand keys over sorted; the file's order is the spans'.
                entries.sort_by_key(|(key, _)| key.span().start);
                Ok(NamedMap(entries))
            }
        }

        deserializer.deserialize_map(NamedMapVisitor(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Integers, floats and -inf all read as numbers, and times read as text or seconds.
    #[test]
    fn numbers_and_times_accept_integers_and_floats() {
        let raw: RawSession = toml::from_str(
            "version = 1\nmaster_db = -inf\n[[channel]]\ngain_db = -6\ntrim_db = 1.5\n\
             [[section]]\nstart = \"0:12.5\"\n[[section]]\nstart = 30\n",
        )
        .unwrap();
        assert_eq!(
            raw.master_db.unwrap().into_inner(),
            Number(f64::NEG_INFINITY)
        );
        let channel = raw.channel[0].get_ref();
        assert_eq!(channel.gain_db.as_ref().unwrap().get_ref(), &Number(-6.0));
        assert_eq!(channel.trim_db.as_ref().unwrap().get_ref(), &Number(1.5));
        let start = |i: usize| raw.section[i].get_ref().start.clone().unwrap().into_inner();
        assert_eq!(start(0), Time::Text("0:12.5".into()));
        assert_eq!(start(1), Time::Seconds(30.0));
    }

    /// A section's fader map keeps the file's order, not alphabetical order.
    #[test]
    fn gain_map_keeps_file_order() {
        let raw: RawSession =
            toml::from_str("version = 1\n[[section]]\ngain_db = { zeta = 1, alpha = -2 }\n")
                .unwrap();
        let map = raw.section[0]
            .get_ref()
            .gain_db
            .clone()
            .unwrap()
            .into_inner();
        let keys: Vec<&str> = map.0.iter().map(|(k, _)| k.get_ref().as_str()).collect();
        assert_eq!(keys, ["zeta", "alpha"]);
    }

    /// The key lists match the serde structs, so error messages list exactly what is allowed.
    #[test]
    fn key_lists_match_the_structs() {
        let message = |text: &str| {
            toml::from_str::<RawSession>(text)
                .unwrap_err()
                .message()
                .to_string()
        };
        for (text, keys) in [
            ("bogus = 1", TOP_KEYS),
            ("[[channel]]\nbogus = 1", CHANNEL_KEYS),
            ("[[section]]\nbogus = 1", SECTION_KEYS),
            ("[reference]\nbogus = 1", REFERENCE_KEYS),
            ("[[tempo_change]]\nbogus = 1", TEMPO_CHANGE_KEYS),
        ] {
            let message = message(text);
            let listed: Vec<&str> = message.split('`').skip(3).step_by(2).collect();
            assert_eq!(listed, keys, "{message}");
        }
    }
}
