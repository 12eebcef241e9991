//! The `Processor`: the mixing core that runs on the audio thread during playback and on the
//! bounce thread during an offline render. The same code serves both, so a bounce is
//! sample-identical to what was heard. After construction every method is realtime-safe unless
//! its doc says otherwise: nothing here allocates, locks, blocks (in realtime mode) or prints.

use std::sync::Arc;

use super::health::StemHealth;
use super::meter::{BlockMeter, MeterBank};
use super::ride::{RideHold, RideTable};
use super::scene::{SceneLevel, SceneTimeline};
use super::smoother::{Smoother, ramp_frames};
use super::source::{MAX_BLOCK, MAX_CACHED, Placed, ReadMode, Source, SplitStereo, StreamError};
use super::stream_plan::{StreamPlan, add_by_distance};
use super::streams::{StreamConfig, open_stem};
use super::strip::{Strip, StripParams};
use crate::session::{Channel, Session};
use crate::units::{Decibels, Pan, StripId};

/// Where a channel's stem starts on a timeline at `mix_rate`: its `start` (frames at the
/// session's rate) converted to the mix rate, rounded to the nearest frame.
pub fn start_at(session: &Session, channel: &Channel, mix_rate: u32) -> u64 {
    let rate = u128::from(session.sample_rate.max(1));
    let frames = u128::from(channel.start_frames) * u128::from(mix_rate);
    u64::try_from((frames + rate / 2) / rate).unwrap_or(u64::MAX)
}

/// Opens a channel's stem for a mix at `mix_rate` ([`open_stem`]; both files of a split-stereo
/// stem, as one [`SplitStereo`] source), placed at the channel's start: silent before it. `start_frame` and `cache_frames` are timeline frames at
/// `mix_rate`; places before the stem's start keep its first frame loaded.
///
/// Not realtime-safe (opens files, starts I/O threads).
pub fn open_channel(
    session: &Session,
    channel: &Channel,
    mix_rate: u32,
    start_frame: u64,
    cache_frames: &[u64],
    config: StreamConfig,
) -> Result<Box<dyn Source>, StreamError> {
    let offset = start_at(session, channel, mix_rate);
    let inner_frame = |frame: u64| frame.saturating_sub(offset);
    let caches: Vec<u64> = cache_frames.iter().map(|&f| inner_frame(f)).collect();
    let open = |path: &std::path::Path| {
        open_stem(path, mix_rate, inner_frame(start_frame), &caches, config)
    };
    let left = session.stem_path(channel);
    let mut source = open(&left)?;
    if let Some(right) = session.right_stem_path(channel) {
        let pair = SplitStereo::new(source, open(&right)?);
        source = Box::new(pair.map_err(|(l, r)| StreamError::Decode {
            path: if l == 1 { right } else { left },
            reason: format!(
                "the files of a split-stereo channel must be mono; they have {l} and {r} \
                 channels"
            ),
        })?);
    }
    if offset == 0 {
        return Ok(source);
    }
    Ok(Box::new(Placed::new(source, offset, start_frame)))
}

/// What the decoders found wrong with a strip's stem files: its file (the left one of a
/// split-stereo stem), then the right file of a split-stereo stem. `None` for sources in
/// memory and for the right of a stem in one file.
pub type StripHealth = [Option<Arc<StemHealth>>; 2];

/// What happened during one `process` call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProcessStatus {
    /// Strips whose data was not ready (they played silence).
    pub underruns: u32,
    /// Strips whose source failed (they play silence from now on).
    pub failures: u32,
}

/// Per-strip output buffers for [`Processor::process_tapped`]: what each strip added to the mix
/// in the last call (after trim, fader, section scene, ride and pan; before the master fader).
#[derive(Debug, Clone)]
pub struct StripTaps {
    left: Vec<Vec<f32>>,
    right: Vec<Vec<f32>>,
    frames: usize,
}

