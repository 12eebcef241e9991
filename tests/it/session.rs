//! Session files: loading the shipped fixtures, error messages for broken files, and saving.

use std::fs;
use std::path::{Path, PathBuf};

use earmix::session::{self, SaveError, Session};

use crate::support::{TempSession, write_wav_f32};

/// A temporary folder holding generated stems and one fixture copied in beside them.
fn with_fixture(kind: &str, name: &str) -> (TempSession, PathBuf) {
    let tmp = TempSession::new();
    let mono = |frames: usize| vec![vec![0.0; frames]];
    let stereo = |frames: usize| vec![vec![0.0; frames]; 2];
    write_wav_f32(&tmp.path("stems/kick.wav"), 48_000, &mono(48_000));
    write_wav_f32(&tmp.path("stems/bass.wav"), 48_000, &stereo(24_000));
    write_wav_f32(&tmp.path("stems/keys.wav"), 48_000, &stereo(36_000));
    write_wav_f32(
        &tmp.path("stems/three.wav"),
        48_000,
        &vec![vec![0.0; 4_800]; 3],
    );
    fs::write(
        tmp.path("stems/corrupt.wav"),
        "this is not audio, just text with a .wav name",
    )
    .unwrap();
    write_wav_f32(&tmp.path("reference.wav"), 44_100, &stereo(44_100));
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(kind)
        .join(name);
    let path = tmp.path(name);
    fs::copy(&source, &path).unwrap();
    (tmp, path)
}

fn sorted(mut names: Vec<&str>) -> Vec<String> {
    names.sort_unstable();
    names.into_iter().map(str::to_string).collect()
}

fn fixture_names(kind: &str) -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(kind);
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Loads an invalid fixture and returns its error text.
fn load_errors(name: &str) -> String {
    let (_tmp, path) = with_fixture("invalid", name);
    match session::load(&path) {
        Ok(session) => panic!("{name} loaded: {session:?}"),
        Err(errors) => errors.to_string(),
    }
}

/// Every invalid fixture and the lines it must produce, each naming the file, line:column, key,
/// the value as written, and what is allowed.
const INVALID: &[(&str, &[&str])] = &[
    (
        "unknown_key.toml",
        &[
            "unknown_key.toml:9:1: channel[2].colour: unknown key 'colour' in [[channel]]; \
           allowed: name, file, role, trim_db, gain_db, pan, mute, solo",
        ],
    ),
    (
        "key_type_and_missing.toml",
        &[
            "key_type_and_missing.toml:1:1: name: missing: every session needs a name",
            "key_type_and_missing.toml:7:1: channel[1].colour: unknown key 'colour' in \
             [[channel]]; allowed: name, file, role, trim_db, gain_db, pan, mute, solo, start",
            "key_type_and_missing.toml:9:1: channel[2].name: missing: every [[channel]] needs a \
             name",
            "key_type_and_missing.toml:11:11: channel[2].gain_db = \"loud\": expected a number, \
             not text",
            "4 problems in ",
        ],
    ),
    (
        "wrong_type.toml",
        &["wrong_type.toml:7:11: channel[1].gain_db = \"loud\": expected a number, not text"],
    ),
    (
        "version_missing.toml",
        &[
            "version_missing.toml:1:1: version: missing: a session file starts with \
           `version = 1`",
        ],
    ),
    (
        "version_2.toml",
        &[
            "version_2.toml:2:11: version = 2: this earmix reads session files of version 1 only \
           (supported versions: 1)",
        ],
    ),
    (
        "duplicate_channel.toml",
        &[
            "duplicate_channel.toml:9:8: channel[2].name = \"Kick\": channel[1] (line 5) already \
           has this name; channel names must be unique",
        ],
    ),
    (
        "gain_out_of_range.toml",
        &[
            "gain_out_of_range.toml:13:11: channel[2].gain_db = 20.0: the fader goes from -inf \
           (off) to +12 dB",
        ],
    ),
    (
        "trim_pan_out_of_range.toml",
        &[
            "trim_pan_out_of_range.toml:7:11: channel[1].trim_db = 30: trim goes from -24 to +24 dB",
            "trim_pan_out_of_range.toml:8:7: channel[1].pan = -1.5: pan goes from -1 (left) to +1 \
             (right)",
        ],
    ),
    (
        "bad_role.toml",
        &[
            "bad_role.toml:7:8: channel[1].role = \"drumz\": not a role; use one of kick, snare, \
           drums, room, percussion, bass, guitar, keys, piano, synth, pad, strings, brass, \
           woodwind, vocal, lead_vocal, backing_vocal, fx, other",
        ],
    ),
    (
        "bad_time.toml",
        &[
            "bad_time.toml:10:9: section[1].start = \"0:75\": not a time; write minutes:seconds \
           like \"1:23.500\"",
        ],
    ),
    (
        "sections_not_increasing.toml",
        &[
            "sections_not_increasing.toml:14:9: section[2].start = \"0:00.250\": sections must \
           start in time order: this one starts at 0:00.250, not after section[1] (\"Verse\") \
           at 0:00.500",
        ],
    ),
    (
        "section_beyond_end.toml",
        &[
            "section_beyond_end.toml:14:9: section[2].start = \"0:05\": starts at 0:05.000, but \
           the session ends at 0:01.000 (its longest stem); a section must start before the end",
        ],
    ),
    (
        "override_missing_channel.toml",
        &[
            "override_missing_channel.toml:11:24: section[1].gain_db.Bongos: no channel is \
           named \"Bongos\"; the channels are \"Kick\"",
        ],
    ),
    (
        "missing_stem.toml",
        &[
            "missing_stem.toml:6:8: channel[1].file = \"stems/nowhere.wav\": cannot open ",
            "/stems/nowhere.wav: no such file",
        ],
    ),
    (
        "corrupt_stem.toml",
        &[
            "corrupt_stem.toml:6:8: channel[1].file = \"stems/corrupt.wav\": cannot decode ",
            "/stems/corrupt.wav: ",
        ],
    ),
    (
        "three_channel_stem.toml",
        &[
            "three_channel_stem.toml:6:8: channel[1].file = \"stems/three.wav\": ",
            "/stems/three.wav has 3 channels; earmix mixes mono or stereo stems only",
        ],
    ),
    (
        "automation_errors.toml",
        &[
            "automation_errors.toml:9:8: group[1].name = \"Kick\": channel[1] (line 5) is a \
             channel with this name; channels and groups share names",
            "automation_errors.toml:10:12: group[1].members[1] = \"Snare\": no channel is named \
             \"Snare\"; the channels are \"Kick\"",
            "automation_errors.toml:14:31: ride[1].points[2] = \"0:00.200\": a ride's points go \
             in time order, each later than the one before: this one is at 0:00.200, not after \
             ride[1].points[1] at 0:00.500",
            "automation_errors.toml:14:50: ride[1].points[3] = \"0:02.000\": this point is at \
             0:02.000, but the session ends at 0:01.000 (its longest stem)",
            "4 problems in ",
        ],
    ),
    (
        "many_errors.toml",
        &[
            "many_errors.toml:3:8: name = \"\": a name cannot be empty",
            "many_errors.toml:4:13: master_db = 13: the master fader goes from -inf (off) to +12 dB",
            "many_errors.toml:9:11: channel[1].gain_db = 20: the fader goes",
            "many_errors.toml:12:8: channel[2].name = \"Kick\": channel[1] (line 7) already has",
            "many_errors.toml:13:8: channel[2].file = \"stems/nowhere.wav\": cannot open ",
            "many_errors.toml:14:8: channel[2].role = \"drumz\": not a role",
            "many_errors.toml:18:9: section[1].start = \"nope\": not a time",
            "many_errors.toml:19:13: section[1].gain_db.Bongos: no channel is named \"Bongos\"",
            "many_errors.toml:22:8: reference.file = \"missing-reference.wav\": cannot open ",
            "9 problems in ",
        ],
    ),
];

