//! A headless PipeWire for the realtime bench (included with `#[path]`): D-Bus, PipeWire and
//! WirePlumber in a temporary folder, with a null sink `headless_sink` at 48 kHz that drives
//! the graph on its own timer, as `../shared/testing.md` §2b and
//! `/work/wt/headless-pipewire.sh` set it up. Stopped (every process it started, by its id) when
//! dropped.

use std::fs;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The null sink's node name.
pub const SINK: &str = "headless_sink";

/// A running headless PipeWire.
pub struct PipeWireServer {
    children: Vec<Child>,
    dir: tempfile::TempDir,
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

impl PipeWireServer {
    /// Starts the server with the graph at 48 kHz and `quantum` frames, and waits until the
    /// null sink is the default sink. `Ok(Err(reason))` when the PipeWire runs must be skipped.
    pub fn start(
        quantum: u32,
        on_path: impl Fn(&str) -> Option<PathBuf>,
    ) -> std::io::Result<Result<Self, String>> {
        let missing: Vec<&str> = ["pipewire", "wireplumber", "dbus-daemon", "wpctl"]
            .into_iter()
            .filter(|p| on_path(p).is_none())
            .collect();
        if !missing.is_empty() {
            return Ok(Err(format!(
                "{} not on PATH (packages pipewire pipewire-bin wireplumber dbus; `just \
                 test-deps` installs them)",
                missing.join(", ")
            )));
        }
        let dir = tempfile::Builder::new().prefix("earmix-pw-").tempdir()?;
        let run = dir.path().join("run");
        let conf = dir.path().join("config/pipewire/pipewire.conf.d");
        fs::create_dir_all(&run)?;
        fs::create_dir_all(&conf)?;
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&run, fs::Permissions::from_mode(0o700))?;
        }
        fs::write(
            conf.join("10-headless-sink.conf"),
            format!(
                "context.properties = {{ default.clock.rate = 48000 \
                 default.clock.allowed-rates = [ 48000 ] default.clock.quantum = {quantum} \
                 default.clock.min-quantum = {quantum} }}\n\
                 context.objects = [\n  {{ factory = adapter\n    args = {{ \
                 factory.name = support.null-audio-sink node.name = \"{SINK}\"\n      \
                 media.class = \"Audio/Sink\" object.linger = true audio.position = [ FL FR ]\n      \
                 priority.session = 2000 priority.driver = 21000 }} }} ]\n"
            ),
        )?;
        let mut server = Self {
            children: Vec::new(),
            dir,
        };
        let dbus = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--nopidfile"])
            .arg(format!("--address={}", server.bus_address()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        server.children.push(dbus);
        if !wait_for(Duration::from_secs(5), || run.join("bus").exists()) {
            return Ok(Err("dbus-daemon did not start".into()));
        }
        let log = fs::File::create(server.dir.path().join("pipewire.log"))?;
        let pipewire = server
            .command("pipewire")
            .stderr(log.try_clone()?)
            .stdout(log)
            .spawn()?;
        server.children.push(pipewire);
        if !wait_for(Duration::from_secs(5), || run.join("pipewire-0").exists()) {
            return Ok(Err("pipewire did not start".into()));
        }
        let wireplumber = server.command("wireplumber").spawn()?;
        server.children.push(wireplumber);
        let ready = wait_for(Duration::from_secs(10), || {
            server
                .command("wpctl")
                .args(["inspect", "@DEFAULT_AUDIO_SINK@"])
                .stdout(Stdio::piped())
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(SINK))
        });
        if !ready {
            return Ok(Err(
                "the PipeWire null sink did not become the default sink".into(),
            ));
        }
        Ok(Ok(server))
    }

    fn runtime_dir(&self) -> PathBuf {
        self.dir.path().join("run")
    }

    fn bus_address(&self) -> String {
        format!("unix:path={}", self.runtime_dir().join("bus").display())
    }

    /// What a client process needs in its environment to reach this server.
    pub fn client_env(&self) -> Vec<(&'static str, PathBuf)> {
        vec![
            ("PIPEWIRE_RUNTIME_DIR", self.runtime_dir()),
            ("XDG_RUNTIME_DIR", self.runtime_dir()),
            (
                "DBUS_SESSION_BUS_ADDRESS",
                PathBuf::from(self.bus_address()),
            ),
        ]
    }

    /// `program` as one of the server's own programs (its configuration folder too).
    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        for (key, value) in self.client_env() {
            command.env(key, value);
        }
        command
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    }
}

impl Drop for PipeWireServer {
    fn drop(&mut self) {
        while let Some(mut child) = self.children.pop() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
