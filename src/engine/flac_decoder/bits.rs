//! The FLAC decoder's bit reader, run where the decoder runs (creek's I/O thread, or the thread
//! that scans a stem for `earmix check`).

use super::{FrameError, FrameResult};

/// A big-endian bit reader over a byte slice with a 64-bit cache. Past the end it reads zeros;
/// [`Bits::overrun`] says whether it went there.
pub(super) struct Bits<'a> {
    data: &'a [u8],
    /// Bytes loaded into the cache (past the end included).
    pos: usize,
    /// The next bits, left-aligned; the `count` top ones are counted.
    pub(super) cache: u64,
    pub(super) count: u32,
}

impl<'a> Bits<'a> {
    pub(super) fn new(data: &'a [u8]) -> Self {
        Self {
            data,
            pos: 0,
            cache: 0,
            count: 0,
        }
    }

    /// Tops the cache up to at least 56 counted bits.
    #[inline]
    pub(super) fn refill(&mut self) {
        if let Some(word) = self.data.get(self.pos..self.pos + 8) {
            let mut w = [0u8; 8];
            w.copy_from_slice(word);
            self.cache |= u64::from_be_bytes(w) >> self.count;
            self.pos += (63 - self.count as usize) >> 3;
            self.count |= 0b11_1000;
        } else {
            self.refill_slow();
        }
    }

    #[cold]
    fn refill_slow(&mut self) {
        while self.count <= 56 {
            let b = self.data.get(self.pos).copied().unwrap_or(0);
            self.cache |= u64::from(b) << (56 - self.count);
            self.pos += 1;
            self.count += 8;
        }
    }

    /// Bits read so far.
    fn consumed(&self) -> usize {
        self.pos * 8 - self.count as usize
    }

    /// Whether more bits were read than the data holds.
    pub(super) fn overrun(&self) -> bool {
        self.consumed() > self.data.len() * 8
    }

    /// The byte after the last bit read (the reader rounded up to a byte boundary).
    pub(super) fn byte_end(&self) -> FrameResult<usize> {
        if self.overrun() {
            return Err(FrameError::Short);
        }
        Ok(self.consumed().div_ceil(8))
    }

    /// The next `n` bits (0 to 32) as an unsigned number.
    #[inline]
    pub(super) fn read(&mut self, n: u32) -> u32 {
        if self.count < n {
            self.refill();
        }
        let v = self.cache.checked_shr(64 - n).unwrap_or(0) as u32;
        self.cache = self.cache.checked_shl(n).unwrap_or(0);
        self.count -= n;
        v
    }

    /// The next `n` bits (0 to 32) as a two's complement number.
    #[inline]
    pub(super) fn read_signed(&mut self, n: u32) -> i32 {
        if n == 0 {
            return 0;
        }
        let v = self.read(n);
        ((v << (32 - n)) as i32) >> (32 - n)
    }

    /// Rice-decodes values with parameter `param` (0 to 30), each passed through `restore`, into
    /// `out` from the start, as many as decode without a quotient longer than the cache holds and
    /// with 8 bytes of data left after each; returns how many. The cache, its count and the
    /// position stay in locals meanwhile, and the cache is topped up after every value, without
    /// a branch.
    #[inline]
    pub(super) fn rice_run(
        &mut self,
        param: u32,
        out: &mut [i32],
        restore: &mut impl FnMut(i32) -> i32,
    ) -> usize {
        if self.count < 56 {
            if self.pos + 8 > self.data.len() {
                return 0;
            }
            self.refill();
        }
        let data = self.data;
        let (mut cache, mut count, mut pos) = (self.cache, self.count, self.pos);
        let mut n = 0;
        while let Some(s) = out.get_mut(n) {
            let zeros = cache.leading_zeros();
            let len = zeros + 1 + param;
            if len > count {
                break;
            }
            let cache_at_stop = cache << zeros;
            // The stop bit and the remainder after it.
            let top = (cache_at_stop >> (63 - param)) as u32;
            let v = (zeros << param).wrapping_add(top ^ (1 << param));
            *s = restore(((v >> 1) as i32) ^ -((v & 1) as i32));
            n += 1;
            cache = cache_at_stop << (param + 1);
            count -= len;
            let Some(word) = data.get(pos..pos + 8) else {
                break;
            };
            let mut w = [0u8; 8];
            w.copy_from_slice(word);
            cache |= u64::from_be_bytes(w) >> count;
            pos += (63 - count as usize) >> 3;
            count |= 0b11_1000;
        }
        (self.cache, self.count, self.pos) = (cache, count, pos);
        n
    }

    /// Counts zero bits up to the next one bit and reads past it.
    #[inline]
    pub(super) fn unary(&mut self) -> FrameResult<u32> {
        if self.count < 32 {
            self.refill();
        }
        let zeros = self.cache.leading_zeros();
        if zeros < self.count {
            self.cache <<= zeros + 1;
            self.count -= zeros + 1;
            return Ok(zeros);
        }
        self.unary_slow()
    }

    #[cold]
    fn unary_slow(&mut self) -> FrameResult<u32> {
        let mut q = 0u32;
        loop {
            let zeros = self.cache.leading_zeros().min(self.count);
            if zeros < self.count {
                self.cache <<= zeros + 1;
                self.count -= zeros + 1;
                return Ok(q + zeros);
            }
            q += self.count;
            self.cache = 0;
            self.count = 0;
            if self.pos > self.data.len() + 8 {
                return Err(FrameError::Short);
            }
            self.refill();
        }
    }
}
