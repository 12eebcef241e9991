//! The full-screen console (UI thread): owns the terminal, reads keys, drives the model and the
//! engine, and draws frames only when something on screen changed, at most `fps` a second.
//!
//! Leaving is always clean: `q`, SIGHUP, SIGTERM, SIGINT, a terminal that went away, or a panic
//! all flush the crash journal, stop the audio and give the terminal back (when there is one).

pub mod live;
pub mod stderr;

use std::io::{self, BufWriter, IsTerminal, Stdout, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, TryRecvError};
use std::time::{Duration, Instant};

use crossterm::event::{self, Event};
use crossterm::{cursor, execute, terminal};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use crate::app::journal::{self, Journal};
use crate::app::keymap::Keymap;
use crate::app::state::{App, Outcome};
use crate::config::Config;
use crate::engine::output::OutputRequest;
use crate::engine::realtime::{Engine, EngineError, EngineEvent, EngineOptions};
use crate::session::{self, SessionErrors};
use crate::ui::draw::{MixerState, draw};
use crate::ui::view::{Style, View};
use crate::units::Seconds;
use live::Live;

/// Set by SIGHUP, SIGTERM and SIGINT.
static STOP: AtomicBool = AtomicBool::new(false);

/// How long the loop waits for a key when nothing moves on screen (it still wakes to notice
/// signals; nothing is drawn unless something changed).
const IDLE_WAIT: Duration = Duration::from_millis(100);

/// How to run the console.
#[derive(Debug, Clone)]
pub struct ConsoleOptions {
    /// Where the sound goes.
    pub output: OutputRequest,
    /// Most frames per second.
    pub fps: u32,
    /// Plain ASCII drawing.
    pub ascii: bool,
    /// Colours.
    pub color: bool,
    /// The log file stderr goes to while the console owns the terminal.
    pub log_file: Option<PathBuf>,
    /// An exercise whose instruction panel opens first (`earmix exercise NAME`), with the
    /// drill level asked for.
    pub exercise: Option<(crate::exercise::Exercise, Option<u32>)>,
    /// Where finished exercises are recorded (`None`: nowhere).
    pub history: Option<PathBuf>,
    /// The role targets the Blindfold Balance Test compares with.
    pub targets: crate::exercise::targets::Targets,
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
pub fn run(
    session_path: &Path,
    config: &Config,
    keymap: Keymap,
    opts: &ConsoleOptions,
) -> Result<Ending, ConsoleError> {
    if !io::stdout().is_terminal() {
        return Err(ConsoleError::NotATerminal);
    }
    install_signal_handler();
    let session = session::load(session_path).map_err(ConsoleError::Session)?;
    let recovery = journal::recover(session_path)?;
    let journal = Journal::open(session_path)?;
    let mut app = App::new(
        session.clone(),
        keymap,
        config.steps,
        config.blind,
        Some(journal),
        recovery,
    );
    app.set_exercise_config(config.exercise);
    app.set_targets(opts.targets.clone());
    app.set_history(
        opts.history
            .clone()
            .map(crate::exercise::history::History::at),
    );
    if let Some((exercise, level)) = opts.exercise {
        app.open_exercise(exercise, level);
    }
    // From here on library chatter on stderr goes to the log, not over the mixer.
    let redirect = opts.log_file.as_deref().and_then(stderr::Redirect::to_file);
    let engine_opts = EngineOptions {
        output: opts.output.clone(),
        start: Seconds(0.0),
        play: false,
        looping: None,
        ceiling: crate::units::Decibels(config.monitor.ceiling_db),
    };
    let mut engine =
        Engine::open(&session, &engine_opts).map_err(|error| ConsoleError::Engine {
            path: session_path.to_path_buf(),
            error,
        })?;
    if let Some(notice) = engine.notice() {
        app.set_message(notice.to_string());
    }
    let mut terminal = enter_terminal().map_err(ConsoleError::Terminal)?;
    let style = Style {
        ascii: opts.ascii,
        color: opts.color,
        scale: config.meters.meter_scale(),
    };
    let mut live = Live::new(session.channels.len(), config.meters.ballistics());
    let ending = event_loop(
        &mut terminal,
        &mut app,
        &mut engine,
        &mut live,
        style,
        opts.fps,
    );
    // Shutdown: journal first (nothing lost), then the audio, then the terminal.
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
    Ok(ending)
}

type Term = Terminal<CrosstermBackend<BufWriter<Stdout>>>;

fn install_signal_handler() {
    if let Err(e) = ctrlc::set_handler(|| STOP.store(true, Ordering::SeqCst)) {
        tracing::warn!("cannot install the signal handler: {e}");
    }
}

/// Raw mode, the alternate screen, no cursor; and a panic hook that undoes it all first.
fn enter_terminal() -> io::Result<Term> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal_raw();
        stderr::restore_now();
        previous(info);
    }));
    terminal::enable_raw_mode()?;
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout());
    execute!(out, terminal::EnterAlternateScreen, cursor::Hide)?;
    let mut term = Terminal::new(CrosstermBackend::new(out))?;
    term.clear()?;
    Ok(term)
}

