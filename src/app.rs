//! The console's model (UI thread): actions, the keymap, undo and the edit journal. Keys map
//! through the keymap to an [`action::Action`]; one `update` applies it (later in this module).

pub mod action;
pub mod context;
pub mod keymap;

pub mod edit;
pub mod effect;
pub mod exercises;
pub mod journal;
pub mod mixer;
pub mod mode;
pub mod notice;
pub mod rides;
pub mod snapshots;
pub mod state;
pub mod undo;
pub mod versions;
