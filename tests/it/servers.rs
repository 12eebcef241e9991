//! Paced sound servers for tests, each started in a private temporary folder and stopped when
//! dropped: a headless PipeWire whose null sink `headless_sink` drives the graph on its own timer
//! (`../shared/testing.md` §2b), and a JACK dummy server (§2).
//!
//! Both need their programs installed (`.ci/run` and `just deps` install them). A test that
//! needs one panics with the package names when they are missing, rather than passing without
//! having run.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The name of the PipeWire null sink.
pub const PIPEWIRE_SINK: &str = "headless_sink";

/// Whether `program` is on the PATH.
pub fn installed(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// Panics naming the packages to install unless every program is on the PATH.
fn require(programs: &[&str], packages: &str) {
    let missing: Vec<&str> = programs.iter().copied().filter(|p| !installed(p)).collect();
    assert!(
        missing.is_empty(),
        "this test needs {} (Debian: apt install {packages}; `just deps` installs them)",
        missing.join(", ")
    );
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

/// A headless PipeWire (with D-Bus and WirePlumber) in a temporary folder, its null sink
/// `headless_sink` at 48 kHz the default sink. Stopped when dropped.
pub struct PipeWire {
    dir: tempfile::TempDir,
    children: Vec<Child>,
}

impl PipeWire {
    /// Starts the server and waits until the null sink is the default sink.
    pub fn start() -> Self {
        require(
            &["pipewire", "wireplumber", "dbus-daemon", "wpctl"],
            "pipewire pipewire-bin wireplumber dbus",
        );
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("run");
        let conf = dir.path().join("config/pipewire/pipewire.conf.d");
        std::fs::create_dir_all(&run).unwrap();
        std::fs::create_dir_all(&conf).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        std::fs::write(
            conf.join("10-headless-sink.conf"),
            format!(
                "context.properties = {{ default.clock.rate = 48000 \
                 default.clock.allowed-rates = [ 44100 48000 96000 ] }}\n\
                 context.objects = [\n  {{ factory = adapter\n    args = {{ \
                 factory.name = support.null-audio-sink node.name = \"{PIPEWIRE_SINK}\"\n      \
                 media.class = \"Audio/Sink\" object.linger = true audio.position = [ FL FR ]\n      \
                 priority.session = 2000 priority.driver = 21000 }} }} ]\n"
            ),
        )
        .unwrap();
        let mut server = Self {
            dir,
            children: Vec::new(),
        };
        let bus = server.bus_address();
        let dbus = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--nopidfile"])
            .arg(format!("--address={bus}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        server.children.push(dbus);
        let socket = run.join("bus");
        assert!(
            wait_for(Duration::from_secs(5), || socket.exists()),
            "dbus-daemon did not start"
        );
        let pipewire = server.command("pipewire").spawn().unwrap();
        server.children.push(pipewire);
        let pw_socket = run.join("pipewire-0");
        assert!(
            wait_for(Duration::from_secs(5), || pw_socket.exists()),
            "pipewire did not start"
        );
        let wireplumber = server.command("wireplumber").spawn().unwrap();
        server.children.push(wireplumber);
        let ready = wait_for(Duration::from_secs(10), || {
            server
                .command("wpctl")
                .args(["inspect", "@DEFAULT_AUDIO_SINK@"])
                .stdout(Stdio::piped())
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(PIPEWIRE_SINK))
        });
        assert!(
            ready,
            "the PipeWire null sink did not become the default sink"
        );
        server
    }

    fn bus_address(&self) -> String {
        format!("unix:path={}", self.runtime_dir().join("bus").display())
    }

    /// The folder holding the server's socket.
    pub fn runtime_dir(&self) -> PathBuf {
        self.dir.path().join("run")
    }

    /// The server's own temporary folder (logs and recordings may go here).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Points a client at this server (its socket and its D-Bus), leaving HOME and the client's
    /// own XDG folders alone.
    pub fn client<'c>(&self, command: &'c mut Command) -> &'c mut Command {
        command
            .env("PIPEWIRE_RUNTIME_DIR", self.runtime_dir())
            .env("XDG_RUNTIME_DIR", self.runtime_dir())
            .env("DBUS_SESSION_BUS_ADDRESS", self.bus_address())
    }

    /// The `PipeWire` daemon's process id (to freeze it with SIGSTOP, say).
    pub fn daemon_pid(&self) -> u32 {
        // Started second, after dbus-daemon.
        self.children[1].id()
    }

    /// Kills the `PipeWire` daemon (leaving D-Bus and `WirePlumber`), as a crash would: its socket
    /// file stays behind.
    pub fn kill_daemon(&mut self) {
        // Started second, after dbus-daemon.
        if self.children.len() > 1 {
            let mut daemon = self.children.remove(1);
            let _ = daemon.kill();
            let _ = daemon.wait();
        }
    }

    /// `program` as a client of this server, with the server's configuration folder (for the
    /// server's own programs: pipewire, wireplumber, wpctl, pw-record). Its output goes nowhere
    /// unless the caller pipes it.
    pub fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        self.client(&mut command)
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    }
}

