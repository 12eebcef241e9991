//! The `earmix` command line's arguments (clap), for the binary only (`src/main.rs`): the
//! console's options, the commands and theirs.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use earmix::commands;
use earmix::config::{AudioConfig, OutputChoice};
use earmix::engine::output::{OutputKind, OutputRequest};
use earmix::engine::render::BitDepth;
use earmix::units::Seconds;

/// A keyboard-driven terminal mixer for people who mix by ear.
///
/// `earmix SESSION` opens a session in the console; `earmix DIR` opens DIR/session.toml, or
/// offers to make one from the stems in DIR (see `earmix new`); `earmix` alone opens the
/// folk-arc demo (generating its stems first when needed). Press ? in the console for the keys.
#[derive(Debug, Parser)]
#[command(
    name = "earmix",
    version,
    about,
    long_about = None
)]
pub(crate) struct Cli {
    /// Settings file (default: ~/.config/earmix/config.toml when it exists; see
    /// config/default.toml for every key).
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// The session file (TOML) to open in the console, or a folder: its session.toml, or (asking
    /// first) a new session from its stems (default: the folk-arc demo).
    pub(crate) session: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) console: ConsoleArgs,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

/// How the console draws.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ConsoleArgs {
    /// Draw with plain ASCII only (#, |, =, -) for terminals or fonts without block characters
    /// [config: console.ascii].
    #[arg(long)]
    pub(crate) ascii: bool,
    /// Draw without colour (setting `NO_COLOR` does the same) [config:
    /// console.color].
    #[arg(long)]
    pub(crate) no_color: bool,
    /// The most frames per second drawn while playing; 10-15 suits a slow SSH link [config:
    /// console.fps = 30].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=240))]
    pub(crate) fps: Option<u32>,
    /// A MIDI controller as a control surface: its input port, by name or a part of it (and
    /// the output of the same name for motor faders and lamps), as `earmix midi` lists it
    /// [config: midi.input].
    #[arg(long, value_name = "PORT")]
    pub(crate) midi: Option<String>,
    #[command(flatten)]
    pub(crate) osc: OscArgs,
    /// Work the mixer with the mouse too: click a strip, its M or S, a section on the
    /// timeline; wheel or drag a fader [config: console.mouse = false].
    #[arg(long)]
    pub(crate) mouse: bool,
}

/// The OSC remote control (docs/osc.md).
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct OscArgs {
    /// Listen for OSC remote control from a tablet app or a script on this UDP port; see
    /// docs/osc.md for the addresses [config: osc.enabled, osc.port = 9000].
    #[arg(long, value_name = "PORT", value_parser = clap::value_parser!(u16).range(1..))]
    pub(crate) osc: Option<u16>,
    /// The address the OSC server listens on; anything but 127.0.0.1 (this machine only) also
    /// needs --osc-allow or [osc] allow [config: osc.address = "127.0.0.1"].
    #[arg(long, value_name = "ADDRESS")]
    pub(crate) osc_address: Option<std::net::IpAddr>,
    /// A peer that may control earmix over OSC: an address (192.168.1.20) or a network
    /// (192.168.1.0/24); repeat for more. Adds to [osc] allow.
    #[arg(long, value_name = "PEER")]
    pub(crate) osc_allow: Vec<earmix::control::osc::PeerRange>,
}

impl OscArgs {
    /// The flags over the config's `[osc]` settings: any of them turns the server on.
    pub(crate) fn settings(
        &self,
        config: &earmix::control::osc::OscConfig,
    ) -> Result<earmix::control::osc::OscConfig, String> {
        let mut osc = config.clone();
        if let Some(port) = self.osc {
            osc.enabled = true;
            osc.port = port;
        }
        if let Some(address) = self.osc_address {
            osc.enabled = true;
            osc.address = address;
        }
        if !self.osc_allow.is_empty() {
            osc.enabled = true;
            osc.allow.extend(self.osc_allow.iter().copied());
        }
        if osc.enabled {
            osc.check()?;
        }
        Ok(osc)
    }

