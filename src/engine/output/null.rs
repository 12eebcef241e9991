//! The null output. Negotiation runs on the supervisor thread; the stream is a thread of its
//! own, `earmix-null-output`, which stands in for a device's audio thread: it renders one period,
//! then sleeps until that period's absolute deadline, so the position advances at 1.0x. Parked,
//! it sleeps until it is unparked, and then starts its clock again.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::backend::{
    Backend, OutputError, OutputRequest, RendererSlot, RunningStream, StreamHealth, StreamInfo,
    spawn_named,
};
use super::feeder::StreamFeeder;
use super::liveness::Liveness;

/// How late a paced thread may fall behind before it gives up catching up and starts its clock
/// again (counted as an xrun), instead of rendering a burst.
const MAX_LATENESS: Duration = Duration::from_millis(250);

/// Keeps a thread at a steady pace with absolute deadlines, so sleep overshoot never
/// accumulates: period n ends at `anchor + n x period / speed`.
pub(crate) struct Pacer {
    anchor: Instant,
    frames: u64,
    rate: u64,
    speed: f64,
}

impl Pacer {
    /// A pacer starting now, at `speed` times real time. Not realtime-safe.
    pub(crate) fn new(rate: u32, speed: f64) -> Self {
        Self {
            anchor: Instant::now(),
            frames: 0,
            rate: u64::from(rate.max(1)),
            speed: if speed > 0.0 { speed } else { 1.0 },
        }
    }

    fn deadline(&self) -> Instant {
        let nanos = u128::from(self.frames) * 1_000_000_000 / u128::from(self.rate);
        let nanos = (nanos as f64 / self.speed) as u64;
        self.anchor + Duration::from_nanos(nanos)
    }

    /// Counts `frames` as played and waits until they are due, or until `stop` is set. Returns
    /// false when the pacer had fallen behind by more than [`MAX_LATENESS`] and restarted its
    /// clock. The wait parks, so dropping the stream can unpark it at once.
    pub(crate) fn wait(&mut self, frames: u64, stop: &AtomicBool) -> bool {
        self.frames += frames;
        let deadline = self.deadline();
        let now = Instant::now();
        if now > deadline + MAX_LATENESS {
            self.anchor = now;
            self.frames = 0;
            return false;
        }
        while !stop.load(Ordering::Acquire) {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            std::thread::park_timeout(deadline - now);
        }
        true
    }
}

/// What a stand-in audio thread is told: stop, or sleep while parked.
#[derive(Debug, Default)]
pub(crate) struct StreamControl {
    stop: AtomicBool,
    parked: AtomicBool,
}

impl StreamControl {
    /// True once the stream is being dropped. Realtime-safe.
    pub(crate) fn stopped(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }

    /// The stop flag, for [`Pacer::wait`].
    pub(crate) fn stop_flag(&self) -> &AtomicBool {
        &self.stop
    }

    /// Sleeps while the stream is parked (the thread is woken when it is unparked or dropped;
    /// nothing ticks meanwhile). True if it slept: the caller's clock must start again.
    pub(crate) fn wait_while_parked(&self) -> bool {
        let mut slept = false;
        while self.parked.load(Ordering::Acquire) && !self.stopped() {
            std::thread::park();
            slept = true;
        }
        slept
    }
}

/// A thread standing in for a device's audio thread; parks on request; stopped and joined on
/// drop.
pub(crate) struct ThreadStream {
    control: Arc<StreamControl>,
    thread: Option<JoinHandle<()>>,
}

impl ThreadStream {
    /// Spawns `body` on a thread called `name`; `body` must return soon after its control says
    /// stop, and call [`StreamControl::wait_while_parked`] between periods. Not realtime-safe.
    pub(crate) fn spawn(
        name: &str,
        body: impl FnOnce(Arc<StreamControl>) + Send + 'static,
    ) -> Result<Self, OutputError> {
        let control = Arc::new(StreamControl::default());
        let theirs = Arc::clone(&control);
        let thread = spawn_named(name, move || body(theirs))?;
        Ok(Self {
            control,
            thread: Some(thread),
        })
    }

    /// Puts the thread to sleep after its current period. Not realtime-safe.
    pub(crate) fn park(&self) {
        self.control.parked.store(true, Ordering::Release);
    }

    /// Wakes a parked thread. Not realtime-safe.
    pub(crate) fn unpark(&self) {
        self.control.parked.store(false, Ordering::Release);
        if let Some(thread) = &self.thread {
            thread.thread().unpark();
        }
    }
}

impl RunningStream for ThreadStream {
    /// The "device" is this process's own thread: it is there as long as the stream is.
    fn liveness(&self) -> Liveness {
        Liveness::Answers
    }

    fn park(&mut self) -> bool {
        ThreadStream::park(self);
        true
    }

    fn unpark(&mut self) -> Result<(), OutputError> {
        ThreadStream::unpark(self);
        Ok(())
    }
}

