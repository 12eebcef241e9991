//! Paced sound servers for the desktop and realtime benches (included with `#[path]`), each in a temporary
//! folder of its own and stopped when dropped: a headless PipeWire whose null sink
//! `headless_sink` drives the graph on its own timer (`../shared/testing.md` §2b), and a JACK
//! dummy server under a private name with a private ALSA configuration for its jack plugin (§2).
//! Both report a missing program as an error naming its package.
//!
//! The tests use them too (tests/it/servers.rs includes this file); each user needs only part.
#![allow(dead_code)]

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

type BoxResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// The PipeWire null sink's node name.
pub const PIPEWIRE_SINK: &str = "headless_sink";

/// The JACK client name earmix gets through the ALSA jack plugin.
pub const JACK_PLAYBACK_CLIENT: &str = "earmix";

/// The path of `program` on PATH, if it is there.
pub fn on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// An error naming the missing programs and their packages, unless all are on PATH.
fn require(programs: &[&str], packages: &str) -> BoxResult<()> {
    let missing: Vec<&str> = programs
        .iter()
        .copied()
        .filter(|p| on_path(p).is_none())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} not on PATH (Debian: apt install {packages}; `just test-deps` installs them)",
            missing.join(", ")
        )
        .into())
    }
}

/// Kills and reaps every child, last started first.
fn stop(children: &mut Vec<Child>) {
    while let Some(mut child) = children.pop() {
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Waits up to `timeout` for `ready`, polling every 20 ms.
fn wait_for(timeout: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if ready() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    ready()
}

/// A headless PipeWire (with D-Bus and WirePlumber) whose null sink at 48 kHz is the default
/// sink. Stopped when dropped.
pub struct PipeWire {
    dir: tempfile::TempDir,
    children: Vec<Child>,
}

impl PipeWire {
    /// Why the server cannot be started here (a program missing), if it cannot.
    pub fn unavailable() -> Option<String> {
        require(
            &["pipewire", "wireplumber", "dbus-daemon", "wpctl"],
            "pipewire pipewire-bin wireplumber dbus",
        )
        .err()
        .map(|e| e.to_string())
    }

    /// Starts the server and waits until the null sink is the default sink.
    pub fn start() -> BoxResult<Self> {
        Self::start_with_quantum(None)
    }

    /// Starts the server with the graph's quantum fixed at `quantum` frames when given (its
    /// default and its smallest), and waits until the null sink is the default sink.
    pub fn start_with_quantum(quantum: Option<u32>) -> BoxResult<Self> {
        if let Some(why) = Self::unavailable() {
            return Err(why.into());
        }
        let dir = tempfile::Builder::new()
            .prefix("earmix-desktop-pw-")
            .tempdir()?;
        let run = dir.path().join("run");
        let conf = dir.path().join("config/pipewire/pipewire.conf.d");
        fs::create_dir_all(&run)?;
        fs::create_dir_all(&conf)?;
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&run, fs::Permissions::from_mode(0o700))?;
        }
        let quantum = quantum.map_or_else(String::new, |q| {
            format!(" default.clock.quantum = {q} default.clock.min-quantum = {q}")
        });
        fs::write(
            conf.join("10-headless-sink.conf"),
            format!(
                "context.properties = {{ default.clock.rate = 48000 \
                 default.clock.allowed-rates = [ 44100 48000 96000 ]{quantum} }}\n\
                 context.objects = [\n  {{ factory = adapter\n    args = {{ \
                 factory.name = support.null-audio-sink node.name = \"{PIPEWIRE_SINK}\"\n      \
                 media.class = \"Audio/Sink\" object.linger = true audio.position = [ FL FR ]\n      \
                 priority.session = 2000 priority.driver = 21000 }} }} ]\n"
            ),
        )?;
        let mut server = Self {
            dir,
            children: Vec::new(),
        };
        let dbus = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--nopidfile"])
            .arg(format!("--address={}", server.bus_address()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        server.children.push(dbus);
        let bus = run.join("bus");
        if !wait_for(Duration::from_secs(5), || bus.exists()) {
            return Err("dbus-daemon did not start".into());
        }
        let log = File::create(server.dir().join("pipewire.log"))?;
        let pipewire = server
            .command("pipewire")
            .stderr(log.try_clone()?)
            .stdout(log)
            .spawn()?;
        server.children.push(pipewire);
        let socket = run.join("pipewire-0");
        if !wait_for(Duration::from_secs(5), || socket.exists()) {
            return Err("pipewire did not start".into());
        }
        let log = File::create(server.dir().join("wireplumber.log"))?;
        let wireplumber = server
            .command("wireplumber")
            .stderr(log.try_clone()?)
            .stdout(log)
            .spawn()?;
        server.children.push(wireplumber);
        let ready = wait_for(Duration::from_secs(10), || {
            server
                .command("wpctl")
                .args(["inspect", "@DEFAULT_AUDIO_SINK@"])
                .stdout(Stdio::piped())
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(PIPEWIRE_SINK))
        });
        if !ready {
            return Err("the PipeWire null sink did not become the default sink".into());
        }
        Ok(server)
    }

    fn bus_address(&self) -> String {
        format!("unix:path={}", self.runtime_dir().join("bus").display())
    }

    /// The folder holding the server's socket.
    pub fn runtime_dir(&self) -> PathBuf {
        self.dir.path().join("run")
    }

    /// The server's temporary folder.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The environment that points a client at this server.
    pub fn client_env(&self) -> Vec<(String, String)> {
        let run = self.runtime_dir().display().to_string();
        vec![
            ("PIPEWIRE_RUNTIME_DIR".into(), run.clone()),
            ("XDG_RUNTIME_DIR".into(), run),
            ("DBUS_SESSION_BUS_ADDRESS".into(), self.bus_address()),
        ]
    }

    /// Points a client at this server (its socket and its D-Bus), leaving HOME and the
    /// client's own XDG folders alone.
    pub fn client<'c>(&self, command: &'c mut Command) -> &'c mut Command {
        command.envs(self.client_env())
    }

    /// `program` as a client of this server, with the server's configuration folder (for the
    /// server's own programs: pipewire, wireplumber, wpctl, pw-record), its output going
    /// nowhere unless the caller says otherwise.
    pub fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        self.client(&mut command)
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    }

    /// The PipeWire daemon's process id (to freeze it with SIGSTOP, say).
    pub fn daemon_pid(&self) -> u32 {
        // Started second, after dbus-daemon.
        self.children[1].id()
    }

    /// Kills the PipeWire daemon (leaving D-Bus and WirePlumber), as a crash would: its socket
    /// file stays behind.
    pub fn kill_daemon(&mut self) {
        // Started second, after dbus-daemon.
        if self.children.len() > 1 {
            let mut daemon = self.children.remove(1);
            let _ = daemon.kill();
            let _ = daemon.wait();
        }
    }

    /// The server's version ("0.3.65"), from `pipewire --version`.
    pub fn version() -> String {
        program_version("pipewire", &["--version"], "libpipewire")
    }
}

