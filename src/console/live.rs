//! What the engine tells the console between frames (UI thread): meters with their ballistics,
//! loudness, counters and transport news, turned into a [`View`] together with the model.

use std::time::{Duration, Instant};

use crate::app::mixer::StripKind;
use crate::app::state::App;
use crate::engine::handle::{Engine, EngineEvent};
use crate::engine::loudness::LoudnessReading;
use crate::engine::meter::MeterReading;
use crate::engine::monitor::CeilingReading;
use crate::engine::protocol::Listen;
use crate::ui::ballistics::{Ballistics, MeterBallistics};
use crate::ui::view::{
    EditMode, FreePlace, ListenView, MasterView, MeterView, SceneMark, StatusView, StripView,
    TimelineSection, TimelineView, TransportView, View,
};

/// How long the held true-peak number stays before it follows the signal down.
const TRUE_PEAK_HOLD: Duration = Duration::from_secs(1);

/// How long the ceiling lamp stays lit after the safety ceiling last acted.
const CEILING_HOLD: Duration = Duration::from_secs(1);

/// The console's side of metering: ballistics per strip and for the master, the held and the
/// maximum true peak, master clips and headroom since the last reset.
#[derive(Debug)]
pub struct Live {
    strips: Vec<MeterBallistics>,
    master: MeterBallistics,
    loudness: LoudnessReading,
    true_peak_held: f64,
    true_peak_held_at: Option<Instant>,
    true_peak_max: f64,
    master_peak_max: f64,
    master_clips: u64,
    buffering_at: Option<u64>,
    /// The most the safety ceiling turned the output down lately, and when it last acted.
    ceiling: Option<(f32, Instant)>,
}

impl Live {
    /// Silent meters for `strips` channels.
    pub fn new(strips: usize, ballistics: Ballistics) -> Self {
        Self {
            strips: vec![MeterBallistics::new(ballistics); strips],
            master: MeterBallistics::new(ballistics),
            loudness: LoudnessReading::NOTHING,
            true_peak_held: f64::NEG_INFINITY,
            true_peak_held_at: None,
            true_peak_max: f64::NEG_INFINITY,
            master_peak_max: f64::NEG_INFINITY,
            master_clips: 0,
            buffering_at: None,
            ceiling: None,
        }
    }

    /// Takes the safety ceiling's "max since last read": its lamp stays lit for a second after
    /// it last acted, showing the most it turned down meanwhile.
    pub fn absorb_ceiling(&mut self, reading: CeilingReading, now: Instant) {
        let expired = self
            .ceiling
            .is_some_and(|(_, at)| now.duration_since(at) >= CEILING_HOLD);
        if expired {
            self.ceiling = None;
        }
        if reading.samples_limited > 0 {
            let most = self
                .ceiling
                .map_or(0.0, |(db, _)| db)
                .max(reading.reduction_db);
            self.ceiling = Some((most, now));
        }
    }

    /// Takes the meters' "max since last read" values and moves the ballistics to `now`.
    pub fn absorb(
        &mut self,
        strips: &[MeterReading],
        master: MeterReading,
        loudness: LoudnessReading,
        now: Instant,
    ) {
        for (meter, reading) in self.strips.iter_mut().zip(strips) {
            meter.update(*reading, now);
        }
        self.master.update(master, now);
        self.master_clips += master.clips;
        self.master_peak_max = self.master_peak_max.max(master.peak_dbfs());
        let recent = loudness.true_peak_recent_dbtp;
        let expired = self
            .true_peak_held_at
            .is_none_or(|at| now.duration_since(at) >= TRUE_PEAK_HOLD);
        if recent >= self.true_peak_held || expired {
            self.true_peak_held = recent;
            self.true_peak_held_at = Some(now);
        }
        self.true_peak_max = self.true_peak_max.max(recent);
        self.loudness = loudness;
    }

    /// Resets peak holds, clip latches, the true-peak maximum, headroom and the clip count.
    pub fn reset_peaks(&mut self) {
        for meter in &mut self.strips {
            meter.reset();
        }
        self.master.reset();
        self.true_peak_held = f64::NEG_INFINITY;
        self.true_peak_max = f64::NEG_INFINITY;
        self.master_peak_max = f64::NEG_INFINITY;
        self.master_clips = 0;
    }

