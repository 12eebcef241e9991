//! The stream plan, made on the UI thread before a session's stems open: how far ahead each
//! creek stream reads, and which places (the session start, the play start, section starts)
//! every stem keeps loaded so that a jump there plays at once, within the memory budget
//! (`[audio] stream_memory_mb`).
//!
//! What a creek stream holds (creek-core 0.2, `read/read_stream.rs` and `read/server.rs`), in
//! 32-bit float samples per channel:
//! - its **read-ahead**: `look_ahead_blocks` blocks of `block_frames` frames;
//! - one **cache** per kept place, each exactly as long as the read-ahead (after a jump to a
//!   cache, playback reads the whole cache while the read-ahead refills behind it);
//! - a **seek cache** of the same length, filled by the first jump to a place that is not
//!   cached (and by the first seek at open) and kept for the next such jump;
//! - a cache **moved aside** when one is re-pointed while playback still relies on it (an edit
//!   of the section starts right after a jump), kept until the next such move; a stream with a
//!   single cache keeps it at the session start and never re-points it;
//! - caches are allocated when first filled, never before, and everything is kept until the
//!   stream closes; so a spare cache (for a section added while the session is open) costs
//!   nothing until it is used.
//!
//! Beside those each stream has a fixed part: its I/O thread and message rings, creek's read
//! buffer and the WAV decoder's raw bytes (a block each), and a resampler when the stem is at
//! another rate than the mix. [`stream_bytes`] adds it all up; the README's table compares it with
//! measured peaks.
//!
//! When the budget cannot hold everything, the plan gives up, in this order: a longer read-ahead
//! than needed (2.7 s, then 1.4 s, down to 0.7 s at any rate), then the spare caches, then
//! 0.7 s for 0.34 s (which halves every cache, so twice as many section starts fit: 256 stereo
//! stems with 12 sections hold about 0.5 GiB), then the caches of the section starts farthest
//! (in sections) from the play start. 256 stems played without an underrun on a loaded 2-core
//! machine at 0.7 s and at 0.34 s, 200 underran at 0.17 s. The session opens anyway and
//! [`StreamPlan::notice`] says what was given up.
//!
//! A shorter read-ahead is given up first because nothing a user hears or does depends on it
//! once it is long enough: a jump to a cache is as instant, and a jump elsewhere is quicker
//! (its seek cache is shorter to fill). The section starts make jumps instant; the spare caches
//! do for sections added while the session is open, which are rarer, so they are not worth the
//! shortest read-ahead.

use std::fmt::Write as _;

use super::source::MAX_CACHED;
use super::streams::{SPARE_CACHES, StreamConfig};
use crate::session::Session;

/// Bytes in a MiB, as the budget counts them.
pub const MIB: u64 = 1 << 20;

/// The budget when the settings do not change it, in MiB: it holds 64 stereo stems with 20
/// section starts cached and their spare caches, at a 0.7 s read-ahead.
pub const DEFAULT_BUDGET_MIB: u32 = 512;

/// Blocks a stream reads ahead (and each cache holds).
pub const LOOK_AHEAD_BLOCKS: usize = 8;

/// The read-ahead lengths the plan chooses from, longest first, as block frames at 48 kHz (a
/// stem at another rate gets blocks scaled to the same time): 2.7 s, which is creek's default
/// and what every stem had before the budget, then 1.4 s, 0.7 s and 0.34 s.
const BLOCKS_AT_48K: [usize; 4] = [16_384, 8_192, 4_096, 2_048];

/// The shortest read-ahead (a rung of `BLOCKS_AT_48K`: 0.7 s) kept with the spare caches; the
/// one below it (0.34 s) is only taken to keep the section starts loaded.
const SPARE_RUNG_FLOOR: usize = 2;

/// The read-ahead never holds fewer than this many device buffers: at a 16384-frame buffer, 200
/// stems underran with a read-ahead of one buffer and did not with two.
const MIN_BUFFERS_AHEAD: u64 = 4;

/// Bytes of one sample as creek holds it (f32).
const SAMPLE_BYTES: u64 = 4;

/// What a stream costs beside its buffers, its blocks and its decoder: its I/O thread's stack,
/// creek's two message rings (512 messages each way), the stream's and the strip's state.
/// Measured: 200 streams of a stereo 24-bit WAV took about 60 KiB each beyond their buffers
/// and blocks.
const STREAM_FIXED_BYTES: u64 = 64 * 1024;

