//! MIDI control surfaces (surface threads, never the audio thread): a controller's MIDI
//! input port read through a [`mapping::Mapping`] into [`Input`]s, and its output port
//! driven with motor fader positions and lamps from the console's [`Feedback`](super::Feedback).
//!
//! [`starter`] makes the [`Starter`] the console runs: it finds the ports (`[midi]` or
//! `--midi`), loads the mapping, and starts a thread that sends feedback and watches the ports:
//! a port that vanishes (a USB cable pulled) is reported and connected again when it comes
//! back.

pub mod decode;
pub mod feedback;
pub mod learn;
pub mod mapping;
pub mod ports;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::config::{MidiConfig, MidiOutputChoice};
use crate::control::{FeedbackBoard, Input, InputSender, Running, Source, Starter, Target};
use crate::session::SessionError;

use self::decode::Decoder;
use self::feedback::Encoder;
use self::learn::{Heard, Learnable};
use self::mapping::Mapping;
use self::ports::{Backend, Direction, JackLink, Port, Short, SystemLink};

/// A problem with a controller mapping.
#[derive(Debug, thiserror::Error)]
pub enum MidiError {
    /// The mapping file has errors (each names the file, line, key and value).
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Mapping(Vec<SessionError>),
    /// No mapping of that name.
    #[error("no controller mapping called '{name}' (known: {known})")]
    NoMapping {
        /// The name asked for.
        name: String,
        /// The names there are.
        known: String,
    },
    /// The file cannot be read.
    #[error("{}: cannot read the controller mapping: {message}", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
}

/// The user's own mappings: `controllers/` beside `config.toml`.
pub fn user_mapping_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "earmix").map(|d| d.config_dir().join("controllers"))
}

/// How often the ports are looked for (a vanished one, one that came back).
const WATCH_EVERY: Duration = Duration::from_millis(500);

/// How long after a hand moved a fader without a touch sensor its motor is left alone.
const HAND_OFF: Duration = Duration::from_millis(300);

/// The surface for `config` (its `input` set), started when the console runs it: the
/// mapping is loaded and the ports found then, and any problem is the starter's message.
pub fn starter(config: &MidiConfig) -> Starter {
    let config = config.clone();
    Box::new(move |sender, board| {
        let surface = Surface::start(&config, user_mapping_dir().as_deref(), sender, board)?;
        Ok(Box::new(surface) as Box<dyn Running>)
    })
}

/// Where hands are on the faders.
#[derive(Debug, Default)]
struct Hands {
    touched: HashMap<Target, bool>,
    moved: HashMap<Target, Instant>,
}

impl Hands {
    fn on(&self, target: &Target, now: Instant) -> bool {
        self.touched.get(target).copied().unwrap_or(false)
            || self
                .moved
                .get(target)
                .is_some_and(|t| now.duration_since(*t) < HAND_OFF)
    }
}

/// What the surface's threads share.
struct Shared {
    stop: AtomicBool,
    notices: Mutex<Vec<String>>,
    hands: Mutex<Hands>,
    /// The mapping in use (a learned binding replaces it).
    mapping: Mutex<Arc<Mapping>>,
    /// The console is learning a control: raw controls are sent too.
    learning: AtomicBool,
}

impl Shared {
    fn new(mapping: Arc<Mapping>) -> Self {
        Self {
            stop: AtomicBool::new(false),
            notices: Mutex::new(Vec::new()),
            hands: Mutex::new(Hands::default()),
            mapping: Mutex::new(mapping),
            learning: AtomicBool::new(false),
        }
    }