    /// Notes engine news that changes what the transport line says.
    pub fn note_event(&mut self, event: &EngineEvent, position_frame: u64) {
        if let EngineEvent::Buffering { .. } = event {
            self.buffering_at = Some(position_frame);
        }
    }

    /// Whether any meter still shows something (so frames keep coming while it falls), or the
    /// ceiling lamp is lit (so it goes out on time).
    pub fn is_moving(&self) -> bool {
        !self.master.is_silent()
            || self.strips.iter().any(|m| !m.is_silent())
            || self.ceiling.is_some()
    }

    /// The strips, channels then groups: each fader value as heard (a scene's where
    /// `current`'s scene sets it, unless the base mix is being compared; the scene being edited
    /// in scene mode). A channel soloed by one of its groups is not soloed out.
    fn strips(
        &self,
        app: &App,
        current: Option<usize>,
        scene: Option<&crate::session::Section>,
    ) -> Vec<StripView> {
        let mixer = app.mixer();
        let session = mixer.session();
        let heard_solo: Vec<bool> = (0..session.channels.len())
            .map(|i| session.heard_levels(i).is_some_and(|h| h.solo))
            .collect();
        let any_solo = heard_solo.iter().any(|s| *s);
        // The scene heard: the one being edited, or in base mode the current section's unless
        // the base mix is being compared.
        let heard = scene.or_else(|| {
            current
                .filter(|_| !mixer.comparing())
                .map(|k| &session.sections[k])
        });
        (0..mixer.strip_count())
            .filter_map(|i| {
                let name = mixer.strip_name(i)?;
                let controls = mixer.strip_controls(i)?;
                let channel = session.channels.get(i);
                let group = match mixer.strip_kind(i)? {
                    StripKind::Channel(_) => None,
                    StripKind::Group(g) => Some(&session.groups[g]),
                };
                let soloed_out = any_solo
                    && match group {
                        None => !heard_solo[i],
                        Some(g) => !g
                            .members
                            .iter()
                            .filter_map(|m| session.channel_index(m))
                            .any(|m| heard_solo[m]),
                    };
                Some(StripView {
                    name: name.to_string(),
                    role: channel.and_then(|c| c.role),
                    gain_db: heard
                        .and_then(|s| s.scene_gain(name))
                        .unwrap_or(controls.gain)
                        .0,
                    from_scene: heard.is_some_and(|s| s.scene_gain(name).is_some()),
                    catch: app.catch(i),
                    trim_db: channel.map_or(0.0, |c| c.trim_db.0),
                    pan: controls.pan.0,
                    mute: controls.mute,
                    solo: controls.solo,
                    soloed_out,
                    meter: channel
                        .and_then(|_| self.strips.get(i))
                        .map_or(MeterView::SILENT, meter_view),
                    scene: scene.map(|s| {
                        let own = s.scene_gain(name);
                        SceneMark {
                            overridden: own.is_some(),
                            delta_db: own.map_or(0.0, |db| db.0 - controls.gain.0),
                            muted: s.is_muted(name),
                        }
                    }),
                    ride: app.mixer().ride_mark(name),
                    group: group.map(|g| g.members.len()),
                })
            })
            .collect()
    }