impl Drop for PipeWire {
    fn drop(&mut self) {
        stop(&mut self.children);
    }
}

/// The version a program prints: the first word after `after` on a line containing it, or the
/// last word of its first line.
fn program_version(program: &str, args: &[&str], after: &str) -> String {
    let Ok(out) = Command::new(program).args(args).output() else {
        return "not installed".into();
    };
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    text.lines()
        .find_map(|l| {
            let (_, rest) = l.split_once(after)?;
            rest.split_whitespace().next().map(str::to_string)
        })
        .or_else(|| {
            text.lines()
                .next()
                .and_then(|l| l.split_whitespace().last().map(str::to_string))
        })
        .unwrap_or_else(|| "unknown".into())
}

/// Where alsa-lib's jack plugin is installed, if it is.
pub fn alsa_jack_plugin() -> Option<PathBuf> {
    let mut dirs = vec![
        PathBuf::from("/usr/lib/alsa-lib"),
        PathBuf::from("/usr/lib64/alsa-lib"),
    ];
    if let Ok(entries) = fs::read_dir("/usr/lib") {
        dirs.extend(entries.flatten().map(|e| e.path().join("alsa-lib")));
    }
    dirs.into_iter()
        .map(|d| d.join("libasound_module_pcm_jack.so"))
        .find(|p| p.is_file())
}

