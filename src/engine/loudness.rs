//! Master loudness and true peak for playback, measured on the loudness thread
//! ("earmix-loudness"); its handle, [`LoudnessMeter`], lives on the UI thread.
//!
//! The audio callback pushes the master bus (interleaved stereo `f32`) into the ring made by
//! [`master_ring`] and never waits for it. The loudness thread wakes every ~15 ms (every 250 ms
//! while the output is parked and nothing can arrive; the first command wakes it at once),
//! drains what has arrived in chunks, feeds EBU R 128 / ITU-R BS.1770 measurement (the `ebur128` crate, histogram
//! mode so memory stays bounded however long the session runs) and publishes the figures. The
//! UI thread reads the latest figures with [`LoudnessMeter::reading`]; the only lock between the
//! two threads guards a copy of those figures, never the measuring itself, and the audio thread
//! never touches it.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use ebur128::{EbuR128, Mode};
use rtrb::{Consumer, Producer, RingBuffer};

use super::output::ParkGate;
use crate::units::Decibels;

/// The master bus is stereo, interleaved in the ring.
const CHANNELS: usize = 2;

/// How much audio the master ring holds: the loudness thread may fall this far behind.
const RING_SECONDS: usize = 2;

/// How long the loudness thread sleeps when the ring has little waiting.
const POLL_INTERVAL: Duration = Duration::from_millis(15);

/// How long it sleeps while the output is parked and its ring is empty (nothing is played until
/// a command wakes the output, and [`LoudnessMeter::wake`] then wakes this thread too).
const PARKED_POLL_INTERVAL: Duration = Duration::from_millis(250);

/// The most frames handed to `ebur128` in one call (and the size of the copy buffer).
const CHUNK_FRAMES: usize = 4096;

/// What the meter measures. `HISTOGRAM` keeps integrated loudness and loudness range in fixed-size
/// histograms instead of an ever-growing list of blocks.
const MODE: Mode = Mode::M
    .union(Mode::S)
    .union(Mode::I)
    .union(Mode::LRA)
    .union(Mode::TRUE_PEAK)
    .union(Mode::HISTOGRAM);

/// Makes the master ring: the audio thread keeps the producer (`to_loudness`) and pushes the
/// master bus into it, interleaved stereo; [`LoudnessMeter::spawn`] takes the consumer. It holds
/// about 2 s of audio at `sample_rate`.
///
/// Not realtime-safe (allocates): make it before the stream starts.
pub fn master_ring(sample_rate: u32) -> (Producer<f32>, Consumer<f32>) {
    RingBuffer::new(sample_rate.max(1) as usize * CHANNELS * RING_SECONDS)
}

/// The latest figures of the master loudness meter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoudnessReading {
    /// Momentary loudness (the last 400 ms), LUFS; `-inf` when those 400 ms were digital silence
    /// or before 400 ms of audio have been measured since the start or the last reset.
    pub momentary_lufs: f64,
    /// Short-term loudness (the last 3 s), LUFS; `-inf` when those 3 s were digital silence or
    /// before 3 s of audio have been measured since the start or the last reset.
    pub short_term_lufs: f64,
    /// Integrated (gated) loudness since the start or the last reset, LUFS; `-inf` until a
    /// 400 ms block passes the gates.
    pub integrated_lufs: f64,
    /// Loudness range (EBU Tech 3342) since the start or the last reset, LU; 0 until there is
    /// enough short-term history to tell.
    pub loudness_range_lu: f64,
    /// Highest true peak (4x oversampled) of either channel since the start or the last reset,
    /// dBTP; `-inf` when nothing but silence has been measured.
    pub true_peak_dbtp: f64,
    /// Highest true peak of either channel measured since the previous
    /// [`LoudnessMeter::reading`] call, dBTP; `-inf` when there was none. Resets do not clear it.
    pub true_peak_recent_dbtp: f64,
    /// Frames (one sample per channel) measured since the start or the last reset.
    pub frames_measured: u64,
}

impl LoudnessReading {
    /// Before anything has been measured.
    pub const NOTHING: Self = Self {
        momentary_lufs: f64::NEG_INFINITY,
        short_term_lufs: f64::NEG_INFINITY,
        integrated_lufs: f64::NEG_INFINITY,
        loudness_range_lu: 0.0,
        true_peak_dbtp: f64::NEG_INFINITY,
        true_peak_recent_dbtp: f64::NEG_INFINITY,
        frames_measured: 0,
    };
}

/// What the loudness match of the mix and the reference is based on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchBasis {
    /// Integrated loudness over the span both have played (once both have 3 s of it).
    Integrated,
    /// Short-term loudness (the last 3 s), until the integrated figures are there.
    ShortTerm,
}

/// The loudness match of the mix and the reference: the louder one is turned down by the
/// difference, so neither wins the comparison by being louder. One gain is always 0 dB.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoudnessMatch {
    /// Gain on the mix, dB (0 or below).
    pub mix_db: f64,
    /// Gain on the reference, dB (0 or below).
    pub reference_db: f64,
    /// What the difference was measured on.
    pub basis: MatchBasis,
}

