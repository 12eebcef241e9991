//! MIDI ports (UI and surface threads, never the audio thread): listing them on every backend
//! earmix has, finding one by name, and opening a connection to a controller.
//!
//! Two backends: the system's own MIDI (on Linux the ALSA sequencer, through midir), where a
//! USB controller always shows up, and JACK MIDI (on Linux, through the `jack` crate with
//! libjack loaded at run time) when a JACK server (or PipeWire's JACK) runs.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::Thread;

/// Where a port lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// The system's MIDI: the ALSA sequencer on Linux, `CoreMIDI` on macOS, `WinMM` on Windows.
    System,
    /// A JACK server's MIDI ports.
    Jack,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::System if cfg!(target_os = "linux") => f.write_str("ALSA sequencer"),
            Self::System if cfg!(target_os = "macos") => f.write_str("CoreMIDI"),
            Self::System => f.write_str("system MIDI"),
            Self::Jack => f.write_str("JACK"),
        }
    }
}

/// Which way a port goes, seen from earmix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// A port earmix reads from (a controller's output).
    In,
    /// A port earmix writes to (a controller's input, for motors and lamps).
    Out,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::In => "input",
            Self::Out => "output",
        })
    }
}

/// One MIDI port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Port {
    /// Its backend.
    pub backend: Backend,
    /// Its full name as the backend gives it.
    pub name: String,
}

/// The ports of one direction on every backend, and why a backend could not be asked.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// The ports, system ones first.
    pub ports: Vec<Port>,
    /// One line per backend that could not be asked.
    pub problems: Vec<(Backend, String)>,
}

/// The ports earmix could open in `direction`, on every backend. Not realtime-safe.
pub fn list(direction: Direction) -> Listing {
    let mut listing = Listing::default();
    match system_ports(direction) {
        Ok(names) => listing.ports.extend(names.into_iter().map(|name| Port {
            backend: Backend::System,
            name,
        })),
        Err(e) => listing.problems.push((Backend::System, e)),
    }
    match jack_ports(direction) {
        Ok(names) => listing.ports.extend(names.into_iter().map(|name| Port {
            backend: Backend::Jack,
            name,
        })),
        Err(e) => listing.problems.push((Backend::Jack, e)),
    }
    listing
}

/// The port `query` names: the port of exactly that name, else the first whose name contains
/// it (ignoring case). `None` when no port matches.
pub fn find<'a>(ports: &'a [Port], query: &str) -> Option<&'a Port> {
    let lower = query.to_lowercase();
    ports.iter().find(|p| p.name == query).or_else(|| {
        ports
            .iter()
            .find(|p| p.name.to_lowercase().contains(&lower))
    })
}

/// "no MIDI input matches 'x'; the inputs are: ..." for a query that found nothing.
pub fn no_match(direction: Direction, query: &str, listing: &Listing) -> String {
    use std::fmt::Write;
    let mut text = format!("no MIDI {direction} port matches '{query}'");
    if listing.ports.is_empty() {
        let _ = write!(text, "; there are no MIDI {direction} ports");
    } else {
        let _ = write!(text, "; the {direction} ports are: ");
        let names: Vec<String> = listing
            .ports
            .iter()
            .map(|p| format!("'{}' ({})", p.name, p.backend))
            .collect();
        text.push_str(&names.join(", "));
    }
    for (backend, problem) in &listing.problems {
        let _ = write!(text, " ({backend}: {problem})");
    }
    text
}

fn system_ports(direction: Direction) -> Result<Vec<String>, String> {
    // alsa-lib prints its complaints (no /dev/snd/seq) to stderr; they go to the log instead.
    crate::engine::output::cpal_backend::alsa_quiet(|| system_ports_loud(direction))
        .map_err(|e| format!("cannot be opened: {e}"))
}

