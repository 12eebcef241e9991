//! Guided exercises (issue 6): scoring a balance against a target, the role targets the
//! Blindfold Balance Test compares with, and the progress history every finished exercise is
//! recorded in.

pub mod history;
pub mod score;
pub mod targets;
