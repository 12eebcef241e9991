//! REAPER's marker and region list exported as CSV (Region/Marker Manager > Export):
//!
//! ```text
//! #,Name,Start,End,Length
//! M1,Intro,0:00.000,,
//! R1,Verse 1,0:12.500,0:41.000,0:28.500
//! ```
//!
//! Times are in the time unit REAPER shows: Minutes:Seconds (`0:12.500`, `1:02:03.250` past an
//! hour) and Seconds (`12.500`) are read; Measures.Beats (`9.1.00`) depends on the project's
//! tempo map, timecode (`00:00:12:15`) on its frame rate and Samples (`600000`) on its sample
//! rate, none of which the file holds: those are refused with a line saying how to export again.
//! A name with a comma is quoted (`"Verse, part 2"`), a quote inside doubled.

use super::{Fault, Marker, Place, clean_name, parse_seconds};
use crate::units::Seconds;

/// Whether a text looks like REAPER's export: its first line is the `#,Name,...` header, or a
/// `M1,`/`R1,` row.
pub(crate) fn looks_like(text: &str) -> bool {
    let Some(first) = text.lines().find(|l| !l.trim().is_empty()) else {
        return false;
    };
    let first = first.trim_start();
    if first.starts_with("#,") {
        return true;
    }
    let id = first.split(',').next().unwrap_or_default();
    first.contains(',') && is_id(id)
}

/// `M3`, `R12`.
fn is_id(field: &str) -> bool {
    let mut chars = field.chars();
    matches!(chars.next(), Some('M' | 'R' | 'm' | 'r'))
        && field.len() > 1
        && chars.all(|c| c.is_ascii_digit())
}

/// The markers and regions of a REAPER CSV export, in file order.
pub(crate) fn parse(text: &str) -> Result<Vec<Marker>, Fault> {
    // Columns by the header's names when there is one, else REAPER's order.
    let (mut name_col, mut start_col, mut end_col) = (1, 2, 3);
    let mut markers = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let number = i + 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        let at = || Place::Line(number);
        let fields = split_csv(line).map_err(|message| Fault::At(at(), message))?;
        let id = fields[0].trim();
        if id == "#" {
            let find = |want: &str| {
                fields
                    .iter()
                    .position(|f| f.trim().eq_ignore_ascii_case(want))
            };
            match (find("Name"), find("Start")) {
                (Some(name), Some(start)) => {
                    name_col = name;
                    start_col = start;
                    end_col = find("End").unwrap_or(usize::MAX);
                }
                _ => {
                    return Err(Fault::At(
                        at(),
                        "the header has no Name or no Start column; REAPER writes \
                         #,Name,Start,End,Length"
                            .into(),
                    ));
                }
            }
            continue;
        }
        if !is_id(id) {
            return Err(Fault::At(
                at(),
                format!(
                    "'{id}' is not a marker (M1) or a region (R1); REAPER's rows start with one"
                ),
            ));
        }
        let field = |col: usize| fields.get(col).map_or("", |f| f.trim());
        let start_text = field(start_col);
        if start_text.is_empty() {
            return Err(Fault::At(at(), format!("{id} has no start time")));
        }
        let start = time(start_text).map_err(|message| Fault::At(at(), message))?;
        let end_text = field(end_col);
        if !end_text.is_empty() {
            let end = time(end_text).map_err(|message| Fault::At(at(), message))?;
            if end < start {
                return Err(Fault::At(
                    at(),
                    format!("{id} ends at {end}, before it starts at {start}"),
                ));
            }
        }
        markers.push(Marker {
            name: clean_name(field(name_col)),
            start,
            at: at(),
        });
    }
    Ok(markers)
}

/// One CSV line's fields, with quoted fields unquoted.
fn split_csv(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            '"' if quoted => quoted = false,
            '"' if field.trim().is_empty() && !was_quoted => {
                field.clear();
                quoted = true;
                was_quoted = true;
            }
            ',' if !quoted => {
                fields.push(std::mem::take(&mut field));
                was_quoted = false;
            }
            c => field.push(c),
        }
    }
    if quoted {
        return Err("a quoted field is not closed (a \" is missing)".into());
    }
    fields.push(field);
    Ok(fields)
}

