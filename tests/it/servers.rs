//! Paced sound servers for tests, each started in a private temporary folder and stopped when
//! dropped: a headless PipeWire whose null sink `headless_sink` drives the graph on its own timer
//! (`../shared/testing.md` §2b), and a JACK dummy server (§2), each under a name of its own so
//! that tests running at once do not meet. They are the benches' servers
//! (benches/common/servers.rs), started the way a test wants them.
//!
//! Both need their programs installed (`.ci/run` and `just test-deps` install them). A test that
//! needs one panics with the package names when they are missing, rather than passing without
//! having run.

use std::ops::{Deref, DerefMut};
use std::process::Stdio;

#[path = "../../benches/common/servers.rs"]
mod shared;

pub use shared::PIPEWIRE_SINK;

/// A headless PipeWire (with D-Bus and WirePlumber), its null sink at 48 kHz the default sink.
pub struct PipeWire(shared::PipeWire);

impl PipeWire {
    /// Starts the server and waits until the null sink is the default sink; panics saying why
    /// it could not.
    pub fn start() -> Self {
        Self(shared::PipeWire::start().unwrap_or_else(|e| panic!("no headless PipeWire: {e}")))
    }
}

impl Deref for PipeWire {
    type Target = shared::PipeWire;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl DerefMut for PipeWire {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

/// A JACK dummy server (`jackd --no-realtime -d dummy`) at 48 kHz.
pub struct Jack(shared::Jack);

impl Jack {
    /// Starts a server with `period` frames and waits until it accepts clients; panics saying
    /// why it could not.
    pub fn start(period: u32) -> Self {
        Self(shared::Jack::start_unique(period).unwrap_or_else(|e| panic!("no JACK server: {e}")))
    }
}

impl Deref for Jack {
    type Target = shared::Jack;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl DerefMut for Jack {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
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
    assert!(jack.ports().iter().any(|p| p == "system:playback_1"));
    jack.kill();
}
