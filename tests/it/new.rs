//! `earmix new DIR` end to end: the real binary on folders of stems the tests write in the
//! styles DAWs export them (numbered, Pro Tools' `Audio Files` with take numbers, Logic's
//! `Song_Track#01`, FLAC made by the `flac` program, Broadcast Wave time stamps), then `earmix
//! check` and `earmix bounce` on the session it wrote, and `earmix DIR` offering it in a
//! pseudo-terminal.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::console::{Console, home_in};
use crate::support::{
    TempSession, bounce_with_earmix, earmix_in, signal, write_wav_f32, write_wav_i24,
};

const RATE: u32 = 44_100;

/// Runs `earmix ARGS` with its own HOME in `ts`.
fn run(ts: &TempSession, args: &[&std::ffi::OsStr]) -> Output {
    let home = ts.path("home");
    std::fs::create_dir_all(&home).unwrap();
    earmix_in(&home).args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `earmix new` with `args` after the folder; fails the test unless it succeeds.
fn new_ok(ts: &TempSession, dir: &Path, args: &[&str]) -> String {
    let mut all: Vec<&std::ffi::OsStr> = vec!["new".as_ref(), dir.as_os_str()];
    all.extend(args.iter().map(std::ffi::OsStr::new));
    let out = run(ts, &all);
    assert!(
        out.status.success(),
        "earmix new failed: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// `earmix new` expected to fail: its stderr.
fn new_fails(ts: &TempSession, dir: &Path, args: &[&str]) -> String {
    let mut all: Vec<&std::ffi::OsStr> = vec!["new".as_ref(), dir.as_os_str()];
    all.extend(args.iter().map(std::ffi::OsStr::new));
    let out = run(ts, &all);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    text(&out.stderr)
}

/// The channels of a session file: (name, file as written, role, the whole table).
fn channels(session: &Path) -> Vec<(String, toml::Value, String, toml::Table)> {
    let table: toml::Table = std::fs::read_to_string(session).unwrap().parse().unwrap();
    table["channel"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let c = c.as_table().unwrap().clone();
            (
                c["name"].as_str().unwrap().to_string(),
                c["file"].clone(),
                c["role"].as_str().unwrap().to_string(),
                c,
            )
        })
        .collect()
}

/// Writes 24-bit stems in DAW naming styles into `dir`; returns each stem's samples as the
/// file holds them (planar), by the channel name `earmix new` should give it, in the order it
/// should list them.
fn daw_stems(dir: &Path) -> Vec<(&'static str, &'static str, Vec<Vec<f32>>)> {
    let n = RATE as usize * 2;
    let quantize = |x: Vec<f32>| -> Vec<f32> {
        x.into_iter()
            .map(|s| (s * 8_388_608.0).round().clamp(-8_388_608.0, 8_388_607.0) / 8_388_608.0)
            .collect()
    };
    let stems: Vec<(&str, &str, &str, Vec<Vec<f32>>)> = vec![
        (
            "01 Drums.wav",
            "Drums",
            "drums",
            vec![quantize(signal(n, 1, 0.2)), quantize(signal(n, 2, 0.2))],
        ),
        (
            "02 Bass DI.wav",
            "Bass DI",
            "bass",
            vec![quantize(signal(n, 3, 0.3))],
        ),
        (
            "03 Piano.flac",
            "Piano",
            "piano",
            vec![quantize(signal(n, 4, 0.2))],
        ),
        // Shorter than the song.
        (
            "9 Gtr.wav",
            "Gtr",
            "guitar",
            vec![quantize(signal(n * 3 / 4, 5, 0.2))],
        ),
        (
            "10 Vox.wav",
            "Vox",
            "vocal",
            vec![quantize(signal(n, 6, 0.25))],
        ),
        (
            "Audio Files/Kick In_01.wav",
            "Kick In",
            "kick",
            vec![quantize(signal(n / 2, 7, 0.4))],
        ),
        (
            "My Song_Bass#01.wav",
            "Bass",
            "bass",
            vec![quantize(signal(n, 8, 0.1))],
        ),
    ];
    let mut out = Vec::new();
    for (file, name, role, samples) in stems {
        let path = dir.join(file);
        if let Some(flac) = file.strip_suffix(".flac") {
            let wav = dir.join(format!("{flac}.tmp.wav"));
            write_wav_i24(&wav, RATE, &samples);
            let status = std::process::Command::new("flac")
                .args(["-s", "-f", "-o"])
                .arg(&path)
                .arg(&wav)
                .status()
                .expect("the flac program (Debian package flac)");
            assert!(status.success());
            std::fs::remove_file(&wav).unwrap();
        } else {
            write_wav_i24(&path, RATE, &samples);
        }
        out.push((name, role, samples));
    }
    out
}

/// A folder named like a song, for stems, inside `ts`.
fn song_dir(ts: &TempSession) -> PathBuf {
    let dir = ts.path("My Song");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Stems in DAW naming styles (numbered with 2 before 10, FLAC from `flac`, Pro Tools'
/// `Audio Files/Kick In_01.wav`, Logic's `My Song_Bass#01.wav`, mono and stereo, one shorter)
/// make a session with clean names in natural order and their roles; `earmix check` passes on
/// it, and `earmix bounce` equals the sum of the stems computed here (mono stems centred at
/// -3 dB per side, the pan law's value at centre; stereo at unity).
#[test]
fn new_then_check_and_bounce_equal_the_stems_summed() {
    let ts = TempSession::new();
    let dir = song_dir(&ts);
    let stems = daw_stems(&dir);
    let table = new_ok(&ts, &dir, &[]);
    let session = dir.join("session.toml");
    let got = channels(&session);
    let names: Vec<&str> = got.iter().map(|c| c.0.as_str()).collect();
    let want: Vec<&str> = stems.iter().map(|s| s.0).collect();
    assert_eq!(names, want, "{table}");
    let roles: Vec<&str> = got.iter().map(|c| c.2.as_str()).collect();
    let want: Vec<&str> = stems.iter().map(|s| s.1).collect();
    assert_eq!(roles, want);
    assert_eq!(got[5].1.as_str(), Some("Audio Files/Kick In_01.wav"));
    assert!(got.iter().all(|c| !c.3.contains_key("trim_db")));
    for (name, ..) in &stems {
        assert!(table.contains(name), "{table}");
    }
    assert!(
        table.contains("10 Vox.wav  (mono, 44.1 kHz, 0:02.000)"),
        "{table}"
    );
    assert!(table.contains("01 Drums.wav  (stereo, 44.1 kHz"), "{table}");

    let check = run(&ts, &["check".as_ref(), session.as_os_str()]);
    assert!(check.status.success(), "{}", text(&check.stderr));

    let (spec, mix) = bounce_with_earmix(&session, &ts.path("bounce.wav"));
    assert_eq!(spec.sample_rate, RATE);
    let len = stems.iter().map(|s| s.2[0].len()).max().unwrap();
    let centre = std::f32::consts::FRAC_1_SQRT_2;
    let mut sum = vec![vec![0.0f32; len]; 2];
    for (_, _, samples) in &stems {
        for side in 0..2 {
            let (source, gain) = match samples.len() {
                1 => (&samples[0], centre),
                _ => (&samples[side], 1.0),
            };
            for (i, s) in source.iter().enumerate() {
                sum[side][i] += s * gain;
            }
        }
    }
    assert_eq!(mix[0].len(), len);
    for side in 0..2 {
        let worst = mix[side]
            .iter()
            .zip(&sum[side])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-5, "side {side}: off by {worst}");
    }
}

/// An existing session file is never replaced without --force (the file keeps its text, the
/// message says how to go on); --force replaces it; -o writes elsewhere, naming the stems so
/// that the session loads from there.
#[test]
fn refuses_to_overwrite_unless_forced_and_writes_elsewhere_with_o() {
    let ts = TempSession::new();
    let dir = song_dir(&ts);
    write_wav_f32(
        &dir.join("Kick.wav"),
        RATE,
        &[signal(RATE as usize, 1, 0.3)],
    );
    let session = dir.join("session.toml");
    std::fs::write(&session, "# mine\n").unwrap();
    let error = new_fails(&ts, &dir, &[]);
    assert_eq!(
        error.trim(),
        format!(
            "earmix: {} already exists; earmix new does not replace it: add --force to replace \
             it, or -o FILE to write another file",
            session.display()
        )
    );
    assert_eq!(std::fs::read_to_string(&session).unwrap(), "# mine\n");
    new_ok(&ts, &dir, &["--force"]);
    assert_eq!(channels(&session)[0].0, "Kick");

    let elsewhere = ts.path("sessions/kick.toml");
    std::fs::create_dir_all(elsewhere.parent().unwrap()).unwrap();
    let table = new_ok(&ts, &dir, &["-o", elsewhere.to_str().unwrap()]);
    assert!(
        table.contains(&format!("Wrote {}", elsewhere.display())),
        "{table}"
    );
    let file = channels(&elsewhere)[0].1.as_str().unwrap().to_string();
    assert!(Path::new(&file).is_absolute(), "{file}");
    let check = run(&ts, &["check".as_ref(), elsewhere.as_os_str()]);
    assert!(check.status.success(), "{}", text(&check.stderr));
    let again = new_fails(&ts, &dir, &["-o", elsewhere.to_str().unwrap()]);
    assert!(again.contains("already exists"), "{again}");
}

/// An empty folder, and one with only a text file and a corrupt WAV, write nothing and say
/// what was found; beside good stems, the bad files are named with the reason and left out.
#[test]
fn bad_input_gets_a_line_each_and_nothing_half_written() {
    let ts = TempSession::new();
    let dir = song_dir(&ts);
    let error = new_fails(&ts, &dir, &[]);
    assert!(
        error.contains(&format!(
            "no stems found: no audio file could be read in {}",
            dir.display()
        )),
        "{error}"
    );
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);

    std::fs::write(dir.join("notes.txt"), "lyrics").unwrap();
    std::fs::write(dir.join("broken.wav"), b"RIFF\x10\0\0\0WAVEjunkjunk").unwrap();
    let error = new_fails(&ts, &dir, &[]);
    assert!(
        error.contains(
            "\n  notes.txt: not an audio file (earmix takes WAV, FLAC, MP3, Ogg Vorbis and AIFF)"
        ),
        "{error}"
    );
    assert!(error.contains("\n  broken.wav: cannot decode "), "{error}");
    assert!(!dir.join("session.toml").exists());

    write_wav_f32(
        &dir.join("Snare.wav"),
        RATE,
        &[signal(RATE as usize, 1, 0.3)],
    );
    let table = new_ok(&ts, &dir, &[]);
    assert!(
        table.contains("Not used:\n  broken.wav: cannot decode "),
        "{table}"
    );
    assert!(
        table.contains("\n  notes.txt: not an audio file"),
        "{table}"
    );
    let got = channels(&dir.join("session.toml"));
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, "Snare");
    let mut left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        ["Snare.wav", "broken.wav", "notes.txt", "session.toml"]
    );
}

