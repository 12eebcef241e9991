//! `earmix report` against figures computed here, independently of the render: the stems'
//! samples are generated in the test, mixed with the session's gains and the documented pan law
//! in f64, and measured with a fresh `ebur128` instance per span; peaks also from the formula.
//! Then the three output formats and the error cases of the real binary.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use earmix::analysis::meter::Measures;
use earmix::analysis::report::{self, Report};
use earmix::commands::report::{Format, to_text};
use earmix::units::Pan;
use ebur128::{EbuR128, Mode};

use crate::support::{TempSession, earmix, write_wav_f32};

const RATE: u32 = 48_000;
const FRAMES: usize = 8 * RATE as usize;
/// ebur128's 100 ms block.
const BLOCK: usize = RATE as usize / 10;

const TONE_AMP: f64 = 0.5;
const TONE_TRIM: f64 = 1.5;
const TONE_GAIN: f64 = -4.5;
const TONE_PAN: f64 = -0.5;
const LATE_AMP: f64 = 0.8;
const LATE_GAIN: f64 = -2.0;
/// Late's fader in section B's scene.
const LATE_SCENE_GAIN: f64 = -8.0;
const LATE_PAN: f64 = 0.4;
/// Late starts sounding here, after the scene glide into B (centred on 4 s) is over.
const LATE_START: usize = 4 * RATE as usize + RATE as usize / 2;
const MASTER: f64 = -1.0;
const A_START: usize = RATE as usize / 2;
const B_START: usize = 4 * RATE as usize;

/// A sine of `freq` Hz and `amp` peak starting at `from` (silence before), `FRAMES` long.
/// At 48 kHz a 1 kHz or 500 Hz sine has a sample exactly on each crest.
fn sine(freq: f64, amp: f64, from: usize) -> Vec<f32> {
    (0..FRAMES)
        .map(|i| {
            if i < from {
                0.0
            } else {
                let t = (i - from) as f64 / f64::from(RATE);
                (amp * (std::f64::consts::TAU * freq * t).sin()) as f32
            }
        })
        .collect()
}

fn db(x: f64) -> f64 {
    10f64.powf(x / 20.0)
}

/// Two mono stems: Tone (1 kHz over the whole 8 s) and Late (500 Hz from 4.5 s); sections A
/// at 0.5 s (so a span "(before A)" comes first) and B at 4 s, where a scene sets Late's fader.
fn tone_session(ts: &TempSession) -> (PathBuf, Vec<f32>, Vec<f32>) {
    let tone = sine(1000.0, TONE_AMP, 0);
    let late = sine(500.0, LATE_AMP, LATE_START);
    write_wav_f32(
        &ts.path("stems/tone.wav"),
        RATE,
        std::slice::from_ref(&tone),
    );
    write_wav_f32(
        &ts.path("stems/late.wav"),
        RATE,
        std::slice::from_ref(&late),
    );
    let path = ts.write_session(&format!(
        r#"version = 1
name = "Tones"
master_db = {MASTER:.1}

[[channel]]
name = "Tone"
file = "stems/tone.wav"
trim_db = {TONE_TRIM:.1}
gain_db = {TONE_GAIN:.1}
pan = {TONE_PAN:.1}

[[channel]]
name = "Late"
file = "stems/late.wav"
gain_db = {LATE_GAIN:.1}
pan = {LATE_PAN:.1}

[[section]]
name = "A"
start = 0.5

[[section]]
name = "B"
start = 4.0
gain_db = {{ "Late" = {LATE_SCENE_GAIN:.1} }}
"#
    ));
    (path, tone, late)
}

/// A mono stem at `gain` (dB, everything from trim to master) panned by the session's mono law,
/// in f64.
fn place(stem: &[f32], gain: f64, pan: f64) -> [Vec<f64>; 2] {
    let (l, r) = Pan(pan).mono_gains();
    let g = db(gain);
    [
        stem.iter()
            .map(|x| f64::from(*x) * g * f64::from(l))
            .collect(),
        stem.iter()
            .map(|x| f64::from(*x) * g * f64::from(r))
            .collect(),
    ]
}

