//! Runs on the device's audio thread (cpal's callback thread, the null output's thread or a
//! scripted stream's thread): renders the stereo mix in chunks into preallocated planar buffers
//! and writes it into the device buffer in the device's sample format and channel layout.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::backend::{RENDER_CHUNK, Render, RendererSlot, StreamHealth};
use super::heartbeat::{CycleTimes, Heartbeat, monotonic_now};

/// A sample type a device buffer can hold.
pub trait OutputSample: Copy + Send + 'static {
    /// The format's name in [`StreamInfo::format`](super::backend::StreamInfo::format).
    const FORMAT: &'static str;
    /// Silence.
    const SILENCE: Self;
    /// Converts a mix sample, clamping to full scale (NaN becomes silence). Realtime-safe.
    fn from_f32(x: f32) -> Self;
}

impl OutputSample for f32 {
    const FORMAT: &'static str = "f32";
    const SILENCE: Self = 0.0;
    fn from_f32(x: f32) -> Self {
        if x.is_nan() { 0.0 } else { x.clamp(-1.0, 1.0) }
    }
}

impl OutputSample for i16 {
    const FORMAT: &'static str = "i16";
    const SILENCE: Self = 0;
    /// Scales by 2^15 and rounds, so -1.0 is `i16::MIN` and +1.0 clips to `i16::MAX`.
    fn from_f32(x: f32) -> Self {
        if x.is_nan() {
            return 0;
        }
        (x * 32_768.0).round().clamp(-32_768.0, 32_767.0) as i16
    }
}

impl OutputSample for i32 {
    const FORMAT: &'static str = "i32";
    const SILENCE: Self = 0;
    /// Scales by 2^31 and rounds (in f64, so nothing is lost), so -1.0 is `i32::MIN` and +1.0
    /// clips to `i32::MAX`.
    fn from_f32(x: f32) -> Self {
        if x.is_nan() {
            return 0;
        }
        (f64::from(x) * 2_147_483_648.0)
            .round()
            .clamp(-2_147_483_648.0, 2_147_483_647.0) as i32
    }
}

/// Writes planar stereo into an interleaved device buffer of `channels` channels: left and
/// right into channels 0 and 1 and silence into the rest; a mono device gets `(left + right) / 2`.
/// Writes `min(left.len(), right.len(), out.len() / channels)` frames.
///
/// Realtime-safe.
pub fn write_interleaved<S: OutputSample>(
    left: &[f32],
    right: &[f32],
    out: &mut [S],
    channels: usize,
) {
    match channels {
        0 => {}
        1 => {
            for ((o, &l), &r) in out.iter_mut().zip(left).zip(right) {
                *o = S::from_f32((l + r) * 0.5);
            }
        }
        _ => {
            for ((frame, &l), &r) in out.chunks_exact_mut(channels).zip(left).zip(right) {
                frame[0] = S::from_f32(l);
                frame[1] = S::from_f32(r);
                frame[2..].fill(S::SILENCE);
            }
        }
    }
}

/// The audio thread's half of the output: owns the renderer (in its slot) and the scratch
/// buffers, and fills device buffers.
pub struct StreamFeeder {
    renderer: RendererSlot,
    health: Arc<StreamHealth>,
    channels: usize,
    left: Box<[f32]>,
    right: Box<[f32]>,
    heartbeat: Heartbeat,
    /// The thread that called last (its pthread handle), as published to the supervisor.
    thread: Option<u64>,
    /// The parks and unparks seen (see [`StreamHealth::mark_park`]).
    parks: u64,
}

impl StreamFeeder {
    /// A feeder for a device with `channels` channels. Not realtime-safe (allocates the
    /// scratch buffers).
    pub fn new(renderer: RendererSlot, health: Arc<StreamHealth>, channels: u16) -> Self {
        Self {
            renderer,
            health,
            channels: usize::from(channels),
            left: vec![0.0; RENDER_CHUNK].into_boxed_slice(),
            right: vec![0.0; RENDER_CHUNK].into_boxed_slice(),
            heartbeat: Heartbeat::new(),
            thread: None,
            parks: 0,
        }
    }

