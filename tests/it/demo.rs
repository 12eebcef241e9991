//! The demo generator: deterministic stems that match their session files and follow the
//! songs' sections.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use earmix::demo::{self, DemoError};
use earmix::units::Seconds;

const RATE: u32 = 48_000;

/// A decoded WAV file: its header and planar samples scaled to -1..1.
struct Wav {
    spec: hound::WavSpec,
    channels: Vec<Vec<f32>>,
}

impl Wav {
    fn frames(&self) -> usize {
        self.channels[0].len()
    }

    fn peak(&self) -> f32 {
        self.channels
            .iter()
            .flatten()
            .fold(0.0, |m, x| m.max(x.abs()))
    }

    /// RMS over all channels between two times, in dBFS.
    fn rms_db(&self, from: f64, to: f64) -> f64 {
        let (a, b) = (
            (from * f64::from(RATE)) as usize,
            (to * f64::from(RATE)) as usize,
        );
        let b = b.min(self.frames());
        let sum: f64 = self
            .channels
            .iter()
            .flat_map(|c| &c[a..b])
            .map(|&x| f64::from(x).powi(2))
            .sum();
        let rms = (sum / ((b - a) * self.channels.len()) as f64).sqrt();
        20.0 * rms.max(1e-12).log10()
    }
}

/// Reads a 24-bit WAV: the header through hound, the samples unpacked directly (hound's
/// per-sample reader is slow in a debug build).
fn read_wav(path: &Path) -> Wav {
    let reader = hound::WavReader::open(path).unwrap();
    let spec = reader.spec();
    let frames = reader.duration() as usize;
    drop(reader);
    assert_eq!(spec.bits_per_sample, 24, "{}", path.display());
    let bytes = std::fs::read(path).unwrap();
    let n = usize::from(spec.channels);
    let data = &bytes[bytes.len() - frames * n * 3..];
    let channels = (0..n)
        .map(|c| {
            data.chunks_exact(3 * n)
                .map(|f| {
                    (i32::from_le_bytes([0, f[3 * c], f[3 * c + 1], f[3 * c + 2]]) >> 8) as f32
                        / 8_388_608.0
                })
                .collect()
        })
        .collect();
    Wav { spec, channels }
}

/// The channel files a session file names, read with the toml crate.
fn channel_files(session: &Path) -> Vec<(String, PathBuf)> {
    let table: toml::Table = std::fs::read_to_string(session).unwrap().parse().unwrap();
    let dir = session.parent().unwrap();
    table["channel"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                dir.join(c["file"].as_str().unwrap()),
            )
        })
        .collect()
}

/// Every file under `dir`, relative, sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// Where each section of a demo starts and ends (the last runs to the end of the song).
fn section_spans(name: &str, length: f64) -> Vec<(&'static str, f64, f64)> {
    let starts = demo::section_starts(name).unwrap();
    starts
        .iter()
        .enumerate()
        .map(|(i, (n, s))| (*n, s.0, starts.get(i + 1).map_or(length, |(_, e)| e.0)))
        .collect()
}