/// The most either side is turned down to match: beyond this one of them is silence or noise.
pub const MAX_MATCH_DB: f64 = 40.0;

/// How much integrated loudness both must have measured before the match uses it, seconds.
const INTEGRATED_AFTER_SECONDS: f64 = 3.0;

/// Matches the mix's loudness to the reference's: integrated loudness over the played span
/// when both have measured at least 3 s of it, else short-term loudness, else nothing (`None`:
/// silence or too little audio yet). The louder one is turned down by the difference (at most
/// [`MAX_MATCH_DB`]). `sample_rate` turns the frame counts into seconds.
pub fn match_loudness(
    mix: &LoudnessReading,
    reference: &LoudnessReading,
    sample_rate: u32,
) -> Option<LoudnessMatch> {
    let enough = |r: &LoudnessReading| {
        r.frames_measured as f64 >= INTEGRATED_AFTER_SECONDS * f64::from(sample_rate.max(1))
            && r.integrated_lufs.is_finite()
    };
    let (difference, basis) = if enough(mix) && enough(reference) {
        (
            mix.integrated_lufs - reference.integrated_lufs,
            MatchBasis::Integrated,
        )
    } else if mix.short_term_lufs.is_finite() && reference.short_term_lufs.is_finite() {
        (
            mix.short_term_lufs - reference.short_term_lufs,
            MatchBasis::ShortTerm,
        )
    } else {
        return None;
    };
    let difference = difference.clamp(-MAX_MATCH_DB, MAX_MATCH_DB);
    Some(LoudnessMatch {
        mix_db: (-difference).min(0.0),
        reference_db: difference.min(0.0),
        basis,
    })
}

/// The UI thread's handle on the loudness thread. Dropping it stops and joins the thread.
#[derive(Debug)]
pub struct LoudnessMeter {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl LoudnessMeter {
    /// Starts the loudness thread ("earmix-loudness"), which measures the interleaved stereo
    /// audio arriving in `ring` (the consumer from [`master_ring`]) at `sample_rate`.
    ///
    /// Fails with [`io::ErrorKind::InvalidInput`] for a sample rate the meter cannot handle, or
    /// when the thread cannot be started. Not realtime-safe.
    pub fn spawn(sample_rate: u32, ring: Consumer<f32>) -> io::Result<Self> {
        Self::spawn_with(sample_rate, ring, None)
    }

    /// [`LoudnessMeter::spawn`] for playback on an output that parks: while `gate` says the
    /// output rests, the thread looks at its ring every 250 ms instead of every 15 ms; call
    /// [`LoudnessMeter::wake`] when a command wakes the output. Not realtime-safe.
    pub fn spawn_with(
        sample_rate: u32,
        ring: Consumer<f32>,
        gate: Option<Arc<ParkGate>>,
    ) -> io::Result<Self> {
        let meter = EbuR128::new(CHANNELS as u32, sample_rate, MODE).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("the loudness meter cannot run at {sample_rate} Hz (ebur128: {e})"),
            )
        })?;
        let shared = Arc::new(Shared {
            published: Mutex::new(Published {
                figures: LoudnessReading::NOTHING,
                recent_peak: 0.0,
            }),
            reset: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            passes: AtomicU64::new(0),
        });
        // ebur128's block arithmetic: a 100 ms block is this many frames.
        let block = (u64::from(sample_rate) + 5) / 10;
        let worker = Worker {
            meter,
            ring,
            shared: Arc::clone(&shared),
            scratch: Vec::with_capacity(CHUNK_FRAMES * CHANNELS),
            frames: 0,
            silent_frames: 0,
            momentary_frames: block * 4,
            short_term_frames: block * 30,
            recent_peak: 0.0,
            gate,
        };
        let thread = thread::Builder::new()
            .name("earmix-loudness".into())
            .spawn(move || worker.run())?;
        Ok(Self {
            shared,
            thread: Some(thread),
        })
    }

    /// The latest figures. `true_peak_recent_dbtp` is the peak since the previous call, so one
    /// caller (the UI tick) should own the calls. Cheap: copies the figures under a lock the
    /// loudness thread holds only to copy them in. Not realtime-safe.
    pub fn reading(&self) -> LoudnessReading {
        let mut published = lock(&self.shared.published);
        let mut figures = published.figures;
        figures.true_peak_recent_dbtp = Decibels::from_amplitude(published.recent_peak).0;
        published.recent_peak = 0.0;
        figures
    }

    /// The latest figures, leaving the recent true peak to [`LoudnessMeter::reading`]'s caller.
    /// Not realtime-safe.
    pub fn peek(&self) -> LoudnessReading {
        let published = lock(&self.shared.published);
        let mut figures = published.figures;
        figures.true_peak_recent_dbtp = Decibels::from_amplitude(published.recent_peak).0;
        figures
    }

    /// Restarts integrated loudness, loudness range, the max true peak and the frame count (the
    /// console calls it when playback restarts from the top). The loudness thread applies it on
    /// its next pass: all audio pushed after this call is measured afresh, as is any audio still
    /// waiting in the ring (normally under one pass, ~15 ms). Not realtime-safe.
    pub fn reset(&self) {
        self.shared.reset.store(true, Ordering::SeqCst);
        self.wake();
    }

    /// Wakes the loudness thread now: a command woke the parked output (see
    /// [`LoudnessMeter::spawn_with`]), so audio may arrive within a period. Not realtime-safe.
    pub fn wake(&self) {
        if let Some(thread) = &self.thread {
            thread.thread().unpark();
        }
    }

    /// How many times the loudness thread has looked at its ring so far: its wake-ups (for
    /// tests and benchmarks). Not realtime-safe.
    pub fn passes(&self) -> u64 {
        self.shared.passes.load(Ordering::Relaxed)
    }
}