impl StripTaps {
    /// Buffers for `strips` strips and calls of up to `max_frames` frames. Not realtime-safe.
    pub fn new(strips: usize, max_frames: usize) -> Self {
        Self {
            left: vec![vec![0.0; max_frames]; strips],
            right: vec![vec![0.0; max_frames]; strips],
            frames: 0,
        }
    }

    /// A strip's left channel in the last call.
    pub fn left(&self, strip: usize) -> &[f32] {
        &self.left[strip][..self.frames]
    }

    /// A strip's right channel in the last call.
    pub fn right(&self, strip: usize) -> &[f32] {
        &self.right[strip][..self.frames]
    }
}

/// The mixing core: sources -> strips -> bus -> master.
pub struct Processor {
    strips: Vec<Strip>,
    sources: Vec<Box<dyn Source>>,
    scenes: Box<SceneTimeline>,
    /// The scene segment the playhead is in (see [`SceneTimeline`]).
    segment: usize,
    /// Compare: play the base mix in place of the section scenes.
    scenes_bypassed: bool,
    /// Each strip's ride, if it has one.
    rides: Box<RideTable>,
    /// Each strip's hold (while its ride is recorded).
    holds: Vec<RideHold>,
    /// The ride's gains for the strip being mixed, one per frame of the block.
    ride_gains: Vec<f32>,
    master: Smoother,
    master_db: Decibels,
    any_solo: bool,
    playhead: u64,
    sample_rate: u32,
    meters: Option<Arc<MeterBank>>,
    master_meter: BlockMeter,
}

impl Processor {
    /// A processor over in-memory or streamed sources, one strip per source, resting at the given
    /// settings. Not realtime-safe (allocates).
    pub fn new(
        sample_rate: u32,
        strips: Vec<(StripParams, Box<dyn Source>)>,
        master_db: Decibels,
    ) -> Self {
        let ramp = ramp_frames(sample_rate);
        let any_solo = strips.iter().any(|(p, _)| p.solo);
        let scenes = Box::new(SceneTimeline::empty(strips.len()));
        let rides = Box::new(RideTable::empty(strips.len()));
        let holds = vec![RideHold::new(ramp); strips.len()];
        let (strips, sources) = strips
            .into_iter()
            .map(|(params, source)| {
                (
                    Strip::new(source.channels(), params, ramp, any_solo, sample_rate),
                    source,
                )
            })
            .unzip();
        Self {
            strips,
            sources,
            scenes,
            segment: 0,
            scenes_bypassed: false,
            rides,
            holds,
            ride_gains: vec![0.0; MAX_BLOCK],
            master: Smoother::new(master_db.to_amplitude(), ramp),
            master_db,
            any_solo,
            playhead: 0,
            sample_rate,
            meters: None,
            master_meter: BlockMeter::new(sample_rate),
        }
    }

    /// A processor for a session, mixing at `mix_rate`, with what each channel is heard at: its
    /// levels with its groups counted ([`Session::heard_levels`]), its section scenes and its
    /// rides (both with its groups' counted, see [`SceneTimeline::for_session`] and
    /// [`RideTable::for_session`]). Opens one creek stream per stem
    /// ([`open_channel`]: resampled when the stem is at another rate, placed at the channel's
    /// start) at `start_frame`, keeping the
    /// data at each of `cache_frames` buffered so a seek there plays at once. Both are timeline
    /// frames at `mix_rate`.
    ///
    /// Not realtime-safe (opens files, starts I/O threads).
    pub fn for_session(
        session: &Session,
        mix_rate: u32,
        start_frame: u64,
        cache_frames: &[u64],
        config: StreamConfig,
    ) -> Result<Self, StreamError> {
        Self::open_session(session, mix_rate, start_frame, cache_frames, |_| config)
    }