/// What the resampler of a stem at another rate costs (rubato's filter tables and buffers).
/// Measured per stream over 200 streams: 173 KiB converting 44100 Hz to 48000 Hz, 440 KiB for
/// 44101 Hz (a rate pair that takes the sinc resampler).
const RESAMPLER_BYTES: u64 = 512 * 1024;

/// How a stream's file is decoded, for what the decoder holds beside the block of raw bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoding {
    /// earmix's own WAV decoder (16/24/32-bit PCM, 32-bit float): a buffered reader.
    Wav,
    /// symphonia (FLAC, other WAV): its read-ahead buffer and the codec's.
    Symphonia,
    /// earmix's MP3 decoder (nanomp3; symphonia for the files it refuses, which holds less).
    Mp3,
    /// symphonia's Vorbis decoder, which holds much more.
    Vorbis,
}

impl Decoding {
    /// The decoding of a file [`super::streams::probe`] describes as `format` (e.g. "WAV,
    /// PCM 24-bit").
    pub fn of_format(format: &str) -> Self {
        let (container, coding) = format.split_once(", ").unwrap_or(("", format));
        let wav = matches!(
            coding,
            "PCM 16-bit" | "PCM 24-bit" | "PCM 32-bit" | "float 32-bit"
        );
        if container.eq_ignore_ascii_case("wav") && wav {
            Self::Wav
        } else if coding.contains("Vorbis") {
            Self::Vorbis
        } else if coding.contains("MP3") {
            Self::Mp3
        } else {
            Self::Symphonia
        }
    }

    /// Bytes the decoder holds beside its block of raw bytes. Measured per stream over 200
    /// streams of the same stereo audio (beyond the buffers and the WAV stream's whole fixed
    /// part): FLAC and MP3 through symphonia 80-100 KiB more than WAV, Ogg Vorbis about 630 KiB
    /// more. The MP3 decoder's is counted from its parts, not measured: nanomp3's 256 KiB read
    /// buffer, 23 KiB of decoder state, two frames of samples (18 KiB) and the seek index it
    /// builds at the first seek (16 bytes per MP3 frame: 120 KiB for 3 minutes at 48 kHz).
    fn bytes(self) -> u64 {
        match self {
            Self::Wav => 8 * 1024,
            Self::Symphonia => 128 * 1024,
            Self::Mp3 => 448 * 1024,
            Self::Vorbis => 640 * 1024,
        }
    }
}

/// One stream to plan for: a stem, or the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamShape {
    /// Channels in the file (1 or 2).
    pub channels: u16,
    /// The file's sample rate.
    pub sample_rate: u32,
    /// The stream is converted to the mix rate.
    pub resampled: bool,
    /// How the file is decoded.
    pub decoding: Decoding,
    /// Places this stream keeps loaded beyond the planned ones (the reference's alignment
    /// anchors).
    pub extra_places: usize,
}

/// How a stream at `sample_rate` buffers on read-ahead rung `rung` (0 is the longest).
fn block_frames(rung: usize, sample_rate: u32) -> usize {
    let at_48k = BLOCKS_AT_48K[rung.min(BLOCKS_AT_48K.len() - 1)] as u64;
    let scaled = (at_48k * u64::from(sample_rate.max(1))).div_ceil(48_000);
    scaled.next_power_of_two() as usize
}

/// What a stream of `shape` holds at most with blocks of `block` frames and `caches` caches
/// (planned places and spare caches together), in bytes: see the module docs.
pub fn stream_bytes(shape: &StreamShape, block: usize, caches: usize) -> u64 {
    let channels = u64::from(shape.channels.max(1));
    let block_bytes = block as u64 * channels * SAMPLE_BYTES;
    let buffer = block_bytes * LOOK_AHEAD_BLOCKS as u64;
    // The read-ahead and the seek cache always; the caches; one moved aside when a cache can be
    // re-pointed (a lone cache holds the session start, which is never re-pointed).
    let buffers = 2 + caches as u64 + u64::from(caches > 1);
    let resampler = if shape.resampled { RESAMPLER_BYTES } else { 0 };
    // creek's read buffer and the decoder's raw bytes: up to a block each.
    STREAM_FIXED_BYTES + shape.decoding.bytes() + resampler + 2 * block_bytes + buffers * buffer
}

