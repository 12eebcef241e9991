//! Loading and saving session files (placeholder replaced by the session file work).
use std::path::Path;
use super::{Session, SessionErrors};
/// Loads, validates and probes a session file.
pub fn load(_path: &Path) -> Result<Session, SessionErrors> { todo!() }
/// Saves a session atomically.
pub fn save(_session: &Session) -> Result<(), SessionErrors> { todo!() }
