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

/// Below this many bytes the CRC-16 is not split in two.
const SPLIT: usize = 512;

/// CRC-16 of a whole frame but its last two bytes. A long frame is taken as two halves side by
/// side, so that the two chains of table look-ups overlap, and the first half's CRC is then
/// carried past the second (the CRC, with no initial value or final XOR, is linear).
pub(super) fn crc16(data: &[u8]) -> u16 {
    if data.len() < SPLIT {
        return crc16_on(0, data);
    }
    let (first, second) = data.split_at(data.len() / 2 / SLICES * SLICES);
    let (mut a, mut b) = (0u16, 0u16);
    for (x, y) in first.as_chunks().0.iter().zip(second.as_chunks().0) {
        a = crc16_step(a, x);
        b = crc16_step(b, y);
    }
    b = crc16_on(b, &second[first.len()..]);
    mul_mod(a, x_pow_8n(second.len())) ^ b
}

/// The CRC-16 so far, `crc`, carried on over `data`.
fn crc16_on(mut crc: u16, data: &[u8]) -> u16 {
    let t = &CRC16_TABLES;
    let (chunks, rest) = data.as_chunks();
    for c in chunks {
        crc = crc16_step(crc, c);
    }
    for &b in rest {
        crc = (crc << 8) ^ t[0][usize::from((crc >> 8) as u8 ^ b)];
    }
    crc
}

/// The CRC-16 so far, `crc`, carried on over [`SLICES`] bytes.
#[inline]
fn crc16_step(crc: u16, c: &[u8; SLICES]) -> u16 {
    let t = &CRC16_TABLES;
    // The CRC so far is the first two bytes' to fold in; each byte then goes through the table
    // of the zero bytes that follow it.
    let [hi, lo] = crc.to_be_bytes();
    let mut crc = t[SLICES - 1][usize::from(hi ^ c[0])] ^ t[SLICES - 2][usize::from(lo ^ c[1])];
    for (k, &b) in c.iter().enumerate().skip(2) {
        crc ^= t[SLICES - 1 - k][usize::from(b)];
    }
    crc
}

/// `a * b` modulo the CRC-16 polynomial, as polynomials over GF(2).
fn mul_mod(a: u16, b: u16) -> u16 {
    let mut r = 0u16;
    for i in (0..16).rev() {
        r = if r & 0x8000 != 0 {
            (r << 1) ^ 0x8005
        } else {
            r << 1
        };
        if b >> i & 1 == 1 {
            r ^= a;
        }
    }
    r
}

/// x^(8n) modulo the CRC-16 polynomial: what `n` zero bytes after a message multiply its CRC by.
fn x_pow_8n(mut n: usize) -> u16 {
    let (mut result, mut base) = (1u16, 1u16 << 8);
    while n > 0 {
        if n & 1 == 1 {
            result = mul_mod(result, base);
        }
        base = mul_mod(base, base);
        n >>= 1;
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sixteen-bytes-at-a-time CRC-16, split in two halves past 512 bytes, equals the
    /// bit-by-bit definition, for every length around the sixteen-byte steps and the split.
    #[test]
    fn crc16_matches_the_bitwise_definition() {
        let data: Vec<u8> = (0..1_100u32).map(|i| (i * 37 + 11) as u8).collect();
        for len in (0..100).chain(490..560).chain(1_000..1_100) {
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