    /// Publishes the calling thread for the supervisor to promote to realtime priority, when it
    /// is not the thread that called last time (so once per stream, unless the host moves its
    /// callbacks to another thread). Realtime-safe: `pthread_self` every time; on a new thread,
    /// a few system calls that neither block nor allocate (its kernel id and scheduling).
    fn publish_thread(&mut self) {
        #[cfg(target_os = "linux")]
        {
            let me = thread_priority::thread_native_id();
            if self.thread == Some(me) {
                return;
            }
            self.thread = Some(me);
            let info = audio_thread_priority::get_current_thread_info()
                .map(audio_thread_priority::thread_info_serialize)
                .ok();
            let mut bytes = [0u8; 32];
            if let Some(info) = info {
                for (b, i) in bytes.iter_mut().zip(info) {
                    *b = i;
                }
            }
            self.health.publish_audio_thread(me, bytes);
        }
    }

    /// The device's channel count.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Fills one interleaved device buffer (its length is frames x channels), rendering in
    /// chunks of at most [`RENDER_CHUNK`] frames, and bumps the heartbeat (counting the
    /// callback as late when it came after the audio before it ran out, unless the audio it
    /// brings is silence: a gap in silence is not heard). After the stream was
    /// parked or unparked the heartbeat starts afresh, warm-up included: the silence was wanted.
    /// A trailing partial frame, which no device should hand over, is silenced.
    ///
    /// Realtime-safe.
    pub fn fill<S: OutputSample>(&mut self, data: &mut [S]) {
        self.fill_in_cycle(data, None);
    }