impl Drop for LoudnessMeter {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            // A panic on the loudness thread has nowhere to go from here; the meter is gone.
            let _ = thread.join();
        }
    }
}

/// What the UI thread and the loudness thread share.
#[derive(Debug)]
struct Shared {
    published: Mutex<Published>,
    /// Set by the UI thread, taken by the loudness thread.
    reset: AtomicBool,
    /// Set when the handle is dropped.
    stop: AtomicBool,
    /// The loudness thread's passes over its ring.
    passes: AtomicU64,
}

/// The figures as last published.
#[derive(Debug)]
struct Published {
    /// `true_peak_recent_dbtp` in here is unused: `recent_peak` stands in for it.
    figures: LoudnessReading,
    /// Highest true peak (linear) published since the last read.
    recent_peak: f64,
}

fn lock(published: &Mutex<Published>) -> MutexGuard<'_, Published> {
    // The critical sections only copy plain numbers, so a poisoned lock still holds sound data.
    published.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The loudness thread's state.
struct Worker {
    meter: EbuR128,
    ring: Consumer<f32>,
    shared: Arc<Shared>,
    /// The chunk being measured, copied out of the ring with non-finite samples silenced.
    scratch: Vec<f32>,
    /// Frames measured since the start or the last reset.
    frames: u64,
    /// How many of the latest frames were digital silence. (The weighting filter keeps ringing
    /// into silence, so the windows would read ever lower values, such as -1300 LUFS, not -inf.)
    silent_frames: u64,
    /// Frames before momentary loudness means anything (400 ms).
    momentary_frames: u64,
    /// Frames before short-term loudness means anything (3 s).
    short_term_frames: u64,
    /// Highest true peak (linear) measured since the last publication.
    recent_peak: f64,
    /// The output's park state, when the thread may rest while it is parked.
    gate: Option<Arc<ParkGate>>,
}

impl Worker {
    fn run(mut self) {
        while !self.shared.stop.load(Ordering::SeqCst) {
            self.shared.passes.fetch_add(1, Ordering::Relaxed);
            // Count the waiting samples *before* taking the reset flag: if the flag is still
            // clear, every one of them was pushed before the reset was asked for.
            let waiting = self.ring.slots();
            let reset = self.shared.reset.swap(false, Ordering::SeqCst);
            if reset {
                self.meter.reset();
                self.frames = 0;
                self.silent_frames = 0;
            }
            let measured = self.measure(waiting);
            if reset || measured {
                self.publish();
            }
            let waiting = self.ring.slots();
            if waiting == 0 && self.gate.as_ref().is_some_and(|g| g.is_resting()) {
                thread::park_timeout(PARKED_POLL_INTERVAL);
            } else if waiting < CHUNK_FRAMES * CHANNELS {
                thread::park_timeout(POLL_INTERVAL);
            }
        }
    }

    /// Measures the first `samples` samples waiting in the ring (whole frames only; an odd
    /// sample waits for its partner). Returns whether anything was measured.
    fn measure(&mut self, samples: usize) -> bool {
        let mut left = samples - samples % CHANNELS;
        let mut measured = false;
        while left > 0 && !self.shared.stop.load(Ordering::Relaxed) {
            let n = left.min(CHUNK_FRAMES * CHANNELS);
            let Ok(chunk) = self.ring.read_chunk(n) else {
                break;
            };
            let (first, second) = chunk.as_slices();
            self.scratch.clear();
            // A NaN would poison the meter's filters for good; measure a faulty sample as silence.
            self.scratch.extend(
                first
                    .iter()
                    .chain(second)
                    .map(|&x| if x.is_finite() { x } else { 0.0 }),
            );
            chunk.commit_all();
            left -= n;
            if self.meter.add_frames_f32(&self.scratch).is_ok() {
                let frames = (n / CHANNELS) as u64;
                self.frames += frames;
                self.silent_frames = match self.scratch.iter().rposition(|&x| x != 0.0) {
                    Some(last) => frames - (last / CHANNELS) as u64 - 1,
                    None => self.silent_frames + frames,
                };
                measured = true;
                for channel in 0..CHANNELS as u32 {
                    let peak = self.meter.prev_true_peak(channel).unwrap_or(0.0);
                    self.recent_peak = self.recent_peak.max(peak);
                }
            }
        }
        measured
    }

