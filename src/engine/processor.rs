//! The `Processor`: the mixing core that runs on the audio thread during playback and on the
//! bounce thread during an offline render. The same code serves both, so a bounce is
//! sample-identical to what was heard. After construction every method is realtime-safe unless
//! its doc says otherwise: nothing here allocates, locks, blocks (in realtime mode) or prints.

use super::smoother::{Smoother, ramp_frames};
use super::source::{MAX_BLOCK, ReadMode, Source};
use super::streams::{StemStream, StreamConfig, StreamError};
use super::strip::{Strip, StripParams};
use crate::session::Session;
use crate::units::{Decibels, Pan, StripId};

/// What happened during one `process` call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProcessStatus {
    /// Strips whose data was not ready (they played silence).
    pub underruns: u32,
    /// Strips whose source failed (they play silence from now on).
    pub failures: u32,
}

/// The mixing core: sources -> strips -> bus -> master.
pub struct Processor {
    strips: Vec<Strip>,
    sources: Vec<Box<dyn Source>>,
    master: Smoother,
    master_db: Decibels,
    any_solo: bool,
    playhead: u64,
    sample_rate: u32,
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
        let (strips, sources) = strips
            .into_iter()
            .map(|(params, source)| {
                (
                    Strip::new(source.channels(), params, ramp, any_solo),
                    source,
                )
            })
            .unzip();
        Self {
            strips,
            sources,
            master: Smoother::new(master_db.to_amplitude(), ramp),
            master_db,
            any_solo,
            playhead: 0,
            sample_rate,
        }
    }

    /// A processor for a session: opens one creek stream per stem at `start_frame`.
    ///
    /// Not realtime-safe (opens files, starts I/O threads).
    pub fn for_session(
        session: &Session,
        start_frame: u64,
        config: StreamConfig,
    ) -> Result<Self, StreamError> {
        let mut strips = Vec::with_capacity(session.channels.len());
        for channel in &session.channels {
            let stream = StemStream::open(&session.stem_path(channel), start_frame, config)?;
            let params = StripParams {
                trim: channel.trim_db,
                gain: channel.gain_db,
                pan: channel.pan,
                mute: channel.mute,
                solo: channel.solo,
            };
            strips.push((params, Box::new(stream) as Box<dyn Source>));
        }
        let mut processor = Self::new(session.sample_rate, strips, session.master_db);
        processor.playhead = start_frame;
        Ok(processor)
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
            strip.settle(self.any_solo);
        }
        self.master.set_immediate(self.master_db.to_amplitude());
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
        assert_eq!(out_l.len(), out_r.len(), "output channels differ in length");
        let mut status = ProcessStatus::default();
        let mut offset = 0;
        while offset < out_l.len() {
            let frames = (out_l.len() - offset).min(MAX_BLOCK);
            let bus_l = &mut out_l[offset..offset + frames];
            let bus_r = &mut out_r[offset..offset + frames];
            bus_l.fill(0.0);
            bus_r.fill(0.0);
            for (strip, source) in self.strips.iter_mut().zip(&mut self.sources) {
                let read = source.read(frames, strip.input_mut(), mode);
                status.underruns += u32::from(read.underrun);
                status.failures += u32::from(read.failed);
                strip.mix_into(frames, bus_l, bus_r);
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
            offset += frames;
            self.playhead += frames as u64;
        }
        status
    }
}
