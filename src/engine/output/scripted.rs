//! A scripted backend for tests. Negotiation runs on the supervisor thread; each stream is a
//! thread of its own, `earmix-scripted-stream`, standing in for a device's audio thread. It
//! records every frame it is given, counts its parks, and a [`FaultHandle`] lets a test break it
//! on purpose.
//! Not realtime-safe anywhere: it locks to record and to read its faults.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use super::backend::{Backend, OutputError, RendererSlot, RunningStream, StreamHealth, StreamInfo};
use super::feeder::StreamFeeder;
use super::liveness::Liveness;
use super::null::{Pacer, ThreadStream};

/// How fast a scripted stream asks for audio.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pacing {
    /// As fast as the renderer goes (the recording grows quickly: keep such runs short).
    AsFastAsPossible,
    /// This many times real time (1.0 is a real device's pace).
    Speed(f64),
}

/// The scripted device.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptedConfig {
    /// The sample rates it offers; the first is its default.
    pub rates: Vec<u32>,
    /// Its channel count.
    pub channels: u16,
    /// Frames per period.
    pub buffer_frames: u32,
    /// How fast it runs.
    pub pacing: Pacing,
    /// Its host keeps calling a paused stream (as JACK does), so the supervisor lets go of its
    /// stream while parked.
    pub pause_keeps_calling: bool,
}

impl Default for ScriptedConfig {
    /// Stereo, 48 kHz only, 256-frame periods, real-time pace, callbacks stop while paused.
    fn default() -> Self {
        Self {
            rates: vec![48_000],
            channels: 2,
            buffer_frames: 256,
            pacing: Pacing::Speed(1.0),
            pause_keeps_calling: false,
        }
    }
}

/// What the scripted device was given: every frame of every stream, interleaved f32 at its
/// channel count.
#[derive(Debug, Clone, Default)]
pub struct Recording(Arc<Mutex<Vec<f32>>>);

impl Recording {
    /// A copy of every sample so far.
    pub fn samples(&self) -> Vec<f32> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// How many samples (frames x channels) so far.
    pub fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Nothing recorded yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn append(&self, samples: &[f32]) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(samples);
    }
}

#[derive(Debug, Default)]
struct Faults {
    pending_errors: Mutex<Vec<cpal::ErrorKind>>,
    stall: AtomicBool,
    /// The running stream's device stopped answering (set by a stall).
    gone: AtomicBool,
    /// A pause to take before the next period, in ns (a slow server under load).
    pause_nanos: AtomicU64,
    fail_starts: AtomicU32,
    fail_negotiations: AtomicU32,
    rates: Mutex<Vec<u32>>,
    streams_started: AtomicU32,
    /// Streams started and not yet dropped.
    streams_live: AtomicU32,
    /// Times a stream was parked and unparked.
    parks: AtomicU32,
    unparks: AtomicU32,
    /// The device went away without a word (no error callback): the next unpark fails.
    vanished: AtomicBool,
}

/// Breaks a [`ScriptedBackend`] from a test.
#[derive(Debug, Clone)]
pub struct FaultHandle(Arc<Faults>);

/// Takes one from a counter of failures to inject; true if there was one.
fn take_one(counter: &AtomicU32) -> bool {
    counter
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
        .is_ok()
}

impl FaultHandle {
    /// Makes the running stream report `kind` through its error callback before its next
    /// period. `DeviceNotAvailable` then ends that stream's thread, as cpal's ALSA host does.
    pub fn fire_error(&self, kind: cpal::ErrorKind) {
        self.0
            .pending_errors
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(kind);
    }

    /// Makes the running stream stop calling render, without any error, and its device stop
    /// answering (as a JACK server that was killed does), until it is dropped. Streams started
    /// later run normally.
    pub fn stall(&self) {
        self.0.stall.store(true, Ordering::Release);
    }

