//! The full-screen console (UI thread): owns the terminal, reads keys, drives the model and the
//! engine, and draws frames only when something on screen changed, at most `fps` a second.
//!
//! Leaving is always clean: `q`, SIGHUP, SIGTERM, SIGINT, a terminal that went away, or a panic
//! all flush the crash journal, stop the audio and give the terminal back (when there is one).

pub mod live;
pub mod mouse;
pub mod stderr;

use std::io::{self, BufWriter, IsTerminal, Stdout, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::time::{Duration, Instant};

use crossterm::event::{self, Event};
use crossterm::{cursor, execute, terminal};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use crate::app::effect::{Effect, Transport};
use crate::app::journal::{self, Journal, JournalError, Recovery};
use crate::app::keymap::Keymap;
use crate::app::state::{App, Outcome};
use crate::config::Config;
use crate::control::{self, Running, Starter};
use crate::engine::handle::{Engine, EngineError, EngineEvent, EngineOptions};
use crate::engine::output::OutputRequest;
use crate::engine::ride::RideTable;
use crate::engine::scene::SceneTimeline;
use crate::session::lock::{self, Acquired};
use crate::session::{self, SessionErrors};
use crate::ui::draw::{MixerState, draw};
use crate::ui::view::{Style, View};
use crate::units::{Seconds, StripId};
use live::Live;

/// Set by SIGHUP, SIGTERM and SIGINT.
static STOP: AtomicBool = AtomicBool::new(false);

/// After this many frames in a row that changed nothing on screen, frames come every
/// [`STILL_FRAME`] instead of at the frame rate (about a quarter of a second at 30 fps).
const STILL_FRAMES: u32 = 8;

/// How often a still screen is looked at again (the engine's news, a message running out);
/// keys, the mouse, surfaces and resizes bring the frame rate back at once.
const STILL_FRAME: Duration = Duration::from_millis(250);

/// How long until the next frame: `frame` (the frame rate's), or [`STILL_FRAME`] once `still`
/// frames in a row changed nothing on screen and no glide is moving levels unseen.
fn frame_interval(frame: Duration, still: u32, gliding: bool) -> Duration {
    if still >= STILL_FRAMES && !gliding {
        frame.max(STILL_FRAME)
    } else {
        frame
    }
}

/// How long the loop waits for a key when nothing moves on screen (it still wakes to notice
/// signals; nothing is drawn unless something changed).
const IDLE_WAIT: Duration = Duration::from_millis(100);

/// How to run the console.
pub struct ConsoleOptions {
    /// Where the sound goes.
    pub output: OutputRequest,
    /// Most frames per second.
    pub fps: u32,
    /// Plain ASCII drawing.
    pub ascii: bool,
    /// Colours.
    pub color: bool,
    /// Clicks and the wheel work the mixer (the terminal reports buttons and the wheel).
    pub mouse: bool,
    /// The log file stderr goes to while the console owns the terminal.
    pub log_file: Option<PathBuf>,
    /// An exercise whose instruction panel opens first (`earmix exercise NAME`), with the
    /// drill level asked for.
    pub exercise: Option<(crate::exercise::Exercise, Option<u32>)>,
    /// Where finished exercises are recorded (`None`: nowhere).
    pub history: Option<PathBuf>,
    /// The role targets the Blindfold Balance Test compares with.
    pub targets: crate::exercise::targets::Targets,
    /// The control surfaces to start once the engine is up (MIDI ports, the OSC server).
    pub surfaces: Vec<Starter>,
    /// The session, when the caller has read it already (else `run` reads it).
    pub loaded: Option<session::Session>,
}

impl std::fmt::Debug for ConsoleOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleOptions")
            .field("output", &self.output)
            .field("fps", &self.fps)
            .field("ascii", &self.ascii)
            .field("color", &self.color)
            .field("mouse", &self.mouse)
            .field("log_file", &self.log_file)
            .field("exercise", &self.exercise)
            .field("history", &self.history)
            .field("targets", &self.targets)
            .field("surfaces", &self.surfaces.len())
            .field("loaded", &self.loaded.as_ref().map(|s| &s.path))
            .finish()
    }
}