/// `earmix check` on a file with an unknown key, text where a number belongs and missing names
/// prints every one of them, in file order, each with file, line, column, key and value, and exits
/// 1 (serde used to stop at the unknown key).
#[test]
fn check_reports_unknown_keys_wrong_types_and_missing_keys_together() {
    let (_tmp, path) = with_fixture("invalid", "key_type_and_missing.toml");
    let out = crate::support::earmix()
        .arg("check")
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let file = path.display().to_string();
    let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with(&file)).collect();
    assert_eq!(
        lines,
        [
            format!("{file}:1:1: name: missing: every session needs a name"),
            format!(
                "{file}:7:1: channel[1].colour: unknown key 'colour' in [[channel]]; allowed: \
                 name, file, role, trim_db, gain_db, pan, mute, solo, start"
            ),
            format!("{file}:9:1: channel[2].name: missing: every [[channel]] needs a name"),
            format!("{file}:11:11: channel[2].gain_db = \"loud\": expected a number, not text"),
        ],
        "{stderr}"
    );
}

/// Every invalid fixture fails to load with messages naming the file, line:column, key and
/// value, and every fixture in the folder is covered.
#[test]
fn invalid_fixtures_report_located_errors() {
    let covered: Vec<&str> = INVALID.iter().map(|(name, _)| *name).collect();
    assert_eq!(fixture_names("invalid"), sorted(covered));
    for (name, expected) in INVALID {
        let text = load_errors(name);
        for needle in *expected {
            assert!(
                text.contains(needle),
                "{name}: missing {needle:?} in:\n{text}"
            );
        }
    }
}

/// All problems in a file are reported together, one per line, in file order.
#[test]
fn several_problems_are_reported_together() {
    let (_tmp, path) = with_fixture("invalid", "many_errors.toml");
    let errors = session::load(&path).unwrap_err();
    assert_eq!(errors.len(), 9);
    let positions: Vec<(usize, usize)> = errors.iter().map(|e| (e.line, e.column)).collect();
    let mut sorted = positions.clone();
    sorted.sort_unstable();
    assert_eq!(positions, sorted);
    let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "name",
            "master_db",
            "channel[1].gain_db",
            "channel[2].name",
            "channel[2].file",
            "channel[2].role",
            "section[1].start",
            "section[1].gain_db.Bongos",
            "reference.file",
        ]
    );
    assert!(errors.iter().all(|e| e.file == path));
    assert_eq!(errors.to_string().lines().count(), 10);
}

