//! Markers inside a WAV file: the `cue ` chunk's cue points (a sample offset each), named by the
//! `labl` entries of a `LIST` chunk of type `adtl` (as REAPER, Audacity, Wavelab and libsndfile
//! write them). A cue point's time is its sample offset at the rate of the `fmt ` chunk.

use super::{Fault, Marker, Place};
use crate::units::Seconds;

/// A chunk: its id, the offset of its header and its data.
struct Chunk<'a> {
    id: [u8; 4],
    offset: usize,
    data: &'a [u8],
}

/// The chunks in `bytes` from `from` (RIFF order: id, little-endian size, data, a pad byte after
/// odd sizes). A chunk that runs past the end is an error unless it is the `data` chunk of a
/// file cut short, which ends the list.
fn chunks<'a>(bytes: &'a [u8], from: usize, inside: &str) -> Result<Vec<Chunk<'a>>, Fault> {
    let mut out = Vec::new();
    let mut at = from;
    while at + 8 <= bytes.len() {
        let id: [u8; 4] = [bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]];
        let size = u32_at(bytes, at + 4) as usize;
        let start = at + 8;
        let Some(data) = bytes.get(start..start.saturating_add(size)) else {
            if &id == b"data" {
                break;
            }
            return Err(Fault::At(
                Place::Byte {
                    offset: at as u64,
                    what: format!("{} chunk {inside}", chunk_name(id)),
                },
                format!(
                    "the chunk says it holds {size} bytes, but the file ends {} bytes after its \
                     header",
                    bytes.len() - start
                ),
            ));
        };
        out.push(Chunk {
            id,
            offset: at,
            data,
        });
        at = start + size + (size & 1);
    }
    Ok(out)
}