/// Stems at two rates: the session runs at the rate most have, states it, says which stems
/// are resampled, and loads.
#[test]
fn mixed_rates_are_resampled_and_said() {
    let ts = TempSession::new();
    let dir = song_dir(&ts);
    write_wav_f32(&dir.join("Kick.wav"), 48_000, &[signal(48_000, 1, 0.3)]);
    write_wav_f32(&dir.join("Snare.wav"), 48_000, &[signal(48_000, 2, 0.3)]);
    write_wav_f32(
        &dir.join("Bass.wav"),
        RATE,
        &[signal(RATE as usize, 3, 0.3)],
    );
    let table = new_ok(&ts, &dir, &[]);
    assert!(
        table.contains("Bass.wav  (mono, 44.1 kHz, 0:01.000)\n")
            && table.contains("44.1 kHz: resampled to the session's 48 kHz"),
        "{table}"
    );
    assert_eq!(table.matches("resampled").count(), 1, "{table}");
    let session = dir.join("session.toml");
    let raw: toml::Table = std::fs::read_to_string(&session).unwrap().parse().unwrap();
    assert_eq!(raw["sample_rate"].as_integer(), Some(48_000));
    let check = run(&ts, &["check".as_ref(), session.as_os_str()]);
    assert!(check.status.success(), "{}", text(&check.stderr));
}