/// A REAPER time in Minutes:Seconds or Seconds, or what to do about other units.
fn time(text: &str) -> Result<Seconds, String> {
    // "Measures.Beats / Minutes:Seconds" shows both; the second is a time.
    let text = match text.split_once(" / ") {
        Some((_, time)) if time.contains(':') => time.trim(),
        _ => text,
    };
    let again = "set REAPER's time unit to Minutes:Seconds (or Seconds) and export the list again";
    let colons = text.matches(':').count();
    let dots = text.matches('.').count();
    let parsed = if colons == 3 {
        return Err(format!(
            "'{text}' is timecode (hours:minutes:seconds:frames), which needs the project's \
             frame rate; {again}"
        ));
    } else if colons > 0 {
        Seconds::parse(text)
    } else if dots >= 2 {
        return Err(format!(
            "'{text}' is in measures.beats, which needs the project's tempo map; {again}"
        ));
    } else if dots == 0
        && text.chars().all(|c| c.is_ascii_digit())
        && !text.trim_start_matches('0').is_empty()
    {
        return Err(format!(
            "'{text}' has no decimal point: REAPER writes Samples like this, which need the \
             project's sample rate; {again}"
        ));
    } else {
        parse_seconds(text)
    };
    parsed.ok_or_else(|| {
        format!(
            "'{text}' is not a time; REAPER writes Minutes:Seconds (0:12.500) or seconds (12.500)"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The export's header, markers and regions in Minutes:Seconds, hours, seconds and the
    /// combined Measures.Beats / Minutes:Seconds unit; quoted names with commas and quotes.
    #[test]
    fn reads_markers_and_regions() {
        let text = "#,Name,Start,End,Length\r\nM1,Intro,0:00.000,,\r\n\
                    R1,\"Verse, part 1\",0:12.500,0:41.000,0:28.500\r\n\
                    M2,\"The \"\"big\"\" one\",1:02:03.250,,\r\nR2,,75.125,80.000,4.875\r\n\
                    M3,Bridge,9.1.00 / 0:16.000,,\r\n";
        assert!(looks_like(text));
        let got = parse(text).unwrap();
        let want = [
            ("Intro", 0.0, 2),
            ("Verse, part 1", 12.5, 3),
            ("The \"big\" one", 3723.25, 4),
            ("", 75.125, 5),
            ("Bridge", 16.0, 6),
        ];
        assert_eq!(got.len(), want.len());
        for (marker, (name, start, line)) in got.iter().zip(want) {
            assert_eq!(marker.name, name);
            assert_eq!(marker.start, Seconds(start));
            assert_eq!(marker.at, Place::Line(line));
        }
        assert!(looks_like("R1,Verse,0:01.000,0:02.000,0:01.000\n"));
        assert!(!looks_like("0.000000\t0.000000\tIntro\n"));
    }

    /// Columns are found by the header's names when REAPER writes more or others.
    #[test]
    fn columns_follow_the_header() {
        let text = "#,Start,Name,Color\nM1,0:05.000,Hook,FF0000\n";
        let got = parse(text).unwrap();
        assert_eq!(got[0].name, "Hook");
        assert_eq!(got[0].start, Seconds(5.0));
    }

    /// Units that need the project (measures.beats, timecode, samples), broken times, an end
    /// before the start, an unclosed quote and a row that is not a marker are refused with their
    /// line.
    #[test]
    fn malformed_rows_name_their_line() {
        let again =
            "set REAPER's time unit to Minutes:Seconds (or Seconds) and export the list again";
        let cases = [
            (
                "#,Name,Start,End,Length\nM1,Intro,1.1.00,,\n",
                2,
                format!(
                    "'1.1.00' is in measures.beats, which needs the project's tempo map; {again}"
                ),
            ),
            (
                "M1,A,0:00.000,,\nM2,B,00:00:12:15,,\n",
                2,
                format!(
                    "'00:00:12:15' is timecode (hours:minutes:seconds:frames), which needs the \
                     project's frame rate; {again}"
                ),
            ),
            (
                "M1,A,600000,,\n",
                1,
                format!(
                    "'600000' has no decimal point: REAPER writes Samples like this, which need \
                     the project's sample rate; {again}"
                ),
            ),
            (
                "M1,A,0:75.000,,\n",
                1,
                "'0:75.000' is not a time; REAPER writes Minutes:Seconds (0:12.500) or seconds \
                 (12.500)"
                    .into(),
            ),
            (
                "#,Name,Start,End,Length\n\nR1,A,0:20.000,0:10.000,0:10.000\n",
                3,
                "R1 ends at 0:10.000, before it starts at 0:20.000".into(),
            ),
            (
                "M1,\"A,0:01.000,,\n",
                1,
                "a quoted field is not closed (a \" is missing)".into(),
            ),
            (
                "M1,A,0:01.000,,\nX1,B,0:02.000,,\n",
                2,
                "'X1' is not a marker (M1) or a region (R1); REAPER's rows start with one".into(),
            ),
            ("M1,A,,,\n", 1, "M1 has no start time".into()),
        ];
        for (text, line, message) in cases {
            assert_eq!(
                parse(text).unwrap_err(),
                Fault::At(Place::Line(line), message),
                "{text:?}"
            );
        }
        // Zero samples is zero seconds in any unit.
        assert_eq!(parse("M1,A,0,,\n").unwrap()[0].start, Seconds(0.0));
    }
}
