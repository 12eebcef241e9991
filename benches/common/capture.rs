//! The desktop bench's capture client (included with `#[path]`; runs in a child process of its
//! own so its environment points it at one server): a cpal input stream on what reaches the
//! server (PipeWire: the null sink, which cpal opens for capture with `stream.capture.sink`;
//! JACK: an ALSA jack-plugin capture connected to earmix's ports), a detector on the audio
//! thread that follows the level of a steady sine, and lines on standard output, each stamped
//! with `CLOCK_MONOTONIC` in nanoseconds:
//!
//! - `armed <ns> <peak>`: a steady sine has been heard for half a second;
//! - `onset <up|down> <ns>`: the first frame more than 5% of the sine's peak away from the old
//!   level;
//! - `level <up|down> <ns>`: the first frame within 5% of the peak of the new level (silent or
//!   the full sine);
//! - `gap <ns> <frames>`: a stretch of silence that began while the sine was playing at full
//!   level and ended with it back;
//! - `capture-loss <ns>`: how much of the time since the first buffer the recording has no
//!   frames for (printed when it moves by more than 1 ms; jitter in the timestamps moves it
//!   both ways), so a gap may be missing from it;
//! - `capture-errors <n>`: the capture stream's error callback ran (an xrun of the capture).
//!
//! A frame's time is its buffer's time plus its index over the rate. On PipeWire a buffer's time
//! is the host's capture timestamp (the graph cycle's time less the stream's delay), mapped
//! from cpal's stream clock to `CLOCK_MONOTONIC` by reading both side by side. Through ALSA's
//! jack plugin, whose timestamps follow the ALSA ring rather than the JACK cycle, it is the
//! time the callback got the buffer: the plugin hands the capture a JACK period in the cycle
//! that carried it, so this is the cycle's time plus the capture thread's wake-up delay.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use rtrb::{Producer, RingBuffer};

type BoxResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// The child's environment: which host to capture from ("pipewire" or "alsa").
pub const HOST_ENV: &str = "EARMIX_DESKTOP_CAPTURE_HOST";
/// For PipeWire: the node name of the sink to capture.
pub const SINK_ENV: &str = "EARMIX_DESKTOP_CAPTURE_SINK";
/// For ALSA: the buffer size to ask for (the JACK period).
pub const BUFFER_ENV: &str = "EARMIX_DESKTOP_CAPTURE_BUFFER";

/// The rate everything runs at.
const RATE: u32 = 48_000;
/// The envelope is the largest sample over this many frames (one period of the 1 kHz sine).
const WINDOW: usize = 48;
/// Below this a sample counts as silent (-100 dBFS): earmix mutes to exact zeros.
const SILENT: f32 = 1e-5;
/// A gap is at least this many silent frames in a row (a 1 kHz sine never has two).
const GAP_MIN_FRAMES: u64 = 16;
/// Frames of steady sine before the detector arms.
const ARM_FRAMES: u64 = RATE as u64 / 2;
/// The onset and arrival thresholds, as shares of the sine's peak.
const NEAR: f32 = 0.05;

/// `CLOCK_MONOTONIC` now, in nanoseconds (the clock PipeWire and JACK stamp their cycles with).
pub fn monotonic_ns() -> u64 {
    nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC).map_or(0, |t| {
        t.tv_sec() as u64 * 1_000_000_000 + t.tv_nsec() as u64
    })
}

/// Up (to the full sine) or down (to silence).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

impl Direction {
    fn word(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
        }
    }
}

