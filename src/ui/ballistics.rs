//! Meter ballistics (UI thread): turns the engine's "max since last read" meter readings into
//! what a meter shows, by elapsed time rather than by frame count.
//!
//! Attack is instant; the peak bar, the RMS bar and (after its hold time) the held peak fall at
//! a fixed rate in dB per second down to the meter's floor, below which the meter is silent. The
//! clip lamp latches until [`MeterBallistics::reset`]. [`Scale`] places a level on the bar.

use std::time::{Duration, Instant};

use crate::engine::meter::MeterReading;

/// The fall rate of IEC 60268-18 peak meters: 20 dB in 1.7 s (about 11.76 dB/s).
pub const IEC_FALL_DB_PER_SECOND: f64 = 20.0 / 1.7;

/// The default bottom of a meter, in dBFS.
pub const DEFAULT_FLOOR_DB: f64 = -60.0;

/// The default top of a meter, in dBFS: full scale.
pub const DEFAULT_TOP_DB: f64 = 0.0;

/// How long the numeric peak stays put by default before it falls.
pub const DEFAULT_PEAK_HOLD: Duration = Duration::from_secs(1);

/// How a meter moves: its floor, fall rate and peak hold time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ballistics {
    /// The meter's bottom in dBFS; anything below reads as silent (`-inf`).
    pub floor_db: f64,
    /// How fast the bars and the released peak hold fall, in dB per second.
    pub fall_db_per_second: f64,
    /// How long a new peak is held before it starts to fall.
    pub peak_hold: Duration,
}

impl Default for Ballistics {
    /// IEC 60268-18 fall (20 dB in 1.7 s), a -60 dBFS floor and a 1 s peak hold.
    fn default() -> Self {
        Self {
            floor_db: DEFAULT_FLOOR_DB,
            fall_db_per_second: IEC_FALL_DB_PER_SECOND,
            peak_hold: DEFAULT_PEAK_HOLD,
        }
    }
}

/// One meter's displayed state. All levels are in dBFS, `-inf` when silent (below the floor).
#[derive(Debug, Clone, PartialEq)]
pub struct MeterBallistics {
    settings: Ballistics,
    peak_db: f64,
    rms_db: f64,
    held_db: f64,
    /// Hold time left before the held peak starts to fall.
    hold_left: Duration,
    clipped: bool,
    last_update: Option<Instant>,
}

impl MeterBallistics {
    /// A silent meter.
    pub fn new(settings: Ballistics) -> Self {
        Self {
            settings,
            peak_db: f64::NEG_INFINITY,
            rms_db: f64::NEG_INFINITY,
            held_db: f64::NEG_INFINITY,
            hold_left: Duration::ZERO,
            clipped: false,
            last_update: None,
        }
    }

    /// The meter's settings.
    pub fn settings(&self) -> Ballistics {
        self.settings
    }

    /// Folds in a reading taken at `now`, letting the meter fall for the time since the previous
    /// `update` (no fall on the first call).
    pub fn update(&mut self, reading: MeterReading, now: Instant) {
        let dt = self
            .last_update
            .map_or(Duration::ZERO, |last| now.saturating_duration_since(last));
        self.last_update = Some(now);
        self.advance(reading, dt);
    }

    /// Lets the meter fall for `dt`, then folds in a reading covering that time: a level above
    /// the falling bar replaces it at once.
    pub fn advance(&mut self, reading: MeterReading, dt: Duration) {
        let floor = self.settings.floor_db;
        let fall = self.settings.fall_db_per_second * dt.as_secs_f64();
        self.peak_db = self.above_floor(self.peak_db - fall);
        self.rms_db = self.above_floor(self.rms_db - fall);

        // The held peak stays for the rest of its hold time, then falls for what is left of dt.
        let falling_for = dt.saturating_sub(self.hold_left);
        self.hold_left = self.hold_left.saturating_sub(dt);
        let held_fall = self.settings.fall_db_per_second * falling_for.as_secs_f64();
        self.held_db = self.above_floor((self.held_db - held_fall).max(self.peak_db));

        let peak = self.above_floor(reading.peak_dbfs());
        let rms = self.above_floor(reading.rms_dbfs());
        self.peak_db = self.peak_db.max(peak);
        self.rms_db = self.rms_db.max(rms);
        if peak >= floor && peak >= self.held_db {
            self.held_db = peak;
            self.hold_left = self.settings.peak_hold;
        }
        if reading.clips > 0 || reading.peak >= 1.0 {
            self.clipped = true;
        }
    }