/// What a fresh ebur128 instance reads for stereo audio, fed 100 ms at a time, with the
/// short-term max read the plain way (`loudness_shortterm` every 100 ms once 3 s are in) and
/// the sample peak taken from the f64 samples.
#[derive(Debug, Clone, Copy)]
struct Expected {
    integrated: Option<f64>,
    short_term_max: Option<f64>,
    range: Option<f64>,
    sample_peak: Option<f64>,
    true_peak: Option<f64>,
}

fn expected(side: &[Vec<f64>; 2], from: usize, to: usize) -> Expected {
    let mode = Mode::I | Mode::LRA | Mode::TRUE_PEAK | Mode::SAMPLE_PEAK;
    let mut m = EbuR128::new(2, RATE, mode).unwrap();
    let l: Vec<f32> = side[0][from..to].iter().map(|x| *x as f32).collect();
    let r: Vec<f32> = side[1][from..to].iter().map(|x| *x as f32).collect();
    let mut s_max = f64::NEG_INFINITY;
    let mut fed = 0;
    while fed < l.len() {
        let n = BLOCK.min(l.len() - fed);
        m.add_frames_planar_f32(&[&l[fed..fed + n], &r[fed..fed + n]])
            .unwrap();
        fed += n;
        if n == BLOCK && fed >= 30 * BLOCK {
            s_max = s_max.max(m.loudness_shortterm().unwrap());
        }
    }
    let finite = |x: f64| x.is_finite().then_some(x);
    let peak = side
        .iter()
        .flat_map(|s| &s[from..to])
        .fold(0.0f64, |a, x| a.max(x.abs()));
    let tp = m.true_peak(0).unwrap().max(m.true_peak(1).unwrap());
    let integrated = finite(m.loudness_global().unwrap());
    Expected {
        integrated,
        short_term_max: finite(s_max),
        range: (integrated.is_some() && fed >= 30 * BLOCK).then(|| m.loudness_range().unwrap()),
        sample_peak: (peak > 0.0).then(|| 20.0 * peak.log10()),
        true_peak: (tp > 0.0).then(|| 20.0 * tp.log10()),
    }
}

#[track_caller]
fn near(what: &str, got: Option<f64>, want: Option<f64>, tolerance: f64) {
    match (got, want) {
        (Some(g), Some(w)) => assert!(
            (g - w).abs() <= tolerance,
            "{what}: report {g}, expected {w} ± {tolerance}"
        ),
        (None, None) => {}
        _ => panic!("{what}: report {got:?}, expected {want:?}"),
    }
}

#[track_caller]
fn matches(what: &str, got: &Measures, want: &Expected) {
    near(
        &format!("{what} integrated"),
        got.integrated_lufs,
        want.integrated,
        0.1,
    );
    near(
        &format!("{what} short-term max"),
        got.short_term_max_lufs,
        want.short_term_max,
        0.1,
    );
    near(
        &format!("{what} loudness range"),
        got.loudness_range_lu,
        want.range,
        0.1,
    );
    near(
        &format!("{what} sample peak"),
        got.sample_peak_dbfs,
        want.sample_peak,
        0.05,
    );
    near(
        &format!("{what} true peak"),
        got.true_peak_dbtp,
        want.true_peak,
        0.05,
    );
}

fn sum(a: &[Vec<f64>; 2], b: &[Vec<f64>; 2]) -> [Vec<f64>; 2] {
    [0, 1].map(|s| a[s].iter().zip(&b[s]).map(|(x, y)| x + y).collect())
}

fn measure(path: &Path) -> Report {
    let session = earmix::session::load(path).unwrap();
    report::measure(&session, &mut |_, _| {}).unwrap()
}

/// The tone session measured, and its signals built here: Tone at trim + fader + master
/// everywhere, Late at its scene fader (it only sounds in B, after the glide), and their sum.
struct Fixture {
    _ts: TempSession,
    report: Report,
    tone: [Vec<f64>; 2],
    late: [Vec<f64>; 2],
    mix: [Vec<f64>; 2],
}

