//! Sessions: the model, loading and validating session files, and saving them atomically.

pub mod automation;
mod edit;
pub mod error;
pub mod file;
pub mod limits;
pub(crate) mod locate;
pub mod lock;
pub mod model;
mod raw;
pub(crate) mod sections;
pub mod snapshot;
pub mod tempo;
mod validate;

pub use automation::{Group, HeardLevels, RIDE_TOLERANCE_DB, Ride, RidePoint, thin};
pub use edit::{to_toml_string, update_toml_string};
pub use error::{SaveError, SessionError, SessionErrors};
pub use file::{load, save};
pub use model::{
    Channel, DEFAULT_SCENE_RAMP_MS, MAX_SCENE_RAMP_MS, Reference, ReferenceMap, Role,
    SESSION_VERSION, Section, Session,
};
pub use snapshot::{SceneSnapshot, Snapshot};
pub use validate::{MAX_SAMPLE_RATE, MIN_SAMPLE_RATE};
