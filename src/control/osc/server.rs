//! The OSC server's sockets and threads: `earmix-osc-in` reads packets and hands inputs to the
//! console's queue (never waiting for it); `earmix-osc-out` waits on the feedback board and
//! sends each subscriber what changed. Neither touches the audio thread. The server stops, its
//! threads ended and its sockets closed, when dropped.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rosc::{OscMessage, OscPacket};

use super::OscConfig;
use super::address::{self, Refusal, Request, Switch};
use super::allow::PeerRange;
use super::feedback::changes;
use crate::control::{
    Feedback, FeedbackBoard, Input, InputSender, Press, Running, Source, StripRef, Target,
};

/// How long a thread waits for a packet or for feedback before it looks whether it should
/// stop (and the longest a new subscriber waits for the mix).
const TICK: Duration = Duration::from_millis(50);
/// Refused packets are summed up in one notice (and one log line) at most this often.
pub const NOTICE_EVERY: Duration = Duration::from_secs(1);
/// Most subscribers at once.
pub const MAX_SUBSCRIBERS: usize = 16;
/// A subscriber whose feedback was refused (nothing listening there: the ICMP "port
/// unreachable" comes back as an error on a later send) at least [`DROP_REFUSALS`] times over
/// at least this long is dropped.
pub const DROP_AFTER: Duration = Duration::from_secs(3);
/// See [`DROP_AFTER`].
pub const DROP_REFUSALS: u32 = 3;
/// Refusals further apart than this start the count again.
const REFUSALS_FORGOTTEN: Duration = Duration::from_secs(10);
/// Notices kept for the console when it does not collect them.
const MAX_NOTICES: usize = 64;
/// How long a switch set over OSC is taken as set before the console's feedback shows it
/// (two `mute 1` in a row must not toggle twice).
const SWITCH_MEMORY: Duration = Duration::from_millis(150);
/// ... and the longest, while no newer feedback has come.
const SWITCH_MEMORY_MAX: Duration = Duration::from_secs(1);
/// The receive buffer: larger than any UDP payload, so a packet over the limit is seen whole
/// and counted as oversized, not cut.
const RECEIVE_BUFFER: usize = 65_536;

/// A peer that gets feedback.
#[derive(Debug)]
struct Subscriber {
    /// Where feedback goes.
    to: SocketAddr,
    /// A socket connected to it, so that a closed port comes back as an error on a send.
    socket: UdpSocket,
    /// What it was sent last (`None`: nothing yet).
    sent: Option<Arc<Feedback>>,
    refusals: u32,
    first_refusal: Option<Instant>,
    last_refusal: Option<Instant>,
}

impl Subscriber {
    fn forget_refusals(&mut self) {
        self.refusals = 0;
        self.first_refusal = None;
        self.last_refusal = None;
    }

    /// Notes one round of sends; false when the subscriber should be dropped.
    fn note_round(&mut self, refused: bool, at: Instant) -> bool {
        if !refused {
            if self
                .last_refusal
                .is_some_and(|last| at.duration_since(last) > REFUSALS_FORGOTTEN)
            {
                self.forget_refusals();
            }
            return true;
        }
        self.refusals += 1;
        let first = *self.first_refusal.get_or_insert(at);
        self.last_refusal = Some(at);
        !(self.refusals >= DROP_REFUSALS && at.duration_since(first) >= DROP_AFTER)
    }
}

/// What both threads and the console's end share.
#[derive(Debug, Default)]
struct Shared {
    subscribers: Mutex<Vec<Subscriber>>,
    notices: Mutex<VecDeque<String>>,
    /// Refused packets and messages since the start, by kind (in [`Refusal::ALL`]'s order).
    refused: [AtomicU64; 5],
    /// Inputs the console's queue had no room for.
    dropped: AtomicU64,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    fn notice(&self, text: String) {
        tracing::info!("{text}");
        let mut notices = lock(&self.notices);
        if notices.len() == MAX_NOTICES {
            notices.pop_front();
        }
        notices.push_back(text);
    }

