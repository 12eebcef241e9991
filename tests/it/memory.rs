//! What the real binary holds in memory while it plays large sessions: the stream memory budget
//! (`[audio] stream_memory_mb`) bounds it, and earmix says what the budget made it give up.
//! Linux only: the peak is read from /proc.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{TempSession, earmix_in, signal, write_wav_i24};

/// What earmix holds besides its streams (code, libraries, the output, loudness and UI
/// threads), with room to spare: its peak playing a one-stem session, minus that stem's
/// streams, was 12 MiB.
const REST_MIB: u64 = 24;

/// The default budget, in MiB (config/default.toml).
const DEFAULT_BUDGET_MIB: u64 = 512;

/// Runs `command` to its end and returns its exit success, its stderr and its peak resident
/// memory in MiB (`VmHWM`, read from /proc every 2 ms while it runs; the peak only grows, and
/// comes when the streams open and fill, long before the end).
fn run_measured(mut command: Command) -> (bool, String, u64) {
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status_path = format!("/proc/{}/status", child.id());
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut peak_kib = 0;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "earmix did not stop");
        let hwm = std::fs::read_to_string(&status_path)
            .ok()
            .and_then(|text| {
                let line = text.lines().find_map(|l| l.strip_prefix("VmHWM:"))?;
                line.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .unwrap_or(0);
        peak_kib = peak_kib.max(hwm);
        std::thread::sleep(Duration::from_millis(2));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    (status.success(), stderr, peak_kib.div_ceil(1024))
}

/// A session of `channels` channels all playing one stereo stem of `seconds` seconds, with
/// `sections` sections spread over its first `spread` seconds.
fn big_session(
    ts: &TempSession,
    channels: usize,
    seconds: f64,
    sections: usize,
    spread: f64,
) -> PathBuf {
    let frames = (seconds * 48_000.0) as usize;
    write_wav_i24(
        &ts.path("stems/loop.wav"),
        48_000,
        &[signal(frames, 1, 0.3), signal(frames, 2, 0.3)],
    );
    let mut text = String::from("version = 1\nname = \"Big\"\nsample_rate = 48000\n");
    for c in 0..channels {
        let _ = writeln!(
            text,
            "[[channel]]\nname = \"C{c}\"\nfile = \"stems/loop.wav\"\ngain_db = -30.0"
        );
    }
    for s in 0..sections {
        let ms = (spread * 1000.0 * s as f64 / sections as f64).round() as u64;
        let _ = writeln!(
            text,
            "[[section]]\nname = \"S{s}\"\nstart = \"{}:{:02}.{:03}\"",
            ms / 60_000,
            ms / 1000 % 60,
            ms % 1000
        );
    }
    ts.write_session(&text)
}

/// `earmix play SESSION --no-ui --output null --seconds 1`, measured.
fn play(home: &Path, session: &Path, config: Option<&Path>) -> (bool, String, u64) {
    let mut c = earmix_in(home);
    c.arg("play").arg(session);
    if let Some(config) = config {
        c.arg("--config").arg(config);
    }
    c.args(["--no-ui", "--output", "null", "--seconds", "1"]);
    run_measured(c)
}

/// What `earmix check` says the streams may hold, in MiB ("stream memory: up to N MiB").
fn planned_mib(home: &Path, session: &Path, config: Option<&Path>) -> u64 {
    let mut c = earmix_in(home);
    c.arg("check").arg(session);
    if let Some(config) = config {
        c.arg("--config").arg(config);
    }
    let out = c.output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let rest = stdout
        .split("stream memory: up to ")
        .nth(1)
        .unwrap_or_else(|| panic!("no stream memory line in:\n{stdout}"));
    rest.split(" MiB").next().unwrap().parse().unwrap()
}

/// Two stereo stems with 1000 sections play within the default budget (they held 1.5 GiB when
/// every section start got a 2.7 s cache per stem), within what `earmix check` plans for them,
/// and earmix says that jumps to most section starts will wait for the disk.
#[test]
fn a_thousand_sections_play_within_the_default_budget() {
    let ts = TempSession::new();
    let home = ts.path("home");
    // 1000 sections in the first 10 s; 3 s more so the last caches fill whole.
    let session = big_session(&ts, 2, 13.0, 1000, 10.0);
    let (ok, stderr, peak) = play(&home, &session, None);
    assert!(ok, "{stderr}");
    assert!(
        peak <= DEFAULT_BUDGET_MIB + REST_MIB,
        "peak {peak} MiB for the {DEFAULT_BUDGET_MIB} MiB budget + {REST_MIB} MiB for the rest"
    );
    let planned = planned_mib(&home, &session, None);
    assert!(planned <= DEFAULT_BUDGET_MIB, "{planned} MiB planned");
    assert!(
        peak <= planned + REST_MIB,
        "peak {peak} MiB, planned {planned} MiB + {REST_MIB} MiB for the rest"
    );
    assert!(
        stderr.contains(
            "Jumps to 936 of 1000 section starts will wait for the disk: earmix keeps at most 64 \
             places per stem loaded"
        ),
        "{stderr}"
    );
}

/// 100 stereo channels with 20 sections in a budget of 128 MiB: earmix gives up the spare
/// caches, reads 0.34 s ahead and still gives up most section starts, says so, and its peak
/// stays within the budget.
#[test]
fn a_small_budget_gives_up_section_starts_and_says_so() {
    let ts = TempSession::new();
    let home = ts.path("home");
    let session = big_session(&ts, 100, 3.0, 20, 2.0);
    let config = ts.path("budget.toml");
    std::fs::write(&config, "version = 1\n[audio]\nstream_memory_mb = 128\n").unwrap();
    let (ok, stderr, peak) = play(&home, &session, Some(&config));
    assert!(ok, "{stderr}");
    assert!(
        peak <= 128 + REST_MIB,
        "peak {peak} MiB for a 128 MiB budget + {REST_MIB} MiB for the rest"
    );
    // 128 MiB for 100 stems is 1310 KiB each: at 0.34 s each buffer is 128 KiB, and with 104
    // KiB of fixed part the read-ahead, the seek cache, one cache moved aside and six caches
    // (the session start's and five more section starts) take 1256 KiB; seven would take 1384.
    assert!(
        stderr.contains(
            "Memory budget 128 MiB: jumps to 14 of 20 section starts will wait for the disk, and \
             so will jumps to sections you add (raise [audio] stream_memory_mb to "
        ),
        "{stderr}"
    );
    assert!(planned_mib(&home, &session, Some(&config)) <= 128);
}

/// 256 stereo stems with 12 sections play in the default budget with every section start loaded
/// (so a jump to one plays at once) and under 1 GiB resident: earmix gives up only the spare
/// caches (for sections added while the session is open) and says so. Before the 0.34 s
/// read-ahead it kept 4 of the 12 section starts.
#[test]
fn two_hundred_fifty_six_stems_with_twelve_sections_keep_every_section_start_under_a_gib() {
    let ts = TempSession::new();
    let home = ts.path("home");
    // 12 sections in the first 11 s; 1 s more so the last caches fill whole.
    let session = big_session(&ts, 256, 12.0, 12, 11.0);
    let (ok, stderr, peak) = play(&home, &session, None);
    assert!(ok, "{stderr}");
    assert!(
        !stderr.contains("section starts will wait"),
        "a section start was given up:\n{stderr}"
    );
    assert!(
        stderr.contains(
            "Memory budget 512 MiB: jumps to sections you add will wait for the disk (raise \
             [audio] stream_memory_mb to "
        ),
        "{stderr}"
    );
    let planned = planned_mib(&home, &session, None);
    assert!(planned <= DEFAULT_BUDGET_MIB, "{planned} MiB planned");
    assert!(
        peak <= planned + REST_MIB,
        "peak {peak} MiB, planned {planned} MiB + {REST_MIB} MiB for the rest"
    );
    assert!(peak < 1024, "peak {peak} MiB");
}