/// Why the console could not run.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// The session file is broken.
    #[error("{0}")]
    Session(SessionErrors),
    /// The crash journal could not be read or opened.
    #[error(transparent)]
    Journal(#[from] journal::JournalError),
    /// Playback could not start.
    #[error("cannot play {path}: {error}")]
    Engine {
        /// The session file.
        path: PathBuf,
        /// Why.
        error: EngineError,
    },
    /// stdout is not a terminal.
    #[error(
        "the console needs a terminal (stdout is not one); `earmix play SESSION --no-ui` plays without it"
    )]
    NotATerminal,
    /// The terminal could not be set up.
    #[error("cannot set up the terminal: {0}")]
    Terminal(io::Error),
}

/// How the console ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The user quit.
    Quit,
    /// A signal asked earmix to stop.
    Signal,
    /// The terminal went away (a dropped SSH connection).
    TerminalGone,
}

/// Opens `session_path` in the console and runs it until the user quits or a signal arrives.
#[allow(
    clippy::too_many_lines,
    reason = "the console's whole life in order: open, start, run, shut down"
)]
pub fn run(
    session_path: &Path,
    config: &Config,
    keymap: Keymap,
    mut opts: ConsoleOptions,
) -> Result<Ending, ConsoleError> {
    if !io::stdout().is_terminal() {
        return Err(ConsoleError::NotATerminal);
    }
    install_signal_handler();
    let session = match opts.loaded.take() {
        Some(session) => session,
        None => session::load(session_path).map_err(ConsoleError::Session)?,
    };
    // One earmix edits a session at a time; a second one may listen.
    let (lock, owner) = match lock::acquire(session_path) {
        Ok(Acquired::Locked(lock)) => (Some(lock), None),
        Ok(Acquired::Held(owner)) => (None, Some(owner)),
        Err(e) => {
            tracing::warn!("{e}");
            (None, None)
        }
    };
    let journal = match owner {
        Some(_) => None,
        None => Some(Journal::open(session_path)?),
    };
    let mut app = App::new(
        session.clone(),
        keymap,
        config.steps,
        config.blind,
        journal,
        None,
    );
    app.set_exercise_config(config.exercise);
    app.set_rides_config(config.rides);
    app.set_targets(opts.targets.clone());
    app.set_history(
        opts.history
            .clone()
            .map(crate::exercise::history::History::at),
    );
    // The crash journal is read in the background: a long one must not keep the console from
    // showing, or from quitting.
    let mut journal_reader = None;
    match (lock, owner) {
        (_, Some(owner)) => app.open_read_only(owner),
        (lock, None) => {
            if let Some(lock) = lock {
                app.mixer_mut().set_lock(lock);
            } else {
                app.set_message(
                    "Could not lock the session (see the log): another earmix would not know \
                     it is open",
                );
            }
            journal_reader = read_journal(session_path, &mut app);
        }
    }
    // From here on library chatter on stderr goes to the log, not over the mixer.
    let redirect = opts.log_file.as_deref().and_then(stderr::Redirect::to_file);
    let engine_opts = EngineOptions {
        output: opts.output.clone(),
        start: Seconds(0.0),
        play: false,
        looping: None,
        ceiling: crate::units::Decibels(config.monitor.ceiling_db),
        stream_memory_mib: config.audio.stream_memory_mb,
    };
    let mut engine =
        Engine::open(&session, &engine_opts).map_err(|error| ConsoleError::Engine {
            path: session_path.to_path_buf(),
            error,
        })?;
    if let Some(notice) = engine.notice() {
        app.set_message(notice.to_string());
    }
    let mut terminal = enter_terminal(opts.mouse).map_err(ConsoleError::Terminal)?;
    let style = Style {
        ascii: opts.ascii,
        color: opts.color,
        scale: config.meters.meter_scale(),
    };
    let mut live = Live::new(session.channels.len(), config.meters.ballistics());
    let mut loop_state = LoopState {
        journal_reader,
        pending_exercise: opts.exercise,
        engine_opts,
        ballistics: config.meters.ballistics(),
        surfaces: control::Surfaces::new(),
        running: Vec::new(),
        dropped: 0,
        learning: false,
    };
    loop_state.start_surfaces(opts.surfaces, &mut app);
    let ending = event_loop(
        &mut terminal,
        &mut app,
        &mut engine,
        &mut live,
        &mut loop_state,
        style,
        opts.fps,
    );
    // Shutdown: surfaces (no more inputs), journal (nothing lost), audio, terminal; lock last.
    drop(loop_state);
    app.flush_journal();
    engine.pause();
    std::thread::sleep(Duration::from_millis(30));
    drop(engine);
    leave_terminal(&mut terminal);
    // ratatui's Terminal prints to stderr when it cannot show the cursor on drop, which panics
    // when the terminal is gone; the terminal has been given back above, so it is not dropped.
    std::mem::forget(terminal);
    if ending == Ending::TerminalGone {
        // Keep stderr on the log: the terminal it pointed at no longer exists.
        std::mem::forget(redirect);
    } else {
        drop(redirect);
    }
    tracing::info!("console closed: {ending:?}");
    drop(app);
    Ok(ending)
}