    fn subscribe(&self, to: SocketAddr) {
        let mut subscribers = lock(&self.subscribers);
        if let Some(known) = subscribers.iter_mut().find(|s| s.to == to) {
            // Subscribing again asks for everything again.
            known.sent = None;
            known.forget_refusals();
            return;
        }
        if subscribers.len() >= MAX_SUBSCRIBERS {
            drop(subscribers);
            self.notice(format!(
                "OSC: {to} was not subscribed: {MAX_SUBSCRIBERS} peers get feedback already"
            ));
            return;
        }
        let local: IpAddr = if to.is_ipv4() {
            Ipv4Addr::UNSPECIFIED.into()
        } else {
            Ipv6Addr::UNSPECIFIED.into()
        };
        let socket = UdpSocket::bind((local, 0)).and_then(|socket| {
            socket.connect(to)?;
            socket.set_nonblocking(true)?;
            Ok(socket)
        });
        match socket {
            Ok(socket) => {
                subscribers.push(Subscriber {
                    to,
                    socket,
                    sent: None,
                    refusals: 0,
                    first_refusal: None,
                    last_refusal: None,
                });
                drop(subscribers);
                self.notice(format!("OSC: sending feedback to {to}"));
            }
            Err(e) => {
                drop(subscribers);
                self.notice(format!("OSC: cannot send feedback to {to}: {e}"));
            }
        }
    }

    fn unsubscribe(&self, to: SocketAddr) {
        let mut subscribers = lock(&self.subscribers);
        let before = subscribers.len();
        subscribers.retain(|s| s.to != to);
        let removed = subscribers.len() < before;
        drop(subscribers);
        if removed {
            self.notice(format!("OSC: no more feedback to {to}"));
        }
    }

    /// A packet came from `peer`: a subscriber at that address is alive.
    fn heard_from(&self, peer: SocketAddr) {
        for subscriber in lock(&self.subscribers).iter_mut() {
            if subscriber.to == peer {
                subscriber.forget_refusals();
            }
        }
    }
}

/// The running OSC server.
#[derive(Debug)]
pub struct Server {
    local: SocketAddr,
    allow: Vec<PeerRange>,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Server {
    /// Binds the socket and starts both threads; the error names the address.
    pub fn start(
        config: &OscConfig,
        sender: InputSender,
        board: Arc<FeedbackBoard>,
    ) -> Result<Self, String> {
        let wanted = config.socket_address();
        let socket = UdpSocket::bind(wanted)
            .map_err(|e| format!("cannot listen for OSC on {wanted}: {e}"))?;
        let local = socket.local_addr().unwrap_or(wanted);
        socket
            .set_read_timeout(Some(TICK))
            .map_err(|e| format!("cannot listen for OSC on {wanted}: {e}"))?;
        let shared = Arc::new(Shared::default());
        let stop = Arc::new(AtomicBool::new(false));
        let receiver = Receiver {
            socket,
            shared: Arc::clone(&shared),
            sender,
            board: Arc::clone(&board),
            allow: config.allow.clone(),
            tally: BTreeMap::new(),
            dropped: 0,
            window: Instant::now(),
            switches: HashMap::new(),
        };
        let spawn = |name: &str, work: Box<dyn FnOnce() + Send>| {
            std::thread::Builder::new()
                .name(name.to_string())
                .spawn(work)
                .map_err(|e| format!("cannot start the OSC server's thread: {e}"))
        };
        let mut threads = Vec::new();
        let in_stop = Arc::clone(&stop);
        threads.push(spawn(
            "earmix-osc-in",
            Box::new(move || receiver.run(&in_stop)),
        )?);
        let (out_shared, out_stop) = (Arc::clone(&shared), Arc::clone(&stop));
        let feeding = spawn(
            "earmix-osc-out",
            Box::new(move || feed(&out_shared, &board, &out_stop)),
        );
        let mut server = Self {
            local,
            allow: config.allow.clone(),
            shared,
            stop,
            threads,
        };
        server.threads.push(feeding?);
        tracing::info!("{}", server.describe());
        Ok(server)
    }

    /// The address the server listens on (the port the system chose when asked for 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// How many peers get feedback.
    pub fn subscribers(&self) -> usize {
        lock(&self.shared.subscribers).len()
    }

    /// Packets and messages refused so far for this reason.
    pub fn refused(&self, kind: Refusal) -> u64 {
        let at = Refusal::ALL.iter().position(|k| *k == kind).unwrap_or(0);
        self.shared.refused[at].load(Ordering::Relaxed)
    }

    /// Inputs the console's queue had no room for so far.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }
}

impl Running for Server {
    fn describe(&self) -> String {
        let peers = if self.allow.is_empty() {
            String::new()
        } else {
            let list: Vec<String> = self.allow.iter().map(ToString::to_string).collect();
            format!(" for {}", list.join(", "))
        };
        let count = self.subscribers();
        let subscribers = match count {
            0 => "no subscribers".to_string(),
            1 => "1 subscriber".to_string(),
            n => format!("{n} subscribers"),
        };
        format!("OSC on {}{peers}, {subscribers}", self.local)
    }

