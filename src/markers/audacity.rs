//! Audacity label files (File > Export > Labels): one label a line, `start<TAB>end<TAB>text`,
//! times in seconds. A point label has its end at its start; a region label starts a section at
//! its start. A spectral label is followed by a line that starts with a tab and gives its
//! frequency range (`<TAB>low<TAB>high`); such lines are skipped.

use super::{Fault, Marker, Place, clean_name, parse_seconds};

/// The labels of an Audacity label file, in file order.
pub(crate) fn parse(text: &str) -> Result<Vec<Marker>, Fault> {
    let mut markers = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let number = i + 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() || line.starts_with('\t') {
            continue;
        }
        let at = || Place::Line(number);
        let mut fields = line.splitn(3, '\t');
        let start_text = fields.next().unwrap_or_default();
        let Some(end_text) = fields.next() else {
            return Err(Fault::At(
                at(),
                format!(
                    "'{line}' is not a label: Audacity writes start, end and label separated by \
                     tabs (\"12.5<TAB>12.5<TAB>Verse\")"
                ),
            ));
        };
        let label = fields.next().unwrap_or_default();
        let time = |text: &str, what: &str| {
            parse_seconds(text).ok_or_else(|| {
                Fault::At(
                    at(),
                    format!(
                        "the {what} '{}' is not a time: Audacity writes seconds, like 12.500000",
                        text.trim()
                    ),
                )
            })
        };
        let start = time(start_text, "start")?;
        let end = time(end_text, "end")?;
        if end < start {
            return Err(Fault::At(
                at(),
                format!(
                    "the label ends at {end} (seconds {}), before it starts at {start}",
                    end.0
                ),
            ));
        }
        markers.push(Marker {
            name: clean_name(label),
            start,
            at: at(),
        });
    }
    Ok(markers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::Seconds;

    /// Point and region labels (with CRLF endings, an empty label, a tab inside a label) are
    /// read; spectral frequency lines and blank lines are skipped; lines are counted in the file.
    #[test]
    fn reads_point_region_and_spectral_labels() {
        let text = "0.000000\t0.000000\tIntro\r\n\n12.500000\t30.000000\tVerse 1\n\
                    \t100.000000\t2000.000000\n31\t31\t\n40.25\t41\tChorus\twith tab\n";
        let got = parse(text).unwrap();
        let want = [
            ("Intro", 0.0, 1),
            ("Verse 1", 12.5, 3),
            ("", 31.0, 5),
            ("Chorus with tab", 40.25, 6),
        ];
        assert_eq!(got.len(), want.len());
        for (marker, (name, start, line)) in got.iter().zip(want) {
            assert_eq!(marker.name, name);
            assert_eq!(marker.start, Seconds(start));
            assert_eq!(marker.at, Place::Line(line));
        }
    }

    /// Malformed lines are refused with their line number: no tabs, a time that is not one, an
    /// end before the start.
    #[test]
    fn malformed_lines_name_their_line() {
        let cases = [
            (
                "1\t1\tA\nIntro at 0:00\n",
                Fault::At(
                    Place::Line(2),
                    "'Intro at 0:00' is not a label: Audacity writes start, end and label \
                     separated by tabs (\"12.5<TAB>12.5<TAB>Verse\")"
                        .into(),
                ),
            ),
            (
                "1\t1\tA\n\n0:12\t13\tB\n",
                Fault::At(
                    Place::Line(3),
                    "the start '0:12' is not a time: Audacity writes seconds, like 12.500000"
                        .into(),
                ),
            ),
            (
                "5\tx\tA\n",
                Fault::At(
                    Place::Line(1),
                    "the end 'x' is not a time: Audacity writes seconds, like 12.500000".into(),
                ),
            ),
            (
                "1\t1\tA\n20\t10.5\tB\n",
                Fault::At(
                    Place::Line(2),
                    "the label ends at 0:10.500 (seconds 10.5), before it starts at 0:20.000"
                        .into(),
                ),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(parse(text).unwrap_err(), want, "{text:?}");
        }
    }
}
