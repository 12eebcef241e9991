//! Sessions: the model, loading and validating session files, and saving them atomically.

pub mod error;
pub mod file;
pub mod model;

pub use error::{SessionError, SessionErrors};
pub use file::{load, save};
pub use model::{Channel, Reference, Role, Section, Session, SESSION_VERSION};