    fn notices(&mut self) -> Vec<String> {
        lock(&self.shared.notices).drain(..).collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for thread in self.threads.drain(..) {
            if thread.join().is_err() {
                tracing::error!("an OSC server thread panicked");
            }
        }
    }
}

/// The receiving thread's state.
struct Receiver {
    socket: UdpSocket,
    shared: Arc<Shared>,
    sender: InputSender,
    board: Arc<FeedbackBoard>,
    allow: Vec<PeerRange>,
    /// Refusals since the last notice: how many, and the last one as an example.
    tally: BTreeMap<Refusal, (u64, String)>,
    /// Inputs dropped since the last notice.
    dropped: u64,
    /// When the last notice was given (or the server started).
    window: Instant,
    /// Switches set over OSC lately: on or off, when, and the feedback version then.
    switches: HashMap<Switch, (bool, Instant, u64)>,
}

impl Receiver {
    fn run(mut self, stop: &AtomicBool) {
        let mut buffer = vec![0_u8; RECEIVE_BUFFER];
        while !stop.load(Ordering::Relaxed) {
            match self.socket.recv_from(&mut buffer) {
                Ok((length, peer)) => self.packet(&buffer[..length], peer),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                // A pong's ICMP error on some systems, or a broken socket: never spin on it.
                Err(e) => {
                    tracing::debug!("OSC socket: {e}");
                    std::thread::sleep(TICK);
                }
            }
            self.report_if_due();
        }
    }

    fn refuse(&mut self, kind: Refusal, example: impl FnOnce() -> String) {
        let at = Refusal::ALL.iter().position(|k| *k == kind).unwrap_or(0);
        self.shared.refused[at].fetch_add(1, Ordering::Relaxed);
        let entry = self.tally.entry(kind).or_insert((0, String::new()));
        entry.0 += 1;
        if entry.0 == 1 {
            entry.1 = example();
        }
    }

    fn report_if_due(&mut self) {
        if self.window.elapsed() < NOTICE_EVERY {
            return;
        }
        self.window = Instant::now();
        if !self.tally.is_empty() {
            let total: u64 = self.tally.values().map(|(n, _)| n).sum();
            let kinds: Vec<String> = self
                .tally
                .iter()
                .map(|(kind, (n, example))| format!("{n} {} (first: {example})", kind.describe()))
                .collect();
            let text = format!("OSC: refused {total}: {}", kinds.join("; "));
            tracing::warn!("{text}");
            self.shared.notice(text);
            self.tally.clear();
        }
        if self.dropped > 0 {
            self.shared.notice(format!(
                "OSC: {} inputs dropped: they came faster than the console takes them",
                self.dropped
            ));
            self.dropped = 0;
        }
    }

    fn packet(&mut self, bytes: &[u8], peer: SocketAddr) {
        if !self.allow.is_empty() && !self.allow.iter().any(|r| r.contains(peer.ip())) {
            self.refuse(Refusal::NotAllowed, || peer.to_string());
            return;
        }
        self.shared.heard_from(peer);
        match address::read_packet(bytes) {
            Ok(messages) => {
                for message in &messages {
                    self.message(message, peer);
                }
            }
            Err(kind) => self.refuse(kind, || format!("{} bytes from {peer}", bytes.len())),
        }
    }

