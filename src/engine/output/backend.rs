//! What every output backend shares with the supervisor and the device's callback: the
//! [`Render`] contract the audio thread fulfils, the [`Backend`] and [`RunningStream`] traits a
//! way to reach a device implements, what was asked for ([`OutputRequest`]) and got
//! ([`StreamInfo`]), the [`StreamHealth`] atomics all three threads touch, the [`RendererSlot`]
//! that carries the renderer from stream to stream, and the supervisor's [`OutputEvent`]s.
//! Threads: as each item says.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU32, AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::time::Duration;

/// The audio thread's side of the engine: renders the mix.
pub trait Render: Send + 'static {
    /// Writes the next frames into `left` and `right` (equal lengths, at most [`RENDER_CHUNK`]).
    ///
    /// Realtime-safe: must not allocate, lock, block or print.
    fn render(&mut self, left: &mut [f32], right: &mut [f32]);
}

/// The most frames one [`Render::render`] call is asked for.
pub const RENDER_CHUNK: usize = 1024;

/// The buffer size asked of a device when nothing else is said, in frames.
pub const DEFAULT_BUFFER_FRAMES: u32 = 256;

/// Where the sound goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputKind {
    /// An audio device through cpal, falling back to the null output when none can be opened.
    #[default]
    Device,
    /// No sound: a thread that consumes audio at real-time pace.
    Null,
}

/// What output the user asked for (the `--output`, `--host`, `--device`, `--buffer` and
/// `--rate` options).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputRequest {
    /// Device or null output.
    pub kind: OutputKind,
    /// The cpal host by name ("alsa", "jack"); `None` for the system's default host.
    pub host: Option<String>,
    /// The device, matched against device ids and names; `None` for the default device.
    pub device: Option<String>,
    /// Frames per device period (requested as a fixed cpal buffer size).
    pub buffer_frames: u32,
    /// A sample rate the device must run at; `None` to prefer the session's rate.
    pub rate: Option<u32>,
}

impl Default for OutputRequest {
    fn default() -> Self {
        Self {
            kind: OutputKind::Device,
            host: None,
            device: None,
            buffer_frames: DEFAULT_BUFFER_FRAMES,
            rate: None,
        }
    }
}

/// What a stream runs at, as negotiated with the device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamInfo {
    /// The host ("alsa", "jack", "pipewire", "null", ...).
    pub host: String,
    /// The sound server or driver behind the device, as a person names it: "PipeWire 0.3.65",
    /// "JACK", "ALSA → JACK" (an ALSA plugin in front of a server), "ALSA"; "null" for the
    /// null output.
    pub server: String,
    /// The device, as a person would recognise it (with its id when that differs).
    pub device: String,
    /// Frames per second.
    pub sample_rate: u32,
    /// Device channels (the mix is stereo; see
    /// [`write_interleaved`](super::feeder::write_interleaved) for the mapping).
    pub channels: u16,
    /// The device's sample format: "f32", "i32" or "i16".
    pub format: String,
    /// Frames per device period: what was granted once the stream runs (the PipeWire quantum,
    /// the JACK or ALSA period).
    pub buffer_frames: u32,
    /// Frames per period asked for (`--buffer`, `[audio] buffer_frames`).
    pub buffer_asked: u32,
    /// Why `buffer_frames` differs from `buffer_asked`, when that is known ("the server's
    /// smallest").
    pub buffer_why: Option<String>,
}

impl StreamInfo {
    /// How long one device period lasts.
    pub fn period(&self) -> Duration {
        Duration::from_nanos(
            u64::from(self.buffer_frames) * 1_000_000_000 / u64::from(self.sample_rate.max(1)),
        )
    }

    /// What the granted buffer is, when it is not what was asked: "asked 128; the server's
    /// smallest", or just "asked 128" when the reason is not known. `None` when they agree.
    pub fn buffer_note(&self) -> Option<String> {
        (self.buffer_frames != self.buffer_asked).then(|| match &self.buffer_why {
            Some(why) => format!("asked {}; {why}", self.buffer_asked),
            None => format!("asked {}", self.buffer_asked),
        })
    }
}