    /// Computes the figures, then copies them in for the UI thread.
    fn publish(&mut self) {
        let lufs = |value: Result<f64, ebur128::Error>| match value {
            Ok(v) if !v.is_nan() => v,
            _ => f64::NEG_INFINITY,
        };
        // A window reads once it is full, and only while it holds more than digital silence.
        let window = |frames: u64| self.frames >= frames && self.silent_frames < frames;
        let momentary_lufs = if window(self.momentary_frames) {
            lufs(self.meter.loudness_momentary())
        } else {
            f64::NEG_INFINITY
        };
        let short_term_lufs = if window(self.short_term_frames) {
            lufs(self.meter.loudness_shortterm())
        } else {
            f64::NEG_INFINITY
        };
        let loudness_range_lu = match self.meter.loudness_range() {
            Ok(v) if v.is_finite() => v,
            _ => 0.0,
        };
        let true_peak = (0..CHANNELS as u32)
            .map(|c| self.meter.true_peak(c).unwrap_or(0.0))
            .fold(0.0, f64::max);
        let figures = LoudnessReading {
            momentary_lufs,
            short_term_lufs,
            integrated_lufs: lufs(self.meter.loudness_global()),
            loudness_range_lu,
            true_peak_dbtp: Decibels::from_amplitude(true_peak).0,
            true_peak_recent_dbtp: f64::NEG_INFINITY,
            frames_measured: self.frames,
        };
        let mut published = lock(&self.shared.published);
        published.figures = figures;
        published.recent_peak = published.recent_peak.max(self.recent_peak);
        drop(published);
        self.recent_peak = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::sync::mpsc;
    use std::time::Instant;

    const RATE: u32 = 48_000;
    /// How long a test waits for the loudness thread before it fails. Generous: the measuring
    /// itself takes a fraction of this even in a slow debug build.
    const PATIENCE: Duration = Duration::from_secs(20);
    /// The audio callback's block size that the tests push in.
    const BLOCK_FRAMES: usize = 256;

    /// `seconds` of a sine of `freq` Hz with peak `peak_dbfs` and starting `phase` (radians),
    /// the same in both channels, interleaved.
    fn sine(freq: f64, peak_dbfs: f64, phase: f64, seconds: f64) -> Vec<f32> {
        let amplitude = 10f64.powf(peak_dbfs / 20.0);
        let frames = (seconds * f64::from(RATE)).round() as usize;
        (0..frames)
            .flat_map(|n| {
                let t = n as f64 / f64::from(RATE);
                let x = (amplitude * (std::f64::consts::TAU * freq * t + phase).sin()) as f32;
                [x, x]
            })
            .collect()
    }

    /// The number of interleaved samples in `seconds` of stereo.
    fn samples_for(seconds: f64) -> usize {
        (seconds * f64::from(RATE)).round() as usize * CHANNELS
    }

    fn silence(seconds: f64) -> Vec<f32> {
        vec![0.0; samples_for(seconds)]
    }

    fn frames_in(samples: &[f32]) -> u64 {
        (samples.len() / CHANNELS) as u64
    }

    /// Pushes `samples` in audio-callback-sized blocks, waiting (as a test producer may; the
    /// real audio thread never does) while the ring is full.
    fn push_blocks(producer: &mut Producer<f32>, samples: &[f32]) {
        let deadline = Instant::now() + PATIENCE;
        for block in samples.chunks(BLOCK_FRAMES * CHANNELS) {
            while producer.push_entire_slice(block).is_err() {
                assert!(Instant::now() < deadline, "the ring stayed full");
                thread::sleep(Duration::from_millis(1));
            }
        }
    }

    /// Pushes `samples` from another thread, as the audio thread would, and hands the producer
    /// back when done.
    fn push_from_thread(
        mut producer: Producer<f32>,
        samples: Vec<f32>,
    ) -> JoinHandle<Producer<f32>> {
        thread::spawn(move || {
            push_blocks(&mut producer, &samples);
            producer
        })
    }

    /// What the meter showed while a test waited on it.
    struct Waited {
        /// The reading that met the condition.
        last: LoudnessReading,
        /// The highest `true_peak_recent_dbtp` over every reading taken while waiting.
        recent_max: f64,
    }

    /// Polls the meter until `done` holds for a reading, or fails the test after `PATIENCE`.
    fn wait_until(meter: &LoudnessMeter, done: impl Fn(&LoudnessReading) -> bool) -> Waited {
        let deadline = Instant::now() + PATIENCE;
        let mut recent_max = f64::NEG_INFINITY;
        loop {
            let reading = meter.reading();
            recent_max = recent_max.max(reading.true_peak_recent_dbtp);
            if done(&reading) {
                return Waited {
                    last: reading,
                    recent_max,
                };
            }
            assert!(
                Instant::now() < deadline,
                "the meter never got there; last reading {reading:?}"
            );
            thread::sleep(Duration::from_millis(5));
        }
    }

    fn wait_for_frames(meter: &LoudnessMeter, frames: u64) -> Waited {
        wait_until(meter, |r| r.frames_measured == frames)
    }

    fn assert_near(what: &str, value: f64, expected: f64, tolerance: f64) {
        assert!(
            (value - expected).abs() <= tolerance,
            "{what} is {value}, expected {expected} ± {tolerance}"
        );
    }

    /// While the output is parked (and no command has come), the loudness thread looks at its
    /// ring every 250 ms instead of every 15 ms; a wake brings it back at once, and audio played
    /// after it is measured right (EBU Tech 3341 case 1's -23 LUFS).
    #[test]
    fn rests_while_parked_and_wakes_at_once() {
        let gate = Arc::new(ParkGate::new());
        let (producer, ring) = master_ring(RATE);
        let meter = LoudnessMeter::spawn_with(RATE, ring, Some(Arc::clone(&gate))).unwrap();
        assert!(gate.begin_park(), "no command waits");
        // At most one 15 ms pause after the park before the rest begins.
        thread::sleep(Duration::from_millis(50));
        let before = meter.passes();
        thread::sleep(Duration::from_secs(1));
        let passes = meter.passes() - before;
        assert!(
            passes <= 6,
            "{passes} passes in 1 s while parked (about 66 at 15 ms, 4 at 250 ms)"
        );
        // A command: the engine wakes the output, then this thread.
        let before = meter.passes();
        let woken = Instant::now();
        assert!(gate.sent(true));
        meter.wake();
        while meter.passes() == before {
            assert!(woken.elapsed() < PATIENCE, "the thread never woke");
            thread::sleep(Duration::from_millis(1));
        }
        assert!(
            woken.elapsed() < Duration::from_millis(150),
            "woke {:?} after the command",
            woken.elapsed()
        );
        // Waking, not resting: 15 ms passes again while the audio comes.
        let signal = sine(1000.0, -23.0, 0.0, 1.0);
        let total = frames_in(&signal);
        let pusher = push_from_thread(producer, signal);
        let r = wait_for_frames(&meter, total).last;
        pusher.join().unwrap();
        assert_near("momentary", r.momentary_lufs, -23.0, 0.1);
        assert_near("integrated", r.integrated_lufs, -23.0, 0.1);
    }

    /// EBU Tech 3341 case 1: a 1 kHz sine at -23 dBFS in both channels reads -23.0 LUFS ± 0.1
    /// momentary, short-term and integrated, with no loudness range, pushed from another thread
    /// in 256-frame blocks.
    #[test]
    fn sine_at_minus_23_dbfs_reads_minus_23_lufs() {
        let (producer, ring) = master_ring(RATE);
        let meter = LoudnessMeter::spawn(RATE, ring).unwrap();
        let signal = sine(1000.0, -23.0, 0.0, 10.0);
        let total = frames_in(&signal);
        let pusher = push_from_thread(producer, signal);
        let r = wait_for_frames(&meter, total).last;
        pusher.join().unwrap();
        assert_eq!(r.frames_measured, 480_000);
        assert_near("integrated", r.integrated_lufs, -23.0, 0.1);
        assert_near("momentary", r.momentary_lufs, -23.0, 0.1);
        assert_near("short-term", r.short_term_lufs, -23.0, 0.1);
        assert_near("loudness range", r.loudness_range_lu, 0.0, 0.1);
        assert_near("true peak", r.true_peak_dbtp, -23.0, 0.2);
    }

    /// Two signals that differ by a known level are matched within 0.1 LU: the louder is
    /// turned down by the difference, and measured again with the match applied both read the
    /// same loudness. The match uses integrated loudness once both have 3 s of it.
    #[test]
    fn loudness_match_evens_out_a_known_difference() {
        // Noise in bursts (a loudness that moves, like music), left and right different.
        let mut seed = 0x2545_f491_u32;
        let mut noise = || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            (seed as f32 / u32::MAX as f32) * 2.0 - 1.0
        };
        let frames = 8 * RATE as usize;
        let mix: Vec<f32> = (0..frames)
            .flat_map(|n| {
                let envelope = 0.1 + 0.2 * ((n / 12_000) % 3) as f32;
                [noise() * envelope, noise() * envelope * 0.8]
            })
            .collect();
        let known_db: f64 = -7.3;
        let gain = 10f64.powf(known_db / 20.0) as f32;
        let reference: Vec<f32> = mix.iter().map(|x| x * gain).collect();
        let measure = |signal: &[f32]| {
            let (producer, ring) = master_ring(RATE);
            let meter = LoudnessMeter::spawn(RATE, ring).unwrap();
            let pusher = push_from_thread(producer, signal.to_vec());
            let reading = wait_for_frames(&meter, frames_in(signal)).last;
            pusher.join().unwrap();
            reading
        };
        let (mix_reading, reference_reading) = (measure(&mix), measure(&reference));
        let matched = match_loudness(&mix_reading, &reference_reading, RATE).unwrap();
        assert_eq!(matched.basis, MatchBasis::Integrated);
        assert_eq!(matched.reference_db, 0.0, "the quieter one is left alone");
        assert_near("mix gain", matched.mix_db, known_db, 0.1);
        let scaled = |signal: &[f32], db: f64| -> Vec<f32> {
            let g = 10f64.powf(db / 20.0) as f32;
            signal.iter().map(|x| x * g).collect()
        };
        let after_mix = measure(&scaled(&mix, matched.mix_db));
        let after_reference = measure(&scaled(&reference, matched.reference_db));
        assert_near(
            "matched loudness difference",
            after_mix.integrated_lufs - after_reference.integrated_lufs,
            0.0,
            0.1,
        );
        // The other way round, the reference is the one turned down.
        let swapped = match_loudness(&reference_reading, &mix_reading, RATE).unwrap();
        assert_eq!(swapped.mix_db, 0.0);
        assert_near("reference gain", swapped.reference_db, known_db, 0.1);
    }