/// The system's ALSA configuration, which a private configuration includes first.
const SYSTEM_ALSA_CONF: &str = "/usr/share/alsa/alsa.conf";

/// A JACK dummy server (`jackd --no-realtime -d dummy -r 48000 -p PERIOD`, or real-time at
/// priority 70) under a server name of its own. Stopped when dropped.
pub struct Jack {
    name: String,
    period: u32,
    dir: tempfile::TempDir,
    children: Vec<Child>,
}

impl Jack {
    /// Why the server cannot be started or reached here (jackd's programs missing), if it
    /// cannot.
    pub fn unavailable_native() -> Option<String> {
        require(&["jackd", "jack_lsp"], "jackd2")
            .err()
            .map(|e| e.to_string())
    }

    /// Why the server cannot be started or reached through ALSA here (a program or the ALSA
    /// jack plugin missing), if it cannot.
    pub fn unavailable() -> Option<String> {
        if let Some(why) = Self::unavailable_native() {
            return Some(why);
        }
        alsa_jack_plugin().is_none().then(|| {
            "the ALSA jack plugin is missing (Debian: apt install libasound2-plugins; `just \
             bench` installs it)"
                .to_string()
        })
    }

    /// Starts the server (not real-time) and waits until it accepts clients.
    pub fn start(period: u32) -> BoxResult<Self> {
        Self::start_with(period, false)
    }

    /// Starts the server, real-time at priority 70 when `realtime` (as on a studio machine:
    /// its clients' process threads then run real-time too), and waits until it accepts
    /// clients.
    pub fn start_with(period: u32, realtime: bool) -> BoxResult<Self> {
        // A fixed name per period and mode: jackd keeps a registry of at most 8 servers in
        // /dev/shm, and reclaims a dead server's entry only for a server of the same name.
        let name = format!(
            "earmix-bench-{}-{period}",
            if realtime { "rt" } else { "desktop" }
        );
        Self::start_named(name, period, realtime)
    }

    /// Starts the server (not real-time) under a name of `bench`'s own, fixed per period as
    /// [`Jack::start_with`]'s are, so that its server never meets another bench's.
    pub fn start_for(bench: &str, period: u32) -> BoxResult<Self> {
        Self::start_named(format!("earmix-bench-{bench}-{period}"), period, false)
    }

    /// Starts a server (not real-time) under a name no other server of this process has, so
    /// that tests running at once do not meet.
    pub fn start_unique(period: u32) -> BoxResult<Self> {
        static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("earmix-test-{}-{n}-{period}", std::process::id());
        Self::start_named(name, period, false)
    }

    /// Starts the server under `name` and waits until it accepts clients.
    fn start_named(name: String, period: u32, realtime: bool) -> BoxResult<Self> {
        if let Some(why) = Self::unavailable_native() {
            return Err(why.into());
        }
        let dir = tempfile::Builder::new().prefix("earmix-jack-").tempdir()?;
        let log = File::create(dir.path().join("jackd.log"))?;
        let scheduling: &[&str] = if realtime {
            &["--realtime", "-P", "70"]
        } else {
            &["--no-realtime"]
        };
        let child = Command::new("jackd")
            .args(scheduling)
            .args(["-n", &name, "-d", "dummy", "-r", "48000", "-p"])
            .arg(period.to_string())
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        let mut server = Self {
            name,
            period,
            dir,
            children: vec![child],
        };
        let ready = wait_for(Duration::from_secs(10), || {
            server.ports().iter().any(|p| p == "system:playback_1")
        });
        if !ready {
            stop(&mut server.children);
            let log = fs::read_to_string(server.dir.path().join("jackd.log")).unwrap_or_default();
            return Err(format!("jackd did not start: {}", log.trim()).into());
        }
        Ok(server)
    }