    /// Like [`Self::for_session`], buffering as `plan` says: each stem reads ahead as far as
    /// the plan gives a file at its rate, and keeps the plan's places loaded.
    ///
    /// Not realtime-safe (opens files, starts I/O threads).
    pub fn for_session_planned(
        session: &Session,
        mix_rate: u32,
        start_frame: u64,
        plan: &StreamPlan,
    ) -> Result<Self, StreamError> {
        Self::open_session(session, mix_rate, start_frame, plan.cached(), |rate| {
            plan.config(rate)
        })
    }

    /// Opens every stem with the config `config_at` gives for the stem's rate.
    fn open_session(
        session: &Session,
        mix_rate: u32,
        start_frame: u64,
        cache_frames: &[u64],
        config_at: impl Fn(u32) -> StreamConfig + Sync,
    ) -> Result<Self, StreamError> {
        // Several at once (see `open_each`): each open mostly waits for its I/O thread.
        let sources = super::stem_io::open_each(session.channels.len(), |i| {
            let rate = session.stems.get(i).map_or(mix_rate, |s| s.sample_rate);
            open_channel(
                session,
                &session.channels[i],
                mix_rate,
                start_frame,
                cache_frames,
                config_at(rate),
            )
        })?;
        let mut strips = Vec::with_capacity(session.channels.len());
        for (i, (channel, source)) in session.channels.iter().zip(sources).enumerate() {
            let heard = session.heard_levels(i);
            let params = StripParams {
                trim: channel.trim_db,
                gain: heard.map_or(channel.gain_db, |h| h.gain),
                pan: heard.map_or(channel.pan, |h| h.pan),
                mute: heard.map_or(channel.mute, |h| h.mute),
                solo: heard.map_or(channel.solo, |h| h.solo),
            };
            strips.push((params, source));
        }
        let mut processor = Self::new(mix_rate, strips, session.master_db);
        processor.playhead = start_frame;
        processor.scenes = Box::new(SceneTimeline::for_session(session, mix_rate));
        processor.rides = Box::new(RideTable::for_session(session, mix_rate));
        processor.place_scenes();
        Ok(processor)
    }

    /// Replaces the section scenes and returns the old ones, which the caller must drop off the
    /// audio thread. Levels glide to the new scenes like a fader move. The timeline should have
    /// one level per strip (missing ones are the base fader).
    ///
    /// Realtime-safe (the timeline was built elsewhere; it is only moved here).
    ///
    /// The sources keep the session start and the section starts of the new timeline cached
    /// (sections added or moved since the session opened included), so jumps there play at
    /// once: as many as they have caches for, the section starts nearest the play head (in
    /// sections) first. When the section starts are those of the old timeline (new levels
    /// only, as after a group fader move), the sources are not asked again.
    pub fn set_scenes(&mut self, scenes: Box<SceneTimeline>) -> Box<SceneTimeline> {
        let old = std::mem::replace(&mut self.scenes, scenes);
        self.segment = self.scenes.segment_at(self.playhead);
        self.glide_to_scenes();
        if old.starts().eq(self.scenes.starts()) {
            return old;
        }
        let mut frames = [0u64; MAX_CACHED];
        let n = self.places_near_playhead(&mut frames);
        for source in &mut self.sources {
            source.recache(&frames[..n]);
        }
        old
    }

    /// Writes the session start, then the section starts by their distance in sections from
    /// the one the play head is in (the next before the previous), into `frames`; returns how
    /// many. With more sections than fit, those nearest the play head.
    ///
    /// Realtime-safe.
    fn places_near_playhead(&self, frames: &mut [u64; MAX_CACHED]) -> usize {
        frames[0] = 0;
        let mut len = 1;
        let total = self.scenes.starts().count();
        let here = self
            .scenes
            .starts()
            .take_while(|&s| s <= self.playhead)
            .count()
            .saturating_sub(1);
        let window = (MAX_CACHED - 1).min(total);
        let first = here.saturating_sub(window / 2).min(total - window);
        let mut near = [0u64; MAX_CACHED];
        for (to, start) in near.iter_mut().zip(self.scenes.starts().skip(first)) {
            *to = start;
        }
        add_by_distance(here - first, &near[..window], &mut |frame| {
            if len < MAX_CACHED && !frames[..len].contains(&frame) {
                frames[len] = frame;
                len += 1;
            }
        });
        len
    }