/// What the detector saw, stamped with the stream's clock (nanoseconds).
#[derive(Debug, Clone, Copy)]
enum Event {
    Armed {
        at: u64,
        peak: f32,
    },
    Onset {
        dir: Direction,
        at: u64,
    },
    Level {
        dir: Direction,
        at: u64,
    },
    Gap {
        at: u64,
        frames: u64,
    },
    /// The recording's net loss so far.
    Loss {
        ns: i64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Not yet a steady sine.
    Waiting,
    /// The full sine.
    Loud,
    /// On the way down: the onset was seen, silence not yet reached.
    Falling,
    Quiet,
    Rising,
}

/// Follows the level of the captured sine (audio thread: no allocation, no locks).
struct Detector {
    window: [f32; WINDOW],
    pos: usize,
    state: State,
    /// The sine's peak at full level (the largest envelope seen while loud).
    peak: f32,
    /// Frames of sine seen while waiting to arm.
    steady: u64,
    silent_run: u64,
    silent_since: u64,
    /// Whether the current silent stretch began while the sine was at full level.
    silence_began_loud: bool,
    /// The first buffer's time and the frames received since (ns, frames): the timeline
    /// against which lost frames show.
    first: Option<(u64, u64)>,
    /// The recording's loss last reported (ns).
    reported_loss: i64,
    events: Producer<Event>,
}

impl Detector {
    fn new(events: Producer<Event>) -> Self {
        Self {
            window: [0.0; WINDOW],
            pos: 0,
            state: State::Waiting,
            peak: 0.0,
            steady: 0,
            silent_run: 0,
            silent_since: 0,
            silence_began_loud: false,
            first: None,
            reported_loss: 0,
            events,
        }
    }

    fn emit(&mut self, event: Event) {
        // A full ring drops the event; the main thread drains it every few milliseconds.
        let _ = self.events.push(event);
    }

    /// One buffer of interleaved frames whose first frame was captured at `start_ns`.
    fn process(&mut self, data: &[f32], channels: usize, start_ns: u64) {
        let channels = channels.max(1);
        let frames = (data.len() / channels) as u64;
        let (first_ns, received) = *self.first.get_or_insert((start_ns, 0));
        // How much later this buffer starts than the frames received so far account for: the
        // recording's net loss (jitter in the timestamps moves it both ways).
        let loss =
            start_ns as i64 - first_ns as i64 - (received * 1_000_000_000 / u64::from(RATE)) as i64;
        if (loss - self.reported_loss).abs() > 1_000_000 {
            self.reported_loss = loss;
            self.emit(Event::Loss { ns: loss });
        }
        self.first = Some((first_ns, received + frames));
        for (i, frame) in data.chunks_exact(channels).enumerate() {
            let at = start_ns + (i as u64 * 1_000_000_000) / u64::from(RATE);
            let m = frame.iter().fold(0.0f32, |m, x| m.max(x.abs()));
            self.frame(m, at);
        }
    }