/// Per stem (by demo and channel name), its RMS in each section in dBFS, leaving out half a
/// second at each edge (a note may be pushed early across the bar line, a chord may ring over).
type SectionLevels = BTreeMap<(&'static str, String), BTreeMap<&'static str, f64>>;

/// Checks every stem a generated session names, and returns their levels per section.
fn check_stems(report: &demo::DemoReport, levels: &mut SectionLevels) -> usize {
    let mut frames = 0;
    for (name, file) in channel_files(&report.session) {
        assert!(
            report.written.contains(&file),
            "{} not written",
            file.display()
        );
        let wav = read_wav(&file);
        assert_eq!(wav.spec.sample_rate, RATE, "{name}");
        assert!(matches!(wav.spec.channels, 1 | 2), "{name}");
        assert!(
            wav.frames() >= 90 * RATE as usize,
            "{name}: {} frames",
            wav.frames()
        );
        let peak_db = 20.0 * f64::from(wav.peak()).log10();
        assert!(
            (-6.5..=-0.9).contains(&peak_db),
            "{name} peaks at {peak_db:.2} dBFS"
        );
        assert!(wav.rms_db(0.0, 1e9) > -45.0, "{name} is nearly silent");
        frames = wav.frames();
        let length = frames as f64 / f64::from(RATE);
        let per_section = section_spans(report.name, length)
            .into_iter()
            .map(|(section, start, end)| (section, wav.rms_db(start + 0.5, end - 0.5)))
            .collect();
        levels.insert((report.name, name), per_section);
    }
    frames
}

/// Checks that a generated session loads in earmix, with the arrangement's sections.
fn check_session(report: &demo::DemoReport) {
    assert_eq!(
        std::fs::read_to_string(&report.session).unwrap(),
        demo::session_toml(report.name).unwrap()
    );
    let session = earmix::session::load(&report.session).unwrap();
    assert_eq!(session.sample_rate, RATE);
    assert!(
        session.length() >= Seconds(90.0),
        "{}: {}",
        report.name,
        session.length()
    );
    let expected = demo::section_starts(report.name).unwrap();
    assert_eq!(session.sections.len(), expected.len());
    for (section, (name, start)) in session.sections.iter().zip(expected) {
        assert_eq!(section.name, name);
        assert!(
            (section.start.0 - start.0).abs() < 0.0005,
            "{}: {name} at {}, the arrangement says {start}",
            report.name,
            section.start
        );
    }
}

/// The parts enter and leave with the sections.
fn check_arrangements(levels: &SectionLevels) {
    let rms =
        |demo: &'static str, stem: &str, section: &str| levels[&(demo, stem.to_string())][section];
    // Folk Arc: the picked guitar alone in the intro, the strummed guitars only from the chorus.
    for guitar in ["Rhythm guitar 1", "Rhythm guitar 2"] {
        assert!(
            rms("folk-arc", guitar, "Verse 1") < -80.0,
            "{guitar} plays in verse 1"
        );
        assert!(
            rms("folk-arc", guitar, "Chorus 1") > -30.0,
            "{guitar} is missing from chorus 1"
        );
    }
    for part in ["Voice", "Bass", "Kick"] {
        assert!(
            rms("folk-arc", part, "Intro") < -80.0,
            "{part} plays in the intro"
        );
        assert!(
            rms("folk-arc", part, "Verse 1") > -35.0,
            "{part} is missing from verse 1"
        );
    }
    assert!(rms("folk-arc", "Melody guitar", "Intro") > -30.0);
    assert!(rms("folk-arc", "Snare", "Verse 1") < -80.0);
    let lift = |stem: &str| rms("folk-arc", stem, "Chorus 1") - rms("folk-arc", stem, "Verse 1");
    assert!(lift("Kick") > 3.0, "the chorus kick is not fuller");
    assert!(lift("Shaker") > 3.0, "the chorus shaker is not busier");

    // Band: no voice in the intro, the crunch guitar out of verse 1 and back for the chorus.
    assert!(rms("band", "Lead vocal", "Intro") < -80.0);
    assert!(rms("band", "Lead vocal", "Chorus 1") > -30.0);
    assert!(rms("band", "Crunch guitar", "Verse 1") < -60.0);
    assert!(rms("band", "Crunch guitar", "Chorus 1") > -30.0);
    let drop = rms("band", "Drums", "Chorus 1") - rms("band", "Drums", "Bridge");
    assert!(drop > 2.0, "the bridge does not drop");
}

/// Generating twice gives byte-identical files; the sessions load in earmix with the
/// arrangement's sections; every stem they name is a 48 kHz 24-bit file of at least 90 s, not
/// silent, peaking below 0 dBFS; the parts enter and leave with the sections; the band's
/// reference is a stereo mix peaking at -1 dBFS; a rerun without --force writes nothing, and a
/// deleted stem is regenerated alone, identical.
#[test]
fn generated_demos_are_deterministic_complete_and_follow_their_sections() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (first, second) = std::thread::scope(|s| {
        let other = s.spawn(|| demo::generate_all(b.path(), false).unwrap());
        (
            demo::generate_all(a.path(), false).unwrap(),
            other.join().unwrap(),
        )
    });
    assert_eq!(first.len(), demo::DEMOS.len());
    assert!(
        first
            .iter()
            .all(|r| r.session_written && r.skipped.is_empty())
    );
    assert_eq!(first.len(), second.len());

    let files = files_under(a.path());
    assert_eq!(files, files_under(b.path()));
    assert!(
        files.iter().all(|f| !f.to_string_lossy().contains(".tmp")),
        "{files:?}"
    );
    for file in &files {
        let x = std::fs::read(a.path().join(file)).unwrap();
        assert!(
            x == std::fs::read(b.path().join(file)).unwrap(),
            "{} differs",
            file.display()
        );
    }
    drop(b);

    let mut levels = SectionLevels::new();
    for report in &first {
        check_session(report);
        let frames = check_stems(report, &mut levels);
        if report.name == "band" {
            let reference = read_wav(&a.path().join("band").join(demo::REFERENCE_FILE));
            assert_eq!(reference.spec.channels, 2);
            assert_eq!(reference.frames(), frames);
            let peak_db = 20.0 * f64::from(reference.peak()).log10();
            assert!(
                (peak_db - demo::REFERENCE_PEAK_DBFS).abs() < 0.01,
                "reference at {peak_db:.3}"
            );
        }
    }
    check_arrangements(&levels);

    let again = demo::generate_all(a.path(), false).unwrap();
    for (report, before) in again.iter().zip(&first) {
        assert!(
            !report.session_written && report.written.is_empty(),
            "{report:?}"
        );
        assert_eq!(report.skipped, before.written);
    }
    let lost = a.path().join("band/stems/keys.wav");
    let kept = std::fs::read(&lost).unwrap();
    std::fs::remove_file(&lost).unwrap();
    let report = demo::generate(a.path(), "band", false).unwrap();
    assert_eq!(report.written, vec![lost.clone()]);
    assert!(
        std::fs::read(&lost).unwrap() == kept,
        "the regenerated stem differs"
    );
}

