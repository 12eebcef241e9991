//! A FLAC subframe's decoding, run where the decoder runs (creek's I/O thread, or the thread
//! that scans a stem for `earmix check`): warm-up samples, the Rice-coded residual, and the fixed
//! and LPC predictors that restore the samples from it.

use super::bits::Bits;
use super::{FrameError, FrameResult};

/// Reads one subframe of `bits` bits per sample into `out` (the frame's length).
pub(super) fn read_subframe(bits: &mut Bits, sample_bits: u32, out: &mut [i32]) -> FrameResult<()> {
    if bits.read(1) != 0 {
        return Err(FrameError::Bad("a subframe's padding bit is set"));
    }
    let kind = bits.read(6);
    let wasted = if bits.read(1) == 1 {
        bits.unary()? + 1
    } else {
        0
    };
    if wasted >= sample_bits {
        return Err(FrameError::Bad("a subframe wastes all its bits"));
    }
    let b = sample_bits - wasted;
    match kind {
        0 => out.fill(bits.read_signed(b)),
        1 => {
            for s in out.iter_mut() {
                *s = bits.read_signed(b);
            }
        }
        8..=12 => {
            let order = (kind - 8) as usize;
            read_warmup(bits, b, order, out)?;
            read_residual(bits, order, out)?;
            restore_fixed(order, out);
        }
        32..=63 => {
            let order = (kind - 31) as usize;
            read_warmup(bits, b, order, out)?;
            let precision = bits.read(4) + 1;
            if precision == 16 {
                return Err(FrameError::Bad("an LPC precision of 16 bits (reserved)"));
            }
            let shift = bits.read_signed(5);
            let Ok(shift) = u32::try_from(shift) else {
                return Err(FrameError::Bad("a negative LPC shift"));
            };
            let mut coefs = [0i32; 32];
            for c in &mut coefs[..order] {
                *c = bits.read_signed(precision);
            }
            read_residual(bits, order, out)?;
            restore_lpc(&coefs[..order], shift, b, out);
        }
        _ => return Err(FrameError::Bad("a subframe of a reserved type")),
    }
    if bits.overrun() {
        return Err(FrameError::Short);
    }
    if wasted > 0 {
        for s in out.iter_mut() {
            *s = s.wrapping_shl(wasted);
        }
    }
    Ok(())
}

fn read_warmup(bits: &mut Bits, b: u32, order: usize, out: &mut [i32]) -> FrameResult<()> {
    if order > out.len() {
        return Err(FrameError::Bad("a predictor order longer than the block"));
    }
    for s in &mut out[..order] {
        *s = bits.read_signed(b);
    }
    Ok(())
}

/// Reads the Rice-coded residual of a block whose first `order` samples are warm-up, into
/// `out[order..]`.
fn read_residual(bits: &mut Bits, order: usize, out: &mut [i32]) -> FrameResult<()> {
    let (param_bits, escape) = match bits.read(2) {
        0 => (4, 15),
        1 => (5, 31),
        _ => return Err(FrameError::Bad("a residual coded in a reserved way")),
    };
    let partition_order = bits.read(4);
    let partitions = 1usize << partition_order;
    let per = out.len() >> partition_order;
    if per << partition_order != out.len() || per < order {
        return Err(FrameError::Bad(
            "residual partitions that do not fit the block",
        ));
    }
    let mut start = order;
    for p in 0..partitions {
        let end = (p + 1) * per;
        let part = &mut out[start..end];
        let param = bits.read(param_bits);
        if param == escape {
            let raw = bits.read(5);
            for s in part.iter_mut() {
                *s = bits.read_signed(raw);
            }
        } else {
            read_rice(bits, param, part)?;
        }
        if bits.overrun() {
            return Err(FrameError::Short);
        }
        start = end;
    }
    Ok(())
}