impl fmt::Display for StreamInfo {
    /// "PipeWire 0.3.65: Default Audio Device (default), 48000 Hz, 2 ch, f32, 256-frame buffer
    /// (5.3 ms; asked 128; the server's smallest)".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}, {} Hz, {} ch, {}, {}-frame buffer ({:.1} ms",
            self.server,
            self.device,
            self.sample_rate,
            self.channels,
            self.format,
            self.buffer_frames,
            self.period().as_secs_f64() * 1000.0
        )?;
        if let Some(note) = self.buffer_note() {
            write!(f, "; {note}")?;
        }
        write!(f, ")")
    }
}

/// Why an output could not be negotiated or started.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutputError {
    /// `--host` named a host this build does not know.
    #[error("there is no audio host called '{name}'; hosts here: {available}")]
    UnknownHost {
        /// What was asked for.
        name: String,
        /// The hosts available, comma-separated.
        available: String,
    },
    /// `--host jack` on a build without the `jack` feature.
    #[error(
        "this earmix was built without JACK support; rebuild with `cargo build --features jack` \
         (needs libjack-jackd2-dev), or use --host alsa"
    )]
    JackNotBuilt,
    /// The host exists but could not be opened.
    #[error("the audio host '{host}' cannot be used: {message}")]
    Host {
        /// The host.
        host: String,
        /// What cpal said.
        message: String,
    },
    /// `--device` matched no device.
    #[error("{host} has no output device called '{name}'; its devices: {available}")]
    NoSuchDevice {
        /// The host searched.
        host: String,
        /// What was asked for.
        name: String,
        /// The device ids found, comma-separated.
        available: String,
    },
    /// The host has no default output device.
    #[error("{host} has no default output device")]
    NoDefaultDevice {
        /// The host.
        host: String,
    },
    /// The device offers no configuration earmix can write.
    #[error(
        "the device {device} offers no output earmix can write ({wanted}); it offers: {offered}"
    )]
    NoUsableConfig {
        /// The device.
        device: String,
        /// What earmix needed.
        wanted: String,
        /// What the device offers.
        offered: String,
    },
    /// A restart found the device at another sample rate than the renderer was built for.
    #[error("the device now runs at {offered} Hz; waiting for it to offer {wanted} Hz again")]
    RateChanged {
        /// The rate the renderer runs at.
        wanted: u32,
        /// The rate the device offers now.
        offered: u32,
    },
    /// cpal reported an error while querying or opening the device.
    #[error("the device {device}: {message}")]
    Device {
        /// The device.
        device: String,
        /// What cpal said.
        message: String,
    },
    /// `start` was called without a successful `negotiate`.
    #[error("the output was started before a device was negotiated")]
    NotNegotiated,
    /// A thread could not be spawned.
    #[error("cannot start the {name} thread: {message}")]
    Thread {
        /// The thread's name.
        name: String,
        /// What the OS said.
        message: String,
    },
    /// The renderer did not come back from a stopped stream in time.
    #[error("the audio renderer did not come back from the stopped stream")]
    RendererLost,
    /// The supervisor thread is gone (it panicked or already stopped).
    #[error("the output supervisor thread stopped unexpectedly")]
    SupervisorGone,
    /// A fault injected by a [`ScriptedBackend`](super::scripted::ScriptedBackend) test.
    #[error("injected fault: {0}")]
    Injected(String),
}

/// Spawns a named thread, reporting failure as an [`OutputError`]. Not realtime-safe.
pub(crate) fn spawn_named<F, T>(name: &str, f: F) -> Result<std::thread::JoinHandle<T>, OutputError>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    std::thread::Builder::new()
        .name(name.to_string())
        .spawn(f)
        .map_err(|e| OutputError::Thread {
            name: name.to_string(),
            message: e.to_string(),
        })
}

// Why a stream was reported gone, as the error callback saw it.
const LOST_NONE: u8 = 0;
const LOST_DEVICE: u8 = 1;
const LOST_INVALIDATED: u8 = 2;
const LOST_HOST: u8 = 3;

