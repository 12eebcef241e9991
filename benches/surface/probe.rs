//! The surface bench's child (this binary again, pointed at the bench's JACK server): a JACK
//! client that plays a fader box and listens to earmix. Its MIDI out port is earmix's `--midi`
//! input; its two audio inputs are connected to earmix's outputs. It also drives earmix's
//! console, in a pseudo-terminal, for the key presses it compares with.
//!
//! Two threads: the process callback (JACK's thread: it never allocates, locks, blocks or
//! prints) sends each move at frame 0 of a cycle and watches its inputs for the first frame
//! that departs from the level before the move; the main thread paces the moves and prints
//! what the callback reports, one line each, for the bench to read:
//!
//! - `period FRAMES RATE`: the server's period and sample rate;
//! - `levels HIGH LOW`: the steady level (left output) at the two fader positions;
//! - `fader FRAMES` / `key FRAMES`: a move (a key) to the first changed frame, in frames;
//! - `disturbed fader|key WHAT`: a change that did not end at the level it should have (left
//!   out of the numbers).

use std::error::Error;
use std::ffi::OsString;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use jack::PortSpec as _;

use crate::console::Console;
use crate::{HOME_ENV, KEYS_ENV, MOVES_ENV, SEED_ENV, SESSION_ENV};

type BoxResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// The child's JACK client name: earmix is started with `--midi` this.
const CLIENT: &str = "fader-box";

/// The two fader positions the moves alternate between, as 7-bit CC values on the generic-8
/// mapping's fader 1 (CC 0, channel 1): 95/127 is -0.08 dB on earmix's fader law, 42/127 is
/// -19.95 dB.
const HIGH: u8 = 95;
const LOW: u8 = 42;

/// How far a sample must depart from the level before a change to count as changed: -80
/// dBFS, far below the first step of any glide here (the smallest, on the way up from -20 dB
/// with a DC level of 0.5, is (0.5 - 0.05) / 480 = 9.4e-4) and far above nothing: the signal
/// is constant between changes, to the bit.
const THRESHOLD: f32 = 1e-4;

/// How long earmix may take to start, and a change to be heard, before the run fails.
const START_TIMEOUT: Duration = Duration::from_secs(20);
const CHANGE_TIMEOUT: Duration = Duration::from_secs(2);

/// What the main thread asks the callback to do at the start of its next cycle.
#[derive(Debug, Clone, Copy)]
enum Command {
    /// Send these three bytes and watch nothing (the takeover sweep).
    Send([u8; 3]),
    /// Send these three bytes and watch for the change they make, timed from this cycle's
    /// first frame.
    Move([u8; 3]),
    /// Watch for a change timed from this frame (a key typed now).
    Watch(u32),
}

/// A change the callback heard: when it was asked for, its first changed frame, the first
/// frame of the block that had settled, and the levels before and after.
#[derive(Debug, Clone, Copy)]
struct Report {
    from: u32,
    onset: u32,
    before: [f32; 2],
    after: [f32; 2],
}

#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Nothing asked: the level of the last constant block is the reference.
    Steady,
    /// A change was asked for at this frame; none heard yet.
    Waiting { from: u32 },
    /// The change began at `onset`; waiting for a constant block (the glide's end).
    Gliding { from: u32, onset: u32 },
}

/// The process callback's state (JACK's realtime thread).
struct Probe {
    out: jack::Port<jack::MidiOut>,
    left: jack::Port<jack::AudioIn>,
    right: jack::Port<jack::AudioIn>,
    commands: rtrb::Consumer<Command>,
    reports: rtrb::Producer<Report>,
    phase: Phase,
    level: [f32; 2],
    /// The last constant level on the left input (f32 bits), for the main thread.
    steady: Arc<AtomicU32>,
    /// Reports lost to a full ring, and MIDI events JACK had no room for.
    lost: Arc<AtomicU64>,
}

