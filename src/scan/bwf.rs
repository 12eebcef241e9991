//! The Broadcast Wave `bext` chunk's time reference: where a stem recorded or exported from a
//! DAW begins on the session's timeline, in samples since midnight (EBU Tech 3285).

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

/// Where the time reference sits in a `bext` chunk's data: after the description (256 bytes),
/// originator (32), originator reference (32), origination date (10) and time (8).
const TIME_REFERENCE_OFFSET: u64 = 338;

/// The `bext` time reference of a WAV (or RF64/BW64) file: the number of samples, at the
/// file's rate, from midnight to its first sample. `None` for a file that is not WAV or has no
/// `bext` chunk (or one too short to hold the reference).
///
/// Not realtime-safe (file I/O).
pub fn time_reference(path: &Path) -> io::Result<Option<u64>> {
    let mut file = BufReader::new(File::open(path)?);
    let mut header = [0u8; 12];
    if file.read_exact(&mut header).is_err() {
        return Ok(None);
    }
    let riff = matches!(&header[0..4], b"RIFF" | b"RF64" | b"BW64");
    if !riff || &header[8..12] != b"WAVE" {
        return Ok(None);
    }
    loop {
        let mut chunk = [0u8; 8];
        if file.read_exact(&mut chunk).is_err() {
            return Ok(None);
        }
        let size = u64::from(u32::from_le_bytes([chunk[4], chunk[5], chunk[6], chunk[7]]));
        if &chunk[0..4] == b"bext" {
            if size < TIME_REFERENCE_OFFSET + 8 {
                return Ok(None);
            }
            file.seek_relative(TIME_REFERENCE_OFFSET as i64)?;
            let mut low_high = [0u8; 8];
            file.read_exact(&mut low_high)?;
            return Ok(Some(u64::from_le_bytes(low_high)));
        }
        // An RF64 data chunk's size is in its ds64 chunk; the bext chunk comes before the
        // data in the files DAWs write, so the search ends here.
        if &chunk[0..4] == b"data" && size == u64::from(u32::MAX) {
            return Ok(None);
        }
        // Chunks are padded to an even length.
        let skip = size + (size & 1);
        let here = file.stream_position()?;
        file.seek(SeekFrom::Start(here + skip))?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A chunk: id, little-endian size, data, a pad byte after odd-sized data.
    fn chunk(id: [u8; 4], data: &[u8]) -> Vec<u8> {
        let mut out = id.to_vec();
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(data);
        if data.len() % 2 == 1 {
            out.push(0);
        }
        out
    }

    fn wav(chunks: &[Vec<u8>]) -> Vec<u8> {
        let body: Vec<u8> = chunks.concat();
        let mut out = b"RIFF".to_vec();
        out.extend_from_slice(&(body.len() as u32 + 4).to_le_bytes());
        out.extend_from_slice(b"WAVE");
        out.extend_from_slice(&body);
        out
    }

    /// The reference is read from a bext chunk after other (odd-sized) chunks, as 64 bits; a
    /// file without bext, a short bext and a file that is not WAV have none.
    #[test]
    fn reads_the_time_reference() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.wav");
        let reference: u64 = 48_000 * 3600 * 10 + 5 + (1 << 33);
        let mut bext = vec![0u8; 602];
        bext[338..346].copy_from_slice(&reference.to_le_bytes());
        let fmt = chunk(*b"fmt ", &[0; 16]);
        let junk = chunk(*b"JUNK", &[1, 2, 3]);
        std::fs::write(
            &path,
            wav(&[
                junk.clone(),
                fmt.clone(),
                chunk(*b"bext", &bext),
                chunk(*b"data", &[0; 4]),
            ]),
        )
        .unwrap();
        assert_eq!(time_reference(&path).unwrap(), Some(reference));
        std::fs::write(&path, wav(&[fmt.clone(), chunk(*b"data", &[0; 4])])).unwrap();
        assert_eq!(time_reference(&path).unwrap(), None);
        std::fs::write(&path, wav(&[junk, chunk(*b"bext", &[0; 100]), fmt])).unwrap();
        assert_eq!(time_reference(&path).unwrap(), None);
        std::fs::write(&path, b"fLaC and more").unwrap();
        assert_eq!(time_reference(&path).unwrap(), None);
        assert!(time_reference(&dir.path().join("gone.wav")).is_err());
    }
}