    /// Makes the running stream wait `pause` before its next period and then carry on, while
    /// its device keeps answering (a slow server, or earmix starved of CPU under load). A pacer
    /// behind by more than a quarter second starts its clock again.
    pub fn pause(&self, pause: Duration) {
        let nanos = u64::try_from(pause.as_nanos()).unwrap_or(u64::MAX);
        self.0.pause_nanos.store(nanos, Ordering::Release);
    }

    /// Makes the next `n` calls to `start` fail.
    pub fn fail_next_starts(&self, n: u32) {
        self.0.fail_starts.store(n, Ordering::Release);
    }

    /// Makes the next `n` calls to `negotiate` fail.
    pub fn fail_next_negotiations(&self, n: u32) {
        self.0.fail_negotiations.store(n, Ordering::Release);
    }

    /// Changes the rates the device offers from now on (the first is its default).
    pub fn set_rates(&self, rates: Vec<u32>) {
        *self.0.rates.lock().unwrap_or_else(PoisonError::into_inner) = rates;
    }

    /// How many streams have started so far.
    pub fn streams_started(&self) -> u32 {
        self.0.streams_started.load(Ordering::Acquire)
    }

    /// How many streams are there now (started and not yet dropped).
    pub fn streams_live(&self) -> u32 {
        self.0.streams_live.load(Ordering::Acquire)
    }

    /// Makes the device go away without a word (no error callback), as a server that quits
    /// while earmix's stream is parked: the running stream's device stops answering and the next
    /// unpark fails. Streams started later run normally.
    pub fn vanish(&self) {
        self.0.gone.store(true, Ordering::Release);
        self.0.vanished.store(true, Ordering::Release);
    }

    /// How many times a stream was parked so far.
    pub fn parks(&self) -> u32 {
        self.0.parks.load(Ordering::Acquire)
    }

    /// How many times a parked stream was woken so far (successfully or not).
    pub fn unparks(&self) -> u32 {
        self.0.unparks.load(Ordering::Acquire)
    }
}

/// A fake device for tests: f32, any channel count, paced or flat out, recording everything it
/// plays, and breakable through its [`FaultHandle`].
#[derive(Debug)]
pub struct ScriptedBackend {
    config: ScriptedConfig,
    faults: Arc<Faults>,
    recording: Recording,
}

impl ScriptedBackend {
    /// A scripted device.
    pub fn new(config: ScriptedConfig) -> Self {
        let faults = Faults {
            rates: Mutex::new(config.rates.clone()),
            ..Faults::default()
        };
        Self {
            config,
            faults: Arc::new(faults),
            recording: Recording::default(),
        }
    }

    /// The handle that breaks this device.
    pub fn faults(&self) -> FaultHandle {
        FaultHandle(Arc::clone(&self.faults))
    }

    /// What this device has played.
    pub fn recording(&self) -> Recording {
        self.recording.clone()
    }
}

impl Backend for ScriptedBackend {
    fn negotiate(&mut self, preferred_rate: u32) -> Result<StreamInfo, OutputError> {
        if take_one(&self.faults.fail_negotiations) {
            return Err(OutputError::Injected(
                "the scripted device refused to negotiate".into(),
            ));
        }
        let rates = self
            .faults
            .rates
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let rate = if rates.contains(&preferred_rate) {
            preferred_rate
        } else {
            *rates.first().ok_or_else(|| OutputError::NoUsableConfig {
                device: "scripted device".into(),
                wanted: "any sample rate".into(),
                offered: "no rates".into(),
            })?
        };
        Ok(StreamInfo {
            host: "scripted".into(),
            server: "scripted".into(),
            device: "scripted device".into(),
            sample_rate: rate,
            channels: self.config.channels,
            format: "f32".into(),
            buffer_frames: self.config.buffer_frames,
            buffer_asked: self.config.buffer_frames,
            buffer_why: None,
        })
    }

