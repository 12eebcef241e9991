//! A channel strip's processing: trim -> fader (with the section scene) -> ride -> mute/solo
//! -> pan, summed into the mix bus.
//! Runs on whichever thread mixes (audio thread or bounce thread); everything here is
//! realtime-safe once constructed.

use super::meter::{BlockMeter, MeterCell};
use super::scene::SceneLevel;
use super::smoother::Smoother;
use super::source::StemBuffer;
use crate::units::{Decibels, Pan};

/// The user-facing settings of a strip.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StripParams {
    /// Input trim.
    pub trim: Decibels,
    /// Fader.
    pub gain: Decibels,
    /// Pan (mono stems) or balance (stereo stems).
    pub pan: Pan,
    /// Muted by the user.
    pub mute: bool,
    /// Soloed by the user.
    pub solo: bool,
}

impl Default for StripParams {
    fn default() -> Self {
        Self {
            trim: Decibels::UNITY,
            gain: Decibels::UNITY,
            pan: Pan::CENTRE,
            mute: false,
            solo: false,
        }
    }
}

/// One strip: its settings, the smoothed gains they give, and its input buffer.
///
/// The gain applied to each sample is `gain_l` (or `gain_r`) times `fader`: the first pair
/// carries trim, pan law and mute/solo, the second the fader level the section scene asks for
/// (the strip's own fader, a scene's value, or 0 when the scene mutes it). They glide apart:
/// the fader glides over a scene change's ramp, in equal steps of decibels, while a mute still
/// takes 10 ms. A strip with a ride multiplies the fader, frame by frame, by the ride's gain
/// ([`Strip::mix_ridden_into`]); one without is mixed with no multiply for it.
#[derive(Debug, Clone)]
pub struct Strip {
    params: StripParams,
    /// What the section scene in force does to the fader.
    scene: SceneLevel,
    gain_l: Smoother,
    gain_r: Smoother,
    fader: Smoother,
    input: StemBuffer,
    meter: BlockMeter,
}

impl Strip {
    /// A strip for a source with `channels` channels, resting at the gains `params` give
    /// (no glide at start). Not realtime-safe (allocates its input buffer).
    pub fn new(
        channels: usize,
        params: StripParams,
        ramp_frames: u32,
        any_solo: bool,
        sample_rate: u32,
    ) -> Self {
        let mut strip = Self {
            params,
            scene: SceneLevel::Base,
            gain_l: Smoother::new(0.0, ramp_frames),
            gain_r: Smoother::new(0.0, ramp_frames),
            fader: Smoother::new(0.0, ramp_frames),
            input: StemBuffer::new(channels),
            meter: BlockMeter::new(sample_rate),
        };
        strip.settle(any_solo);
        strip
    }

    /// The current settings.
    pub fn params(&self) -> &StripParams {
        &self.params
    }

    /// The settings, for changing; call [`Strip::retarget`] afterwards.
    pub fn params_mut(&mut self) -> &mut StripParams {
        &mut self.params
    }

    /// The fader value in force: the scene's, or the strip's own fader (off when the scene
    /// mutes the strip).
    pub fn effective_fader(&self) -> Decibels {
        match self.scene {
            SceneLevel::Base => self.params.gain,
            SceneLevel::Fader(db) => db,
            SceneLevel::Mute => Decibels::OFF,
        }
    }

    /// What the section scene in force does to the fader.
    pub fn scene(&self) -> SceneLevel {
        self.scene
    }

    /// Sets what the section scene does to the fader, gliding to it over `ramp` frames (0:
    /// at once) in equal steps of decibels.
    ///
    /// Realtime-safe.
    pub fn enter_scene(&mut self, scene: SceneLevel, ramp: u32) {
        self.scene = scene;
        self.fader
            .set_target_over(self.effective_fader().to_amplitude(), ramp);
    }

    /// Places the fader `pos` frames into the glide of `ramp` frames from the level `from`
    /// gives to the level `to` gives (after a jump into a scene change).
    ///
    /// Realtime-safe.
    pub fn land_in_scene_glide(&mut self, from: SceneLevel, to: SceneLevel, ramp: u32, pos: u32) {
        self.scene = from;
        let start = self.effective_fader().to_amplitude();
        self.scene = to;
        let target = self.effective_fader().to_amplitude();
        self.fader.set_glide(start, target, ramp, pos);
    }

