//! The output supervisor. [`Output`] and [`PendingOutput`] live on the UI thread; the
//! supervisor runs on its own thread, `earmix-output`, which owns the [`Backend`] and creates,
//! watches, parks and drops every stream there (cpal streams are not `Send`).

use std::fmt;
use std::sync::atomic::{AtomicU8, AtomicU32, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::backend::{
    Backend, HealthCounters, OutputError, OutputEvent, OutputKind, OutputRequest, Render,
    RendererSlot, RunningStream, StreamHealth, StreamInfo, fallback_notice, spawn_named,
};
use super::liveness::{Liveness, probe_host};
use super::null::NullBackend;
use super::park::{PARK_AFTER, ParkGate, RELEASE_AFTER};
use super::priority::{self, Realtime};

mod parking;

use parking::Parked;

/// How the supervisor watches and restarts streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SupervisorConfig {
    /// How often the stream's health is checked.
    pub tick: Duration,
    /// How long without a rendered frame before the supervisor asks whether the device or
    /// server still answers; `None` for max(300 ms, 8 device periods). A server that no longer
    /// answers is lost then; one that answers is only slow.
    pub stall_timeout: Option<Duration>,
    /// How long a stream whose server still answers may go without a callback before it is
    /// taken for wedged and restarted all the same.
    pub answering_timeout: Duration,
    /// How long a stream whose server cannot be asked (ALSA) may go without a callback before
    /// it is taken for lost.
    pub unknown_timeout: Duration,
    /// How long a new stream may take to ask for its first frames (at least the stall timeout).
    pub first_callback_timeout: Duration,
    /// The wait before the first retry; it doubles with each failed try.
    pub retry_delay: Duration,
    /// The longest wait between retries.
    pub max_retry_delay: Duration,
    /// How long to wait for the renderer to come back from a dropped stream.
    pub renderer_return_timeout: Duration,
    /// How long the transport must stay idle before the stream is parked (see
    /// [`ParkGate`]), in device time; `None` never parks.
    pub park_after: Option<Duration>,
    /// How long a parked stream whose host keeps calling it while paused (JACK) stays parked
    /// before it is let go of (see [`RELEASE_AFTER`]).
    pub release_after: Duration,
}

impl Default for SupervisorConfig {
    fn default() -> Self {
        Self {
            tick: Duration::from_millis(20),
            stall_timeout: None,
            answering_timeout: Duration::from_secs(5),
            unknown_timeout: Duration::from_secs(2),
            first_callback_timeout: Duration::from_secs(2),
            retry_delay: Duration::from_millis(100),
            max_retry_delay: Duration::from_secs(5),
            renderer_return_timeout: Duration::from_secs(2),
            park_after: Some(PARK_AFTER),
            release_after: RELEASE_AFTER,
        }
    }
}

impl SupervisorConfig {
    /// The stall timeout for a stream with this configuration.
    ///
    /// Not realtime-safe (read by the supervisor thread).
    pub fn stall_timeout_for(&self, info: &StreamInfo) -> Duration {
        self.stall_timeout
            .unwrap_or_else(|| (info.period() * 8).max(Duration::from_millis(300)))
    }
}

/// Where the output stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputState {
    /// A stream is playing.
    Running,
    /// The stream is paused at the host while the transport is idle; the next command wakes it.
    Parked,
    /// The stream died; the supervisor is tearing it down.
    Lost,
    /// Waiting to try the device again.
    Retrying {
        /// The try that is next (1 for the first retry).
        attempt: u32,
    },
    /// The supervisor gave up (the renderer was lost, or the supervisor thread died).
    Failed,
}

impl fmt::Display for OutputState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutputState::Running => f.write_str("running"),
            OutputState::Parked => f.write_str("parked"),
            OutputState::Lost => f.write_str("device lost"),
            OutputState::Retrying { attempt } => write!(f, "reconnecting (try {attempt})"),
            OutputState::Failed => f.write_str("output failed"),
        }
    }
}

const STATE_RUNNING: u8 = 0;
const STATE_LOST: u8 = 1;
const STATE_RETRYING: u8 = 2;
const STATE_FAILED: u8 = 3;
const STATE_PARKED: u8 = 4;

/// The output's health: its state and every stream's counters added up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthSnapshot {
    /// Where the output stands.
    pub state: OutputState,
    /// Frames handed to a device since the output started (device time).
    pub frames: u64,
    /// Device callbacks served.
    pub callbacks: u64,
    /// Underruns or overruns the device reported.
    pub xruns: u64,
    /// Callbacks that came after the audio before them had run out: gaps the device did not
    /// report (see [`Heartbeat`](super::heartbeat::Heartbeat)).
    pub late: u64,
    /// How long those gaps lasted in all, in ns.
    pub late_nanos: u64,
    /// Errors saying the device or stream was gone.
    pub device_lost: u64,
    /// Every other stream error.
    pub other_errors: u64,
    /// Times playback resumed on a new stream after a loss.
    pub restarts: u32,
}

/// What the supervisor and the UI share once the output runs.
struct Shared {
    health: Arc<StreamHealth>,
    gate: Arc<ParkGate>,
    state: AtomicU8,
    attempt: AtomicU32,
    restarts: AtomicU32,
    info: Mutex<StreamInfo>,
    realtime: Mutex<Realtime>,
}

impl Shared {
    fn set_state(&self, state: OutputState) {
        let (code, attempt) = match state {
            OutputState::Running => (STATE_RUNNING, 0),
            OutputState::Lost => (STATE_LOST, 0),
            OutputState::Retrying { attempt } => (STATE_RETRYING, attempt),
            OutputState::Failed => (STATE_FAILED, 0),
            OutputState::Parked => (STATE_PARKED, 0),
        };
        self.attempt.store(attempt, Ordering::Relaxed);
        self.state.store(code, Ordering::Release);
    }

    fn state(&self) -> OutputState {
        match self.state.load(Ordering::Acquire) {
            STATE_RUNNING => OutputState::Running,
            STATE_PARKED => OutputState::Parked,
            STATE_LOST => OutputState::Lost,
            STATE_RETRYING => OutputState::Retrying {
                attempt: self.attempt.load(Ordering::Relaxed),
            },
            _ => OutputState::Failed,
        }
    }

    fn info(&self) -> StreamInfo {
        self.info
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn set_info(&self, info: StreamInfo) {
        *self.info.lock().unwrap_or_else(PoisonError::into_inner) = info;
    }

    fn realtime(&self) -> Realtime {
        self.realtime
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Records what the audio thread got.
    fn set_realtime(&self, realtime: Realtime) {
        *self.realtime.lock().unwrap_or_else(PoisonError::into_inner) = realtime;
    }
}

/// What a successful first start reports.
struct Started {
    notice: Option<String>,
}

enum Command {
    Start {
        renderer: Box<dyn Render>,
        shared: Arc<Shared>,
        /// Fall back to a null output with this buffer size if the device will not start.
        null_fallback: Option<u32>,
        reply: SyncSender<Result<Started, OutputError>>,
    },
    /// A command went to a parked stream: unpark it now.
    Wake,
    Stop,
}

/// The UI thread's handle on the supervisor thread: stops and joins it on drop.
struct Handle {
    commands: Sender<Command>,
    events: Receiver<OutputEvent>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        let _ = self.commands.send(Command::Stop);
        if let Some(thread) = self.thread.take() {
            // A panic on the supervisor thread has already been reported by the panic hook.
            let _ = thread.join();
        }
    }
}

/// An output whose device and rate are chosen but which has no renderer yet. Build the renderer
/// at [`PendingOutput::info`]'s sample rate, then [`start`](PendingOutput::start) it. Dropping
/// it stops the supervisor thread.
pub struct PendingOutput {
    info: StreamInfo,
    null_fallback: Option<u32>,
    notice: Option<String>,
    handle: Handle,
    gate: Arc<ParkGate>,
}

impl PendingOutput {
    /// What the device will run at.
    ///
    /// Not realtime-safe.
    pub fn info(&self) -> &StreamInfo {
        &self.info
    }