    fn mapping(&self) -> Arc<Mapping> {
        Arc::clone(&self.mapping.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn notice(&self, text: String) {
        tracing::info!("{text}");
        self.notices
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(text);
    }
}

/// The input side: decodes what a port delivers and hands it to the console.
struct Reader {
    decoder: Decoder,
    sender: InputSender,
    source: Source,
    shared: Arc<Shared>,
    inputs: Vec<Input>,
    heard: Vec<Heard>,
}

impl Reader {
    fn bytes(&mut self, bytes: &[u8]) {
        let mapping = self.shared.mapping();
        let listening = self.shared.learning.load(Ordering::Relaxed);
        self.decoder.feed_heard(
            &mapping,
            bytes,
            &mut self.inputs,
            listening.then_some(&mut self.heard),
        );
        for heard in self.heard.drain(..) {
            self.sender.send(self.source.clone(), Input::Heard(heard));
        }
        if self.inputs.is_empty() {
            return;
        }
        let now = Instant::now();
        {
            let mut hands = self
                .shared
                .hands
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            for input in &self.inputs {
                match input {
                    Input::FaderPosition { target, .. } => {
                        hands.moved.insert(target.clone(), now);
                    }
                    Input::FaderTouch { target, touched } => {
                        hands.touched.insert(target.clone(), *touched);
                    }
                    _ => {}
                }
            }
        }
        for input in self.inputs.drain(..) {
            self.sender.send(self.source.clone(), input);
        }
    }
}

/// A running MIDI surface.
pub struct Surface {
    describe: String,
    learnable: Learnable,
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl Surface {
    /// Loads the mapping, finds the ports and starts the threads.
    pub fn start(
        config: &MidiConfig,
        user_dir: Option<&std::path::Path>,
        sender: InputSender,
        board: Arc<FeedbackBoard>,
    ) -> Result<Self, String> {
        let query = config
            .input
            .clone()
            .ok_or_else(|| "no MIDI input is set ([midi] input or --midi)".to_string())?;
        let mapping =
            Arc::new(Mapping::load(&config.controller, user_dir).map_err(|e| e.to_string())?);
        let inputs = ports::list(Direction::In);
        let input = ports::find(&inputs.ports, &query)
            .cloned()
            .ok_or_else(|| ports::no_match(Direction::In, &query, &inputs))?;
        let output = match &config.output {
            MidiOutputChoice::Off => None,
            MidiOutputChoice::Same => {
                let outputs = ports::list(Direction::Out);
                ports::find(&outputs.ports, &query)
                    .filter(|p| p.backend == input.backend)
                    .cloned()
            }
            MidiOutputChoice::Port(name) => {
                let outputs = ports::list(Direction::Out);
                Some(
                    ports::find(&outputs.ports, name)
                        .cloned()
                        .ok_or_else(|| ports::no_match(Direction::Out, name, &outputs))?,
                )
            }
        };
        if let Some(out) = &output
            && out.backend != input.backend
        {
            return Err(format!(
                "the MIDI input '{}' is on {} and the output '{}' on {}: both must be on one",
                input.name, input.backend, out.name, out.backend
            ));
        }
        let describe = match &output {
            Some(out) => format!(
                "MIDI in from {} ({}), feedback out to {}, mapping {}",
                input.name, input.backend, out.name, mapping.name
            ),
            None => format!(
                "MIDI in from {} ({}), no feedback out, mapping {}",
                input.name, input.backend, mapping.name
            ),
        };
        let shared = Arc::new(Shared::new(mapping));
        let reader = Arc::new(Mutex::new(Reader {
            decoder: Decoder::new(),
            sender,
            source: Source::Midi(input.name.clone()),
            shared: Arc::clone(&shared),
            inputs: Vec::new(),
            heard: Vec::new(),
        }));
        let mut links = Links {
            input: input.clone(),
            output,
            reader: Arc::clone(&reader),
            shared: Arc::clone(&shared),
            system_in: None,
            system_out: None,
            jack: None,
            jack_reader: None,
            in_there: false,
            out_there: false,
        };
        let mut threads = Vec::new();
        if input.backend == Backend::Jack {
            let (tx, rx) = mpsc::channel::<rtrb::Consumer<Short>>();
            let reader = Arc::clone(&reader);
            let shared = Arc::clone(&shared);
            let handle = std::thread::Builder::new()
                .name("earmix-midi-in".into())
                .spawn(move || jack_reader(&rx, &reader, &shared))
                .map_err(|e| format!("cannot start a MIDI thread: {e}"))?;
            links.jack_reader = Some((handle.thread().clone(), tx));
            threads.push(handle);
        }
        // The first connection is made here, so that a port that cannot be opened is the
        // starter's error rather than a notice.
        links.watch(true)?;
        let source = Source::Midi(input.name.clone());
        let learnable = Learnable {
            source: source.clone(),
            controller: config.controller.clone(),
            user_dir: user_dir.map(std::path::Path::to_path_buf),
        };
        let shared_for_thread = Arc::clone(&shared);
        let handle = std::thread::Builder::new()
            .name("earmix-midi".into())
            .spawn(move || {
                feedback_loop(&mut links, &source, &board, &shared_for_thread);
            })
            .map_err(|e| format!("cannot start a MIDI thread: {e}"))?;
        threads.push(handle);
        Ok(Self {
            describe,
            learnable,
            shared,
            threads,
        })
    }
}

impl Running for Surface {
    fn describe(&self) -> String {
        self.describe.clone()
    }

    fn notices(&mut self) -> Vec<String> {
        std::mem::take(
            &mut *self
                .shared
                .notices
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }

    fn learnable(&self) -> Option<Learnable> {
        Some(self.learnable.clone())
    }

    fn set_learning(&mut self, on: bool) {
        self.shared.learning.store(on, Ordering::Relaxed);
    }

    fn reload(&mut self) -> Result<(), String> {
        let mapping = self.learnable.mapping().map_err(|e| e.to_string())?;
        *self
            .shared
            .mapping
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(mapping);
        tracing::info!("MIDI mapping {} read again", self.learnable.controller);
        Ok(())
    }
}

impl Drop for Surface {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        for thread in self.threads.drain(..) {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}

/// Reads what JACK's process callback passed on (a new ring arrives with each new client).
fn jack_reader(
    rings: &mpsc::Receiver<rtrb::Consumer<Short>>,
    reader: &Mutex<Reader>,
    shared: &Shared,
) {
    let mut ring: Option<rtrb::Consumer<Short>> = None;
    while !shared.stop.load(Ordering::Relaxed) {
        while let Ok(new) = rings.try_recv() {
            ring = Some(new);
        }
        if let Some(ring) = ring.as_mut() {
            while let Ok(short) = ring.pop() {
                reader
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .bytes(short.bytes());
            }
        }
        std::thread::park_timeout(Duration::from_millis(100));
    }
}

/// The surface's connections, and whether its ports are there.
struct Links {
    input: Port,
    output: Option<Port>,
    reader: Arc<Mutex<Reader>>,
    shared: Arc<Shared>,
    system_in: Option<SystemLink>,
    system_out: Option<SystemLink>,
    jack: Option<JackLink>,
    jack_reader: Option<(std::thread::Thread, mpsc::Sender<rtrb::Consumer<Short>>)>,
    in_there: bool,
    out_there: bool,
}

/// What became of a port since the last look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PortChange {
    /// It (re)appeared and is connected now.
    Connected,
    /// It went away.
    Gone,
    /// Nothing new.
    Same,
}

/// Follows one port's presence (`there` now, `connected` as last seen): connects it when it
/// appears, says so when it comes back or goes, and at `first` makes a failed connection or a
/// missing input an error. A failure later is logged, and tried again at the next look.
fn follow_port(
    shared: &Shared,
    direction: Direction,
    name: &str,
    there: bool,
    connected: &mut bool,
    first: bool,
    connect: impl FnOnce() -> Result<(), String>,
) -> Result<PortChange, String> {
    let kind = match direction {
        Direction::In => "input",
        Direction::Out => "output",
    };
    if there && !*connected {
        match connect() {
            Ok(()) => {
                *connected = true;
                if !first {
                    shared.notice(format!("MIDI {kind} {name} back"));
                }
                return Ok(PortChange::Connected);
            }
            Err(e) if first => return Err(e),
            Err(e) => tracing::warn!("{e}"),
        }
    } else if !there && *connected {
        *connected = false;
        shared.notice(format!("MIDI {kind} {name} gone; waiting for it"));
        return Ok(PortChange::Gone);
    } else if !there && first && direction == Direction::In {
        return Err(format!("the MIDI input '{name}' is not there"));
    }
    Ok(PortChange::Same)
}

impl Links {
    /// Looks for the ports and (re)connects what came back; at `first`, a failure is an
    /// error. Returns whether the output was (re)connected (everything is to be sent again).
    fn watch(&mut self, first: bool) -> Result<bool, String> {
        match self.input.backend {
            Backend::System => self.watch_system(first),
            Backend::Jack => self.watch_jack(first),
        }
    }

    fn watch_system(&mut self, first: bool) -> Result<bool, String> {
        let name = self.input.name.clone();
        let there = ports::system_has(Direction::In, &name);
        let reader = Arc::clone(&self.reader);
        let system_in = &mut self.system_in;
        let change = follow_port(
            &self.shared,
            Direction::In,
            &name,
            there,
            &mut self.in_there,
            first,
            || {
                *system_in = Some(SystemLink::open_in(&name, move |bytes| {
                    reader
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .bytes(bytes);
                })?);
                Ok(())
            },
        )?;
        if change == PortChange::Gone {
            self.system_in = None;
        }
        let Some(out) = self.output.clone() else {
            return Ok(false);
        };
        let there = ports::system_has(Direction::Out, &out.name);
        let system_out = &mut self.system_out;
        let change = follow_port(
            &self.shared,
            Direction::Out,
            &out.name,
            there,
            &mut self.out_there,
            first,
            || {
                *system_out = Some(SystemLink::open_out(&out.name)?);
                Ok(())
            },
        )?;
        if change == PortChange::Gone {
            self.system_out = None;
        }
        Ok(change == PortChange::Connected)
    }

    fn watch_jack(&mut self, first: bool) -> Result<bool, String> {
        if self.jack.as_mut().is_some_and(JackLink::server_gone) {
            self.jack = None;
            self.shared
                .notice("JACK server gone; MIDI waits for it".to_string());
        }
        if self.jack.is_none() {
            let Some((thread, rings)) = &self.jack_reader else {
                return Ok(false);
            };
            match JackLink::open(thread.clone()) {
                Ok((link, ring)) => {
                    let _ = rings.send(ring);
                    self.jack = Some(link);
                    if !first {
                        self.shared.notice("JACK server back".to_string());
                    }
                }
                Err(e) if first => return Err(e),
                Err(_) => {
                    self.in_there = false;
                    self.out_there = false;
                    return Ok(false);
                }
            }
            self.in_there = false;
            self.out_there = false;
        }
        let Some(jack) = &self.jack else {
            return Ok(false);
        };
        let name = &self.input.name;
        let there = jack.ports(Direction::In).iter().any(|p| p == name);
        follow_port(
            &self.shared,
            Direction::In,
            name,
            there,
            &mut self.in_there,
            first,
            || jack.connect(Direction::In, name),
        )?;
        let Some(out) = &self.output else {
            return Ok(false);
        };
        let there = jack.ports(Direction::Out).contains(&out.name);
        let change = follow_port(
            &self.shared,
            Direction::Out,
            &out.name,
            there,
            &mut self.out_there,
            first,
            || jack.connect(Direction::Out, &out.name),
        )?;
        Ok(change == PortChange::Connected)
    }

    fn send(&mut self, bytes: &[u8]) {
        if !self.out_there {
            return;
        }
        if let Some(link) = self.system_out.as_mut() {
            link.send(bytes);
        } else if let Some(link) = self.jack.as_mut() {
            link.send(bytes);
        }
    }
}

/// The surface's own thread: sends what changed in the feedback, and watches the ports.
fn feedback_loop(links: &mut Links, source: &Source, board: &FeedbackBoard, shared: &Shared) {
    let mut encoder = Encoder::new();
    let mut seen = 0;
    let mut latest = None;
    let mut next_watch = Instant::now() + WATCH_EVERY;
    let mut messages = Vec::new();
    let mut mapping = shared.mapping();
    // The output was connected by the start: everything goes out first.
    while !shared.stop.load(Ordering::Relaxed) {
        if let Some((version, feedback)) = board.newer_than(seen, Duration::from_millis(100)) {
            seen = version;
            latest = Some(feedback);
        }
        if Instant::now() >= next_watch {
            next_watch = Instant::now() + WATCH_EVERY;
            if links.watch(false).unwrap_or(false) {
                encoder.forget();
            }
        }
        let now_in_use = shared.mapping();
        if !Arc::ptr_eq(&now_in_use, &mapping) {
            // A learned binding: the controls that show the mix may have changed.
            mapping = now_in_use;
            encoder.forget();
        }
        let Some(feedback) = &latest else { continue };
        if links.output.is_none() {
            continue;
        }
        let now = Instant::now();
        let hands = shared.hands.lock().unwrap_or_else(PoisonError::into_inner);
        encoder.update(
            &mapping,
            feedback,
            feedback.bank_of(source),
            &|target| hands.on(target, now),
            &mut messages,
        );
        drop(hands);
        for message in messages.drain(..) {
            links.send(&message);
        }
    }
}
