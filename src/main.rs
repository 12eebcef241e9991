//! The `earmix` command line: argument parsing, logging set-up and wiring. The only place that
//! uses `anyhow`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use earmix::commands;
use earmix::engine::render::{self, BitDepth, BounceOptions};
use earmix::units::Seconds;

/// A keyboard-driven terminal mixer for people who mix by ear.
#[derive(Debug, Parser)]
#[command(name = "earmix", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate a session and its stems, and print a summary.
    Check {
        /// The session file (TOML).
        session: PathBuf,
    },
    /// Render the mix offline to a WAV file.
    Bounce {
        /// The session file (TOML).
        session: PathBuf,
        /// The WAV file to write (written atomically: complete or not at all).
        #[arg(short, long)]
        output: PathBuf,
        /// Sample format: 32f (float, default), 24 or 16 (TPDF-dithered).
        #[arg(long, default_value = "32f")]
        bits: BitDepth,
        /// Start time, "m:ss.mmm" or seconds (default: the session start).
        #[arg(long, value_parser = parse_time)]
        from: Option<Seconds>,
        /// End time, "m:ss.mmm" or seconds (default: the session end).
        #[arg(long, value_parser = parse_time)]
        to: Option<Seconds>,
    },
    /// Generate the demo sessions' stems and print where they are.
    Demo {
        /// Regenerate stems that already exist.
        #[arg(long)]
        force: bool,
        /// Where to put the demo sessions (default: the checkout's demo-sessions/, or the XDG
        /// data directory).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

fn parse_time(text: &str) -> Result<Seconds, String> {
    Seconds::parse(text).ok_or_else(|| {
        format!("'{text}' is not a time; write m:ss.mmm (0:12.500) or seconds (12.5)")
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("earmix: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Check { session } => Ok(check(&session)),
        Command::Bounce {
            session,
            output,
            bits,
            from,
            to,
        } => bounce(&session, &output, BounceOptions { bits, from, to }),
        Command::Demo { force, dir } => demo(dir, force),
    }
}

/// Loads a session, or prints every problem in it to stderr (the caller exits 1).
fn load_or_report(path: &Path) -> Option<earmix::session::Session> {
    earmix::session::load(path)
        .map_err(|errors| eprintln!("{errors}"))
        .ok()
}

fn check(path: &Path) -> ExitCode {
    let Some(session) = load_or_report(path) else {
        return ExitCode::FAILURE;
    };
    print!("{}", commands::check::summary(&session));
    ExitCode::SUCCESS
}

fn bounce(path: &Path, output: &Path, opts: BounceOptions) -> Result<ExitCode> {
    let Some(session) = load_or_report(path) else {
        return Ok(ExitCode::FAILURE);
    };
    let bar = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "bouncing {bar:40} {percent:>3}% {msg} eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(bar)
    } else {
        None
    };
    let rate = session.sample_rate;
    let mut progress = |done: u64, total: u64| {
        if let Some(bar) = &bar {
            bar.set_length(total);
            bar.set_position(done);
            bar.set_message(format!(
                "{} / {}",
                Seconds::from_frames(done, rate),
                Seconds::from_frames(total, rate)
            ));
        }
    };
    let report = render::bounce(&session, output, &opts, &mut progress)
        .with_context(|| format!("bouncing {}", path.display()))?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    print!("{report}");
    Ok(ExitCode::SUCCESS)
}

fn demo(dir: Option<PathBuf>, force: bool) -> Result<ExitCode> {
    let root = dir.unwrap_or_else(commands::paths::demo_root);
    for name in earmix::demo::DEMOS {
        let report = earmix::demo::generate(&root, name, force)
            .with_context(|| format!("generating the {name} demo in {}", root.display()))?;
        println!("{report}");
    }
    Ok(ExitCode::SUCCESS)
}