/// The places worth keeping loaded, most useful first: the session start, the play start, then
/// the section starts by their distance in sections from the one the play starts in, the next
/// one before the previous one (`]` and `[` step one section at a time from where the play
/// head is, and playback moves forward). Duplicates are left out.
pub fn places_by_priority(start: u64, section_starts: &[u64]) -> Vec<u64> {
    let mut places = Vec::with_capacity(section_starts.len() + 2);
    let mut add = |frame: u64| {
        if !places.contains(&frame) {
            places.push(frame);
        }
    };
    add(0);
    add(start);
    // The section the play starts in (or the first one, when the play starts before it).
    let here = section_starts
        .partition_point(|&s| s <= start)
        .saturating_sub(1);
    add_by_distance(here, section_starts, &mut add);
    places
}

/// Calls `add` with `items[here]`, then `items[here + 1]`, `items[here - 1]`, `items[here + 2]`,
/// and so on outwards, each item once.
///
/// Realtime-safe.
pub fn add_by_distance(here: usize, items: &[u64], add: &mut impl FnMut(u64)) {
    if items.is_empty() {
        return;
    }
    add(items[here]);
    for distance in 1..items.len() {
        if let Some(&next) = items.get(here + distance) {
            add(next);
        }
        if let Some(previous) = here.checked_sub(distance) {
            add(items[previous]);
        }
    }
}

/// What the streams of a session keep in memory, and what the budget made them give up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamPlan {
    /// The read-ahead rung (0 is the longest, see `BLOCKS_AT_48K`).
    rung: usize,
    /// Spare caches per stream.
    spare: usize,
    /// The places every stem keeps loaded, timeline frames at the mix rate, most useful first.
    cached: Vec<u64>,
    /// Distinct section starts in the session.
    sections: usize,
    /// Section starts left without a cache.
    sections_uncached: usize,
    /// Whether some were left out because a stream keeps at most [`MAX_CACHED`] places (rather
    /// than for the budget).
    capped: bool,
    /// The most the planned streams may hold, in bytes.
    bytes: u64,
    /// What keeping every place and the spare caches takes, at the shortest read-ahead: the
    /// least budget that gives up nothing a user would notice.
    full_bytes: u64,
    /// The budget, in bytes.
    budget: u64,
    /// The reference's sample rate, when the plan counted one.
    reference_rate: Option<u32>,
}

impl StreamPlan {
    /// Plans `streams` (stems, then the reference if any) keeping `places` loaded (timeline
    /// frames, most useful first: see [`places_by_priority`]; `section_starts` of them are
    /// section starts) within `budget` bytes, for a device that takes `buffer_frames` frames
    /// per callback.
    pub fn new(
        streams: &[StreamShape],
        places: &[u64],
        section_starts: &[u64],
        budget: u64,
        buffer_frames: u32,
    ) -> Self {
        let cost = |rung: usize, kept: usize, spare: usize| -> u64 {
            streams
                .iter()
                .map(|s| {
                    let caches = (kept + s.extra_places).min(MAX_CACHED) + spare;
                    stream_bytes(s, block_frames(rung, s.sample_rate), caches)
                })
                .sum()
        };
        // The shortest rung whose read-ahead still holds enough device buffers.
        let enough = |rung: usize| {
            (block_frames(rung, 48_000) * LOOK_AHEAD_BLOCKS) as u64
                >= MIN_BUFFERS_AHEAD * u64::from(buffer_frames)
        };
        let floor = (0..BLOCKS_AT_48K.len())
            .rev()
            .find(|&rung| enough(rung))
            .unwrap_or(0);
        // Spare caches are not worth a read-ahead shorter than this one.
        let spare_floor = floor.min(SPARE_RUNG_FLOOR);
        let most = places.len().min(MAX_CACHED);
        let fits = |rung: usize, kept: usize, spare: usize| cost(rung, kept, spare) <= budget;
        let (rung, kept, spare) = (0..=spare_floor)
            .map(|rung| (rung, most, SPARE_CACHES))
            .chain((spare_floor..=floor).map(|rung| (rung, most, 0)))
            .find(|&(rung, kept, spare)| fits(rung, kept, spare))
            .unwrap_or_else(|| {
                let kept = (0..most).rev().find(|&k| fits(floor, k, 0)).unwrap_or(0);
                (floor, kept, 0)
            });
        let cached = places[..kept].to_vec();
        let mut sections: Vec<u64> = section_starts.to_vec();
        sections.sort_unstable();
        sections.dedup();
        let sections_cached = sections.iter().filter(|s| cached.contains(s)).count();
        let sections_kept_by_cap = sections
            .iter()
            .filter(|s| places[..most].contains(s))
            .count();
        Self {
            rung,
            spare,
            sections: sections.len(),
            sections_uncached: sections.len() - sections_cached,
            capped: sections_kept_by_cap < sections.len(),
            cached,
            bytes: cost(rung, kept, spare),
            full_bytes: cost(spare_floor, most, SPARE_CACHES),
            budget,
            reference_rate: None,
        }
    }