    /// Why this is not the output that was asked for, if [`open`](super::open) had to fall
    /// back to the null output.
    ///
    /// Not realtime-safe.
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    /// The gate the renderer reports through when the transport is idle, so the supervisor can
    /// park the stream (a renderer that never reports keeps its stream running).
    ///
    /// Not realtime-safe.
    pub fn park_gate(&self) -> Arc<ParkGate> {
        Arc::clone(&self.gate)
    }

    /// Makes [`start`](Self::start) fall back to the null output (with this buffer size) when
    /// the device will not start.
    ///
    /// Not realtime-safe.
    pub(crate) fn with_null_fallback(mut self, buffer_frames: u32) -> Self {
        self.null_fallback = Some(buffer_frames);
        self
    }

    /// Records why this output is not the one asked for.
    ///
    /// Not realtime-safe.
    pub(crate) fn with_notice(mut self, notice: String) -> Self {
        self.notice = Some(notice);
        self
    }

    /// Starts playing `renderer` (built for [`info`](Self::info)'s sample rate) and starts
    /// supervising the stream. When the device will not start, an output made by
    /// [`open`](super::open) falls back to the null output ([`Output::notice`] says why); any
    /// other output returns the error (and the renderer is dropped).
    ///
    /// Not realtime-safe.
    pub fn start(self, renderer: Box<dyn Render>) -> Result<Output, OutputError> {
        let shared = Arc::new(Shared {
            health: Arc::new(StreamHealth::new()),
            gate: self.gate,
            state: AtomicU8::new(STATE_RUNNING),
            attempt: AtomicU32::new(0),
            restarts: AtomicU32::new(0),
            info: Mutex::new(self.info.clone()),
            realtime: Mutex::new(Realtime::Pending),
        });
        let (reply, started) = mpsc::sync_channel(1);
        self.handle
            .commands
            .send(Command::Start {
                renderer,
                shared: Arc::clone(&shared),
                null_fallback: self.null_fallback,
                reply,
            })
            .map_err(|_| OutputError::SupervisorGone)?;
        let started = started.recv().map_err(|_| OutputError::SupervisorGone)??;
        Ok(Output {
            handle: self.handle,
            shared,
            notice: started.notice.or(self.notice),
        })
    }
}

/// The UI thread's handle on audio output: a supervisor thread plays the renderer on a device,
/// watches the stream, and when the device goes away reopens it and resumes the same renderer.
/// Dropping it stops the stream and joins the supervisor (waiting for a device open that is
/// under way, which cpal bounds at about 2 s).
pub struct Output {
    handle: Handle,
    shared: Arc<Shared>,
    notice: Option<String>,
}

impl Output {
    /// Starts a supervisor thread for `backend` and negotiates the device there (see
    /// [`Backend::negotiate`]), with the default [`SupervisorConfig`].
    ///
    /// Not realtime-safe.
    pub fn negotiate(
        backend: Box<dyn Backend>,
        preferred_rate: u32,
    ) -> Result<PendingOutput, OutputError> {
        Self::negotiate_with(backend, preferred_rate, SupervisorConfig::default())
    }

    /// [`Output::negotiate`] with a given supervision configuration (tests shorten the timeouts).
    ///
    /// Not realtime-safe.
    pub fn negotiate_with(
        backend: Box<dyn Backend>,
        preferred_rate: u32,
        config: SupervisorConfig,
    ) -> Result<PendingOutput, OutputError> {
        let (commands, command_rx) = mpsc::channel();
        let (event_tx, events) = mpsc::channel();
        let (reply, negotiated) = mpsc::sync_channel(1);
        let thread = spawn_named("earmix-output", move || {
            supervisor_thread(
                backend,
                config,
                preferred_rate,
                &reply,
                command_rx,
                event_tx,
            );
        })?;
        let handle = Handle {
            commands,
            events,
            thread: Some(thread),
        };
        let info = negotiated
            .recv()
            .map_err(|_| OutputError::SupervisorGone)??;
        Ok(PendingOutput {
            info,
            null_fallback: None,
            notice: None,
            handle,
            gate: Arc::new(ParkGate::new()),
        })
    }

    /// What the current stream runs at: the device may differ from what
    /// [`PendingOutput::info`] said (a null fallback, or a restart on another configuration),
    /// but the sample rate never changes.
    ///
    /// Not realtime-safe (locks and clones).
    pub fn info(&self) -> StreamInfo {
        self.shared.info()
    }

    /// Why this is not the output that was asked for, when the device could not be negotiated
    /// (in [`open`](super::open)) or started.
    ///
    /// Not realtime-safe.
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    /// The state and counters now. Realtime-safe (atomics only), though meant for the UI.
    pub fn health(&self) -> HealthSnapshot {
        let HealthCounters {
            frames,
            callbacks,
            xruns,
            late,
            late_nanos,
            device_lost,
            other_errors,
        } = self.shared.health.counters();
        let finished = self
            .handle
            .thread
            .as_ref()
            .is_none_or(JoinHandle::is_finished);
        HealthSnapshot {
            // The supervisor only returns early after reporting Failed, so a finished thread
            // in another state died.
            state: if finished {
                OutputState::Failed
            } else {
                self.shared.state()
            },
            frames,
            callbacks,
            xruns,
            late,
            late_nanos,
            device_lost,
            other_errors,
            restarts: self.shared.restarts.load(Ordering::Relaxed),
        }
    }

    /// What realtime priority the audio thread got ([`Realtime::Pending`] until the stream
    /// first calls back). The supervisor promotes the audio thread of each new stream.
    ///
    /// Not realtime-safe (locks and clones).
    pub fn realtime(&self) -> Realtime {
        self.shared.realtime()
    }

    /// Call after each command pushed to the renderer (`pushed`), or not pushed because its ring
    /// was full: when the stream is parked this wakes the supervisor, which unparks it at once,
    /// so the command is taken within the host's restart and one period. Only the first command
    /// after a park sends anything, and returns true (threads resting while the output is
    /// parked should be woken too).
    ///
    /// Not realtime-safe (may send to the supervisor thread).
    pub fn command_sent(&self, pushed: bool) -> bool {
        let woke = self.shared.gate.sent(pushed);
        if woke {
            let _ = self.handle.commands.send(Command::Wake);
        }
        woke
    }