/// Writes a 24-bit mono WAV with a Broadcast Wave `bext` chunk (before the data, as DAWs write
/// it) whose time reference is `reference` samples since midnight.
fn write_bwf(path: &Path, rate: u32, samples: &[f32], reference: u64) {
    write_wav_i24(path, rate, &[samples.to_vec()]);
    let wav = std::fs::read(path).unwrap();
    // RIFF header (12 bytes), then the fmt chunk hound writes first.
    let fmt_size = u32::from_le_bytes(wav[16..20].try_into().unwrap()) as usize;
    let after_fmt = 12 + 8 + fmt_size;
    let mut bext = vec![0u8; 602];
    bext[..11].copy_from_slice(b"earmix test");
    bext[338..346].copy_from_slice(&reference.to_le_bytes());
    let mut out = wav[..after_fmt].to_vec();
    out.extend_from_slice(b"bext");
    out.extend_from_slice(&(bext.len() as u32).to_le_bytes());
    out.extend_from_slice(&bext);
    out.extend_from_slice(&wav[after_fmt..]);
    let riff_size = (out.len() - 8) as u32;
    out[4..8].copy_from_slice(&riff_size.to_le_bytes());
    std::fs::write(path, out).unwrap();
}

/// WAV stems whose BWF time stamps differ are placed: the earliest starts the song, a stem
/// stamped 1.5 s later gets `start = 1.5`, and the session loads; a stem without a stamp
/// starts with the song and the table says so.
#[test]
fn bwf_time_stamps_place_later_stems() {
    let ts = TempSession::new();
    let dir = song_dir(&ts);
    let ten_am = 10 * 3600 * u64::from(RATE);
    let n = RATE as usize;
    write_bwf(&dir.join("01 Drums.wav"), RATE, &signal(n, 1, 0.3), ten_am);
    write_bwf(
        &dir.join("02 Vox.wav"),
        RATE,
        &signal(n, 2, 0.3),
        ten_am + u64::from(RATE) * 3 / 2,
    );
    std::process::Command::new("sox")
        .args(["-n", "-r", "44100", "-c", "1"])
        .arg(dir.join("03 Pad.flac"))
        .args(["synth", "1", "sine", "220", "vol", "0.1"])
        .status()
        .expect("the sox program (Debian package sox)");
    let table = new_ok(&ts, &dir, &[]);
    assert!(
        table.contains("starts at 0:01.500 (its BWF time stamp)"),
        "{table}"
    );
    assert!(
        table.contains("no BWF time stamp: starts with the song"),
        "{table}"
    );
    let session = dir.join("session.toml");
    let got = channels(&session);
    assert!(!got[0].3.contains_key("start"));
    assert_eq!(got[1].3["start"].as_float(), Some(1.5));
    assert!(!got[2].3.contains_key("start"));
    let check = run(&ts, &["check".as_ref(), session.as_os_str()]);
    assert!(check.status.success(), "{}", text(&check.stderr));
    assert!(
        text(&check.stdout).contains("0:02.500"),
        "{}",
        text(&check.stdout)
    );
}