    /// Plans a session's stems and its reference (when it has one that can be read: the file is
    /// probed) for playback at `mix_rate` from timeline frame `start`.
    ///
    /// Not realtime-safe (opens the reference's file).
    pub fn for_session(
        session: &Session,
        mix_rate: u32,
        start: u64,
        budget: u64,
        buffer_frames: u32,
    ) -> Self {
        let section_starts: Vec<u64> = session
            .sections
            .iter()
            .map(|s| s.start.to_frames(mix_rate))
            .collect();
        let places = places_by_priority(start, &section_starts);
        let reference = reference_shape(session, mix_rate);
        let streams: Vec<StreamShape> = stem_shapes(session, mix_rate)
            .into_iter()
            .chain(reference)
            .collect();
        let mut plan = Self::new(&streams, &places, &section_starts, budget, buffer_frames);
        plan.reference_rate = reference.map(|r| r.sample_rate);
        plan
    }

    /// How the reference's stream buffers under this plan.
    pub fn reference_config(&self, mix_rate: u32) -> StreamConfig {
        self.config(self.reference_rate.unwrap_or(mix_rate))
    }

    /// How a stream of a file at `sample_rate` buffers under this plan.
    pub fn config(&self, sample_rate: u32) -> StreamConfig {
        StreamConfig {
            block_frames: block_frames(self.rung, sample_rate),
            look_ahead_blocks: LOOK_AHEAD_BLOCKS,
            spare_caches: self.spare,
        }
    }

    /// The places every stem keeps loaded (timeline frames at the mix rate), most useful first.
    pub fn cached(&self) -> &[u64] {
        &self.cached
    }

    /// The most the planned streams hold, in bytes.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Section starts a jump to will wait for the disk.
    pub fn sections_uncached(&self) -> usize {
        self.sections_uncached
    }

    /// Spare caches per stream, for section starts added while the session is open.
    pub fn spare_caches(&self) -> usize {
        self.spare
    }

    /// The read-ahead, in seconds.
    pub fn read_ahead_seconds(&self) -> f64 {
        (block_frames(self.rung, 48_000) * LOOK_AHEAD_BLOCKS) as f64 / 48_000.0
    }

    /// What the plan gave up, for the user, or `None` when it kept every section start and the
    /// session start cached, and the spare caches.
    pub fn notice(&self) -> Option<String> {
        let over = self.bytes > self.budget;
        let spare_lost = self.spare < SPARE_CACHES;
        let start_lost = !self.cached.contains(&0);
        if self.sections_uncached == 0 && !spare_lost && !start_lost && !over {
            return None;
        }
        let mut places = Vec::new();
        if start_lost {
            places.push("the session start".to_string());
        }
        if self.sections_uncached > 0 {
            places.push(format!(
                "{} of {} section starts",
                self.sections_uncached, self.sections
            ));
        }
        let mut lost = String::new();
        if !places.is_empty() {
            lost = format!(
                "jumps to {} will wait for the disk",
                places.join(" and to ")
            );
        }
        if spare_lost {
            lost = if lost.is_empty() {
                "jumps to sections you add will wait for the disk".to_string()
            } else {
                format!("{lost}, and so will jumps to sections you add")
            };
        }
        let cap = format!("earmix keeps at most {MAX_CACHED} places per stem loaded");
        let text = if over {
            format!(
                "Memory budget {} is less than the {} the stems need at the least; playing \
                 anyway, and {lost}",
                mib_text(self.budget),
                mib_text(self.bytes)
            )
        } else if spare_lost {
            let mut text = format!(
                "Memory budget {}: {lost} (raise [audio] stream_memory_mb to {} to keep them",
                mib_text(self.budget),
                self.full_bytes.div_ceil(MIB)
            );
            if self.capped {
                let _ = write!(text, "; {cap}");
            }
            text.push(')');
            text
        } else {
            let mut chars = lost.chars();
            let lost: String = chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect())
                .unwrap_or_default();
            format!("{lost}: {cap}")
        };
        Some(text)
    }

    /// One line for `earmix check` and the log: what the streams may hold and what it buys.
    pub fn summary(&self) -> String {
        format!(
            "stream memory: up to {} of {} ([audio] stream_memory_mb); each stem reads {} s \
             ahead and keeps {} place(s) loaded, with {} spare",
            mib_text(self.bytes),
            mib_text(self.budget),
            seconds_text(self.read_ahead_seconds()),
            self.cached.len(),
            self.spare
        )
    }
}