/// A stream's vital signs, bumped by the audio thread and its error callback and read by the
/// supervisor and the UI. Atomics only, so every method is realtime-safe.
#[derive(Debug, Default)]
pub struct StreamHealth {
    frames: AtomicU64,
    callbacks: AtomicU64,
    xruns: AtomicU64,
    late: AtomicU64,
    late_nanos: AtomicU64,
    device_lost: AtomicU64,
    other_errors: AtomicU64,
    last_loss: AtomicU8,
    /// The running stream's sample rate (set by the supervisor before each start).
    rate: AtomicU32,
    /// The audio thread as the feeder last saw it, for the supervisor to promote.
    audio_thread: AudioThreadSlot,
    /// Bumped by the supervisor each time it parks or unparks the stream, so the feeder's
    /// heartbeat starts afresh (with its warm-up) instead of counting the wanted silence.
    parks: AtomicU64,
}

/// The audio thread's identity, published by the feeder (on the audio thread) and read by the
/// supervisor: a sequence number bumped after each new identity is written, the thread's
/// pthread handle, and the 32 bytes of
/// `audio_thread_priority::RtPriorityThreadInfo` (its kernel thread id and scheduling) that
/// rtkit needs. Atomics only.
#[derive(Debug, Default)]
struct AudioThreadSlot {
    seq: AtomicU64,
    pthread: AtomicU64,
    info: [AtomicU64; 4],
}

/// The audio thread, as [`StreamHealth::audio_thread`] gives it to the supervisor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AudioThread {
    /// Bumped each time a (new) thread is published.
    pub seq: u64,
    /// Its pthread handle (`pthread_t`).
    pub pthread: u64,
    /// `audio_thread_priority`'s serialized thread info (all zero where there is none).
    pub info: [u8; 32],
}

/// The plain numbers in a [`StreamHealth`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HealthCounters {
    /// Frames rendered and handed to the device (the heartbeat).
    pub frames: u64,
    /// Device callbacks served.
    pub callbacks: u64,
    /// Buffer underruns or overruns the device reported.
    pub xruns: u64,
    /// Callbacks that came after the audio handed over before them had run out (see
    /// [`Heartbeat`](super::heartbeat::Heartbeat)): gaps the device did not report.
    pub late: u64,
    /// How long the device went without audio before those late callbacks, in all, in ns.
    pub late_nanos: u64,
    /// Errors saying the device or stream is gone (device not available, stream invalidated,
    /// host unavailable).
    pub device_lost: u64,
    /// Every other stream error.
    pub other_errors: u64,
}