    /// Builds the frame's view from the model and the engine.
    pub fn view(&mut self, app: &App, engine: &Engine) -> View {
        let session = app.mixer().session();
        let position = engine.position();
        let current = app.mixer().current_section(position);
        let scene = current
            .filter(|_| app.mixer().scene_mode())
            .map(|k| &session.sections[k]);
        let strips = self.strips(app, current, scene);
        let playing = engine.is_playing();
        let position_frame = engine.position_frame();
        if self.buffering_at.is_some_and(|at| at != position_frame) {
            self.buffering_at = None;
        }
        let info = engine.stream_info();
        let health = engine.output().health();
        let mut timeline = timeline_view(session, engine, position, current);
        if let (Some(timeline), Some(channel)) = (
            timeline.as_mut(),
            session.channels.get(app.mixer().selected()),
        ) {
            timeline.ride = session.ride(&channel.name).map_or_else(Vec::new, |r| {
                r.points.iter().map(|p| (p.at.0, p.db.0)).collect()
            });
        }
        let edit_mode = edit_mode(app, scene);
        View {
            timeline,
            edit_mode,
            comparing: app.mixer().comparing(),
            exercise: app.exercise_banner(),
            session_name: session.name.clone(),
            strips,
            selected: app.mixer().selected(),
            focus: app.mixer().focus(),
            master: MasterView {
                gain_db: session.master_db.0,
                meter: meter_view(&self.master),
                true_peak_dbtp: self.true_peak_held,
                true_peak_max_dbtp: self.true_peak_max,
                momentary_lufs: self.loudness.momentary_lufs,
                short_term_lufs: self.loudness.short_term_lufs,
                integrated_lufs: self.loudness.integrated_lufs,
                integrating: playing,
                headroom_db: -self.master_peak_max,
                clips: self.master_clips,
            },
            transport: TransportView {
                playing,
                buffering: playing && self.buffering_at.is_some(),
                position_s: position.0,
                length_s: engine.length().0,
                bar: session
                    .tempo
                    .as_ref()
                    .map(|map| map.position(position).to_string()),
                looping: engine.loop_region().map(|(a, b)| (a.0, b.0)),
                section: app.mixer().section_name(position).map(str::to_string),
            },
            status: StatusView {
                device: if info.host == "null" {
                    "null output (silent)".to_string()
                } else {
                    format!("{} ({})", info.device, info.server)
                },
                sample_rate: info.sample_rate,
                buffer_frames: info.buffer_frames,
                buffer_note: info.buffer_note(),
                xruns: health.xruns,
                late: health.late,
                restarts: health.restarts,
                realtime: engine.output().realtime().lamp(),
                underruns: engine
                    .counters()
                    .underruns
                    .load(std::sync::atomic::Ordering::Relaxed),
                unsaved: app.unsaved(),
                read_only: app.mixer().read_only(),
                trim_mode: app.mixer().trim_mode(),
                message: app.message().map(str::to_string),
                listen: listen_view(engine),
                monitor: engine.monitor(),
                ceiling_db: self.ceiling.map(|(db, _)| db),
            },
            blind: app.mixer().blind(),
            overlay: app.overlay(),
        }
    }
}

/// What is heard when the session has a reference, where a free-running reference is, and the
/// loudness match, for the status line.
fn listen_view(engine: &Engine) -> Option<ListenView> {
    engine.has_reference().then(|| ListenView {
        reference: engine.listen() == Listen::Reference,
        free: engine.reference_free().then(|| FreePlace {
            position_s: engine.reference_position().map_or(0.0, |at| at.0),
            offset_s: engine.reference_offset().map_or(0.0, |by| by.0),
        }),
        matched: engine.reference_match().map(|m| (m.mix_db, m.reference_db)),
    })
}

/// What the fader keys edit, for the status line.
fn edit_mode(app: &App, scene: Option<&crate::session::Section>) -> EditMode {
    if app.mixer().scene_mode() {
        EditMode::Scene {
            section: scene.map_or_else(
                || "(before the first section)".to_string(),
                |s| s.name.clone(),
            ),
        }
    } else {
        EditMode::Base
    }
}

fn meter_view(m: &MeterBallistics) -> MeterView {
    MeterView {
        peak_db: m.peak_db(),
        rms_db: m.rms_db(),
        held_db: m.held_peak_db(),
        clipped: m.clipped(),
    }
}

/// The timeline under the strips (`None` without sections).
fn timeline_view(
    session: &crate::session::Session,
    engine: &Engine,
    position: crate::units::Seconds,
    current: Option<usize>,
) -> Option<TimelineView> {
    (!session.sections.is_empty()).then(|| TimelineView {
        sections: session
            .sections
            .iter()
            .map(|s| TimelineSection {
                name: s.name.clone(),
                start_s: s.start.0,
                has_scene: s.has_scene(),
            })
            .collect(),
        length_s: engine.length().0,
        playhead_s: position.0,
        current,
        loop_region: engine.loop_region().map(|(a, b)| (a.0, b.0)),
        ride: Vec::new(),
    })
}