/// The streams the session's stems open, for the plan: one per channel, two mono ones for a
/// split-stereo channel (each has its own fixed part and decoder).
fn stem_shapes(session: &Session, mix_rate: u32) -> Vec<StreamShape> {
    session
        .channels
        .iter()
        .zip(&session.stems)
        .flat_map(|(channel, stem)| {
            let split = channel.right_file.is_some();
            let shape = StreamShape {
                channels: if split { 1 } else { stem.channels },
                sample_rate: stem.sample_rate,
                resampled: stem.sample_rate != mix_rate,
                decoding: Decoding::of_format(&stem.format),
                extra_places: 0,
            };
            std::iter::repeat_n(shape, if split { 2 } else { 1 })
        })
        .collect()
}

/// What the session's reference is, for the plan, when it has one that can be read (one that
/// cannot is reported when it is opened). Its alignment anchors and its start are kept loaded
/// besides the plan's places.
///
/// Not realtime-safe (opens the file).
fn reference_shape(session: &Session, mix_rate: u32) -> Option<StreamShape> {
    let reference = session.reference.as_ref()?;
    let map = session.reference_map()?;
    let info = super::streams::probe(&session.resolve(&reference.file)).ok()?;
    Some(StreamShape {
        channels: info.channels,
        sample_rate: info.sample_rate,
        resampled: info.sample_rate != mix_rate,
        decoding: Decoding::of_format(&info.format),
        extra_places: map.anchors().len() + 1,
    })
}

/// A read-ahead in seconds for people: two digits ("2.7", "0.68", "0.34").
fn seconds_text(seconds: f64) -> String {
    if seconds < 1.0 {
        format!("{seconds:.2}")
    } else {
        format!("{seconds:.1}")
    }
}

