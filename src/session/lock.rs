//! One earmix per session (UI thread; not realtime-safe: file I/O): an advisory lock beside the
//! session file, `song.toml.earmix-lock`, held by the console that edits the session.
//!
//! The lock is an exclusive `flock` on that file, which the kernel releases however the holder
//! ends (`q`, a signal, a crash, `kill -9`), so a lock is never left stale by a dead process.
//! The file also says who holds it (pid, host, since when), so a second earmix can say "already
//! open in earmix (pid N)". Where the file system does not lock, the pid and host decide: a
//! lock naming a process that no longer runs on this host is stale and taken over.
//!
//! ```text
//! pid = 4242
//! host = "studio"
//! since = "2026-12-06T21:40:00Z"
//! ```
//!
//! `check`, `report` and `bounce` only read the session and take no lock.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read as _, Seek as _, Write as _};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};

/// What is appended to the session file's name to name its lock.
pub const LOCK_SUFFIX: &str = ".earmix-lock";

/// The lock beside a session file: `song.toml` -> `song.toml.earmix-lock`.
pub fn lock_path(session_path: &Path) -> PathBuf {
    let mut name = OsString::from(session_path.as_os_str());
    name.push(LOCK_SUFFIX);
    PathBuf::from(name)
}

/// Why the lock could not be taken or read.
#[derive(Debug, thiserror::Error)]
#[error("{}: {action}: {error}", path.display())]
pub struct LockError {
    /// The lock file.
    pub path: PathBuf,
    /// What was being done.
    pub action: &'static str,
    /// The operating system's error.
    pub error: io::Error,
}

/// Who holds a session's lock, as its lock file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// The holder's process id (0 when the file does not say).
    pub pid: u32,
    /// The holder's host name (empty when the file does not say).
    pub host: String,
    /// When it took the lock, as written ("2026-12-06T21:40:00Z"), if the file says.
    pub since: Option<String>,
}

impl Owner {
    /// This process.
    fn me() -> Self {
        Self {
            pid: std::process::id(),
            host: host_name(),
            since: Some(crate::exercise::history::rfc3339_utc(
                std::time::SystemTime::now(),
            )),
        }
    }

    /// The lock file's text.
    fn to_text(&self) -> String {
        let mut text = format!(
            "pid = {}\nhost = {}\n",
            self.pid,
            toml_edit::Value::from(self.host.as_str())
        );
        if let Some(since) = &self.since {
            let _ = writeln!(text, "since = {}", toml_edit::Value::from(since.as_str()));
        }
        text
    }

    /// Reads a lock file's text; what it does not say is left empty.
    fn parse(text: &str) -> Self {
        let table: toml::Table = text.parse().unwrap_or_default();
        Self {
            pid: table
                .get("pid")
                .and_then(toml::Value::as_integer)
                .and_then(|p| u32::try_from(p).ok())
                .unwrap_or(0),
            host: table
                .get("host")
                .and_then(toml::Value::as_str)
                .unwrap_or_default()
                .to_string(),
            since: table
                .get("since")
                .and_then(toml::Value::as_str)
                .map(str::to_string),
        }
    }

    /// Whether this names an earmix process that runs on this host now.
    fn is_alive_here(&self) -> bool {
        if self.pid == 0 || self.host != host_name() || self.pid == std::process::id() {
            return false;
        }
        let Ok(pid) = i32::try_from(self.pid) else {
            return false;
        };
        match nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None) {
            Ok(()) | Err(Errno::EPERM) => {}
            Err(_) => return false,
        }
        // A pid taken over by another program since: not an earmix.
        match fs::read_to_string(format!("/proc/{pid}/comm")) {
            Ok(comm) => comm.trim().starts_with("earmix"),
            Err(_) => true,
        }
    }
}

impl std::fmt::Display for Owner {
    /// "pid 4242", "pid 4242 on studio" when it is another host.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.pid == 0 {
            f.write_str("pid unknown")?;
        } else {
            write!(f, "pid {}", self.pid)?;
        }
        if !self.host.is_empty() && self.host != host_name() {
            // A name from a file: control characters shown, never sent to the terminal.
            write!(f, " on {}", crate::text::escape(&self.host))?;
        }
        Ok(())
    }
}