/// Left/right mono files become one channel with both files (the two-file `file` the
/// session format takes for split stereo); halves at different rates stay two channels and
/// the table says why.
#[test]
fn split_stereo_pairs_are_written_as_one_channel() {
    let ts = TempSession::new();
    let dir = song_dir(&ts);
    let n = RATE as usize;
    write_wav_i24(&dir.join("Piano L.wav"), RATE, &[signal(n, 1, 0.3)]);
    write_wav_i24(&dir.join("Piano R.wav"), RATE, &[signal(n, 2, 0.3)]);
    write_wav_i24(&dir.join("OH_L.wav"), RATE, &[signal(n, 3, 0.3)]);
    write_wav_i24(&dir.join("OH_R.wav"), 48_000, &[signal(48_000, 4, 0.3)]);
    let table = new_ok(&ts, &dir, &[]);
    let got = channels(&dir.join("session.toml"));
    let names: Vec<&str> = got.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(names, ["OH L", "OH R", "Piano"]);
    assert_eq!(
        got[2].1,
        toml::Value::Array(vec!["Piano L.wav".into(), "Piano R.wav".into()])
    );
    assert_eq!(got[2].2, "piano");
    assert!(
        table.contains("Piano L.wav + Piano R.wav  (stereo, 44.1 kHz"),
        "{table}"
    );
    assert!(
        table.contains("not paired with its other side: the two files have different sample rates"),
        "{table}"
    );
}

