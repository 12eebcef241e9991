//! `earmix check SESSION`: the summary printed for a valid session, and the damaged stems found
//! by reading every stem through.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::Ordering;

use crate::config::AudioConfig;
use crate::engine::render::{DamagedStem, StopFlag};
use crate::engine::stream_plan::{MIB, StreamPlan};
use crate::engine::streams::{StreamError, scan};
use crate::session::Session;
use crate::text::escape;
use crate::units::{Decibels, Seconds};

/// Reads every stem file of the session through, as playing it would, on as many threads as
/// there are cores, and returns what is wrong with them, in channel order (a file used by
/// several channels is read and named once): where a stem's data ends before the length its
/// header states, where decoding fails, and how many of its samples are NaN or infinite.
/// Integer PCM WAV is only looked at, not read through: its size says where its data ends and
/// its samples are always finite.
///
/// Stops early when `stop` asks (the caller checks it: what was found until then is returned).
///
/// Not realtime-safe (reads files, starts threads).
pub fn damaged_stems(session: &Session, stop: &StopFlag) -> Result<Vec<DamagedStem>, StreamError> {
    let mut files: Vec<(PathBuf, PathBuf)> = Vec::new();
    for channel in &session.channels {
        // Both files of a split-stereo stem.
        for file in std::iter::once(&channel.file).chain(&channel.right_file) {
            let path = session.resolve(file);
            if !files.iter().any(|(p, _)| *p == path) {
                files.push((path, file.clone()));
            }
        }
    }
    let keep_going = || stop.load(Ordering::Relaxed) == 0;
    let found =
        crate::parallel::on_all_cores(&files, keep_going, |(path, _)| scan(path, &keep_going));
    let mut out = Vec::new();
    for (i, result) in found {
        out.extend(result?.into_iter().map(|damage| DamagedStem {
            file: files[i].1.clone(),
            damage,
        }));
    }
    Ok(out)
}

/// A readable summary of a validated session: its channels with their stem files' format,
/// channel count, rate (and the rate it is resampled to, when that is another) and length, and
/// its sections. Names and file names are shown with control characters escaped
/// ([`escape`]).
pub fn summary(session: &Session) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: \"{}\", {} channels, {} Hz, {}",
        escape(&session.path.display().to_string()),
        escape(&session.name),
        session.channels.len(),
        session.sample_rate,
        session.length()
    );
    let name_w = session
        .channels
        .iter()
        .map(|c| escape(&c.name).chars().count())
        .max()
        .unwrap_or(4)
        .max(7);
    let role_w = session
        .channels
        .iter()
        .map(|c| c.role.map_or(1, |r| r.as_str().len()))
        .max()
        .unwrap_or(6)
        .max(6);
    let _ = writeln!(
        out,
        "\n  {:<name_w$}  {:<role_w$}  {:>7}  {:<22} {:>2}  {:>6}  {:>9}",
        "channel", "role", "fader", "format", "ch", "rate", "length"
    );
    for (channel, stem) in session.channels.iter().zip(&session.stems) {
        let role = channel.role.map_or("-", |r| r.as_str());
        let mut flags = String::new();
        if channel.mute {
            flags.push_str(" [muted]");
        }
        if channel.solo {
            flags.push_str(" [solo]");
        }
        if stem.sample_rate != session.sample_rate {
            let _ = write!(flags, " (resampled to {} Hz)", session.sample_rate);
        }
        let _ = writeln!(
            out,
            "  {:<name_w$}  {:<role_w$}  {:>7}  {:<22} {:>2}  {:>6}  {:>9}{flags}",
            escape(&channel.name),
            role,
            fader_text(channel.gain_db),
            truncate(&escape(&stem.format), 22),
            stem.channels,
            stem.sample_rate,
            Seconds(stem.seconds()).to_string(),
        );
        let files = match &channel.right_file {
            None => channel.file.display().to_string(),
            Some(right) => format!(
                "{} + {} (split stereo: left + right)",
                channel.file.display(),
                right.display()
            ),
        };
        let _ = writeln!(out, "  {:<name_w$}  {}", "", escape(&files));
    }
    if session.sections.is_empty() {
        let _ = writeln!(out, "\n  no sections");
    } else {
        let _ = writeln!(
            out,
            "\n  {:<20} {:>9}  {:>9}  scene",
            "section", "start", "length"
        );
        for (i, section) in session.sections.iter().enumerate() {
            let end = session
                .sections
                .get(i + 1)
                .map_or(session.length(), |s| s.start);
            let scene = if section.gain_db.is_empty() {
                "-".to_string()
            } else {
                format!("{} fader override(s)", section.gain_db.len())
            };
            let _ = writeln!(
                out,
                "  {:<20} {:>9}  {:>9}  {scene}",
                truncate(&escape(&section.name), 20),
                section.start.to_string(),
                Seconds(end.0 - section.start.0).to_string()
            );
        }
    }
    automation(session, &mut out);
    if let Some(reference) = &session.reference {
        let _ = writeln!(
            out,
            "\n  reference: {} (offset {})",
            escape(&reference.file.display().to_string()),
            reference.offset
        );
    }
    out
}

/// The groups (fader, members, mute and solo) and rides (points, first and last time) of the
/// summary.
fn automation(session: &Session, out: &mut String) {
    if !session.groups.is_empty() {
        let _ = writeln!(out, "\n  {:<20} {:>7}  members", "group", "fader");
        for group in &session.groups {
            let mut flags = String::new();
            for (on, word) in [(group.mute, " muted"), (group.solo, " soloed")] {
                if on {
                    flags.push_str(word);
                }
            }
            let members: Vec<String> = group
                .members
                .iter()
                .map(|m| escape(m).into_owned())
                .collect();
            let _ = writeln!(
                out,
                "  {:<20} {:>7}  {}{flags}",
                truncate(&escape(&group.name), 20),
                group.gain_db.to_string(),
                members.join(", ")
            );
        }
    }
    if !session.rides.is_empty() {
        let _ = writeln!(out, "\n  {:<20} {:>7}  from -> to", "ride", "points");
        for ride in &session.rides {
            let (Some(first), Some(last)) = (ride.points.first(), ride.points.last()) else {
                continue;
            };
            let _ = writeln!(
                out,
                "  {:<20} {:>7}  {} -> {}",
                truncate(&escape(&ride.target), 20),
                ride.points.len(),
                first.at,
                last.at
            );
        }
    }
}

/// What playing the session would hold in memory for its streams, with the settings in `audio`
/// (at its sample rate, from the start), and what the budget makes it give up.
///
/// Not realtime-safe (opens the reference's file to learn its format).
pub fn memory(session: &Session, audio: &AudioConfig) -> String {
    let plan = StreamPlan::for_session(
        session,
        audio.sample_rate.unwrap_or(session.sample_rate),
        0,
        u64::from(audio.stream_memory_mb) * MIB,
        audio.buffer_frames,
    );
    let mut out = format!("\n  {}\n", plan.summary());
    if let Some(notice) = plan.notice() {
        let _ = writeln!(out, "  {notice}");
    }
    out
}

fn fader_text(db: Decibels) -> String {
    if db.is_off() {
        "off".to_string()
    } else {
        format!("{:+.1} dB", db.0)
    }
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let mut t: String = text.chars().take(width.saturating_sub(1)).collect();
        t.push('~');
        t
    }
}
