//! Control surfaces (UI thread side, never the audio thread): MIDI controllers, OSC remotes and
//! the mouse.
//!
//! A surface is a *source* of [`Input`]s, read on a thread of its own (a MIDI port's callback,
//! the OSC socket) or by the console (the mouse). It hands each one over as an [`Arrival`]
//! through [`Surfaces::sender`], a bounded queue: a source that floods it loses its newest
//! inputs and counts them ([`InputSender::dropped`]), the console and the audio thread never
//! wait for it.
//!
//! The console drains the queue once per pass of its loop and turns the inputs into the same
//! actions and edits the keyboard makes (undo, journal, blind mode, scenes, exercises), never
//! around them. Fader moves are coalesced there: the latest position per fader per pass, so a
//! hardware fader's stream of messages becomes one edit per strip per UI tick and one undo step
//! per gesture, like a held key.
//!
//! What the surfaces show back (motor faders, lamps, an OSC layout's faders) is a [`Feedback`]
//! the console publishes on a [`FeedbackBoard`] after each change; a surface's thread waits
//! for a newer one and sends what differs from what it sent last. While blind mode hides the
//! numbers, no feedback gives a level away: see [`Level::Hidden`] and [`FaderState`].

pub mod law;
pub mod osc;
pub mod takeover;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Condvar, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use crate::app::action::Action;

pub mod midi;

/// How many inputs may wait for the console before a source's newest ones are dropped: far
/// more than a pass of the loop ever sees from hands on faders (a 14-bit fader sends about
/// 1,000 messages a second; the loop passes at least 30 times a second).
pub const INPUT_QUEUE: usize = 4096;

/// A strip, as a surface names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StripRef {
    /// The strip at this position in the session, counted from 0 (OSC's `/earmix/strip/3`
    /// is `Index(2)`: OSC counts from 1, as the number keys do).
    Index(usize),
    /// The strip with this name (case as in the session).
    Name(String),
    /// The surface's own fader slot, counted from 0: which strip it is depends on the bank
    /// (slot 0 of a surface banked to strip 9 is strip 9).
    Slot(usize),
}

/// A fader a surface moves.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// A channel strip's fader (or its scene's level in scene mode, as the keys would; never
    /// the trim, even in trim mode: a surface's fader is a fader).
    Strip(StripRef),
    /// The master fader.
    Master,
}

/// What a relative control (an encoder, the mouse wheel) turns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Turns {
    /// The fader, one fine step per detent (the coarse step when `coarse`).
    Fader {
        /// A coarse step per detent (shift on the wheel, a second encoder bank).
        coarse: bool,
    },
    /// The pan, one pan step per detent.
    Pan,
}

/// A button press on a surface (releases are not inputs: a surface turns momentary buttons
/// into presses itself).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Press {
    /// Mute or unmute this strip (not the selected one; the selection does not move).
    Mute(StripRef),
    /// Solo or unsolo this strip.
    Solo(StripRef),
    /// Select this strip (any strip, not only 1 to 9).
    Select(StripRef),
    /// Give the master the focus, as the focus key does: the fader keys act on it (a click
    /// on the master strip).
    FocusMaster,
    /// Move the surface's bank one bank (its number of fader slots) to the left.
    BankLeft,
    /// ... to the right.
    BankRight,
    /// Move the surface's bank one strip to the left.
    ChannelLeft,
    /// ... to the right.
    ChannelRight,
    /// Jump to this section, counted from 0.
    Section(usize),
    /// Any action a key can ask for in the mixer (play/pause, blind, next section, undo, save,
    /// ...): it goes through the same context rules as the key would.
    Action(Action),
}