    /// Before 3 s the match uses short-term loudness; with either side silent there is none;
    /// a huge difference is capped.
    #[test]
    fn loudness_match_falls_back_and_caps() {
        let reading = |short: f64, integrated: f64, seconds: u64| LoudnessReading {
            short_term_lufs: short,
            integrated_lufs: integrated,
            frames_measured: seconds * u64::from(RATE),
            ..LoudnessReading::NOTHING
        };
        let early = match_loudness(&reading(-20.0, -21.0, 2), &reading(-14.0, -15.0, 2), RATE);
        assert_eq!(
            early,
            Some(LoudnessMatch {
                mix_db: 0.0,
                reference_db: -6.0,
                basis: MatchBasis::ShortTerm
            })
        );
        let silent = reading(f64::NEG_INFINITY, f64::NEG_INFINITY, 5);
        assert_eq!(
            match_loudness(&silent, &reading(-14.0, -15.0, 5), RATE),
            None
        );
        let capped = match_loudness(&reading(-10.0, -10.0, 5), &reading(-90.0, -90.0, 5), RATE);
        assert_eq!(capped.unwrap().mix_db, -MAX_MATCH_DB);
    }

    /// EBU Tech 3341 case 15: a 12 kHz sine at 48 kHz, phase 45°, -6 dBFS peak reads -6 dBTP
    /// (+0.2/-0.4), although its samples only reach -9 dBFS: the peak is measured between them.
    #[test]
    fn true_peak_is_found_between_samples() {
        let (producer, ring) = master_ring(RATE);
        let meter = LoudnessMeter::spawn(RATE, ring).unwrap();
        let signal = sine(12_000.0, -6.0, std::f64::consts::FRAC_PI_4, 2.0);
        let sample_peak = signal.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        assert!(Decibels::from_amplitude(f64::from(sample_peak)).0 < -8.9);
        let total = frames_in(&signal);
        let pusher = push_from_thread(producer, signal);
        let waited = wait_for_frames(&meter, total);
        pusher.join().unwrap();
        let peak = waited.last.true_peak_dbtp;
        assert!((-6.4..=-5.8).contains(&peak), "true peak {peak} dBTP");
        let recent = waited.recent_max;
        assert!(
            (-6.4..=-5.8).contains(&recent),
            "recent true peak {recent} dBTP"
        );
    }