    /// Replaces the rides and returns the old ones, which the caller must drop off the audio
    /// thread. The new rides apply from the next frame (a ride recorded while playing is
    /// already being heard through the hold). The table should have one place per strip
    /// (missing ones have no ride).
    ///
    /// Realtime-safe (the table was built elsewhere; it is only moved here).
    pub fn set_rides(&mut self, rides: Box<RideTable>) -> Box<RideTable> {
        std::mem::replace(&mut self.rides, rides)
    }

    /// The rides in force.
    ///
    /// Realtime-safe.
    pub fn rides(&self) -> &RideTable {
        &self.rides
    }

    /// Holds a strip's ride at `db` (dB added to its fader, in place of the ride), gliding
    /// there over 10 ms, or (`None`) glides back onto the ride over 10 ms.
    ///
    /// Realtime-safe.
    pub fn hold_ride(&mut self, id: StripId, db: Option<Decibels>) {
        if let Some(hold) = self.holds.get_mut(id.0) {
            hold.set(db);
        }
    }

    /// Plays the base mix in place of the section scenes and the rides (true), or the scenes
    /// and rides again (false): the compare switch. Glides like a fader move.
    ///
    /// Realtime-safe.
    pub fn set_scenes_bypassed(&mut self, bypassed: bool) {
        if self.scenes_bypassed != bypassed {
            self.scenes_bypassed = bypassed;
            self.glide_to_scenes();
            for hold in &mut self.holds {
                hold.set_bypassed(bypassed);
            }
        }
    }

    /// True while the base mix plays in place of the section scenes.
    pub fn scenes_bypassed(&self) -> bool {
        self.scenes_bypassed
    }

    /// The section scenes in force.
    pub fn scenes(&self) -> &SceneTimeline {
        &self.scenes
    }

    /// A strip's level in a scene segment, with the compare switch applied.
    fn scene_level(&self, segment: usize, strip: usize) -> SceneLevel {
        if self.scenes_bypassed {
            SceneLevel::Base
        } else {
            self.scenes.level(segment, strip)
        }
    }

    /// Every strip glides to its level in the current segment, like a fader move.
    fn glide_to_scenes(&mut self) {
        for i in 0..self.strips.len() {
            let level = self.scene_level(self.segment, i);
            self.strips[i].follow_scene(level);
        }
    }

    /// Puts every strip's fader where the scenes have it at the playhead, at once (after a
    /// jump), including partway through a scene glide.
    fn place_scenes(&mut self) {
        let frame = self.playhead;
        let segment = self.scenes.segment_at(frame);
        self.segment = segment;
        let start = self.scenes.segment_start(segment);
        let ramp = self.scenes.ramp_into(segment);
        let into = frame - start.min(frame);
        for i in 0..self.strips.len() {
            let to = self.scene_level(segment, i);
            if segment > 0 && into < u64::from(ramp) {
                let from = self.scene_level(segment - 1, i);
                self.strips[i].land_in_scene_glide(from, to, ramp, into as u32);
            } else {
                self.strips[i].enter_scene(to, 0);
            }
        }
    }

    /// Starts the scene changes due at the playhead.
    fn enter_due_scenes(&mut self) {
        while self.scenes.next_change(self.segment) == Some(self.playhead) {
            self.segment += 1;
            let ramp = self.scenes.ramp_into(self.segment);
            for i in 0..self.strips.len() {
                let level = self.scene_level(self.segment, i);
                self.strips[i].enter_scene(level, ramp);
            }
        }
    }

    /// Measures every strip (after its fader and pan) and the master into `bank` from now on.
    /// The bank must have one meter per strip. Not realtime-safe (call before handing the
    /// processor to the audio thread).
    pub fn attach_meters(&mut self, bank: Arc<MeterBank>) {
        assert_eq!(bank.strip_count(), self.strips.len(), "one meter per strip");
        self.meters = Some(bank);
    }