/// Errors carry structured fields, not just text.
#[test]
fn errors_have_structured_fields() {
    let (_tmp, path) = with_fixture("invalid", "gain_out_of_range.toml");
    let errors = session::load(&path).unwrap_err();
    let error = errors.iter().next().unwrap();
    assert_eq!(error.file, path);
    assert_eq!((error.line, error.column), (13, 11));
    assert_eq!(error.key, "channel[2].gain_db");
    assert_eq!(error.value.as_deref(), Some("20.0"));
    assert_eq!(error.message, "the fader goes from -inf (off) to +12 dB");
    let boxed: Box<dyn std::error::Error> = Box::new(errors);
    assert!(boxed.to_string().contains("gain_out_of_range.toml:13:11"));
}

/// Every valid fixture loads.
#[test]
fn valid_fixtures_load() {
    let names = fixture_names("valid");
    assert!(names.len() >= 2);
    for name in names {
        let (_tmp, path) = with_fixture("valid", &name);
        if let Err(errors) = session::load(&path) {
            panic!("{name}:\n{errors}");
        }
    }
}

/// The full fixture reads every key: integers as floats, -inf, both time forms, a reference
/// at another rate, and the stems probed in channel order.
#[test]
fn full_fixture_reads_every_key() {
    use earmix::session::Role;
    use earmix::units::{Decibels, Pan, Seconds};
    let (_tmp, path) = with_fixture("valid", "full.toml");
    let s = session::load(&path).unwrap();
    assert_eq!(s.path, path);
    assert_eq!(s.name, "Folk Arc");
    assert_eq!((s.sample_rate, s.sample_rate_explicit), (48_000, true));
    assert_eq!(s.master_db, Decibels(-1.0));
    let names: Vec<&str> = s.channels.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Kick", "Bass", "Melody keys"]);
    let kick = &s.channels[0];
    assert_eq!(kick.file, Path::new("stems/kick.wav"));
    assert_eq!(kick.role, Some(Role::Kick));
    assert_eq!(
        (kick.trim_db, kick.gain_db, kick.pan),
        (Decibels(-3.5), Decibels(-6.0), Pan(0.0))
    );
    assert!(s.channels[1].gain_db.is_off());
    assert_eq!(s.channels[1].pan, Pan(-0.25));
    assert!(s.channels[2].solo && !s.channels[2].mute);
    let starts: Vec<Seconds> = s.sections.iter().map(|x| x.start).collect();
    assert_eq!(starts, [Seconds(0.0), Seconds(0.25), Seconds(0.5)]);
    assert_eq!(
        s.sections[1].gain_db,
        [
            ("Melody keys".to_string(), Decibels(-3.0)),
            ("Kick".to_string(), Decibels::OFF)
        ]
    );
    let reference = s.reference.as_ref().unwrap();
    assert_eq!(
        (reference.file.as_path(), reference.offset),
        (Path::new("reference.wav"), Seconds(0.125))
    );
    let stems: Vec<(u16, u32, u64)> = s
        .stems
        .iter()
        .map(|i| (i.channels, i.sample_rate, i.frames))
        .collect();
    assert_eq!(
        stems,
        [
            (1, 48_000, 48_000),
            (2, 48_000, 24_000),
            (2, 48_000, 36_000)
        ]
    );
    assert_eq!(s.length_frames, 48_000);
}