    /// Clears the peak hold and the clip latch (the bars keep falling as they were).
    pub fn reset(&mut self) {
        self.held_db = f64::NEG_INFINITY;
        self.hold_left = Duration::ZERO;
        self.clipped = false;
    }

    /// The peak bar's level.
    pub fn peak_db(&self) -> f64 {
        self.peak_db
    }

    /// The RMS bar's level.
    pub fn rms_db(&self) -> f64 {
        self.rms_db
    }

    /// The held peak: the number a meter prints and the line it draws.
    pub fn held_peak_db(&self) -> f64 {
        self.held_db
    }

    /// Whether the clip lamp is lit (a sample reached full scale since the last reset).
    pub fn clipped(&self) -> bool {
        self.clipped
    }

    /// True when the peak bar, RMS bar and held peak are all below the floor.
    pub fn is_silent(&self) -> bool {
        self.peak_db == f64::NEG_INFINITY
            && self.rms_db == f64::NEG_INFINITY
            && self.held_db == f64::NEG_INFINITY
    }

    /// `db`, or `-inf` when it is below the floor (or not a number).
    fn above_floor(&self, db: f64) -> f64 {
        if db.is_nan() || db < self.settings.floor_db {
            f64::NEG_INFINITY
        } else {
            db
        }
    }
}

impl Default for MeterBallistics {
    /// A silent meter with the default [`Ballistics`].
    fn default() -> Self {
        Self::new(Ballistics::default())
    }
}

/// How levels are spread along a meter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScaleKind {
    /// Equal distance per dB.
    #[default]
    Linear,
    /// The IEC 60268-18 deflection curve (as in meterbridge and Ardour): more room near the
    /// top, the quiet end compressed.
    Iec,
}

impl ScaleKind {
    /// The name used in the config file.
    pub fn name(self) -> &'static str {
        match self {
            Self::Linear => "linear",
            Self::Iec => "iec",
        }
    }

    /// The kind a config file names, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "linear" => Some(Self::Linear),
            "iec" => Some(Self::Iec),
            _ => None,
        }
    }
}

/// IEC 60268-18 deflection in percent at its breakpoints (dBFS, percent); straight between them,
/// and continued with the end slopes outside.
const IEC_POINTS: [(f64, f64); 7] = [
    (-70.0, 0.0),
    (-60.0, 2.5),
    (-50.0, 7.5),
    (-40.0, 15.0),
    (-30.0, 30.0),
    (-20.0, 50.0),
    (0.0, 100.0),
];

/// The IEC deflection (percent) of a finite level.
fn iec_deflection(db: f64) -> f64 {
    let last = IEC_POINTS.len() - 1;
    // The segment holding `db`: the first or last one when `db` lies outside the table.
    let upper = IEC_POINTS
        .iter()
        .position(|&(at, _)| db < at)
        .unwrap_or(last)
        .clamp(1, last);
    let (x0, y0) = IEC_POINTS[upper - 1];
    let (x1, y1) = IEC_POINTS[upper];
    y0 + (db - x0) * (y1 - y0) / (x1 - x0)
}

/// Places levels on a meter running from `bottom_db` (position 0) to `top_db` (position 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    kind: ScaleKind,
    bottom_db: f64,
    top_db: f64,
}

