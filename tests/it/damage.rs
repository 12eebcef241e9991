//! Damaged stems through the real binary: files cut short (a FLAC made by the flac tool and cut
//! in half, a WAV cut in half, a header claiming hours over half a second of data), NaN and
//! infinite samples, and stem paths that are symbolic link loops. One exit status rule for
//! check, bounce, report and play --no-ui: 0 all well, 1 could not do the work, 3 done but a
//! stem was damaged, named on stderr with what happened and where.

use std::path::{Path, PathBuf};
use std::process::Command;

use earmix::units::Seconds;

use crate::console::{Console, home_in};
use crate::support::{TempSession, earmix, read_wav, write_wav_f32, write_wav_i24};

const RATE: u32 = 48_000;

/// What a run of the binary left: its exit code, stdout and stderr.
struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str], session: &Path) -> Ran {
    let out = earmix()
        .arg(args[0])
        .arg(session)
        .args(&args[1..])
        .output()
        .unwrap();
    let ran = Ran {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(!ran.stderr.contains("panicked"), "{}", ran.stderr);
    ran
}

/// The lines of `stderr` that start with "warning:".
fn warnings(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.starts_with("warning:"))
        .collect()
}

/// A sine as 16-bit values scaled back to floats (so a 16-bit file holds it exactly).
fn sine16(frames: usize, freq: f32, amp: f32) -> Vec<f32> {
    (0..frames)
        .map(|i| {
            let x = amp * (std::f32::consts::TAU * freq * i as f32 / RATE as f32).sin();
            (x * 32_768.0).round() / 32_768.0
        })
        .collect()
}

/// Writes a mono 16-bit WAV.
fn write_wav_i16(path: &Path, samples: &[f32]) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for &x in samples {
        w.write_sample((x * 32_768.0) as i16).unwrap();
    }
    w.finalize().unwrap();
}

/// Tone (a WAV panned hard left) and Bass (a FLAC the flac tool made of 2 s, cut in half, panned
/// hard right), both 2 s long by their headers. Returns the session, Tone's samples, and Bass's
/// samples as sox (libFLAC) decodes them from the cut file: the data it holds.
fn truncated_flac(ts: &TempSession) -> (PathBuf, Vec<f32>, Vec<f32>) {
    let tone = sine16(2 * RATE as usize, 440.0, 0.3);
    write_wav_i16(&ts.path("stems/tone.wav"), &tone);
    let bass = sine16(2 * RATE as usize, 110.0, 0.5);
    write_wav_i16(&ts.path("bass.wav"), &bass);
    let flac = ts.path("stems/half.flac");
    let made = Command::new("flac")
        .args(["-s", "-f", "-o"])
        .arg(&flac)
        .arg(ts.path("bass.wav"))
        .status()
        .expect("the flac tool (Debian package flac)");
    assert!(made.success());
    let bytes = std::fs::read(&flac).unwrap();
    std::fs::write(&flac, &bytes[..bytes.len() / 2]).unwrap();
    // sox stops with an error at the cut, having written what it decoded.
    let decoded = ts.path("decoded.wav");
    let _ = Command::new("sox")
        .arg(&flac)
        .arg(&decoded)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("sox (Debian package sox)");
    let data = read_wav(&decoded).1.remove(0);
    assert!(
        data.len() > RATE as usize / 4 && data.len() < 2 * RATE as usize,
        "{}",
        data.len()
    );
    let session = ts.write_session(
        r#"version = 1
name = "Cut"

[[channel]]
name = "Tone"
file = "stems/tone.wav"
pan = -1.0

[[channel]]
name = "Bass"
file = "stems/half.flac"
pan = 1.0
"#,
    );
    (session, tone, data)
}

/// A FLAC cut in half is named the same way by check, bounce, report and play --no-ui, with
/// the time decoding stopped (where sox's libFLAC stops too) and the header's length, and all
/// four exit 3; the bounce still completes and holds the stem's data up to there and silence
/// after it.
#[test]
fn a_truncated_flac_is_named_with_the_time_decoding_stopped() {
    let ts = TempSession::new();
    let (session, tone, data) = truncated_flac(&ts);
    let want = format!(
        "warning: stems/half.flac: decoding stopped at {} (the file ends early; its header says \
         0:02.000); silent from there",
        Seconds::from_frames(data.len() as u64, RATE)
    );
    let out = ts.path("mix.wav");
    for args in [
        vec!["check"],
        vec!["bounce", "-o", out.to_str().unwrap()],
        vec!["report"],
        vec!["play", "--no-ui", "--output", "null"],
    ] {
        let ran = run(&args, &session);
        assert_eq!(ran.code, Some(3), "{args:?}: {}", ran.stderr);
        assert_eq!(warnings(&ran.stderr), [want.as_str()], "{args:?}");
        if args[0] != "play" {
            assert!(
                !ran.stdout.is_empty(),
                "{args:?}: the work is done and printed"
            );
        }
    }
    let (spec, mix) = read_wav(&out);
    assert_eq!(spec.sample_format, hound::SampleFormat::Float);
    assert_eq!(mix[0], tone, "Tone, hard left, untouched");
    let n = data.len();
    assert_eq!(mix[1].len(), 2 * RATE as usize);
    assert_eq!(
        mix[1][..n],
        data[..],
        "Bass, hard right, as far as its data"
    );
    assert!(mix[1][n..].iter().all(|x| *x == 0.0), "silent after it");
}