    /// Fills one device buffer as [`fill`](Self::fill) does, for a host that says when the graph
    /// cycle asking for it began (`cycle`, on the monotonic clock): the heartbeat judges the
    /// callback on the host's timeline ([`Heartbeat::beat_cycle`]), with the time the audio was
    /// handed over read after rendering.
    ///
    /// Realtime-safe.
    pub fn fill_in_cycle<S: OutputSample>(&mut self, data: &mut [S], cycle: Option<Duration>) {
        let now = Instant::now();
        self.publish_thread();
        let parks = self.health.parks();
        if parks != self.parks {
            self.parks = parks;
            self.heartbeat = Heartbeat::new();
        }
        let channels = self.channels;
        if channels == 0 {
            data.fill(S::SILENCE);
            return;
        }
        let frames = data.len() / channels;
        let (whole, partial) = data.split_at_mut(frames * channels);
        partial.fill(S::SILENCE);
        let mut audible = false;
        for chunk in whole.chunks_mut(RENDER_CHUNK * channels) {
            let n = chunk.len() / channels;
            let (left, right) = (&mut self.left[..n], &mut self.right[..n]);
            self.renderer.render(left, right);
            audible = audible || left.iter().chain(right.iter()).any(|x| *x != 0.0);
            write_interleaved(left, right, chunk, channels);
        }
        self.health.record_callback(frames as u64);
        let rate = self.health.rate();
        if rate == 0 {
            return;
        }
        let times = cycle
            .zip(monotonic_now())
            .map(|(cycle, done)| CycleTimes { cycle, done });
        let gap = match times {
            Some(times) => self.heartbeat.beat_cycle(times, frames as u64, rate),
            None => self.heartbeat.beat(now, frames as u64, rate),
        };
        // The gap held back this callback's audio: when that is silence (paused, the silent
        // second before a park, a silent passage), the listener heard silence either way.
        if let Some(gap) = gap
            && audible
        {
            self.health.record_late(gap);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// Left = n, right = -n for frame n: shows where every frame and chunk went.
    struct Ramp {
        next: u32,
    }

    impl Render for Ramp {
        fn render(&mut self, left: &mut [f32], right: &mut [f32]) {
            assert_eq!(left.len(), right.len());
            assert!(left.len() <= RENDER_CHUNK);
            for (l, r) in left.iter_mut().zip(right.iter_mut()) {
                *l = self.next as f32 / 1e6;
                *r = -(self.next as f32) / 1e6;
                self.next += 1;
            }
        }
    }

    /// f32 passes through exactly inside full scale, clamps outside it, and NaN becomes 0.
    #[test]
    fn f32_conversion() {
        for x in [0.0, 0.5, -0.5, 1.0, -1.0, 0.123_456_78, f32::MIN_POSITIVE] {
            assert_eq!(f32::from_f32(x).to_bits(), x.to_bits());
        }
        assert_eq!(f32::from_f32(1.5), 1.0);
        assert_eq!(f32::from_f32(-7.0), -1.0);
        assert_eq!(f32::from_f32(f32::INFINITY), 1.0);
        assert_eq!(f32::from_f32(f32::NAN), 0.0);
    }

    /// i16 scales by 2^15 and rounds half away from zero; full scale clips to the type's range.
    #[test]
    fn i16_conversion() {
        let cases = [
            (0.0, 0),
            (1.0, i16::MAX),
            (-1.0, i16::MIN),
            (0.5, 16_384),
            (-0.5, -16_384),
            (1.0 / 32_768.0, 1),
            (1.4 / 32_768.0, 1),
            (1.5 / 32_768.0, 2),
            (-1.5 / 32_768.0, -2),
            (2.0, i16::MAX),
            (-2.0, i16::MIN),
            (f32::NAN, 0),
        ];
        for (x, want) in cases {
            assert_eq!(i16::from_f32(x), want, "{x}");
        }
    }

    /// i32 scales by 2^31 and rounds; full scale clips to the type's range.
    #[test]
    fn i32_conversion() {
        let cases = [
            (0.0, 0),
            (1.0, i32::MAX),
            (-1.0, i32::MIN),
            (0.5, 1 << 30),
            (-0.25, -(1 << 29)),
            (1.0 / 2_147_483_648.0, 1),
            (3.0, i32::MAX),
            (-3.0, i32::MIN),
            (f32::NAN, 0),
        ];
        for (x, want) in cases {
            assert_eq!(i32::from_f32(x), want, "{x}");
        }
        // A value with all 24 mantissa bits set keeps them all.
        let x = 0.999_999_94_f32;
        assert_eq!(i32::from_f32(x), (f64::from(x) * 2_147_483_648.0) as i32);
    }

    /// Mono gets the average of left and right.
    #[test]
    fn mono_mapping() {
        let (l, r) = ([1.0, 0.5, -1.0], [0.0, 0.5, 0.5]);
        let mut out = [9.0f32; 3];
        write_interleaved(&l, &r, &mut out, 1);
        assert_eq!(out, [0.5, 0.5, -0.25]);
        let mut out16 = [9i16; 3];
        write_interleaved(&l, &r, &mut out16, 1);
        assert_eq!(out16, [16_384, 16_384, -8_192]);
    }

    /// Stereo interleaves left, right.
    #[test]
    fn stereo_mapping() {
        let (l, r) = ([0.25, -0.5], [0.75, 1.0]);
        let mut out = [9.0f32; 4];
        write_interleaved(&l, &r, &mut out, 2);
        assert_eq!(out, [0.25, 0.75, -0.5, 1.0]);
        let mut out32 = [9i32; 4];
        write_interleaved(&l, &r, &mut out32, 2);
        assert_eq!(out32, [1 << 29, 3 << 29, -(1 << 30), i32::MAX]);
    }

    /// Six channels: left and right in 0 and 1, exact zeros in 2..6 (stale data overwritten).
    #[test]
    fn six_channel_mapping() {
        let (l, r) = ([0.1, 0.2], [-0.1, -0.2]);
        let mut out = [9.0f32; 12];
        write_interleaved(&l, &r, &mut out, 6);
        assert_eq!(
            out,
            [0.1, -0.1, 0.0, 0.0, 0.0, 0.0, 0.2, -0.2, 0.0, 0.0, 0.0, 0.0]
        );
        let mut out16 = [9i16; 12];
        write_interleaved(&l, &r, &mut out16, 6);
        assert_eq!(&out16[2..6], &[0; 4]);
        assert_eq!(&out16[8..12], &[0; 4]);
        assert_eq!(
            (out16[0], out16[1]),
            (i16::from_f32(0.1), i16::from_f32(-0.1))
        );
    }

    /// A buffer longer than one chunk is rendered in `RENDER_CHUNK` pieces, every frame lands in
    /// order in the right channels (6-channel device), and the heartbeat counts the frames.
    #[test]
    fn feeder_chunks_and_counts() {
        let (home, back) = mpsc::channel();
        let health = Arc::new(StreamHealth::new());
        let slot = RendererSlot::new(Box::new(Ramp { next: 0 }), home);
        let mut feeder = StreamFeeder::new(slot, Arc::clone(&health), 6);
        let frames = RENDER_CHUNK * 2 + 100;
        let mut data = vec![7.0f32; frames * 6];
        feeder.fill(&mut data);
        for (n, frame) in data.chunks_exact(6).enumerate() {
            assert_eq!(frame[0], n as f32 / 1e6, "frame {n}");
            assert_eq!(frame[1], -(n as f32) / 1e6, "frame {n}");
            assert_eq!(&frame[2..], &[0.0; 4], "frame {n}");
        }
        let c = health.counters();
        assert_eq!((c.frames, c.callbacks), (frames as u64, 1));
        drop(feeder);
        // The renderer comes home with its position: it carries on from frame `frames`.
        let mut renderer = back.try_recv().expect("renderer came home");
        let (mut l, mut r) = ([0.0; 1], [0.0; 1]);
        renderer.render(&mut l, &mut r);
        assert_eq!(l[0], frames as f32 / 1e6);
    }

    /// A callback two cycles late is counted when it brings sound, and not when it brings
    /// silence (paused, or the silent second before a park): the listener heard silence
    /// either way. Measured on a `PipeWire` null sink under load, such a count came with no gap
    /// in two recordings of the sink.
    #[test]
    fn a_late_callback_counts_only_when_it_brings_sound() {
        struct Level(f32);
        impl Render for Level {
            fn render(&mut self, left: &mut [f32], right: &mut [f32]) {
                left.fill(self.0);
                right.fill(self.0);
            }
        }
        let late_with = |level: f32| {
            let (home, _back) = mpsc::channel();
            let health = Arc::new(StreamHealth::new());
            health.set_rate(48_000);
            let slot = RendererSlot::new(Box::new(Level(level)), home);
            let mut feeder = StreamFeeder::new(slot, Arc::clone(&health), 2);
            let period = Duration::from_nanos(5_333_333);
            let mut data = vec![0.0f32; 256 * 2];
            // Cycles 0 to 9 asked on time, then 12: two cycles got nothing. (The cycles are
            // stamped from now on, so every callback finishes before its next cycle.)
            let start = monotonic_now().unwrap_or_default();
            for cycle in (0..10).chain([12, 13]) {
                feeder.fill_in_cycle(&mut data, Some(start + period * cycle));
            }
            health.counters().late
        };
        assert_eq!(late_with(0.25), 1, "sound");
        assert_eq!(late_with(0.0), 0, "silence");
    }

    /// The chunk sizes the renderer is asked for never exceed `RENDER_CHUNK` and sum to the buffer.
    #[test]
    fn feeder_chunk_sizes() {
        struct Sizes(std::sync::Arc<std::sync::Mutex<Vec<usize>>>);
        impl Render for Sizes {
            fn render(&mut self, left: &mut [f32], right: &mut [f32]) {
                left.fill(0.0);
                right.fill(0.0);
                self.0.lock().expect("lock").push(left.len());
            }
        }
        let sizes = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (home, _back) = mpsc::channel();
        let slot = RendererSlot::new(Box::new(Sizes(Arc::clone(&sizes))), home);
        let mut feeder = StreamFeeder::new(slot, Arc::new(StreamHealth::new()), 2);
        let mut data = vec![0i16; (RENDER_CHUNK * 2 + 3) * 2 + 1];
        data[RENDER_CHUNK * 4 + 6] = 5;
        feeder.fill(&mut data);
        assert_eq!(
            *sizes.lock().expect("lock"),
            vec![RENDER_CHUNK, RENDER_CHUNK, 3]
        );
        assert_eq!(data[RENDER_CHUNK * 4 + 6], 0, "partial frame silenced");
    }
}