/// What the engine is doing, for the model.
fn transport(engine: &Engine) -> Transport {
    Transport {
        position: engine.position(),
        playing: engine.is_playing(),
        loop_region: engine.loop_region(),
        has_reference: engine.has_reference(),
        listen: engine.listen(),
        reference_free: engine.reference_free(),
        reference_position: engine.reference_position(),
    }
}

/// Tells the engine what the model decided: the one place the console's changes reach it.
fn apply_effects(app: &mut App, engine: &mut Engine) {
    for effect in app.take_effects() {
        match effect {
            Effect::Trim(strip, db) => engine.set_trim(StripId(strip), db),
            Effect::Gain(strip, db) => engine.set_gain(StripId(strip), db),
            Effect::Pan(strip, pan) => engine.set_pan(StripId(strip), pan),
            Effect::Mute(strip, on) => engine.set_mute(StripId(strip), on),
            Effect::Solo(strip, on) => engine.set_solo(StripId(strip), on),
            Effect::Master(db) => engine.set_master(db),
            Effect::Play => engine.play(),
            Effect::Pause => engine.pause(),
            Effect::Seek(to) => engine.seek(to),
            Effect::Loop(region) => engine.set_loop(region),
            Effect::ResetLoudness => engine.reset_loudness(),
            Effect::Scenes(session) => {
                let timeline = SceneTimeline::for_session(&session, engine.mix_rate());
                engine.set_scenes(timeline);
            }
            Effect::ScenesBypassed(on) => engine.set_scenes_bypassed(on),
            Effect::Rides(session) => {
                engine.set_rides(RideTable::for_session(&session, engine.mix_rate()));
            }
            Effect::RideHold(strip, db) => engine.hold_ride(StripId(strip), db),
            Effect::Listen(listen) => engine.set_listen(listen),
            Effect::ReferenceFree(free) => engine.set_reference_free(free),
            Effect::SeekReference(to) => engine.seek_reference(to),
            Effect::Monitor(state) => engine.set_monitor(state),
        }
    }
}

/// A crash journal being read on a thread of its own.
type JournalReader = Receiver<Result<Option<Recovery>, JournalError>>;

