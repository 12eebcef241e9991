//! earmix: a keyboard-driven terminal mixer for people who mix by ear.
//!
//! The library holds everything but the command line: sessions ([`session`]), the mixing engine
//! and offline bounce ([`engine`]), the offline loudness and level measurement ([`analysis`]),
//! and the demo-session synthesiser ([`demo`]).

pub mod analysis;
pub mod app;
pub mod commands;
pub mod config;
pub mod console;
pub mod control;
pub mod demo;
pub mod engine;
pub mod exercise;
pub mod markers;
pub mod parallel;
pub mod scan;
pub mod session;
pub mod text;
pub mod ui;
pub mod units;