    /// Waits until every source has data at the playhead.
    ///
    /// Not realtime-safe (blocks; call before handing the processor to the audio thread).
    pub fn wait_ready(&mut self) -> Result<(), StreamError> {
        for source in &mut self.sources {
            source.wait_ready()?;
        }
        Ok(())
    }

    /// How many sources are still loading data at the playhead (after a jump to a place that
    /// was not cached).
    ///
    /// Realtime-safe.
    pub fn sources_loading(&mut self) -> u32 {
        self.sources
            .iter_mut()
            .map(|s| u32::from(!s.is_ready()))
            .sum()
    }

    /// What the decoders found wrong with each strip's stem file so far (`None` for sources in
    /// memory), in strip order.
    ///
    /// Not realtime-safe (allocates).
    pub fn stem_health(&self) -> Vec<StripHealth> {
        self.sources
            .iter()
            .map(|s| [s.health().cloned(), s.right_health().cloned()])
            .collect()
    }

    /// The sample rate the processor runs at.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// The timeline frame the next `process` call starts at.
    pub fn playhead(&self) -> u64 {
        self.playhead
    }

    /// The number of strips.
    pub fn strip_count(&self) -> usize {
        self.strips.len()
    }

    /// A strip's settings.
    pub fn strip_params(&self, id: StripId) -> Option<&StripParams> {
        self.strips.get(id.0).map(Strip::params)
    }

    /// The master fader.
    pub fn master_db(&self) -> Decibels {
        self.master_db
    }

    fn edit(&mut self, id: StripId, change: impl FnOnce(&mut StripParams)) {
        if let Some(strip) = self.strips.get_mut(id.0) {
            change(strip.params_mut());
            strip.retarget(self.any_solo);
        }
    }

    /// Sets a strip's trim (glides).
    pub fn set_trim(&mut self, id: StripId, trim: Decibels) {
        self.edit(id, |p| p.trim = trim);
    }

    /// Sets a strip's fader (glides).
    pub fn set_gain(&mut self, id: StripId, gain: Decibels) {
        self.edit(id, |p| p.gain = gain);
    }

    /// Sets a strip's pan (glides).
    pub fn set_pan(&mut self, id: StripId, pan: Pan) {
        self.edit(id, |p| p.pan = pan);
    }

    /// Mutes or unmutes a strip (a 10 ms ramp to or from exact zero).
    pub fn set_mute(&mut self, id: StripId, mute: bool) {
        self.edit(id, |p| p.mute = mute);
    }

    /// Solos or unsolos a strip. Solo is in place: while any strip is soloed only soloed strips
    /// sound. Mute flags are never touched, so un-soloing restores the mutes exactly.
    pub fn set_solo(&mut self, id: StripId, solo: bool) {
        if let Some(strip) = self.strips.get_mut(id.0) {
            strip.params_mut().solo = solo;
        }
        self.solo_changed();
    }

    /// Clears every solo.
    pub fn clear_solos(&mut self) {
        for strip in &mut self.strips {
            strip.params_mut().solo = false;
        }
        self.solo_changed();
    }

    fn solo_changed(&mut self) {
        self.any_solo = self.strips.iter().any(|s| s.params().solo);
        for strip in &mut self.strips {
            strip.retarget(self.any_solo);
        }
    }

    /// Puts a new source on a strip at the current playhead and returns the old one, which the
    /// caller must drop off the audio thread. `None` (and the source given back) when there is
    /// no such strip.
    ///
    /// Realtime-safe (the new source was built elsewhere; it is only moved here).
    pub fn replace_source(
        &mut self,
        id: StripId,
        mut source: Box<dyn Source>,
    ) -> Result<Box<dyn Source>, Box<dyn Source>> {
        let Some(strip) = self.strips.get_mut(id.0) else {
            return Err(source);
        };
        source.seek(self.playhead);
        strip.input_mut().set_channels(source.channels());
        strip.settle(self.any_solo);
        Ok(std::mem::replace(&mut self.sources[id.0], source))
    }

