//! The checksums of FLAC frames (CRC-8 of a header, CRC-16 of a whole frame), computed where
//! the decoder runs (creek's I/O thread, or the thread that scans a stem for `earmix check`).

/// CRC-8 of a frame header (polynomial x^8 + x^2 + x + 1).
pub(super) fn crc8(data: &[u8]) -> u8 {
    let mut crc = 0u8;
    for &b in data {
        crc ^= b;
        for _ in 0..8 {
            crc = if crc & 0x80 != 0 {
                (crc << 1) ^ 0x07
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// Bytes the CRC-16 takes at a time, one table each.
const SLICES: usize = 16;

/// Tables for CRC-16 (polynomial x^16 + x^15 + x^2 + 1) [`SLICES`] bytes at a time: table `k`
/// gives the CRC of a byte followed by `k` zero bytes.
const CRC16_TABLES: [[u16; 256]; SLICES] = {
    let mut t = [[0u16; 256]; SLICES];
    let mut i = 0;
    while i < 256 {
        let mut crc = (i as u16) << 8;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x8005
            } else {
                crc << 1
            };
            bit += 1;
        }
        t[0][i] = crc;
        i += 1;
    }
    let mut k = 1;
    while k < SLICES {
        let mut i = 0;
        while i < 256 {
            let prev = t[k - 1][i];
            t[k][i] = (prev << 8) ^ t[0][(prev >> 8) as usize];
            i += 1;
        }
        k += 1;
    }
    t
};

/// CRC-16 of a whole frame but its last two bytes.
pub(super) fn crc16(data: &[u8]) -> u16 {
    let t = &CRC16_TABLES;
    let mut crc = 0u16;
    let mut chunks = data.chunks_exact(SLICES);
    for c in &mut chunks {
        // The CRC so far is the first two bytes' to fold in; each byte then goes through the
        // table of the zero bytes that follow it.
        let [hi, lo] = crc.to_be_bytes();
        crc = t[SLICES - 1][usize::from(hi ^ c[0])] ^ t[SLICES - 2][usize::from(lo ^ c[1])];
        for (k, &b) in c.iter().enumerate().skip(2) {
            crc ^= t[SLICES - 1 - k][usize::from(b)];
        }
    }
    for &b in chunks.remainder() {
        crc = (crc << 8) ^ t[0][usize::from((crc >> 8) as u8 ^ b)];
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sixteen-bytes-at-a-time CRC-16 equals the bit-by-bit definition, for every length
    /// around the sixteen-byte steps.
    #[test]
    fn crc16_matches_the_bitwise_definition() {
        let data: Vec<u8> = (0..100u32).map(|i| (i * 37 + 11) as u8).collect();
        for len in 0..data.len() {
            let mut want = 0u16;
            for &b in &data[..len] {
                want ^= u16::from(b) << 8;
                for _ in 0..8 {
                    want = if want & 0x8000 != 0 {
                        (want << 1) ^ 0x8005
                    } else {
                        want << 1
                    };
                }
            }
            assert_eq!(crc16(&data[..len]), want, "{len}");
        }
    }
}