/// Stems exported the way Pro Tools names them (`Audio Files/NN_Name.wav`) get groups proposed
/// from their roles: one per family with two channels or more (four drum parts, two guitars,
/// lead and backing vocals; not the one keyboard or the bass), written after the channels at
/// 0 dB under a comment saying they were proposed, listed in the table, and the session loads
/// with them.
#[test]
fn groups_are_proposed_from_roles() {
    let ts = TempSession::new();
    let dir = song_dir(&ts);
    let n = RATE as usize / 2;
    let stems = [
        "01_Kick In",
        "02_Snare Top",
        "03_OH",
        "04_Bass DI",
        "05_Rhythm Gtr",
        "06_Lead Gtr",
        "07_Lead Vox",
        "08_BVs",
        "09_Organ",
        "10_Shaker",
    ];
    for (i, stem) in (1..).zip(stems) {
        let path = dir.join("Audio Files").join(format!("{stem}.wav"));
        write_wav_i24(&path, RATE, &[signal(n, i, 0.2)]);
    }
    let table = new_ok(&ts, &dir, &[]);
    let session = dir.join("session.toml");
    let written = std::fs::read_to_string(&session).unwrap();
    let groups_at = written.find("[[group]]").expect("groups written");
    assert!(
        written.rfind("[[channel]]").unwrap() < groups_at,
        "{written}"
    );
    assert!(
        written[..groups_at].ends_with(
            "# Groups proposed by `earmix new` from the channels' roles: a group's fader adds \
             to\n# each member's (members keep their own). Keep, change or remove them.\n"
        ),
        "{written}"
    );
    let file: toml::Table = written.parse().unwrap();
    let groups: Vec<(String, Vec<String>, f64)> = file["group"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            let members = g["members"].as_array().unwrap();
            (
                g["name"].as_str().unwrap().to_string(),
                members
                    .iter()
                    .map(|m| m.as_str().unwrap().to_string())
                    .collect(),
                g["gain_db"].as_float().unwrap(),
            )
        })
        .collect();
    let group = |name: &str, members: &[&str]| {
        (
            name.to_string(),
            members.iter().map(|m| (*m).to_string()).collect::<Vec<_>>(),
            0.0,
        )
    };
    assert_eq!(
        groups,
        [
            group("Drums", &["Kick In", "Snare Top", "OH", "Shaker"]),
            group("Guitars", &["Rhythm Gtr", "Lead Gtr"]),
            group("Vocals", &["Lead Vox", "BVs"]),
        ]
    );
    assert!(
        table.contains(
            "Groups proposed from the roles (a group's fader adds to its members'; written at \
             0 dB):\n  Drums: Kick In, Snare Top, OH, Shaker\n  Guitars: Rhythm Gtr, Lead Gtr\n  \
             Vocals: Lead Vox, BVs\n"
        ),
        "{table}"
    );
    let loaded = earmix::session::load(&session).unwrap();
    let names: Vec<&str> = loaded.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["Drums", "Guitars", "Vocals"]);
    let check = run(&ts, &["check".as_ref(), session.as_os_str()]);
    assert!(check.status.success(), "{}", text(&check.stderr));
}

/// Writes a 1 kHz sine at `peak_db` dBFS (peak), mono, 2 s.
fn sine(path: &Path, peak_db: f64) {
    let amplitude = 10f64.powf(peak_db / 20.0);
    let samples: Vec<f32> = (0..RATE as usize * 2)
        .map(|i| {
            (amplitude * (std::f64::consts::TAU * 1000.0 * i as f64 / f64::from(RATE)).sin()) as f32
        })
        .collect();
    write_wav_f32(path, RATE, &[samples]);
}

/// --gain-stage trims each stem's loud passages to -18 LUFS: a mono 1 kHz sine peaking at
/// -12 dBFS reads -15.0 LUFS (R 128: -3 dB for one channel) and gets -3.0 dB; one at -50 dBFS
/// needs +35 dB, gets the trim's +24 and is named; faders stay at 0 dB; before and after are
/// printed; --tempo writes the tempo at the top.
#[test]
fn gain_stage_trims_to_the_reference_and_tempo_is_written() {
    let ts = TempSession::new();
    let dir = song_dir(&ts);
    sine(&dir.join("Loud.wav"), -12.0);
    sine(&dir.join("Quiet.wav"), -50.0);
    let table = new_ok(&ts, &dir, &["--gain-stage", "--tempo", "120"]);
    let session = dir.join("session.toml");
    let got = channels(&session);
    assert_eq!(got[0].0, "Loud");
    assert_eq!(got[0].3["trim_db"].as_float(), Some(-3.0));
    assert_eq!(got[1].3["trim_db"].as_float(), Some(24.0));
    assert!(got.iter().all(|c| !c.3.contains_key("gain_db")));
    assert!(
        table.contains("Loud     -15.0 LUFS   -3.0 dB  -18.0 LUFS  -15.0 dBFS"),
        "{table}"
    );
    assert!(
        table.contains("Quiet    -53.0 LUFS  +24.0 dB  -29.0 LUFS  -26.0 dBFS  needs +35.0 dB"),
        "{table}"
    );
    let written = std::fs::read_to_string(&session).unwrap();
    assert!(
        written.contains("\nversion = 1\nname = \"My Song\"\ntempo = 120\n"),
        "{written}"
    );
}