fn fixture() -> Fixture {
    let ts = TempSession::new();
    let (path, tone, late) = tone_session(&ts);
    let report = measure(&path);
    let tone = place(&tone, TONE_TRIM + TONE_GAIN + MASTER, TONE_PAN);
    let late = place(&late, LATE_SCENE_GAIN + MASTER, LATE_PAN);
    let mix = sum(&tone, &late);
    Fixture {
        _ts: ts,
        report,
        tone,
        late,
        mix,
    }
}

fn diff(x: Option<f64>, y: Option<f64>) -> Option<f64> {
    x.zip(y).map(|(x, y)| x - y)
}

/// Per span ("(before A)", A, B at exact frames), the mix's and each channel's integrated
/// loudness, short-term max, range, sample and true peak match a fresh ebur128 fed the test's
/// own mix (0.1 LU, 0.05 dB), and each channel's relative level is its loudness minus the mix's.
/// Late matching in B shows the section scene's fader is applied.
#[test]
fn spans_match_an_independent_measurement() {
    let f = fixture();
    let names: Vec<&str> = f.report.spans.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["(before A)", "A", "B"]);
    let bounds = [(0, A_START), (A_START, B_START), (B_START, FRAMES)];
    for (span, &(from, to)) in f.report.spans.iter().zip(&bounds) {
        assert_eq!((span.start_frame, span.end_frame), (from as u64, to as u64));
        let name = &span.name;
        let want_mix = expected(&f.mix, from, to);
        let want_tone = expected(&f.tone, from, to);
        let want_late = expected(&f.late, from, to);
        matches(&format!("{name} mix"), &span.mix, &want_mix);
        matches(
            &format!("{name} Tone"),
            &span.channels[0].measures,
            &want_tone,
        );
        matches(
            &format!("{name} Late"),
            &span.channels[1].measures,
            &want_late,
        );
        near(
            &format!("{name} Tone relative"),
            span.channels[0].relative_lu,
            diff(want_tone.integrated, want_mix.integrated),
            0.1,
        );
        near(
            &format!("{name} Late relative"),
            span.channels[1].relative_lu,
            diff(want_late.integrated, want_mix.integrated),
            0.1,
        );
    }
}

/// A channel's sample peak is amplitude x 10^(trim + fader or scene + master)/20 x the louder
/// side of the mono pan law; a stem silent in a span measures None everywhere (not -inf), and
/// a span under 3 s has no short-term max or range.
#[test]
fn peaks_follow_the_gains_and_pan_law() {
    let f = fixture();
    let (tl, tr) = Pan(TONE_PAN).mono_gains();
    let tone_peak =
        20.0 * (TONE_AMP * db(TONE_TRIM + TONE_GAIN + MASTER) * f64::from(tl.max(tr))).log10();
    let (ll, lr) = Pan(LATE_PAN).mono_gains();
    let late_peak =
        20.0 * (LATE_AMP * db(LATE_SCENE_GAIN + MASTER) * f64::from(ll.max(lr))).log10();
    for span in &f.report.spans {
        near(
            &format!("{} Tone sample peak", span.name),
            span.channels[0].measures.sample_peak_dbfs,
            Some(tone_peak),
            0.05,
        );
    }
    near(
        "Late sample peak in B",
        f.report.spans[2].channels[1].measures.sample_peak_dbfs,
        Some(late_peak),
        0.05,
    );

    let before = &f.report.spans[0];
    assert_eq!(before.channels[1].measures, Measures::default());
    assert_eq!(before.channels[1].relative_lu, None);
    assert!(before.mix.integrated_lufs.is_some());
    assert_eq!(
        before.mix.short_term_max_lufs, None,
        "0.5 s has no 3 s window"
    );
    assert_eq!(before.mix.loudness_range_lu, None);
    assert_eq!(f.report.spans[1].channels[1].measures, Measures::default());
}