impl Drop for ThreadStream {
    fn drop(&mut self) {
        self.control.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            // A panic on the stream thread has already been reported by the panic hook.
            let _ = thread.join();
        }
    }
}

/// No sound: consumes the mix at real-time pace, `buffer_frames` per period, so the transport
/// moves exactly as it would on a device. It agrees to any sample rate.
#[derive(Debug, Clone)]
pub struct NullBackend {
    rate: Option<u32>,
    buffer_frames: u32,
}

impl NullBackend {
    /// A null output with the request's buffer size and rate (if it names one).
    pub fn new(request: &OutputRequest) -> Self {
        Self {
            rate: request.rate,
            buffer_frames: request.buffer_frames.max(1),
        }
    }
}

impl Backend for NullBackend {
    fn negotiate(&mut self, preferred_rate: u32) -> Result<StreamInfo, OutputError> {
        Ok(StreamInfo {
            host: "null".to_string(),
            server: "null".to_string(),
            device: "null output (silent)".to_string(),
            sample_rate: self.rate.unwrap_or(preferred_rate).max(1),
            channels: 2,
            format: "f32".to_string(),
            buffer_frames: self.buffer_frames,
            buffer_asked: self.buffer_frames,
            buffer_why: None,
        })
    }

    fn start(
        &mut self,
        info: &StreamInfo,
        renderer: RendererSlot,
        health: Arc<StreamHealth>,
    ) -> Result<Box<dyn RunningStream>, OutputError> {
        let mut feeder = StreamFeeder::new(renderer, Arc::clone(&health), info.channels);
        let mut buffer = vec![0.0f32; info.buffer_frames as usize * feeder.channels()];
        let (rate, period) = (info.sample_rate, u64::from(info.buffer_frames));
        let stream = ThreadStream::spawn("earmix-null-output", move |control| {
            let mut pacer = Pacer::new(rate, 1.0);
            while !control.stopped() {
                if control.wait_while_parked() {
                    pacer = Pacer::new(rate, 1.0);
                    continue;
                }
                feeder.fill(&mut buffer);
                if !pacer.wait(period, control.stop_flag()) {
                    health.record_error(cpal::ErrorKind::Xrun);
                }
            }
        })?;
        Ok(Box::new(stream))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::output::Render;
    use std::sync::mpsc;

    struct Silence;
    impl Render for Silence {
        fn render(&mut self, left: &mut [f32], right: &mut [f32]) {
            left.fill(0.0);
            right.fill(0.0);
        }
    }

    /// The null output advances at real-time pace: over ~0.5 s it plays within 20% of
    /// rate x 0.5 frames (a functional check with a wide tolerance, not a benchmark).
    #[test]
    fn null_output_runs_at_real_time_pace() {
        let request = OutputRequest {
            buffer_frames: 256,
            ..OutputRequest::default()
        };
        let mut backend = NullBackend::new(&request);
        let info = backend.negotiate(48_000).expect("null negotiates");
        assert_eq!((info.sample_rate, info.buffer_frames), (48_000, 256));
        let health = Arc::new(StreamHealth::new());
        let (home, back) = mpsc::channel();
        let slot = RendererSlot::new(Box::new(Silence), home);
        let stream = backend
            .start(&info, slot, Arc::clone(&health))
            .expect("null starts");
        let started = Instant::now();
        let before = health.counters().frames;
        std::thread::sleep(Duration::from_millis(500));
        let played = health.counters().frames - before;
        let elapsed = started.elapsed().as_secs_f64();
        drop(stream);
        let expected = 48_000.0 * elapsed;
        let ratio = played as f64 / expected;
        assert!(
            (0.8..=1.2).contains(&ratio),
            "played {played} frames in {elapsed:.3} s: {ratio:.3}x real time"
        );
        assert!(back.try_recv().is_ok(), "renderer came home after drop");
    }

    /// The null output takes the request's rate over the preferred one.
    #[test]
    fn null_uses_requested_rate() {
        let request = OutputRequest {
            rate: Some(44_100),
            buffer_frames: 128,
            ..OutputRequest::default()
        };
        let info = NullBackend::new(&request)
            .negotiate(48_000)
            .expect("negotiates");
        assert_eq!(
            (info.sample_rate, info.buffer_frames, info.channels),
            (44_100, 128, 2)
        );
    }

    /// A pacer that fell far behind restarts its clock instead of rendering a burst.
    #[test]
    fn pacer_resets_when_far_behind() {
        let stop = AtomicBool::new(false);
        let mut pacer = Pacer::new(1000, 1.0);
        pacer.anchor -= Duration::from_secs(2);
        assert!(!pacer.wait(10, &stop), "2 s late is past MAX_LATENESS");
        let t = Instant::now();
        assert!(pacer.wait(10, &stop));
        let waited = t.elapsed();
        assert!(
            waited >= Duration::from_millis(9),
            "waited only {waited:?} for 10 frames at 1 kHz after the reset"
        );
    }
}