/// `earmix DIR` on a folder without a session shows what `earmix new` would make and asks;
/// "y" writes it and opens it in the console. With a session there it opens that at once;
/// without a terminal it says to run `earmix new`.
#[test]
fn earmix_dir_offers_a_new_session_and_opens_it() {
    let ts = TempSession::new();
    let dir = song_dir(&ts);
    let n = RATE as usize * 2;
    write_wav_f32(&dir.join("01 Kick.wav"), RATE, &[signal(n, 1, 0.3)]);
    write_wav_f32(&dir.join("02 Lead Vox.wav"), RATE, &[signal(n, 2, 0.3)]);

    let piped = run(
        &ts,
        &[dir.as_os_str(), "--output".as_ref(), "null".as_ref()],
    );
    assert_eq!(piped.status.code(), Some(1));
    assert!(
        text(&piped.stderr).contains("make one from its stems with `earmix new"),
        "{}",
        text(&piped.stderr)
    );
    assert!(!dir.join("session.toml").exists());

    let home = home_in(&ts);
    let mut console = Console::spawn(&home, &[dir.as_os_str()], 100, 30);
    console.wait_for_text(&["has no session.toml", "Lead Vox", "[y/N]"]);
    console.send("y\r");
    console.wait_for_text(&["Kick", "Lead Vox", "MASTER"]);
    console.send("q");
    console.wait_success();
    let got = channels(&dir.join("session.toml"));
    assert_eq!(got[1].2, "lead_vocal");

    let mut again = Console::spawn(&home, &[dir.as_os_str()], 100, 30);
    again.wait_for_text(&["Kick", "Lead Vox", "MASTER"]);
    again.send("q");
    again.wait_success();
}

/// The whole path on a song with the awkward parts real exports have: a lead vocal as an MP3
/// made by lame, a split-stereo keyboard pair, a tambourine whose BWF time stamp puts it 0.5 s
/// into the song, and an Audacity label file for the sections. `earmix new --labels` writes
/// one session; `earmix check` passes and lists the sections; the console opens it; the
/// bounce equals an independent sum of the WAV stems (the pair on its sides, the tambourine
/// from 0.5 s) to 1e-5, and what is left is the MP3's source WAV at lag 0 (a lag of 1105 frames,
/// the LAME delay not removed, or any other lag leaves noise, not the source).
#[test]
fn a_song_with_an_mp3_a_split_pair_a_late_stem_and_markers_goes_from_folder_to_mix() {
    let ts = TempSession::new();
    let dir = song_dir(&ts);
    let n = RATE as usize * 2;
    let stamp = 9 * 3600 * u64::from(RATE);
    let kick = signal(n, 1, 0.2);
    let bass = signal(n, 2, 0.2);
    let keys_l = signal(n, 3, 0.2);
    let keys_r = signal(n, 4, 0.2);
    let tambourine = signal(RATE as usize, 5, 0.2);
    let vox = signal(n, 6, 0.2);
    write_bwf(&dir.join("01 Kick In.wav"), RATE, &kick, stamp);
    write_bwf(&dir.join("02 Bass DI.wav"), RATE, &bass, stamp);
    write_bwf(&dir.join("03 Keys L.wav"), RATE, &keys_l, stamp);
    write_bwf(&dir.join("03 Keys R.wav"), RATE, &keys_r, stamp);
    write_bwf(
        &dir.join("05 Tambourine.wav"),
        RATE,
        &tambourine,
        stamp + u64::from(RATE) / 2,
    );
    let source = ts.path("vox-source.wav");
    write_wav_i24(&source, RATE, std::slice::from_ref(&vox));
    lame(&source, &dir.join("04 Lead Vox.mp3"));
    let labels = ts.path("labels.txt");
    std::fs::write(
        &labels,
        "0.000000\t0.000000\tVerse\n1.000000\t1.000000\tChorus\n",
    )
    .unwrap();

    let table = new_ok(&ts, &dir, &["--labels", labels.to_str().unwrap()]);
    assert!(table.contains("03 Keys L.wav + 03 Keys R.wav"), "{table}");
    assert!(table.contains("Chorus"), "{table}");
    let session = dir.join("session.toml");
    let got = channels(&session);
    let names: Vec<&str> = got.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(
        names,
        ["Kick In", "Bass DI", "Keys", "Lead Vox", "Tambourine"]
    );
    assert_eq!(got[4].3["start"].as_float(), Some(0.5));

    let check = run(&ts, &["check".as_ref(), session.as_os_str()]);
    assert!(check.status.success(), "{}", text(&check.stderr));
    let summary = text(&check.stdout);
    assert!(
        summary.contains("Verse") && summary.contains("Chorus"),
        "{summary}"
    );

    let home = home_in(&ts);
    let mut console = Console::spawn(&home, &[session.as_os_str()], 100, 30);
    console.wait_for_text(&["Kick In", "Lead Vox", "Tambourine", "MASTER"]);
    console.send("q");
    console.wait_success();

    let (_, mix) = bounce_with_earmix(&session, &ts.path("bounce.wav"));
    assert_eq!(
        mix[0].len(),
        n,
        "the song lasts as long as its longest stem"
    );
    let [kick, bass, keys_l, keys_r, tambourine, vox] =
        [&kick, &bass, &keys_l, &keys_r, &tambourine, &vox].map(|x| as_24_bit(x));
    let residual = mix_without(
        &mix,
        &[&kick, &bass],
        (&keys_l, &keys_r),
        &tambourine,
        n / 4,
    );
    // The residual is the MP3 at centre: compare it with its source at lags around 0.
    let snr_at = |lag: i64| snr_db(&residual[0], &vox, lag);
    let at_zero = snr_at(0);
    assert!(
        at_zero > 20.0,
        "the MP3 against its source: {at_zero:.1} dB"
    );
    for lag in [-1_105, -576, 576, 1_105] {
        assert!(snr_at(lag) < 3.0, "lag {lag}: {:.1} dB", snr_at(lag));
    }
    let apart = residual[0]
        .iter()
        .zip(&residual[1])
        .map(|(l, r)| (l - r).abs())
        .fold(0.0f32, f32::max);
    assert!(
        apart < 1e-5,
        "the MP3 is mono at centre: sides {apart} apart"
    );
}

