//! /proc helpers shared by the benchmarks (included with `#[path]`). Linux only.

use std::fs;
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

/// The CPU model from /proc/cpuinfo ("unknown CPU" when it cannot be read).
pub fn cpu_model() -> String {
    fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string())
}
