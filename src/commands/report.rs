//! `earmix report SESSION`: loudness and peaks of the mix and of every channel, per section and
//! for the whole song, measured on one offline render by [`analysis::report`] (the
//! [`analysis`] docs say what is measured and how), printed here as a table, JSON or CSV.
//!
//! The song is cut into *spans* ([`analysis::span`]): one per `[[section]]` and, when the first
//! section starts after 0, the lead-in before it, "(before NAME)". A session without sections
//! has no spans: only the whole song is reported. A channel's *relative level* is its integrated
//! loudness minus the mix's; the *changes* run between consecutive sections (the lead-in is left
//! out).
//!
//! [`analysis`]: crate::analysis
//! [`analysis::report`]: crate::analysis::report
//! [`analysis::span`]: crate::analysis::span
//!
//! Nothing to measure (a stem silent in a span, loudness below the -70 LUFS gate, a span too
//! short for a short-term window) is "—" in the table, an empty field in CSV and `null` in
//! JSON; no figure is ever `-inf` or NaN.
//!
//! # JSON (`--format json`), version 1
//!
//! ```text
//! {
//!   "format": "earmix-report", "version": 1,
//!   "session": { "path": str, "name": str, "sample_rate": int, "frames": int, "seconds": num },
//!   "channels": [str, ...],                         // channel names, in session order
//!   "song": SPAN,                                   // the whole song (kind "song")
//!   "spans": [SPAN, ...],                           // in time order; [] without sections
//!   "changes": [                                    // consecutive sections, in time order
//!     { "from": str, "to": str, "mix_lu": num|null,
//!       "channels": [ { "name": str, "level_lu": num|null, "relative_lu": num|null }, ... ] }
//!   ]
//! }
//! SPAN = { "name": str, "kind": "song"|"before"|"section",
//!          "start_frame": int, "end_frame": int, "start_s": num, "end_s": num,
//!          "mix": MEASURES,
//!          "channels": [ { "name": str, MEASURES..., "relative_lu": num|null }, ... ] }
//! MEASURES = { "integrated_lufs", "short_term_max_lufs", "loudness_range_lu",
//!              "sample_peak_dbfs", "true_peak_dbtp" }   // each num|null
//! ```
//!
//! # CSV (`--format csv`)
//!
//! A header, then one row per (span, source): the whole song first, then the spans in time
//! order; in each, the mix and then the channels in session order. Columns: `span`,
//! `span_kind` (song, before, section), `start_s`, `end_s`, `source` ("mix" or the channel's
//! name), `source_kind` (mix, channel), the five measures, `relative_lu`, and `change_lu`,
//! `relative_change_lu` (from the previous section; empty for the song, the lead-in and the
//! first section). Decibel figures have three decimals; a field with nothing measured is empty.
//!
//! # Names
//!
//! Session, section and channel names are printed with control characters written visibly
//! ([`escape`]: `\e`, `\n`, `\u{9b}`) in the table and in CSV, so a name cannot drive the
//! terminal. JSON keeps every name exactly, writing such characters as `\u` escapes.

use std::fmt::Write as _;
use std::str::FromStr;

use crate::analysis::meter::Measures;
use crate::analysis::report::{Report, SpanReport, difference};
use crate::analysis::span::SpanKind;
use crate::text::{escape, json_safe};
use crate::units::Seconds;

/// How the report is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Aligned text blocks that fit 80 columns.
    #[default]
    Table,
    /// JSON (pretty), the structure the module docs describe.
    Json,
    /// CSV, one row per (span, source).
    Csv,
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "table" => Ok(Format::Table),
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            other => Err(format!(
                "'{other}' is not a report format; use table, json or csv"
            )),
        }
    }
}

/// The report as text in a format.
pub fn to_text(report: &Report, format: Format) -> String {
    match format {
        Format::Table => table(report),
        Format::Json => json(report),
        Format::Csv => csv(report),
    }
}

/// The report as pretty JSON (the structure in the module docs), ending in a newline. Names
/// keep every character; those a terminal could obey are `\u` escapes ([`json_safe`]).
pub fn json(report: &Report) -> String {
    // Serialising plain structs of strings and numbers cannot fail.
    let mut text = json_safe(serde_json::to_string_pretty(report).unwrap_or_default());
    text.push('\n');
    text
}

/// The width of the text table.
pub const TABLE_WIDTH: usize = 80;

/// "—": nothing to measure.
const NONE: &str = "\u{2014}";

/// A figure with one decimal, or "—".
fn fig(x: Option<f64>) -> String {
    x.map_or_else(
        || NONE.to_string(),
        |x| format!("{:.1}", (x * 10.0).round() / 10.0 + 0.0),
    )
}

/// A signed figure with one decimal, or "—".
fn signed(x: Option<f64>) -> String {
    // `+ 0.0` turns -0.0 into 0.0; a value that rounds to zero prints as "+0.0".
    x.map_or_else(
        || NONE.to_string(),
        |x| {
            let rounded = (x * 10.0).round() / 10.0 + 0.0;
            format!("{rounded:+.1}")
        },
    )
}