/// The whole song matches one fresh ebur128 fed all of it (loudness, short-term max and range
/// count the windows across section boundaries), peaks included.
#[test]
fn whole_song_matches_one_meter_over_it() {
    let f = fixture();
    let song = &f.report.song;
    assert_eq!((song.start_frame, song.end_frame), (0, FRAMES as u64));
    matches("song mix", &song.mix, &expected(&f.mix, 0, FRAMES));
    matches(
        "song Tone",
        &song.channels[0].measures,
        &expected(&f.tone, 0, FRAMES),
    );
    matches(
        "song Late",
        &song.channels[1].measures,
        &expected(&f.late, 0, FRAMES),
    );
}

/// Changes run between consecutive sections only (not from the span before them): the mix's
/// and each channel's change of loudness and of relative level are the differences of the
/// spans' figures and of the independent ones; a channel silent on one side has none.
#[test]
fn changes_are_section_to_section_differences() {
    let f = fixture();
    let report = &f.report;
    assert_eq!(report.changes.len(), 1);
    let change = &report.changes[0];
    assert_eq!((change.from.as_str(), change.to.as_str()), ("A", "B"));
    let (a, b) = (&report.spans[1], &report.spans[2]);
    near(
        "mix change",
        change.mix_lu,
        diff(b.mix.integrated_lufs, a.mix.integrated_lufs),
        1e-9,
    );
    let want_mix_change = diff(
        expected(&f.mix, B_START, FRAMES).integrated,
        expected(&f.mix, A_START, B_START).integrated,
    );
    near(
        "mix change (independent)",
        change.mix_lu,
        want_mix_change,
        0.1,
    );
    let tone = &change.channels[0];
    near("Tone level change", tone.level_lu, Some(0.0), 0.1);
    near(
        "Tone relative change",
        tone.relative_lu,
        diff(b.channels[0].relative_lu, a.channels[0].relative_lu),
        1e-9,
    );
    near(
        "Tone relative change (independent)",
        tone.relative_lu,
        want_mix_change.map(|m| -m),
        0.15,
    );
    assert_eq!(change.channels[1].level_lu, None, "Late is silent in A");
    assert_eq!(change.channels[1].relative_lu, None);
}

/// A session without sections reports the whole song only: no spans, no changes, and the
/// song's peaks are still measured.
#[test]
fn no_sections_reports_the_whole_song() {
    let ts = TempSession::new();
    write_wav_f32(
        &ts.path("stems/tone.wav"),
        RATE,
        &[sine(1000.0, 0.5, 0)[..RATE as usize].to_vec()],
    );
    let path = ts.write_session(
        r#"version = 1
name = "One"

[[channel]]
name = "Tone"
file = "stems/tone.wav"
pan = -1.0
"#,
    );
    let report = measure(&path);
    assert!(report.spans.is_empty());
    assert!(report.changes.is_empty());
    near(
        "peak",
        report.song.mix.sample_peak_dbfs,
        Some(20.0 * 0.5f64.log10()),
        0.05,
    );
    near(
        "relative",
        report.song.channels[0].relative_lu,
        Some(0.0),
        1e-9,
    );
    let text = to_text(&report, Format::Table);
    assert!(text.contains("Whole song"), "{text}");
    assert!(!text.contains("Changes"), "{text}");
}

/// Long names, a name with a comma and a quote, a channel that never plays and seven sections
/// (six changes: more than one block of columns).
fn wide_session(ts: &TempSession) -> PathBuf {
    let tone = sine(1000.0, 0.3, 0)[..7 * RATE as usize].to_vec();
    write_wav_f32(&ts.path("stems/a.wav"), RATE, std::slice::from_ref(&tone));
    write_wav_f32(
        &ts.path("stems/b.wav"),
        RATE,
        &[tone, sine(500.0, 0.3, 0)[..7 * RATE as usize].to_vec()],
    );
    write_wav_f32(
        &ts.path("stems/silent.wav"),
        RATE,
        &[vec![0.0; 7 * RATE as usize]],
    );
    let mut text = String::from(
        r#"version = 1
name = "A session whose name is long enough to need cutting somewhere near the edge"

[[channel]]
name = "An extraordinarily long channel name that cannot fit"
file = "stems/a.wav"
gain_db = -3.0

[[channel]]
name = "Keys, \"wide\""
file = "stems/b.wav"
pan = 0.5

[[channel]]
name = "Silent"
file = "stems/silent.wav"
"#,
    );
    for (i, name) in [
        "Intro",
        "Verse one with a long name",
        "Chorus",
        "Verse 2",
        "Chorus 2",
        "Bridge",
        "Outro",
    ]
    .iter()
    .enumerate()
    {
        let _ = write!(text, "\n[[section]]\nname = \"{name}\"\nstart = {i}.0\n");
    }
    ts.write_session(&text)
}