    /// Sets the master fader (glides).
    pub fn set_master(&mut self, gain: Decibels) {
        self.master_db = gain;
        self.master.set_target(gain.to_amplitude());
    }

    /// Moves the playhead. Every source seeks, and gains jump to their targets (a jump is a cut,
    /// so there is nothing to glide from).
    pub fn seek(&mut self, frame: u64) {
        self.playhead = frame;
        for source in &mut self.sources {
            source.seek(frame);
        }
        for strip in &mut self.strips {
            strip.settle_gains(self.any_solo);
            strip.reset_meter();
        }
        for hold in &mut self.holds {
            hold.settle();
        }
        self.place_scenes();
        self.master.set_immediate(self.master_db.to_amplitude());
        self.master_meter.reset();
    }

    /// Mixes the next `out_l.len()` frames (any length; `out_r` must be as long) into the two
    /// output channels, overwriting them, and advances the playhead.
    ///
    /// Realtime-safe with [`ReadMode::Realtime`]; [`ReadMode::Blocking`] waits for disk data.
    pub fn process(
        &mut self,
        out_l: &mut [f32],
        out_r: &mut [f32],
        mode: ReadMode,
    ) -> ProcessStatus {
        self.process_inner(out_l, out_r, mode, None)
    }

    /// Like [`Processor::process`], and also writes what each strip added to the mix (after
    /// trim, fader, section scene, ride and pan; before the master fader) into `taps`, which
    /// must have one buffer per strip of at least `out_l.len()` frames. The mix is the same as
    /// [`Processor::process`] gives, sample for sample.
    ///
    /// Realtime-safe with [`ReadMode::Realtime`].
    pub fn process_tapped(
        &mut self,
        out_l: &mut [f32],
        out_r: &mut [f32],
        mode: ReadMode,
        taps: &mut StripTaps,
    ) -> ProcessStatus {
        assert_eq!(taps.left.len(), self.strips.len(), "one tap per strip");
        assert!(
            taps.left.iter().all(|t| t.len() >= out_l.len()),
            "taps shorter than the block"
        );
        taps.frames = out_l.len();
        self.process_inner(out_l, out_r, mode, Some(taps))
    }

