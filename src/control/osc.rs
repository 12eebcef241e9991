//! The OSC remote control (threads of its own, never the audio thread): a UDP server that
//! turns earmix's OSC addresses into [`crate::control::Input`]s and sends feedback to the
//! peers that subscribe, so `TouchOSC` or Open Stage Control can be a fader surface.
//!
//! Off unless `[osc] enabled` or `--osc PORT` turns it on; bound to 127.0.0.1 unless an
//! address is given, and then only peers on the allow-list are heard. `docs/osc.md` is the
//! address space. [`address`] reads packets, [`feedback`] writes what changed, [`server`] runs
//! the sockets.

pub mod address;
pub mod allow;
pub mod feedback;
pub mod server;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use crate::control::Starter;

pub use allow::PeerRange;

/// The port earmix listens on unless told otherwise (`TouchOSC`'s and Open Stage Control's
/// usual "send to" port).
pub const DEFAULT_PORT: u16 = 9000;

/// `[osc]`: the OSC server's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OscConfig {
    /// The server runs.
    pub enabled: bool,
    /// The UDP port it listens on.
    pub port: u16,
    /// The address it binds to (127.0.0.1: this machine only).
    pub address: IpAddr,
    /// The peers it hears; empty: any peer that can reach the address (allowed only on a
    /// loopback address).
    pub allow: Vec<PeerRange>,
}

impl Default for OscConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            port: DEFAULT_PORT,
            address: IpAddr::V4(Ipv4Addr::LOCALHOST),
            allow: Vec::new(),
        }
    }
}

impl OscConfig {
    /// Where the server listens.
    pub fn socket_address(&self) -> SocketAddr {
        SocketAddr::new(self.address, self.port)
    }

    /// Why these settings may not be used: bound to anything but loopback with no allow-list,
    /// the whole network could move the faders.
    pub fn check(&self) -> Result<(), String> {
        if self.address.is_loopback() || !self.allow.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "the OSC server on {} needs an allow-list of the peers that may control earmix \
                 ([osc] allow = [\"192.168.1.0/24\"] or --osc-allow); without one it listens \
                 on 127.0.0.1 only",
                self.address
            ))
        }
    }
}

/// Starts the OSC server once the console is up (it binds the socket then, and a port in use
/// is a message in the console, not a failed start).
pub fn starter(config: &OscConfig) -> Starter {
    let config = config.clone();
    Box::new(move |sender, board| {
        config.check()?;
        let server = server::Server::start(&config, sender, board)?;
        Ok(Box::new(server) as Box<dyn crate::control::Running>)
    })
}
