//! `earmix sections import SESSION FILE` on marker files of each kind: Audacity labels, REAPER
//! CSV, a WAV file (made by sox) with cue markers added, and a MIDI file written here.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::{TempSession, earmix};

/// A 60 s mono stem made by sox, and a session over it with a comment before the channel and
/// one at the end of the file.
fn session(ts: &TempSession, sections: &str) -> PathBuf {
    let stem = ts.path("stem.wav");
    let status = std::process::Command::new("sox")
        .args(["-n", "-r", "48000", "-c", "1", "-b", "16"])
        .arg(&stem)
        .args(["synth", "60", "sine", "220", "vol", "0.1"])
        .status()
        .expect("sox runs (Debian package sox)");
    assert!(status.success());
    ts.write_session(&format!(
        "# My song, mixed by ear\nversion = 1\nname = \"Song\"\n\n# the only channel\n\
         [[channel]]\nname = \"Tone\"\nfile = \"stem.wav\"\n{sections}\n# keep this at the end\n"
    ))
}

fn import(session: &Path, markers: &Path, flags: &[&str]) -> Output {
    earmix()
        .args(["sections", "import"])
        .args(flags)
        .arg(session)
        .arg(markers)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `earmix check` passes on the session and its summary lists `sections` (name, start).
fn assert_checks_with(session: &Path, sections: &[(&str, &str)]) {
    let out = earmix().arg("check").arg(session).output().unwrap();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    let lines: Vec<Vec<&str>> = stdout
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("section "))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .map(|l| {
            l.split("  ")
                .map(str::trim)
                .filter(|w| !w.is_empty())
                .collect()
        })
        .collect();
    let got: Vec<(&str, &str)> = lines.iter().map(|l| (l[0], l[1])).collect();
    assert_eq!(got, sections, "{stdout}");
}

/// Audacity labels (point, region, spectral, unnamed, out of order, one past the end) become
/// sections: the printed table says where each came from, notes say what was changed, the file
/// keeps its comments before and after, and the result passes `earmix check`.
#[test]
fn audacity_labels_become_sections_and_keep_the_file() {
    let ts = TempSession::new();
    let path = session(&ts, "");
    let labels = ts.path("labels.txt");
    std::fs::write(
        &labels,
        "0.000000\t0.000000\tIntro\n12.500000\t30.000000\tVerse 1\n\t110.0\t3400.0\n\
         45.000000\t45.000000\t\n31.250000\t31.250000\tChorus\n75.000000\t75.000000\tTail\n",
    )
    .unwrap();
    let before = std::fs::read_to_string(&path).unwrap();
    let out = import(&path, &labels, &[]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert_eq!(
        stdout
            .replace(labels.to_str().unwrap(), "labels.txt")
            .replace(path.to_str().unwrap(), "session.toml"),
        "5 marker(s) in labels.txt (Audacity labels):\n\n\
         \x20 Section       Start  From\n\
         \x20 Intro      0:00.000  line 1\n\
         \x20 Verse 1    0:12.500  line 2\n\
         \x20 Chorus     0:31.250  line 5\n\
         \x20 Marker 4   0:45.000  line 4\n\n\
         Notes:\n\
         \x20 the markers are not in time order in the file; they are sorted by start\n\
         \x20 line 6: \"Tail\" at 1:15.000 is at or after the session's end (1:00.000); left out\n\
         \x20 line 4: the marker at 0:45.000 has no name; it is called \"Marker 4\"\n\n\
         Wrote 4 section(s) to session.toml.\n"
    );
    let after = std::fs::read_to_string(&path).unwrap();
    assert!(
        after.starts_with(&before[..before.find("\n# keep").unwrap()]),
        "{after}"
    );
    assert!(after.ends_with("# keep this at the end\n"), "{after}");
    assert!(
        after.contains("[[section]]\nname = \"Verse 1\"\nstart = \"0:12.500\"\n"),
        "{after}"
    );
    assert_checks_with(
        &path,
        &[
            ("Intro", "0:00.000"),
            ("Verse 1", "0:12.500"),
            ("Chorus", "0:31.250"),
            ("Marker 4", "0:45.000"),
        ],
    );
}

/// A REAPER CSV export (markers and regions, a quoted name with a comma, CRLF line ends) is
/// read; one in measures.beats is refused with its line and how to export again, and the
/// session is left untouched.
#[test]
fn reaper_csv_is_read_and_measures_beats_refused() {
    let ts = TempSession::new();
    let path = session(&ts, "");
    let csv = ts.path("markers.csv");
    std::fs::write(
        &csv,
        "#,Name,Start,End,Length\r\nR1,Intro,0:00.000,0:08.000,0:08.000\r\n\
         M1,\"Verse, first\",0:08.000,,\r\nR2,Chorus,0:24.500,0:40.000,0:15.500\r\n",
    )
    .unwrap();
    let out = import(&path, &csv, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("(REAPER marker/region CSV)"));
    assert_checks_with(
        &path,
        &[
            ("Intro", "0:00.000"),
            ("Verse, first", "0:08.000"),
            ("Chorus", "0:24.500"),
        ],
    );

    let ts = TempSession::new();
    let path = session(&ts, "");
    let before = std::fs::read(&path).unwrap();
    let csv = ts.path("bars.csv");
    std::fs::write(
        &csv,
        "#,Name,Start,End,Length\nM1,Intro,1.1.00,,\nM2,Verse,5.1.00,,\n",
    )
    .unwrap();
    let out = import(&path, &csv, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "earmix: {}:2: '1.1.00' is in measures.beats, which needs the project's tempo map; \
             set REAPER's time unit to Minutes:Seconds (or Seconds) and export the list again\n",
            csv.display()
        )
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the session was changed"
    );
}