    fn process_inner(
        &mut self,
        out_l: &mut [f32],
        out_r: &mut [f32],
        mode: ReadMode,
        mut taps: Option<&mut StripTaps>,
    ) -> ProcessStatus {
        assert_eq!(out_l.len(), out_r.len(), "output channels differ in length");
        let mut status = ProcessStatus::default();
        let metering = self.meters.is_some();
        let mut offset = 0;
        while offset < out_l.len() {
            self.enter_due_scenes();
            let mut frames = (out_l.len() - offset).min(MAX_BLOCK);
            if let Some(next) = self.scenes.next_change(self.segment) {
                frames = frames.min((next - self.playhead) as usize);
            }
            let bus_l = &mut out_l[offset..offset + frames];
            let bus_r = &mut out_r[offset..offset + frames];
            bus_l.fill(0.0);
            bus_r.fill(0.0);
            for (i, (strip, source)) in self.strips.iter_mut().zip(&mut self.sources).enumerate() {
                let read = source.read(frames, strip.input_mut(), mode);
                status.underruns += u32::from(read.underrun);
                status.failures += u32::from(read.failed);
                // A ride holding one level over the whole block, played untouched, mixes as a
                // fader does (what the bounce does with most of a ride that moves now and then).
                let flat = match self.rides.curve(i) {
                    Some(curve) if !metering && self.holds[i].is_idle() && !strip.is_gliding() => {
                        curve.flat_gain(self.playhead, frames)
                    }
                    _ => None,
                };
                let ride = match flat {
                    Some(_) => None,
                    None => ride_gains(
                        self.rides.curve(i),
                        &mut self.holds[i],
                        self.playhead,
                        &mut self.ride_gains[..frames],
                    ),
                };
                let mix = |strip: &mut Strip, l: &mut [f32], r: &mut [f32]| match (flat, ride) {
                    (Some(g), _) => strip.mix_flat_ride_into(frames, g, l, r),
                    (None, Some(gains)) => strip.mix_ridden_into(frames, gains, l, r, metering),
                    (None, None) => strip.mix_into(frames, l, r, metering),
                };
                match taps.as_deref_mut() {
                    None => mix(strip, bus_l, bus_r),
                    Some(taps) => {
                        let tap_l = &mut taps.left[i][offset..offset + frames];
                        let tap_r = &mut taps.right[i][offset..offset + frames];
                        tap_l.fill(0.0);
                        tap_r.fill(0.0);
                        mix(strip, tap_l, tap_r);
                        for (b, t) in bus_l.iter_mut().zip(tap_l.iter()) {
                            *b += *t;
                        }
                        for (b, t) in bus_r.iter_mut().zip(tap_r.iter()) {
                            *b += *t;
                        }
                    }
                }
            }
            if self.master.is_settled() {
                let g = self.master.target();
                if g != 1.0 {
                    for x in bus_l.iter_mut().chain(bus_r.iter_mut()) {
                        *x *= g;
                    }
                }
            } else {
                for (l, r) in bus_l.iter_mut().zip(bus_r.iter_mut()) {
                    let g = self.master.next_value();
                    *l *= g;
                    *r *= g;
                }
            }
            if metering {
                self.master_meter.measure(bus_l, bus_r);
            }
            offset += frames;
            self.playhead += frames as u64;
        }
        if let Some(bank) = &self.meters {
            for (i, strip) in self.strips.iter_mut().enumerate() {
                if let Some(cell) = bank.strip(i) {
                    strip.publish_meter(cell);
                }
            }
            self.master_meter.publish(bank.master());
        }
        status
    }
}