    /// The server's period in frames.
    pub fn period(&self) -> u32 {
        self.period
    }

    /// The length of jackd's log now, to count what a run adds to it.
    pub fn log_len(&self) -> u64 {
        fs::metadata(self.dir.path().join("jackd.log")).map_or(0, |m| m.len())
    }

    /// Lines mentioning an xrun that jackd logged since the log was `from` bytes long.
    pub fn xruns_since(&self, from: u64) -> usize {
        let text = fs::read(self.dir.path().join("jackd.log")).unwrap_or_default();
        let from = usize::try_from(from).unwrap_or(usize::MAX).min(text.len());
        String::from_utf8_lossy(&text[from..])
            .lines()
            .filter(|l| l.to_ascii_lowercase().contains("xrun"))
            .count()
    }

    /// The environment that points a client at this server.
    pub fn client_env(&self) -> Vec<(String, String)> {
        vec![
            ("JACK_DEFAULT_SERVER".into(), self.name.clone()),
            ("JACK_NO_START_SERVER".into(), "1".into()),
        ]
    }

    /// Points a client at this server.
    pub fn client<'c>(&self, command: &'c mut Command) -> &'c mut Command {
        command.envs(self.client_env())
    }

    /// Every port the server has now, as `jack_lsp` lists them.
    pub fn ports(&self) -> Vec<String> {
        Command::new("jack_lsp")
            .envs(self.client_env())
            .stderr(Stdio::null())
            .output()
            .map(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .map(|l| l.trim().to_string())
                    .filter(|l| !l.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Writes a private ALSA configuration (the system's, then `default` through the jack
    /// plugin) named `file` in the server's folder and returns its path: playback to the
    /// dummy's system ports as client [`JACK_PLAYBACK_CLIENT`], or, given `capture_from`, a
    /// capture client reading those ports.
    pub fn alsa_config(&self, file: &str, capture_from: Option<&[String]>) -> BoxResult<PathBuf> {
        let pcm = match capture_from {
            None => format!(
                "pcm.jackpcm {{ type jack  name \"{JACK_PLAYBACK_CLIENT}\"  playback_ports {{ \
                 0 system:playback_1  1 system:playback_2 }} }}"
            ),
            Some(ports) => {
                let list: Vec<String> = ports
                    .iter()
                    .enumerate()
                    .map(|(i, p)| format!("{i} \"{p}\""))
                    .collect();
                format!(
                    "pcm.jackpcm {{ type jack  name \"earmix-bench-capture\"  capture_ports {{ \
                     {} }} }}",
                    list.join("  ")
                )
            }
        };
        let path = self.dir.path().join(file);
        fs::write(
            &path,
            format!(
                "<{SYSTEM_ALSA_CONF}>\n{pcm}\npcm.!default {{ type plug  slave.pcm \"jackpcm\" }}\n"
            ),
        )?;
        Ok(path)
    }

    /// The version of jackd (`jackd --version`).
    pub fn version() -> String {
        program_version("jackd", &["--version"], "version")
    }
}

impl Jack {
    /// Stops the server (a test of what a client does when its server goes away, say):
    /// SIGTERM first, so that jackd takes its name out of JACK's shared registry (jackd2 keeps
    /// eight names there and never reclaims one a killed server left behind; once eight are
    /// left every new server fails with "Too many servers already active"), then SIGKILL if it
    /// has not ended within 5 s.
    pub fn kill(&mut self) {
        for child in &mut self.children {
            if let Ok(pid) = i32::try_from(child.id()) {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGTERM,
                );
            }
            let _ = wait_for(Duration::from_secs(5), || {
                matches!(child.try_wait(), Ok(Some(_)))
            });
        }
        stop(&mut self.children);
    }
}

impl Drop for Jack {
    fn drop(&mut self) {
        self.kill();
    }
}
