//! The real `earmix` binary on real files: what a user types and sees.

use crate::support::{TempSession, earmix, read_wav, signal, write_wav_f32, write_wav_i24};

fn session_with_two_stems(ts: &TempSession) -> std::path::PathBuf {
    write_wav_i24(
        &ts.path("stems/gtr.wav"),
        48_000,
        &[signal(48_000, 1, 0.3), signal(48_000, 2, 0.3)],
    );
    write_wav_f32(&ts.path("stems/vox.wav"), 48_000, &[signal(36_000, 3, 0.3)]);
    ts.write_session(
        r#"version = 1
name = "Two"

[[channel]]
name = "Guitar"
file = "stems/gtr.wav"
role = "guitar"
gain_db = -3.0

[[channel]]
name = "Voice"
file = "stems/vox.wav"
role = "vocal"
mute = true

[[section]]
name = "Verse"
start = 0

[[section]]
name = "Chorus"
start = "0:00.500"
"#,
    )
}

/// `earmix check` on a valid session prints each channel's format, channels, rate and length and
/// the sections, and exits 0.
#[test]
fn check_prints_a_summary() {
    let ts = TempSession::new();
    let path = session_with_two_stems(&ts);
    let out = earmix().arg("check").arg(&path).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for needle in [
        "\"Two\", 2 channels, 48000 Hz, 0:01.000",
        "Guitar",
        "WAV, PCM 24-bit",
        "WAV, float 32-bit",
        "0:00.750",
        "[muted]",
        "Verse",
        "Chorus",
        "0:00.500",
        "-3.0 dB",
    ] {
        assert!(stdout.contains(needle), "missing {needle:?} in:\n{stdout}");
    }
}

