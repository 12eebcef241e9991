//! What the ride keys tell the user on the status line (UI thread), as data; the words are
//! here, in one place, so the ride model holds no sentences.

use std::fmt;

use super::{RIDE_TRIM_DB, RideMode};
use crate::app::notice::Notice;
use crate::units::Decibels;

/// Something the ride keys did, for the status line.
#[derive(Debug, Clone, PartialEq)]
pub enum RideNotice {
    /// A strip's new ride mode, and whether it has a ride yet.
    Mode {
        /// The strip's name.
        target: String,
        /// Its mode now.
        mode: RideMode,
        /// It has a ride.
        has_ride: bool,
    },
    /// A take records: the level it holds (`None` while blind).
    Recording {
        /// The strip's name.
        target: String,
        /// The level it holds, dB.
        level: Option<Decibels>,
    },
    /// Clear asked of a strip with no ride.
    NoRide(String),
    /// A ride cleared in a section (`None`: everywhere).
    Cleared {
        /// The strip's name.
        target: String,
        /// The section, or everywhere.
        section: Option<String>,
    },
    /// A ride trimmed up (or down) in a section; `blind` says it without the amount.
    Trimmed {
        /// The strip's name.
        target: String,
        /// The section.
        section: String,
        /// Up (else down).
        up: bool,
        /// Numbers are hidden.
        blind: bool,
    },
    /// A trim that cannot go further.
    TrimAtEnd {
        /// The strip's name.
        target: String,
        /// The section.
        section: String,
    },
}

impl fmt::Display for RideNotice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RideNotice::Mode {
                target,
                mode,
                has_ride,
            } => {
                match mode {
                    RideMode::Read => write!(f, "{target}: ride plays (read)")?,
                    RideMode::Touch => write!(
                        f,
                        "{target}: ride armed (touch): fader moves while playing record it, and \
                         let go when you stop moving"
                    )?,
                    RideMode::Latch => write!(
                        f,
                        "{target}: ride armed (latch): fader moves while playing record it until \
                         you stop playback"
                    )?,
                    RideMode::Off => write!(f, "{target}: ride off (not heard)")?,
                }
                if !has_ride && *mode == RideMode::Read {
                    f.write_str("; no ride yet")?;
                }
                Ok(())
            }
            RideNotice::Recording {
                target,
                level: None,
            } => write!(f, "Recording {}", ride_of(target)),
            RideNotice::Recording {
                target,
                level: Some(db),
            } => write!(f, "Recording {}: {db}", ride_of(target)),
            RideNotice::NoRide(target) => write!(f, "{target} has no ride to clear"),
            RideNotice::Cleared {
                target,
                section: None,
            } => write!(f, "Cleared {} (u undoes)", ride_of(target)),
            RideNotice::Cleared {
                target,
                section: Some(section),
            } => write!(f, "Cleared {} in {section} (u undoes)", ride_of(target)),
            RideNotice::Trimmed {
                target,
                section,
                blind: true,
                ..
            } => write!(f, "{} moved in {section}", upper(&ride_of(target))),
            RideNotice::Trimmed {
                target,
                section,
                up,
                ..
            } => write!(
                f,
                "{} {} {RIDE_TRIM_DB} dB in {section}",
                upper(&ride_of(target)),
                if *up { "up" } else { "down" }
            ),
            RideNotice::TrimAtEnd { target, section } => {
                write!(f, "{} is at its end in {section}", upper(&ride_of(target)))
            }
        }
    }
}

/// "the Bass ride", "the Guitars ride": a name used as a noun's modifier reads right for
/// every name (a possessive would need "Guitars'" and "Bass's").
fn ride_of(target: &str) -> String {
    format!("the {target} ride")
}

/// The text with its first letter in capitals.
fn upper(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

impl From<RideNotice> for Notice {
    fn from(notice: RideNotice) -> Self {
        Notice::Said(notice.to_string())
    }
}