fn run(path: &Path, format: &str) -> String {
    let out = earmix()
        .arg("report")
        .arg(path)
        .args(["--format", format])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.is_empty(),
        "no progress bar without a terminal: {stderr}"
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The table fits 80 columns (names cut, changes split into blocks of columns), shows every
/// span and "—" for nothing measured, and is the default format.
#[test]
fn table_fits_80_columns() {
    let ts = TempSession::new();
    let path = wide_session(&ts);
    let text = run(&path, "table");
    for line in text.lines() {
        assert!(
            line.chars().count() <= 80,
            "{} columns: {line:?}",
            line.chars().count()
        );
    }
    for needle in [
        "Whole song",
        "Intro",
        "Verse one with a long name",
        "Outro",
        "I LUFS",
        "rel LU",
        "An extraordinarily",
        "Silent",
        "\u{2014}",
        "Changes",
        "\u{2192} Outro",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    // (The first line holds the session's path, which could hold anything.)
    for line in text.lines().skip(1) {
        assert!(!line.contains("inf") && !line.contains("NaN"), "{line}");
    }
    // Six changes do not fit one block of columns: the "from" header row appears twice.
    let headers = text.lines().filter(|l| l.contains("\u{2192}")).count();
    assert_eq!(headers, 2, "{text}");
    let default = earmix().arg("report").arg(&path).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&default.stdout), text);
}

/// JSON parses and has the documented structure; nothing measured is null.
#[test]
fn json_has_the_documented_fields() {
    let ts = TempSession::new();
    let path = wide_session(&ts);
    let text = run(&path, "json");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["format"], "earmix-report");
    assert_eq!(v["version"], 1);
    assert_eq!(v["session"]["sample_rate"], RATE);
    assert_eq!(v["session"]["frames"], 7 * RATE);
    assert_eq!(v["session"]["seconds"], 7.0);
    assert!(
        v["session"]["path"]
            .as_str()
            .unwrap()
            .ends_with("session.toml")
    );
    assert_eq!(v["channels"].as_array().unwrap().len(), 3);
    let measures = [
        "integrated_lufs",
        "short_term_max_lufs",
        "loudness_range_lu",
        "sample_peak_dbfs",
        "true_peak_dbtp",
    ];
    let spans = v["spans"].as_array().unwrap();
    assert_eq!(spans.len(), 7);
    for span in std::iter::once(&v["song"]).chain(spans) {
        for key in [
            "name",
            "kind",
            "start_frame",
            "end_frame",
            "start_s",
            "end_s",
        ] {
            assert!(!span[key].is_null(), "{key} in {span}");
        }
        for key in measures {
            assert!(span["mix"].get(key).is_some(), "mix {key} in {span}");
        }
        let channels = span["channels"].as_array().unwrap();
        assert_eq!(channels.len(), 3);
        for ch in channels {
            for key in measures.iter().chain(&["name", "relative_lu"]) {
                assert!(ch.get(key).is_some(), "{key} in {ch}");
            }
        }
        assert!(span["mix"]["integrated_lufs"].is_f64());
        let silent = &channels[2];
        assert_eq!(silent["name"], "Silent");
        for key in measures.iter().chain(&["relative_lu"]) {
            assert!(silent[key].is_null(), "Silent {key} is {}", silent[key]);
        }
    }
    assert_eq!(v["song"]["kind"], "song");
    assert_eq!(spans[0]["kind"], "section");
    assert_eq!(spans[1]["start_s"], 1.0);
    let changes = v["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 6);
    assert_eq!(changes[0]["from"], "Intro");
    assert_eq!(changes[0]["to"], "Verse one with a long name");
    assert!(changes[0]["mix_lu"].is_f64());
    for ch in changes[0]["channels"].as_array().unwrap() {
        for key in ["name", "level_lu", "relative_lu"] {
            assert!(ch.get(key).is_some(), "{key} in {ch}");
        }
    }
}