    fn frame(&mut self, m: f32, at: u64) {
        self.window[self.pos] = m;
        self.pos = (self.pos + 1) % WINDOW;
        let env = self.window.iter().fold(0.0f32, |a, &b| a.max(b));

        if m < SILENT {
            if self.silent_run == 0 {
                self.silent_since = at;
                self.silence_began_loud = self.state == State::Loud;
            }
            self.silent_run += 1;
        } else {
            if self.silent_run >= GAP_MIN_FRAMES && self.silence_began_loud {
                let frames = self.silent_run;
                let since = self.silent_since;
                self.emit(Event::Gap { at: since, frames });
                // The sine is back at full level: the level events the gap caused are not a
                // key's doing, and the state follows the sound.
                self.state = State::Loud;
                self.window = [self.peak; WINDOW];
            }
            self.silent_run = 0;
        }

        let near = NEAR * self.peak;
        match self.state {
            State::Waiting => {
                if env > 0.01 {
                    self.steady += 1;
                    self.peak = self.peak.max(env);
                    if self.steady >= ARM_FRAMES {
                        self.state = State::Loud;
                        let peak = self.peak;
                        self.emit(Event::Armed { at, peak });
                    }
                } else {
                    self.steady = 0;
                    self.peak = 0.0;
                }
            }
            State::Loud => {
                if env < self.peak - near {
                    if self.silent_run > 0 && self.silence_began_loud {
                        // Silence straight from full level: a gap, not a fade (reported when
                        // it ends).
                        return;
                    }
                    self.state = State::Falling;
                    self.emit(Event::Onset {
                        dir: Direction::Down,
                        at,
                    });
                } else {
                    self.peak = self.peak.max(env);
                }
            }
            State::Falling => {
                if env <= near {
                    self.state = State::Quiet;
                    self.emit(Event::Level {
                        dir: Direction::Down,
                        at,
                    });
                }
            }
            State::Quiet => {
                if env > near {
                    self.state = State::Rising;
                    self.emit(Event::Onset {
                        dir: Direction::Up,
                        at,
                    });
                }
            }
            State::Rising => {
                if env >= self.peak - near {
                    self.state = State::Loud;
                    self.emit(Event::Level {
                        dir: Direction::Up,
                        at,
                    });
                }
            }
        }
    }
}

/// The input device to capture: the PipeWire sink named `sink`, or ALSA's default.
fn device(host_name: &str) -> BoxResult<(cpal::Device, cpal::BufferSize)> {
    if host_name == "pipewire" {
        let sink = std::env::var(SINK_ENV).unwrap_or_default();
        let host = cpal::available_hosts()
            .into_iter()
            .find(|id| id.name().eq_ignore_ascii_case("pipewire"))
            .ok_or("this build of cpal has no PipeWire host")?;
        let host = cpal::host_from_id(host)?;
        let found = host.input_devices()?.find(|d| {
            d.id().is_ok_and(|id| id.to_string().contains(&sink))
                || d.description()
                    .is_ok_and(|desc| desc.name().contains(&sink))
        });
        let device = found.ok_or_else(|| format!("no PipeWire input device named {sink}"))?;
        Ok((device, cpal::BufferSize::Default))
    } else {
        let buffer: u32 = std::env::var(BUFFER_ENV)
            .ok()
            .and_then(|b| b.parse().ok())
            .unwrap_or(256);
        let host = cpal::host_from_id(cpal::HostId::Alsa)?;
        let device = host
            .default_input_device()
            .ok_or("ALSA has no default input device")?;
        Ok((device, cpal::BufferSize::Fixed(buffer)))
    }
}

/// The capture child's `main`: captures until killed, printing what it hears.
pub fn run() -> BoxResult<()> {
    let host_name = std::env::var(HOST_ENV).unwrap_or_default();
    let (device, buffer_size) = device(&host_name)?;
    // Through ALSA the buffers are stamped with CLOCK_MONOTONIC as the callback starts.
    let stamp_on_entry = host_name != "pipewire";
    let config = cpal::StreamConfig {
        channels: 2,
        sample_rate: RATE,
        buffer_size,
    };
    let (producer, mut consumer) = RingBuffer::<Event>::new(4096);
    let mut detector = Detector::new(producer);
    let errors = Arc::new(AtomicU64::new(0));
    let stream = {
        let errors = Arc::clone(&errors);
        device.build_input_stream(
            config,
            move |data: &[f32], info: &cpal::InputCallbackInfo| {
                let start = if stamp_on_entry {
                    monotonic_ns()
                } else {
                    info.timestamp().capture.as_nanos() as u64
                };
                detector.process(data, 2, start);
            },
            move |_| {
                errors.fetch_add(1, Ordering::Relaxed);
            },
            None,
        )?
    };
    stream.play()?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    writeln!(out, "capturing")?;
    out.flush()?;
    let mut reported_errors = 0;
    loop {
        // The offset from the stream's clock to CLOCK_MONOTONIC, read between two readings of
        // the latter (both are steady clocks, so it only moves by their drift).
        let before = monotonic_ns();
        let stream_now = stream.now().as_nanos() as i128;
        let after = monotonic_ns();
        let offset = if stamp_on_entry {
            0
        } else {
            i128::from(before / 2 + after / 2) - stream_now
        };
        let mono = |at: u64| (i128::from(at) + offset).max(0) as u64;
        while let Ok(event) = consumer.pop() {
            match event {
                Event::Armed { at, peak } => writeln!(out, "armed {} {peak}", mono(at))?,
                Event::Onset { dir, at } => writeln!(out, "onset {} {}", dir.word(), mono(at))?,
                Event::Level { dir, at } => writeln!(out, "level {} {}", dir.word(), mono(at))?,
                Event::Gap { at, frames } => writeln!(out, "gap {} {frames}", mono(at))?,
                Event::Loss { ns } => writeln!(out, "capture-loss {ns}")?,
            }
        }
        let now_errors = errors.load(Ordering::Relaxed);
        if now_errors != reported_errors {
            reported_errors = now_errors;
            writeln!(out, "capture-errors {now_errors}")?;
        }
        out.flush()?;
        std::thread::sleep(Duration::from_millis(5));
    }
}