    /// Everything the supervisor reported since the last call, oldest first.
    ///
    /// Not realtime-safe (allocates the list).
    pub fn poll_events(&self) -> Vec<OutputEvent> {
        self.handle.events.try_iter().collect()
    }
}

/// The supervisor thread's body: negotiate, wait for the renderer, start, supervise.
fn supervisor_thread(
    mut backend: Box<dyn Backend>,
    config: SupervisorConfig,
    preferred_rate: u32,
    negotiated: &SyncSender<Result<StreamInfo, OutputError>>,
    commands: Receiver<Command>,
    events: Sender<OutputEvent>,
) {
    let info = match backend.negotiate(preferred_rate) {
        Ok(info) => info,
        Err(error) => {
            let _ = negotiated.send(Err(error));
            return;
        }
    };
    if negotiated.send(Ok(info.clone())).is_err() {
        return;
    }
    let Ok(Command::Start {
        renderer,
        shared,
        null_fallback,
        reply,
    }) = commands.recv()
    else {
        return;
    };
    let (home_tx, home_rx) = mpsc::channel();
    let mut supervisor = Supervisor {
        backend,
        config,
        shared,
        events,
        commands,
        home_tx,
        home_rx,
        renderer: Some(renderer),
        stream: None,
        info,
        watch: Watch::default(),
        xruns_reported: 0,
        xrun_reported_at: None,
        thread_seen: 0,
        parked: None,
        cannot_park: false,
    };
    let started = supervisor.first_start(null_fallback);
    let ok = started.is_ok();
    if reply.send(started).is_err() || !ok {
        return;
    }
    supervisor.supervise();
}

/// What the supervisor remembers about the running stream's heartbeat.
#[derive(Debug, Clone, Copy)]
struct Watch {
    /// Loss errors counted before this stream started.
    lost: u64,
    /// Frames counted at the last check.
    frames: u64,
    /// When the frame count last moved (or the stream started).
    progress: Instant,
    /// The stream has rendered at least once.
    playing: bool,
    /// When the server was last asked whether it still answers.
    probed: Option<(Instant, Liveness)>,
}

impl Default for Watch {
    fn default() -> Self {
        Self {
            lost: 0,
            frames: 0,
            progress: Instant::now(),
            playing: false,
            probed: None,
        }
    }
}

/// A retry that is scheduled.
#[derive(Debug, Clone, Copy)]
struct Retry {
    attempt: u32,
    delay: Duration,
    at: Instant,
}

/// The supervisor thread's state.
struct Supervisor {
    backend: Box<dyn Backend>,
    config: SupervisorConfig,
    shared: Arc<Shared>,
    events: Sender<OutputEvent>,
    commands: Receiver<Command>,
    home_tx: Sender<Box<dyn Render>>,
    home_rx: Receiver<Box<dyn Render>>,
    /// The renderer, when no stream holds it.
    renderer: Option<Box<dyn Render>>,
    stream: Option<Box<dyn RunningStream>>,
    /// The configuration the current (or last) stream runs at.
    info: StreamInfo,
    watch: Watch,
    xruns_reported: u64,
    /// When the last `Xrun` event went out.
    xrun_reported_at: Option<Instant>,
    /// The audio thread published last that was promoted (or ignored, for an old stream).
    thread_seen: u64,
    /// The running stream is parked: when its server was last asked whether it still answers.
    parked: Option<Parked>,
    /// The running stream refused to park (it keeps running while idle).
    cannot_park: bool,
}

/// How often a silent stream's server is asked whether it still answers.
const PROBE_INTERVAL: Duration = Duration::from_millis(100);

/// How often the supervisor looks at a parked stream (its error counters, and commands that
/// came without a wake-up; a command wakes it at once through [`Command::Wake`]).
const PARKED_TICK: Duration = Duration::from_millis(250);

/// The shortest time between two `Xrun` events (a struggling device can xrun every period;
/// each event carries the running total).
const XRUN_EVENT_INTERVAL: Duration = Duration::from_millis(250);

impl Supervisor {
    fn send(&self, event: OutputEvent) {
        // Nobody listening means the output is being dropped.
        let _ = self.events.send(event);
    }

    /// Starts the first stream; an output from `open` falls back to the null output.
    fn first_start(&mut self, null_fallback: Option<u32>) -> Result<Started, OutputError> {
        let error = match self.start_stream(self.info.clone()) {
            Ok(()) => return Ok(Started { notice: None }),
            Err(error) => error,
        };
        let Some(buffer_frames) = null_fallback else {
            return Err(error);
        };
        let request = OutputRequest {
            kind: OutputKind::Null,
            rate: Some(self.info.sample_rate),
            buffer_frames,
            ..OutputRequest::default()
        };
        let mut null = NullBackend::new(&request);
        let info = null.negotiate(self.info.sample_rate)?;
        self.backend = Box::new(null);
        self.start_stream(info)?;
        Ok(Started {
            notice: Some(fallback_notice(&error)),
        })
    }

    /// The renderer, from here or from the stream that just let go of it (bounded wait).
    fn take_renderer(&mut self) -> Result<Box<dyn Render>, OutputError> {
        match self.renderer.take() {
            Some(renderer) => Ok(renderer),
            None => self
                .home_rx
                .recv_timeout(self.config.renderer_return_timeout)
                .map_err(|_| OutputError::RendererLost),
        }
    }

    /// Waits for the renderer to come home from a stream that failed or was dropped.
    fn collect_renderer(&mut self) -> Result<(), OutputError> {
        let renderer = self.take_renderer()?;
        self.renderer = Some(renderer);
        Ok(())
    }

    /// Starts a stream at `info` with the renderer; on success it becomes the current stream.
    fn start_stream(&mut self, info: StreamInfo) -> Result<(), OutputError> {
        let renderer = self.take_renderer()?;
        let slot = RendererSlot::new(renderer, self.home_tx.clone());
        // Counted before the start, so a loss reported while the stream starts is caught.
        let before = self.shared.health.counters();
        // Any thread published so far belonged to a stream that is gone.
        self.thread_seen = self.shared.health.audio_thread().map_or(0, |t| t.seq);
        self.shared.health.set_rate(info.sample_rate);
        let stream = self
            .backend
            .start(&info, slot, Arc::clone(&self.shared.health))?;
        let mut info = info;
        if let Some(frames) = stream.buffer_frames() {
            info.buffer_frames = frames;
        }
        info.buffer_why = stream.buffer_why().or(info.buffer_why);
        self.stream = Some(stream);
        self.watch = Watch {
            lost: before.device_lost,
            frames: before.frames,
            progress: Instant::now(),
            playing: false,
            probed: None,
        };
        self.shared.set_info(info.clone());
        self.info = info;
        self.parked = None;
        self.cannot_park = false;
        self.shared.gate.set_awake();
        self.shared.set_state(OutputState::Running);
        Ok(())
    }

    /// Negotiates again, insisting on the sample rate the renderer runs at, and starts.
    fn restart(&mut self) -> Result<(), OutputError> {
        let wanted = self.info.sample_rate;
        let info = self.backend.negotiate(wanted)?;
        if info.sample_rate != wanted {
            return Err(OutputError::RateChanged {
                wanted,
                offered: info.sample_rate,
            });
        }
        self.start_stream(info)
    }

