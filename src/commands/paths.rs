//! Where earmix keeps things: the demo sessions and its log file.

use std::path::PathBuf;

/// The `demo-sessions` folder of the checkout this binary was built from, when it still exists
/// (running from a clone of the repository).
pub fn checkout_demo_root() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("demo-sessions");
    dir.join("folk-arc")
        .join("session.toml")
        .is_file()
        .then_some(dir)
}

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "earmix")
}

/// Where the demo sessions live: the checkout's `demo-sessions/` when built from one, else
/// `demo-sessions/` in the user's XDG data directory.
pub fn demo_root() -> PathBuf {
    checkout_demo_root()
        .or_else(|| project_dirs().map(|d| d.data_dir().join("demo-sessions")))
        .unwrap_or_else(|| PathBuf::from("demo-sessions"))
}

/// The log file (tracing writes here, never to the console), in the XDG state or data directory.
pub fn log_file() -> Option<PathBuf> {
    let dirs = project_dirs()?;
    let dir = dirs
        .state_dir()
        .unwrap_or_else(|| dirs.data_local_dir())
        .to_path_buf();
    Some(dir.join("earmix.log"))
}