    fn message(&mut self, message: &OscMessage, peer: SocketAddr) {
        let request = match address::request(message) {
            Ok(request) => request,
            Err(kind) => {
                self.refuse(kind, || describe_message(message, peer));
                return;
            }
        };
        let latest = self.board.newer_than(0, Duration::ZERO);
        let strip_known = |strip: Option<&StripRef>| match (strip, &latest) {
            (Some(strip), Some((_, feedback))) => find_strip(feedback, strip).is_some(),
            _ => true,
        };
        match request {
            Request::Input(input) => {
                if !strip_known(strip_of(&input)) {
                    self.refuse(Refusal::UnknownAddress, || {
                        describe_message(message, peer) + " (no such strip)"
                    });
                    return;
                }
                if let Input::Press(press) = &input {
                    // A toggle: what the switch is now is for the feedback to say.
                    self.switches.retain(|switch, _| switch.press() != *press);
                }
                self.send(peer, input);
            }
            Request::Set { switch, on } => {
                let strip = match &switch {
                    Switch::Mute(strip) | Switch::Solo(strip) => Some(strip),
                    Switch::Blind | Switch::Playing => None,
                };
                if !strip_known(strip) {
                    self.refuse(Refusal::UnknownAddress, || {
                        describe_message(message, peer) + " (no such strip)"
                    });
                    return;
                }
                let version = latest.as_ref().map_or(0, |(v, _)| *v);
                let now = Instant::now();
                let remembered = self.switches.get(&switch).and_then(|(on, at, seen)| {
                    let age = now.duration_since(*at);
                    (age < SWITCH_MEMORY || (*seen == version && age < SWITCH_MEMORY_MAX))
                        .then_some(*on)
                });
                let current = remembered
                    .or_else(|| latest.as_ref().and_then(|(_, f)| switch_state(f, &switch)))
                    .unwrap_or(false);
                if current != on {
                    self.send(peer, Input::Press(switch.press()));
                }
                self.switches.insert(switch, (on, now, version));
            }
            Request::Subscribe(port) => self
                .shared
                .subscribe(SocketAddr::new(peer.ip(), port.unwrap_or(peer.port()))),
            Request::Unsubscribe(port) => self
                .shared
                .unsubscribe(SocketAddr::new(peer.ip(), port.unwrap_or(peer.port()))),
            Request::Ping => {
                let pong = OscPacket::Message(OscMessage {
                    addr: "/earmix/pong".into(),
                    args: Vec::new(),
                });
                if let Ok(bytes) = rosc::encoder::encode(&pong)
                    && let Err(e) = self.socket.send_to(&bytes, peer)
                {
                    tracing::debug!("OSC: cannot answer {peer}: {e}");
                }
            }
            Request::Release => {}
        }
    }

