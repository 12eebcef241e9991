//! Random bytes and damaged copies of valid files in every file earmix reads: session, settings,
//! keymap, targets, crash journal and history. Whatever a file holds, earmix must not panic, and
//! any message it gives must name the file; what the commands print must hold no raw control
//! characters.
//!
//! Each case is drawn from a seeded generator, so a failure reproduces: the failure message
//! gives the seed and the case. `EARMIX_FUZZ_SEED=N` runs another seed, `EARMIX_FUZZ_CASES=N`
//! scales the number of cases (the default keeps the whole module to a few seconds).

use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::process::Output;

use crate::hostile::raw_control;
use crate::support::earmix_in;
use crate::support::{TempSession, signal, write_wav_f32};

/// The seed every test starts from unless `EARMIX_FUZZ_SEED` says otherwise.
const SEED: u64 = 0x5eed_0015;

fn seed() -> u64 {
    std::env::var("EARMIX_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SEED)
}

/// `default` cases, or `EARMIX_FUZZ_CASES` when set.
fn cases(default: u64) -> u64 {
    std::env::var("EARMIX_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// `SplitMix64`: small, fast, and the same numbers everywhere.
struct Rng(u64);

impl Rng {
    /// The generator for case `case` of the test `name` (each test its own stream).
    fn for_case(name: &str, case: u64) -> Rng {
        let mut h = seed();
        for b in name.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        Rng(h ^ case.wrapping_mul(0x9e37_79b9_7f4a_7c15))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Bytes a terminal obeys or that are not text.
const CONTROL: &[&[u8]] = &[
    b"\x00",
    b"\x07",
    b"\x08",
    b"\t",
    b"\r",
    b"\n",
    b"\x1b",
    b"\x1b[2J",
    b"\x1b]0;pwned\x07",
    b"\x7f",
    b"\xc2\x9b",
    b"\xe2\x80\xae",
    b"\\u001b",
    b"\\u0000",
];
/// Byte sequences that are not UTF-8: a lone continuation, a cut sequence, an overlong
/// encoding, a surrogate, a code point past U+10FFFF, UTF-16 byte order marks.
const NOT_UTF8: &[&[u8]] = &[
    b"\x80",
    b"\xff",
    b"\xc3",
    b"\xe2\x82",
    b"\xc0\xaf",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"\xff\xfe",
    b"\xfe\xff",
];
/// Numbers no setting allows, and some no parser likes.
const HUGE: &[&str] = &[
    "1e309",
    "-1e309",
    "1e-400",
    "99999999999999999999999999",
    "-9223372036854775809",
    "18446744073709551616",
    "9223372036854775807",
    "4294967296",
    "nan",
    "-inf",
    "inf",
    "0x7fffffffffffffff",
    "-0",
    "1_000_000_000_000",
];

/// One damaged copy of `valid` (or random bytes), and what was done to it.
fn mutate(rng: &mut Rng, valid: &[u8]) -> (Vec<u8>, String) {
    if rng.below(10) == 0 {
        let n = rng.below(600);
        let random = (0..n).map(|_| rng.next() as u8).collect();
        return (random, format!("{n} random bytes"));
    }
    let mut bytes = valid.to_vec();
    let mut done = String::new();
    // Mostly one change, so that many cases stay close to valid and reach further in.
    let steps = [1, 1, 1, 2, 3][rng.below(5)];
    for _ in 0..steps {
        let at = rng.below(bytes.len() + 1);
        let what = match rng.below(10) {
            0 => {
                for _ in 0..=rng.below(8) {
                    if !bytes.is_empty() {
                        let i = rng.below(bytes.len());
                        bytes[i] ^= 1 << rng.below(8);
                    }
                }
                "flipped bits".to_string()
            }
            1 => {
                bytes.truncate(at);
                format!("cut at {at}")
            }
            2 | 3 => {
                let from = if rng.below(2) == 0 { CONTROL } else { NOT_UTF8 };
                let insert = rng.pick(from);
                bytes.splice(at..at, insert.iter().copied());
                format!("{insert:?} at {at}")
            }
            4 => huge_number(rng, &mut bytes),
            5 => {
                let depth = *rng.pick(&[40, 130, 300, 5000]);
                let (open, close) = *rng.pick(&[("[", "]"), ("{a=", "}"), ("{\"a\":", "}")]);
                let nested = format!("x = {}{}\n", open.repeat(depth), close.repeat(depth));
                let start = line_start(&bytes, at);
                bytes.splice(start..start, nested.bytes());
                format!("nesting {depth} deep at {start}")
            }
            6 => {
                let lines: Vec<&[u8]> = valid.split(|&b| b == b'\n').collect();
                let line = rng.pick(&lines).to_vec();
                let times = 1 + rng.below(300);
                for _ in 0..times {
                    bytes.splice(at..at, line.iter().copied().chain([b'\n']));
                }
                format!("a line repeated {times} times at {at}")
            }
            7 => {
                let start = line_start(&bytes, at);
                let end = bytes[at..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(bytes.len(), |i| at + i + 1);
                bytes.drain(start..end);
                format!("line at {start} removed")
            }
            8 => escape_in_string(rng, &mut bytes),
            _ => {
                let n = 1 + rng.below(24);
                bytes.splice(at..at, (0..n).map(|_| rng.next() as u8).collect::<Vec<_>>());
                format!("{n} random bytes at {at}")
            }
        };
        let _ = write!(done, "{what}; ");
    }
    (bytes, done)
}

/// Where the line holding byte `at` starts.
fn line_start(bytes: &[u8], at: usize) -> usize {
    bytes[..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1)
}

/// Replaces a number in `bytes` by a huge one (or a float no setting takes).
fn huge_number(rng: &mut Rng, bytes: &mut Vec<u8>) -> String {
    let digits: Vec<usize> = (0..bytes.len())
        .filter(|&i| bytes[i].is_ascii_digit())
        .collect();
    let Some(&start) = digits.get(rng.below(digits.len().max(1))) else {
        return "no number to replace".to_string();
    };
    let end = (start..bytes.len())
        .find(|&i| !bytes[i].is_ascii_digit() && bytes[i] != b'.')
        .unwrap_or(bytes.len());
    let huge = rng.pick(HUGE);
    bytes.splice(start..end, huge.bytes());
    format!("{huge} at {start}")
}

/// Writes a control character as an escape just after a quote: often inside a name, so the
/// file stays valid and the name reaches the output.
fn escape_in_string(rng: &mut Rng, bytes: &mut Vec<u8>) -> String {
    let quotes: Vec<usize> = (0..bytes.len()).filter(|&i| bytes[i] == b'"').collect();
    let Some(&quote) = quotes.get(rng.below(quotes.len().max(1))) else {
        return "no string to put an escape in".to_string();
    };
    let escape = rng.pick(&[
        "\\u001b]0;pwned\\u0007",
        "\\u001b[2J",
        "\\r\\n",
        "\\t",
        "\\u009b",
        "\\u202e",
        "\u{9b}",
    ]);
    let at = quote + 1;
    bytes.splice(at..at, escape.bytes());
    format!("{escape} at {at}")
}

/// What to print about a case that failed: the seed, the case, what was done and the file.
fn describe(test: &str, case: u64, done: &str, bytes: &[u8]) -> String {
    let shown: String = bytes
        .escape_ascii()
        .to_string()
        .chars()
        .take(3000)
        .collect();
    format!(
        "{test}: seed {} case {case} ({done})\nEARMIX_FUZZ_SEED={} reproduces it; the file:\n\
         b\"{shown}\"",
        seed(),
        seed()
    )
}

/// The binary's run did not panic or crash, printed no raw control character, and, when it
/// failed, said so on every line of stderr naming `file`.
fn assert_calm(out: &Output, file: &Path, case: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let code = out.status.code();
    assert!(
        code.is_some() && code != Some(101) && !stderr.contains("panicked"),
        "{case}\nexit {:?}, stderr:\n{stderr}",
        out.status
    );
    assert_eq!(raw_control(&out.stdout), None, "stdout: {case}");
    assert_eq!(raw_control(&out.stderr), None, "stderr: {case}");
    let name = file.display().to_string();
    for line in stderr.lines().filter(|l| !l.trim().is_empty()) {
        assert!(
            line.contains(&name),
            "a message does not name {name}: {line:?}\n{case}"
        );
    }
    if code != Some(0) {
        assert!(stderr.contains(&name), "failed silently: {case}");
    }
}

/// A session with everything a session may hold, beside a short stem.
const SESSION: &str = r#"version = 1
name = "Fuzz"
sample_rate = 48000
master_db = -1.5
ramp_ms = 250

[[channel]]
name = "Melody guitar"
file = "stems/a.wav"
role = "guitar"
trim_db = 0.0
gain_db = -6.0
pan = -0.25
mute = false
solo = false

[[channel]]
name = "Bass"
file = "stems/a.wav"
role = "bass"

[[section]]
name = "Verse 1"
start = 0
gain_db = { "Melody guitar" = -3.0 }
mute = ["Bass"]
ramp_ms = 500

[[section]]
name = "Chorus 1"
start = "0:00.250"

[reference]
file = "stems/a.wav"
offset = 0.0
sections = { "Chorus 1" = "0:00.250" }
"#;

fn stem(ts: &TempSession) {
    write_wav_f32(&ts.path("stems/a.wav"), 48_000, &[signal(24_000, 7, 0.3)]);
}

/// `earmix check` on random and damaged session files: no panic, every message names the file.
#[test]
fn damaged_session_files_never_panic() {
    let ts = TempSession::new();
    stem(&ts);
    let path = ts.path("session.toml");
    let home = ts.path("home");
    for case in 0..cases(250) {
        let mut rng = Rng::for_case("session", case);
        let (bytes, done) = mutate(&mut rng, SESSION.as_bytes());
        std::fs::write(&path, &bytes).unwrap();
        let out = earmix_in(&home).arg("check").arg(&path).output().unwrap();
        assert_calm(&out, &path, &describe("session", case, &done, &bytes));
    }
}

/// `earmix check --config FILE` on random and damaged copies of the shipped settings file: no
/// panic, every message names the settings file.
#[test]
fn damaged_settings_files_never_panic() {
    let ts = TempSession::new();
    stem(&ts);
    let session = ts.write_session(SESSION);
    let path = ts.path("config.toml");
    let home = ts.path("home");
    let valid = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/config/default.toml")).unwrap();
    for case in 0..cases(200) {
        let mut rng = Rng::for_case("config", case);
        let (bytes, done) = mutate(&mut rng, &valid);
        std::fs::write(&path, &bytes).unwrap();
        let out = earmix_in(&home)
            .arg("check")
            .arg("--config")
            .arg(&path)
            .arg(&session)
            .output()
            .unwrap();
        assert_calm(&out, &path, &describe("config", case, &done, &bytes));
    }
}

/// `earmix progress --history FILE` on random and damaged histories: no panic; every skipped
/// line is a warning naming the file.
#[test]
fn damaged_histories_never_panic() {
    use earmix::exercise::history::{ChannelResult, History, Record};
    let ts = TempSession::new();
    let valid_path = ts.path("valid.jsonl");
    let history = History::at(&valid_path);
    let at = std::time::SystemTime::UNIX_EPOCH;
    for (i, exercise) in ["drill", "blindfold", "arc", "reference", "drill"]
        .iter()
        .enumerate()
    {
        // A fixed session path: the cases must not depend on the temporary folder's name.
        let record = Record::new(*exercise, Path::new("songs/s.toml"), at)
            .with_level(1 + i as u32)
            .with_score(20.0 * i as f64)
            .with_rms_db(-18.0)
            .with_channels(vec![ChannelResult::new(
                "Bass",
                Some(-1.5),
                Some(-9.5),
                Some(-8.0),
            )]);
        history.append(&record).unwrap();
    }
    let valid = std::fs::read(&valid_path).unwrap();
    let path = ts.path("history.jsonl");
    let home = ts.path("home");
    for case in 0..cases(200) {
        let mut rng = Rng::for_case("history", case);
        let (bytes, done) = mutate(&mut rng, &valid);
        std::fs::write(&path, &bytes).unwrap();
        for command in ["progress", "exercise"] {
            let out = earmix_in(&home)
                .arg(command)
                .arg("--history")
                .arg(&path)
                .output()
                .unwrap();
            assert_calm(&out, &path, &describe(command, case, &done, &bytes));
        }
    }
}

/// Runs `f`, failing with `case` if it panics.
fn no_panic<T>(case: &str, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| panic!("panicked: {case}"))
}

/// The keymap loader on random and damaged copies of the shipped keymap: no panic, every error
/// names the file.
#[test]
fn damaged_keymaps_never_panic() {
    use earmix::app::keymap::{DEFAULT_KEYMAP, Keymap};
    let ts = TempSession::new();
    let path = ts.path("keymap.toml");
    let name = path.display().to_string();
    for case in 0..cases(400) {
        let mut rng = Rng::for_case("keymap", case);
        let (bytes, done) = mutate(&mut rng, DEFAULT_KEYMAP.as_bytes());
        std::fs::write(&path, &bytes).unwrap();
        let case = describe("keymap", case, &done, &bytes);
        if let Err(errors) = no_panic(&case, || Keymap::load_user(&path)) {
            assert!(!errors.is_empty(), "{case}");
            for error in errors {
                assert!(error.to_string().starts_with(&name), "{error}\n{case}");
            }
        }
    }
}

/// The targets loader on random and damaged copies of the shipped targets file: no panic,
/// every error names the file.
#[test]
fn damaged_targets_never_panic() {
    use earmix::exercise::targets::Targets;
    let ts = TempSession::new();
    let path = ts.path("targets.toml");
    let name = path.display().to_string();
    let valid = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/config/targets.toml")).unwrap();
    for case in 0..cases(200) {
        let mut rng = Rng::for_case("targets", case);
        let (bytes, done) = mutate(&mut rng, &valid);
        std::fs::write(&path, &bytes).unwrap();
        let case = describe("targets", case, &done, &bytes);
        if let Err(error) = no_panic(&case, || Targets::load(Some(&path))) {
            for line in error.to_string().lines() {
                assert!(line.contains(&name), "{line}\n{case}");
            }
        }
    }
}

/// Crash recovery on random and damaged journals: no panic; an error names the journal (or,
/// when the session itself cannot be read, the session), and so does an error applying what
/// was recovered.
#[test]
fn damaged_journals_never_panic() {
    use earmix::app::edit::MixEdit;
    use earmix::app::journal::{Journal, journal_path, recover};
    use earmix::units::{Decibels, Pan};
    let ts = TempSession::new();
    stem(&ts);
    let session_path = ts.write_session(SESSION);
    let session = earmix::session::load(&session_path).unwrap();
    let journal = journal_path(&session_path);
    {
        let mut writer = Journal::open(&session_path).unwrap();
        let mut sections = session.sections.clone();
        sections[1].name = "Chorus \"2\"".to_string();
        for edit in [
            MixEdit::Gain {
                channel: "Bass".into(),
                db: Decibels(-4.5),
            },
            MixEdit::Mute {
                channel: "Melody guitar".into(),
                on: true,
            },
            MixEdit::Pan {
                channel: "Bass".into(),
                pan: Pan(0.5),
            },
            MixEdit::SceneGain {
                section: "Verse 1".into(),
                channel: "Bass".into(),
                db: Some(Decibels(-2.0)),
            },
            MixEdit::SceneMute {
                section: "Chorus 1".into(),
                channel: "Bass".into(),
                on: true,
            },
            MixEdit::Master {
                db: Decibels(f64::NEG_INFINITY),
            },
            MixEdit::Sections { sections },
        ] {
            writer.append(&edit).unwrap();
        }
    }
    // The journal's header holds the session's path, in a temporary folder of a random name:
    // damage a copy with a placeholder for it, so each case is the same in every run.
    let session_text = session_path.display().to_string();
    let template = replace(
        &std::fs::read(&journal).unwrap(),
        session_text.as_bytes(),
        b"@S@",
    );
    let names = [
        journal.display().to_string(),
        session_path.display().to_string(),
    ];
    let names_a_file = |text: &str| names.iter().any(|n| text.contains(n.as_str()));
    for case in 0..cases(300) {
        let mut rng = Rng::for_case("journal", case);
        let (bytes, done) = mutate(&mut rng, &template);
        let bytes = replace(&bytes, b"@S@", session_text.as_bytes());
        std::fs::write(&journal, &bytes).unwrap();
        let case = describe("journal", case, &done, &bytes);
        match no_panic(&case, || recover(&session_path)) {
            Ok(None) => {}
            Ok(Some(recovery)) => {
                // Damaged lines are skipped and named, not errors: what is offered is what the
                // valid lines hold.
                no_panic(&case, || recovery.summary(&session));
                let mut applied = session.clone();
                no_panic(&case, || recovery.apply_even_if_stale(&mut applied));
                assert!(
                    recovery.damaged.len() <= recovery.damaged_count,
                    "{recovery:?}\n{case}"
                );
            }
            Err(e) => assert!(names_a_file(&e.to_string()), "{e}\n{case}"),
        }
    }
}

/// `bytes` with every `from` replaced by `to`.
fn replace(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at..].starts_with(from) {
            out.extend_from_slice(to);
            at += from.len();
        } else {
            out.push(bytes[at]);
            at += 1;
        }
    }
    out
}
