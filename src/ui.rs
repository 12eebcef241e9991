//! The console's drawing side (UI thread): widgets and the time-based meter ballistics they show.

pub mod ballistics;