/// Starts reading the crash journal beside the session, if there is one, and shows that it is
/// being read.
fn read_journal(session_path: &Path, app: &mut App) -> Option<JournalReader> {
    let total = match std::fs::metadata(journal::journal_path(session_path)) {
        Ok(meta) => meta.len(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return None,
        Err(error) => {
            app.journal_read(Err(JournalError::Io {
                path: journal::journal_path(session_path),
                action: "cannot read the crash journal",
                error,
            }));
            return None;
        }
    };
    let progress = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let (tx, rx) = mpsc::channel();
    let path = session_path.to_path_buf();
    let counter = std::sync::Arc::clone(&progress);
    let spawned = std::thread::Builder::new()
        .name("earmix-journal".into())
        .spawn(move || {
            let _ = tx.send(journal::recover_with_progress(&path, &counter));
        });
    match spawned {
        Ok(_) => {
            app.journal_reading(progress, total);
            Some(rx)
        }
        Err(e) => {
            tracing::error!("cannot start reading the crash journal: {e}");
            app.journal_read(journal::recover(session_path));
            None
        }
    }
}

/// What the loop keeps besides the model, the engine and the meters.
struct LoopState {
    /// The crash journal being read, until it has been.
    journal_reader: Option<JournalReader>,
    /// `earmix exercise NAME`: opened once the questions at the start are answered.
    pending_exercise: Option<(crate::exercise::Exercise, Option<u32>)>,
    /// How the engine was opened (to open it again after a reload).
    engine_opts: EngineOptions,
    /// The meters' ballistics (for new meters after a reload).
    ballistics: crate::ui::ballistics::Ballistics,
    /// The control surfaces' queue and feedback board. Inputs the loop reads itself (the
    /// mouse) go into the same queue (`surfaces.sender()`), before the pass drains it: they are
    /// applied in the pass they arrive in, as the keys are.
    surfaces: control::Surfaces,
    /// The surfaces running (MIDI ports, the OSC server): they stop when dropped.
    running: Vec<Box<dyn Running>>,
    /// Inputs dropped so far, as last told to the user.
    dropped: u64,
    /// The surfaces were last told to send the controls they hear (learn mode).
    learning: bool,
}

impl LoopState {
    /// Starts the control surfaces (the engine is up): one that cannot start says why on the
    /// message line and in the log, and the console goes on without it.
    fn start_surfaces(&mut self, starters: Vec<Starter>, app: &mut App) {
        if starters.is_empty() {
            return;
        }
        // What the surfaces show from the start (motor faders, lamps).
        self.surfaces.publish(app.feedback());
        for start in starters {
            match start(self.surfaces.sender(), self.surfaces.board()) {
                Ok(surface) => {
                    tracing::info!("control surface: {}", surface.describe());
                    if let Some(learnable) = surface.learnable() {
                        app.set_learnable(learnable);
                    }
                    self.running.push(surface);
                }
                Err(e) => {
                    tracing::warn!("control surface not started: {e}");
                    app.set_message(e);
                }
            }
        }
    }

    /// Applies what the surfaces sent since the last pass (every pass: a fader move reaches
    /// the engine in the pass it arrives in), then tells the surfaces what they show.
    fn surfaces_pass(&mut self, app: &mut App, engine: &mut Engine, changed: bool) -> Outcome {
        let arrivals = self.surfaces.drain();
        let moved = !arrivals.is_empty();
        let outcome = app.surface(arrivals, transport(engine));
        self.learning(app);
        if moved {
            apply_effects(app, engine);
        }
        if !self.running.is_empty() && (moved || changed) {
            self.surfaces.publish(app.feedback());
        }
        outcome
    }

    /// Tells the surfaces when learn mode starts or stops listening, and has the one whose
    /// binding was saved read its mapping again.
    fn learning(&mut self, app: &mut App) {
        let on = app.is_learning();
        if on != self.learning {
            self.learning = on;
            for surface in &mut self.running {
                surface.set_learning(on);
            }
        }
        if let Some(source) = app.take_reload() {
            for surface in &mut self.running {
                if surface.learnable().is_some_and(|l| l.source == source)
                    && let Err(e) = surface.reload()
                {
                    tracing::warn!("{e}");
                    app.set_message(e);
                }
            }
        }
    }

    /// Shows what the surfaces have to say (a port gone or back, packets refused) and inputs
    /// dropped because the console fell behind.
    fn surface_notices(&mut self, app: &mut App) {
        for surface in &mut self.running {
            for notice in surface.notices() {
                tracing::info!("{notice}");
                app.set_message(notice);
            }
        }
        let dropped = self.surfaces.dropped();
        if dropped > self.dropped {
            let text = format!(
                "{} control surface inputs were dropped: the console fell behind",
                dropped - self.dropped
            );
            tracing::warn!("{text}");
            app.set_message(text);
            self.dropped = dropped;
        }
    }

    /// Takes the crash journal's contents once they have been read, and opens the exercise
    /// asked for once no question is open.
    fn poll(&mut self, app: &mut App) {
        if let Some(reader) = &self.journal_reader {
            match reader.try_recv() {
                Ok(result) => {
                    app.journal_read(result);
                    self.journal_reader = None;
                }
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => {
                    app.journal_read(Err(JournalError::Io {
                        path: journal::journal_path(app.path()),
                        action: "cannot read the crash journal",
                        error: io::Error::other("the reading thread stopped"),
                    }));
                    self.journal_reader = None;
                }
            }
        }
        if self.journal_reader.is_none()
            && !app.is_asking()
            && let Some((exercise, level)) = self.pending_exercise.take()
        {
            app.open_exercise(exercise, level);
        }
    }

    /// Opens the engine again for the session as the model has it now (a reload changed its
    /// strips), at the same place and play state.
    fn reopen(&mut self, app: &mut App, engine: &mut Engine, live: &mut Live) {
        let mut opts = self.engine_opts.clone();
        opts.start = engine.position();
        opts.play = engine.is_playing();
        opts.looping = None;
        engine.pause();
        match Engine::open(app.mixer().session(), &opts) {
            Ok(mut fresh) => {
                fresh.set_monitor(app.monitor());
                fresh.set_scenes_bypassed(app.mixer().comparing());
                *engine = fresh;
                *live = Live::new(app.mixer().session().channels.len(), self.ballistics);
            }
            Err(e) => {
                tracing::error!("reopening the engine: {e}");
                app.set_message(format!(
                    "Could not play the reloaded session ({e}); quit and open it again"
                ));
                if opts.play {
                    engine.play();
                }
            }
        }
    }
}

type Term = Terminal<CrosstermBackend<BufWriter<Stdout>>>;

fn install_signal_handler() {
    if let Err(e) = ctrlc::set_handler(|| STOP.store(true, Ordering::SeqCst)) {
        tracing::warn!("cannot install the signal handler: {e}");
    }
}

/// Raw mode, the alternate screen, no cursor, mouse reports when `mouse`; and a panic hook that
/// undoes it all first.
fn enter_terminal(mouse: bool) -> io::Result<Term> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal_raw();
        stderr::restore_now();
        previous(info);
    }));
    terminal::enable_raw_mode()?;
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout());
    execute!(
        out,
        terminal::EnterAlternateScreen,
        cursor::Hide,
        event::EnableFocusChange
    )?;
    if mouse {
        mouse::capture(&mut out)?;
    }
    let mut term = Terminal::new(CrosstermBackend::new(out))?;
    term.clear()?;
    Ok(term)
}