impl StreamHealth {
    /// Zeroed counters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one callback that delivered `frames` frames. Realtime-safe.
    pub fn record_callback(&self, frames: u64) {
        self.frames.fetch_add(frames, Ordering::Relaxed);
        self.callbacks.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one callback that came `gap` after the audio before it ran out. Realtime-safe.
    pub fn record_late(&self, gap: Duration) {
        self.late.fetch_add(1, Ordering::Relaxed);
        self.late_nanos.fetch_add(
            u64::try_from(gap.as_nanos()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    /// Sets the sample rate of the stream about to start (the heartbeat measures in it).
    /// Realtime-safe.
    pub fn set_rate(&self, rate: u32) {
        self.rate.store(rate, Ordering::Relaxed);
    }

    /// The running stream's sample rate, 0 when not set. Realtime-safe.
    pub fn rate(&self) -> u32 {
        self.rate.load(Ordering::Relaxed)
    }

    /// Marks a park or an unpark of the stream: the silence between the last callback before
    /// it and the first after it was wanted, not a gap. Realtime-safe.
    pub fn mark_park(&self) {
        self.parks.fetch_add(1, Ordering::Release);
    }

    /// How many parks and unparks so far (see [`StreamHealth::mark_park`]). Realtime-safe.
    pub fn parks(&self) -> u64 {
        self.parks.load(Ordering::Acquire)
    }

    /// Publishes the thread calling back (its pthread handle and serialized thread info) for
    /// the supervisor to promote. Realtime-safe: atomics only.
    pub fn publish_audio_thread(&self, pthread: u64, info: [u8; 32]) {
        self.audio_thread.pthread.store(pthread, Ordering::Relaxed);
        for (slot, bytes) in self.audio_thread.info.iter().zip(info.chunks_exact(8)) {
            let mut word = [0u8; 8];
            word.copy_from_slice(bytes);
            slot.store(u64::from_ne_bytes(word), Ordering::Relaxed);
        }
        self.audio_thread.seq.fetch_add(1, Ordering::Release);
    }

    /// The audio thread last published, if any. Realtime-safe.
    pub fn audio_thread(&self) -> Option<AudioThread> {
        let seq = self.audio_thread.seq.load(Ordering::Acquire);
        if seq == 0 {
            return None;
        }
        let mut info = [0u8; 32];
        for (slot, bytes) in self.audio_thread.info.iter().zip(info.chunks_exact_mut(8)) {
            bytes.copy_from_slice(&slot.load(Ordering::Relaxed).to_ne_bytes());
        }
        Some(AudioThread {
            seq,
            pthread: self.audio_thread.pthread.load(Ordering::Relaxed),
            info,
        })
    }

    /// Counts a stream error by kind. Realtime-safe: atomics only, nothing printed or formatted.
    pub fn record_error(&self, kind: cpal::ErrorKind) {
        let loss = match kind {
            cpal::ErrorKind::Xrun => {
                self.xruns.fetch_add(1, Ordering::Relaxed);
                return;
            }
            cpal::ErrorKind::DeviceNotAvailable => LOST_DEVICE,
            cpal::ErrorKind::StreamInvalidated => LOST_INVALIDATED,
            cpal::ErrorKind::HostUnavailable => LOST_HOST,
            _ => {
                self.other_errors.fetch_add(1, Ordering::Relaxed);
                return;
            }
        };
        self.last_loss.store(loss, Ordering::Relaxed);
        self.device_lost.fetch_add(1, Ordering::Release);
    }

    /// The error callback every stream gets: it only bumps these counters (a dying `PipeWire` can
    /// fire hundreds of thousands of errors a second). Realtime-safe when called, apart from
    /// dropping the `cpal::Error` it is given (which frees the message cpal allocated, if any).
    /// Not realtime-safe to create.
    pub fn error_callback(self: &Arc<Self>) -> impl FnMut(cpal::Error) + Send + 'static {
        let health = Arc::clone(self);
        move |error: cpal::Error| health.record_error(error.kind())
    }

    /// The counters now. Realtime-safe.
    pub fn counters(&self) -> HealthCounters {
        HealthCounters {
            frames: self.frames.load(Ordering::Relaxed),
            callbacks: self.callbacks.load(Ordering::Relaxed),
            xruns: self.xruns.load(Ordering::Relaxed),
            late: self.late.load(Ordering::Relaxed),
            late_nanos: self.late_nanos.load(Ordering::Relaxed),
            device_lost: self.device_lost.load(Ordering::Acquire),
            other_errors: self.other_errors.load(Ordering::Relaxed),
        }
    }

    /// Words for the last loss the error callback saw.
    pub(crate) fn loss_reason(&self) -> &'static str {
        match self.last_loss.load(Ordering::Relaxed) {
            LOST_INVALIDATED => "the stream was invalidated and must be rebuilt",
            LOST_HOST => "the audio host went away",
            LOST_DEVICE | LOST_NONE => "the device is no longer available",
            _ => "the device reported an error",
        }
    }
}

/// Holds the renderer while a stream plays it, and sends it back to the supervisor when the
/// stream lets go of it (stops, fails to build, or dies), so it can play on a new stream with
/// its position and state intact.
pub struct RendererSlot {
    renderer: Option<Box<dyn Render>>,
    home: Sender<Box<dyn Render>>,
}

impl RendererSlot {
    /// A slot that sends `renderer` to `home` when dropped. Not realtime-safe.
    pub fn new(renderer: Box<dyn Render>, home: Sender<Box<dyn Render>>) -> Self {
        Self {
            renderer: Some(renderer),
            home,
        }
    }
}

impl Render for RendererSlot {
    /// Renders through the held renderer. Realtime-safe.
    fn render(&mut self, left: &mut [f32], right: &mut [f32]) {
        if let Some(renderer) = &mut self.renderer {
            renderer.render(left, right);
        } else {
            left.fill(0.0);
            right.fill(0.0);
        }
    }
}

impl Drop for RendererSlot {
    /// Sends the renderer home. Not realtime-safe (a stream drops its slot when it is torn down).
    fn drop(&mut self) {
        if let Some(renderer) = self.renderer.take() {
            // If the supervisor is gone nobody wants the renderer: it drops here.
            let _ = self.home.send(renderer);
        }
    }
}

/// A playing stream. Dropping it stops playback and drops its [`RendererSlot`] (which sends the
/// renderer home). Streams are created and dropped on the supervisor thread (cpal streams are
/// not `Send`).
pub trait RunningStream {
    /// The period the device actually granted, when it can say (it may differ from the one
    /// negotiated). Not realtime-safe.
    fn buffer_frames(&self) -> Option<u32> {
        None
    }

    /// Why the granted period differs from the one negotiated, when the stream knows (a device
    /// that refused the negotiated size named its range). Not realtime-safe.
    fn buffer_why(&self) -> Option<String> {
        None
    }

    /// Whether the device or server behind the stream still answers, asked when the stream has
    /// gone quiet; [`Liveness::Unknown`](super::liveness::Liveness::Unknown) lets the
    /// supervisor ask the server by host name. Not realtime-safe.
    fn liveness(&self) -> super::liveness::Liveness {
        super::liveness::Liveness::Unknown
    }

    /// Pauses the stream at the host while the transport is idle (see
    /// [`ParkGate`](super::park::ParkGate)): callbacks stop until [`unpark`](Self::unpark).
    /// False when this stream cannot pause (it then keeps running). Not realtime-safe.
    fn park(&mut self) -> bool {
        false
    }

    /// Resumes a parked stream. An error means the device is gone: the supervisor treats it as
    /// a lost stream. Not realtime-safe.
    fn unpark(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    /// Whether the host keeps calling a parked stream every period all the same (JACK: the
    /// client stays active and jackd wakes its process thread each period, which then returns
    /// at once). The supervisor lets go of such a stream while it is parked and builds a new one
    /// for the next command. Not realtime-safe.
    fn keeps_calling_while_parked(&self) -> bool {
        false
    }
}

/// A way to reach an audio device. Lives on the supervisor thread.
pub trait Backend: Send {
    /// Picks the device and its configuration: the sample rate is the request's, else
    /// `preferred_rate` when the device supports it, else the device's default.
    ///
    /// Not realtime-safe.
    fn negotiate(&mut self, preferred_rate: u32) -> Result<StreamInfo, OutputError>;

    /// Starts a stream with the configuration `negotiate` returned, playing `renderer` and
    /// reporting to `health`. On failure the slot is dropped, so the renderer goes home.
    ///
    /// Not realtime-safe.
    fn start(
        &mut self,
        info: &StreamInfo,
        renderer: RendererSlot,
        health: Arc<StreamHealth>,
    ) -> Result<Box<dyn RunningStream>, OutputError>;
}

/// What the supervisor reports to the UI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputEvent {
    /// The stream stopped working; playback is paused until it comes back.
    Lost {
        /// Why, in words.
        reason: String,
    },
    /// Another try at opening the device is scheduled.
    Retrying {
        /// 1 for the first retry.
        attempt: u32,
        /// How long until that try.
        delay: Duration,
        /// What went wrong last.
        error: String,
    },
    /// Playing again.
    Resumed {
        /// What the new stream runs at.
        info: StreamInfo,
    },
    /// The device reported underruns or overruns.
    Xrun {
        /// How many so far, over every stream.
        total: u64,
    },
    /// The supervisor gave up: nothing will play until the output is reopened.
    Failed {
        /// Why, in words.
        reason: String,
    },
}

impl fmt::Display for OutputEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutputEvent::Lost { reason } => write!(f, "audio device lost: {reason}"),
            OutputEvent::Retrying {
                attempt,
                delay,
                error,
            } => write!(
                f,
                "reopening the audio device in {} ms (attempt {attempt}; last error: {error})",
                delay.as_millis()
            ),
            OutputEvent::Resumed { info } => write!(f, "audio resumed on {info}"),
            OutputEvent::Xrun { total } => {
                write!(f, "the device ran out of audio ({total} xruns so far)")
            }
            OutputEvent::Failed { reason } => write!(f, "audio output stopped: {reason}"),
        }
    }
}