    /// Before enough audio has arrived, momentary (400 ms) and short-term (3 s) read -inf, never
    /// NaN; each reads the signal once its window is full, and -inf again once it holds only
    /// digital silence.
    #[test]
    fn windows_read_minus_inf_until_full() {
        let (mut producer, ring) = master_ring(RATE);
        let meter = LoudnessMeter::spawn(RATE, ring).unwrap();
        assert_eq!(
            meter.reading(),
            LoudnessReading {
                momentary_lufs: f64::NEG_INFINITY,
                short_term_lufs: f64::NEG_INFINITY,
                integrated_lufs: f64::NEG_INFINITY,
                loudness_range_lu: 0.0,
                true_peak_dbtp: f64::NEG_INFINITY,
                true_peak_recent_dbtp: f64::NEG_INFINITY,
                frames_measured: 0,
            }
        );

        let signal = sine(1000.0, -23.0, 0.0, 3.2);
        let (first, rest) = signal.split_at(samples_for(0.2));
        push_blocks(&mut producer, first);
        let r = wait_for_frames(&meter, 9_600).last;
        assert_eq!(r.momentary_lufs, f64::NEG_INFINITY);
        assert_eq!(r.short_term_lufs, f64::NEG_INFINITY);
        assert_eq!(r.integrated_lufs, f64::NEG_INFINITY);
        assert_eq!(r.loudness_range_lu, 0.0);
        assert_near("true peak", r.true_peak_dbtp, -23.0, 0.2);

        let (second, third) = rest.split_at(samples_for(0.8));
        push_blocks(&mut producer, second);
        let r = wait_for_frames(&meter, 48_000).last;
        assert_near("momentary after 1 s", r.momentary_lufs, -23.0, 0.1);
        assert_eq!(r.short_term_lufs, f64::NEG_INFINITY);
        assert_near("integrated after 1 s", r.integrated_lufs, -23.0, 0.1);

        push_blocks(&mut producer, third);
        let r = wait_for_frames(&meter, 153_600).last;
        assert_near("short-term after 3.2 s", r.short_term_lufs, -23.0, 0.1);

        // Half a momentary window of silence halves its energy (-3 dB)...
        push_blocks(&mut producer, &silence(0.2));
        let r = wait_for_frames(&meter, 163_200).last;
        assert_near(
            "momentary, half silence",
            r.momentary_lufs,
            -23.0 - 3.01,
            0.1,
        );
        // ...and a whole one reads -inf, while the short-term window still holds 2 s of sine.
        push_blocks(&mut producer, &silence(0.8));
        let r = wait_for_frames(&meter, 201_600).last;
        assert_eq!(
            r.momentary_lufs,
            f64::NEG_INFINITY,
            "400 ms of digital silence"
        );
        let expected = -23.0 + 10.0 * (2.0f64 / 3.0).log10();
        assert_near(
            "short-term, 0.8 s silence",
            r.short_term_lufs,
            expected,
            0.1,
        );
    }