/// `bytes` in MiB (or GiB from 10 GiB up), rounded up, for people.
fn mib_text(bytes: u64) -> String {
    let mib = bytes.div_ceil(MIB);
    if mib >= 10 * 1024 {
        format!("{} GiB", mib.div_ceil(1024))
    } else {
        format!("{mib} MiB")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KIB: u64 = 1024;

    fn stereo_wav() -> StreamShape {
        StreamShape {
            channels: 2,
            sample_rate: 48_000,
            resampled: false,
            decoding: Decoding::Wav,
            extra_places: 0,
        }
    }

    /// `n` section starts, one every 10 s from 0.
    fn sections(n: u64) -> Vec<u64> {
        (0..n).map(|i| i * 480_000).collect()
    }

    fn plan(stems: usize, section_starts: &[u64], start: u64, budget_mib: u64) -> StreamPlan {
        let places = places_by_priority(start, section_starts);
        StreamPlan::new(
            &vec![stereo_wav(); stems],
            &places,
            section_starts,
            budget_mib * MIB,
            256,
        )
    }

    /// A stream's bytes are creek's buffers (read-ahead, seek cache, each cache and one moved
    /// aside, each 8 blocks of f32 per channel) plus the fixed part, the decoder and two
    /// blocks: 15 MiB + 328 KiB for a stereo WAV with 12 caches of 16384-frame blocks.
    #[test]
    fn stream_bytes_count_creeks_buffers() {
        let shape = stereo_wav();
        // One buffer: 16384 frames x 8 blocks x 2 channels x 4 bytes = 1 MiB.
        assert_eq!(
            stream_bytes(&shape, 16_384, 12),
            15 * MIB + 64 * KIB + 8 * KIB + 2 * 128 * KIB
        );
        // A lone cache (the session start's) is never moved aside; two can be.
        let fixed = 64 * KIB + 8 * KIB + 2 * 32 * KIB;
        assert_eq!(stream_bytes(&shape, 4_096, 1), 3 * 256 * KIB + fixed);
        assert_eq!(stream_bytes(&shape, 4_096, 2), 5 * 256 * KIB + fixed);
        // No caches: no cache moved aside either; mono halves the buffers.
        let mono = StreamShape {
            channels: 1,
            ..shape
        };
        assert_eq!(
            stream_bytes(&mono, 4_096, 0),
            2 * 128 * KIB + 64 * KIB + 8 * KIB + 2 * 16 * KIB
        );
        // Another rate adds the resampler; FLAC and Vorbis their decoders.
        let other = StreamShape {
            resampled: true,
            decoding: Decoding::Vorbis,
            ..shape
        };
        assert_eq!(
            stream_bytes(&other, 4_096, 0) - stream_bytes(&shape, 4_096, 0),
            512 * KIB + 640 * KIB - 8 * KIB
        );
    }

    /// Blocks are scaled to the same time at every rate (rounded up to a power of two), so the
    /// 0.7 s read-ahead is at least 0.68 s and the shortest at least 0.34 s at any rate.
    #[test]
    fn blocks_keep_the_read_ahead_in_time() {
        assert_eq!(block_frames(0, 48_000), 16_384);
        assert_eq!(block_frames(0, 44_100), 16_384);
        assert_eq!(block_frames(2, 44_100), 4_096);
        assert_eq!(block_frames(0, 96_000), 32_768);
        assert_eq!(block_frames(2, 96_000), 8_192);
        assert_eq!(block_frames(2, 8_000), 1_024);
        for rate in [
            8_000, 22_050, 32_000, 44_100, 48_000, 88_200, 96_000, 192_000, 384_000,
        ] {
            let seconds = (block_frames(2, rate) * LOOK_AHEAD_BLOCKS) as f64 / f64::from(rate);
            assert!(seconds >= 0.68, "{rate} Hz: {seconds} s");
            let seconds = (block_frames(3, rate) * LOOK_AHEAD_BLOCKS) as f64 / f64::from(rate);
            assert!(seconds >= 0.34, "{rate} Hz: {seconds} s");
        }
    }

    /// 256 stereo stems with 12 sections keep every section start loaded in the default budget
    /// (before the 0.34 s read-ahead they kept 4 of 12 at 0.7 s): they give up the spare caches
    /// and read 0.34 s ahead, and hold under half a GiB at most, with every cache filled and
    /// one moved aside.
    #[test]
    fn two_hundred_fifty_six_stems_and_twelve_sections_keep_every_section_start() {
        let p = plan(256, &sections(12), 0, u64::from(DEFAULT_BUDGET_MIB));
        assert_eq!(p.cached().len(), 12);
        assert_eq!(p.sections_uncached(), 0);
        assert_eq!(p.config(48_000).block_frames, 2_048);
        assert_eq!(p.spare_caches(), 0);
        // 256 x (15 x 128 KiB + 104 KiB) = 506 MiB.
        assert_eq!(p.bytes(), 256 * (15 * 128 * KIB + 104 * KIB));
        assert_eq!(
            p.summary(),
            "stream memory: up to 506 MiB of 512 MiB ([audio] stream_memory_mb); each stem reads \
             0.34 s ahead and keeps 12 place(s) loaded, with 0 spare"
        );
        assert!(p.bytes() <= u64::from(DEFAULT_BUDGET_MIB) * MIB);
        // Only the spare caches are given up; the notice says so and what keeps them.
        assert_eq!(
            p.notice().unwrap(),
            "Memory budget 512 MiB: jumps to sections you add will wait for the disk (raise \
             [audio] stream_memory_mb to 1250 to keep them)"
        );
    }

    /// The places: the session start, the play start, then section starts outwards from the
    /// one the play starts in, the next before the previous; each once.
    #[test]
    fn places_go_outwards_from_the_play_start() {
        let starts = [0, 100, 200, 300, 400, 500];
        assert_eq!(
            places_by_priority(250, &starts),
            [0, 250, 200, 300, 100, 400, 500]
        );
        assert_eq!(places_by_priority(0, &starts), [0, 100, 200, 300, 400, 500]);
        assert_eq!(places_by_priority(50, &[100, 200]), [0, 50, 100, 200]);
        assert_eq!(places_by_priority(70, &[]), [0, 70]);
    }

    /// A typical song, 16 stereo stems with 8 sections, keeps everything as before the budget:
    /// the 2.7 s read-ahead, every section start, spare caches; nothing is said.
    #[test]
    fn a_typical_song_keeps_everything() {
        let plan = plan(16, &sections(8), 0, u64::from(DEFAULT_BUDGET_MIB));
        assert_eq!(plan.config(48_000), StreamConfig::PLAYBACK);
        assert_eq!(plan.cached().len(), 8);
        assert_eq!(plan.sections_uncached(), 0);
        // 16 x (8 places + 4 spare + read-ahead, seek cache, one moved aside = 15 MiB + 328 KiB).
        assert_eq!(plan.bytes(), 16 * (15 * MIB + 328 * KIB));
        assert_eq!(plan.notice(), None);
    }

    /// 64 stereo stems with 20 sections fit the default budget with every section start and
    /// the spare caches, reading 0.7 s ahead.
    #[test]
    fn sixty_four_stems_and_twenty_sections_fit_the_default_budget() {
        let plan = plan(64, &sections(20), 0, u64::from(DEFAULT_BUDGET_MIB));
        assert_eq!(
            plan.config(48_000),
            StreamConfig {
                block_frames: 4_096,
                look_ahead_blocks: 8,
                spare_caches: SPARE_CACHES
            }
        );
        assert_eq!((plan.cached().len(), plan.sections_uncached()), (20, 0));
        // 64 x (27 buffers of 256 KiB + 64 + 8 + 2 x 32 KiB).
        assert_eq!(plan.bytes(), 64 * (27 * 256 * KIB + 136 * KIB));
        assert!(plan.bytes() <= u64::from(DEFAULT_BUDGET_MIB) * MIB);
        assert_eq!(plan.notice(), None);
    }

    /// Under pressure the plan gives up, in order: read-ahead (2.7 s, 1.4 s, 0.7 s), the spare
    /// caches, 0.7 s for 0.34 s, then the section starts farthest from the play start; each
    /// plan fits its budget and the next smaller budget gives up the next thing.
    #[test]
    fn the_budget_gives_up_read_ahead_then_spare_caches_then_far_sections() {
        // 8 stereo stems, 20 sections, playing from section 10.
        let starts = sections(20);
        let at = |budget| plan(8, &starts, starts[10] + 5, budget);
        let full = at(512);
        assert_eq!(full.config(48_000).block_frames, 16_384);
        // 8 x (21 places + 4 spare + 3) MiB: just too much for 200 MiB.
        let p = at(200);
        assert_eq!(p.config(48_000).block_frames, 8_192);
        assert_eq!((p.spare_caches(), p.sections_uncached()), (4, 0));
        let p = at(60);
        assert_eq!(p.config(48_000).block_frames, 4_096);
        assert_eq!((p.spare_caches(), p.sections_uncached()), (4, 0));
        let least_with_everything = p.bytes();
        // 8 x (28 x 256 KiB + 136 KiB) = 57.1 MiB; without spare caches 8 x 24 x 256 KiB + ...
        let p = at(57);
        assert_eq!(p.config(48_000).block_frames, 4_096);
        assert_eq!((p.spare_caches(), p.sections_uncached()), (0, 0));
        // 8 x (24 x 256 KiB + 136 KiB) = 49.1 MiB at 0.7 s; 8 x (24 x 128 KiB + 104 KiB) =
        // 24.8 MiB at 0.34 s keeps every section start.
        let p = at(40);
        assert_eq!(p.config(48_000).block_frames, 2_048);
        assert_eq!((p.spare_caches(), p.sections_uncached()), (0, 0));
        let p = at(16);
        assert_eq!(p.config(48_000).block_frames, 2_048);
        assert_eq!(p.spare_caches(), 0);
        assert!(p.bytes() <= 16 * MIB, "{}", p.bytes());
        // The budget holds k caches: 8 x ((3 + k) x 128 KiB + 104 KiB) <= 16 MiB: k = 12.
        assert_eq!(p.cached().len(), 12);
        // Kept: the session start, the play start, then sections 10, 11, 9, 12, 8, 13, 7, 14, 6,
        // 15.
        let kept: Vec<u64> = [10, 11, 9, 12, 8, 13, 7, 14, 6, 15]
            .iter()
            .map(|&i| starts[i])
            .collect();
        assert_eq!(p.cached()[..2], [0, starts[10] + 5]);
        assert_eq!(p.cached()[2..], kept[..]);
        // Section 0 is the session start: 20 - 11 sections are cached.
        assert_eq!(p.sections_uncached(), 9);
        assert_eq!(
            p.notice().unwrap(),
            format!(
                "Memory budget 16 MiB: jumps to 9 of 20 section starts will wait for the \
                 disk, and so will jumps to sections you add (raise [audio] stream_memory_mb \
                 to {} to keep them)",
                least_with_everything.div_ceil(MIB)
            )
        );
    }

    /// When even the read-ahead alone does not fit, the streams open with no cache at all, and
    /// the notice says what they need at the least.
    #[test]
    fn a_budget_below_the_least_says_what_is_needed() {
        let p = plan(500, &sections(4), 0, 16);
        assert!(p.cached().is_empty());
        // 500 x (2 x 128 KiB + 104 KiB) = 175.8 MiB at 0.34 s.
        assert_eq!(p.config(48_000).block_frames, 2_048);
        assert_eq!(p.bytes(), 500 * (256 * KIB + 104 * KIB));
        assert_eq!(
            p.notice().unwrap(),
            "Memory budget 16 MiB is less than the 176 MiB the stems need at the least; \
             playing anyway, and jumps to the session start and to 4 of 4 section starts will \
             wait for the disk, and so will jumps to sections you add"
        );
    }

    /// More section starts than a stream keeps places for: the rest wait for the disk whatever
    /// the budget, and the notice says why.
    #[test]
    fn a_thousand_sections_are_capped_at_the_places_a_stream_keeps() {
        let starts: Vec<u64> = (0..1000).map(|i| i * 4_800).collect();
        let p = plan(2, &starts, 0, u64::from(DEFAULT_BUDGET_MIB));
        assert_eq!(p.cached().len(), MAX_CACHED);
        assert_eq!(p.sections_uncached(), 1000 - MAX_CACHED);
        assert_eq!(p.config(48_000), StreamConfig::PLAYBACK);
        assert_eq!(
            p.notice().unwrap(),
            "Jumps to 936 of 1000 section starts will wait for the disk: earmix keeps at most \
             64 places per stem loaded"
        );
    }

    /// A large device buffer keeps the read-ahead at four buffers or more.
    #[test]
    fn a_large_device_buffer_keeps_a_longer_read_ahead() {
        let places = places_by_priority(0, &sections(20));
        let p = StreamPlan::new(
            &vec![stereo_wav(); 64],
            &places,
            &sections(20),
            64 * MIB,
            16_384,
        );
        assert_eq!(p.config(48_000).block_frames * LOOK_AHEAD_BLOCKS, 65_536);
    }

    /// The reference's alignment anchors are counted as places of its own.
    #[test]
    fn the_reference_counts_its_anchors() {
        let places = places_by_priority(0, &sections(4));
        let reference = StreamShape {
            extra_places: 3,
            ..stereo_wav()
        };
        let p = StreamPlan::new(
            &[stereo_wav(), reference],
            &places,
            &sections(4),
            512 * MIB,
            256,
        );
        assert_eq!(
            p.bytes(),
            stream_bytes(&stereo_wav(), 16_384, 4 + SPARE_CACHES)
                + stream_bytes(&reference, 16_384, 7 + SPARE_CACHES)
        );
    }

    /// A split-stereo channel is planned as the two mono streams it opens, a channel in one
    /// file as one stream of its channels.
    #[test]
    fn a_split_stereo_channel_is_two_mono_streams() {
        let mut session = crate::app::edit::test_session(std::path::Path::new("/s/s.toml"));
        session.stems[1].channels = 2;
        let mono = StreamShape {
            channels: 1,
            decoding: Decoding::Symphonia,
            ..stereo_wav()
        };
        let stereo = StreamShape {
            channels: 2,
            ..mono
        };
        assert_eq!(stem_shapes(&session, 48_000), [mono, stereo]);
        session.channels[1].right_file = Some("keys R.wav".into());
        assert_eq!(stem_shapes(&session, 48_000), [mono, mono, mono]);
    }

    /// The decoding follows the probe's description of the file.
    #[test]
    fn decoding_follows_the_format() {
        assert_eq!(Decoding::of_format("WAV, PCM 24-bit"), Decoding::Wav);
        assert_eq!(Decoding::of_format("WAV, float 32-bit"), Decoding::Wav);
        assert_eq!(Decoding::of_format("WAV, PCM 8-bit"), Decoding::Symphonia);
        assert_eq!(
            Decoding::of_format("FLAC, FLAC 24-bit"),
            Decoding::Symphonia
        );
        assert_eq!(Decoding::of_format("MP3, MP3"), Decoding::Mp3);
        assert_eq!(Decoding::of_format("OGG, Vorbis"), Decoding::Vorbis);
    }
}