/// One thing a surface asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// A hardware fader is now at `position` of its travel (0.0 bottom, 1.0 top), on the fader
    /// law of [`FaderState::position`]. Soft takeover applies: a fader that disagrees with the
    /// mix does nothing until it crosses the mix's value.
    FaderPosition {
        /// Which fader.
        target: Target,
        /// Where it is, 0.0 to 1.0.
        position: f64,
    },
    /// Set a fader to a level in dB (OSC, a drag with the mouse): no takeover, the value is
    /// meant. `None` turns the fader off. Out-of-range values are clamped to the fader's range.
    FaderDb {
        /// Which fader.
        target: Target,
        /// The level, dB, or off.
        db: Option<f64>,
    },
    /// A touch-sensitive fader was touched or let go (Mackie Control): a gesture starts and
    /// ends with it, and a motor fader is not driven while touched.
    FaderTouch {
        /// Which fader.
        target: Target,
        /// Touched (true) or let go.
        touched: bool,
    },
    /// A relative control turned by `steps` detents (positive: up, or to the right for pan).
    Turn {
        /// What it turns.
        turns: Turns,
        /// Whose.
        target: Target,
        /// Detents, signed.
        steps: i32,
    },
    /// Set a strip's pan, -1.0 (left) to 1.0 (right).
    Pan {
        /// Which strip.
        strip: StripRef,
        /// The pan.
        pan: f64,
    },
    /// A button.
    Press(Press),
    /// The surface has this many fader slots side by side: its banks move by this many strips
    /// ([`Press::BankLeft`]). A surface that never says has 8.
    Slots(usize),
    /// A MIDI control as it arrived, mapped or not: sent, besides what it asks for, only while
    /// the console learns a control ([`Running::set_learning`]).
    Heard(midi::learn::Heard),
}

/// Where an input came from (for takeover and feedback per surface, for messages and logs).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Source {
    /// A MIDI input port, by the name it was opened by.
    Midi(String),
    /// An OSC peer.
    Osc(SocketAddr),
    /// The mouse in the console's terminal.
    Mouse,
}

/// An input with where and when it arrived.
#[derive(Debug, Clone, PartialEq)]
pub struct Arrival {
    /// Its surface.
    pub source: Source,
    /// What it asks for.
    pub input: Input,
    /// When it arrived (for latency measures and undo bursts).
    pub at: Instant,
}

/// A fader's level as the surfaces may see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Level {
    /// The fader is off.
    Off,
    /// The fader's level, dB.
    Db(f64),
    /// Blind mode hides the numbers: the level is not shown.
    Hidden,
}

/// A fader as the surfaces may show it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaderState {
    /// Where a motor fader (or an OSC layout's fader) goes, 0.0 to 1.0 of its travel; `None`
    /// parks it: while blind, a fader position gives the level away, so it is withheld.
    pub position: Option<f64>,
    /// The level to print beside it.
    pub level: Level,
    /// Soft takeover: the hardware fader of this strip disagrees with the mix and waits to
    /// cross it (the position where it will catch, for a surface that can show the way).
    pub waiting: Option<f64>,
}

/// A strip as the surfaces may show it.
#[derive(Debug, Clone, PartialEq)]
pub struct StripState {
    /// The strip's name.
    pub name: String,
    /// Its fader.
    pub fader: FaderState,
    /// Its pan, -1.0 to 1.0 (`None` while blind: the pan is hidden too).
    pub pan: Option<f64>,
    /// Muted (in the base mix, or in the current scene in scene mode).
    pub mute: bool,
    /// Soloed.
    pub solo: bool,
    /// The selected strip.
    pub selected: bool,
}

/// Everything the surfaces show, as of one pass of the console's loop.
#[derive(Debug, Clone, PartialEq)]
pub struct Feedback {
    /// Every strip, in session order.
    pub strips: Vec<StripState>,
    /// The master fader.
    pub master: FaderState,
    /// The first strip of each surface's bank, by source (a surface not listed starts at 0).
    pub banks: Vec<(Source, usize)>,
    /// Playing (else paused or stopped).
    pub playing: bool,
    /// Blind mode is on (numbers hidden).
    pub blind: bool,
    /// The section under the play head, by index and name.
    pub section: Option<(usize, String)>,
}

impl Feedback {
    /// The first strip of `source`'s bank.
    pub fn bank_of(&self, source: &Source) -> usize {
        self.banks
            .iter()
            .find(|(s, _)| s == source)
            .map_or(0, |(_, first)| *first)
    }
}

/// What wakes the console's loop when an input arrives (set once the loop runs).
type Waker = Box<dyn Fn() + Send + Sync>;