/// Gives the terminal back, ignoring errors (it may be gone).
fn leave_terminal(terminal: &mut Term) {
    let backend = terminal.backend_mut();
    mouse::release(backend);
    let _ = execute!(
        backend,
        event::DisableFocusChange,
        terminal::LeaveAlternateScreen,
        cursor::Show
    );
    let _ = backend.flush();
    let _ = terminal::disable_raw_mode();
}

fn restore_terminal_raw() {
    let mut out = io::stdout();
    mouse::release(&mut out);
    let _ = execute!(
        out,
        event::DisableFocusChange,
        terminal::LeaveAlternateScreen,
        cursor::Show
    );
    let _ = terminal::disable_raw_mode();
}

/// How long the key reader waits on the terminal before it looks again (for resizes, which
/// crossterm learns of by a signal, and for a terminal that went away).
const KEY_POLL: Duration = Duration::from_millis(50);

/// How often the loop asks the terminal whether it is still there when nothing is drawn.
const TERMINAL_CHECK: Duration = Duration::from_millis(250);

/// Reads terminal events on a thread of its own, so the loop never blocks inside the terminal:
/// when the terminal goes away (a dropped SSH connection), the loop still sees the stop flag.
///
/// The thread waits on the terminal itself (`poll`) and hands over to crossterm only when
/// there is something to read. A terminal that was hung up under earmix (its window closed
/// while a parent shell ignored SIGHUP) reads as endless end-of-file, which crossterm's reader
/// would retry forever at full speed; `poll` reports the hangup instead, and the thread says
/// the terminal is gone and ends.
///
/// Each event comes with the moment it was read, so a box that opened by itself can tell the
/// keys typed before it was drawn from the answers to it.
fn spawn_input_reader() -> (Sender<Wake>, Receiver<Wake>) {
    let (tx, rx) = mpsc::channel();
    let waker = tx.clone();
    let spawned = std::thread::Builder::new()
        .name("earmix-keys".into())
        .spawn(move || {
            let tty = match KeyTty::open() {
                Ok(tty) => tty,
                Err(e) => {
                    let _ = tx.send(Some(Err(e)));
                    return;
                }
            };
            loop {
                match tty.wait(KEY_POLL) {
                    Ok(TtyState::Idle | TtyState::Readable) => {}
                    Ok(TtyState::Gone) => {
                        let _ = tx.send(Some(Err(io::Error::new(
                            io::ErrorKind::BrokenPipe,
                            "the terminal hung up",
                        ))));
                        return;
                    }
                    Err(e) => {
                        let _ = tx.send(Some(Err(e)));
                        return;
                    }
                }
                // Everything crossterm has (keys read, a resize it was told of) without
                // waiting: when nothing is there, back to `poll`.
                loop {
                    match event::poll(Duration::ZERO) {
                        Ok(false) => break,
                        Ok(true) => {}
                        Err(e) => {
                            let _ = tx.send(Some(Err(e)));
                            return;
                        }
                    }
                    let event = event::read().map(|e| (Instant::now(), e));
                    let failed = event.is_err();
                    if tx.send(Some(event)).is_err() || failed {
                        return;
                    }
                }
            }
        });
    if let Err(e) = spawned {
        tracing::error!("cannot start the key reader: {e}");
    }
    (waker, rx)
}