    /// A reset clears integrated loudness, range, max true peak and the frame count, and the
    /// audio pushed right after it (before the loudness thread has seen it) is all measured,
    /// alone.
    #[test]
    fn reset_restarts_measurement_and_keeps_later_audio() {
        let (mut producer, ring) = master_ring(RATE);
        let meter = LoudnessMeter::spawn(RATE, ring).unwrap();
        let loud = sine(1000.0, -13.0, 0.0, 5.0);
        push_blocks(&mut producer, &loud);
        let before = wait_for_frames(&meter, frames_in(&loud)).last;
        assert_near("integrated before", before.integrated_lufs, -13.0, 0.1);

        meter.reset();
        let quiet = sine(1000.0, -33.0, 0.0, 3.0);
        let total = frames_in(&quiet);
        let pusher = push_from_thread(producer, quiet);
        let r = wait_for_frames(&meter, total).last;
        pusher.join().unwrap();
        assert_near("integrated after reset", r.integrated_lufs, -33.0, 0.1);
        assert_near("momentary after reset", r.momentary_lufs, -33.0, 0.1);
        assert_near("true peak after reset", r.true_peak_dbtp, -33.0, 0.2);
        assert_near("range after reset", r.loudness_range_lu, 0.0, 0.1);
    }

    /// Audio already waiting in the ring when the loudness thread takes a reset is measured
    /// after the reset, not dropped and not counted before it. The test holds the figures' lock
    /// so the thread, having drained the ring, cannot reach the reset until the audio is queued.
    #[test]
    fn reset_keeps_audio_queued_before_it_is_applied() {
        let (mut producer, ring) = master_ring(RATE);
        let capacity = producer.buffer().capacity();
        let meter = LoudnessMeter::spawn(RATE, ring).unwrap();
        // Unequal lengths, so the old count can never pass for the new one.
        let loud = sine(1000.0, -13.0, 0.0, 1.5);
        push_blocks(&mut producer, &loud);
        wait_for_frames(&meter, frames_in(&loud));

        let held = lock(&meter.shared.published);
        push_blocks(&mut producer, &loud[..BLOCK_FRAMES * CHANNELS]);
        // Once the ring is empty again the thread has taken that block and is blocked publishing
        // it: it cannot look at the reset flag before `held` is released.
        let deadline = Instant::now() + PATIENCE;
        while producer.slots() < capacity {
            assert!(Instant::now() < deadline, "the block was never taken");
            thread::sleep(Duration::from_millis(1));
        }
        meter.reset();
        let quiet = sine(1000.0, -33.0, 0.0, 1.0);
        push_blocks(&mut producer, &quiet);
        drop(held);

        let r = wait_for_frames(&meter, frames_in(&quiet)).last;
        assert_near("integrated after reset", r.integrated_lufs, -33.0, 0.1);
        assert_near("true peak after reset", r.true_peak_dbtp, -33.0, 0.2);
    }

    /// A reset with no audio after it reads nothing measured: -inf loudness and peak, 0 frames.
    #[test]
    fn reset_without_audio_reads_minus_inf() {
        let (mut producer, ring) = master_ring(RATE);
        let meter = LoudnessMeter::spawn(RATE, ring).unwrap();
        let signal = sine(1000.0, -20.0, 0.0, 1.0);
        push_blocks(&mut producer, &signal);
        let r = wait_for_frames(&meter, frames_in(&signal)).last;
        assert!(r.integrated_lufs.is_finite());

        meter.reset();
        let r = wait_for_frames(&meter, 0).last;
        assert_eq!(r.integrated_lufs, f64::NEG_INFINITY);
        assert_eq!(r.momentary_lufs, f64::NEG_INFINITY);
        assert_eq!(r.short_term_lufs, f64::NEG_INFINITY);
        assert_eq!(r.true_peak_dbtp, f64::NEG_INFINITY);
        assert_eq!(r.loudness_range_lu, 0.0);
    }