    fn fail(&mut self, reason: String) {
        self.stream = None;
        self.shared.set_state(OutputState::Failed);
        self.send(OutputEvent::Failed { reason });
    }

    /// Why the running stream counts as dead, if it does.
    fn check_stream(&mut self, now: Instant, counters: HealthCounters) -> Option<String> {
        if counters.device_lost > self.watch.lost {
            return Some(self.shared.health.loss_reason().to_string());
        }
        if counters.frames != self.watch.frames {
            self.watch.frames = counters.frames;
            self.watch.progress = now;
            self.watch.playing = true;
            self.watch.probed = None;
            return None;
        }
        let stall = self.config.stall_timeout_for(&self.info);
        let silent = now.saturating_duration_since(self.watch.progress);
        if self.watch.playing {
            if silent < stall {
                return None;
            }
            let ms = silent.as_millis();
            match self.liveness(now) {
                Liveness::Gone => Some(format!(
                    "the device stopped asking for audio ({ms} ms without a callback) and no \
                     longer answers"
                )),
                Liveness::Answers => (silent >= self.config.answering_timeout).then(|| {
                    format!(
                        "the device stopped asking for audio ({ms} ms without a callback), \
                         though it still answers"
                    )
                }),
                Liveness::Unknown => (silent >= self.config.unknown_timeout).then(|| {
                    format!("the device stopped asking for audio ({ms} ms without a callback)")
                }),
            }
        } else {
            (silent >= stall.max(self.config.first_callback_timeout)).then(|| {
                format!(
                    "the device never asked for audio ({} ms after the stream started)",
                    silent.as_millis()
                )
            })
        }
    }

    /// Whether the running stream's device or server still answers: the stream's own word, else
    /// a probe of its host's server, asked at most every [`PROBE_INTERVAL`].
    fn liveness(&mut self, now: Instant) -> Liveness {
        if let Some((at, answer)) = self.watch.probed
            && now.saturating_duration_since(at) < PROBE_INTERVAL
        {
            return answer;
        }
        let answer = match self.stream.as_ref().map(|s| s.liveness()) {
            Some(Liveness::Unknown) => probe_host(&self.info.host),
            Some(answer) => answer,
            None => Liveness::Gone,
        };
        self.watch.probed = Some((now, answer));
        answer
    }

    /// Promotes the running stream's audio thread to realtime priority once it has called
    /// back (again after each restart, and when the host moves its callbacks to another
    /// thread), logs what it got and keeps it for [`Output::realtime`]. The stream is alive here
    /// (only this thread drops streams), so the thread handle it published is valid.
    fn promote_audio_thread(&mut self) {
        if self.stream.is_none() {
            return;
        }
        let Some(thread) = self.shared.health.audio_thread() else {
            return;
        };
        if thread.seq == self.thread_seen {
            return;
        }
        self.thread_seen = thread.seq;
        let realtime = priority::promote(&thread, self.info.sample_rate);
        if matches!(realtime, Realtime::Granted { .. }) {
            tracing::info!("{realtime}");
        } else {
            tracing::warn!("{realtime}");
        }
        self.shared.set_realtime(realtime);
    }

    /// Watches the stream every tick and restarts it when it dies, until told to stop. Parks it
    /// while the transport is idle, and unparks it for the next command.
    fn supervise(&mut self) {
        let mut retry: Option<Retry> = None;
        loop {
            let tick = if self.parked.is_some() {
                PARKED_TICK.max(self.config.tick)
            } else {
                self.config.tick
            };
            match self.commands.recv_timeout(tick) {
                Ok(Command::Stop) | Err(RecvTimeoutError::Disconnected) => return,
                // `PendingOutput::start` consumes itself, so a second start cannot be sent. A
                // wake is seen below, through the gate.
                Ok(Command::Start { .. } | Command::Wake) | Err(RecvTimeoutError::Timeout) => {}
            }
            self.promote_audio_thread();
            let now = Instant::now();
            let counters = self.shared.health.counters();
            let xrun_due = self
                .xrun_reported_at
                .is_none_or(|at| now.saturating_duration_since(at) >= XRUN_EVENT_INTERVAL);
            if counters.xruns > self.xruns_reported && xrun_due {
                self.xruns_reported = counters.xruns;
                self.xrun_reported_at = Some(now);
                self.send(OutputEvent::Xrun {
                    total: counters.xruns,
                });
            }
            let Some(mut next) = retry else {
                let verdict = if self.parked.is_some() {
                    self.watch_parked(now, counters)
                } else {
                    self.check_stream(now, counters)
                        .or_else(|| self.park_if_idle(now))
                };
                if let Some(reason) = verdict {
                    self.parked = None;
                    self.shared.gate.set_awake();
                    self.shared.set_state(OutputState::Lost);
                    self.send(OutputEvent::Lost {
                        reason: reason.clone(),
                    });
                    self.stream = None;
                    if self.collect_renderer().is_err() {
                        self.fail(OutputError::RendererLost.to_string());
                        return;
                    }
                    let delay = self.config.retry_delay;
                    retry = Some(self.schedule(1, delay, now, reason));
                }
                continue;
            };
            if now < next.at {
                continue;
            }
            match self.restart() {
                Ok(()) => {
                    retry = None;
                    self.shared.restarts.fetch_add(1, Ordering::Relaxed);
                    self.send(OutputEvent::Resumed {
                        info: self.info.clone(),
                    });
                }
                Err(error) => {
                    let lost = error == OutputError::RendererLost
                        || (self.renderer.is_none() && self.collect_renderer().is_err());
                    if lost {
                        self.fail(OutputError::RendererLost.to_string());
                        return;
                    }
                    next.attempt += 1;
                    next.delay = (next.delay * 2).min(self.config.max_retry_delay);
                    retry = Some(self.schedule(
                        next.attempt,
                        next.delay,
                        Instant::now(),
                        error.to_string(),
                    ));
                }
            }
        }
    }