fn system_ports_loud(direction: Direction) -> Result<Vec<String>, String> {
    match direction {
        Direction::In => {
            let input = midir::MidiInput::new("earmix").map_err(|e| e.to_string())?;
            Ok(input
                .ports()
                .iter()
                .filter_map(|p| input.port_name(p).ok())
                .collect())
        }
        Direction::Out => {
            let output = midir::MidiOutput::new("earmix").map_err(|e| e.to_string())?;
            Ok(output
                .ports()
                .iter()
                .filter_map(|p| output.port_name(p).ok())
                .collect())
        }
    }
}

/// JACK's port type for MIDI.
const JACK_MIDI: &str = "8 bit raw midi";

/// A JACK client that only looks (no server is started for it).
fn jack_client(name: &str) -> Result<jack::Client, String> {
    crate::engine::output::cpal_backend::hosts::quiet_libjack();
    match jack::Client::new(name, jack::ClientOptions::NO_START_SERVER) {
        Ok((client, _)) => Ok(client),
        Err(jack::Error::LibraryError(e)) => Err(format!("libjack is not installed ({e})")),
        Err(e) => Err(format!("no JACK server is running ({e})")),
    }
}

fn jack_ports(direction: Direction) -> Result<Vec<String>, String> {
    let client = jack_client("earmix-midi-list")?;
    Ok(jack_ports_of(&client, direction))
}

/// The MIDI ports of a JACK server earmix can read from (`In`: the server's outputs) or write
/// to, except earmix's own.
fn jack_ports_of(client: &jack::Client, direction: Direction) -> Vec<String> {
    let flags = match direction {
        Direction::In => jack::PortFlags::IS_OUTPUT,
        Direction::Out => jack::PortFlags::IS_INPUT,
    };
    let own = format!("{}:", client.name());
    client
        .ports(None, Some(JACK_MIDI), flags)
        .into_iter()
        .filter(|p| !p.starts_with(&own))
        .collect()
}

/// A short MIDI message as it crosses a ring between a JACK process callback and a thread.
#[derive(Debug, Clone, Copy, Default)]
pub struct Short {
    len: u8,
    bytes: [u8; 3],
}