    /// `true_peak_recent_dbtp` is the max since the previous read: a loud burst shows once, a
    /// later read without new audio shows -inf, and quieter audio after it shows its own peak,
    /// while `true_peak_dbtp` keeps the burst.
    #[test]
    fn recent_true_peak_is_max_since_last_read() {
        let (mut producer, ring) = master_ring(RATE);
        let meter = LoudnessMeter::spawn(RATE, ring).unwrap();
        let mut burst = sine(1000.0, -6.0, 0.0, 0.25);
        burst.extend(silence(1.0));
        push_blocks(&mut producer, &burst);
        let waited = wait_for_frames(&meter, frames_in(&burst));
        assert_near("recent peak of the burst", waited.recent_max, -6.0, 0.2);

        let later = meter.reading();
        assert_eq!(later.true_peak_recent_dbtp, f64::NEG_INFINITY);
        assert_near("max peak", later.true_peak_dbtp, -6.0, 0.2);

        let quiet = sine(1000.0, -40.0, 0.0, 1.0);
        push_blocks(&mut producer, &quiet);
        let waited = wait_for_frames(&meter, frames_in(&burst) + frames_in(&quiet));
        assert_near(
            "recent peak of the quiet part",
            waited.recent_max,
            -40.0,
            0.2,
        );
        assert_near("max peak still", waited.last.true_peak_dbtp, -6.0, 0.2);
    }

    /// NaN and infinite samples (a DSP fault upstream) are measured as silence: no figure ever
    /// becomes NaN and the loudness of the rest stands.
    #[test]
    fn non_finite_samples_never_read_nan() {
        let (mut producer, ring) = master_ring(RATE);
        let meter = LoudnessMeter::spawn(RATE, ring).unwrap();
        let mut signal = sine(1000.0, -23.0, 0.0, 4.0);
        for (i, bad) in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY]
            .into_iter()
            .enumerate()
        {
            signal[1000 + 7 * i] = bad;
        }
        push_blocks(&mut producer, &signal);
        let r = wait_for_frames(&meter, frames_in(&signal)).last;
        for (what, value) in [
            ("momentary", r.momentary_lufs),
            ("short-term", r.short_term_lufs),
            ("integrated", r.integrated_lufs),
            ("range", r.loudness_range_lu),
            ("true peak", r.true_peak_dbtp),
            ("recent true peak", r.true_peak_recent_dbtp),
        ] {
            assert!(!value.is_nan(), "{what} is NaN");
        }
        assert_near("integrated", r.integrated_lufs, -23.0, 0.1);
        assert_near("true peak", r.true_peak_dbtp, -23.0, 0.2);
    }

    /// Dropping the meter stops and joins the loudness thread promptly while the audio side is
    /// still connected: the ring's consumer, owned by that thread, is gone once drop returns.
    #[test]
    fn drop_joins_promptly() {
        let (producer, ring) = master_ring(RATE);
        let meter = LoudnessMeter::spawn(RATE, ring).unwrap();
        let (done, dropped) = mpsc::channel();
        thread::spawn(move || {
            drop(meter);
            done.send(()).unwrap();
        });
        dropped
            .recv_timeout(Duration::from_secs(5))
            .expect("dropping the meter did not return");
        assert!(producer.is_abandoned());
    }

    /// When the producer goes away the thread still measures what was pushed, keeps its
    /// figures readable, and dropping the meter afterwards joins promptly.
    #[test]
    fn producer_gone_then_drop_joins() {
        let (mut producer, ring) = master_ring(RATE);
        let meter = LoudnessMeter::spawn(RATE, ring).unwrap();
        let signal = sine(1000.0, -23.0, 0.0, 1.0);
        push_blocks(&mut producer, &signal);
        drop(producer);
        let r = wait_for_frames(&meter, frames_in(&signal)).last;
        assert_near("integrated", r.integrated_lufs, -23.0, 0.1);

        let (done, dropped) = mpsc::channel();
        thread::spawn(move || {
            drop(meter);
            done.send(()).unwrap();
        });
        dropped
            .recv_timeout(Duration::from_secs(5))
            .expect("dropping the meter did not return");
    }

    /// The master ring holds 2 s of interleaved stereo at the given rate.
    #[test]
    fn master_ring_holds_two_seconds() {
        let (producer, _ring) = master_ring(44_100);
        assert_eq!(producer.buffer().capacity(), 2 * 2 * 44_100);
    }

    /// A sample rate the meter cannot handle is refused as invalid input, not a panic.
    #[test]
    fn spawn_refuses_unusable_rate() {
        let (_producer, ring) = master_ring(RATE);
        let err = LoudnessMeter::spawn(0, ring).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }
}