    /// The input buffer the strip's source fills.
    pub fn input_mut(&mut self) -> &mut StemBuffer {
        &mut self.input
    }

    /// Whether the strip is heard: not muted, and soloed when anything is soloed.
    pub fn audible(&self, any_solo: bool) -> bool {
        !self.params.mute && (!any_solo || self.params.solo)
    }

    /// The left and right gains the settings ask for before the fader (trim x pan law, or 0
    /// when silent).
    pub fn target_gains(&self, any_solo: bool) -> (f32, f32) {
        if !self.audible(any_solo) {
            return (0.0, 0.0);
        }
        let level = self.params.trim.to_amplitude();
        let (pl, pr) = if self.input.channels() == 1 {
            self.params.pan.mono_gains()
        } else {
            self.params.pan.balance_gains()
        };
        (level * pl, level * pr)
    }

    /// Starts a glide to the gains the current settings ask for.
    ///
    /// Realtime-safe.
    pub fn retarget(&mut self, any_solo: bool) {
        let (l, r) = self.target_gains(any_solo);
        self.gain_l.set_target(l);
        self.gain_r.set_target(r);
        self.follow_scene(self.scene);
    }

    /// Glides the fader to what `scene` asks for like a fader move: over 10 ms, or, during a
    /// scene glide, over what that glide had left (in decibels, like the scene glide).
    ///
    /// Realtime-safe.
    pub fn follow_scene(&mut self, scene: SceneLevel) {
        self.scene = scene;
        let fader = self.effective_fader().to_amplitude();
        let left = self.fader.remaining();
        if left > self.fader.ramp_len() {
            self.fader.set_target_over(fader, left);
        } else {
            self.fader.set_target(fader);
        }
    }

    /// Jumps to the gains the current settings ask for, without a glide.
    ///
    /// Realtime-safe.
    pub fn settle(&mut self, any_solo: bool) {
        let (l, r) = self.target_gains(any_solo);
        self.gain_l.set_immediate(l);
        self.gain_r.set_immediate(r);
        self.fader
            .set_immediate(self.effective_fader().to_amplitude());
    }

    /// Settles the trim, pan and mute gains only (the fader is placed by the scene).
    ///
    /// Realtime-safe.
    pub fn settle_gains(&mut self, any_solo: bool) {
        let (l, r) = self.target_gains(any_solo);
        self.gain_l.set_immediate(l);
        self.gain_r.set_immediate(r);
    }

    /// True while the gains glide.
    pub fn is_gliding(&self) -> bool {
        !self.gain_l.is_settled() || !self.gain_r.is_settled() || !self.fader.is_settled()
    }

    /// True when the strip contributes nothing now and until its settings change.
    pub fn is_silent(&self) -> bool {
        !self.is_gliding()
            && ((self.gain_l.target() == 0.0 && self.gain_r.target() == 0.0)
                || self.fader.target() == 0.0)
    }

    /// Frames until every glide under way has ended (0 when settled).
    pub fn glide_remaining(&self) -> u32 {
        self.gain_l
            .remaining()
            .max(self.gain_r.remaining())
            .max(self.fader.remaining())
    }

    /// Adds `frames` frames of the input, with gains applied, to the bus. With `metering`, also
    /// measures what the strip adds (after trim, fader and pan) for its meter.
    ///
    /// Realtime-safe.
    pub fn mix_into(
        &mut self,
        frames: usize,
        bus_l: &mut [f32],
        bus_r: &mut [f32],
        metering: bool,
    ) {
        let bus_l = &mut bus_l[..frames];
        let bus_r = &mut bus_r[..frames];
        if self.meter_if_silent(frames, metering) {
            return;
        }
        if self.is_gliding() {
            self.mix_each_frame(frames, None, bus_l, bus_r, metering);
        } else {
            let f = self.fader.target();
            let gl = self.gain_l.target() * f;
            let gr = self.gain_r.target() * f;
            self.mix_scaled(frames, (gl, gr), bus_l, bus_r, metering);
        }
    }