impl Short {
    /// Up to three bytes of `bytes` (longer messages, `SysEx`, are not wanted here).
    pub fn new(bytes: &[u8]) -> Option<Self> {
        if bytes.is_empty() || bytes.len() > 3 {
            return None;
        }
        let mut short = Self {
            len: bytes.len() as u8,
            bytes: [0; 3],
        };
        short.bytes[..bytes.len()].copy_from_slice(bytes);
        Some(short)
    }

    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

/// What a JACK surface's process callback holds (JACK's realtime thread: it never allocates,
/// locks or blocks; it moves bytes between the ports and two rings).
struct JackProcess {
    input: jack::Port<jack::MidiIn>,
    output: jack::Port<jack::MidiOut>,
    to_thread: rtrb::Producer<Short>,
    from_thread: rtrb::Consumer<Short>,
    reader: Thread,
    lost: Arc<AtomicU64>,
    cycles: Arc<AtomicU64>,
}

impl jack::ProcessHandler for JackProcess {
    fn process(&mut self, _: &jack::Client, ps: &jack::ProcessScope) -> jack::Control {
        self.cycles.fetch_add(1, Ordering::Relaxed);
        let mut any = false;
        for event in self.input.iter(ps) {
            if let Some(short) = Short::new(event.bytes) {
                any = true;
                if self.to_thread.push(short).is_err() {
                    self.lost.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        if any {
            self.reader.unpark();
        }
        let mut writer = self.output.writer(ps);
        while let Ok(short) = self.from_thread.pop() {
            let raw = jack::RawMidi {
                time: 0,
                bytes: short.bytes(),
            };
            if writer.write(&raw).is_err() {
                self.lost.fetch_add(1, Ordering::Relaxed);
            }
        }
        jack::Control::Continue
    }
}

/// Ring sizes between JACK's thread and the surface's: far more than a cycle ever carries.
const JACK_RING: usize = 1024;

/// A JACK client of a surface: one MIDI input and one MIDI output port of earmix's own,
/// connected to a controller's ports by name.
pub struct JackLink {
    client: jack::AsyncClient<(), JackProcess>,
    to_jack: rtrb::Producer<Short>,
    own_in: String,
    own_out: String,
    /// Process cycles run, and the count when last looked at.
    cycles: Arc<AtomicU64>,
    cycles_seen: u64,
    /// Messages lost because a ring or JACK's buffer was full.
    pub lost: Arc<AtomicU64>,
}

impl JackLink {
    /// Opens earmix's client with its two ports; what arrives is pushed to `from_jack` and
    /// `reader` is woken. Not realtime-safe.
    pub fn open(reader: Thread) -> Result<(Self, rtrb::Consumer<Short>), String> {
        let client = jack_client("earmix-midi")?;
        let input = client
            .register_port("control_in", jack::MidiIn::default())
            .map_err(|e| format!("cannot make a JACK MIDI port: {e}"))?;
        let output = client
            .register_port("feedback_out", jack::MidiOut::default())
            .map_err(|e| format!("cannot make a JACK MIDI port: {e}"))?;
        let own_in = input.name().map_err(|e| e.to_string())?;
        let own_out = output.name().map_err(|e| e.to_string())?;
        let (to_thread, from_jack) = rtrb::RingBuffer::new(JACK_RING);
        let (to_jack, from_thread) = rtrb::RingBuffer::new(JACK_RING);
        let cycles = Arc::new(AtomicU64::new(0));
        let lost = Arc::new(AtomicU64::new(0));
        let process = JackProcess {
            input,
            output,
            to_thread,
            from_thread,
            reader,
            lost: Arc::clone(&lost),
            cycles: Arc::clone(&cycles),
        };
        let client = client
            .activate_async((), process)
            .map_err(|e| format!("cannot start the JACK MIDI client: {e}"))?;
        Ok((
            Self {
                client,
                to_jack,
                own_in,
                own_out,
                cycles,
                cycles_seen: 0,
                lost,
            },
            from_jack,
        ))
    }

    /// The server went away or stopped running earmix's client: no process cycle ran since
    /// the last call (made every half second or so; a server runs hundreds a second).
    pub fn server_gone(&mut self) -> bool {
        let cycles = self.cycles.load(Ordering::Relaxed);
        let gone = cycles == self.cycles_seen;
        self.cycles_seen = cycles;
        gone
    }

    /// The server's MIDI ports in `direction` now.
    pub fn ports(&self, direction: Direction) -> Vec<String> {
        jack_ports_of(self.client.as_client(), direction)
    }

    /// Connects a controller's port to earmix's (`In`: the controller sends to earmix).
    pub fn connect(&self, direction: Direction, port: &str) -> Result<(), String> {
        let client = self.client.as_client();
        let result = match direction {
            Direction::In => client.connect_ports_by_name(port, &self.own_in),
            Direction::Out => client.connect_ports_by_name(&self.own_out, port),
        };
        match result {
            Ok(()) | Err(jack::Error::PortAlreadyConnected(_, _)) => Ok(()),
            Err(e) => Err(format!("cannot connect JACK port '{port}': {e}")),
        }
    }

    /// Queues a message for the controller (dropped and counted when the ring is full).
    pub fn send(&mut self, bytes: &[u8]) {
        if let Some(short) = Short::new(bytes)
            && self.to_jack.push(short).is_err()
        {
            self.lost.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// A connection to a controller's port through the system's MIDI (midir).
pub enum SystemLink {
    /// Reading from a controller.
    In(midir::MidiInputConnection<()>),
    /// Writing to a controller.
    Out(midir::MidiOutputConnection),
}

impl SystemLink {
    /// Opens the system port named `name` for reading; `on_bytes` gets every message, on
    /// midir's thread.
    pub fn open_in(
        name: &str,
        mut on_bytes: impl FnMut(&[u8]) + Send + 'static,
    ) -> Result<Self, String> {
        let mut input = midir::MidiInput::new("earmix").map_err(|e| e.to_string())?;
        input.ignore(midir::Ignore::None);
        let port = input
            .ports()
            .into_iter()
            .find(|p| input.port_name(p).is_ok_and(|n| n == name))
            .ok_or_else(|| format!("the MIDI input '{name}' is not there"))?;
        let connection = input
            .connect(
                &port,
                "earmix control",
                move |_, bytes, ()| on_bytes(bytes),
                (),
            )
            .map_err(|e| format!("cannot open the MIDI input '{name}': {e}"))?;
        Ok(Self::In(connection))
    }

    /// Opens the system port named `name` for writing.
    pub fn open_out(name: &str) -> Result<Self, String> {
        let output = midir::MidiOutput::new("earmix").map_err(|e| e.to_string())?;
        let port = output
            .ports()
            .into_iter()
            .find(|p| output.port_name(p).is_ok_and(|n| n == name))
            .ok_or_else(|| format!("the MIDI output '{name}' is not there"))?;
        let connection = output
            .connect(&port, "earmix feedback")
            .map_err(|e| format!("cannot open the MIDI output '{name}': {e}"))?;
        Ok(Self::Out(connection))
    }

    /// Sends a message (an output link; errors are the port's going away, which the watcher
    /// notices).
    pub fn send(&mut self, bytes: &[u8]) {
        if let Self::Out(connection) = self {
            let _ = connection.send(bytes);
        }
    }
}

/// Whether the system backend has a port called `name` in `direction` now.
pub fn system_has(direction: Direction, name: &str) -> bool {
    system_ports(direction).is_ok_and(|names| names.iter().any(|n| n == name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn port(name: &str) -> Port {
        Port {
            backend: Backend::Jack,
            name: name.into(),
        }
    }

    /// A port matches by exact name first, else by a substring ignoring case; no match lists
    /// the ports.
    #[test]
    fn ports_match_exactly_then_by_substring() {
        let ports = vec![
            port("nanoKONTROL2:nanoKONTROL2 MIDI 1 20:0"),
            port("nano"),
            port("X-Touch:X-Touch MIDI 1"),
        ];
        assert_eq!(find(&ports, "nano").unwrap().name, "nano");
        assert_eq!(
            find(&ports, "NANOkontrol").unwrap().name,
            "nanoKONTROL2:nanoKONTROL2 MIDI 1 20:0"
        );
        assert_eq!(
            find(&ports, "x-touch").unwrap().name,
            "X-Touch:X-Touch MIDI 1"
        );
        assert!(find(&ports, "launchpad").is_none());
        let listing = Listing {
            ports,
            problems: vec![(Backend::System, "no sequencer".into())],
        };
        let text = no_match(Direction::In, "launchpad", &listing);
        assert!(
            text.starts_with(
                "no MIDI input port matches 'launchpad'; the input ports are: \
                 'nanoKONTROL2:nanoKONTROL2 MIDI 1 20:0' (JACK), 'nano' (JACK)"
            ),
            "{text}"
        );
        assert!(text.ends_with("(system MIDI: no sequencer)") || text.contains("no sequencer"));
    }

    /// Short messages cross the rings whole; empty and long ones (`SysEx`) do not.
    #[test]
    fn short_messages() {
        assert_eq!(
            Short::new(&[0xb0, 7, 100]).unwrap().bytes(),
            &[0xb0, 7, 100]
        );
        assert_eq!(Short::new(&[0xc0, 1]).unwrap().bytes(), &[0xc0, 1]);
        assert!(Short::new(&[]).is_none());
        assert!(Short::new(&[0xf0, 1, 2, 3, 0xf7]).is_none());
    }
}