/// A chunk id as text (`cue `, `LIST`).
fn chunk_name(id: [u8; 4]) -> String {
    format!("'{}'", String::from_utf8_lossy(&id))
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Text from a file: UTF-8, or else Latin-1 (what older tools write), up to the first NUL.
pub(crate) fn text_of(bytes: &[u8]) -> String {
    let bytes = bytes.split(|&b| b == 0).next().unwrap_or_default();
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// The cue points of a WAV file as markers, in the `cue ` chunk's order.
pub(crate) fn parse(bytes: &[u8]) -> Result<Vec<Marker>, Fault> {
    if bytes.starts_with(b"RF64") {
        return Err(Fault::File(
            "an RF64 (over 4 GB) WAV file: earmix reads markers from RIFF WAV files only".into(),
        ));
    }
    if bytes.len() < 12 || &bytes[8..12] != b"WAVE" {
        return Err(Fault::File(
            "a RIFF file that is not a WAV file (no WAVE after the RIFF header)".into(),
        ));
    }
    let mut rate = None;
    let mut points: Vec<(u32, u32, usize)> = Vec::new();
    let mut labels: Vec<(u32, String)> = Vec::new();
    let mut seen_cue = false;
    for chunk in chunks(bytes, 12, "in the RIFF file")? {
        let place = |offset: usize, what: String| Place::Byte {
            offset: offset as u64,
            what,
        };
        match &chunk.id {
            b"fmt " => {
                if chunk.data.len() < 16 {
                    return Err(Fault::At(
                        place(chunk.offset, "'fmt ' chunk".into()),
                        format!(
                            "the format chunk holds {} bytes, not 16 or more",
                            chunk.data.len()
                        ),
                    ));
                }
                rate = Some((u32_at(chunk.data, 4), chunk.offset));
            }
            b"cue " => {
                seen_cue = true;
                points.extend(cue_points(&chunk)?);
            }
            b"LIST" if chunk.data.get(..4) == Some(b"adtl".as_slice()) => {
                labels.extend(adtl_labels(&chunk)?);
            }
            _ => {}
        }
    }
    if !seen_cue {
        return Err(Fault::File(
            "this WAV file has no 'cue ' chunk, so no markers (export it with markers, or export \
             the markers as labels or CSV)"
                .into(),
        ));
    }
    let Some((rate, fmt_at)) = rate else {
        return Err(Fault::File(
            "this WAV file has no 'fmt ' chunk, so its sample rate (which turns cue points into \
             times) is unknown"
                .into(),
        ));
    };
    if rate == 0 {
        return Err(Fault::At(
            Place::Byte {
                offset: fmt_at as u64,
                what: "'fmt ' chunk".into(),
            },
            "the sample rate is 0".into(),
        ));
    }
    Ok(points
        .into_iter()
        .map(|(id, sample, offset)| Marker {
            name: super::clean_name(
                labels
                    .iter()
                    .find(|(label_id, _)| *label_id == id)
                    .map_or("", |(_, text)| text.as_str()),
            ),
            start: Seconds::from_frames(u64::from(sample), rate),
            at: Place::Byte {
                offset: offset as u64,
                what: format!("'cue ' point {id}, sample {sample}"),
            },
        })
        .collect())
}

/// The cue points of a `cue ` chunk: id, sample offset, and the file offset of the point.
fn cue_points(chunk: &Chunk<'_>) -> Result<Vec<(u32, u32, usize)>, Fault> {
    let data = chunk.data;
    let count = if data.len() >= 4 {
        u32_at(data, 0) as usize
    } else {
        0
    };
    if data.len() < 4 || data.len() < 4 + count.saturating_mul(24) {
        return Err(Fault::At(
            Place::Byte {
                offset: chunk.offset as u64,
                what: "'cue ' chunk".into(),
            },
            format!(
                "the cue chunk holds {} bytes, too few for the {count} cue points it announces \
                 (24 bytes each after a 4-byte count)",
                data.len()
            ),
        ));
    }
    Ok((0..count)
        .map(|n| {
            let at = 4 + n * 24;
            // id, position, data chunk id, chunk start, block start, sample offset.
            (
                u32_at(data, at),
                u32_at(data, at + 20),
                chunk.offset + 8 + at,
            )
        })
        .collect())
}

/// The `labl` entries of a `LIST` chunk of type `adtl`: cue point id and text.
fn adtl_labels(chunk: &Chunk<'_>) -> Result<Vec<(u32, String)>, Fault> {
    let mut labels = Vec::new();
    for entry in chunks(chunk.data, 4, "in the 'LIST' 'adtl' chunk")
        .map_err(|f| shift(f, chunk.offset + 8))?
    {
        if &entry.id == b"labl" {
            if entry.data.len() < 4 {
                return Err(Fault::At(
                    Place::Byte {
                        offset: (chunk.offset + 8 + entry.offset) as u64,
                        what: "'labl' entry".into(),
                    },
                    "a label entry holds fewer than the 4 bytes of its cue point id".into(),
                ));
            }
            labels.push((u32_at(entry.data, 0), text_of(&entry.data[4..])));
        }
    }
    Ok(labels)
}

/// A fault found inside a chunk's data, with its offset made one in the file.
fn shift(fault: Fault, by: usize) -> Fault {
    match fault {
        Fault::At(Place::Byte { offset, what }, message) => Fault::At(
            Place::Byte {
                offset: offset + by as u64,
                what,
            },
            message,
        ),
        other => other,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A RIFF chunk: id, size, data, pad byte.
    pub(crate) fn chunk(id: [u8; 4], data: &[u8]) -> Vec<u8> {
        let mut out = id.to_vec();
        out.extend((data.len() as u32).to_le_bytes());
        out.extend(data);
        if data.len() % 2 == 1 {
            out.push(0);
        }
        out
    }

    /// A WAV file at `rate` with silence, cue points `(id, sample)` and labels `(id, text)`,
    /// its cue and LIST chunks after the data (where REAPER writes them).
    pub(crate) fn wav_with_cues(rate: u32, cues: &[(u32, u32)], labels: &[(u32, &str)]) -> Vec<u8> {
        let mut fmt = Vec::new();
        fmt.extend(1u16.to_le_bytes());
        fmt.extend(1u16.to_le_bytes());
        fmt.extend(rate.to_le_bytes());
        fmt.extend((rate * 2).to_le_bytes());
        fmt.extend(2u16.to_le_bytes());
        fmt.extend(16u16.to_le_bytes());
        let mut cue = (cues.len() as u32).to_le_bytes().to_vec();
        for &(id, sample) in cues {
            for word in [id, sample] {
                cue.extend(word.to_le_bytes());
            }
            cue.extend(b"data");
            for word in [0u32, 0, sample] {
                cue.extend(word.to_le_bytes());
            }
        }
        let mut adtl = b"adtl".to_vec();
        for (id, text) in labels {
            let mut labl = id.to_le_bytes().to_vec();
            labl.extend(text.as_bytes());
            labl.push(0);
            adtl.extend(chunk(*b"labl", &labl));
        }
        let mut body = b"WAVE".to_vec();
        body.extend(chunk(*b"fmt ", &fmt));
        body.extend(chunk(*b"data", &[0u8; 200]));
        body.extend(chunk(*b"cue ", &cue));
        body.extend(chunk(*b"LIST", &adtl));
        let mut file = b"RIFF".to_vec();
        file.extend((body.len() as u32).to_le_bytes());
        file.extend(body);
        file
    }

    /// Cue points become times at the file's rate, named by their labels (an odd-length label
    /// is padded and still read; a cue point with no label has no name).
    #[test]
    fn cue_points_are_named_by_labels() {
        let bytes = wav_with_cues(
            44_100,
            &[(1, 0), (2, 441_000), (7, 22_050)],
            &[(2, "Verse"), (1, "Intro!")],
        );
        let got = parse(&bytes).unwrap();
        let names: Vec<&str> = got.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["Intro!", "Verse", ""]);
        let starts: Vec<f64> = got.iter().map(|m| m.start.0).collect();
        assert_eq!(starts, [0.0, 10.0, 0.5]);
        // fmt chunk 24 bytes at 12, data (8 + 200) at 36, cue at 244; point 2 at 244 + 12 + 24.
        assert_eq!(
            got[1].at,
            Place::Byte {
                offset: 280,
                what: "'cue ' point 2, sample 441000".into()
            }
        );
    }

    /// A cue chunk too short for its count, a chunk running past the end, a missing cue chunk
    /// and RF64 are refused with the offset and chunk.
    #[test]
    fn broken_chunks_name_their_offset() {
        let mut bytes = wav_with_cues(48_000, &[(1, 10)], &[]);
        // Announce 3 cue points in a chunk holding one.
        bytes[252..256].copy_from_slice(&3u32.to_le_bytes());
        assert_eq!(
            parse(&bytes).unwrap_err(),
            Fault::At(
                Place::Byte {
                    offset: 244,
                    what: "'cue ' chunk".into()
                },
                "the cue chunk holds 28 bytes, too few for the 3 cue points it announces (24 \
                 bytes each after a 4-byte count)"
                    .into()
            )
        );
        let mut bytes = wav_with_cues(48_000, &[(1, 10)], &[]);
        bytes[248..252].copy_from_slice(&1000u32.to_le_bytes());
        assert_eq!(
            parse(&bytes).unwrap_err(),
            Fault::At(
                Place::Byte {
                    offset: 244,
                    what: "'cue ' chunk in the RIFF file".into()
                },
                "the chunk says it holds 1000 bytes, but the file ends 40 bytes after its header"
                    .into()
            )
        );
        let bytes = wav_with_cues(48_000, &[], &[]);
        let mut no_cue = bytes[..244].to_vec();
        no_cue.extend(chunk(*b"LIST", b"INFO"));
        assert!(matches!(parse(&no_cue), Err(Fault::File(m)) if m.contains("no 'cue ' chunk")));
        let mut rf64 = bytes.clone();
        rf64[..4].copy_from_slice(b"RF64");
        assert!(matches!(parse(&rf64), Err(Fault::File(m)) if m.contains("RF64")));
    }
}