/// Gives the terminal back, ignoring errors (it may be gone).
fn leave_terminal(terminal: &mut Term) {
    let backend = terminal.backend_mut();
    let _ = execute!(backend, terminal::LeaveAlternateScreen, cursor::Show);
    let _ = backend.flush();
    let _ = terminal::disable_raw_mode();
}

fn restore_terminal_raw() {
    let mut out = io::stdout();
    let _ = execute!(out, terminal::LeaveAlternateScreen, cursor::Show);
    let _ = terminal::disable_raw_mode();
}

/// Reads terminal events on a thread of its own, so the loop never blocks inside the terminal:
/// when the terminal goes away (a dropped SSH connection), reading may fail or never return,
/// and the loop still sees the stop flag. The thread ends with the process.
fn spawn_input_reader() -> Receiver<io::Result<Event>> {
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("earmix-keys".into())
        .spawn(move || {
            loop {
                let event = event::read();
                let failed = event.is_err();
                if tx.send(event).is_err() || failed {
                    return;
                }
            }
        });
    if let Err(e) = spawned {
        tracing::error!("cannot start the key reader: {e}");
    }
    rx
}

fn event_loop(
    terminal: &mut Term,
    app: &mut App,
    engine: &mut Engine,
    live: &mut Live,
    style: Style,
    fps: u32,
) -> Ending {
    let frame = Duration::from_secs_f64(1.0 / f64::from(fps.clamp(1, 240)));
    let mut state = MixerState::default();
    let mut last_view: Option<View> = None;
    let mut next_frame = Instant::now();
    let mut redraw = true;
    let input = spawn_input_reader();
    loop {
        if STOP.load(Ordering::SeqCst) {
            return Ending::Signal;
        }
        let now = Instant::now();
        let wait = next_frame.saturating_duration_since(now).min(IDLE_WAIT);
        // Every key waiting is handled before the next frame: a held key's repeats coalesce
        // into one frame, and no lag builds up.
        let mut next = input.recv_timeout(wait);
        loop {
            match next {
                Ok(Ok(Event::Key(key))) => {
                    if app.key(&key, Instant::now(), engine) == Outcome::Quit {
                        return Ending::Quit;
                    }
                }
                Ok(Ok(Event::Resize(..))) => redraw = true,
                Ok(Ok(_)) | Err(RecvTimeoutError::Timeout) => {}
                Ok(Err(_)) | Err(RecvTimeoutError::Disconnected) => return Ending::TerminalGone,
            }
            match input.try_recv() {
                Ok(event) => next = Ok(event),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return Ending::TerminalGone,
            }
        }
        app.flush_journal();
        let now = Instant::now();
        if now < next_frame {
            continue;
        }
        next_frame = now + frame;
        app.tick(now, engine);
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
            continue;
        }
        if terminal
            .draw(|f| draw(f, &view, &style, &mut state))
            .is_err()
        {
            return Ending::TerminalGone;
        }
        redraw = false;
        last_view = Some(view);
    }
}