    /// Whether any OSC flag was given.
    pub(crate) fn given(&self) -> bool {
        self.osc.is_some() || self.osc_address.is_some() || !self.osc_allow.is_empty()
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
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
    /// Play a session through the audio device, in the console (like `earmix SESSION`) or,
    /// with --no-ui, without it.
    Play {
        /// The session file (TOML).
        session: PathBuf,
        /// Play without the console, printing a status line once a second to stderr (for scripts
        /// and checks). Without a terminal, play always runs this way.
        #[arg(long)]
        no_ui: bool,
        #[command(flatten)]
        console: ConsoleArgs,
        /// Start time, "m:ss.mmm" or seconds (default: the session start).
        #[arg(long, value_parser = parse_time)]
        from: Option<Seconds>,
        /// Stop after this many seconds of audio (device time).
        #[arg(long)]
        seconds: Option<f64>,
        /// Loop from the start time to the end of the session.
        #[arg(long = "loop")]
        looping: bool,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Measure the loudness and peaks of the mix and of each channel, per section.
    ///
    /// For the whole song and for each section: integrated loudness, the highest short-term
    /// loudness, loudness range, sample peak and true peak of the mix and of every channel
    /// (after its trim, fader, section scene, pan and the master fader), each channel's level
    /// relative to the mix, and how each channel's level changes from section to section. The
    /// mix is rendered once, with the engine the bounce uses.
    Report {
        /// The session file (TOML).
        session: PathBuf,
        /// Output: table (fits 80 columns), json or csv.
        #[arg(long, default_value = "table")]
        format: commands::report::Format,
    },
    /// Show how your exercises went: per exercise, how often you finished it, the best and the
    /// latest scores, and the score over time.
    Progress {
        /// The history file (default: history.jsonl in the XDG data directory).
        #[arg(long, value_name = "FILE")]
        history: Option<PathBuf>,
        /// Draw the score line in plain ASCII.
        #[arg(long)]
        ascii: bool,
    },
    /// Guided ear-training exercises: `earmix exercise` lists them, `earmix exercise NAME
    /// [SESSION]` starts one in the console (E in the console opens the same list).
    ///
    /// An exercise never changes the session file unless you choose to keep its result. Every
    /// finished exercise is recorded in the history `earmix progress` shows.
    Exercise {
        /// The exercise: blindfold, arc, drill or reference (leave it out to list them).
        name: Option<String>,
        /// The session to train on (default: the folk-arc demo; for reference, the band demo,
        /// which has a reference mix).
        session: Option<PathBuf>,
        /// The drill's level (default: the highest you have unlocked).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=5))]
        level: Option<u32>,
        /// The history file (default: history.jsonl in the XDG data directory).
        #[arg(long, value_name = "FILE")]
        history: Option<PathBuf>,
        #[command(flatten)]
        console: ConsoleArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Work with a session's sections: `earmix sections import SESSION FILE` makes them from
    /// markers.
    Sections {
        #[command(subcommand)]
        action: SectionsCommand,
    },
    /// Make a session from a folder of stems: channels in natural order (2 before 10), named
    /// from the file names, roles guessed from them, split-stereo pairs as one channel.
    ///
    /// Reads WAV, FLAC, MP3, Ogg Vorbis and AIFF from DIR and from a `stems`, `audio` or
    /// `Audio Files` folder in it. Left/right mono pairs ("Piano L" and "Piano R", also ".L",
    /// "_L", "Left") of one rate become one stereo channel. WAV stems whose Broadcast Wave time
    /// stamps differ are placed in the song: the earliest starts it, the others get `start`.
    /// Roles come from name rules in config/roles.toml, and from ~/.config/earmix/roles.toml
    /// first when it exists. Prints a table of what it found and decided. Never replaces an
    /// existing session file without --force.
    New(NewArgs),
    /// List the audio hosts, their output devices and the configurations they support.
    Devices,
    /// List the MIDI ports (ALSA sequencer and JACK) a controller can be reached by, and the
    /// controller mappings.
    Midi,
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

#[derive(Debug, Subcommand)]
pub(crate) enum SectionsCommand {
    /// Make the session's sections from a file of markers, one section starting at each marker.
    ///
    /// FILE is told by its contents: Audacity labels (File > Export > Labels), REAPER's
    /// marker/region list exported as CSV (in Minutes:Seconds or Seconds), a WAV file with cue
    /// markers (`cue ` and `LIST`/`adtl` chunks), or a MIDI file with marker or cue point
    /// events. A marker's name becomes its section's name; a marker with no name is called
    /// "Marker N", a name used twice gets " 2", markers out of time order are sorted and markers
    /// at or after the session's end are left out, each said in a note. Only the [[section]]
    /// tables change: the rest of the file, its comments and layout stay as they are.
    Import {
        /// The session file (TOML).
        session: PathBuf,
        /// The marker file.
        file: PathBuf,
        /// Replace the sections the session has (without it such a session is refused). A
        /// section that a marker names again keeps its scene; the others are removed.
        #[arg(long)]
        replace: bool,
        /// Show the sections that would be written, and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// `earmix new`'s arguments.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct NewArgs {
    /// The folder of stems.
    pub(crate) dir: PathBuf,
    /// The session file to write (default: DIR/session.toml).
    #[arg(short, long, value_name = "SESSION")]
    pub(crate) output: Option<PathBuf>,
    /// The song's tempo in beats per minute, written as `tempo`.
    #[arg(long, value_name = "BPM")]
    pub(crate) tempo: Option<f64>,
    /// Measure every stem and set its trim so its loud passages sit at -18 LUFS, leaving
    /// the faders at 0 dB.
    ///
    /// A stem's level is the 90th percentile of its momentary loudness (EBU R 128, 400 ms
    /// windows every 100 ms, silence below -70 LUFS not counted): what its loud passages
    /// reach, not set by one hit. -18 LUFS is about an analogue-style console's 0 VU. Trims
    /// stay within -24..+24 dB; a stem that needs more is named. Prints each stem's level
    /// before and after, and its sample peak after.
    #[arg(long)]
    pub(crate) gain_stage: bool,
    /// Replace an existing session file.
    #[arg(long)]
    pub(crate) force: bool,
    /// Make the song's sections from the markers in FILE, as `earmix sections import` does:
    /// Audacity labels, a REAPER marker/region CSV, a WAV with cue markers or a MIDI file with
    /// marker events.
    #[arg(long, value_name = "FILE")]
    pub(crate) labels: Option<PathBuf>,
}

impl From<NewArgs> for commands::new::NewOptions {
    fn from(args: NewArgs) -> Self {
        Self {
            dir: args.dir,
            output: args.output,
            tempo: args.tempo,
            gain_stage: args.gain_stage,
            force: args.force,
            labels: args.labels,
        }
    }
}

/// Where the sound goes.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct OutputArgs {
    /// "device" (the audio device) or "null" (no sound, real-time pace) [config: device].
    #[arg(long, value_parser = ["device", "null"])]
    pub(crate) output: Option<String>,
    /// Audio host: pipewire, jack or alsa (default: PipeWire when it answers, else JACK when a
    /// server runs, else ALSA).
    #[arg(long)]
    pub(crate) host: Option<String>,
    /// Output device name, as `earmix devices` lists it (default: the default device).
    #[arg(long)]
    pub(crate) device: Option<String>,
    /// Buffer size in frames, requested from the device as a fixed size [config: 256].
    #[arg(long, value_parser = clap::value_parser!(u32).range(16..=16384))]
    pub(crate) buffer: Option<u32>,
    /// Sample rate in Hz (default: the session's rate when the device offers it).
    #[arg(long, value_parser = clap::value_parser!(u32).range(8000..=384000))]
    pub(crate) rate: Option<u32>,
}

impl OutputArgs {
    /// The flags over the config's `[audio]` settings.
    pub(crate) fn request(&self, config: &AudioConfig) -> OutputRequest {
        let output = match self.output.as_deref() {
            Some("null") => OutputChoice::Null,
            Some(_) => OutputChoice::Device,
            None => config.output,
        };
        OutputRequest {
            kind: match output {
                OutputChoice::Null => OutputKind::Null,
                OutputChoice::Device => OutputKind::Device,
            },
            host: self.host.clone().or_else(|| config.host.clone()),
            device: self.device.clone().or_else(|| config.device.clone()),
            buffer_frames: self.buffer.unwrap_or(config.buffer_frames),
            rate: self.rate.or(config.sample_rate),
        }
    }
}

pub(crate) fn parse_time(text: &str) -> Result<Seconds, String> {
    Seconds::parse(text).ok_or_else(|| {
        format!("'{text}' is not a time; write m:ss.mmm (0:12.500) or seconds (12.5)")
    })
}
