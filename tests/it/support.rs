//! Shared test helpers: WAV stems written at run time, session files in temp dirs.

pub mod drills;

use std::path::{Path, PathBuf};

/// Runs `f` under `assert_no_alloc` and fails the test if it allocated (or freed).
pub fn assert_realtime<T>(what: &str, f: impl FnOnce() -> T) -> T {
    assert_no_alloc::reset_violation_count();
    let out = assert_no_alloc::assert_no_alloc(f);
    let violations = assert_no_alloc::violation_count();
    assert_eq!(
        violations, 0,
        "{what} allocated on the realtime path ({violations} times)"
    );
    out
}

/// Writes a WAV file of planar channels as 32-bit float (exact round trip).
pub fn write_wav_f32(path: &Path, rate: u32, channels: &[Vec<f32>]) {
    let spec = hound::WavSpec {
        channels: channels.len() as u16,
        sample_rate: rate,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..channels[0].len() {
        for ch in channels {
            w.write_sample(ch[i]).unwrap();
        }
    }
    w.finalize().unwrap();
}

/// Writes a 24-bit integer WAV of planar channels.
pub fn write_wav_i24(path: &Path, rate: u32, channels: &[Vec<f32>]) {
    let spec = hound::WavSpec {
        channels: channels.len() as u16,
        sample_rate: rate,
        bits_per_sample: 24,
        sample_format: hound::SampleFormat::Int,
    };
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..channels[0].len() {
        for ch in channels {
            w.write_sample(
                (ch[i] * 8_388_608.0)
                    .round()
                    .clamp(-8_388_608.0, 8_388_607.0) as i32,
            )
            .unwrap();
        }
    }
    w.finalize().unwrap();
}

/// Reads any WAV into planar f32 channels (integers scaled by 2^(bits-1)).
pub fn read_wav(path: &Path) -> (hound::WavSpec, Vec<Vec<f32>>) {
    let mut r = hound::WavReader::open(path).unwrap();
    let spec = r.spec();
    let n = spec.channels as usize;
    let interleaved: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => r.samples::<f32>().map(Result::unwrap).collect(),
        hound::SampleFormat::Int => {
            let scale = (1u64 << (spec.bits_per_sample - 1)) as f32;
            r.samples::<i32>()
                .map(|s| s.unwrap() as f32 / scale)
                .collect()
        }
    };
    let mut planar = vec![Vec::with_capacity(interleaved.len() / n); n];
    for (i, s) in interleaved.into_iter().enumerate() {
        planar[i % n].push(s);
    }
    (spec, planar)
}

/// A deterministic test signal: a sum of two sines with a seed-dependent phase and some noise.
pub fn signal(frames: usize, seed: u32, amplitude: f32) -> Vec<f32> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..frames)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let noise = (state as f32 / u32::MAX as f32) - 0.5;
            let t = i as f32 / 48_000.0;
            let f = 110.0 * (1.0 + seed as f32 * 0.37);
            amplitude
                * (0.6 * (std::f32::consts::TAU * f * t).sin()
                    + 0.3 * (std::f32::consts::TAU * f * 2.51 * t + seed as f32).sin()
                    + 0.1 * noise)
        })
        .collect()
}

/// A temporary folder holding a session file and its stems.
pub struct TempSession {
    pub dir: tempfile::TempDir,
}

impl TempSession {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Writes `session.toml` with the given text and returns its path.
    pub fn write_session(&self, text: &str) -> PathBuf {
        let p = self.path("session.toml");
        std::fs::write(&p, text).unwrap();
        p
    }
}

/// Runs `earmix bounce SESSION -o OUT` (the real binary), fails the test with its stderr unless
/// it succeeds, and reads what it wrote.
pub fn bounce_with_earmix(session: &Path, out: &Path) -> (hound::WavSpec, Vec<Vec<f32>>) {
    let output = earmix()
        .arg("bounce")
        .arg(session)
        .arg("-o")
        .arg(out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "earmix bounce {}: {}",
        session.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    read_wav(out)
}

/// The real binary, with its log and data in a shared folder under the system's temporary
/// folder, out of the user's home.
pub fn earmix() -> std::process::Command {
    earmix_in(&std::env::temp_dir().join("earmix-test-home"))
}

/// The real binary with HOME and the XDG folders inside `home`, so no user file is read or
/// written.
pub fn earmix_in(home: &Path) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_earmix"));
    c.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("RUST_BACKTRACE", "1");
    c
}
