//! What the command-line verbs do, apart from argument parsing (which lives in `main.rs`).
//! Each function returns the text to print, so the wording is tested like any other output.

pub mod check;
pub mod devices;
pub mod exercise;
pub mod midi;
pub mod new;
pub mod paths;
pub mod play;
pub mod progress;
pub mod report;
pub mod sections;
