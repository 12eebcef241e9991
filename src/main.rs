//! The `earmix` command line: logging set-up and wiring the commands (their arguments are in
//! `cli.rs`). The only place that uses `anyhow`.

use std::io::{IsTerminal, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;

use earmix::commands;
use earmix::config::{AudioConfig, Config};
use earmix::engine::handle::{Engine, EngineOptions};
use earmix::engine::output::OutputRequest;
use earmix::engine::render::{self, BounceOptions};
use earmix::units::{Decibels, Seconds};

mod cli;
use cli::{Cli, Command, ConsoleArgs, NewArgs, OutputArgs, SectionsCommand};

/// The settings: `--config FILE`, else the user's file when it exists, over the defaults.
fn load_config(path: Option<&Path>) -> Result<Config> {
    let (path, required) = match path {
        Some(p) => (p.to_path_buf(), true),
        None => match Config::user_path() {
            Some(p) => (p, false),
            None => return Ok(Config::defaults()),
        },
    };
    Config::load(&path, required).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow::anyhow!("{}", lines.join("\n"))
    })
}

fn init_logging() {
    let Some(path) = commands::paths::log_file() else {
        return;
    };
    let Some(dir) = path.parent() else { return };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let Ok(file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
    else {
        return;
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("EARMIX_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .try_init();
}

/// What `PIPEWIRE_PROPS` held when earmix started (the user's own properties).
static USER_PIPEWIRE_PROPS: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();

/// Sets `PIPEWIRE_PROPS` so that earmix's PipeWire stream is a proper client: node name
/// "earmix", media role "Production" and, with `rate`, the graph rate asked for (libpipewire
/// reads the variable whenever a stream is created; see
/// [`pipewire_props`](earmix::engine::output::cpal_backend::hosts::pipewire_props)). The user's
/// own `PIPEWIRE_PROPS` is kept, and its keys win.
///
/// Must be called while the main thread is the only thread.
#[allow(unsafe_code)]
fn set_pipewire_props(rate: Option<u32>) {
    let user = USER_PIPEWIRE_PROPS.get_or_init(|| std::env::var("PIPEWIRE_PROPS").ok());
    let props = earmix::engine::output::cpal_backend::hosts::pipewire_props(rate, user.as_deref());
    // SAFETY: called only from `main`, `play` and `console` before they start any thread
    // (logging writes to a file from the calling thread; the session loader's worker threads,
    // if any, are scoped and joined before it returns), so no other thread can read or write
    // the environment while it changes.
    unsafe { std::env::set_var("PIPEWIRE_PROPS", props) };
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    set_pipewire_props(None);
    init_logging();
    match run(cli) {
        Ok(code) => code,
        // The reader went away (`earmix report S | head`): stop quietly, as if killed by
        // SIGPIPE (128 + 13), which Rust programs ignore.
        Err(err) if err.is::<StdoutClosed>() => ExitCode::from(141),
        Err(err) => {
            say(&format!("earmix: {err:#}"));
            ExitCode::FAILURE
        }
    }
}

/// Standard output was closed before everything was written to it.
#[derive(Debug, thiserror::Error)]
#[error("standard output was closed")]
struct StdoutClosed;

/// Writes a command's output to stdout. A closed stdout is [`StdoutClosed`], which [`main`]
/// ends on quietly; any other failure (a full disk) is an error.
fn print_out(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(StdoutClosed.into()),
        other => other.context("writing to standard output"),
    }
}

/// Writes a message and a line break to stderr, with control characters escaped (messages
/// quote names from files); when stderr itself is gone there is no one to tell.
fn say(text: &str) {
    let _ = writeln!(std::io::stderr(), "{}", earmix::text::escape_lines(text));
}

/// Refuses the console's arguments given before a command (`earmix --ascii check S`), which
/// the command would not use, naming them as written ("SESSION" for a session file).
fn refuse_console_options_before_a_command(cli: &Cli) -> Result<()> {
    if cli.command.is_none() {
        return Ok(());
    }
    let (console, output) = (&cli.console, &cli.output);
    let flags = [
        ("SESSION", cli.session.is_some()),
        ("--ascii", console.ascii),
        ("--no-color", console.no_color),
        ("--fps", console.fps.is_some()),
        ("--osc", console.osc.given()),
        ("--mouse", console.mouse),
        ("--output", output.output.is_some()),
        ("--host", output.host.is_some()),
        ("--device", output.device.is_some()),
        ("--buffer", output.buffer.is_some()),
        ("--rate", output.rate.is_some()),
    ];
    let before: Vec<&str> = flags
        .iter()
        .filter(|(_, set)| *set)
        .map(|(f, _)| *f)
        .collect();
    if before.is_empty() {
        return Ok(());
    }
    anyhow::bail!(
        "{} before the command: the command would not use {}; give the session after the \
         command (`earmix check SESSION`), and the console's options to the console (`earmix \
         SESSION --ascii`, `earmix play SESSION --ascii`)",
        before.join(", "),
        if before.len() == 1 { "it" } else { "them" },
    )
}

/// `earmix [SESSION]`: the console on the session given (or the folder's, or the demo).
fn open_console(
    session: Option<PathBuf>,
    config: &Config,
    console_args: &ConsoleArgs,
    output: &OutputArgs,
) -> Result<ExitCode> {
    let Some(session) = session_to_open(session)? else {
        return Ok(ExitCode::SUCCESS);
    };
    console(
        &session,
        config,
        console_args,
        &output.request(&config.audio),
        Launch::default(),
    )
}

// One arm per command: it grows with the commands.
#[allow(clippy::too_many_lines)]
fn run(cli: Cli) -> Result<ExitCode> {
    let config = load_config(cli.config.as_deref())?;
    refuse_console_options_before_a_command(&cli)?;
    let Some(command) = cli.command else {
        return open_console(cli.session, &config, &cli.console, &cli.output);
    };
    match command {
        Command::Check { session } => check(&session, &config.audio),
        Command::Bounce {
            session,
            output,
            bits,
            from,
            to,
        } => bounce(&session, &output, BounceOptions { bits, from, to }),
        Command::Play {
            session,
            no_ui,
            console: console_args,
            from: None,
            seconds: None,
            looping: false,
            output,
        } if !no_ui && std::io::stdout().is_terminal() => console(
            &session,
            &config,
            &console_args,
            &output.request(&config.audio),
            Launch::default(),
        ),
        Command::Play {
            session,
            no_ui: _,
            console: _,
            from,
            seconds,
            looping,
            output,
        } => play(
            &session,
            from,
            seconds,
            looping,
            &output.request(&config.audio),
            &config,
        ),
        Command::Report { session, format } => report(&session, format),
        Command::Progress { history, ascii } => progress(history, ascii),
        Command::Exercise {
            name: None,
            history,
            ..
        } => list_exercises(history),
        Command::Exercise {
            name: Some(name),
            session,
            level,
            history,
            console: console_args,
            output,
        } => {
            let exercise = earmix::exercise::Exercise::from_name(&name).with_context(|| {
                format!(
                    "there is no exercise called '{name}'; the exercises are: {}",
                    earmix::exercise::Exercise::ALL
                        .iter()
                        .map(|e| e.id())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
            let session = match session {
                Some(session) => session,
                None => exercise_demo(exercise)?,
            };
            console(
                &session,
                &config,
                &console_args,
                &output.request(&config.audio),
                Launch {
                    exercise: Some((exercise, level)),
                    history,
                },
            )
        }
        Command::Sections { action } => sections(action),
        Command::New(args) => new_session(args),
        Command::Devices => {
            print_out(&commands::devices::list())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Midi => {
            print_out(&commands::midi::list())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo { force, dir } => demo(dir, force),
    }
}

/// `earmix new`: writes the session and prints the table.
fn new_session(args: NewArgs) -> Result<ExitCode> {
    print_out(&commands::new::run(&args.into(), &role_rules()?)?)?;
    Ok(ExitCode::SUCCESS)
}

/// The session `earmix [SESSION]` opens: the file given; for a folder, its session.toml or a
/// new one made after asking (`None`: the user said no); with nothing given, the demo.
fn session_to_open(given: Option<PathBuf>) -> Result<Option<PathBuf>> {
    match given {
        Some(folder) if folder.is_dir() => session_in(&folder),
        Some(session) => Ok(Some(session)),
        None => demo_session().map(Some),
    }
}

/// The role rules `earmix new` uses: the user's file first, then the shipped ones.
fn role_rules() -> Result<earmix::scan::roles::RoleRules> {
    let user = earmix::scan::roles::RoleRules::user_path();
    Ok(earmix::scan::roles::RoleRules::load(user.as_deref())?)
}

/// The session to open for a folder: its session.toml; or, when it has none, a new one made
/// from its stems after asking on the terminal (`None`: the user said no).
fn session_in(folder: &Path) -> Result<Option<PathBuf>> {
    let existing = folder.join(commands::new::DEFAULT_FILE);
    if existing.exists() {
        return Ok(Some(existing));
    }
    let shown = earmix::text::escape(&folder.display().to_string()).into_owned();
    if !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "{shown} is a folder with no session.toml in it; make one from its stems \
             with `earmix new {shown}`"
        );
    }
    let options = commands::new::NewOptions {
        dir: folder.to_path_buf(),
        output: None,
        tempo: None,
        gain_stage: false,
        force: false,
        labels: None,
    };
    let prepared = commands::new::prepare(&options, &role_rules()?)?;
    print_out(&format!(
        "{shown} has no session.toml. From its stems, earmix new would make this session:\n\n{}\n\
         Write {} and open it? [y/N] ",
        commands::new::table(&prepared),
        earmix::text::escape(&prepared.session_path.display().to_string())
    ))?;
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .context("reading the answer")?;
    if !matches!(answer.trim(), "y" | "Y" | "yes" | "Yes" | "YES") {
        print_out("Nothing written.\n")?;
        return Ok(None);
    }
    commands::new::write(&prepared, false)?;
    Ok(Some(prepared.session_path))
}

/// Loads a session, or prints every problem in it to stderr (the caller exits 1).
fn load_or_report(path: &Path) -> Option<earmix::session::Session> {
    earmix::session::load(path)
        .map_err(|errors| say(&errors.to_string()))
        .ok()
}

/// Exit status 3: the work was done and its output is complete, but some stem was damaged (each
/// named on stderr).
const DAMAGED: u8 = 3;

/// The exit status of work a signal interrupted: 128 + the signal's number.
fn interrupted(signal: usize) -> ExitCode {
    ExitCode::from(u8::try_from(128 + signal).unwrap_or(u8::MAX))
}

/// Installs handlers for SIGINT, SIGTERM and SIGHUP that set the flag they return to the
/// signal's number, so that long work stops at its next block, removes what it was writing and
/// exits with [`interrupted`].
fn stop_on_signals() -> Result<std::sync::Arc<render::StopFlag>> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let flag = std::sync::Arc::new(render::StopFlag::new(0));
    for signal in [SIGINT, SIGTERM, SIGHUP] {
        signal_hook::flag::register_usize(signal, std::sync::Arc::clone(&flag), signal as usize)
            .with_context(|| {
                format!(
                    "installing the handler for {}",
                    render::signal_name(signal as usize)
                )
            })?;
    }
    Ok(flag)
}

/// Names each damaged stem on stderr and gives the exit status: 0, or [`DAMAGED`].
fn warn_damaged(damaged: &[render::DamagedStem]) -> ExitCode {
    for stem in damaged {
        say(&format!("warning: {stem}"));
    }
    if damaged.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(DAMAGED)
    }
}

/// `earmix sections ...`.
fn sections(action: SectionsCommand) -> Result<ExitCode> {
    let SectionsCommand::Import {
        session: path,
        file,
        replace,
        dry_run,
    } = action;
    let Some(session) = load_or_report(&path) else {
        return Ok(ExitCode::FAILURE);
    };
    let options = commands::sections::ImportOptions { replace, dry_run };
    print_out(&commands::sections::import(&session, &file, options)?)?;
    Ok(ExitCode::SUCCESS)
}

fn check(path: &Path, audio: &AudioConfig) -> Result<ExitCode> {
    let stop = stop_on_signals()?;
    let Some(session) = load_or_report(path) else {
        return Ok(ExitCode::FAILURE);
    };
    print_out(&commands::check::summary(&session))?;
    print_out(&commands::check::memory(&session, audio))?;
    let damaged = commands::check::damaged_stems(&session, &stop)
        .with_context(|| format!("checking {}", path.display()))?;
    let signal = stop.load(std::sync::atomic::Ordering::Relaxed);
    if signal != 0 {
        say(&format!(
            "earmix: check interrupted by {}",
            render::signal_name(signal)
        ));
        return Ok(interrupted(signal));
    }
    Ok(warn_damaged(&damaged))
}

/// A progress bar on stderr ("{verb} [bar] 42% 0:12.000 / 1:44.500 eta 3s") when stderr is a
/// terminal, and the callback that moves it (frames done, frames in all).
fn progress_bar(
    verb: &str,
    rate: u32,
) -> (Option<indicatif::ProgressBar>, impl FnMut(u64, u64) + use<>) {
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(&format!(
                "{verb} {{bar:40}} {{percent:>3}}% {{msg}} eta {{eta}}"
            ))
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let moved = bar.clone();
    let progress = move |done: u64, total: u64| {
        if let Some(bar) = &moved {
            bar.set_length(total);
            bar.set_position(done);
            bar.set_message(format!(
                "{} / {}",
                Seconds::from_frames(done, rate),
                Seconds::from_frames(total, rate)
            ));
        }
    };
    (bar, progress)
}

fn bounce(path: &Path, output: &Path, opts: BounceOptions) -> Result<ExitCode> {
    let stop = stop_on_signals()?;
    let Some(session) = load_or_report(path) else {
        return Ok(ExitCode::FAILURE);
    };
    let (bar, mut progress) = progress_bar("bouncing", session.sample_rate);
    let result = render::bounce_until(&session, output, &opts, &mut progress, &stop);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let report = match result {
        Err(render::RenderError::Interrupted { signal }) => {
            say(&format!(
                "earmix: bounce interrupted by {}; nothing was written to {}",
                render::signal_name(signal),
                output.display()
            ));
            return Ok(interrupted(signal));
        }
        other => other.with_context(|| format!("bouncing {}", path.display()))?,
    };
    print_out(&report.to_string())?;
    Ok(warn_damaged(&report.damaged))
}

fn report(path: &Path, format: commands::report::Format) -> Result<ExitCode> {
    let stop = stop_on_signals()?;
    let Some(session) = load_or_report(path) else {
        return Ok(ExitCode::FAILURE);
    };
    let (bar, mut progress) = progress_bar("measuring", session.sample_rate);
    let result = earmix::analysis::report::measure_until(&session, &mut progress, &stop);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let (report, damaged) = match result {
        Err(earmix::analysis::MeasureError::Interrupted { signal }) => {
            say(&format!(
                "earmix: report interrupted by {}",
                render::signal_name(signal)
            ));
            return Ok(interrupted(signal));
        }
        other => other.with_context(|| format!("measuring {}", path.display()))?,
    };
    print_out(&commands::report::to_text(&report, format))?;
    Ok(warn_damaged(&damaged))
}

/// The history file: `--history FILE`, else the XDG data directory's.
fn history_path(history: Option<PathBuf>) -> Result<PathBuf> {
    match history {
        Some(path) => Ok(path),
        None => earmix::exercise::history::History::default_path().context(
            "no data directory to keep the history in (is HOME set?); give --history FILE",
        ),
    }
}

/// `earmix exercise`: the exercises, and how far up the drill's ladder the history says you
/// are.
fn list_exercises(history: Option<PathBuf>) -> Result<ExitCode> {
    let path = history_path(history)?;
    let loaded = earmix::exercise::history::History::at(&path).read()?;
    for warning in &loaded.warnings {
        say(&format!("warning: {warning}"));
    }
    print_out(&commands::exercise::list(&loaded.records))?;
    Ok(ExitCode::SUCCESS)
}

fn progress(history: Option<PathBuf>, ascii: bool) -> Result<ExitCode> {
    let path = history_path(history)?;
    let loaded = earmix::exercise::history::History::at(&path).read()?;
    for warning in &loaded.warnings {
        say(&format!("warning: {warning}"));
    }
    print_out(&commands::progress::render(&loaded, &path, ascii))?;
    Ok(ExitCode::SUCCESS)
}

fn play(
    path: &Path,
    from: Option<Seconds>,
    seconds: Option<f64>,
    looping: bool,
    output: &OutputRequest,
    config: &Config,
) -> Result<ExitCode> {
    let Some(session) = load_or_report(path) else {
        return Ok(ExitCode::FAILURE);
    };
    // Still the only thread: ask PipeWire for the session's rate (or --rate).
    set_pipewire_props(Some(output.rate.unwrap_or(session.sample_rate)));
    if let Some(s) = seconds {
        anyhow::ensure!(
            s.is_finite() && s > 0.0,
            "--seconds {s}: give a positive number of seconds"
        );
    }
    // Before anything is opened, so ctrl-c at any point after the first status line stops
    // playback cleanly (during opening it takes effect as soon as playback starts).
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    {
        let stop = std::sync::Arc::clone(&stop);
        ctrlc::set_handler(move || stop.store(true, std::sync::atomic::Ordering::Relaxed))
            .context("installing the ctrl-c handler")?;
    }
    let start = from.unwrap_or(Seconds(0.0));
    let opts = EngineOptions {
        output: output.clone(),
        start,
        play: true,
        looping: looping.then(|| (start, session.length())),
        ceiling: Decibels(config.monitor.ceiling_db),
        stream_memory_mib: config.audio.stream_memory_mb,
    };
    let mut engine =
        Engine::open(&session, &opts).with_context(|| format!("playing {}", path.display()))?;
    if let Some(notice) = engine.notice() {
        say(&format!("earmix: {notice}"));
    }
    say(&format!(
        "playing {} ({}) on {}",
        path.display(),
        session.length(),
        engine.stream_info()
    ));
    let headless = commands::play::HeadlessOptions {
        seconds: seconds.map(Seconds),
        looping,
    };
    let played = commands::play::run(&mut engine, headless, &stop, &mut std::io::stderr())?;
    tracing::info!("headless playback stopped: {played:?}");
    // Ctrl-c is how headless playback is stopped: not an interruption of unfinished work.
    Ok(if played.damaged > 0 {
        ExitCode::from(DAMAGED)
    } else {
        ExitCode::SUCCESS
    })
}

/// The folk-arc demo's session file, generating its stems first when they are missing (in the
/// checkout's demo-sessions/, or else in the XDG data directory).
fn demo_session() -> Result<PathBuf> {
    demo_session_named("folk-arc")
}

/// The demo an exercise trains on when no session is given: the band demo (which has a
/// reference mix, and a hidden stereo picture) for Reference Deconstruction and the pan drill,
/// the folk-arc demo for the others.
fn exercise_demo(exercise: earmix::exercise::Exercise) -> Result<PathBuf> {
    use earmix::exercise::Exercise;
    if matches!(exercise, Exercise::Reference | Exercise::Pan) {
        demo_session_named("band")
    } else {
        demo_session()
    }
}

/// A demo's session file, generating its stems first when they are missing.
fn demo_session_named(name: &str) -> Result<PathBuf> {
    let root = commands::paths::demo_root();
    let session = root.join(name).join("session.toml");
    let needs_stems = earmix::session::load(&session).is_err();
    if needs_stems {
        say(&format!(
            "earmix: generating the {name} demo's stems in {} (once; a few seconds)",
            root.display()
        ));
    }
    earmix::demo::generate(&root, name, false)
        .with_context(|| format!("generating the {name} demo in {}", root.display()))?;
    Ok(session)
}

/// What the console opens with besides the session.
#[derive(Debug, Default)]
struct Launch {
    /// An exercise's instruction panel, and the drill level asked for.
    exercise: Option<(earmix::exercise::Exercise, Option<u32>)>,
    /// `--history FILE`.
    history: Option<PathBuf>,
}

/// Opens a session in the console.
fn console(
    session: &Path,
    config: &Config,
    args: &ConsoleArgs,
    output: &OutputRequest,
    launch: Launch,
) -> Result<ExitCode> {
    // Still the only thread: ask PipeWire for --rate, else the session's rate. The session
    // read here is the one the console opens; a folder or a broken session asks for no rate,
    // and the console reads it again to say what is wrong with it.
    let loaded = earmix::session::load(session).ok();
    let rate = output.rate.or(loaded.as_ref().map(|s| s.sample_rate));
    set_pipewire_props(rate);
    let keymap = match earmix::app::keymap::Keymap::user_path() {
        Some(path) => earmix::app::keymap::Keymap::load_user(&path).map_err(|errors| {
            let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
            anyhow::anyhow!("{}", lines.join("\n"))
        })?,
        None => earmix::app::keymap::Keymap::default(),
    };
    // Flags and settings that would open the OSC server to the network unguarded are refused
    // before the terminal is taken.
    let osc = args
        .osc
        .settings(&config.osc)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let no_color_env = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    // Control surfaces the console starts once it is up (MIDI ports, the OSC server).
    let mut surfaces: Vec<earmix::control::Starter> = Vec::new();
    let mut midi = config.midi.clone();
    if let Some(port) = &args.midi {
        midi.input = Some(port.clone());
    }
    if midi.input.is_some() {
        surfaces.push(earmix::control::midi::starter(&midi));
    }
    if osc.enabled {
        surfaces.push(earmix::control::osc::starter(&osc));
    }
    let opts = earmix::console::ConsoleOptions {
        output: output.clone(),
        fps: args.fps.unwrap_or(config.console.fps),
        ascii: args.ascii || config.console.ascii,
        color: config.console.color && !args.no_color && !no_color_env,
        mouse: args.mouse || config.console.mouse,
        log_file: commands::paths::log_file(),
        exercise: launch.exercise,
        history: launch
            .history
            .or_else(earmix::exercise::history::History::default_path),
        targets: earmix::exercise::targets::Targets::load(
            earmix::exercise::targets::Targets::user_path().as_deref(),
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?,
        surfaces,
        loaded,
    };
    let ending = earmix::console::run(session, config, keymap, opts).map_err(|e| match e {
        earmix::console::ConsoleError::Session(errors) => anyhow::anyhow!("{errors}"),
        other => anyhow::anyhow!(other),
    })?;
    tracing::info!("console ended: {ending:?}");
    Ok(ExitCode::SUCCESS)
}

fn demo(dir: Option<PathBuf>, force: bool) -> Result<ExitCode> {
    let root = dir.unwrap_or_else(commands::paths::demo_root);
    for name in earmix::demo::DEMOS {
        let report = earmix::demo::generate(&root, name, force)
            .with_context(|| format!("generating the {name} demo in {}", root.display()))?;
        print_out(&format!("{report}\n"))?;
    }
    Ok(ExitCode::SUCCESS)
}
