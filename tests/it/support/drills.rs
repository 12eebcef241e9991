//! What the exercise tests in a pseudo-terminal share: a small session of three parts, the
//! history as the binary leaves it, and the check that the screen stays blind.

use std::path::{Path, PathBuf};

use super::{TempSession, signal, write_wav_f32};
use crate::console::{Console, digits_outside_times};

/// Three five-second mono parts with roles (Bass at -3 dB, Keys at -6 dB, Voice at 0 dB) and
/// two sections (Verse, then Chorus from 2.5 s).
pub const ENSEMBLE: &str = r#"# Ensemble: a small session for the exercise tests.
version = 1
name = "Ensemble"
sample_rate = 48000

[[channel]]
name = "Bass"
file = "stems/bass.wav"
role = "bass"
gain_db = -3.0

[[channel]]
name = "Keys"
file = "stems/keys.wav"
role = "keys"
gain_db = -6.0

[[channel]]
name = "Voice"
file = "stems/voice.wav"
role = "vocal"
gain_db = 0.0

[[section]]
name = "Verse"
start = 0.0

[[section]]
name = "Chorus"
start = 2.5
"#;

/// Writes the three parts' stems (`stems/bass.wav`, `keys.wav`, `voice.wav`: five seconds of
/// noise-like signal each, from `seeds`) and `session` as the session file; returns its path.
pub fn three_parts(ts: &TempSession, session: &str, seeds: [u32; 3]) -> PathBuf {
    for (seed, name) in seeds.into_iter().zip(["bass", "keys", "voice"]) {
        write_wav_f32(
            &ts.path(&format!("stems/{name}.wav")),
            48_000,
            &[signal(48_000 * 5, seed, 0.3)],
        );
    }
    ts.write_session(session)
}

/// [`ENSEMBLE`] with its stems.
pub fn ensemble(ts: &TempSession) -> PathBuf {
    three_parts(ts, ENSEMBLE, [41, 42, 43])
}

/// The exercise history's records under `home`, parsed.
pub fn history(home: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(home.join("data/earmix/history.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Fails when `text` (the screen, with what a test allows taken out) shows a number other than
/// the transport times.
pub fn assert_no_digits(c: &Console, text: &str) {
    let digits = digits_outside_times(text);
    assert!(
        digits.is_empty(),
        "digits while blind: {digits:?}\n{}",
        c.dump()
    );
}

/// Fails when the screen shows a number other than the transport times.
pub fn assert_blind(c: &Console) {
    assert_no_digits(c, &c.text());
}
