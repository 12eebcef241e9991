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
            read_residual(bits, order, out, &mut |r| r)?;
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
            read_lpc_residual(bits, &coefs[..order], shift, b, out)?;
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
/// `out[order..]`, each value passed through `restore` in order.
fn read_residual(
    bits: &mut Bits,
    order: usize,
    out: &mut [i32],
    restore: &mut impl FnMut(i32) -> i32,
) -> FrameResult<()> {
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
                *s = restore(bits.read_signed(raw));
            }
        } else {
            read_rice(bits, param, part, restore)?;
        }
        if bits.overrun() {
            return Err(FrameError::Short);
        }
        start = end;
    }
    Ok(())
}

/// Rice-decodes `out.len()` signed values with parameter `param` (0 to 30), each passed through
/// `restore`: runs of [`Bits::rice_run`], and one value at a time where it stops (a quotient
/// longer than its cache, or the last bytes of the data).
#[inline]
fn read_rice(
    bits: &mut Bits,
    param: u32,
    out: &mut [i32],
    restore: &mut impl FnMut(i32) -> i32,
) -> FrameResult<()> {
    let mut done = 0;
    while done < out.len() {
        done += bits.rice_run(param, &mut out[done..], restore);
        if let Some(s) = out.get_mut(done) {
            *s = restore(read_rice_one(bits, param)?);
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

/// Reads the residual of an LPC subframe (`coefs[0]` weighs the previous sample) after its
/// warm-up samples in `out`, and restores the samples. Up to order 4 each sample is restored as
/// its residual is decoded, from the last samples kept in registers, so that the work of the
/// Rice decoding overlaps the chain from one sample to the next; longer predictors restore the
/// block after its residual (restored while decoding, order 8 was slower).
fn read_lpc_residual(
    bits: &mut Bits,
    coefs: &[i32],
    shift: u32,
    b: u32,
    out: &mut [i32],
) -> FrameResult<()> {
    let order = coefs.len();
    if order > 4 {
        read_residual(bits, order, out, &mut |r| r)?;
        restore_lpc(coefs, shift, b, out);
        return Ok(());
    }
    macro_rules! run {
        ($n:literal) => {{
            let warm = &out[..order];
            if narrow(coefs, b) {
                let mut lpc = lpc_step::<$n, i32>(coefs, shift, warm);
                read_residual(bits, order, out, &mut lpc)
            } else {
                let mut lpc = lpc_step::<$n, i64>(coefs, shift, warm);
                read_residual(bits, order, out, &mut lpc)
            }
        }};
    }
    match order {
        0 => read_residual(bits, order, out, &mut |r| r),
        1..=2 => run!(2),
        _ => run!(4),
    }
}

/// The sum of an LPC prediction: `i32` where it cannot overflow, `i64` where it can.
trait LpcSum: Copy + Default {
    fn from_sample(s: i32) -> Self;
    /// `self + c * s`, wrapping as the whole-block restore does.
    fn mul_add(self, c: Self, s: Self) -> Self;
    /// The sum shifted right by `shift`, as the `i32` added to the residual.
    fn shifted(self, shift: u32) -> i32;
}

impl LpcSum for i32 {
    fn from_sample(s: i32) -> Self {
        s
    }
    #[inline]
    fn mul_add(self, c: Self, s: Self) -> Self {
        self.wrapping_add(c.wrapping_mul(s))
    }
    #[inline]
    fn shifted(self, shift: u32) -> i32 {
        self >> shift
    }
}

impl LpcSum for i64 {
    fn from_sample(s: i32) -> Self {
        i64::from(s)
    }
    #[inline]
    fn mul_add(self, c: Self, s: Self) -> Self {
        self.wrapping_add(c * s)
    }
    #[inline]
    fn shifted(self, shift: u32) -> i32 {
        (self >> shift) as i32
    }
}

/// A sample at a time, the LPC restore of [`restore_lpc`]: given the next residual, returns the
/// next sample, keeping the last `N` samples (`warm`, the warm-up samples, to start with; `N` is
/// at least their count) in a window of its own.
#[inline]
fn lpc_step<const N: usize, T: LpcSum>(
    coefs: &[i32],
    shift: u32,
    warm: &[i32],
) -> impl FnMut(i32) -> i32 + use<N, T> {
    // The coefficients reversed and zero-padded at the front, lined up with the window.
    let mut c = [T::default(); N];
    for (dst, &src) in c[N - coefs.len()..].iter_mut().zip(coefs.iter().rev()) {
        *dst = T::from_sample(src);
    }
    let mut window = [T::default(); N];
    for (dst, &src) in window[N - warm.len()..].iter_mut().zip(warm) {
        *dst = T::from_sample(src);
    }
    move |residual| {
        let mut p = T::default();
        for j in 0..N {
            p = p.mul_add(c[j], window[j]);
        }
        let s = residual.wrapping_add(p.shifted(shift));
        window.copy_within(1.., 0);
        window[N - 1] = T::from_sample(s);
        s
    }
}

/// Whether an LPC prediction of `b`-bit samples with these coefficients fits 32-bit sums.
fn narrow(coefs: &[i32], b: u32) -> bool {
    let weight: i64 = coefs.iter().map(|&c| i64::from(c).abs()).sum();
    // At most 32 coefficients of 15 bits and 25-bit samples: no overflow of the i64.
    (weight << (b - 1)) < 1 << 31
}

/// Adds the LPC prediction (`coefs[0]` weighs the previous sample) to the residual after the
/// warm-up samples. 32-bit sums where the coefficients and `b`-bit samples cannot overflow one,
/// 64-bit otherwise.
fn restore_lpc(coefs: &[i32], shift: u32, b: u32, out: &mut [i32]) {
    let order = coefs.len();
    let narrow = narrow(coefs, b);
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

        fn bits(&mut self, n: u32, value: u32) {
            for k in (0..n).rev() {
                self.bit(value >> k & 1 == 1);
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
                read_rice(&mut bits, param, &mut got, &mut |r| r).unwrap();
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

    /// The LPC restore done as the residual is decoded equals the restore of the whole block
    /// after it (the one the tests against symphonia cover), for every order from 1 to 32 with
    /// 32-bit and 64-bit sums, over blocks of several partitions, some of them escaped (raw
    /// values), and odd block lengths.
    #[test]
    fn lpc_restored_while_decoding_equals_the_block_restore() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let (mut cases, mut narrow_cases) = (0, 0);
        for order in 1..=32usize {
            for (b, precision) in [(8u32, 4u32), (16, 12), (24, 15), (25, 15)] {
                for (len, partition_order) in [(4_096usize, 0u32), (1_152, 3), (296, 3), (97, 0)] {
                    if len >> partition_order < order {
                        continue;
                    }
                    let coefs: Vec<i32> = (0..order)
                        .map(|_| {
                            let c = (next() >> 40) as i32 & ((1 << precision) - 1);
                            (c - (1 << (precision - 1))) >> (next() % 4)
                        })
                        .collect();
                    let shift = (next() % 16) as u32;
                    let mut w = Writer::default();
                    w.bits(2, 0);
                    w.bits(4, partition_order);
                    let per = len >> partition_order;
                    for p in 0..1usize << partition_order {
                        let n = if p == 0 { per - order } else { per };
                        if p % 3 == 2 {
                            // An escaped partition of 9-bit raw values.
                            w.bits(4, 15);
                            w.bits(5, 9);
                            for _ in 0..n {
                                w.bits(9, next() as u32 & 0x1FF);
                            }
                        } else {
                            let param = (next() % 12) as u32;
                            w.bits(4, param);
                            for _ in 0..n {
                                w.rice(param, (next() >> 33) as i32 >> (20 - param));
                            }
                        }
                    }
                    let mut warm = vec![0i32; len];
                    for s in &mut warm[..order] {
                        *s = (next() >> 32) as i32 >> (32 - b);
                    }
                    let mut block = warm.clone();
                    read_residual(&mut Bits::new(&w.bytes), order, &mut block, &mut |r| r).unwrap();
                    restore_lpc(&coefs, shift, b, &mut block);
                    let mut fused = warm;
                    read_lpc_residual(&mut Bits::new(&w.bytes), &coefs, shift, b, &mut fused)
                        .unwrap();
                    assert!(
                        fused == block,
                        "order {order}, {b} bits, {len} samples, partition order {partition_order}"
                    );
                    cases += 1;
                    narrow_cases += usize::from(narrow(&coefs, b));
                }
            }
        }
        assert!(cases > 400 && narrow_cases > 20, "{cases} {narrow_cases}");
    }
}