/// The ride's gains for a strip over the next `out.len()` frames from `playhead` (its ride's,
/// or 1.0 without one, with its hold applied), or `None` when it has no ride and is not held,
/// so it mixes without a multiply, exactly as without rides.
///
/// Realtime-safe.
fn ride_gains<'a>(
    curve: Option<&super::ride::RideCurve>,
    hold: &mut RideHold,
    playhead: u64,
    out: &'a mut [f32],
) -> Option<&'a mut [f32]> {
    // Without a ride, only a held level changes anything (leaving out no ride is nothing).
    if curve.is_none() && hold.is_unheld() {
        return None;
    }
    match curve {
        Some(curve) => curve.fill(playhead, out),
        None => out.fill(1.0),
    }
    if !hold.is_idle() {
        hold.apply(out);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::scene::SceneLevel;
    use crate::engine::source::{ReadStatus, StemBuffer};
    use std::sync::Mutex;

    /// A silent source that records the frames it was last asked to keep cached.
    struct CacheProbe(Arc<Mutex<Vec<u64>>>);

    impl Source for CacheProbe {
        fn channels(&self) -> usize {
            1
        }
        fn len_frames(&self) -> u64 {
            u64::MAX
        }
        fn seek(&mut self, _frame: u64) {}
        fn read(&mut self, frames: usize, out: &mut StemBuffer, _mode: ReadMode) -> ReadStatus {
            out.silence(0, frames);
            ReadStatus {
                frames,
                ..ReadStatus::default()
            }
        }
        fn recache(&mut self, frames: &[u64]) {
            *self.0.lock().unwrap() = frames.to_vec();
        }
    }

    /// New scenes ask the sources to cache the session start, then the section starts outwards
    /// from the one the play head is in (next before previous), as many as a source keeps: with
    /// 100 sections, the 63 nearest the play head; new scenes with the same section starts
    /// ask nothing.
    #[test]
    fn new_scenes_cache_the_sections_nearest_the_play_head() {
        let asked = Arc::new(Mutex::new(Vec::new()));
        let params = StripParams {
            trim: Decibels(0.0),
            gain: Decibels(0.0),
            pan: Pan(0.0),
            mute: false,
            solo: false,
        };
        let probe: Box<dyn Source> = Box::new(CacheProbe(Arc::clone(&asked)));
        let mut processor = Processor::new(48_000, vec![(params, probe)], Decibels(0.0));
        let sections = || {
            let sections = (1..=100u64)
                .map(|i| (i * 1_000, 0, vec![SceneLevel::Base]))
                .collect();
            Box::new(SceneTimeline::new(1, 200_000, sections))
        };
        let mut asked_at = |playhead: u64| {
            processor.seek(playhead);
            processor.set_scenes(Box::new(SceneTimeline::empty(1)));
            processor.set_scenes(sections());
            let asked_now = asked.lock().unwrap().clone();
            // The same section starts again (new levels only): the sources are not asked.
            asked.lock().unwrap().clear();
            processor.set_scenes(sections());
            assert!(asked.lock().unwrap().is_empty());
            asked_now
        };
        // Before the first section: from section 1 on.
        let want: Vec<u64> = [0].into_iter().chain((1..=63).map(|i| i * 1_000)).collect();
        assert_eq!(asked_at(0), want);
        // Inside section 50 (starting at 50 000): 50, 51, 49, 52, 48, ... within 19..=81.
        let got = asked_at(50_500);
        assert_eq!(got[..6], [0, 50_000, 51_000, 49_000, 52_000, 48_000]);
        assert_eq!(got.len(), MAX_CACHED);
        assert!(got[1..].iter().all(|f| (19_000..=81_000).contains(f)));
        // Near the end the window stays whole: 37..=100.
        let got = asked_at(99_000);
        assert_eq!(got[..4], [0, 99_000, 100_000, 98_000]);
        assert_eq!(got.len(), MAX_CACHED);
        assert!(got[1..].iter().all(|f| *f >= 37_000));
    }

    /// The compare switch leaves the rides out as well as the scenes: once its 10 ms glide is
    /// over, a ridden strip plays exactly as it would with no ride, and switching back brings
    /// the ride back.
    #[test]
    fn compare_leaves_the_rides_out() {
        use crate::engine::ride::{RideCurve, RideTable};
        use crate::engine::source::MemorySource;
        let rate = 48_000;
        let tone: Vec<f32> = (0..rate).map(|i| ((i as f32) * 0.05).sin() * 0.5).collect();
        let make = |ride: bool| {
            let source: Box<dyn Source> = Box::new(MemorySource::new(vec![tone.clone()]));
            let mut p = Processor::new(rate, vec![(StripParams::default(), source)], Decibels(0.0));
            if ride {
                let curve = RideCurve::from_frames(&[(0, 0.0), (48_000, -12.0)]).expect("a curve");
                p.set_rides(Box::new(RideTable::new(vec![Some(curve)])));
            }
            p
        };
        let block = |p: &mut Processor| {
            let (mut l, mut r) = (vec![0.0f32; 960], vec![0.0f32; 960]);
            p.process(&mut l, &mut r, ReadMode::Blocking);
            l
        };
        let (mut ridden, mut plain) = (make(true), make(false));
        assert_ne!(block(&mut ridden), block(&mut plain), "the ride is heard");
        ridden.set_scenes_bypassed(true);
        plain.set_scenes_bypassed(true);
        let gliding = block(&mut ridden);
        assert_ne!(gliding, block(&mut plain), "the ride glides out over 10 ms");
        assert_eq!(block(&mut ridden), block(&mut plain), "then it is left out");
        ridden.set_scenes_bypassed(false);
        plain.set_scenes_bypassed(false);
        block(&mut ridden);
        block(&mut plain);
        assert_ne!(block(&mut ridden), block(&mut plain), "the ride is back");
    }
}