/// A WAV cut in half and a WAV whose header claims six hours over half a second: check names
/// both lengths of each and exits 3; the stems are as long as their data (the session is 2 s,
/// not six hours), and the bounce plays the data there is, then silence.
#[test]
fn a_wav_cut_short_is_named_with_both_lengths() {
    let ts = TempSession::new();
    let full = sine16(2 * RATE as usize, 330.0, 0.4);
    let both: Vec<Vec<f32>> = vec![full.clone(), full.iter().map(|x| -x).collect()];
    write_wav_i24(&ts.path("stems/cut.wav"), RATE, &both);
    let bytes = std::fs::read(ts.path("stems/cut.wav")).unwrap();
    // The header, then 6 bytes a frame: keep the first second.
    let header = bytes.len() - 2 * RATE as usize * 6;
    std::fs::write(
        ts.path("stems/cut.wav"),
        &bytes[..header + RATE as usize * 6],
    )
    .unwrap();
    let half_second = sine16(RATE as usize / 2, 220.0, 0.2);
    write_wav_i16(&ts.path("stems/claim.wav"), &half_second);
    let mut bytes = std::fs::read(ts.path("stems/claim.wav")).unwrap();
    let six_hours = 6 * 3_600 * RATE * 2;
    bytes[40..44].copy_from_slice(&six_hours.to_le_bytes());
    bytes[4..8].copy_from_slice(&(36 + six_hours).to_le_bytes());
    std::fs::write(ts.path("stems/claim.wav"), &bytes).unwrap();
    let session = ts.write_session(
        r#"version = 1
name = "Short"

[[channel]]
name = "Cut"
file = "stems/cut.wav"

[[channel]]
name = "Claim"
file = "stems/claim.wav"
"#,
    );
    let check = run(&["check"], &session);
    assert_eq!(check.code, Some(3), "{}", check.stderr);
    assert_eq!(
        warnings(&check.stderr),
        [
            "warning: stems/cut.wav: decoding stopped at 0:01.000 (the file ends early; its \
             header says 0:02.000); silent from there",
            "warning: stems/claim.wav: decoding stopped at 0:00.500 (the file ends early; its \
             header says 360:00.000); silent from there",
        ]
    );
    assert!(
        check.stdout.contains("2 channels, 48000 Hz, 0:01.000"),
        "{}",
        check.stdout
    );
    let out = ts.path("mix.wav");
    let bounce = run(&["bounce", "-o", out.to_str().unwrap()], &session);
    assert_eq!(bounce.code, Some(3), "{}", bounce.stderr);
    assert_eq!(warnings(&bounce.stderr).len(), 2, "{}", bounce.stderr);
    let mix = read_wav(&out).1;
    assert_eq!(mix[0].len(), RATE as usize);
    // The cut stem is stereo (its own channels), the claiming one mono at -3 dB each side.
    let centre = std::f32::consts::FRAC_1_SQRT_2;
    for i in [
        0,
        1_000,
        RATE as usize / 2 - 1,
        RATE as usize / 2,
        RATE as usize - 1,
    ] {
        let claim = half_second.get(i).copied().unwrap_or(0.0) * centre;
        assert!((mix[0][i] - (both[0][i] + claim)).abs() < 1e-5, "frame {i}");
        assert!((mix[1][i] - (both[1][i] + claim)).abs() < 1e-5, "frame {i}");
    }
}

/// Writes a stereo float stem with NaN in frames 24000..24010 on the left, +inf at frame 30000
/// on the right and -inf at frame 100 on the left: 12 non-finite samples, the first at 0:00.002.
fn nan_stem(ts: &TempSession) -> (PathBuf, Vec<Vec<f32>>) {
    let frames = RATE as usize;
    let mut left = sine16(frames, 500.0, 0.5);
    let mut right = sine16(frames, 700.0, 0.25);
    let clean = vec![left.clone(), right.clone()];
    for x in &mut left[24_000..24_010] {
        *x = f32::NAN;
    }
    right[30_000] = f32::INFINITY;
    left[100] = f32::NEG_INFINITY;
    write_wav_f32(&ts.path("stems/nan.wav"), RATE, &[left, right]);
    let session = ts.write_session(
        r#"version = 1
name = "Nan"

[[channel]]
name = "Pad"
file = "stems/nan.wav"
"#,
    );
    (session, clean)
}