/// What wakes the event loop: something from the terminal (a key, a resize, the mouse, or
/// the terminal failing), or `None`: a control surface handed over an input.
type Wake = Option<io::Result<(Instant, Event)>>;

/// What `poll` says of the terminal.
enum TtyState {
    /// Nothing to read yet.
    Idle,
    /// Bytes are waiting.
    Readable,
    /// Hung up, or no longer a terminal.
    Gone,
}

/// The terminal keys come from: standard input when it is a terminal, else `/dev/tty` (as
/// crossterm chooses).
enum KeyTty {
    Stdin,
    Tty(std::fs::File),
}

impl KeyTty {
    fn open() -> io::Result<Self> {
        if io::stdin().is_terminal() {
            Ok(Self::Stdin)
        } else {
            std::fs::File::open("/dev/tty").map(Self::Tty)
        }
    }

    /// Waits up to `timeout` for something to read.
    fn wait(&self, timeout: Duration) -> io::Result<TtyState> {
        use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
        use std::os::fd::AsFd;
        let stdin = io::stdin();
        let fd = match self {
            Self::Stdin => stdin.as_fd(),
            Self::Tty(file) => file.as_fd(),
        };
        let mut fds = [PollFd::new(fd, PollFlags::POLLIN)];
        let ms = u16::try_from(timeout.as_millis()).unwrap_or(u16::MAX);
        match poll(&mut fds, PollTimeout::from(ms)) {
            // A signal (a resize, say) woke `poll` early: look again soon.
            Ok(0) | Err(nix::errno::Errno::EINTR) => Ok(TtyState::Idle),
            Ok(_) => {
                let events = fds[0].revents().unwrap_or(PollFlags::empty());
                if events.intersects(PollFlags::POLLHUP | PollFlags::POLLERR | PollFlags::POLLNVAL)
                {
                    Ok(TtyState::Gone)
                } else {
                    Ok(TtyState::Readable)
                }
            }
            Err(e) => Err(io::Error::from(e)),
        }
    }
}

/// Whether the terminal on standard output is still there: a hung-up terminal answers every
/// request with an error (EIO).
fn terminal_alive() -> bool {
    nix::sys::termios::tcgetattr(io::stdout()).is_ok()
}

