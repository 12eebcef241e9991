//! Keeps stderr off the screen while the console owns the terminal (UI thread).
//!
//! Libraries below earmix (alsa-lib, libjack) print warnings straight to file descriptor 2,
//! which would scribble over the mixer. While a [`Redirect`] lives, fd 2 points at the log file;
//! dropping it (or [`restore_now`], from the panic hook) puts the terminal back.

use std::fs::OpenOptions;
use std::os::fd::OwnedFd;
use std::path::Path;
use std::sync::Mutex;

/// The real stderr while it is redirected (the panic hook restores it from here).
static SAVED: Mutex<Option<OwnedFd>> = Mutex::new(None);

/// While alive, fd 2 writes to the log file.
#[derive(Debug)]
pub struct Redirect(());

impl Redirect {
    /// Points fd 2 at `log` (appending). `None` when that cannot be done; stderr is then left
    /// alone.
    pub fn to_file(log: &Path) -> Option<Redirect> {
        if let Some(dir) = log.parent() {
            std::fs::create_dir_all(dir).ok()?;
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .ok()?;
        let saved = nix::unistd::dup(std::io::stderr()).ok()?;
        nix::unistd::dup2_stderr(&file).ok()?;
        if let Ok(mut slot) = SAVED.lock() {
            *slot = Some(saved);
        }
        Some(Redirect(()))
    }
}

impl Drop for Redirect {
    fn drop(&mut self) {
        restore_now();
    }
}

/// Puts the real stderr back now (idempotent).
pub fn restore_now() {
    let saved = match SAVED.lock() {
        Ok(mut slot) => slot.take(),
        Err(poisoned) => poisoned.into_inner().take(),
    };
    if let Some(fd) = saved {
        let _ = nix::unistd::dup2_stderr(&fd);
    }
}