/// NaN and infinite samples in a float stem become silence: check and bounce count them and
/// give the first one's time (exit 3); the bounce holds exact zeros there and the stem's
/// samples everywhere else, so its peak is a number, not "-inf"; report measures finite
/// figures; a bounce of a stretch without them is clean (exit 0), and one that holds some
/// counts only those.
#[test]
fn non_finite_samples_become_silence_and_are_counted() {
    let ts = TempSession::new();
    let (session, clean) = nan_stem(&ts);
    let twelve = "warning: stems/nan.wav: 12 non-finite samples (NaN or infinity), the first at \
                  0:00.002; played as silence";
    let check = run(&["check"], &session);
    assert_eq!(check.code, Some(3), "{}", check.stderr);
    assert_eq!(warnings(&check.stderr), [twelve]);

    let out = ts.path("mix.wav");
    let bounce = run(&["bounce", "-o", out.to_str().unwrap()], &session);
    assert_eq!(bounce.code, Some(3), "{}", bounce.stderr);
    assert_eq!(warnings(&bounce.stderr), [twelve]);
    let mix = read_wav(&out).1;
    let mut want = clean;
    want[0][100] = 0.0;
    want[0][24_000..24_010].fill(0.0);
    want[1][30_000] = 0.0;
    assert!(
        mix == want,
        "zeros where the non-finite samples were, the rest as it is"
    );
    let peak = want[0].iter().fold(0.0f32, |m, x| m.max(x.abs()));
    let peak_line = format!(
        "sample peak {:>9} dBFS",
        format!("{:.1}", 20.0 * peak.log10())
    );
    assert!(bounce.stdout.contains(&peak_line), "{}", bounce.stdout);

    let report = run(&["report", "--format", "json"], &session);
    assert_eq!(report.code, Some(3), "{}", report.stderr);
    assert_eq!(warnings(&report.stderr), [twelve]);
    let json: serde_json::Value = serde_json::from_str(&report.stdout).unwrap();
    assert!(json["song"]["mix"]["integrated_lufs"].is_f64(), "{json}");
    assert!(json["song"]["mix"]["sample_peak_dbfs"].is_f64(), "{json}");

    let before = run(
        &[
            "bounce",
            "-o",
            out.to_str().unwrap(),
            "--from",
            "0.1",
            "--to",
            "0.49",
        ],
        &session,
    );
    assert_eq!(before.code, Some(0), "{}", before.stderr);
    assert!(warnings(&before.stderr).is_empty(), "{}", before.stderr);
    // From frame 24005: the last 5 of the NaNs; the infinity at 0.625 s is past the end.
    let some = run(
        &[
            "bounce",
            "-o",
            out.to_str().unwrap(),
            "--from",
            "0.5001",
            "--to",
            "0.6",
        ],
        &session,
    );
    assert_eq!(some.code, Some(3), "{}", some.stderr);
    assert_eq!(
        warnings(&some.stderr),
        [
            "warning: stems/nan.wav: 5 non-finite samples (NaN or infinity), the first at \
          0:00.500; played as silence"
        ]
    );
}

/// A stem path that is a symbolic link loop says so (it used to say "no such file"), and so
/// does a link to a file that is not there; check exits 1.
#[test]
fn a_symbolic_link_loop_says_what_it_is() {
    let ts = TempSession::new();
    std::fs::create_dir_all(ts.path("stems")).unwrap();
    std::os::unix::fs::symlink("b.wav", ts.path("stems/a.wav")).unwrap();
    std::os::unix::fs::symlink("a.wav", ts.path("stems/b.wav")).unwrap();
    std::os::unix::fs::symlink("gone.wav", ts.path("stems/link.wav")).unwrap();
    let session = ts.write_session(
        r#"version = 1
name = "Links"

[[channel]]
name = "Loop"
file = "stems/a.wav"

[[channel]]
name = "Dangling"
file = "stems/link.wav"
"#,
    );
    let check = run(&["check"], &session);
    assert_eq!(check.code, Some(1), "{}", check.stderr);
    assert!(
        check.stderr.contains(
            "stems/a.wav: it is a symbolic link loop (too many levels of symbolic links)"
        ),
        "{}",
        check.stderr
    );
    assert!(
        check
            .stderr
            .contains("stems/link.wav: it is a symbolic link to gone.wav, which does not exist"),
        "{}",
        check.stderr
    );
    assert!(!check.stderr.contains("no such file"), "{}", check.stderr);
}

/// The console names a damaged stem on its status line, in a sentence: a truncated FLAC (where
/// it used to show a raw decoder error) and a stem with non-finite samples.
#[test]
fn the_console_names_a_damaged_stem_on_its_status_line() {
    let ts = TempSession::new();
    let (session, _, data) = truncated_flac(&ts);
    let mut c = Console::open(&home_in(&ts), &session, 200, 24);
    let stopped = format!(
        "warning: stems/half.flac: decoding stopped at {} (the file ends early",
        Seconds::from_frames(data.len() as u64, RATE)
    );
    c.wait_for_text(&[&stopped]);
    c.send("q");
    c.wait_success();

    let ts = TempSession::new();
    let (session, _) = nan_stem(&ts);
    let mut c = Console::open(&home_in(&ts), &session, 200, 24);
    c.wait_for_text(&[
        "warning: stems/nan.wav: non-finite samples (NaN or infinity), the first at 0:00.002, \
         are played as silence",
    ]);
    c.send("q");
    c.wait_success();
}