/// Cue markers added to a WAV file sox wrote (a `cue ` chunk and a `LIST`/`adtl` chunk of
/// labels after its data, the RIFF size fixed) become sections at sample offset / rate.
#[test]
fn wav_cue_markers_become_sections() {
    let ts = TempSession::new();
    let path = session(&ts, "");
    let marked = ts.path("marked.wav");
    let status = std::process::Command::new("sox")
        .args(["-n", "-r", "44100", "-c", "2", "-b", "24"])
        .arg(&marked)
        .args(["synth", "1", "sine", "440"])
        .status()
        .unwrap();
    assert!(status.success());
    let mut bytes = std::fs::read(&marked).unwrap();
    assert_eq!(&bytes[..4], b"RIFF");
    let chunk = |id: &[u8; 4], data: &[u8]| {
        let mut out = id.to_vec();
        out.extend((data.len() as u32).to_le_bytes());
        out.extend(data);
        if data.len() % 2 == 1 {
            out.push(0);
        }
        out
    };
    // Cue points 1..3 at 0 s, 20 s and 33.300 02 s (1 468 531 samples, not a whole millisecond) at 44.1 kHz.
    let cues = [(1u32, 0u32), (2, 882_000), (3, 1_468_531)];
    let mut cue = (cues.len() as u32).to_le_bytes().to_vec();
    for (id, sample) in cues {
        for word in [id, sample] {
            cue.extend(word.to_le_bytes());
        }
        cue.extend(b"data");
        for word in [0u32, 0, sample] {
            cue.extend(word.to_le_bytes());
        }
    }
    let mut adtl = b"adtl".to_vec();
    for (id, name) in [(1u32, "Count-in"), (3, "Solo")] {
        let mut labl = id.to_le_bytes().to_vec();
        labl.extend(name.as_bytes());
        labl.push(0);
        adtl.extend(chunk(b"labl", &labl));
    }
    bytes.extend(chunk(b"cue ", &cue));
    bytes.extend(chunk(b"LIST", &adtl));
    let riff_size = (bytes.len() - 8) as u32;
    bytes[4..8].copy_from_slice(&riff_size.to_le_bytes());
    std::fs::write(&marked, &bytes).unwrap();

    let out = import(&path, &marked, &[]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("(WAV cue markers)"), "{stdout}");
    assert!(
        stdout.contains("'cue ' point 3, sample 1468531"),
        "{stdout}"
    );
    assert!(
        stdout.contains("the marker at 0:20.000 has no name; it is called \"Marker 2\""),
        "{stdout}"
    );
    let after = std::fs::read_to_string(&path).unwrap();
    assert!(
        after.contains("name = \"Solo\"\nstart = 33.30002"),
        "{after}"
    );
    assert_checks_with(
        &path,
        &[
            ("Count-in", "0:00.000"),
            ("Marker 2", "0:20.000"),
            ("Solo", "0:33.300"),
        ],
    );

    // The same file with its cue chunk announcing more points than it holds.
    let at = bytes.windows(4).position(|w| w == b"cue ").unwrap();
    bytes[at + 8..at + 12].copy_from_slice(&9u32.to_le_bytes());
    std::fs::write(&marked, &bytes).unwrap();
    let out = import(&path, &marked, &["--replace"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "earmix: {}: byte {at} ('cue ' chunk): the cue chunk holds 76 bytes, too few for the \
             9 cue points it announces (24 bytes each after a 4-byte count)\n",
            marked.display()
        )
    );
}

