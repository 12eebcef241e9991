//! A channel strip's processing: trim -> fader -> mute/solo -> pan, summed into the mix bus.
//! Runs on whichever thread mixes (audio thread or bounce thread); everything here is
//! realtime-safe once constructed.

use super::meter::{BlockMeter, MeterCell};
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

/// One strip: its settings, the smoothed left/right gains they give, and its input buffer.
#[derive(Debug, Clone)]
pub struct Strip {
    params: StripParams,
    /// A scene's fader value replacing `params.gain` (section scenes).
    fader_override: Option<Decibels>,
    gain_l: Smoother,
    gain_r: Smoother,
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
            fader_override: None,
            gain_l: Smoother::new(0.0, ramp_frames),
            gain_r: Smoother::new(0.0, ramp_frames),
            input: StemBuffer::new(channels),
            meter: BlockMeter::new(sample_rate),
        };
        let (l, r) = strip.target_gains(any_solo);
        strip.gain_l.set_immediate(l);
        strip.gain_r.set_immediate(r);
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

    /// The fader value in force: a scene's override, or the strip's own fader.
    pub fn effective_fader(&self) -> Decibels {
        self.fader_override.unwrap_or(self.params.gain)
    }

    /// Sets or clears a scene's fader override; call [`Strip::retarget`] afterwards.
    pub fn set_fader_override(&mut self, value: Option<Decibels>) {
        self.fader_override = value;
    }

    /// The input buffer the strip's source fills.
    pub fn input_mut(&mut self) -> &mut StemBuffer {
        &mut self.input
    }

    /// Whether the strip is heard: not muted, and soloed when anything is soloed.
    pub fn audible(&self, any_solo: bool) -> bool {
        !self.params.mute && (!any_solo || self.params.solo)
    }

    /// The left and right gains the settings ask for (trim x fader x pan law, or 0 when silent).
    pub fn target_gains(&self, any_solo: bool) -> (f32, f32) {
        if !self.audible(any_solo) {
            return (0.0, 0.0);
        }
        let level = self.params.trim.to_amplitude() * self.effective_fader().to_amplitude();
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
    }

    /// Jumps to the gains the current settings ask for, without a glide.
    ///
    /// Realtime-safe.
    pub fn settle(&mut self, any_solo: bool) {
        let (l, r) = self.target_gains(any_solo);
        self.gain_l.set_immediate(l);
        self.gain_r.set_immediate(r);
    }

    /// True while the gains glide.
    pub fn is_gliding(&self) -> bool {
        !self.gain_l.is_settled() || !self.gain_r.is_settled()
    }

    /// True when the strip contributes nothing now and until its settings change.
    pub fn is_silent(&self) -> bool {
        !self.is_gliding() && self.gain_l.target() == 0.0 && self.gain_r.target() == 0.0
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
        if self.is_silent() {
            if metering {
                self.meter.add(0.0, 0.0, frames as u64, 0);
            }
            return;
        }
        let stereo = self.input.channels() == 2;
        let in_l = self.input.channel(0, frames);
        let in_r = if stereo {
            self.input.channel(1, frames)
        } else {
            in_l
        };
        if self.is_gliding() {
            let (mut peak, mut sum, mut clips) = (0.0f32, 0.0f64, 0u64);
            for i in 0..frames {
                let l = in_l[i] * self.gain_l.next_value();
                let r = in_r[i] * self.gain_r.next_value();
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
        } else {
            let gl = self.gain_l.target();
            let gr = self.gain_r.target();
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