/// The sending end a surface's thread holds: never blocks, counts what it had to drop.
#[derive(Clone)]
pub struct InputSender {
    tx: SyncSender<Arrival>,
    dropped: Arc<AtomicU64>,
    /// Shared by every sender of one [`Surfaces`]: wakes the console's loop, so an input is
    /// applied at once rather than at the loop's next pass.
    waker: Arc<OnceLock<Waker>>,
}

impl std::fmt::Debug for InputSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InputSender")
            .field("dropped", &self.dropped())
            .field("wakes", &self.waker.get().is_some())
            .finish_non_exhaustive()
    }
}

impl InputSender {
    /// Hands `input` from `source` to the console; false (and counted) when the queue is full
    /// or the console has gone.
    pub fn send(&self, source: Source, input: Input) -> bool {
        let arrival = Arrival {
            source,
            input,
            at: Instant::now(),
        };
        match self.tx.try_send(arrival) {
            Ok(()) => {
                if let Some(wake) = self.waker.get() {
                    wake();
                }
                true
            }
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }

    /// Inputs dropped so far because the console was not keeping up (or had gone).
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// The latest [`Feedback`], for the surfaces' threads to wait on.
#[derive(Debug, Default)]
pub struct FeedbackBoard {
    latest: Mutex<(u64, Option<Arc<Feedback>>)>,
    changed: Condvar,
}

impl FeedbackBoard {
    /// Publishes `feedback` if it differs from the latest (the console calls this each pass).
    pub fn publish(&self, feedback: Feedback) {
        let mut latest = self.latest.lock().unwrap_or_else(PoisonError::into_inner);
        if latest.1.as_deref() == Some(&feedback) {
            return;
        }
        latest.0 += 1;
        latest.1 = Some(Arc::new(feedback));
        drop(latest);
        self.changed.notify_all();
    }

    /// The latest feedback and its version, once it is newer than `seen` (0: any), waiting up
    /// to `timeout`; `None` when nothing newer came in time.
    pub fn newer_than(&self, seen: u64, timeout: Duration) -> Option<(u64, Arc<Feedback>)> {
        let latest = self.latest.lock().unwrap_or_else(PoisonError::into_inner);
        let (latest, _) = self
            .changed
            .wait_timeout_while(latest, timeout, |(version, feedback)| {
                *version <= seen || feedback.is_none()
            })
            .unwrap_or_else(PoisonError::into_inner);
        let (version, feedback) = &*latest;
        feedback
            .as_ref()
            .filter(|_| *version > seen)
            .map(|f| (*version, Arc::clone(f)))
    }
}

/// A surface that is running (a MIDI port pair, the OSC server): it stops, its threads ended
/// and its ports closed, when dropped.
pub trait Running: Send {
    /// One line saying what it is, for the log and the console's messages ("MIDI in from
    /// nanoKONTROL2, feedback out", "OSC on 127.0.0.1:9000, 2 subscribers").
    fn describe(&self) -> String;

    /// What happened since the last call that the user should read (a port vanished or came
    /// back, packets refused and why), one message each, oldest first.
    fn notices(&mut self) -> Vec<String>;

    /// The controller mapping it reads, when it can learn controls (a MIDI surface).
    fn learnable(&self) -> Option<midi::learn::Learnable> {
        None
    }

    /// While `on`, it also sends every control it hears as it came ([`Input::Heard`]).
    fn set_learning(&mut self, _on: bool) {}

    /// Reads its mapping again (a binding was learned and saved); says why it cannot (it
    /// keeps the mapping it had).
    fn reload(&mut self) -> Result<(), String> {
        Ok(())
    }
}

/// How a surface is started once the console is up: given the sending end of the input queue
/// and the feedback board, it starts its threads, or says why it cannot (a message naming the
/// port, address or file; the console shows it and goes on without that surface).
pub type Starter =
    Box<dyn FnOnce(InputSender, Arc<FeedbackBoard>) -> Result<Box<dyn Running>, String> + Send>;

/// The console's end of every surface: the queue the sources send into and the board they
/// read feedback from.
#[derive(Debug)]
pub struct Surfaces {
    sender: InputSender,
    rx: Receiver<Arrival>,
    feedback: Arc<FeedbackBoard>,
}

impl Default for Surfaces {
    fn default() -> Self {
        Self::new()
    }
}

impl Surfaces {
    /// An empty set of surfaces (the sources are started with [`Surfaces::sender`] and
    /// [`Surfaces::board`]).
    pub fn new() -> Self {
        let (tx, rx) = mpsc::sync_channel(INPUT_QUEUE);
        Self {
            sender: InputSender {
                tx,
                dropped: Arc::new(AtomicU64::new(0)),
                waker: Arc::new(OnceLock::new()),
            },
            rx,
            feedback: Arc::new(FeedbackBoard::default()),
        }
    }

    /// A sending end for a source's thread.
    pub fn sender(&self) -> InputSender {
        self.sender.clone()
    }

    /// The feedback board, for a source's thread.
    pub fn board(&self) -> Arc<FeedbackBoard> {
        Arc::clone(&self.feedback)
    }

    /// Has `wake` called after each input handed over, by every sender, those made before
    /// included (the console's loop sets it once, to be woken rather than to poll); a second
    /// call is ignored.
    pub fn set_waker(&self, wake: impl Fn() + Send + Sync + 'static) {
        let _ = self.sender.waker.set(Box::new(wake));
    }

    /// Every input waiting now, oldest first (never waits).
    pub fn drain(&self) -> Vec<Arrival> {
        self.rx.try_iter().collect()
    }

    /// Inputs dropped so far because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.sender.dropped()
    }

    /// Publishes what the surfaces show now.
    pub fn publish(&self, feedback: Feedback) {
        self.feedback.publish(feedback);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fader(db: f64) -> FaderState {
        FaderState {
            position: Some(0.5),
            level: Level::Db(db),
            waiting: None,
        }
    }

    fn feedback(db: f64) -> Feedback {
        Feedback {
            strips: Vec::new(),
            master: fader(db),
            banks: vec![(Source::Mouse, 8)],
            playing: false,
            blind: false,
            section: None,
        }
    }

    /// A full queue drops the newest inputs and counts them instead of blocking the sender.
    #[test]
    fn a_full_queue_drops_and_counts_instead_of_blocking() {
        let surfaces = Surfaces::new();
        let sender = surfaces.sender();
        let press = || Input::Press(Press::BankLeft);
        for _ in 0..INPUT_QUEUE {
            assert!(sender.send(Source::Mouse, press()));
        }
        assert!(!sender.send(Source::Mouse, press()));
        assert_eq!(surfaces.dropped(), 1);
        assert_eq!(surfaces.drain().len(), INPUT_QUEUE);
        assert!(sender.send(Source::Mouse, press()));
    }

    /// A sender made before the waker was set wakes the console too, once per input it hands
    /// over, and not for an input it had to drop.
    #[test]
    fn senders_wake_the_console_once_it_listens() {
        let surfaces = Surfaces::new();
        let early = surfaces.sender();
        let wakes = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&wakes);
        surfaces.set_waker(move || {
            counter.fetch_add(1, Ordering::Relaxed);
        });
        assert!(early.send(Source::Mouse, Input::Press(Press::BankLeft)));
        assert!(
            surfaces
                .sender()
                .send(Source::Mouse, Input::Press(Press::BankRight))
        );
        assert_eq!(wakes.load(Ordering::Relaxed), 2);
        for _ in 0..INPUT_QUEUE {
            early.send(Source::Mouse, Input::Press(Press::BankLeft));
        }
        assert_eq!(wakes.load(Ordering::Relaxed), 2 + INPUT_QUEUE as u64 - 2);
    }

    /// The board hands out only feedback newer than what a surface saw, and publishing the
    /// same feedback again is not news.
    #[test]
    fn the_board_hands_out_only_newer_feedback() {
        let board = FeedbackBoard::default();
        assert!(board.newer_than(0, Duration::ZERO).is_none());
        board.publish(feedback(0.0));
        let (seen, first) = board.newer_than(0, Duration::ZERO).expect("published");
        assert_eq!(first.master.level, Level::Db(0.0));
        assert_eq!(first.bank_of(&Source::Mouse), 8);
        board.publish(feedback(0.0));
        assert!(board.newer_than(seen, Duration::from_millis(5)).is_none());
        board.publish(feedback(-3.0));
        let (_, second) = board.newer_than(seen, Duration::ZERO).expect("changed");
        assert_eq!(second.master.level, Level::Db(-3.0));
    }
}