/// A variable-length quantity.
fn vlq(mut value: u32) -> Vec<u8> {
    let mut out = vec![(value & 0x7F) as u8];
    value >>= 7;
    while value > 0 {
        out.insert(0, (value & 0x7F) as u8 | 0x80);
        value >>= 7;
    }
    out
}

/// A meta event after `delta` ticks.
fn meta(delta: u32, kind: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vlq(delta);
    out.extend([0xFF, kind]);
    out.extend(vlq(body.len() as u32));
    out.extend(body);
    out
}

/// A General MIDI song as a format 1 file at 96 ticks a quarter: a conductor track (4/4, 120
/// bpm, slowing to 80 bpm at bar 5, markers at bars 1, 3 and 5 and one two bars after the
/// change), and a piano track with notes in running status and a cue point at the start of bar 8.
fn general_midi_song() -> Vec<u8> {
    let bar = 4 * 96;
    let tempo = |delta: u32, bpm: u32| meta(delta, 0x51, &(60_000_000 / bpm).to_be_bytes()[1..]);
    let mut conductor = meta(0, 0x58, &[4, 2, 24, 8]);
    conductor.extend(tempo(0, 120));
    conductor.extend(meta(0, 0x06, b"Intro"));
    conductor.extend(meta(2 * bar, 0x06, b"Verse"));
    conductor.extend(meta(2 * bar, 0x06, b"Chorus"));
    conductor.extend(tempo(0, 80));
    conductor.extend(meta(2 * bar, 0x06, b"Outro"));
    conductor.extend(meta(0, 0x2F, &[]));
    // GM reset, piano (program 0) on channel 1, C-E-G in running status, all off at bar 8.
    let mut piano = vec![0x00, 0xF0, 0x05, 0x7E, 0x7F, 0x09, 0x01, 0xF7];
    piano.extend([
        0x00, 0xC0, 0x00, 0x00, 0x90, 60, 90, 0x00, 64, 90, 0x00, 67, 90,
    ]);
    piano.extend(vlq(7 * bar));
    piano.extend([0x80, 60, 0, 0x00, 64, 0, 0x00, 67, 0]);
    piano.extend(meta(0, 0x07, b"Fill"));
    piano.extend(meta(0, 0x2F, &[]));
    let mut out = b"MThd".to_vec();
    out.extend(6u32.to_be_bytes());
    out.extend([0, 1, 0, 2, 0, 96]);
    for track in [conductor, piano] {
        out.extend(b"MTrk");
        out.extend((track.len() as u32).to_be_bytes());
        out.extend(track);
    }
    out
}

/// A MIDI file's markers and cue points become sections through its tempo map (bar 5 at 120 bpm
/// is 8 s; two bars at 80 bpm are 6 s more, three are 9 s); a track cut short is refused with its byte offset.
#[test]
fn midi_markers_follow_the_tempo_map() {
    let ts = TempSession::new();
    let path = session(&ts, "");
    let midi = ts.path("song.mid");
    let bytes = general_midi_song();
    std::fs::write(&midi, &bytes).unwrap();
    let out = import(&path, &midi, &[]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("track 2, tick 2688, cue point"), "{stdout}");
    assert_checks_with(
        &path,
        &[
            ("Intro", "0:00.000"),
            ("Verse", "0:04.000"),
            ("Chorus", "0:08.000"),
            ("Outro", "0:14.000"),
            ("Fill", "0:17.000"),
        ],
    );

    // Cut the file inside the piano track's last event.
    let cut = &bytes[..bytes.len() - 6];
    std::fs::write(&midi, cut).unwrap();
    let out = import(&path, &midi, &["--replace"]);
    assert_eq!(out.status.code(), Some(1));
    let second_track = bytes.windows(4).rposition(|w| w == b"MTrk").unwrap();
    assert_eq!(
        text(&out.stderr),
        format!(
            "earmix: {}: byte {second_track} ('MTrk' chunk): the chunk says it holds {} bytes, \
             but the file ends {} bytes after its header\n",
            midi.display(),
            bytes.len() - second_track - 8,
            bytes.len() - second_track - 8 - 6
        )
    );
}

