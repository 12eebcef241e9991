//! The console's drawing side (UI thread): widgets and the time-based meter ballistics they show.

pub mod ballistics;
pub mod draw;
pub mod hits;
pub mod view;
pub mod widgets;

pub use draw::{MIN_HEIGHT, MIN_WIDTH, Mixer, MixerState, draw};