/// The console's options before a command are refused, naming them, instead of being dropped
/// without a word (`earmix --ascii check S` used to check S and ignore --ascii).
#[test]
fn console_options_before_a_command_are_refused() {
    let ts = TempSession::new();
    let path = session_with_two_stems(&ts);
    let out = earmix()
        .args(["--ascii", "--output", "null", "check"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with(
            "earmix: --ascii, --output before the command: the command would not use them"
        ),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

/// The summary's columns stay in line when a role is longer than the usual ones
/// (`backing_vocal`): every row's fader ends in the same column as the header's "fader".
#[test]
fn check_keeps_its_columns_with_long_roles() {
    let ts = TempSession::new();
    let path = session_with_two_stems(&ts);
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("role = \"vocal\"", "role = \"backing_vocal\"");
    std::fs::write(&path, text).unwrap();
    let out = earmix().arg("check").arg(&path).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let end_of = |line: &str, what: &str| line.find(what).map(|at| at + what.len());
    let header = stdout.lines().find(|l| l.contains("fader")).unwrap();
    let fader_end = end_of(header, "fader").unwrap();
    for (name, fader) in [("Guitar", "-3.0 dB"), ("Voice", "+0.0 dB")] {
        let row = stdout.lines().find(|l| l.contains(name)).unwrap();
        assert_eq!(end_of(row, fader), Some(fader_end), "{stdout}");
    }
}

/// Options before a command do not hide it: `earmix --config F check S` checks S with the
/// settings in F (the top-level SESSION argument used to take `check` as a session file).
#[test]
fn options_before_a_command_keep_the_command() {
    let ts = TempSession::new();
    let path = session_with_two_stems(&ts);
    let config = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/default.toml");
    let out = earmix()
        .arg("--config")
        .arg(&config)
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
    assert!(stdout.contains("\"Two\", 2 channels, 48000 Hz"), "{stdout}");
}

/// `earmix check` on a broken session exits 1 and names the file, line and key on stderr.
#[test]
fn check_reports_errors_and_exits_1() {
    let ts = TempSession::new();
    let path = session_with_two_stems(&ts);
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("gain_db = -3.0", "gain_db = 30.0");
    std::fs::write(&path, text).unwrap();
    let out = earmix().arg("check").arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("session.toml:8:11: channel[1].gain_db = 30.0"),
        "line, column, key or value missing: {stderr}"
    );
    assert!(stderr.contains("gain_db"), "key missing: {stderr}");
    assert!(stderr.contains("30"), "value missing: {stderr}");
    assert!(!stderr.contains("panicked"));
}

/// `earmix bounce` writes the WAV and prints sample peak, true peak and loudness; the 16-bit
/// variant reports clipping; a bad --bits value is refused with a clear message.
#[test]
fn bounce_from_the_command_line() {
    let ts = TempSession::new();
    let path = session_with_two_stems(&ts);
    let wav = ts.path("out.wav");
    let out = earmix()
        .args(["bounce"])
        .arg(&path)
        .arg("-o")
        .arg(&wav)
        .args(["--from", "0.25", "--to", "0:00.750"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for needle in [
        "sample peak",
        "dBFS",
        "true peak",
        "dBTP",
        "integrated",
        "LUFS",
        "32-bit float",
    ] {
        assert!(stdout.contains(needle), "missing {needle:?} in:\n{stdout}");
    }
    assert_eq!(read_wav(&wav).1[0].len(), 24_000);
    let out = earmix()
        .args(["bounce"])
        .arg(&path)
        .arg("-o")
        .arg(ts.path("o16.wav"))
        .args(["--bits", "16"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("no clipped samples"));
    let out = earmix()
        .args(["bounce"])
        .arg(&path)
        .arg("-o")
        .arg(ts.path("x.wav"))
        .args(["--bits", "12"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("use 32f, 24 or 16"));
    let out = earmix()
        .args(["bounce"])
        .arg(&path)
        .arg("-o")
        .arg(ts.path("x.wav"))
        .args(["--from", "1:75"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a time"));
}

/// `earmix demo --dir` generates both demo sessions, which then pass `earmix check`, and every
/// session shipped under demo-sessions/ loads.
#[test]
fn demo_sessions_generate_and_load() {
    let dir = tempfile::tempdir().unwrap();
    let out = earmix()
        .arg("demo")
        .arg("--dir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shipped: Vec<_> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/demo-sessions"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(shipped.len() >= 2);
    for name in shipped {
        let session = dir.path().join(&name).join("session.toml");
        let loaded = earmix::session::load(&session);
        assert!(
            loaded.is_ok(),
            "{}: {}",
            session.display(),
            loaded.unwrap_err()
        );
        // the committed file is the one the binary embeds and writes out
        let committed = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("demo-sessions")
            .join(&name)
            .join("session.toml");
        assert_eq!(
            std::fs::read_to_string(&session).unwrap(),
            std::fs::read_to_string(committed).unwrap()
        );
        let check = earmix().arg("check").arg(&session).output().unwrap();
        assert!(check.status.success());
    }
}

/// `earmix progress` summarises the history file per exercise; a damaged line is skipped with a
/// warning naming it, never fatal; with no history it says so; the default file is in the XDG
/// data directory.
#[test]
fn progress_summarises_the_history_and_skips_damaged_lines() {
    use earmix::exercise::history::{History, Record};
    let ts = TempSession::new();
    let path = ts.path("history.jsonl");
    let history = History::at(&path);
    let at = std::time::SystemTime::UNIX_EPOCH;
    for score in [35.0, 58.0, 71.0] {
        let record = Record::new("drill", &ts.path("s.toml"), at).with_score(score);
        history.append(&record).unwrap();
    }
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.insert_str(0, "{\"version\": 1, \"date\": \n");
    std::fs::write(&path, text).unwrap();

    let out = earmix()
        .args(["progress", "--ascii", "--history"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stdout.contains("Level-matching drill: done 3 times, best 71"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  last 3 scores, oldest first: 35 58 71"),
        "{stdout}"
    );
    assert!(!stdout.contains("latest"), "{stdout}");
    assert!(stdout.contains("  ,=+  (3 scores"), "{stdout}");
    assert!(stderr.contains("history.jsonl:1: skipped"), "{stderr}");

    // No history yet, in the XDG data directory.
    let home = tempfile::tempdir().unwrap();
    let out = earmix()
        .env("XDG_DATA_HOME", home.path())
        .arg("progress")
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("No exercises finished yet"), "{stdout}");
    assert!(
        stdout.contains(
            &home
                .path()
                .join("earmix/history.jsonl")
                .display()
                .to_string()
        ),
        "{stdout}"
    );
}

/// `earmix exercise` lists the exercises with how often each was done and the drill levels the
/// history has unlocked; an unknown exercise name is an error naming the ones there are.
#[test]
fn exercise_lists_the_exercises_and_refuses_an_unknown_one() {
    use earmix::exercise::history::{History, Record};
    let ts = TempSession::new();
    let path = ts.path("history.jsonl");
    let history = History::at(&path);
    let at = std::time::SystemTime::UNIX_EPOCH;
    history
        .append(
            &Record::new("drill", &ts.path("s.toml"), at)
                .with_level(1)
                .with_score(80.0),
        )
        .unwrap();
    let out = earmix()
        .args(["exercise", "--history"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    for text in [
        "blindfold    Blindfold Balance Test",
        "arc          Emotional Arc Exercise",
        "drill        Level-matching drill",
        "consistency  Consistency drill",
        "Done once. Levels unlocked: 1 to 2 of 5.",
    ] {
        assert!(stdout.contains(text), "{text:?} missing:\n{stdout}");
    }

    let out = earmix()
        .args(["exercise", "karaoke", "--history"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no exercise called 'karaoke'; the exercises are: blindfold, arc, drill"),
        "{stderr}"
    );
}

/// `earmix` run under `umask`, as from a shell that set it.
#[cfg(unix)]
fn earmix_under_umask(umask: &str) -> std::process::Command {
    let inner = crate::support::earmix();
    let mut c = std::process::Command::new("sh");
    c.arg("-c")
        .arg(format!("umask {umask} && exec \"$0\" \"$@\""))
        .arg(inner.get_program());
    for (key, value) in inner.get_envs() {
        if let Some(value) = value {
            c.env(key, value);
        }
    }
    c
}

/// Files earmix creates for the user (the demo's session and stems, a bounce, a new session
/// saved from the console) get the permissions the user's umask gives new files, not the
/// private 0600 of a temporary file: under `umask 027` they are 0640.
#[cfg(unix)]
#[test]
fn created_files_follow_the_users_umask() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let demo = dir.path().join("demo");
    let out = earmix_under_umask("027")
        .args(["demo", "--dir"])
        .arg(&demo)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let session = demo.join("band").join("session.toml");
    assert_eq!(mode(&session), 0o640, "{}", session.display());
    let stem = std::fs::read_dir(demo.join("band").join("stems"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert_eq!(mode(&stem), 0o640, "{}", stem.display());
    let wav = dir.path().join("out.wav");
    let out = earmix_under_umask("027")
        .arg("bounce")
        .arg(&session)
        .arg("-o")
        .arg(&wav)
        .args(["--to", "2"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(mode(&wav), 0o640);
    // A session saved over an existing file keeps that file's mode.
    std::fs::set_permissions(&session, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut loaded = earmix::session::load(&session).unwrap();
    loaded.master_db = earmix::units::Decibels(-1.0);
    earmix::session::save(&loaded).unwrap();
    assert_eq!(mode(&session), 0o600);
}