/// Splits one CSV line into fields (RFC 4180 quoting).
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(String::new()),
            (c, _) => fields.last_mut().unwrap().push(c),
        }
    }
    fields
}

/// CSV: the documented header, one row per (span, source) with the song first, names quoted
/// when they need it, empty fields for nothing measured.
#[test]
fn csv_has_a_row_per_span_and_source() {
    let ts = TempSession::new();
    let path = wide_session(&ts);
    let text = run(&path, "csv");
    let rows: Vec<Vec<String>> = text.lines().map(csv_fields).collect();
    let header = [
        "span",
        "span_kind",
        "start_s",
        "end_s",
        "source",
        "source_kind",
        "integrated_lufs",
        "short_term_max_lufs",
        "loudness_range_lu",
        "sample_peak_dbfs",
        "true_peak_dbtp",
        "relative_lu",
        "change_lu",
        "relative_change_lu",
    ];
    assert_eq!(rows[0], header);
    // (song + 7 sections) x (mix + 3 channels).
    assert_eq!(rows.len(), 1 + 8 * 4);
    for row in &rows[1..] {
        assert_eq!(row.len(), header.len(), "{row:?}");
    }
    assert_eq!(rows[1][..6], ["Whole song", "song", "0", "7", "mix", "mix"]);
    assert_eq!(rows[3][4], "Keys, \"wide\"");
    let silent = &rows[4];
    assert_eq!(silent[4], "Silent");
    assert!(silent[6..].iter().all(String::is_empty), "{silent:?}");
    // The second section's mix row carries its change from the first.
    let verse = &rows[9];
    assert_eq!(verse[0], "Verse one with a long name");
    assert_eq!(verse[4], "mix");
    assert!(verse[12].parse::<f64>().is_ok(), "{verse:?}");
    // Numbers keep three decimals.
    assert!(rows[1][6].split('.').nth(1).is_some_and(|d| d.len() == 3));
}

/// A stem that stops exactly where a section starts leaves that section digitally silent, and
/// the section measures nothing there, though its meters, seeded with the 100 ms before it,
/// ring with the tone that just stopped (they read -51.7 LUFS, a short-term max of -60.5 LUFS,
/// an LRA of 0.0 and -12.0 dBTP before silence was ruled out); so no change into it either.
/// The song still counts the tone.
#[test]
fn a_section_after_a_stem_stops_measures_nothing() {
    let ts = TempSession::new();
    let mut stop = sine(1000.0, 0.5, 0);
    stop[B_START..].fill(0.0);
    write_wav_f32(&ts.path("stems/stop.wav"), RATE, &[stop]);
    let path = ts.write_session(
        r#"version = 1
name = "Stop"

[[channel]]
name = "Stop"
file = "stems/stop.wav"

[[section]]
name = "A"
start = 0.0

[[section]]
name = "B"
start = 4.0
"#,
    );
    let csv = run(&path, "csv");
    let rows: Vec<Vec<String>> = csv.lines().skip(1).map(csv_fields).collect();
    let b: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == "B").collect();
    assert_eq!(b.len(), 2, "{csv}");
    for row in b {
        assert!(
            row[6..].iter().all(String::is_empty),
            "nothing measured in a silent section: {row:?}\n{csv}"
        );
    }
    let song = &rows[0];
    assert_eq!(song[0], "Whole song");
    assert!(song[6..11].iter().all(|f| !f.is_empty()), "{song:?}");
}