    fn start(
        &mut self,
        info: &StreamInfo,
        renderer: RendererSlot,
        health: Arc<StreamHealth>,
    ) -> Result<Box<dyn RunningStream>, OutputError> {
        if take_one(&self.faults.fail_starts) {
            return Err(OutputError::Injected(
                "the scripted device refused to start".into(),
            ));
        }
        let mut feeder = StreamFeeder::new(renderer, Arc::clone(&health), info.channels);
        let mut buffer = vec![0.0f32; info.buffer_frames as usize * feeder.channels()];
        let (rate, period, pacing) = (
            info.sample_rate,
            u64::from(info.buffer_frames),
            self.config.pacing,
        );
        let faults = Arc::clone(&self.faults);
        faults.gone.store(false, Ordering::Release);
        faults.vanished.store(false, Ordering::Release);
        let recording = self.recording.clone();
        let stream = ThreadStream::spawn("earmix-scripted-stream", move |control| {
            let mut on_error = health.error_callback();
            let mut pacer = Pacer::new(
                rate,
                match pacing {
                    Pacing::Speed(speed) => speed,
                    Pacing::AsFastAsPossible => 1.0,
                },
            );
            while !control.stopped() {
                if control.wait_while_parked() {
                    pacer = Pacer::new(
                        rate,
                        match pacing {
                            Pacing::Speed(speed) => speed,
                            Pacing::AsFastAsPossible => 1.0,
                        },
                    );
                    continue;
                }
                let errors = std::mem::take(
                    &mut *faults
                        .pending_errors
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner),
                );
                let mut gone = false;
                for kind in errors {
                    on_error(cpal::Error::new(kind));
                    gone |= kind == cpal::ErrorKind::DeviceNotAvailable;
                }
                if gone {
                    return;
                }
                if faults.stall.swap(false, Ordering::AcqRel) {
                    faults.gone.store(true, Ordering::Release);
                    while !control.stopped() {
                        std::thread::park();
                    }
                    return;
                }
                let pause = faults.pause_nanos.swap(0, Ordering::AcqRel);
                if pause > 0 {
                    std::thread::sleep(Duration::from_nanos(pause));
                }
                feeder.fill(&mut buffer);
                recording.append(&buffer);
                match pacing {
                    Pacing::Speed(_) => {
                        if !pacer.wait(period, control.stop_flag()) {
                            health.record_error(cpal::ErrorKind::Xrun);
                        }
                    }
                    Pacing::AsFastAsPossible => std::thread::yield_now(),
                }
            }
        })?;
        self.faults.streams_started.fetch_add(1, Ordering::AcqRel);
        self.faults.streams_live.fetch_add(1, Ordering::AcqRel);
        Ok(Box::new(ScriptedStream {
            thread: Some(stream),
            faults: Arc::clone(&self.faults),
            keeps_calling: self.config.pause_keeps_calling,
        }))
    }
}

/// A running scripted stream: its thread (parked and unparked on request, counted), and
/// whether its device still answers.
struct ScriptedStream {
    /// Taken (stopped and joined) when the stream is dropped.
    thread: Option<ThreadStream>,
    faults: Arc<Faults>,
    keeps_calling: bool,
}

impl Drop for ScriptedStream {
    fn drop(&mut self) {
        drop(self.thread.take());
        self.faults.streams_live.fetch_sub(1, Ordering::AcqRel);
    }
}

impl RunningStream for ScriptedStream {
    fn liveness(&self) -> Liveness {
        if self.faults.gone.load(Ordering::Acquire) {
            Liveness::Gone
        } else {
            Liveness::Answers
        }
    }

    fn park(&mut self) -> bool {
        if let Some(thread) = &self.thread {
            thread.park();
        }
        self.faults.parks.fetch_add(1, Ordering::AcqRel);
        true
    }

    fn unpark(&mut self) -> Result<(), OutputError> {
        self.faults.unparks.fetch_add(1, Ordering::AcqRel);
        if self.faults.vanished.load(Ordering::Acquire) {
            return Err(OutputError::Injected(
                "the scripted device vanished while parked".into(),
            ));
        }
        if let Some(thread) = &self.thread {
            thread.unpark();
        }
        Ok(())
    }

    fn keeps_calling_while_parked(&self) -> bool {
        self.keeps_calling
    }
}