/// Rice-decodes `out.len()` signed values with parameter `param` (0 to 30): runs of
/// [`Bits::rice_run`], and one value at a time where it stops (a quotient longer than its cache,
/// or the last bytes of the data).
#[inline]
fn read_rice(bits: &mut Bits, param: u32, out: &mut [i32]) -> FrameResult<()> {
    let mut done = 0;
    while done < out.len() {
        done += bits.rice_run(param, &mut out[done..]);
        if let Some(s) = out.get_mut(done) {
            *s = read_rice_one(bits, param)?;
            done += 1;
        }
    }
    Ok(())
}

/// Rice-decodes one signed value with parameter `param` (0 to 30), however long its quotient.
fn read_rice_one(bits: &mut Bits, param: u32) -> FrameResult<i32> {
    if bits.count < 40 {
        bits.refill();
    }
    let zeros = bits.cache.leading_zeros();
    let len = zeros + 1 + param;
    let v = if len <= bits.count {
        // The quotient, its stop bit and the remainder are all in the cache.
        let rest = bits.cache << zeros << 1;
        let r = ((rest >> 1) >> (63 - param)) as u32;
        bits.cache = rest << param;
        bits.count -= len;
        (zeros << param) | r
    } else {
        let q = bits.unary()?;
        q.wrapping_shl(param) | bits.read(param)
    };
    Ok(((v >> 1) as i32) ^ -((v & 1) as i32))
}

/// Adds the fixed predictor of `order` (0 to 4) to the residual after the warm-up samples.
fn restore_fixed(order: usize, out: &mut [i32]) {
    match order {
        1 => {
            for i in 1..out.len() {
                out[i] = out[i].wrapping_add(out[i - 1]);
            }
        }
        2 => {
            for i in 2..out.len() {
                let p = out[i - 1].wrapping_mul(2).wrapping_sub(out[i - 2]);
                out[i] = out[i].wrapping_add(p);
            }
        }
        3 => {
            for i in 3..out.len() {
                let p = out[i - 1]
                    .wrapping_sub(out[i - 2])
                    .wrapping_mul(3)
                    .wrapping_add(out[i - 3]);
                out[i] = out[i].wrapping_add(p);
            }
        }
        4 => {
            for i in 4..out.len() {
                let p = out[i - 1]
                    .wrapping_add(out[i - 3])
                    .wrapping_mul(4)
                    .wrapping_sub(out[i - 2].wrapping_mul(6))
                    .wrapping_sub(out[i - 4]);
                out[i] = out[i].wrapping_add(p);
            }
        }
        _ => {}
    }
}

/// Adds the LPC prediction (`coefs[0]` weighs the previous sample) to the residual after the
/// warm-up samples. 32-bit sums where the coefficients and `b`-bit samples cannot overflow one,
/// 64-bit otherwise.
fn restore_lpc(coefs: &[i32], shift: u32, b: u32, out: &mut [i32]) {
    let order = coefs.len();
    let weight: i64 = coefs.iter().map(|&c| i64::from(c).abs()).sum();
    // At most 32 coefficients of 15 bits and 25-bit samples: no overflow of the i64.
    let narrow = (weight << (b - 1)) < 1 << 31;
    // The coefficients reversed, so that they line up with the samples they weigh.
    macro_rules! run {
        ($n:literal) => {{
            let mut c = [0i32; $n];
            for (dst, &src) in c[$n - order..].iter_mut().zip(coefs.iter().rev()) {
                *dst = src;
            }
            if narrow {
                lpc_narrow::<$n>(&c, order, shift, out);
            } else {
                lpc_wide::<$n>(&c, order, shift, out);
            }
        }};
    }
    match order {
        0 => {}
        1..=2 => run!(2),
        3..=4 => run!(4),
        5..=8 => run!(8),
        9..=12 => run!(12),
        13..=16 => run!(16),
        _ => run!(32),
    }
}