    /// What [`Strip::mix_ridden_into`] computes, to the bit, for a ride whose gain is `ride` on
    /// every one of the `frames` frames (a ride holding its level), with no glide under way and
    /// nothing metered: mixed as a strip without a ride is, with one gain per side.
    ///
    /// Realtime-safe.
    pub fn mix_flat_ride_into(
        &mut self,
        frames: usize,
        ride: f32,
        bus_l: &mut [f32],
        bus_r: &mut [f32],
    ) {
        debug_assert!(!self.is_gliding(), "a glide steps the gains frame by frame");
        let bus_l = &mut bus_l[..frames];
        let bus_r = &mut bus_r[..frames];
        if self.meter_if_silent(frames, false) {
            return;
        }
        // The products mix_ridden_into forms for each frame: the fader times the ride, then
        // each side's gain times that.
        let g = self.fader.target() * ride;
        let gains = (self.gain_l.target() * g, self.gain_r.target() * g);
        self.mix_scaled(frames, gains, bus_l, bus_r, false);
    }

    /// Adds the input times `gains` (left, right) to the bus, metering it with `metering`.
    fn mix_scaled(
        &mut self,
        frames: usize,
        (gl, gr): (f32, f32),
        bus_l: &mut [f32],
        bus_r: &mut [f32],
        metering: bool,
    ) {
        let (in_l, in_r) = inputs(&self.input, frames);
        for (b, x) in bus_l.iter_mut().zip(in_l) {
            *b += x * gl;
        }
        for (b, x) in bus_r.iter_mut().zip(in_r) {
            *b += x * gr;
        }
        if metering {
            let (pl, sl, cl) = channel_stats(in_l, gl);
            let (pr, sr, cr) = channel_stats(in_r, gr);
            self.meter
                .add(pl.max(pr), (sl + sr) * 0.5, frames as u64, cl + cr);
        }
    }

    /// Like [`Strip::mix_into`], with the fader multiplied frame by frame by `ride` (the ride's
    /// gain for each of the `frames` frames, see [`super::ride`]; used up: it may be
    /// overwritten). Every frame is computed the same way whether or not a glide is under way,
    /// so the result does not depend on where blocks are cut.
    ///
    /// Realtime-safe.
    pub fn mix_ridden_into(
        &mut self,
        frames: usize,
        ride: &[f32],
        bus_l: &mut [f32],
        bus_r: &mut [f32],
        metering: bool,
    ) {
        let bus_l = &mut bus_l[..frames];
        let bus_r = &mut bus_r[..frames];
        if self.meter_if_silent(frames, metering) {
            return;
        }
        let (in_l, in_r) = inputs(&self.input, frames);
        if !metering && !self.is_gliding() {
            // What the loop below computes once every glide has ended, in loops that vectorise.
            let (f, gl, gr) = (
                self.fader.target(),
                self.gain_l.target(),
                self.gain_r.target(),
            );
            // One pass over both sides: the fader times the ride, then each side's gain (the
            // order of the loop below, so the result is the same to the bit).
            let ride = &ride[..frames];
            for ((((bl, br), xl), xr), g) in bus_l
                .iter_mut()
                .zip(bus_r.iter_mut())
                .zip(in_l)
                .zip(in_r)
                .zip(ride)
            {
                let g = f * g;
                *bl += xl * (gl * g);
                *br += xr * (gr * g);
            }
            return;
        }
        self.mix_each_frame(frames, Some(ride), bus_l, bus_r, metering);
    }