/// `text` with control characters escaped ([`escape`]), cut to `width` characters, ending in
/// "…" when cut.
fn shorten(text: &str, width: usize) -> String {
    let text = escape(text);
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let mut t: String = text.chars().take(width.saturating_sub(1)).collect();
        t.push('\u{2026}');
        t
    }
}

/// `text` padded with spaces to `width` characters (left-aligned), cut when longer.
fn pad(text: &str, width: usize) -> String {
    let t = shorten(text, width);
    let n = t.chars().count();
    format!("{t}{}", " ".repeat(width - n))
}

/// `text` right-aligned in `width` characters.
fn right(text: &str, width: usize) -> String {
    let n = text.chars().count();
    format!("{}{text}", " ".repeat(width.saturating_sub(n)))
}

/// The text table: a header and legend, the whole song, each span, then the changes between
/// consecutive sections; every line fits [`TABLE_WIDTH`] columns.
pub fn table(report: &Report) -> String {
    let mut out = String::new();
    let s = &report.session;
    let rate = s.sample_rate;
    let _ = writeln!(
        out,
        "{}",
        shorten(&format!("{}: {}", s.name, s.path.display()), TABLE_WIDTH)
    );
    let sections = report
        .spans
        .iter()
        .filter(|sp| sp.kind == SpanKind::Section)
        .count();
    let _ = writeln!(
        out,
        "{} Hz, {}, {} channel{}, {} section{}",
        rate,
        Seconds::from_frames(s.frames, rate),
        report.channels.len(),
        if report.channels.len() == 1 { "" } else { "s" },
        sections,
        if sections == 1 { "" } else { "s" },
    );
    out.push('\n');
    for line in [
        "I LUFS: integrated loudness   S max: highest short-term (3 s) loudness, LUFS",
        "LRA: loudness range, LU   peak: sample peak, dBFS   TP: true peak, dBTP",
        "rel LU: channel minus mix integrated loudness   \u{2014}: nothing to measure",
        "Channels are measured after trim, fader, section scene, pan and master fader.",
    ] {
        let _ = writeln!(out, "{line}");
    }

    let name_w = report
        .channels
        .iter()
        .map(|n| escape(n).chars().count())
        .max()
        .unwrap_or(0)
        .clamp(10, 24);
    for span in std::iter::once(&report.song).chain(&report.spans) {
        out.push('\n');
        span_block(&mut out, span, rate, name_w);
    }
    if !report.changes.is_empty() {
        out.push('\n');
        changes_block(&mut out, report);
    }
    out
}

const COL: usize = 8;

fn span_block(out: &mut String, span: &SpanReport, rate: u32, name_w: usize) {
    let times = format!(
        "  {}\u{2013}{}",
        Seconds::from_frames(span.start_frame, rate),
        Seconds::from_frames(span.end_frame, rate)
    );
    let title_w = TABLE_WIDTH - times.chars().count();
    let _ = writeln!(out, "{}{times}", shorten(&span.name, title_w));
    let mut header = format!("  {}", pad("", name_w));
    for h in ["I LUFS", "S max", "LRA", "peak", "TP", "rel LU"] {
        header.push_str(&right(h, COL));
    }
    let _ = writeln!(out, "{}", header.trim_end());
    let row = |name: &str, m: &Measures, rel: Option<String>| {
        let mut line = format!("  {}", pad(name, name_w));
        for v in [
            fig(m.integrated_lufs),
            fig(m.short_term_max_lufs),
            fig(m.loudness_range_lu),
            fig(m.sample_peak_dbfs),
            fig(m.true_peak_dbtp),
        ] {
            line.push_str(&right(&v, COL));
        }
        if let Some(rel) = rel {
            line.push_str(&right(&rel, COL));
        }
        line
    };
    let _ = writeln!(out, "{}", row("Mix", &span.mix, None));
    for ch in &span.channels {
        let _ = writeln!(
            out,
            "{}",
            row(&ch.name, &ch.measures, Some(signed(ch.relative_lu)))
        );
    }
}

/// Width of a channel's name in the changes block.
const CHANGE_NAME: usize = 18;
/// Width of one section pair's column in the changes block.
const CHANGE_COL: usize = 15;