impl jack::ProcessHandler for Probe {
    fn process(&mut self, _: &jack::Client, ps: &jack::ProcessScope) -> jack::Control {
        let now = ps.last_frame_time();
        let mut writer = self.out.writer(ps);
        while let Ok(command) = self.commands.pop() {
            let (bytes, watch_from) = match command {
                Command::Send(bytes) => (Some(bytes), None),
                Command::Move(bytes) => (Some(bytes), Some(now)),
                Command::Watch(at) => (None, Some(at)),
            };
            if let Some(bytes) = bytes
                && writer
                    .write(&jack::RawMidi {
                        time: 0,
                        bytes: &bytes,
                    })
                    .is_err()
            {
                self.lost.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            if let (Some(from), Phase::Steady) = (watch_from, self.phase) {
                self.phase = Phase::Waiting { from };
            }
        }
        let left = self.left.as_slice(ps);
        let right = self.right.as_slice(ps);
        let n = left.len().min(right.len());
        if n == 0 {
            return jack::Control::Continue;
        }
        let first = [left[0], right[0]];
        let constant =
            left[..n].iter().all(|&x| x == first[0]) && right[..n].iter().all(|&x| x == first[1]);
        match self.phase {
            Phase::Steady => {
                if constant {
                    self.level = first;
                    self.steady.store(first[0].to_bits(), Ordering::Relaxed);
                }
            }
            Phase::Waiting { from } => {
                let moved = (0..n).find(|&i| {
                    (left[i] - self.level[0]).abs() > THRESHOLD
                        || (right[i] - self.level[1]).abs() > THRESHOLD
                });
                if let Some(i) = moved {
                    self.phase = Phase::Gliding {
                        from,
                        onset: now.wrapping_add(i as u32),
                    };
                }
            }
            Phase::Gliding { from, onset } => {
                if constant {
                    let report = Report {
                        from,
                        onset,
                        before: self.level,
                        after: first,
                    };
                    if self.reports.push(report).is_err() {
                        self.lost.fetch_add(1, Ordering::Relaxed);
                    }
                    self.level = first;
                    self.steady.store(first[0].to_bits(), Ordering::Relaxed);
                    self.phase = Phase::Steady;
                }
            }
        }
        jack::Control::Continue
    }
}

/// A small deterministic generator for the pauses between changes (so they do not lock to
/// the period).
struct Jitter(u64);

impl Jitter {
    fn pause(&mut self, from_ms: u64, to_ms: u64) -> Duration {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        Duration::from_millis(from_ms + self.0 % (to_ms - from_ms))
    }
}

fn env_path(name: &str) -> BoxResult<PathBuf> {
    std::env::var_os(name)
        .map(PathBuf::from)
        .ok_or_else(|| format!("{name} is not set").into())
}

fn env_count(name: &str) -> BoxResult<usize> {
    let text = std::env::var(name).map_err(|_| format!("{name} is not set"))?;
    Ok(text.trim().parse()?)
}

/// A line for the bench, written at once.
fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// The CC message that puts fader 1 of the generic-8 mapping at `value`.
fn fader(value: u8) -> [u8; 3] {
    [0xb0, 0, value]
}

/// The level in dB of the fader at the CC `value`, on earmix's fader law.
fn db_of(value: u8) -> f64 {
    earmix::control::law::db_at(f64::from(value) / 127.0).unwrap_or(f64::NEG_INFINITY)
}

/// The dB between two levels (left outputs).
fn change_db(before: f32, after: f32) -> f64 {
    20.0 * (f64::from(after) / f64::from(before)).log10()
}

/// The running client, the main thread's ends of its rings, and what it shares.
struct FaderBox {
    client: jack::AsyncClient<(), Probe>,
    commands: rtrb::Producer<Command>,
    reports: rtrb::Consumer<Report>,
    steady: Arc<AtomicU32>,
    lost: Arc<AtomicU64>,
    own: [String; 2],
}

impl FaderBox {
    fn open() -> BoxResult<Self> {
        let (client, _) = jack::Client::new(CLIENT, jack::ClientOptions::NO_START_SERVER)
            .map_err(|e| format!("cannot open a JACK client: {e}"))?;
        let out = client.register_port("fader_out", jack::MidiOut::default())?;
        let left = client.register_port("in_1", jack::AudioIn::default())?;
        let right = client.register_port("in_2", jack::AudioIn::default())?;
        let own = [left.name()?, right.name()?];
        let (commands, from_main) = rtrb::RingBuffer::new(256);
        let (to_main, reports) = rtrb::RingBuffer::new(256);
        let steady = Arc::new(AtomicU32::new(0));
        let lost = Arc::new(AtomicU64::new(0));
        let probe = Probe {
            out,
            left,
            right,
            commands: from_main,
            reports: to_main,
            phase: Phase::Steady,
            level: [0.0; 2],
            steady: Arc::clone(&steady),
            lost: Arc::clone(&lost),
        };
        let client = client.activate_async((), probe)?;
        Ok(Self {
            client,
            commands,
            reports,
            steady,
            lost,
            own,
        })
    }

    fn jack(&self) -> &jack::Client {
        self.client.as_client()
    }

    fn command(&mut self, command: Command) -> BoxResult<()> {
        self.commands
            .push(command)
            .map_err(|_| "the command ring is full".into())
    }

    /// The steady level on the left input now.
    fn steady(&self) -> f32 {
        f32::from_bits(self.steady.load(Ordering::Relaxed))
    }