    fn schedule(&self, attempt: u32, delay: Duration, now: Instant, error: String) -> Retry {
        self.shared.set_state(OutputState::Retrying { attempt });
        self.send(OutputEvent::Retrying {
            attempt,
            delay,
            error,
        });
        Retry {
            attempt,
            delay,
            at: now + delay,
        }
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        // The stream goes first: it hands the renderer back, which is then dropped here too.
        self.stream = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::output::{FaultHandle, Pacing, Recording, ScriptedBackend, ScriptedConfig};
    use std::sync::atomic::{AtomicBool, AtomicU64};

    /// 2^-24: frame n of the ramp is n x STEP on the left, -n x STEP on the right (exact in f32
    /// below 2^24 frames, and inside full scale, so the device gets it unclamped).
    const STEP: f32 = 1.0 / 16_777_216.0;

    /// A renderer whose every frame says which frame it is, so continuity is checkable sample
    /// by sample; it sets `dropped` when it is finally dropped.
    struct Ramp {
        next: u32,
        dropped: Arc<AtomicBool>,
    }

    impl Ramp {
        fn boxed() -> (Box<dyn Render>, Arc<AtomicBool>) {
            let dropped = Arc::new(AtomicBool::new(false));
            let ramp = Ramp {
                next: 0,
                dropped: Arc::clone(&dropped),
            };
            (Box::new(ramp), dropped)
        }
    }

    impl Render for Ramp {
        fn render(&mut self, left: &mut [f32], right: &mut [f32]) {
            for (l, r) in left.iter_mut().zip(right.iter_mut()) {
                *l = self.next as f32 * STEP;
                *r = -(self.next as f32) * STEP;
                self.next += 1;
            }
        }
    }

    impl Drop for Ramp {
        fn drop(&mut self) {
            self.dropped.store(true, Ordering::Release);
        }
    }

    fn quick() -> SupervisorConfig {
        SupervisorConfig {
            tick: Duration::from_millis(5),
            stall_timeout: Some(Duration::from_millis(100)),
            answering_timeout: Duration::from_secs(3),
            unknown_timeout: Duration::from_millis(400),
            first_callback_timeout: Duration::from_millis(500),
            retry_delay: Duration::from_millis(20),
            max_retry_delay: Duration::from_millis(200),
            renderer_return_timeout: Duration::from_millis(500),
            park_after: Some(PARK_AFTER),
            release_after: Duration::ZERO,
        }
    }

    /// A stereo scripted device at 48 kHz running 4x real time.
    fn scripted() -> (ScriptedBackend, FaultHandle, Recording) {
        let backend = ScriptedBackend::new(ScriptedConfig {
            pacing: Pacing::Speed(4.0),
            ..ScriptedConfig::default()
        });
        let (faults, recording) = (backend.faults(), backend.recording());
        (backend, faults, recording)
    }

    fn start(backend: ScriptedBackend) -> (Output, Arc<AtomicBool>) {
        let pending =
            Output::negotiate_with(Box::new(backend), 48_000, quick()).expect("negotiates");
        let (ramp, dropped) = Ramp::boxed();
        (pending.start(ramp).expect("starts"), dropped)
    }

    /// Polls until `done` holds for the events so far (panics after 5 s, showing them).
    fn events_until(output: &Output, done: impl Fn(&[OutputEvent]) -> bool) -> Vec<OutputEvent> {
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut events = Vec::new();
        loop {
            events.extend(output.poll_events());
            if done(&events) {
                return events;
            }
            assert!(Instant::now() < deadline, "timed out; events: {events:#?}");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn resumed(events: &[OutputEvent]) -> bool {
        events
            .iter()
            .any(|e| matches!(e, OutputEvent::Resumed { .. }))
    }

    /// Waits until the recording holds at least `frames` stereo frames.
    fn wait_frames(recording: &Recording, frames: usize) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while recording.len() < frames * 2 {
            assert!(
                Instant::now() < deadline,
                "only {} samples",
                recording.len()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Every recorded frame is the ramp's next frame: nothing lost, repeated or reordered.
    fn assert_continuous(recording: &Recording) -> usize {
        let samples = recording.samples();
        for (n, frame) in samples.chunks_exact(2).enumerate() {
            let want = n as f32 * STEP;
            assert!(
                frame[0] == want && frame[1] == -want,
                "frame {n} is {frame:?}, expected [{want}, {}]",
                -want
            );
        }
        samples.len() / 2
    }

    /// An injected `DeviceNotAvailable` is reported as Lost, retried, and Resumed, and the same
    /// renderer carries on from exactly the frame where the dead stream stopped.
    #[test]
    fn device_lost_then_resumed_continuously() {
        let (backend, faults, recording) = scripted();
        let (output, dropped) = start(backend);
        wait_frames(&recording, 4800);
        faults.fire_error(cpal::ErrorKind::DeviceNotAvailable);
        let events = events_until(&output, resumed);
        assert!(
            matches!(&events[..], [
                OutputEvent::Lost { reason },
                OutputEvent::Retrying { attempt: 1, delay, .. },
                OutputEvent::Resumed { info },
            ] if reason == "the device is no longer available"
                && *delay == Duration::from_millis(20)
                && info.sample_rate == 48_000),
            "{events:#?}"
        );
        let at_resume = recording.len() / 2;
        wait_frames(&recording, at_resume + 4800);
        let frames = assert_continuous(&recording);
        assert!(frames > at_resume + 4800);
        let health = output.health();
        assert_eq!(health.state, OutputState::Running);
        assert_eq!((health.device_lost, health.restarts), (1, 1));
        assert_eq!(faults.streams_started(), 2);
        drop(output);
        assert!(
            dropped.load(Ordering::Acquire),
            "renderer dropped with the output"
        );
    }

    /// A stream that silently stops calling render (no error at all) is caught by the
    /// heartbeat, reported as Lost then Resumed, and playback continues without a gap.
    #[test]
    fn stall_detected_then_resumed_continuously() {
        let (backend, faults, recording) = scripted();
        let (output, _dropped) = start(backend);
        wait_frames(&recording, 4800);
        let stalled_at = Instant::now();
        faults.stall();
        let events = events_until(&output, resumed);
        let OutputEvent::Lost { reason } = &events[0] else {
            panic!("{events:#?}");
        };
        assert!(
            reason.starts_with("the device stopped asking for audio ("),
            "{reason}"
        );
        assert!(
            stalled_at.elapsed() >= Duration::from_millis(100),
            "detected before the stall timeout"
        );
        assert!(matches!(
            events[1],
            OutputEvent::Retrying { attempt: 1, .. }
        ));
        assert!(matches!(events[2], OutputEvent::Resumed { .. }));
        let at_resume = recording.len() / 2;
        wait_frames(&recording, at_resume + 4800);
        assert_continuous(&recording);
        let health = output.health();
        assert_eq!((health.device_lost, health.restarts), (0, 1));
    }

    /// Failed negotiations and starts are retried with doubling delays (capped), each reported
    /// with its error; the renderer comes back from each failed start and continues unbroken.
    #[test]
    fn retries_back_off_until_the_device_returns() {
        let (backend, faults, recording) = scripted();
        let (output, _dropped) = start(backend);
        wait_frames(&recording, 2400);
        faults.fail_next_negotiations(2);
        faults.fail_next_starts(2);
        faults.fire_error(cpal::ErrorKind::DeviceNotAvailable);
        let events = events_until(&output, resumed);
        let retries: Vec<(u32, u128, &str)> = events
            .iter()
            .filter_map(|e| match e {
                OutputEvent::Retrying {
                    attempt,
                    delay,
                    error,
                } => Some((*attempt, delay.as_millis(), error.as_str())),
                _ => None,
            })
            .collect();
        assert_eq!(
            retries,
            [
                (1, 20, "the device is no longer available"),
                (
                    2,
                    40,
                    "injected fault: the scripted device refused to negotiate"
                ),
                (
                    3,
                    80,
                    "injected fault: the scripted device refused to negotiate"
                ),
                (
                    4,
                    160,
                    "injected fault: the scripted device refused to start"
                ),
                (
                    5,
                    200,
                    "injected fault: the scripted device refused to start"
                ),
            ]
        );
        let at_resume = recording.len() / 2;
        wait_frames(&recording, at_resume + 2400);
        assert_continuous(&recording);
        assert_eq!(faults.streams_started(), 2);
    }

    /// When the device comes back at another rate the supervisor keeps waiting (and says so)
    /// instead of playing the renderer at the wrong speed; it resumes once the rate is back.
    #[test]
    fn waits_for_the_same_rate() {
        let (backend, faults, recording) = scripted();
        let (output, _dropped) = start(backend);
        wait_frames(&recording, 2400);
        faults.set_rates(vec![44_100]);
        faults.fire_error(cpal::ErrorKind::DeviceNotAvailable);
        let rate_changed = |events: &[OutputEvent]| {
            events.iter().any(|e| {
                matches!(e, OutputEvent::Retrying { error, .. }
                    if error == "the device now runs at 44100 Hz; waiting for it to offer \
                                 48000 Hz again")
            })
        };
        let mut events = events_until(&output, rate_changed);
        assert!(!resumed(&events));
        faults.set_rates(vec![44_100, 48_000]);
        events.extend(events_until(&output, resumed));
        let Some(OutputEvent::Resumed { info }) = events.last() else {
            panic!("{events:#?}");
        };
        assert_eq!(info.sample_rate, 48_000);
        assert_eq!(output.info().sample_rate, 48_000);
        let at_resume = recording.len() / 2;
        wait_frames(&recording, at_resume + 2400);
        assert_continuous(&recording);
    }

    /// Xruns are counted and reported as events with the running total, never as a loss.
    #[test]
    fn xruns_are_reported_not_lost() {
        let (backend, faults, recording) = scripted();
        let (output, _dropped) = start(backend);
        wait_frames(&recording, 2400);
        faults.fire_error(cpal::ErrorKind::Xrun);
        let events = events_until(&output, |e| !e.is_empty());
        assert_eq!(events, [OutputEvent::Xrun { total: 1 }]);
        faults.fire_error(cpal::ErrorKind::Xrun);
        faults.fire_error(cpal::ErrorKind::BackendError);
        let events = events_until(&output, |e| !e.is_empty());
        assert_eq!(events, [OutputEvent::Xrun { total: 2 }]);
        // Still playing on the first stream, with the other error counted.
        std::thread::sleep(Duration::from_millis(200));
        assert!(output.poll_events().is_empty());
        let health = output.health();
        assert_eq!(
            (
                health.state,
                health.xruns,
                health.other_errors,
                health.restarts
            ),
            (OutputState::Running, 2, 1, 0)
        );
        assert_eq!(faults.streams_started(), 1);
    }

    /// A backend that keeps every renderer it is given and reports its device gone at once.
    struct Hoarder(Arc<Mutex<Vec<RendererSlot>>>);

    struct Nothing;
    impl RunningStream for Nothing {}

    impl Backend for Hoarder {
        fn negotiate(&mut self, preferred_rate: u32) -> Result<StreamInfo, OutputError> {
            let mut null = NullBackend::new(&OutputRequest::default());
            null.negotiate(preferred_rate)
        }

        fn start(
            &mut self,
            _info: &StreamInfo,
            renderer: RendererSlot,
            health: Arc<StreamHealth>,
        ) -> Result<Box<dyn RunningStream>, OutputError> {
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(renderer);
            health.record_error(cpal::ErrorKind::DeviceNotAvailable);
            Ok(Box::new(Nothing))
        }
    }

    /// If the renderer never comes back from a dead stream, the output reports Failed (event
    /// and state) and stops instead of hanging.
    #[test]
    fn renderer_that_never_returns_fails() {
        let hoard = Arc::new(Mutex::new(Vec::new()));
        let pending =
            Output::negotiate_with(Box::new(Hoarder(Arc::clone(&hoard))), 48_000, quick())
                .expect("negotiates");
        let (ramp, _dropped) = Ramp::boxed();
        let output = pending.start(ramp).expect("starts");
        let events = events_until(&output, |e| {
            e.iter().any(|e| matches!(e, OutputEvent::Failed { .. }))
        });
        assert_eq!(
            events,
            [
                OutputEvent::Lost {
                    reason: "the device is no longer available".into()
                },
                OutputEvent::Failed {
                    reason: "the audio renderer did not come back from the stopped stream".into()
                }
            ]
        );
        assert_eq!(output.health().state, OutputState::Failed);
    }

    /// A device that will not start: a plain output reports the error; one opened with the
    /// null fallback plays on the null output at the negotiated rate, with a notice.
    #[test]
    fn start_failure_and_null_fallback() {
        let (backend, faults, _) = scripted();
        faults.fail_next_starts(1);
        let pending = Output::negotiate_with(Box::new(backend), 48_000, quick()).expect("ok");
        let (ramp, dropped) = Ramp::boxed();
        let Err(error) = pending.start(ramp) else {
            panic!("start should fail");
        };
        assert_eq!(
            error,
            OutputError::Injected("the scripted device refused to start".into())
        );
        assert!(dropped.load(Ordering::Acquire));

        let (backend, faults, _) = scripted();
        faults.fail_next_starts(1);
        let pending = Output::negotiate_with(Box::new(backend), 48_000, quick())
            .expect("ok")
            .with_null_fallback(128);
        let (ramp, _dropped) = Ramp::boxed();
        let output = pending.start(ramp).expect("falls back");
        assert_eq!(output.info().host, "null");
        assert_eq!(
            (output.info().sample_rate, output.info().buffer_frames),
            (48_000, 128)
        );
        assert_eq!(
            output.notice(),
            Some(
                "no audio device could be opened (injected fault: the scripted device refused \
                 to start); playing on the null output (silent, real-time pace)"
            )
        );
        let deadline = Instant::now() + Duration::from_secs(5);
        while output.health().frames == 0 {
            assert!(Instant::now() < deadline, "the null output never played");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// A failed negotiation is returned as the error, and the supervisor thread is gone.
    #[test]
    fn negotiation_failure_is_returned() {
        let (backend, faults, _) = scripted();
        faults.fail_next_negotiations(1);
        let Err(error) = Output::negotiate_with(Box::new(backend), 48_000, quick()) else {
            panic!("negotiation should fail");
        };
        assert_eq!(
            error,
            OutputError::Injected("the scripted device refused to negotiate".into())
        );
    }

    /// Callbacks held back for 800 ms (eight stall timeouts) while the device still answers
    /// are late, not lost: no restart, no Lost event; the heartbeat counts the gap, and the
    /// recording carries on from the same renderer. Before the liveness check this restarted.
    #[test]
    fn late_callbacks_under_load_are_not_a_loss() {
        let (backend, faults, recording) = scripted();
        let (output, _dropped) = start(backend);
        wait_frames(&recording, 4800);
        faults.pause(Duration::from_millis(800));
        std::thread::sleep(Duration::from_millis(900));
        let at_resume = recording.len() / 2;
        wait_frames(&recording, at_resume + 4800);
        let events = output.poll_events();
        assert!(
            !events
                .iter()
                .any(|e| matches!(e, OutputEvent::Lost { .. } | OutputEvent::Resumed { .. })),
            "{events:#?}"
        );
        let health = output.health();
        assert_eq!((health.state, health.restarts), (OutputState::Running, 0));
        assert_eq!(faults.streams_started(), 1);
        assert!(health.late >= 1, "the gap was not counted: {health:?}");
        assert!(
            health.late_nanos >= 700_000_000,
            "gap of {} ns counted",
            health.late_nanos
        );
        assert_continuous(&recording);
    }

    /// A stream whose callbacks stop while its device answers is still restarted once the
    /// answering timeout runs out (a wedged stream on a live server).
    #[test]
    fn wedged_stream_on_a_live_server_restarts() {
        let (backend, faults, recording) = scripted();
        let config = SupervisorConfig {
            answering_timeout: Duration::from_millis(300),
            ..quick()
        };
        let pending = Output::negotiate_with(Box::new(backend), 48_000, config).expect("ok");
        let (ramp, _dropped) = Ramp::boxed();
        let output = pending.start(ramp).expect("starts");
        wait_frames(&recording, 2400);
        let paused_at = Instant::now();
        faults.pause(Duration::from_secs(3));
        let events = events_until(&output, resumed);
        assert!(paused_at.elapsed() >= Duration::from_millis(300));
        let Some(OutputEvent::Lost { reason }) = events
            .iter()
            .find(|e| matches!(e, OutputEvent::Lost { .. }))
        else {
            panic!("{events:#?}");
        };
        assert!(reason.ends_with("though it still answers"), "{reason}");
    }

    /// The audio thread of the running stream is promoted once it calls back and the result is
    /// kept for the status line (here as root: `SCHED_FIFO`).
    #[test]
    fn audio_thread_priority_is_reported() {
        let (backend, _faults, recording) = scripted();
        let (output, _dropped) = start(backend);
        wait_frames(&recording, 480);
        let deadline = Instant::now() + Duration::from_secs(5);
        let realtime = loop {
            let realtime = output.realtime();
            if realtime != Realtime::Pending {
                break realtime;
            }
            assert!(Instant::now() < deadline, "still pending");
            std::thread::sleep(Duration::from_millis(5));
        };
        assert!(
            matches!(realtime, Realtime::Granted { .. }),
            "as root the audio thread gets SCHED_FIFO: {realtime}"
        );
    }

    /// A transport for the park tests: plays the ramp (so continuity stays checkable sample by
    /// sample), takes the commands a test sends through `inbox`, and tells the gate it is idle
    /// while `paused` is set, as the realtime processor does.
    struct Transport {
        ramp: Box<dyn Render>,
        gate: Arc<ParkGate>,
        inbox: Arc<AtomicU64>,
        paused: Arc<AtomicBool>,
    }

    impl Render for Transport {
        fn render(&mut self, left: &mut [f32], right: &mut [f32]) {
            self.ramp.render(left, right);
            let taken = self.inbox.swap(0, Ordering::AcqRel);
            let idle = self.paused.load(Ordering::Acquire);
            self.gate.rendered(left.len() as u64, taken, idle);
        }
    }

    /// The test's side of a [`Transport`]: pauses it and sends it commands.
    struct Remote {
        inbox: Arc<AtomicU64>,
        paused: Arc<AtomicBool>,
    }

    impl Remote {
        /// Sends one command the way the engine does: into the ring, then tells the output.
        fn send(&self, output: &Output) {
            self.inbox.fetch_add(1, Ordering::AcqRel);
            output.command_sent(true);
        }

        /// True once the transport has taken every command sent.
        fn all_taken(&self) -> bool {
            self.inbox.load(Ordering::Acquire) == 0
        }
    }

    fn start_transport(backend: ScriptedBackend, config: SupervisorConfig) -> (Output, Remote) {
        let pending = Output::negotiate_with(Box::new(backend), 48_000, config).expect("ok");
        let (ramp, _dropped) = Ramp::boxed();
        let remote = Remote {
            inbox: Arc::new(AtomicU64::new(0)),
            paused: Arc::new(AtomicBool::new(false)),
        };
        let transport = Transport {
            ramp,
            gate: pending.park_gate(),
            inbox: Arc::clone(&remote.inbox),
            paused: Arc::clone(&remote.paused),
        };
        (pending.start(Box::new(transport)).expect("starts"), remote)
    }

    /// Polls until `done` holds (panics after 5 s, naming `what`).
    fn wait_until(what: &str, done: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !done() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// A paused transport parks its stream after a second of device time (a quarter second at
    /// 4x), and nothing more is played while it is parked; a command wakes it, the stream is
    /// unparked before the command is taken, and playback carries on from the same frame.
    #[test]
    fn idle_transport_parks_and_a_command_wakes_it() {
        let (backend, faults, recording) = scripted();
        let (output, remote) = start_transport(backend, quick());
        wait_frames(&recording, 2400);
        std::thread::sleep(Duration::from_millis(400));
        assert_eq!(faults.parks(), 0, "parked while playing");
        remote.paused.store(true, Ordering::Release);
        let paused_at = Instant::now();
        wait_until("the park", || output.health().state == OutputState::Parked);
        assert!(
            paused_at.elapsed() >= Duration::from_millis(240),
            "parked {:?} after the pause, before a second of device time",
            paused_at.elapsed()
        );
        assert_eq!(faults.parks(), 1);
        let parked_len = recording.len();
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(recording.len(), parked_len, "the parked stream played on");
        remote.paused.store(false, Ordering::Release);
        remote.send(&output);
        wait_until("the command to be taken", || remote.all_taken());
        assert_eq!(faults.unparks(), 1);
        assert_eq!(output.health().state, OutputState::Running);
        wait_frames(&recording, parked_len / 2 + 2400);
        assert_continuous(&recording);
        assert_eq!(faults.streams_started(), 1);
    }

    /// A park longer than the stall timeout and the answering timeout is no stall, no late
    /// callback, no restart: the silence was wanted. After the wake the heartbeat starts afresh.
    /// (At real-time pace: a device faster than real time hands over a reserve that would hide
    /// the gap from the heartbeat.)
    #[test]
    fn a_long_park_counts_no_late_callback_and_no_restart() {
        let backend = ScriptedBackend::new(ScriptedConfig::default());
        let (faults, recording) = (backend.faults(), backend.recording());
        let config = SupervisorConfig {
            answering_timeout: Duration::from_millis(300),
            ..quick()
        };
        let (output, remote) = start_transport(backend, config);
        wait_frames(&recording, 2400);
        remote.paused.store(true, Ordering::Release);
        wait_until("the park", || output.health().state == OutputState::Parked);
        std::thread::sleep(Duration::from_millis(800));
        assert_eq!(output.health().state, OutputState::Parked);
        remote.paused.store(false, Ordering::Release);
        remote.send(&output);
        wait_until("the command to be taken", || remote.all_taken());
        let at_wake = recording.len() / 2;
        wait_frames(&recording, at_wake + 9600);
        let events = output.poll_events();
        assert!(events.is_empty(), "{events:#?}");
        let health = output.health();
        assert_eq!(
            (health.state, health.restarts, health.device_lost),
            (OutputState::Running, 0, 0),
            "{health:?}"
        );
        // The 800 ms park is not a late callback. (A busy machine may still make a callback
        // or two a few milliseconds late at real-time pace; those are not the park.)
        assert!(
            health.late_nanos < 100_000_000,
            "the park was counted as a gap: {health:?}"
        );
        assert_eq!((faults.parks(), faults.unparks()), (1, 1));
        assert_continuous(&recording);
    }

    /// A device that went away while parked, without a word, is noticed when a command wakes
    /// it: the unpark fails, the loss is reported and the stream restarted as when playing, and
    /// the command is taken by the new stream, which carries on from the same frame.
    #[test]
    fn a_device_lost_while_parked_is_noticed_on_unpark() {
        let (backend, faults, recording) = scripted();
        let (output, remote) = start_transport(backend, quick());
        wait_frames(&recording, 2400);
        remote.paused.store(true, Ordering::Release);
        wait_until("the park", || output.health().state == OutputState::Parked);
        faults.vanish();
        remote.send(&output);
        let events = events_until(&output, resumed);
        let Some(OutputEvent::Lost { reason }) = events.first() else {
            panic!("{events:#?}");
        };
        assert_eq!(
            reason,
            "the device did not resume after the pause (injected fault: the scripted device \
             vanished while parked)"
        );
        wait_until("the command to be taken", || remote.all_taken());
        assert_eq!((faults.unparks(), faults.streams_started()), (1, 2));
        assert_eq!(output.health().restarts, 1);
        assert_continuous(&recording);
    }

    /// A device that went away while parked is also found by the parked stream's probe, a
    /// second or so later, and reopened before anything needs it; the new stream parks again.
    #[test]
    fn a_device_lost_while_parked_is_found_by_the_probe() {
        let (backend, faults, recording) = scripted();
        let (output, remote) = start_transport(backend, quick());
        wait_frames(&recording, 2400);
        remote.paused.store(true, Ordering::Release);
        wait_until("the park", || output.health().state == OutputState::Parked);
        faults.vanish();
        let events = events_until(&output, resumed);
        assert!(
            matches!(events.first(), Some(OutputEvent::Lost { reason })
                if reason == "the device went away while playback was paused"),
            "{events:#?}"
        );
        wait_until("the new stream's park", || faults.parks() == 2);
        assert_eq!((faults.unparks(), faults.streams_started()), (0, 2));
        assert_eq!(output.health().state, OutputState::Parked);
        assert_continuous(&recording);
    }

    /// A scripted device at 4x real time whose host keeps calling a paused stream, as JACK does.
    fn keeps_calling() -> (ScriptedBackend, FaultHandle, Recording) {
        let backend = ScriptedBackend::new(ScriptedConfig {
            pacing: Pacing::Speed(4.0),
            pause_keeps_calling: true,
            ..ScriptedConfig::default()
        });
        let (faults, recording) = (backend.faults(), backend.recording());
        (backend, faults, recording)
    }

    /// On a host whose pause keeps calling the stream (as JACK does), the parked stream is let
    /// go of (dropped: its client leaves the server); a command builds a new one, which takes
    /// the command and plays on from the same frame of the same renderer. Neither is a loss, a
    /// restart, an event or a late callback; idle again, the new stream is let go of too.
    #[test]
    fn a_stream_whose_host_keeps_calling_is_let_go_while_parked() {
        let (backend, faults, recording) = keeps_calling();
        let (output, remote) = start_transport(backend, quick());
        wait_frames(&recording, 2400);
        remote.paused.store(true, Ordering::Release);
        wait_until("the park", || output.health().state == OutputState::Parked);
        wait_until("the stream to be let go of", || faults.streams_live() == 0);
        assert_eq!((faults.parks(), faults.streams_started()), (1, 1));
        let parked_len = recording.len();
        // Longer than the stall timeout and a parked tick: still parked, nothing played.
        std::thread::sleep(Duration::from_millis(400));
        assert_eq!(
            recording.len(),
            parked_len,
            "something played while let go of"
        );
        assert_eq!(output.health().state, OutputState::Parked);
        remote.paused.store(false, Ordering::Release);
        remote.send(&output);
        wait_until("the command to be taken", || remote.all_taken());
        assert_eq!(
            (
                faults.streams_started(),
                faults.streams_live(),
                faults.unparks()
            ),
            (2, 1, 0)
        );
        assert_eq!(output.health().state, OutputState::Running);
        wait_frames(&recording, parked_len / 2 + 4800);
        let events = output.poll_events();
        assert!(events.is_empty(), "{events:#?}");
        let health = output.health();
        assert_eq!((health.restarts, health.device_lost), (0, 0), "{health:?}");
        // The 400 ms let go of is no late callback. (A busy machine may still make the 4x
        // device's pacer fall behind now and then; that is not the release.)
        assert!(
            health.late_nanos < 100_000_000,
            "the release was counted as a gap: {health:?}"
        );
        assert_continuous(&recording);
        remote.paused.store(true, Ordering::Release);
        wait_until("the second park", || {
            faults.parks() == 2 && faults.streams_live() == 0
        });
        assert_eq!(output.health().state, OutputState::Parked);
    }

    /// A stream let go of while parked that cannot be built again for the next command (the
    /// device refuses) is a lost device, as when playing: reported, retried and resumed on a
    /// new stream, which takes the command and plays on from the same frame.
    #[test]
    fn a_stream_let_go_of_that_cannot_be_built_again_is_lost() {
        let (backend, faults, recording) = keeps_calling();
        let (output, remote) = start_transport(backend, quick());
        wait_frames(&recording, 2400);
        remote.paused.store(true, Ordering::Release);
        wait_until("the stream to be let go of", || {
            output.health().state == OutputState::Parked && faults.streams_live() == 0
        });
        faults.fail_next_starts(1);
        remote.paused.store(false, Ordering::Release);
        remote.send(&output);
        let events = events_until(&output, resumed);
        assert!(
            matches!(&events[..], [
                OutputEvent::Lost { reason },
                OutputEvent::Retrying { attempt: 1, .. },
                OutputEvent::Resumed { .. },
            ] if reason == "the device could not be opened again after the pause (injected \
                            fault: the scripted device refused to start)"),
            "{events:#?}"
        );
        wait_until("the command to be taken", || remote.all_taken());
        assert_eq!(output.health().restarts, 1);
        assert_eq!((faults.streams_started(), faults.streams_live()), (2, 1));
        let at_resume = recording.len() / 2;
        wait_frames(&recording, at_resume + 2400);
        assert_continuous(&recording);
    }

    /// A renderer that never reports to the gate (here the bare ramp) keeps its stream running.
    #[test]
    fn a_renderer_without_a_transport_never_parks() {
        let (backend, faults, recording) = scripted();
        let (output, _dropped) = start(backend);
        wait_frames(&recording, 48_000 * 2);
        assert_eq!(faults.parks(), 0);
        assert_eq!(output.health().state, OutputState::Running);
    }

    /// The default stall timeout is 8 periods, but never under 300 ms.
    #[test]
    fn default_stall_timeout() {
        let mut info = NullBackend::new(&OutputRequest::default())
            .negotiate(48_000)
            .expect("null");
        let config = SupervisorConfig::default();
        assert_eq!(config.stall_timeout_for(&info), Duration::from_millis(300));
        info.buffer_frames = 4800;
        assert_eq!(config.stall_timeout_for(&info), Duration::from_millis(800));
    }
}