/// What a 24-bit file holds of `x`.
fn as_24_bit(x: &[f32]) -> Vec<f32> {
    x.iter()
        .map(|s| (s * 8_388_608.0).round().clamp(-8_388_608.0, 8_388_607.0) / 8_388_608.0)
        .collect()
}

/// `mix` less the mono stems at centre, a split pair on its sides and a mono stem placed at
/// frame `late`.
fn mix_without(
    mix: &[Vec<f32>],
    mono: &[&Vec<f32>],
    (left, right): (&[f32], &[f32]),
    late_stem: &[f32],
    late: usize,
) -> Vec<Vec<f32>> {
    let centre = std::f32::consts::FRAC_1_SQRT_2;
    let mut residual = mix.to_vec();
    for i in 0..residual[0].len() {
        let centred = mono.iter().map(|m| m[i]).sum::<f32>() * centre
            + i.checked_sub(late)
                .and_then(|j| late_stem.get(j))
                .map_or(0.0, |s| s * centre);
        residual[0][i] -= centred + left[i];
        residual[1][i] -= centred + right[i];
    }
    residual
}

/// How far `got` (the left side of a mix) is from `source` at centre, `lag` frames later, in dB
/// of signal to error, away from the ends.
fn snr_db(got: &[f32], source: &[f32], lag: i64) -> f64 {
    let centre = std::f64::consts::FRAC_1_SQRT_2;
    let (mut signal, mut error) = (0.0f64, 0.0f64);
    for i in 4_096..got.len() - 4_096 {
        let want = f64::from(source[(i as i64 + lag) as usize]) * centre;
        signal += want * want;
        let diff = f64::from(got[i]) - want;
        error += diff * diff;
    }
    10.0 * (signal / error).log10()
}

/// Encodes `wav` to `mp3` with lame at 320 kb/s (the encoder delay and padding in its LAME tag).
fn lame(wav: &Path, mp3: &Path) {
    let status = std::process::Command::new("lame")
        .args(["--quiet", "-b", "320"])
        .arg(wav)
        .arg(mp3)
        .status()
        .expect("the lame program (Debian package lame)");
    assert!(status.success());
}