#[allow(
    clippy::too_many_lines,
    reason = "one pass of the loop in order: keys and the mouse, surfaces, a frame"
)]
fn event_loop(
    terminal: &mut Term,
    app: &mut App,
    engine: &mut Engine,
    live: &mut Live,
    extra: &mut LoopState,
    style: Style,
    fps: u32,
) -> Ending {
    let frame = Duration::from_secs_f64(1.0 / f64::from(fps.clamp(1, 240)));
    let mut state = MixerState::default();
    let mut last_view: Option<View> = None;
    let mut next_frame = Instant::now();
    let mut redraw = true;
    let (wake, input) = spawn_input_reader();
    // A surface's input wakes the loop at once (no polling while surfaces run).
    extra.surfaces.set_waker(move || {
        let _ = wake.send(None);
    });
    let mut mouse = mouse::Mouse::new(extra.surfaces.sender());
    let mut last_check = Instant::now();
    // When the last frame was made, and how many frames in a row changed nothing on screen.
    let mut last_tick = Instant::now();
    let mut still: u32 = 0;
    loop {
        if STOP.load(Ordering::SeqCst) {
            return Ending::Signal;
        }
        // Nothing may be drawn for a long time (paused, nothing moving), so a terminal that
        // went away would go unnoticed by the drawing: ask it.
        if last_check.elapsed() >= TERMINAL_CHECK {
            last_check = Instant::now();
            if !terminal_alive() {
                return Ending::TerminalGone;
            }
        }
        let now = Instant::now();
        let wait = next_frame.saturating_duration_since(now).min(IDLE_WAIT);
        let mut keyed = false;
        let mut arrived = false;
        // Every key waiting is handled before the next frame: a held key's repeats coalesce
        // into one frame, and no lag builds up.
        let mut next = input.recv_timeout(wait);
        loop {
            arrived |= next.is_ok();
            match next {
                Ok(Some(Ok((typed, Event::Key(key))))) => {
                    keyed = true;
                    let outcome = app.key(&key, typed, transport(engine));
                    apply_effects(app, engine);
                    if outcome == Outcome::Quit {
                        return Ending::Quit;
                    }
                }
                Ok(Some(Ok((_, Event::Resize(..))))) => redraw = true,
                // Reported only with `--mouse`; the last frame drawn says what is where.
                Ok(Some(Ok((_, Event::Mouse(event))))) => mouse.event(&event, &state.hits),
                Ok(Some(Ok((_, Event::FocusGained)))) => app.focus_gained(Instant::now()),
                // A surface's input (applied by the pass below) or nothing for the loop.
                Ok(None | Some(Ok(_))) | Err(RecvTimeoutError::Timeout) => {}
                Ok(Some(Err(_))) | Err(RecvTimeoutError::Disconnected) => {
                    return Ending::TerminalGone;
                }
            }
            match input.try_recv() {
                Ok(event) => next = Ok(event),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return Ending::TerminalGone,
            }
        }
        if extra.surfaces_pass(app, engine, keyed) == Outcome::Quit {
            return Ending::Quit;
        }
        app.flush_journal();
        extra.poll(app);
        if arrived {
            // Something came in: back to the frame rate, the next frame when it is due.
            still = 0;
            next_frame = next_frame.min(last_tick + frame);
        }
        let now = Instant::now();
        if now < next_frame {
            continue;
        }
        last_tick = now;
        // A screen that has not changed for a while (paused, meters fallen) is looked at less
        // often; anything that comes in brings the frame rate back at once.
        next_frame = now + frame_interval(frame, still, app.is_gliding());
        app.tick(now, transport(engine));
        apply_effects(app, engine);
        extra.surface_notices(app);
        if !extra.running.is_empty() {
            extra.surfaces.publish(app.feedback());
        }
        if app.take_engine_reopen() {
            extra.reopen(app, engine, live);
            redraw = true;
        }
        let position = engine.position_frame();
        for event in engine.update() {
            live.note_event(&event, position);
            let text = crate::commands::play::describe(&event);
            tracing::info!("{text}");
            if matches!(
                event,
                EngineEvent::Output(_)
                    | EngineEvent::StreamFailed { .. }
                    | EngineEvent::StemDamaged(_)
            ) {
                app.set_message(text);
            }
        }
        if app.take_peaks_reset() {
            live.reset_peaks();
        }
        let (strips, master) = engine.take_meters();
        live.absorb(&strips, master, engine.loudness(), now);
        live.absorb_ceiling(engine.take_ceiling(), now);
        let view = live.view(app, engine);
        if !redraw && last_view.as_ref() == Some(&view) {
            // What is on the screen already shows the top box.
            app.drawn(Instant::now());
            still = still.saturating_add(1);
            continue;
        }
        still = 0;
        if terminal
            .draw(|f| draw(f, &view, &style, &mut state))
            .is_err()
        {
            return Ending::TerminalGone;
        }
        app.drawn(Instant::now());
        redraw = false;
        last_view = Some(view);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A screen that stops changing is looked at four times a second instead of thirty,
    /// unless a glide moves levels the screen may not show; a slow frame rate stays slow.
    #[test]
    fn a_still_screen_is_looked_at_less_often() {
        let frame = Duration::from_millis(33);
        assert_eq!(frame_interval(frame, 0, false), frame);
        assert_eq!(frame_interval(frame, STILL_FRAMES - 1, false), frame);
        assert_eq!(frame_interval(frame, STILL_FRAMES, false), STILL_FRAME);
        assert_eq!(frame_interval(frame, STILL_FRAMES + 100, true), frame);
        let slow = Duration::from_secs(1);
        assert_eq!(frame_interval(slow, STILL_FRAMES, false), slow);
    }
}