impl Scale {
    /// A meter scale from `bottom_db` to `top_db`; the two are swapped if given in the wrong
    /// order, and a range narrower than 1 dB is widened downwards to 1 dB.
    pub fn new(kind: ScaleKind, bottom_db: f64, top_db: f64) -> Self {
        let (bottom_db, top_db) = (bottom_db.min(top_db), bottom_db.max(top_db));
        Self {
            kind,
            bottom_db: bottom_db.min(top_db - 1.0),
            top_db,
        }
    }

    /// The scale's kind.
    pub fn kind(&self) -> ScaleKind {
        self.kind
    }

    /// The level at position 0.
    pub fn bottom_db(&self) -> f64 {
        self.bottom_db
    }

    /// The level at position 1.
    pub fn top_db(&self) -> f64 {
        self.top_db
    }

    /// Where `db` sits on the bar, from 0.0 (at or below the bottom, or `-inf`) to 1.0 (at or
    /// above the top).
    pub fn position(&self, db: f64) -> f64 {
        if db.is_nan() || db <= self.bottom_db {
            return 0.0;
        }
        if db >= self.top_db {
            return 1.0;
        }
        let curve = |x: f64| match self.kind {
            ScaleKind::Linear => x,
            ScaleKind::Iec => iec_deflection(x),
        };
        let (low, high) = (curve(self.bottom_db), curve(self.top_db));
        ((curve(db) - low) / (high - low)).clamp(0.0, 1.0)
    }
}