fn changes_block(out: &mut String, report: &Report) {
    for line in [
        "Changes from section to section, LU: the level change, and in brackets the",
        "change of the level relative to the mix",
    ] {
        let _ = writeln!(out, "{line}");
    }
    let per_block = ((TABLE_WIDTH - 2 - CHANGE_NAME) / CHANGE_COL).max(1);
    for (b, group) in report.changes.chunks(per_block).enumerate() {
        if b > 0 {
            out.push('\n');
        }
        let mut from = format!("  {}", pad("", CHANGE_NAME));
        let mut to = from.clone();
        for change in group {
            let _ = write!(from, " {}", pad(&change.from, CHANGE_COL - 1));
            let arrow = format!("\u{2192} {}", change.to);
            let _ = write!(to, " {}", pad(&arrow, CHANGE_COL - 1));
        }
        let _ = writeln!(out, "{}", from.trim_end());
        let _ = writeln!(out, "{}", to.trim_end());
        let mut mix = format!("  {}", pad("Mix", CHANGE_NAME));
        for change in group {
            mix.push_str(&change_cell(change.mix_lu, None));
        }
        let _ = writeln!(out, "{}", mix.trim_end());
        for (i, name) in report.channels.iter().enumerate() {
            let mut line = format!("  {}", pad(name, CHANGE_NAME));
            for change in group {
                let c = &change.channels[i];
                line.push_str(&change_cell(c.level_lu, Some(Relative(c.relative_lu))));
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }
    }
}

/// One cell of the changes block, [`CHANGE_COL`] characters: the level change and, for a
/// channel (`relative` given), the relative change in brackets: " +3.1 (+0.4)".
fn change_cell(level: Option<f64>, relative: Option<Relative>) -> String {
    let mut cell = right(&signed(level), 6);
    if let Some(Relative(rel)) = relative
        && level.is_some()
    {
        let _ = write!(cell, " ({})", signed(rel));
    }
    pad(&cell, CHANGE_COL)
}

/// A channel's change of level relative to the mix, for [`change_cell`].
#[derive(Clone, Copy)]
struct Relative(Option<f64>);

/// The report as CSV (the columns in the module docs), ending in a newline.
pub fn csv(report: &Report) -> String {
    let mut out = String::from(
        "span,span_kind,start_s,end_s,source,source_kind,integrated_lufs,short_term_max_lufs,\
         loudness_range_lu,sample_peak_dbfs,true_peak_dbtp,relative_lu,change_lu,\
         relative_change_lu\n",
    );
    let mut previous: Option<&SpanReport> = None;
    for span in std::iter::once(&report.song).chain(&report.spans) {
        let before = if span.kind == SpanKind::Section {
            previous.replace(span)
        } else {
            None
        };
        let mut row = |source: &str, kind: &str, m: &Measures, rel, change, rel_change| {
            let fields = [
                csv_text(&span.name),
                span.kind.as_str().to_string(),
                span.start_s.to_string(),
                span.end_s.to_string(),
                csv_text(source),
                kind.to_string(),
                csv_num(m.integrated_lufs),
                csv_num(m.short_term_max_lufs),
                csv_num(m.loudness_range_lu),
                csv_num(m.sample_peak_dbfs),
                csv_num(m.true_peak_dbtp),
                csv_num(rel),
                csv_num(change),
                csv_num(rel_change),
            ];
            out.push_str(&fields.join(","));
            out.push('\n');
        };
        row(
            "mix",
            "mix",
            &span.mix,
            None,
            before.and_then(|b| difference(span.mix.integrated_lufs, b.mix.integrated_lufs)),
            None,
        );
        for (i, ch) in span.channels.iter().enumerate() {
            let prev = before.map(|b| &b.channels[i]);
            row(
                &ch.name,
                "channel",
                &ch.measures,
                ch.relative_lu,
                prev.and_then(|p| {
                    difference(ch.measures.integrated_lufs, p.measures.integrated_lufs)
                }),
                prev.and_then(|p| difference(ch.relative_lu, p.relative_lu)),
            );
        }
    }
    out
}

/// A number with three decimals, or an empty field.
fn csv_num(x: Option<f64>) -> String {
    x.map_or_else(String::new, |x| {
        format!("{:.3}", (x * 1000.0).round() / 1000.0 + 0.0)
    })
}

/// A text field with control characters escaped ([`escape`]: a line break in a name reads
/// `\n`), quoted when it holds a comma or a quote (RFC 4180).
fn csv_text(text: &str) -> String {
    let text = escape(text);
    if text.contains([',', '"']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Figures print with one decimal and "—" for none, never "-0.0"; CSV fields are quoted
    /// only when they must be.
    #[test]
    fn figures_and_fields() {
        assert_eq!(fig(Some(-17.24)), "-17.2");
        assert_eq!(fig(Some(-0.04)), "0.0");
        assert_eq!(fig(None), "\u{2014}");
        assert_eq!(signed(Some(-0.04)), "+0.0");
        assert_eq!(signed(Some(3.06)), "+3.1");
        assert_eq!(csv_num(Some(-0.0001)), "0.000");
        assert_eq!(csv_num(None), "");
        assert_eq!(csv_text("Keys"), "Keys");
        assert_eq!(csv_text("Keys, \"wide\""), "\"Keys, \"\"wide\"\"\"");
        assert_eq!(shorten("Rhythm guitar", 6), "Rhyth\u{2026}");
        assert_eq!(pad("Bass", 6), "Bass  ");
        assert_eq!("table".parse(), Ok(Format::Table));
        assert!(
            "xml"
                .parse::<Format>()
                .unwrap_err()
                .contains("table, json or csv")
        );
    }
}