/// A session file already in place is never replaced, and existing stems are not touched.
#[test]
fn existing_session_file_and_stems_are_kept() {
    let root = tempfile::tempdir().unwrap();
    for name in demo::DEMOS {
        let dir = root.path().join(name);
        std::fs::create_dir_all(dir.join("stems")).unwrap();
        let mine = "# my own mix notes\n";
        std::fs::write(dir.join("session.toml"), mine).unwrap();
        let table: toml::Table = demo::session_toml(name).unwrap().parse().unwrap();
        let mut files: Vec<String> = table["channel"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["file"].as_str().unwrap().to_string())
            .collect();
        if let Some(reference) = table.get("reference") {
            files.push(reference["file"].as_str().unwrap().to_string());
        }
        for file in &files {
            std::fs::write(dir.join(file), b"placeholder").unwrap();
        }

        let report = demo::generate(root.path(), name, false).unwrap();
        assert!(!report.session_written);
        assert!(report.written.is_empty(), "{report:?}");
        assert_eq!(report.skipped.len(), files.len());
        assert_eq!(
            std::fs::read_to_string(dir.join("session.toml")).unwrap(),
            mine
        );
        for file in &files {
            assert_eq!(std::fs::read(dir.join(file)).unwrap(), b"placeholder");
        }
    }
}

/// An unknown demo name is refused with a message that lists the demos.
#[test]
fn unknown_demo_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let err = demo::generate(root.path(), "polka", false).unwrap_err();
    assert!(matches!(err, DemoError::Unknown { .. }));
    assert_eq!(
        err.to_string(),
        "there is no demo called 'polka'; the demos are: folk-arc, band"
    );
    assert!(
        std::fs::read_dir(root.path()).unwrap().next().is_none(),
        "it created files"
    );
}

/// The hidden balance covers the band session's channels and differs from its starting faders.
#[test]
fn hidden_balance_is_not_the_starting_balance() {
    let balance = demo::reference_balance("band").unwrap();
    assert_eq!(balance, demo::BAND_REFERENCE_BALANCE);
    let table: toml::Table = demo::BAND_SESSION.parse().unwrap();
    let channels = table["channel"].as_array().unwrap();
    assert_eq!(channels.len(), balance.len());
    let mut differs = 0;
    for (channel, entry) in channels.iter().zip(balance) {
        assert_eq!(channel["name"].as_str(), Some(entry.channel));
        let gain = channel["gain_db"].as_float().unwrap();
        let pan = channel["pan"].as_float().unwrap();
        differs +=
            usize::from((gain - entry.gain.0).abs() >= 1.0 || (pan - entry.pan.0).abs() >= 0.1);
    }
    assert_eq!(differs, balance.len());
    assert!(demo::reference_balance("folk-arc").is_none());
}