impl Default for Scale {
    /// Linear in dB from -60 to 0 dBFS.
    fn default() -> Self {
        Self::new(ScaleKind::Linear, DEFAULT_FLOOR_DB, DEFAULT_TOP_DB)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TICK: Duration = Duration::from_millis(10);

    /// A reading whose peak and RMS are both at `db` dBFS, with no clipped samples.
    fn reading(db: f64) -> MeterReading {
        let amplitude = 10f64.powf(db / 20.0) as f32;
        MeterReading {
            peak: amplitude,
            rms: amplitude,
            clips: 0,
        }
    }

    fn silence() -> MeterReading {
        MeterReading::default()
    }

    /// Steps the meter with silent readings every `TICK` until the peak bar has fallen by `db`
    /// from where it was, and returns how long that took.
    fn time_to_fall(meter: &mut MeterBallistics, db: f64) -> Duration {
        let start = meter.peak_db();
        let mut elapsed = Duration::ZERO;
        while meter.peak_db() > start - db {
            meter.advance(silence(), TICK);
            elapsed += TICK;
            assert!(elapsed < Duration::from_secs(60), "the meter never fell");
        }
        elapsed
    }

    /// A loud reading shows in full on the very update that carries it, with no rise time.
    #[test]
    fn attack_is_instant() {
        let mut meter = MeterBallistics::default();
        meter.advance(reading(-6.0), TICK);
        assert!((meter.peak_db() - -6.0).abs() < 1e-4, "{}", meter.peak_db());
        assert!((meter.rms_db() - -6.0).abs() < 1e-4, "{}", meter.rms_db());
        assert!((meter.held_peak_db() - -6.0).abs() < 1e-4);
        assert!(!meter.is_silent());
    }

    /// With the default (IEC 60268-18) rate, the peak and RMS bars fall 20 dB in 1.7 s.
    #[test]
    fn falls_twenty_db_in_1_7_seconds() {
        let mut meter = MeterBallistics::default();
        meter.advance(reading(0.0), Duration::ZERO);
        let took = time_to_fall(&mut meter, 20.0);
        assert!(
            took.abs_diff(Duration::from_millis(1700)) <= Duration::from_millis(300),
            "took {took:?}"
        );
        // The RMS bar falls at the same rate, so it is where the peak bar is.
        assert!((meter.rms_db() - meter.peak_db()).abs() < 1e-4);
        // The rate itself is exact: one second of fall is 20/1.7 dB.
        let before = meter.peak_db();
        meter.advance(silence(), Duration::from_secs(1));
        assert!((before - meter.peak_db() - 20.0 / 1.7).abs() < 1e-9);
    }

    /// The fall rate is a setting: at 40 dB/s the bar falls 20 dB in half a second.
    #[test]
    fn fall_rate_is_configurable() {
        let mut meter = MeterBallistics::new(Ballistics {
            fall_db_per_second: 40.0,
            ..Ballistics::default()
        });
        meter.advance(reading(-3.0), Duration::ZERO);
        let took = time_to_fall(&mut meter, 20.0);
        assert!(
            took.abs_diff(Duration::from_millis(500)) <= TICK,
            "took {took:?}"
        );
    }

    /// The held peak stays exactly put for 1.0 s after the last peak, then falls; a new peak
    /// at or above it restarts the hold.
    #[test]
    fn peak_hold_lasts_one_second() {
        let mut meter = MeterBallistics::default();
        meter.advance(reading(-10.0), Duration::ZERO);
        let held = meter.held_peak_db();
        for _ in 0..100 {
            meter.advance(silence(), TICK);
            assert_eq!(meter.held_peak_db(), held);
        }
        // 1.0 s has passed; the bar has fallen but the number has not.
        assert!(meter.peak_db() < held - 11.0);
        meter.advance(silence(), TICK);
        let fell = held - meter.held_peak_db();
        assert!(
            (fell - IEC_FALL_DB_PER_SECOND * 0.010).abs() < 1e-9,
            "fell {fell}"
        );

        // A new, higher peak holds again for a full second.
        meter.advance(reading(-4.0), TICK);
        let held = meter.held_peak_db();
        assert!((held - -4.0).abs() < 1e-4);
        meter.advance(silence(), Duration::from_millis(999));
        assert_eq!(meter.held_peak_db(), held);
        meter.advance(silence(), Duration::from_millis(2));
        assert!(meter.held_peak_db() < held);
    }

    /// A quieter peak during the hold does not replace the held value; a louder one does.
    #[test]
    fn hold_keeps_the_highest_peak() {
        let mut meter = MeterBallistics::default();
        meter.advance(reading(-10.0), Duration::ZERO);
        meter.advance(reading(-20.0), Duration::from_millis(500));
        assert!((meter.held_peak_db() - -10.0).abs() < 1e-4);
        meter.advance(reading(-2.0), Duration::from_millis(100));
        assert!((meter.held_peak_db() - -2.0).abs() < 1e-4);
    }

    /// The hold time is a setting: with no hold the number falls with the bar.
    #[test]
    fn zero_hold_falls_at_once() {
        let mut meter = MeterBallistics::new(Ballistics {
            peak_hold: Duration::ZERO,
            ..Ballistics::default()
        });
        meter.advance(reading(-10.0), Duration::ZERO);
        meter.advance(silence(), Duration::from_millis(500));
        assert_eq!(meter.held_peak_db(), meter.peak_db());
        assert!(meter.held_peak_db() < -15.0);
    }

    /// A clipped reading lights the lamp, which stays lit through silence until `reset`, which
    /// also clears the peak hold.
    #[test]
    fn clip_latch_persists_until_reset() {
        let mut meter = MeterBallistics::default();
        meter.advance(
            MeterReading {
                peak: 0.5,
                rms: 0.1,
                clips: 3,
            },
            TICK,
        );
        assert!(meter.clipped());
        for _ in 0..1000 {
            meter.advance(silence(), TICK);
        }
        assert!(meter.is_silent());
        assert!(meter.clipped());

        meter.advance(reading(-1.0), TICK);
        meter.reset();
        assert!(!meter.clipped());
        assert_eq!(meter.held_peak_db(), f64::NEG_INFINITY);
        // The bars are not reset; they fall as before.
        assert!((meter.peak_db() - -1.0).abs() < 1e-4);

        // A full-scale peak latches even when the engine counted no clipped samples.
        meter.advance(
            MeterReading {
                peak: 1.0,
                rms: 0.7,
                clips: 0,
            },
            TICK,
        );
        assert!(meter.clipped());
    }

    /// Bars fall to the floor and then read silent; readings below the floor are silent.
    #[test]
    fn floor_turns_silent() {
        let mut meter = MeterBallistics::new(Ballistics {
            floor_db: -40.0,
            fall_db_per_second: 10.0,
            peak_hold: Duration::ZERO,
        });
        meter.advance(reading(-30.0), Duration::ZERO);
        meter.advance(silence(), Duration::from_millis(990));
        assert!(
            (meter.peak_db() - -39.9).abs() < 1e-4,
            "{}",
            meter.peak_db()
        );
        assert!(!meter.is_silent());
        meter.advance(silence(), Duration::from_millis(20));
        assert_eq!(meter.peak_db(), f64::NEG_INFINITY);
        assert_eq!(meter.rms_db(), f64::NEG_INFINITY);
        assert!(meter.is_silent());

        meter.advance(reading(-45.0), TICK);
        assert!(meter.is_silent());
    }

    /// `update` measures time between calls: no fall on the first call, then the elapsed time.
    #[test]
    fn update_uses_elapsed_time() {
        let start = Instant::now();
        let mut meter = MeterBallistics::default();
        meter.update(reading(-6.0), start);
        assert!((meter.peak_db() - -6.0).abs() < 1e-4);
        meter.update(silence(), start + Duration::from_millis(1700));
        assert!(
            (meter.peak_db() - -26.0).abs() < 1e-4,
            "{}",
            meter.peak_db()
        );
        // A clock that goes backwards means no time passed, not a rise.
        meter.update(silence(), start);
        assert!((meter.peak_db() - -26.0).abs() < 1e-4);
    }

    /// A linear scale places levels in proportion to dB and clamps outside the range.
    #[test]
    fn linear_scale_positions() {
        let scale = Scale::new(ScaleKind::Linear, -60.0, 0.0);
        assert_eq!(scale.position(-60.0), 0.0);
        assert_eq!(scale.position(f64::NEG_INFINITY), 0.0);
        assert_eq!(scale.position(-90.0), 0.0);
        assert!((scale.position(-30.0) - 0.5).abs() < 1e-12);
        assert!((scale.position(-15.0) - 0.75).abs() < 1e-12);
        assert_eq!(scale.position(0.0), 1.0);
        assert_eq!(scale.position(6.0), 1.0);
        assert_eq!(scale.position(f64::NAN), 0.0);
    }

    /// The IEC scale over its own range (-70..0 dBFS) matches the standard's deflection
    /// (-20 dB at 50%, -40 dB at 15%), and stays monotonic on any range.
    #[test]
    fn iec_scale_positions() {
        let scale = Scale::new(ScaleKind::Iec, -70.0, 0.0);
        assert!((scale.position(-20.0) - 0.5).abs() < 1e-12);
        assert!((scale.position(-40.0) - 0.15).abs() < 1e-12);
        assert!((scale.position(-65.0) - 0.0125).abs() < 1e-12);
        assert!((scale.position(-10.0) - 0.75).abs() < 1e-12);

        let scale = Scale::new(ScaleKind::Iec, -80.0, 6.0);
        let mut previous = 0.0;
        for tenth in -800..=60 {
            let p = scale.position(f64::from(tenth) / 10.0);
            assert!(p >= previous, "not monotonic at {tenth}");
            previous = p;
        }
        assert_eq!(previous, 1.0);
    }

    /// Config names round-trip, and a reversed or empty range is made usable.
    #[test]
    fn scale_names_and_ranges() {
        for kind in [ScaleKind::Linear, ScaleKind::Iec] {
            assert_eq!(ScaleKind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(ScaleKind::from_name("k-14"), None);
        let scale = Scale::new(ScaleKind::Linear, 0.0, -60.0);
        assert_eq!((scale.bottom_db(), scale.top_db()), (-60.0, 0.0));
        let scale = Scale::new(ScaleKind::Linear, 0.0, 0.0);
        assert_eq!((scale.bottom_db(), scale.top_db()), (-1.0, 0.0));
        assert!((scale.position(-0.5) - 0.5).abs() < 1e-12);
    }
}
