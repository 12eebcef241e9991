//! `earmix play --no-ui`: headless playback for scripts and checks. Runs on the main thread and
//! only talks to the engine through its UI-side handle.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::engine::handle::{Engine, EngineEvent};
use crate::engine::output::{OutputEvent, Realtime};
use crate::engine::streams::StemDamage;
use crate::units::Seconds;

/// How long to play.
#[derive(Debug, Clone, Copy, Default)]
pub struct HeadlessOptions {
    /// Stop after this much audio has gone to the output (device time, not wall-clock time, so
    /// an unpaced device stops on the same frame count).
    pub seconds: Option<Seconds>,
    /// Loop between the start position and the end of the session.
    pub looping: bool,
}

/// Why headless playback stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// The session ended.
    End,
    /// The requested number of seconds was played.
    Duration,
    /// The user pressed ctrl-c.
    Interrupted,
}

/// How often the status line is printed.
const STATUS_EVERY: Duration = Duration::from_secs(1);
/// How often the engine is polled.
const POLL_EVERY: Duration = Duration::from_millis(5);

/// How headless playback went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Played {
    /// Why it stopped.
    pub stopped: Stopped,
    /// Problems with damaged stems that were reported (each a "warning:" line).
    pub damaged: usize,
}

/// Plays until the end, the duration or `stop`, printing a status line once a second and a line
/// for every underrun, device problem, loop wrap and damaged stem to `log`.
///
/// Not realtime-safe (the caller's thread sleeps between polls).
pub fn run(
    engine: &mut Engine,
    opts: HeadlessOptions,
    stop: &AtomicBool,
    log: &mut dyn Write,
) -> std::io::Result<Played> {
    let mut damaged = 0;
    let rate = engine.mix_rate();
    let limit = opts.seconds.map(|s| s.to_frames(rate));
    let start_frames = engine.output().health().frames;
    let mut next_status = Instant::now() + STATUS_EVERY;
    let mut realtime = Realtime::Pending;
    let stopped = loop {
        if stop.load(Ordering::Relaxed) {
            break Stopped::Interrupted;
        }
        let now = engine.output().realtime();
        if now != realtime {
            writeln!(log, "output: {now}")?;
            realtime = now;
        }
        let mut ended = false;
        for event in engine.update() {
            ended |= matches!(event, EngineEvent::Ended);
            damaged += usize::from(matches!(event, EngineEvent::StemDamaged(_)));
            writeln!(log, "{}", describe(&event))?;
        }
        let played = engine.output().health().frames.saturating_sub(start_frames);
        if ended && !opts.looping {
            break Stopped::End;
        }
        if limit.is_some_and(|limit| played >= limit) {
            break Stopped::Duration;
        }
        if Instant::now() >= next_status {
            next_status += STATUS_EVERY;
            writeln!(log, "{}", status_line(engine))?;
        }
        std::thread::sleep(POLL_EVERY);
    };
    engine.pause();
    // Let the audio thread finish its 10 ms fade and report that it stopped.
    let deadline = Instant::now() + Duration::from_millis(200);
    while engine.is_sounding() && Instant::now() < deadline {
        for event in engine.update() {
            if matches!(event, EngineEvent::StemDamaged(_)) {
                damaged += 1;
                writeln!(log, "{}", describe(&event))?;
            }
        }
        std::thread::sleep(POLL_EVERY);
    }
    writeln!(log, "{}", summary(engine))?;
    writeln!(log, "{}", status_line(engine))?;
    Ok(Played { stopped, damaged })
}

/// "0:12.500 / 1:44.500  playing  underruns 0  xruns 0  late 0  restarts 0  running  RT".
pub fn status_line(engine: &Engine) -> String {
    let health = engine.output().health();
    let realtime = engine.output().realtime().lamp();
    let mut line = format!(
        "{} / {}  {}  underruns {}  xruns {}  late {}  restarts {}  {}",
        engine.position(),
        engine.length(),
        if engine.is_playing() {
            "playing"
        } else {
            "stopped"
        },
        engine.counters().underruns.load(Ordering::Relaxed),
        health.xruns,
        health.late,
        health.restarts,
        health.state,
    );
    if let Some(realtime) = realtime {
        line.push_str("  ");
        line.push_str(&realtime);
    }
    line
}

/// The account of every gap the listener may have heard and of the audio thread's
/// priority: "dropouts: 0 xruns, 2 late callbacks (212 ms without audio), 0 restarts; realtime
/// priority: `SCHED_FIFO` 70, set by earmix".
pub fn summary(engine: &Engine) -> String {
    let health = engine.output().health();
    format!(
        "dropouts: {} xruns, {} late callbacks ({} ms without audio), {} restarts; {}",
        health.xruns,
        health.late,
        health.late_nanos / 1_000_000,
        health.restarts,
        engine.output().realtime(),
    )
}

/// One line for an engine event.
pub fn describe(event: &EngineEvent) -> String {
    match event {
        EngineEvent::Underrun { strips, at } => format!("underrun: {strips} stem(s) late at {at}"),
        EngineEvent::StreamFailed { strips } => {
            format!("{strips} stem(s) could not be read any more and play silence")
        }
        EngineEvent::Buffering { waiting } => format!("buffering: waiting for {waiting} stem(s)"),
        EngineEvent::LoopWrapped { to } => format!("loop: back to {to}"),
        EngineEvent::Ended => "end of session".to_string(),
        EngineEvent::Output(event) => describe_output(event),
        EngineEvent::StemDamaged(stem) => match stem.damage {
            // Found as the stem is decoded, ahead of the playhead: how many there are in all is
            // not known yet.
            StemDamage::NonFinite {
                first: Some(first), ..
            } => format!(
                "warning: {}: non-finite samples (NaN or infinity), the first at {first}, are \
                 played as silence",
                stem.file.display()
            ),
            StemDamage::NonFinite { first: None, .. } => format!(
                "warning: {}: non-finite samples (NaN or infinity) are played as silence",
                stem.file.display()
            ),
            _ => format!("warning: {stem}"),
        },
    }
}

fn describe_output(event: &OutputEvent) -> String {
    format!("output: {event}")
}