/// The notice shown when a device output falls back to the null output.
pub(crate) fn fallback_notice(error: &OutputError) -> String {
    format!(
        "no audio device could be opened ({error}); playing on the null output (silent, \
         real-time pace)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    struct Constant(f32);
    impl Render for Constant {
        fn render(&mut self, left: &mut [f32], right: &mut [f32]) {
            left.fill(self.0);
            right.fill(-self.0);
        }
    }

    /// Error kinds land in the right counter: xruns, losses (three kinds) and the rest.
    #[test]
    fn errors_are_classified() {
        let health = Arc::new(StreamHealth::new());
        let mut callback = health.error_callback();
        for kind in [
            cpal::ErrorKind::Xrun,
            cpal::ErrorKind::Xrun,
            cpal::ErrorKind::DeviceNotAvailable,
            cpal::ErrorKind::StreamInvalidated,
            cpal::ErrorKind::HostUnavailable,
            cpal::ErrorKind::BackendError,
            cpal::ErrorKind::DeviceChanged,
        ] {
            callback(cpal::Error::new(kind));
        }
        let c = health.counters();
        assert_eq!((c.xruns, c.device_lost, c.other_errors), (2, 3, 2));
        assert_eq!(health.loss_reason(), "the audio host went away");
    }

    /// A slot renders through its renderer and sends that same renderer home when dropped.
    #[test]
    fn slot_sends_renderer_home() {
        let (home, back) = mpsc::channel();
        let mut slot = RendererSlot::new(Box::new(Constant(0.25)), home);
        let (mut l, mut r) = ([0.0; 4], [0.0; 4]);
        slot.render(&mut l, &mut r);
        assert_eq!((l, r), ([0.25; 4], [-0.25; 4]));
        assert!(back.try_recv().is_err(), "home before the slot was dropped");
        drop(slot);
        let mut renderer = back.try_recv().expect("renderer came home");
        renderer.render(&mut l, &mut r);
        assert_eq!(l, [0.25; 4]);
    }

    /// The status line names the server, device, rate, channels, format and latency, and a
    /// buffer other than the one asked for with what was asked and why.
    #[test]
    fn stream_info_display() {
        let mut info = StreamInfo {
            host: "alsa".into(),
            server: "ALSA → JACK".into(),
            device: "Default Audio Device (default)".into(),
            sample_rate: 48_000,
            channels: 2,
            format: "f32".into(),
            buffer_frames: 256,
            buffer_asked: 256,
            buffer_why: None,
        };
        assert_eq!(
            info.to_string(),
            "ALSA → JACK: Default Audio Device (default), 48000 Hz, 2 ch, f32, \
             256-frame buffer (5.3 ms)"
        );
        info.buffer_asked = 128;
        assert_eq!(
            info.to_string(),
            "ALSA → JACK: Default Audio Device (default), 48000 Hz, 2 ch, f32, \
             256-frame buffer (5.3 ms; asked 128)"
        );
        info.buffer_why = Some("the server's smallest".into());
        assert_eq!(
            info.buffer_note().as_deref(),
            Some("asked 128; the server's smallest")
        );
        assert!(
            info.to_string()
                .ends_with("256-frame buffer (5.3 ms; asked 128; the server's smallest)"),
            "{info}"
        );
    }
}