    /// Adds `frames` frames of the input to the bus with the gains stepped frame by frame (the
    /// fader times `ride`'s gain for the frame, when there is a ride), metering what it adds
    /// with `metering`. The loop both [`Strip::mix_into`] (while a glide is under way) and
    /// [`Strip::mix_ridden_into`] use.
    fn mix_each_frame(
        &mut self,
        frames: usize,
        ride: Option<&[f32]>,
        bus_l: &mut [f32],
        bus_r: &mut [f32],
        metering: bool,
    ) {
        let (in_l, in_r) = inputs(&self.input, frames);
        let (mut peak, mut sum, mut clips) = (0.0f32, 0.0f64, 0u64);
        for i in 0..frames {
            let fader = self.fader.next_value();
            let f = match ride {
                Some(ride) => fader * ride[i],
                None => fader,
            };
            let l = in_l[i] * (self.gain_l.next_value() * f);
            let r = in_r[i] * (self.gain_r.next_value() * f);
            bus_l[i] += l;
            bus_r[i] += r;
            if metering {
                let (al, ar) = (l.abs(), r.abs());
                peak = peak.max(al).max(ar);
                sum += f64::from(l * l) + f64::from(r * r);
                clips += u64::from(al >= 1.0) + u64::from(ar >= 1.0);
            }
        }
        if metering {
            self.meter.add(peak, sum * 0.5, frames as u64, clips);
        }
    }

    /// When the strip adds nothing (see [`Strip::is_silent`]): meters `frames` frames of silence
    /// (with `metering`) and says so.
    fn meter_if_silent(&mut self, frames: usize, metering: bool) -> bool {
        let silent = self.is_silent();
        if silent && metering {
            self.meter.add(0.0, 0.0, frames as u64, 0);
        }
        silent
    }

    /// Publishes what the strip's meter measured since the last call.
    ///
    /// Realtime-safe.
    pub fn publish_meter(&mut self, cell: &MeterCell) {
        self.meter.publish(cell);
    }

    /// Forgets the meter's RMS history (after a jump).
    ///
    /// Realtime-safe.
    pub fn reset_meter(&mut self) {
        self.meter.reset();
    }
}

/// The left and right input of the next `frames` frames (a mono input's one channel on both
/// sides).
fn inputs(input: &StemBuffer, frames: usize) -> (&[f32], &[f32]) {
    let left = input.channel(0, frames);
    if input.channels() == 2 {
        (left, input.channel(1, frames))
    } else {
        (left, left)
    }
}

/// Peak, sum of squares and clipped samples of `input * gain`.
fn channel_stats(input: &[f32], gain: f32) -> (f32, f64, u64) {
    let (mut peak, mut sum, mut clips) = (0.0f32, 0.0f64, 0u64);
    for &x in input {
        let y = (x * gain).abs();
        peak = peak.max(y);
        sum += f64::from(y * y);
        clips += u64::from(y >= 1.0);
    }
    (peak, sum, clips)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stereo strip at -3 dB balanced right of centre, its input noise-like and non-zero.
    fn strip() -> Strip {
        let params = StripParams {
            gain: Decibels(-3.0),
            pan: Pan(0.25),
            ..StripParams::default()
        };
        let mut strip = Strip::new(2, params, 480, false, 48_000);
        let mut state = 0x1234_5678_u32;
        for ch in 0..2 {
            for x in strip.input_mut().channel_mut(ch, 1024) {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                *x = (state % 2001) as f32 / 1000.0 - 1.0;
            }
        }
        strip
    }

    /// A ride holding one gain over a block mixes, with one gain per side, exactly what the
    /// frame-by-frame ride mixing adds (metering or not), bit for bit.
    #[test]
    fn a_flat_ride_mixes_as_its_gains_frame_by_frame() {
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        for ride in [0.501_187_2_f32, 1.0, 1.995_262_3] {
            let (mut flat_l, mut flat_r) = (vec![0.25f32; 1024], vec![-0.25f32; 1024]);
            strip().mix_flat_ride_into(1024, ride, &mut flat_l, &mut flat_r);
            for metering in [false, true] {
                let (mut l, mut r) = (vec![0.25f32; 1024], vec![-0.25f32; 1024]);
                strip().mix_ridden_into(1024, &[ride; 1024], &mut l, &mut r, metering);
                assert_eq!(bits(&flat_l), bits(&l), "left, ride {ride}");
                assert_eq!(bits(&flat_r), bits(&r), "right, ride {ride}");
            }
            assert!(flat_l.iter().any(|&x| x != 0.25), "the strip is heard");
        }
    }
}