/// `earmix check` lists a session's groups (fader, members) and rides (points, first and last
/// time).
#[test]
fn check_lists_groups_and_rides() {
    let (_tmp, path) = with_fixture("valid", "automation.toml");
    let out = crate::support::earmix()
        .arg("check")
        .arg(&path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = |start: &str| {
        stdout
            .lines()
            .find(|l| l.trim_start().starts_with(start))
            .unwrap_or_else(|| panic!("no line for {start:?} in:\n{stdout}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(line("Rhythm"), "Rhythm -2.5 dB Kick, Bass");
    assert_eq!(line("Everything"), "Everything +0.0 dB Kick, Bass, Keys");
    assert!(stdout.contains("ride "), "{stdout}");
}

/// The automation fixture reads its groups (a channel in two), scenes naming groups and rides
/// in every time form; saving it unchanged gives it back byte for byte; changed, added and
/// removed groups and rides save, keep the comments of what stayed, and load back the same.
#[test]
fn automation_fixture_reads_and_saves_groups_and_rides() {
    use earmix::session::{Group, Ride, RidePoint};
    use earmix::units::{Decibels, Pan};
    let (_tmp, path) = with_fixture("valid", "automation.toml");
    let before = fs::read_to_string(&path).unwrap();
    let mut s = session::load(&path).unwrap();
    assert_eq!(
        s.groups,
        [
            Group {
                gain_db: Decibels(-2.5),
                pan: Pan(-0.1),
                ..Group::new("Rhythm", vec!["Kick".into(), "Bass".into()])
            },
            Group::new(
                "Everything",
                vec!["Kick".into(), "Bass".into(), "Keys".into()]
            ),
        ]
    );
    assert_eq!(
        s.rides[0],
        Ride {
            target: "Keys".into(),
            points: vec![
                RidePoint::new(0.1, 0.0),
                RidePoint::new(0.25, 2.5),
                RidePoint::new(0.4, -1.25),
                RidePoint::new(1.0, 0.0),
            ],
        }
    );
    assert_eq!(s.rides[1].target, "Rhythm");
    assert_eq!(s.rides[1].points.len(), 5);
    assert_eq!(s.sections[0].gain_db, [("Rhythm".into(), Decibels(-6.0))]);
    assert_eq!(s.sections[1].mute, ["Everything"]);
    // The bass plays at its own fader plus its groups'.
    let heard = s.heard_levels(1).unwrap();
    assert_eq!((heard.gain, heard.pan), (Decibels(-5.5), Pan(-0.1)));

    session::save(&s).unwrap();
    assert_eq!(fs::read_to_string(&path).unwrap(), before);

    s.groups[0].gain_db = Decibels(-4.0);
    s.groups[1].solo = true;
    s.rides[0].points.insert(1, RidePoint::new(0.2, 1.234));
    s.rides.remove(1);
    s.rides.push(Ride {
        target: "Everything".into(),
        points: vec![RidePoint::new(0.0, -1.0), RidePoint::new(0.9, 1.0)],
    });
    session::save(&s).unwrap();
    let after = fs::read_to_string(&path).unwrap();
    for comment in [
        "# Kick and bass move as one.",
        "# a channel in two groups adds both",
    ] {
        assert!(after.contains(comment), "{comment} lost:\n{after}");
    }
    assert!(!after.contains("# Ridden by ear."), "{after}");
    assert!(
        after.ends_with(
            "[[ride]]\ngroup = \"Everything\"\npoints = [[\"0:00.000\", -1.0], \
             [\"0:00.900\", 1.0]]\n"
        ),
        "{after}"
    );
    let mut expected = s.clone();
    // Levels are written to 0.01 dB.
    expected.rides[0].points[1] = RidePoint::new(0.2, 1.23);
    assert_eq!(session::load(&path).unwrap(), expected);
}

/// Without a `sample_rate` key the session runs at the (first) stem's rate.
#[test]
fn rate_defaults_to_the_stems() {
    let (_tmp, path) = with_fixture("valid", "minimal.toml");
    let s = session::load(&path).unwrap();
    assert_eq!((s.sample_rate, s.sample_rate_explicit), (48_000, false));
    assert!(s.sections.is_empty() && s.reference.is_none());
}

/// A stem at another rate than the session loads (it is resampled when played): the first stem
/// sets the rate, the length is the longest stem at that rate rounded up, and `earmix check`
/// shows each stem's own rate and what it is resampled to.
#[test]
fn stems_at_another_rate_load_and_check_says_so() {
    let (tmp, _) = with_fixture("valid", "minimal.toml");
    // kick.wav: 48000 frames at 48 kHz; long.wav: 66151 frames at 44.1 kHz (1.5 s and a frame).
    write_wav_f32(&tmp.path("stems/long.wav"), 44_100, &[vec![0.0; 66_151]]);
    let path = tmp.write_session(
        "version = 1\nname = \"Two rates\"\n\
         [[channel]]\nname = \"Kick\"\nfile = \"stems/kick.wav\"\n\
         [[channel]]\nname = \"Pad\"\nfile = \"stems/long.wav\"\n\
         [[section]]\nname = \"Late\"\nstart = 1.4\n",
    );
    let s = session::load(&path).unwrap();
    assert_eq!((s.sample_rate, s.sample_rate_explicit), (48_000, false));
    // ceil(66151 * 48000 / 44100) = ceil(72001.09)
    assert_eq!(s.length_frames, 72_002);
    let rates: Vec<u32> = s.stems.iter().map(|i| i.sample_rate).collect();
    assert_eq!(rates, [48_000, 44_100]);
    let summary = earmix::commands::check::summary(&s);
    let pad = summary.lines().find(|l| l.contains("Pad")).unwrap();
    assert!(pad.contains(" 44100 "), "{summary}");
    assert!(pad.ends_with("(resampled to 48000 Hz)"), "{summary}");
    let kick = summary.lines().find(|l| l.contains("Kick")).unwrap();
    assert!(!kick.contains("resampled"), "{summary}");
    // With the key, the key wins over the first stem.
    std::fs::write(
        &path,
        std::fs::read_to_string(&path).unwrap().replace(
            "name = \"Two rates\"",
            "name = \"Two rates\"\nsample_rate = 44100",
        ),
    )
    .unwrap();
    let s = session::load(&path).unwrap();
    assert_eq!((s.sample_rate, s.length_frames), (44_100, 66_151));
}

/// Load, change faders, mute and a section's scene, save, load again: the same session.
#[test]
fn save_round_trips() {
    use earmix::units::Decibels;
    let (_tmp, path) = with_fixture("valid", "full.toml");
    let mut s = session::load(&path).unwrap();
    s.channels[0].gain_db = Decibels(-7.5);
    s.channels[1].gain_db = Decibels(3.0);
    s.channels[2].mute = true;
    s.master_db = Decibels::OFF;
    s.sections[2].gain_db[0].1 = Decibels(-1.25);
    s.sections[0].gain_db.push(("Bass".into(), Decibels(-12.0)));
    session::save(&s).unwrap();
    assert_eq!(session::load(&path).unwrap(), s);
}

/// Saving keeps a hand-written file's comments verbatim and changes only the edited lines.
#[test]
fn save_keeps_comments_and_layout() {
    use earmix::units::Decibels;
    let (_tmp, path) = with_fixture("valid", "full.toml");
    let before = fs::read_to_string(&path).unwrap();
    let mut s = session::load(&path).unwrap();
    s.channels[0].gain_db = Decibels(-9.0);
    s.channels[2].mute = true;
    session::save(&s).unwrap();
    let after = fs::read_to_string(&path).unwrap();
    for line in before.lines().filter(|l| l.contains('#')) {
        let kept = line.contains("gain_db = -6") || after.lines().any(|a| a == line);
        assert!(kept, "comment line lost: {line:?}\n{after}");
    }
    assert!(
        after.contains("gain_db = -9          # integers are fine"),
        "{after}"
    );
    let removed: Vec<&str> = before
        .lines()
        .filter(|l| !after.lines().any(|a| a == *l))
        .collect();
    let added: Vec<&str> = after
        .lines()
        .filter(|l| !before.lines().any(|b| b == *l))
        .collect();
    assert_eq!(removed, ["gain_db = -6          # integers are fine"]);
    assert_eq!(
        added,
        ["gain_db = -9          # integers are fine", "mute = true"]
    );
}

/// Saving an unchanged session leaves the file byte for byte as it was.
#[test]
fn save_unchanged_is_byte_identical() {
    let (_tmp, path) = with_fixture("valid", "full.toml");
    let before = fs::read(&path).unwrap();
    session::save(&session::load(&path).unwrap()).unwrap();
    assert_eq!(fs::read(&path).unwrap(), before);
}

/// A session saved to a new path gets a fresh file that loads back the same.
#[test]
fn save_to_a_new_file_writes_a_fresh_document() {
    let (tmp, path) = with_fixture("valid", "full.toml");
    let mut s = session::load(&path).unwrap();
    s.path = tmp.path("copy.toml");
    session::save(&s).unwrap();
    let text = fs::read_to_string(&s.path).unwrap();
    assert!(
        text.starts_with("# earmix session\n\nversion = 1\nname = \"Folk Arc\"\n"),
        "{text}"
    );
    assert_eq!(session::load(&s.path).unwrap(), s);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = fs::metadata(&s.path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
    }
}

/// The folder's entries, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A successful save leaves no temporary file beside the session.
#[test]
fn save_leaves_no_temporary_files() {
    use earmix::units::Decibels;
    let (tmp, path) = with_fixture("valid", "full.toml");
    let before = entries(tmp.dir.path());
    let mut s = session::load(&path).unwrap();
    s.channels[0].gain_db = Decibels(1.0);
    session::save(&s).unwrap();
    assert_eq!(entries(tmp.dir.path()), before);
}

/// When the rename fails (the target is a non-empty folder), the target is untouched and the
/// temporary file is gone.
#[test]
fn failed_rename_leaves_target_and_no_temporary_file() {
    let tmp = TempSession::new();
    let target = tmp.path("session.toml");
    fs::create_dir(&target).unwrap();
    fs::write(target.join("inside.txt"), "keep me").unwrap();
    let before = entries(tmp.dir.path());
    let err = session::file::write_atomically(&target, b"version = 1\n").unwrap_err();
    assert!(matches!(err, SaveError::Write { .. }), "{err}");
    assert!(err.to_string().contains("session.toml"), "{err}");
    assert!(
        err.to_string()
            .contains("renaming the temporary file over it failed"),
        "{err}"
    );
    assert_eq!(entries(tmp.dir.path()), before);
    assert_eq!(
        fs::read_to_string(target.join("inside.txt")).unwrap(),
        "keep me"
    );
}

/// Saving through a symbolic link updates the file it points to and keeps the link.
#[cfg(unix)]
#[test]
fn save_through_a_symlink_keeps_the_link() {
    use earmix::units::Decibels;
    let (tmp, path) = with_fixture("valid", "minimal.toml");
    let link = tmp.path("link.toml");
    std::os::unix::fs::symlink(&path, &link).unwrap();
    let mut s = session::load(&link).unwrap();
    s.channels[0].gain_db = Decibels(-2.0);
    session::save(&s).unwrap();
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        fs::read_to_string(&path)
            .unwrap()
            .contains("gain_db = -2.0")
    );
}

/// Saving to a path that is a folder fails with an error naming it and writes nothing.
#[test]
fn save_to_a_folder_fails_cleanly() {
    let (tmp, path) = with_fixture("valid", "minimal.toml");
    let mut s = session::load(&path).unwrap();
    s.path = tmp.path("a-folder");
    fs::create_dir(&s.path).unwrap();
    let before = entries(tmp.dir.path());
    let err = session::save(&s).unwrap_err();
    assert!(err.to_string().contains("a-folder"), "{err}");
    assert_eq!(entries(tmp.dir.path()), before);
    assert!(s.path.is_dir());
}

/// If the file on disk stopped being TOML since it was loaded, saving refuses to overwrite it.
#[test]
fn save_does_not_overwrite_a_broken_file() {
    let (_tmp, path) = with_fixture("valid", "minimal.toml");
    let s = session::load(&path).unwrap();
    fs::write(&path, "version = 1\nname = \n").unwrap();
    let err = session::save(&s).unwrap_err();
    assert!(matches!(err, SaveError::NotToml { line: 2, .. }), "{err}");
    assert_eq!(fs::read_to_string(&path).unwrap(), "version = 1\nname = \n");
}

/// A session built by hand (not loaded) also saves and loads back.
#[test]
fn a_session_value_round_trips_through_a_string() {
    let (tmp, path) = with_fixture("valid", "minimal.toml");
    let s: Session = session::load(&path).unwrap();
    let text = session::to_toml_string(&s);
    let copy = tmp.path("from-string.toml");
    fs::write(&copy, text).unwrap();
    let mut loaded = session::load(&copy).unwrap();
    loaded.path = s.path.clone();
    assert_eq!(loaded, s);
}

/// The full fixture with a session ramp, and a scene mute and ramp in "Verse 1".
fn with_scene_fixture() -> (TempSession, PathBuf) {
    let (tmp, path) = with_fixture("valid", "full.toml");
    let text = fs::read_to_string(&path)
        .unwrap()
        .replace(
            "master_db = -1        # an integer where a float is expected\n",
            "master_db = -1        # an integer where a float is expected\n\
             ramp_ms = 300         # scene glides\n",
        )
        .replace(
            "gain_db = { \"Melody keys\" = -3.0, Kick = -inf }   # scene for the verse\n",
            "gain_db = { \"Melody keys\" = -3.0, Kick = -inf }   # scene for the verse\n\
             mute = [\"Bass\"]      # no bass in the verse\n\
             ramp_ms = 0           # a cut\n",
        );
    fs::write(&path, text).unwrap();
    (tmp, path)
}

/// Scene mutes and ramps load, edits to scenes and to the section list save into the
/// hand-written file keeping its comments, and the file loads back as the edited session.
#[test]
fn scenes_and_sections_save_and_load_back() {
    use earmix::app::edit::MixEdit;
    use earmix::session::Section;
    use earmix::units::{Decibels, Seconds};
    let (_tmp, path) = with_scene_fixture();
    let before = fs::read_to_string(&path).unwrap();
    let mut s = session::load(&path).unwrap();
    assert_eq!(s.ramp_ms, Some(300));
    assert_eq!(s.sections[1].mute, ["Bass"]);
    assert_eq!(s.sections[1].ramp_ms, Some(0));
    assert_eq!(s.scene_ramp_ms(0), 300);
    assert_eq!(s.scene_ramp_ms(1), 0);
    assert_eq!(s.section_index_at(Seconds(0.3)), Some(1));
    session::save(&s).unwrap();
    assert_eq!(fs::read_to_string(&path).unwrap(), before);

    for edit in [
        MixEdit::SceneGain {
            section: "Verse 1".into(),
            channel: "Bass".into(),
            db: Some(Decibels(-4.0)),
        },
        MixEdit::SceneMute {
            section: "Verse 1".into(),
            channel: "Bass".into(),
            on: false,
        },
        MixEdit::SceneMute {
            section: "Intro".into(),
            channel: "Melody keys".into(),
            on: true,
        },
    ] {
        edit.apply(&mut s).unwrap();
    }
    let mut list = s.sections.clone();
    list.insert(
        2,
        Section {
            name: "Bridge".into(),
            start: Seconds(0.375),
            gain_db: Vec::new(),
            mute: vec!["Kick".into()],
            ramp_ms: Some(50),
        },
    );
    list[3].name = "Chorus 1".into();
    MixEdit::Sections { sections: list }.apply(&mut s).unwrap();
    assert_eq!(
        s.sections[1].gain_db,
        [
            ("Bass".to_string(), Decibels(-4.0)),
            ("Melody keys".to_string(), Decibels(-3.0)),
            ("Kick".to_string(), Decibels::OFF),
        ],
        "a new value goes in strip order among the file's"
    );
    session::save(&s).unwrap();
    let after = fs::read_to_string(&path).unwrap();
    assert_eq!(session::load(&path).unwrap(), s);
    for comment in [
        "# scene glides",
        "# scene for the verse",
        "# a cut",
        "# Folk Arc: every key a session file can hold.",
    ] {
        assert!(after.contains(comment), "{comment} lost:\n{after}");
    }
    assert!(!after.contains("no bass in the verse"), "{after}");
    assert!(
        after.contains(
            "[[section]]\nname = \"Bridge\"\nstart = \"0:00.375\"\nmute = [\"Kick\"]\n\
             ramp_ms = 50\n\n[[section]]\nname = \"Chorus 1\"\nstart = 0.5\n"
        ),
        "{after}"
    );
    assert!(after.contains("name = \"Intro\"\nstart = 0\nmute = [\"Melody keys\"]\n"));
}

/// Scene problems are reported with the file, line:column, key path and value as written:
/// an unknown or repeated channel in a mute list, a ramp out of range, a repeated section name.
#[test]
fn scene_errors_are_located() {
    let (_tmp, path) = with_scene_fixture();
    let text = fs::read_to_string(&path)
        .unwrap()
        .replace("mute = [\"Bass\"]", "mute = [\"Bass\", \"Bas\", \"Bass\"]")
        .replace("ramp_ms = 300", "ramp_ms = 300.5")
        .replace("name = \"Chorus\"", "name = \"Intro\"");
    fs::write(&path, text).unwrap();
    let errors = session::load(&path).unwrap_err();
    let lines: Vec<String> = errors
        .iter()
        .map(|e| e.to_string().split_once("full.toml").unwrap().1.to_string())
        .collect();
    assert_eq!(
        lines,
        [
            ":7:11: ramp_ms = 300.5: the scene ramp is a whole number of milliseconds from 0 \
             (a cut) to 10000, like 250",
            ":43:17: section[2].mute[2] = \"Bas\": no channel is named \"Bas\"; the channels are \
             \"Kick\", \"Bass\", \"Melody keys\"",
            ":43:24: section[2].mute[3] = \"Bass\": \"Bass\" is already in this list \
             (section[2].mute[1]); name each channel once",
            ":47:8: section[3].name = \"Intro\": section[1] (line 36) already has this name; \
             section names must be unique",
        ]
    );
    assert_eq!(errors.iter().nth(1).unwrap().key, "section[2].mute[2]");
    assert_eq!(
        errors.iter().nth(1).unwrap().value.as_deref(),
        Some("\"Bas\"")
    );
}

/// The folk-arc demo session ships with scenes that load and show the feature: the melody
/// guitar forward in the verses and back in the choruses, the strummed guitars and the voice
/// up in the choruses, the shaker out of verse 1, a session ramp and a slower outro; saving it
/// unchanged rewrites nothing.
#[test]
fn folk_arc_demo_scenes_load() {
    let tmp = TempSession::new();
    let text = earmix::demo::session_toml("folk-arc").unwrap();
    // Placeholder stems, long enough for every section (only their headers are read).
    let stem = tmp.path("placeholder.wav");
    write_wav_f32(&stem, 8_000, &[vec![0.0; 8_000 * 100]]);
    let table: toml::Table = text.parse().unwrap();
    for channel in table["channel"].as_array().unwrap() {
        let file = tmp.path(channel["file"].as_str().unwrap());
        fs::create_dir_all(file.parent().unwrap()).unwrap();
        fs::hard_link(&stem, &file).unwrap();
    }
    let path = tmp.write_session(text);
    let s = session::load(&path).unwrap();
    assert_eq!(s.ramp_ms, Some(250));
    assert!(s.sections.iter().all(earmix::session::Section::has_scene));
    let base = |channel: &str| s.channels[s.channel_index(channel).unwrap()].gain_db.0;
    let lift = |section: &str, channel: &str| {
        let section = &s.sections[s.section_index(section).unwrap()];
        section
            .scene_gain(channel)
            .map_or(0.0, |db| db.0 - base(channel))
    };
    for verse in ["Verse 1", "Verse 2"] {
        assert!(
            (3.0..=4.0).contains(&lift(verse, "Melody guitar")),
            "{verse}"
        );
    }
    for chorus in ["Chorus 1", "Chorus 2"] {
        for guitar in ["Rhythm guitar 1", "Rhythm guitar 2"] {
            assert!(
                (2.0..=3.0).contains(&lift(chorus, guitar)),
                "{chorus} {guitar}"
            );
        }
        assert!(lift(chorus, "Melody guitar") < 0.0, "{chorus}");
        assert!(lift(chorus, "Voice") > 0.0, "{chorus}");
    }
    assert!(s.sections[1].is_muted("Shaker"));
    assert_eq!(s.scene_ramp_ms(1), 250);
    assert_eq!(s.scene_ramp_ms(s.section_index("Outro").unwrap()), 1000);
    session::save(&s).unwrap();
    assert_eq!(fs::read_to_string(&path).unwrap(), text);
}

/// One generated section: picks for its name, its start, its scene (channel and value picks)
/// and its ramp, each mostly valid and sometimes breaking a section rule.
type SectionPicks = (u8, u8, Vec<(u8, u8)>, Vec<u8>, u8);

/// The section list the picks stand for, in a session 1 s long with channels "Kick", "Bass",
/// "Keys" and "Voice".
fn picked_sections(picks: &[SectionPicks]) -> Vec<earmix::session::Section> {
    use earmix::units::{Decibels, Seconds};
    let channel = |pick: u8| match pick {
        0..=9 => "Kick",
        10..=19 => "Bass",
        20..=29 => "Keys",
        30..=39 => "Voice",
        40 => "Drums",
        _ => "",
    };
    let mut t = 0.0;
    let mut list = Vec::new();
    for (i, (name, start, gains, mutes, ramp)) in picks.iter().enumerate() {
        let name = match name {
            0 => String::new(),
            1 => " ".to_string(),
            2 => "S0".to_string(),
            3 => "Verse \"2\"".to_string(),
            _ => format!("S{i}"),
        };
        let start = match start {
            0 => f64::NAN,
            1 => f64::INFINITY,
            2 => t - 0.25,
            // The session's end, and just before it.
            3 => 1.0,
            4 => 0.999,
            step => t + 0.005 * f64::from(step - 5),
        };
        if start.is_finite() {
            t = start;
        }
        let db = |pick: u8| match pick {
            0..=40 => -3.0,
            41 | 42 => f64::NEG_INFINITY,
            43 | 44 => 12.0,
            45 => 12.5,
            46 => f64::NAN,
            _ => f64::INFINITY,
        };
        list.push(earmix::session::Section {
            name,
            start: Seconds(start),
            gain_db: gains
                .iter()
                .map(|&(c, v)| (channel(c).to_string(), Decibels(db(v))))
                .collect(),
            mute: mutes.iter().map(|&c| channel(c).to_string()).collect(),
            ramp_ms: match ramp {
                0..=19 => None,
                20..=35 => Some(250),
                36 | 37 => Some(0),
                38 => Some(10_000),
                _ => Some(10_001),
            },
        });
    }
    list
}

/// A session file holding `sections` (after `head`, which names the session and its
/// channels), written the way a person would: floats as TOML writes them, every scene entry as
/// given (a channel given two fader values is a key written twice).
fn session_text(head: &str, sections: &[earmix::session::Section]) -> String {
    use std::fmt::Write as _;
    let float = |v: f64| match v {
        v if v.is_nan() => "nan".to_string(),
        v if v.is_infinite() => if v > 0.0 { "inf" } else { "-inf" }.to_string(),
        v => format!("{v:?}"),
    };
    let mut text = head.to_string();
    for section in sections {
        writeln!(
            text,
            "\n[[section]]\nname = {:?}\nstart = {}",
            section.name,
            float(section.start.0)
        )
        .unwrap();
        if !section.gain_db.is_empty() {
            let entries: Vec<String> = section
                .gain_db
                .iter()
                .map(|(channel, db)| format!("{channel:?} = {}", float(db.0)))
                .collect();
            writeln!(text, "gain_db = {{ {} }}", entries.join(", ")).unwrap();
        }
        if !section.mute.is_empty() {
            writeln!(text, "mute = {:?}", section.mute).unwrap();
        }
        if let Some(ms) = section.ramp_ms {
            writeln!(text, "ramp_ms = {ms}").unwrap();
        }
    }
    text
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
    /// The section rules are the same for a section-list edit and for a session file: an edit
    /// to a section list is accepted exactly when a session file holding that list loads, and
    /// then the file holds the same sections.
    #[test]
    fn a_section_list_edit_is_accepted_exactly_when_its_file_loads(
        picks in proptest::collection::vec(
            (
                0u8..48,
                0u8..48,
                proptest::collection::vec((0u8..42, 0u8..48), 0..3),
                proptest::collection::vec(0u8..42, 0..3),
                0u8..40,
            ),
            0..5,
        )
    ) {
        use earmix::app::edit::MixEdit;
        let tmp = TempSession::new();
        write_wav_f32(&tmp.path("kick.wav"), 48_000, &[vec![0.0; 48_000]]);
        let head = "version = 1\nname = \"Rules\"\n\
                    [[channel]]\nname = \"Kick\"\nfile = \"kick.wav\"\n\
                    [[channel]]\nname = \"Bass\"\nfile = \"kick.wav\"\n\
                    [[channel]]\nname = \"Keys\"\nfile = \"kick.wav\"\n\
                    [[channel]]\nname = \"Voice\"\nfile = \"kick.wav\"\n";
        let mut edited = session::load(&tmp.write_session(head)).unwrap();
        let sections = picked_sections(&picks);
        let text = session_text(head, &sections);
        let edit = MixEdit::Sections { sections: sections.clone() }.apply(&mut edited);
        let file = session::load(&tmp.write_session(&text));
        match (&edit, &file) {
            (Ok(()), Ok(loaded)) => proptest::prop_assert_eq!(&loaded.sections, &sections),
            (Err(_), Err(_)) => {}
            _ => proptest::prop_assert!(
                false,
                "the edit and the file disagree on\n{text}\nedit: {edit:?}\nfile: {:?}",
                file.as_ref().map(|_| "loads").map_err(ToString::to_string)
            ),
        }
    }
}