impl Drop for PipeWire {
    fn drop(&mut self) {
        stop(&mut self.children);
    }
}

/// A JACK dummy server (`jackd --no-realtime -d dummy`) at 48 kHz with `period` frames, under a
/// server name of its own so parallel tests do not meet. Stopped when dropped.
pub struct Jack {
    name: String,
    child: Vec<Child>,
}

impl Jack {
    /// Starts the server and waits until it accepts clients.
    pub fn start(period: u32) -> Self {
        // Unique within the process too: two tests asking for the same period at once would
        // otherwise start two servers under one name (the second fails to start).
        static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        require(&["jackd", "jack_lsp"], "jackd2");
        let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("earmix-test-{}-{n}-{period}", std::process::id());
        let child = Command::new("jackd")
            .args([
                "--no-realtime",
                "-n",
                &name,
                "-d",
                "dummy",
                "-r",
                "48000",
                "-p",
            ])
            .arg(period.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = Self {
            name,
            child: vec![child],
        };
        let ready = wait_for(Duration::from_secs(10), || {
            Command::new("jack_lsp")
                .env("JACK_DEFAULT_SERVER", &server.name)
                .env("JACK_NO_START_SERVER", "1")
                .stderr(Stdio::null())
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("system:playback_1"))
        });
        assert!(ready, "jackd did not start");
        server
    }

    /// Points a client at this server.
    pub fn client<'c>(&self, command: &'c mut Command) -> &'c mut Command {
        command
            .env("JACK_DEFAULT_SERVER", &self.name)
            .env("JACK_NO_START_SERVER", "1")
    }

    /// Stops the server (a test of what a client does when its server goes away) with SIGTERM
    /// first, so it takes its name out of JACK's shared registry: jackd2 keeps eight names there
    /// and never reclaims one a killed server left behind, and once eight are left every new
    /// server fails with "Too many servers already active".
    pub fn kill(&mut self) {
        for child in &mut self.child {
            if let Ok(pid) = i32::try_from(child.id()) {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGTERM,
                );
            }
            let _ = wait_for(Duration::from_secs(3), || {
                child.try_wait().is_ok_and(|status| status.is_some())
            });
        }
        stop(&mut self.child);
    }
}

impl Drop for Jack {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The servers start, say they are ready and stop.
#[test]
fn servers_start_and_stop() {
    let pipewire = PipeWire::start();
    let sinks = pipewire
        .command("wpctl")
        .arg("status")
        .stdout(Stdio::piped())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&sinks.stdout).contains(PIPEWIRE_SINK));
    drop(pipewire);
    let mut jack = Jack::start(256);
    jack.kill();
}