    /// Connects earmix's two audio outputs (the audio outputs of the one client besides the
    /// dummy's `system`) to the probe's inputs, waiting for them to appear.
    fn connect_earmix(&self) -> BoxResult<()> {
        let spec = jack::AudioOut::default();
        let audio = spec.jack_port_type();
        let deadline = Instant::now() + START_TIMEOUT;
        let ports = loop {
            let ports: Vec<String> = self
                .jack()
                .ports(None, Some(audio), jack::PortFlags::IS_OUTPUT)
                .into_iter()
                .filter(|p| !p.starts_with("system:") && !p.starts_with(&format!("{CLIENT}:")))
                .collect();
            if ports.len() >= 2 {
                break ports;
            }
            if Instant::now() >= deadline {
                return Err(
                    format!("earmix's JACK ports did not appear (ports: {ports:?})").into(),
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        for (theirs, ours) in ports.iter().zip(&self.own) {
            self.jack().connect_ports_by_name(theirs, ours)?;
        }
        Ok(())
    }

    /// Waits for the callback's report of the change asked for last.
    fn report(&mut self) -> Option<Report> {
        let deadline = Instant::now() + CHANGE_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(report) = self.reports.pop() {
                return Some(report);
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        None
    }
}

/// What went wrong, with the console's screen, which usually says why.
fn with_screen(console: &Console, what: impl std::fmt::Display) -> Box<dyn Error + Send + Sync> {
    format!("{what}; earmix's screen:\n{}", console.text()).into()
}

/// Starts earmix's console on `session` with `--midi` this client, plays, and catches the mix
/// with the fader (soft takeover: the fader sweeps through the mix's level).
fn start(client: &mut FaderBox, session: &Path, home: &Path) -> BoxResult<Console> {
    let env: Vec<(String, String)> = ["JACK_DEFAULT_SERVER", "JACK_NO_START_SERVER"]
        .iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| ((*k).to_string(), v)))
        .collect();
    let period = client.jack().buffer_size();
    let args: Vec<OsString> = vec![
        "--host".into(),
        "jack".into(),
        "--buffer".into(),
        period.to_string().into(),
        "--midi".into(),
        CLIENT.into(),
        session.as_os_str().to_owned(),
    ];
    let mut console = Console::spawn(Path::new(crate::EARMIX), &args, home, &env)?;
    console.wait_for_text("paused", START_TIMEOUT)?;
    console.send(" ", || 0)?;
    console.wait_for_text("playing", START_TIMEOUT)?;
    client.connect_earmix()?;
    let deadline = Instant::now() + START_TIMEOUT;
    while client.steady() < 0.01 {
        if Instant::now() >= deadline {
            return Err(with_screen(&console, "no steady level came from earmix"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // The mix starts at 0 dB, 0.75 of the travel (CC 95.25): sweep through it from below,
    // ending a little above, where the fader then has the mix.
    let unity = client.steady();
    for value in 80..=100 {
        client.command(Command::Send(fader(value)))?;
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(300));
    let caught = change_db(unity, client.steady());
    if (caught - db_of(100)).abs() > 0.1 {
        return Err(with_screen(
            &console,
            format!(
                "the fader did not take the mix: the level moved {caught:.2} dB, not {:.2}",
                db_of(100)
            ),
        ));
    }
    Ok(console)
}

/// Runs the child: the moves, then the key presses, each line printed as it comes.
pub fn run() -> BoxResult<()> {
    let session = env_path(SESSION_ENV)?;
    let home = env_path(HOME_ENV)?;
    let moves = env_count(MOVES_ENV)?;
    let keys = env_count(KEYS_ENV)?;
    let mut jitter = Jitter(env_count(SEED_ENV)? as u64 | 1);
    let mut client = FaderBox::open()?;
    say(&format!(
        "period {} {}",
        client.jack().buffer_size(),
        client.jack().sample_rate()
    ));
    let console = start(&mut client, &session, &home)?;

    // The fader moves: alternately down to -20 dB and back up near unity.
    let mut at = 100;
    let mut levels = [0.0f32; 2];
    for _ in 0..moves {
        std::thread::sleep(jitter.pause(20, 60));
        let to = if at == LOW { HIGH } else { LOW };
        client.command(Command::Move(fader(to)))?;
        let Some(report) = client.report() else {
            return Err(with_screen(
                &console,
                format!("the move of fader 1 to {to} was not heard within 2 s"),
            ));
        };
        let expected = db_of(to) - db_of(at);
        let heard = change_db(report.before[0], report.after[0]);
        at = to;
        if (heard - expected).abs() > 0.05 {
            say(&format!(
                "disturbed fader moved {heard:.2} dB where it should have moved {expected:.2}"
            ));
            continue;
        }
        levels[usize::from(to == LOW)] = report.after[0];
        say(&format!("fader {}", report.onset.wrapping_sub(report.from)));
    }
    say(&format!("levels {} {}", levels[0], levels[1]));

    // The key presses: m mutes and unmutes the one strip, timed from the key on JACK's clock.
    let mut muted = false;
    for _ in 0..keys {
        std::thread::sleep(jitter.pause(20, 60));
        let from = client.jack().frame_time();
        client.command(Command::Watch(from))?;
        console.send("m", || 0)?;
        muted = !muted;
        let Some(report) = client.report() else {
            return Err(with_screen(
                &console,
                "a key press was not heard within 2 s",
            ));
        };
        let right = if muted {
            report.after == [0.0; 2]
        } else {
            report.before == [0.0; 2] && report.after[0] > 0.01
        };
        if !right {
            say(&format!(
                "disturbed key went from {:?} to {:?}",
                report.before, report.after
            ));
            continue;
        }
        say(&format!(
            "key {}",
            report.onset.wrapping_sub(from).cast_signed()
        ));
    }
    let lost = client.lost.load(Ordering::Relaxed);
    if lost > 0 {
        say(&format!("lost {lost}"));
    }
    drop(console);
    drop(client.client.deactivate());
    Ok(())
}