/// LPC restore with 32-bit sums over a window of `N` samples (`c` zero-padded at the front).
#[inline]
fn lpc_narrow<const N: usize>(c: &[i32; N], order: usize, shift: u32, out: &mut [i32]) {
    // The first samples, before a whole window of N exists.
    let head = N.min(out.len());
    for i in order..head {
        let p = c[N - order..]
            .iter()
            .zip(&out[i - order..i])
            .fold(0i32, |acc, (&c, &s)| acc.wrapping_add(c.wrapping_mul(s)));
        out[i] = out[i].wrapping_add(p >> shift);
    }
    for i in head..out.len() {
        let window: &[i32; N] = out[i - N..i].try_into().unwrap_or(&[0; N]);
        let mut p = 0i32;
        for j in 0..N {
            p = p.wrapping_add(c[j].wrapping_mul(window[j]));
        }
        out[i] = out[i].wrapping_add(p >> shift);
    }
}

/// LPC restore with 64-bit sums: see [`lpc_narrow`].
#[inline]
fn lpc_wide<const N: usize>(c: &[i32; N], order: usize, shift: u32, out: &mut [i32]) {
    let head = N.min(out.len());
    for i in order..head {
        let p = c[N - order..]
            .iter()
            .zip(&out[i - order..i])
            .fold(0i64, |acc, (&c, &s)| {
                acc.wrapping_add(i64::from(c) * i64::from(s))
            });
        out[i] = out[i].wrapping_add((p >> shift) as i32);
    }
    for i in head..out.len() {
        let window: &[i32; N] = out[i - N..i].try_into().unwrap_or(&[0; N]);
        let mut p = 0i64;
        for j in 0..N {
            p = p.wrapping_add(i64::from(c[j]) * i64::from(window[j]));
        }
        out[i] = out[i].wrapping_add((p >> shift) as i32);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A big-endian bit writer for the tests' Rice coding.
    #[derive(Default)]
    struct Writer {
        bytes: Vec<u8>,
        bits: usize,
    }

    impl Writer {
        fn bit(&mut self, one: bool) {
            if self.bits.is_multiple_of(8) {
                self.bytes.push(0);
            }
            if one {
                *self.bytes.last_mut().unwrap() |= 0x80 >> (self.bits % 8);
            }
            self.bits += 1;
        }

        fn rice(&mut self, param: u32, value: i32) {
            let v = ((value << 1) ^ (value >> 31)) as u32;
            for _ in 0..v >> param {
                self.bit(false);
            }
            self.bit(true);
            for k in (0..param).rev() {
                self.bit(v >> k & 1 == 1);
            }
        }
    }

    /// Rice runs decode what a bit-by-bit coder wrote, for every parameter from 0 to 30, with
    /// quotients from 0 to past the 64-bit cache, runs of any length, and values right at the end
    /// of the data (where the runs stop and single values take over); every bit is read, no more.
    #[test]
    fn rice_decodes_what_a_bitwise_coder_writes() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for param in 0..=30u32 {
            for len in [1usize, 2, 3, 7, 64, 333] {
                let mut w = Writer::default();
                let values: Vec<i32> = (0..len)
                    .map(|i| {
                        let r = next();
                        // Mostly quotients of 0 to 7, some up to 120 (past the cache).
                        let q = if i % 17 == 5 { r % 121 } else { r % 8 } as u32;
                        let v = (q << param | (r >> 32) as u32 & ((1u32 << param) - 1)) as i32;
                        let v = v & 0x7FFF_FFFF;
                        (v >> 1) ^ -(v & 1)
                    })
                    .collect();
                for &v in &values {
                    w.rice(param, v);
                }
                let mut got = vec![0i32; len];
                let mut bits = Bits::new(&w.bytes);
                read_rice(&mut bits, param, &mut got).unwrap();
                assert_eq!(got, values, "param {param}, {len} values");
                assert!(!bits.overrun(), "param {param}, {len} values");
                assert_eq!(
                    bits.byte_end().unwrap(),
                    w.bits.div_ceil(8),
                    "param {param}, {len} values"
                );
            }
        }
    }
}