/// This machine's name, as the lock file records it.
fn host_name() -> String {
    nix::unistd::gethostname()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The lock held on a session while its console runs. Dropping it removes the lock file and
/// releases the lock; the kernel releases it anyway when the process ends.
#[derive(Debug)]
pub struct SessionLock {
    path: PathBuf,
    /// The locked file; `None` where the file system cannot lock (the pid and host decide).
    file: Option<Flock<File>>,
}

/// What [`acquire`] found.
#[derive(Debug)]
pub enum Acquired {
    /// The session is ours to edit.
    Locked(SessionLock),
    /// Another earmix has it open.
    Held(Owner),
}

/// Takes the lock of the session at `session_path`, or says who holds it.
pub fn acquire(session_path: &Path) -> Result<Acquired, LockError> {
    let path = lock_path(session_path);
    let failed = |action| {
        let path = path.clone();
        move |error| LockError {
            path,
            action,
            error,
        }
    };
    // A holder that lets go between our open and our lock removes the file we opened: then
    // look again at whatever is there now.
    for _ in 0..8 {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(failed("cannot open the session's lock file"))?;
        match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(mut locked) => {
                if !same_file(&locked, &path) {
                    continue;
                }
                // The lock is free. A live earmix named in it means a file system whose locks
                // do not reach that earmix: the pid decides then.
                let owner = read_owner(&mut locked).map_err(failed("cannot read the lock"))?;
                if owner.is_alive_here() {
                    return Ok(Acquired::Held(owner));
                }
                write_owner(&mut locked).map_err(failed("cannot write the lock"))?;
                return Ok(Acquired::Locked(SessionLock {
                    path,
                    file: Some(locked),
                }));
            }
            Err((mut file, Errno::EWOULDBLOCK)) => {
                let owner = read_owner(&mut file).map_err(failed("cannot read the lock"))?;
                return Ok(Acquired::Held(owner));
            }
            Err((mut file, errno)) => {
                // No locks on this file system: the pid and host decide.
                tracing::warn!(
                    "{}: cannot lock ({errno}); going by its pid",
                    path.display()
                );
                let owner = read_owner(&mut file).map_err(failed("cannot read the lock"))?;
                if owner.is_alive_here() {
                    return Ok(Acquired::Held(owner));
                }
                write_owner(&mut file).map_err(failed("cannot write the lock"))?;
                return Ok(Acquired::Locked(SessionLock { path, file: None }));
            }
        }
    }
    Err(LockError {
        path: path.clone(),
        action: "cannot take the lock",
        error: io::Error::other("its file kept being replaced"),
    })
}

/// Whether `path` still names the file `file` has open.
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

fn read_owner(file: &mut File) -> io::Result<Owner> {
    let mut text = String::new();
    file.rewind()?;
    // A lock file is a few lines: anything longer or not text says nothing.
    let mut bytes = Vec::new();
    file.take(4096).read_to_end(&mut bytes)?;
    text.push_str(&String::from_utf8_lossy(&bytes));
    Ok(Owner::parse(&text))
}

fn write_owner(file: &mut File) -> io::Result<()> {
    file.set_len(0)?;
    file.rewind()?;
    file.write_all(Owner::me().to_text().as_bytes())?;
    file.sync_data()
}

impl SessionLock {
    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for SessionLock {
    fn drop(&mut self) {
        // Removed while still locked, so no one takes a lock on a file about to go.
        let ours = match &self.file {
            Some(file) => same_file(file, &self.path),
            None => fs::read_to_string(&self.path)
                .is_ok_and(|text| Owner::parse(&text).pid == std::process::id()),
        };
        if ours && let Err(e) = fs::remove_file(&self.path) {
            tracing::warn!("{}: cannot remove the lock: {e}", self.path.display());
        }
        drop(self.file.take());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("song.toml");
        fs::write(&path, "version = 1\n").unwrap();
        (dir, path)
    }

    /// The first open takes the lock and writes who holds it; a second is told who; once the
    /// first lets go the file is gone and the next open takes it.
    #[test]
    fn one_holder_at_a_time() {
        let (_dir, path) = session();
        let Acquired::Locked(lock) = acquire(&path).unwrap() else {
            panic!("the first open takes the lock");
        };
        let text = fs::read_to_string(lock_path(&path)).unwrap();
        let owner = Owner::parse(&text);
        assert_eq!(owner.pid, std::process::id());
        assert_eq!(owner.host, host_name());
        assert!(owner.since.is_some(), "{text}");
        // flock locks belong to the open file: a second open in this process is refused too.
        match acquire(&path).unwrap() {
            Acquired::Held(held) => assert_eq!(held, owner),
            Acquired::Locked(_) => panic!("two holders"),
        }
        drop(lock);
        assert!(
            !lock_path(&path).exists(),
            "letting go removes the lock file"
        );
        assert!(matches!(acquire(&path).unwrap(), Acquired::Locked(_)));
    }

    /// A lock file left by a process that no longer runs (no lock held on it) is taken over,
    /// and so is one naming a live process that is not earmix, or another host's process.
    #[test]
    fn a_stale_lock_file_is_taken_over() {
        let (_dir, path) = session();
        for text in [
            format!("pid = {}\nhost = \"{}\"\n", i32::MAX - 7, host_name()),
            format!("pid = 1\nhost = \"{}\"\n", host_name()),
            "pid = 77\nhost = \"elsewhere\"\n".to_string(),
            "\u{0}\u{1b}garbage".to_string(),
        ] {
            fs::write(lock_path(&path), &text).unwrap();
            let Acquired::Locked(lock) = acquire(&path).unwrap() else {
                panic!("{text:?} held the session");
            };
            assert_eq!(
                Owner::parse(&fs::read_to_string(lock.path()).unwrap()).pid,
                std::process::id()
            );
        }
    }

    /// The owner reads "pid N", with the host only when it is another machine's.
    #[test]
    fn owners_read_as_pid_and_host() {
        let here = Owner {
            pid: 42,
            host: host_name(),
            since: None,
        };
        assert_eq!(here.to_string(), "pid 42");
        let there = Owner {
            pid: 42,
            host: "studio\u{1b}[2J".into(),
            since: None,
        };
        assert_eq!(there.to_string(), "pid 42 on studio\\e[2J");
        assert_eq!(Owner::parse(&there.to_text()), there);
    }
}