/// `earmix report`, the exercises' channel levels (`analysis::levels`: what the Blindfold
/// Balance Test and the level drill measure) and Reference Deconstruction are one measurement:
/// on the tone session with a reference added, the deconstruction's stretches are the report's
/// spans (same names, the lead-in "(before A)" included, same frames), and per span the mix's
/// integrated loudness and range and each channel's integrated loudness and sample peak read
/// the same in all three.
#[test]
fn report_exercises_and_deconstruction_read_one_measurement() {
    let ts = TempSession::new();
    let (path, tone, late) = tone_session(&ts);
    // Any stereo file will do as the reference: its figures are not compared here.
    write_wav_f32(&ts.path("ref.wav"), RATE, &[late, tone]);
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("\n[reference]\nfile = \"ref.wav\"\n");
    std::fs::write(&path, text).unwrap();
    let session = earmix::session::load(&path).unwrap();

    let json: serde_json::Value = serde_json::from_str(&run(&path, "json")).unwrap();
    let num = |v: &serde_json::Value| v.as_f64();
    let comparison = earmix::exercise::deconstruct::compare(&session).unwrap();
    let spans = json["spans"].as_array().unwrap();
    let names: Vec<&str> = spans.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["(before A)", "A", "B"]);
    assert_eq!(comparison.sections.len(), spans.len());
    let same = |what: &str, a: Option<f64>, b: Option<f64>| {
        assert!(a.is_some(), "{what}: nothing measured");
        near(what, a, b, 1e-9);
    };
    for (span, section) in spans.iter().zip(&comparison.sections) {
        let name = span["name"].as_str().unwrap();
        assert_eq!(section.name, name);
        assert_eq!(section.start.0, num(&span["start_s"]).unwrap(), "{name}");
        assert_eq!(section.end.0, num(&span["end_s"]).unwrap(), "{name}");
        let mix = &span["mix"];
        same(
            &format!("{name} mix loudness"),
            section.mix.integrated_lufs,
            num(&mix["integrated_lufs"]),
        );
        // The 0.5 s lead-in is too short for a loudness range; A and B have one.
        assert_eq!(
            section.mix.range_lu.is_some(),
            name != "(before A)",
            "{name}"
        );
        near(
            &format!("{name} mix range"),
            section.mix.range_lu,
            num(&mix["loudness_range_lu"]),
            1e-9,
        );

        let start = span["start_frame"].as_u64().unwrap();
        let end = span["end_frame"].as_u64().unwrap();
        let levels = earmix::analysis::levels::measure_span(&session, start, end).unwrap();
        let channels = span["channels"].as_array().unwrap();
        assert_eq!(levels.len(), channels.len());
        for (level, channel) in levels.iter().zip(channels) {
            let who = format!("{name} {}", channel["name"]);
            let loudness = num(&channel["integrated_lufs"]);
            near(
                &format!("{who} loudness"),
                level.loudness_lufs,
                loudness,
                1e-9,
            );
            let peak = num(&channel["sample_peak_dbfs"]);
            near(&format!("{who} peak"), level.peak_dbfs, peak, 1e-9);
        }
    }
    same(
        "song mix loudness",
        comparison.song_mix.integrated_lufs,
        num(&json["song"]["mix"]["integrated_lufs"]),
    );
}

/// A missing session file: exit 1, a message naming the path, no panic.
#[test]
fn missing_session_is_reported() {
    let ts = TempSession::new();
    let path = ts.path("nowhere/session.toml");
    let out = earmix().arg("report").arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("nowhere/session.toml"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.stdout.is_empty());
}

/// A stem that is not there: exit 1, a message naming the stem, no panic.
#[test]
fn missing_stem_is_reported() {
    let ts = TempSession::new();
    let (path, _, _) = tone_session(&ts);
    std::fs::remove_file(ts.path("stems/late.wav")).unwrap();
    let out = earmix().arg("report").arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("stems/late.wav"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// An unknown format is refused by the argument parser, naming the value and the choices.
#[test]
fn unknown_format_is_refused() {
    let ts = TempSession::new();
    let (path, _, _) = tone_session(&ts);
    let out = earmix()
        .arg("report")
        .arg(&path)
        .args(["--format", "xml"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("'xml'") && stderr.contains("table, json or csv"),
        "{stderr}"
    );
}
