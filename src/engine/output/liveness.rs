//! Whether the sound server behind a silent stream still answers. Runs on the supervisor thread
//! (`earmix-output`), never on the audio thread, and only while a stream has gone without a
//! callback for longer than its stall timeout: a server that answers is slow (callbacks late
//! under load), one that does not is gone.
//!
//! The probe connects to the server's Unix socket and hangs up at once. A connection to a Unix
//! socket is answered (or refused) by the kernel without waiting on the server's threads, so
//! the probe never blocks on a busy server; a server that died leaves its socket file behind
//! and the connection is refused.

use std::os::unix::net::UnixStream;
use std::path::PathBuf;

/// Whether the device or server behind a stream still answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    /// It answers: a silent stream is merely late.
    Answers,
    /// It is gone.
    Gone,
    /// This host cannot be asked (ALSA's devices, other systems).
    Unknown,
}

/// Asks the server behind `host` ("pipewire", "jack"); other hosts are [`Liveness::Unknown`].
///
/// Not realtime-safe (reads the environment, connects a socket).
pub fn probe_host(host: &str) -> Liveness {
    let socket = match host {
        "pipewire" => pipewire_socket(),
        "jack" => jack_socket(),
        _ => return Liveness::Unknown,
    };
    match socket {
        Some(path) => probe_socket(&path),
        None => Liveness::Unknown,
    }
}

/// Connects to a Unix socket and hangs up: [`Liveness::Answers`] if it was accepted,
/// [`Liveness::Gone`] if nobody listens there (refused, or the file is gone).
///
/// Not realtime-safe.
pub fn probe_socket(path: &std::path::Path) -> Liveness {
    match UnixStream::connect(path) {
        Ok(_) => Liveness::Answers,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::NotFound
            ) =>
        {
            Liveness::Gone
        }
        Err(_) => Liveness::Unknown,
    }
}

/// The `PipeWire` socket libpipewire connects to: `$PIPEWIRE_REMOTE` (default "pipewire-0") in
/// `$PIPEWIRE_RUNTIME_DIR`, else `$XDG_RUNTIME_DIR`; an absolute `$PIPEWIRE_REMOTE` as it is.
fn pipewire_socket() -> Option<PathBuf> {
    let remote = std::env::var_os("PIPEWIRE_REMOTE")
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| "pipewire-0".into());
    let remote = PathBuf::from(remote);
    if remote.is_absolute() {
        return Some(remote);
    }
    let dir = ["PIPEWIRE_RUNTIME_DIR", "XDG_RUNTIME_DIR"]
        .iter()
        .find_map(|name| std::env::var_os(name).filter(|d| !d.is_empty()))?;
    Some(PathBuf::from(dir).join(remote))
}

/// jackd2's request socket for this user: `/dev/shm/jack_<server>_<uid>_0`, the server being
/// `$JACK_DEFAULT_SERVER` or "default".
fn jack_socket() -> Option<PathBuf> {
    let server = std::env::var("JACK_DEFAULT_SERVER")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "default".to_string());
    // The owner of /proc/self is this process's effective user.
    let uid = std::os::unix::fs::MetadataExt::uid(&std::fs::metadata("/proc/self").ok()?);
    Some(PathBuf::from(format!("/dev/shm/jack_{server}_{uid}_0")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixListener;

    /// A socket someone listens on answers; once the listener is gone (its file left behind, as
    /// a killed server leaves it) it does not; a missing file is gone too.
    #[test]
    fn socket_probe() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("server-0");
        let listener = UnixListener::bind(&path).expect("bind");
        assert_eq!(probe_socket(&path), Liveness::Answers);
        drop(listener);
        assert!(path.exists());
        assert_eq!(probe_socket(&path), Liveness::Gone);
        assert_eq!(probe_socket(&dir.path().join("nothing")), Liveness::Gone);
        assert_eq!(probe_host("alsa"), Liveness::Unknown);
    }
}