    fn send(&mut self, peer: SocketAddr, input: Input) {
        if !self.sender.send(Source::Osc(peer), input) {
            self.dropped += 1;
            self.shared.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// A message as a notice quotes it: its address (shortened) and sender.
fn describe_message(message: &OscMessage, peer: SocketAddr) -> String {
    let addr: String = message.addr.chars().take(60).collect();
    let types: Vec<&str> = message.args.iter().map(type_name).collect();
    format!("{addr} ({}) from {peer}", types.join(", "))
}

fn type_name(arg: &rosc::OscType) -> &'static str {
    use rosc::OscType;
    match arg {
        OscType::Int(_) => "int",
        OscType::Float(_) => "float",
        OscType::String(_) => "string",
        OscType::Blob(_) => "blob",
        OscType::Time(_) => "time",
        OscType::Long(_) => "long",
        OscType::Double(_) => "double",
        OscType::Char(_) => "char",
        OscType::Color(_) => "colour",
        OscType::Midi(_) => "midi",
        OscType::Bool(_) => "bool",
        OscType::Array(_) => "array",
        OscType::Nil => "nil",
        OscType::Inf => "infinitum",
    }
}

/// The strip an input names, if any.
fn strip_of(input: &Input) -> Option<&StripRef> {
    match input {
        Input::FaderPosition { target, .. }
        | Input::FaderDb { target, .. }
        | Input::FaderTouch { target, .. }
        | Input::Turn { target, .. } => match target {
            Target::Strip(strip) => Some(strip),
            Target::Master => None,
        },
        Input::Pan { strip, .. }
        | Input::Press(Press::Mute(strip) | Press::Solo(strip) | Press::Select(strip)) => {
            Some(strip)
        }
        Input::Press(_) | Input::Slots(_) | Input::Heard(_) => None,
    }
}

/// The strip a reference names in the mix (a name exactly, case and all, as the console
/// matches it).
fn find_strip<'a>(
    feedback: &'a Feedback,
    strip: &StripRef,
) -> Option<&'a crate::control::StripState> {
    match strip {
        StripRef::Index(i) | StripRef::Slot(i) => feedback.strips.get(*i),
        StripRef::Name(name) => feedback.strips.iter().find(|s| s.name == *name),
    }
}

fn switch_state(feedback: &Feedback, switch: &Switch) -> Option<bool> {
    match switch {
        Switch::Mute(strip) => find_strip(feedback, strip).map(|s| s.mute),
        Switch::Solo(strip) => find_strip(feedback, strip).map(|s| s.solo),
        Switch::Blind => Some(feedback.blind),
        Switch::Playing => Some(feedback.playing),
    }
}

/// The feedback thread: waits for newer feedback and sends each subscriber what it lacks.
fn feed(shared: &Shared, board: &FeedbackBoard, stop: &AtomicBool) {
    let mut seen = 0;
    let mut latest: Option<Arc<Feedback>> = None;
    while !stop.load(Ordering::Relaxed) {
        if let Some((version, feedback)) = board.newer_than(seen, TICK) {
            seen = version;
            latest = Some(feedback);
        }
        let Some(now) = &latest else { continue };
        let at = Instant::now();
        let mut gone = Vec::new();
        lock(&shared.subscribers).retain_mut(|subscriber| {
            if subscriber
                .sent
                .as_ref()
                .is_some_and(|s| Arc::ptr_eq(s, now))
            {
                return true;
            }
            let mut refused = false;
            for message in changes(subscriber.sent.as_deref(), now) {
                let Ok(bytes) = rosc::encoder::encode(&OscPacket::Message(message)) else {
                    continue;
                };
                match subscriber.socket.send(&bytes) {
                    Ok(_) => {}
                    // The socket's buffer is full: this message is lost, like any UDP.
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                    Err(_) => refused = true,
                }
            }
            subscriber.sent = Some(Arc::clone(now));
            let keep = subscriber.note_round(refused, at);
            if !keep {
                gone.push(subscriber.to);
            }
            keep
        });
        for to in gone {
            shared.notice(format!(
                "OSC: stopped sending feedback to {to}: nothing listens there any more"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::{FaderState, Level, StripState, Surfaces};
    use rosc::OscType;

    fn loopback() -> OscConfig {
        OscConfig {
            enabled: true,
            port: 0,
            ..OscConfig::default()
        }
    }

    fn mix(mute: bool, db: f64) -> Feedback {
        let fader = FaderState {
            position: Some(0.5),
            level: Level::Db(db),
            waiting: None,
        };
        Feedback {
            strips: vec![
                StripState {
                    name: "Kick".into(),
                    fader,
                    pan: Some(0.0),
                    mute,
                    solo: false,
                    selected: true,
                },
                StripState {
                    name: "Lead Vox".into(),
                    fader,
                    pan: Some(0.25),
                    mute: false,
                    solo: false,
                    selected: false,
                },
            ],
            master: fader,
            banks: Vec::new(),
            playing: false,
            blind: false,
            section: None,
        }
    }

    fn client() -> UdpSocket {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        socket
    }

    fn send(socket: &UdpSocket, to: SocketAddr, addr: &str, args: Vec<OscType>) {
        let packet = OscPacket::Message(OscMessage {
            addr: addr.into(),
            args,
        });
        socket
            .send_to(&rosc::encoder::encode(&packet).unwrap(), to)
            .unwrap();
    }

    /// Waits until `inputs` arrivals are in the queue (or two seconds pass).
    fn drain(surfaces: &Surfaces, inputs: usize) -> Vec<Input> {
        let until = Instant::now() + Duration::from_secs(2);
        let mut got = Vec::new();
        while got.len() < inputs && Instant::now() < until {
            got.extend(surfaces.drain().into_iter().map(|a| a.input));
            std::thread::sleep(Duration::from_millis(5));
        }
        got
    }

    fn receive(socket: &UdpSocket) -> Option<OscMessage> {
        let mut buffer = [0_u8; 2048];
        let (n, _) = socket.recv_from(&mut buffer).ok()?;
        match rosc::decoder::decode_udp(&buffer[..n]).ok()?.1 {
            OscPacket::Message(m) => Some(m),
            OscPacket::Bundle(_) => None,
        }
    }

    /// Messages over loopback become inputs from `Source::Osc(peer)`; setting a mute that is
    /// already so sends nothing, and `mute 1` twice in a row presses once; a strip the mix
    /// lacks and packets of every bad kind are refused, counted and reported in one notice.
    #[test]
    fn packets_become_inputs_and_refusals_are_counted() {
        let surfaces = Surfaces::new();
        surfaces.publish(mix(false, -3.0));
        let mut server = Server::start(&loopback(), surfaces.sender(), surfaces.board()).unwrap();
        let to = server.local_addr();
        let peer = client();
        send(
            &peer,
            to,
            "/earmix/strip/2/fader",
            vec![OscType::Float(-6.0)],
        );
        send(&peer, to, "/earmix/strip/1/mute", vec![OscType::Int(1)]);
        send(&peer, to, "/earmix/strip/1/mute", vec![OscType::Int(1)]);
        send(&peer, to, "/earmix/strip/Kick/solo", vec![OscType::Int(0)]);
        let arrivals = {
            let until = Instant::now() + Duration::from_secs(2);
            let mut got = Vec::new();
            while got.len() < 2 && Instant::now() < until {
                got.extend(surfaces.drain());
                std::thread::sleep(Duration::from_millis(5));
            }
            got
        };
        assert_eq!(arrivals.len(), 2, "{arrivals:?}");
        assert_eq!(arrivals[0].source, Source::Osc(peer.local_addr().unwrap()));
        assert_eq!(
            arrivals[0].input,
            Input::FaderDb {
                target: Target::Strip(StripRef::Index(1)),
                db: Some(-6.0)
            }
        );
        assert_eq!(
            arrivals[1].input,
            Input::Press(Press::Mute(StripRef::Index(0)))
        );
        send(
            &peer,
            to,
            "/earmix/strip/3/fader",
            vec![OscType::Float(0.0)],
        );
        send(&peer, to, "/earmix/strip/Snare/mute", vec![]);
        send(&peer, to, "/earmix/nothing", vec![]);
        send(
            &peer,
            to,
            "/earmix/strip/1/pan",
            vec![OscType::String("left".into())],
        );
        peer.send_to(b"not osc at all", to).unwrap();
        peer.send_to(&vec![0_u8; address::MAX_PACKET + 1], to)
            .unwrap();
        let until = Instant::now() + Duration::from_secs(3);
        while server.refused(Refusal::Oversized) == 0 && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(server.refused(Refusal::UnknownAddress), 3);
        assert_eq!(server.refused(Refusal::WrongType), 1);
        assert_eq!(server.refused(Refusal::Malformed), 1);
        assert_eq!(server.refused(Refusal::Oversized), 1);
        assert!(surfaces.drain().is_empty());
        let until = Instant::now() + NOTICE_EVERY * 3;
        let mut notices = Vec::new();
        while !notices.iter().any(|n: &String| n.contains("refused 6")) && Instant::now() < until {
            notices.extend(server.notices());
            std::thread::sleep(Duration::from_millis(20));
        }
        let text = notices.join("\n");
        assert!(text.contains("OSC: refused 6: "), "{text}");
        assert!(
            text.contains("3 unknown address (first: /earmix/strip/3/fader (float)"),
            "{text}"
        );
        assert!(
            text.contains("1 oversized (first: 16385 bytes from"),
            "{text}"
        );
        assert!(text.contains("1 malformed"), "{text}");
        assert!(
            text.contains("1 wrong arguments (first: /earmix/strip/1/pan (string)"),
            "{text}"
        );
    }

    /// A subscriber gets the whole mix, then only what changed, at the port it asked for;
    /// ping answers pong; unsubscribing stops the feedback.
    #[test]
    fn subscribers_get_feedback_and_ping_gets_pong() {
        let surfaces = Surfaces::new();
        surfaces.publish(mix(false, -3.0));
        let server = Server::start(&loopback(), surfaces.sender(), surfaces.board()).unwrap();
        let to = server.local_addr();
        let peer = client();
        let listener = client();
        let port = listener.local_addr().unwrap().port();
        send(&peer, to, "/earmix/ping", vec![]);
        assert_eq!(receive(&peer).unwrap().addr, "/earmix/pong");
        send(
            &peer,
            to,
            "/earmix/subscribe",
            vec![OscType::Int(i32::from(port))],
        );
        let mut first = Vec::new();
        while let Some(message) = receive(&listener) {
            first.push(message.addr.clone());
            if message.addr == "/earmix/section/number" {
                break;
            }
        }
        assert!(
            first.contains(&"/earmix/strip/2/name".to_string()),
            "{first:?}"
        );
        assert!(
            first.contains(&"/earmix/strip/1/fader".to_string()),
            "{first:?}"
        );
        assert_eq!(server.subscribers(), 1);
        surfaces.publish(mix(true, -3.0));
        let changed = receive(&listener).unwrap();
        assert_eq!(changed.addr, "/earmix/strip/1/mute");
        assert_eq!(changed.args, vec![OscType::Int(1)]);
        send(
            &peer,
            to,
            "/earmix/unsubscribe",
            vec![OscType::Int(i32::from(port))],
        );
        let until = Instant::now() + Duration::from_secs(2);
        while server.subscribers() > 0 && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(server.subscribers(), 0);
        surfaces.publish(mix(false, -3.0));
        listener
            .set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        assert!(receive(&listener).is_none());
    }

    /// A subscriber that stops listening is dropped after its feedback was refused for a
    /// while, with a notice; the server goes on.
    #[test]
    fn a_subscriber_that_stops_listening_is_dropped() {
        let surfaces = Surfaces::new();
        surfaces.publish(mix(false, 0.0));
        let mut server = Server::start(&loopback(), surfaces.sender(), surfaces.board()).unwrap();
        let to = server.local_addr();
        let peer = client();
        send(&peer, to, "/earmix/subscribe", vec![]);
        assert!(receive(&peer).is_some());
        let gone = peer.local_addr().unwrap();
        drop(peer);
        let until = Instant::now() + DROP_AFTER * 3;
        let mut db = 0.0;
        while server.subscribers() > 0 && Instant::now() < until {
            db -= 0.5;
            surfaces.publish(mix(false, db));
            std::thread::sleep(Duration::from_millis(100));
        }
        assert_eq!(server.subscribers(), 0);
        let text = server.notices().join("\n");
        assert!(
            text.contains(&format!(
                "OSC: stopped sending feedback to {gone}: nothing listens there any more"
            )),
            "{text}"
        );
    }

    /// A peer outside the allow-list is not heard: nothing reaches the console, and it is
    /// counted.
    #[test]
    fn peers_outside_the_allow_list_are_not_heard() {
        let surfaces = Surfaces::new();
        let config = OscConfig {
            allow: vec!["10.9.8.7".parse().unwrap()],
            ..loopback()
        };
        let server = Server::start(&config, surfaces.sender(), surfaces.board()).unwrap();
        let peer = client();
        send(&peer, server.local_addr(), "/earmix/undo", vec![]);
        let until = Instant::now() + Duration::from_secs(2);
        while server.refused(Refusal::NotAllowed) == 0 && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(server.refused(Refusal::NotAllowed), 1);
        assert!(drain(&surfaces, 1).is_empty());
        assert!(server.describe().contains(" for 10.9.8.7, no subscribers"));
    }

    /// When the console's queue is full the server never waits for it: what does not fit is
    /// dropped and counted (and said in a notice), and the server answers a ping at once.
    #[test]
    fn a_full_queue_drops_and_counts_instead_of_waiting() {
        let surfaces = Surfaces::new();
        let mut server = Server::start(&loopback(), surfaces.sender(), surfaces.board()).unwrap();
        let filler = surfaces.sender();
        while filler.send(Source::Mouse, Input::Press(Press::BankLeft)) {}
        let to = server.local_addr();
        let peer = client();
        for _ in 0..10 {
            send(&peer, to, "/earmix/master", vec![OscType::Float(-1.0)]);
        }
        send(&peer, to, "/earmix/ping", vec![]);
        assert_eq!(receive(&peer).expect("a pong").addr, "/earmix/pong");
        assert_eq!(server.dropped(), 10);
        let until = Instant::now() + NOTICE_EVERY * 3;
        let mut notices = Vec::new();
        while notices.is_empty() && Instant::now() < until {
            notices.extend(server.notices());
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(
            notices,
            ["OSC: 10 inputs dropped: they came faster than the console takes them"]
        );
    }
}