/// A session with sections is refused without --replace (nothing written); with it, a section
/// a marker names again keeps its scene and comment, the others go, and so does a reference
/// alignment naming a section that went.
#[test]
fn replace_keeps_the_scenes_of_sections_named_again() {
    let ts = TempSession::new();
    let path = session(
        &ts,
        "\n[[section]]\nname = \"Verse\"\nstart = 0\n\n# the loud one\n[[section]]\n\
         name = \"Chorus\"\nstart = 10\ngain_db = { Tone = -6.0 }\n\n[reference]\nfile = \"stem.wav\"\n\
         sections = { Verse = 0.0, Chorus = 10.0 }\n",
    );
    let labels = ts.path("labels.txt");
    std::fs::write(&labels, "0\t0\tIntro\n20\t20\tChorus\n").unwrap();
    let before = std::fs::read(&path).unwrap();
    let out = import(&path, &labels, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "earmix: {} already has 2 section(s) (\"Verse\", \"Chorus\"); give --replace to \
             replace them with the markers (a section a marker names again keeps its scene), or \
             remove them first\n",
            path.display()
        )
    );
    assert_eq!(std::fs::read(&path).unwrap(), before);

    let out = import(&path, &labels, &["--replace"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).ends_with(&format!(
            "\nWrote 2 section(s) to {}, replacing the 2 it had (1 named again keep their \
             scenes).\n",
            path.display()
        )),
        "{}",
        text(&out.stdout)
    );
    let after = std::fs::read_to_string(&path).unwrap();
    assert!(!after.contains("Verse"), "{after}");
    assert!(
        after.contains(
            "# the loud one\n[[section]]\nname = \"Chorus\"\nstart = 20\n\
                        gain_db = { Tone = -6.0 }"
        ),
        "{after}"
    );
    assert!(after.contains("sections = { Chorus = 10.0 }"), "{after}");
    assert_checks_with(&path, &[("Intro", "0:00.000"), ("Chorus", "0:20.000")]);
}

/// Malformed marker files are refused with their line (Audacity) and nothing is written; a
/// session open in earmix (its lock held) is not written under it.
#[test]
fn malformed_files_and_open_sessions_are_refused() {
    let ts = TempSession::new();
    let path = session(&ts, "");
    let before = std::fs::read(&path).unwrap();
    let labels = ts.path("labels.txt");
    for (content, message) in [
        (
            "0\t0\tIntro\n\n30\t20\tVerse\n",
            ":3: the label ends at 0:20.000 (seconds 20), before it starts at 0:30.000",
        ),
        (
            "0\t0\tIntro\n1:30\t1:30\tVerse\n",
            ":2: the start '1:30' is not a time: Audacity writes seconds, like 12.500000",
        ),
        (
            "0\t0\tIntro\n12\t12\tVerse\n12\t14\tChorus\n",
            ":3: \"Chorus\" starts at 0:12.000, as \"Verse\" at line 2 does; sections need \
             different starts: remove or move one of them",
        ),
        (
            "\n\n",
            ": no markers in this file (read as Audacity labels)",
        ),
    ] {
        std::fs::write(&labels, content).unwrap();
        let out = import(&path, &labels, &[]);
        assert_eq!(out.status.code(), Some(1), "{content:?}");
        assert_eq!(
            text(&out.stderr),
            format!("earmix: {}{message}\n", labels.display()),
            "{content:?}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), before, "{content:?}");
    }

    std::fs::write(&labels, "0\t0\tIntro\n").unwrap();
    let earmix::session::lock::Acquired::Locked(lock) =
        earmix::session::lock::acquire(&path).unwrap()
    else {
        panic!("the lock is free");
    };
    let out = import(&path, &labels, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("is open in earmix (pid "),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read(&path).unwrap(), before);
    drop(lock);
    let out = import(&path, &labels, &["--dry-run"]);
    assert!(text(&out.stdout).contains("; --dry-run: nothing written.\n"));
    assert_eq!(std::fs::read(&path).unwrap(), before);
    let out = import(&path, &labels, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_checks_with(&path, &[("Intro", "0:00.000")]);
}
