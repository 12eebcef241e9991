//! /proc helpers shared by the benchmarks (included with `#[path]`). Linux only.

use std::process::Command;

/// /proc clock ticks per second (`getconf CLK_TCK`, almost always 100).
pub fn clock_ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .parse::<f64>()
                .ok()
        })
        .filter(|&t| t > 0.0)
        .unwrap_or(100.0)
}
