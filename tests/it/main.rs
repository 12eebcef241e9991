//! earmix's integration tests: one crate, one module per area.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::many_single_char_names
)]

// Every test runs under the allocation checker; `assert_no_alloc` sections fail on any
// allocation (counted per thread, see `support::assert_realtime`).
#[global_allocator]
static ALLOCATOR: assert_no_alloc::AllocDisabler = assert_no_alloc::AllocDisabler;

mod bounce;
#[cfg(target_os = "linux")]
mod capacity;
mod cli;
mod consistency;
mod console;
mod damage;
mod demo;
#[cfg(target_os = "linux")]
mod dropouts;
mod exercise;
mod fuzz;
mod gapless;
mod guess;
mod hostile;
#[cfg(target_os = "linux")]
mod hosts;
#[cfg(target_os = "linux")]
mod learn;
mod lifecycle;
mod markers;
#[cfg(target_os = "linux")]
mod memory;
#[cfg(target_os = "linux")]
mod midi;
mod mixer;
mod monitor;
mod mouse;
mod new;
mod osc;
mod output;
mod pan_drill;
mod park;
mod placement;
mod playback;
mod realtime;
mod reference;
mod report;
mod rides;
mod rides_console;
mod scenes;
#[cfg(target_os = "linux")]
mod servers;
mod session;
mod snapshots;
mod support;
