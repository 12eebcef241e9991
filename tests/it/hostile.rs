//! Hostile input and hostile readers: names holding terminal escape sequences, files that are
//! not UTF-8 text, a keymap without a way out, and a reader that closes the pipe early.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use crate::support::{TempSession, earmix_in, signal, write_wav_f32};

/// The bytes that must never reach a terminal from a name: C0 controls other than the line
/// feed that ends a line, DEL, C1 controls and bidirectional overrides. `None` when there are
/// none, else the first one and where it is.
pub(crate) fn raw_control(bytes: &[u8]) -> Option<String> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Some("bytes that are not UTF-8".to_string());
    };
    text.char_indices()
        .find(|&(_, c)| {
            (c.is_control() && c != '\n')
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .map(|(at, c)| format!("{c:?} at byte {at} of {text:?}"))
}

/// The session file's name escapes: ESC ] 0 (set the window title) ... BEL, ESC [ 2J (clear
/// the screen); a channel with a colour sequence, C1 CSI and a right-to-left override; a
/// section with CR LF.
const EVIL_SESSION: &str = r#"version = 1
name = "\u001b]0;pwned\u0007\u001b[2J"

[[channel]]
name = "Gtr\u001b[31mRED\u009b1m\u202e"
file = "stems/a.wav"

[[channel]]
name = "Bass"
file = "stems/a.wav"

[[section]]
name = "Verse\r\nX"
start = 0

[[section]]
name = "Chorus\u0007"
start = 0.5
"#;

/// The names as the file holds them.
const SESSION_NAME: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2J";
const CHANNEL_NAME: &str = "Gtr\u{1b}[31mRED\u{9b}1m\u{202e}";
/// The names as they are shown.
const SESSION_SHOWN: &str = "\\e]0;pwned\\a\\e[2J";
const CHANNEL_SHOWN: &str = "Gtr\\e[31mRED\\u{9b}1m\\u{202e}";

fn evil_session(ts: &TempSession) -> PathBuf {
    write_wav_f32(&ts.path("stems/a.wav"), 48_000, &[signal(48_000, 1, 0.3)]);
    ts.write_session(EVIL_SESSION)
}

fn run(home: &Path, args: &[&std::ffi::OsStr]) -> Output {
    earmix_in(home).args(args).output().unwrap()
}

/// `earmix check` and `earmix report` (table, CSV) show names from the session file with
/// control characters escaped, never raw; the JSON report keeps the names exactly (as JSON
/// escapes); an error message quoting a name escapes it too.
#[test]
fn names_with_escape_bytes_are_shown_escaped() {
    let ts = TempSession::new();
    let path = evil_session(&ts);
    let home = ts.path("home");
    let p = path.as_os_str();

    let out = run(&home, &["check".as_ref(), p]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(raw_control(&out.stdout), None);
    for shown in [SESSION_SHOWN, CHANNEL_SHOWN, "Verse\\r\\nX", "Chorus\\a"] {
        assert!(stdout.contains(shown), "{shown} missing from:\n{stdout}");
    }

    for format in ["table", "csv"] {
        let out = run(
            &home,
            &["report".as_ref(), p, "--format".as_ref(), format.as_ref()],
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{out:?}");
        assert_eq!(raw_control(&out.stdout), None, "{format}");
        if format == "table" {
            assert!(stdout.contains(SESSION_SHOWN), "{stdout}");
            // The table cuts long names to its column.
            assert!(stdout.contains("  Gtr\\e[31mRED\\u{9b}1m"), "{stdout}");
        } else {
            assert!(stdout.contains(CHANNEL_SHOWN), "{stdout}");
        }
        assert!(stdout.contains("Verse\\r\\nX"), "{format}:\n{stdout}");
    }
    // CSV: still one record per line, the same count as with plain names.
    let out = run(
        &home,
        &["report".as_ref(), p, "--format".as_ref(), "csv".as_ref()],
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().count(),
        1 + 3 * 3
    );

    let out = run(
        &home,
        &["report".as_ref(), p, "--format".as_ref(), "json".as_ref()],
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(raw_control(&out.stdout), None);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["session"]["name"], SESSION_NAME);
    assert_eq!(json["channels"][0], CHANNEL_NAME);
    assert_eq!(json["spans"][0]["name"], "Verse\r\nX");

    // An error quoting a name (as written in the file: TOML takes C1 characters raw).
    let bad = EVIL_SESSION.replace("start = 0.5", "start = 0.5\nmute = [\"X\u{9b}2J\u{202e}\"]");
    std::fs::write(&path, bad).unwrap();
    let out = run(&home, &["check".as_ref(), p]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(raw_control(&out.stderr), None);
    assert!(
        stderr.contains("section[2].mute[1] = \"X\\u{9b}2J\\u{202e}\""),
        "{stderr}"
    );
}

/// `earmix progress` shows an exercise name the history file made up with its control
/// characters escaped, and so do the warnings about lines it skips.
#[test]
fn progress_escapes_names_from_the_history() {
    let ts = TempSession::new();
    let history = ts.path("history.jsonl");
    std::fs::write(
        &history,
        "{\"version\":1,\"date\":\"2026-01-01T00:00:00Z\",\"exercise\":\"\\u001b]0;pwned\\u0007\",\
         \"session\":\"s\",\"level\":null,\"channels\":[],\"score\":50,\"rms_db\":null}\n\
         {\"version\":1,\"\\u001b[2J\":1}\n",
    )
    .unwrap();
    let out = run(
        &ts.path("home"),
        &[
            "progress".as_ref(),
            "--history".as_ref(),
            history.as_os_str(),
        ],
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(raw_control(&out.stdout), None);
    assert_eq!(raw_control(&out.stderr), None);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("\\e]0;pwned\\a: done 1 time"), "{stdout}");
    assert!(stderr.contains("history.jsonl:2: skipped"), "{stderr}");
    assert!(stderr.contains("unknown field `\\e[2J`"), "{stderr}");
}

/// The console draws the session's, a channel's and a section's names with their control
/// characters escaped, and never writes the name's own escape sequences to the terminal.
#[test]
fn the_console_shows_names_escaped() {
    use crate::console::{Console, home_in};
    let ts = TempSession::new();
    write_wav_f32(
        &ts.path("stems/a.wav"),
        48_000,
        &[signal(48_000 * 5, 1, 0.3)],
    );
    let path = ts.write_session(
        r#"version = 1
name = "\u001b]0;pwned\u0007\u001b[2J"

[[channel]]
name = "A\u001b[5m"
file = "stems/a.wav"

[[section]]
name = "V\u009b7m\u202e"
start = 0
"#,
    );
    let home = home_in(&ts);
    let mut console = Console::spawn(&home, &[path.as_os_str()], 100, 30);
    console.wait_for_text(&["\\e]0;pwned\\a\\e[2J", "A\\e[5m", "V\\u{9b}7m"]);
    let raw = console.raw_since(0);
    // (The console clears the screen itself: ESC [ 2J alone proves nothing.)
    for leaked in [
        &b"\x1b]0;pwned"[..],
        b"\x1b[5m",
        b"\xc2\x9b",
        b"\xe2\x80\xae",
    ] {
        assert!(
            !raw.windows(leaked.len()).any(|w| w == leaked),
            "{leaked:?} reached the terminal"
        );
    }
    console.send("q");
    console.wait_success();
}

/// Runs `earmix ARGS` with its stdout a pipe whose reading end is closed before it starts, as
/// when `earmix ... | head` has finished reading (closing it before the start keeps the test
/// from racing the child's first write).
fn with_stdout_closed(home: &Path, args: &[&std::ffi::OsStr]) -> Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    earmix_in(home)
        .args(args)
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

/// Every command that prints to stdout ends quietly with status 141 (128 + SIGPIPE, what a
/// shell reports for a program killed by a closed pipe) when its reader has gone: no panic,
/// no backtrace, nothing on stderr.
#[test]
fn a_closed_stdout_ends_quietly_with_141() {
    let ts = TempSession::new();
    let path = evil_session(&ts);
    let home = ts.path("home");
    let history = ts.path("history.jsonl");
    let record = "{\"version\":1,\"date\":\"2026-01-01T00:00:00Z\",\"exercise\":\"drill\",\
                  \"session\":\"s\",\"level\":1,\"channels\":[],\"score\":50,\"rms_db\":null}\n";
    std::fs::write(&history, record.repeat(2000)).unwrap();
    let wav = ts.path("out.wav");
    let p = path.as_os_str();
    let h = history.as_os_str();
    let commands: [&[&std::ffi::OsStr]; 9] = [
        &["check".as_ref(), p],
        &["report".as_ref(), p],
        &["report".as_ref(), p, "--format".as_ref(), "json".as_ref()],
        &["report".as_ref(), p, "--format".as_ref(), "csv".as_ref()],
        &["progress".as_ref(), "--history".as_ref(), h],
        &["exercise".as_ref(), "--history".as_ref(), h],
        &["bounce".as_ref(), p, "-o".as_ref(), wav.as_os_str()],
        &["devices".as_ref()],
        &["--version".as_ref()],
    ];
    for args in commands {
        let out = with_stdout_closed(&home, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if args[0] == "--version" {
            // clap's own output; it ignores a closed stdout.
            assert_ne!(out.status.code(), Some(101), "{args:?}: {stderr}");
            continue;
        }
        assert_eq!(out.status.code(), Some(141), "{args:?}: {stderr}");
        assert_eq!(stderr, "", "{args:?}");
    }
    assert!(wav.is_file(), "the bounce is written before its summary");
}

/// A session, settings, keymap, targets or history file that is not UTF-8 is reported at the
/// line and column where it stops being text, with the byte and its offset.
#[test]
fn files_that_are_not_utf8_name_the_place() {
    let ts = TempSession::new();
    write_wav_f32(&ts.path("stems/a.wav"), 48_000, &[signal(4800, 1, 0.3)]);
    let home = ts.path("home");
    // Latin-1 "é" (0xE9) on line 3, after "name = \"Caf" (11 characters).
    let session = ts.path("session.toml");
    std::fs::write(
        &session,
        b"version = 1\n[[channel]]\nname = \"Caf\xe9\"\nfile = \"stems/a.wav\"\n",
    )
    .unwrap();
    let out = run(&home, &["check".as_ref(), session.as_os_str()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr.trim_end(),
        format!(
            "{}:3:12: not UTF-8 text (byte 0xE9 at byte offset 35)",
            session.display()
        )
    );

    std::fs::write(
        &session,
        "version = 1\n[[channel]]\nname = \"A\"\nfile = \"stems/a.wav\"\n",
    )
    .unwrap();
    let config = ts.path("config.toml");
    // UTF-16 (as some editors save): "version = 1".
    let utf16: Vec<u8> = [0xff, 0xfe]
        .into_iter()
        .chain("version = 1\n".encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    std::fs::write(&config, utf16).unwrap();
    let out = run(
        &home,
        &[
            "check".as_ref(),
            "--config".as_ref(),
            config.as_os_str(),
            session.as_os_str(),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{}:1:1: not UTF-8 text (byte 0xFF at byte offset 0); the file looks like UTF-16",
            config.display()
        )),
        "{stderr}"
    );

    let history = ts.path("history.jsonl");
    let good = "{\"version\":1,\"date\":\"2026-01-01T00:00:00Z\",\"exercise\":\"drill\",\
                \"session\":\"s\",\"level\":1,\"channels\":[],\"score\":50,\"rms_db\":null}\n";
    let mut bytes = good.as_bytes().to_vec();
    let second = bytes.len();
    bytes.extend_from_slice(b"{\"version\":1,\"exercise\":\"dr\xffill\"}\n");
    bytes.extend_from_slice(good.as_bytes());
    std::fs::write(&history, &bytes).unwrap();
    let out = run(
        &home,
        &[
            "progress".as_ref(),
            "--history".as_ref(),
            history.as_os_str(),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{}:2:28: skipped: not UTF-8 text (byte 0xFF at byte offset {})",
            history.display(),
            second + 27
        )),
        "{stderr}"
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("done 2 times"),
        "{out:?}"
    );

    let keymap = ts.path("keymap.toml");
    std::fs::write(&keymap, b"version = 1\nmute = [\"\x80\"]\n").unwrap();
    let errors = earmix::app::keymap::Keymap::load_user(&keymap).unwrap_err();
    assert_eq!(
        errors[0].to_string(),
        format!(
            "{}:2:10: not UTF-8 text (byte 0x80 at byte offset 21)",
            keymap.display()
        )
    );
    let targets = ts.path("targets.toml");
    std::fs::write(&targets, b"version = 1\n\xc3").unwrap();
    let error = earmix::exercise::targets::Targets::load(Some(&targets)).unwrap_err();
    assert!(
        error.to_string().contains(&format!(
            "{}:2:1: not UTF-8 text (byte 0xC3 at byte offset 12)",
            targets.display()
        )),
        "{error}"
    );
}

/// A keymap that leaves quit without a key is refused before the console starts, with the
/// file, line and column.
#[test]
fn a_keymap_without_quit_is_refused() {
    let ts = TempSession::new();
    write_wav_f32(&ts.path("stems/a.wav"), 48_000, &[signal(4800, 1, 0.3)]);
    let session =
        ts.write_session("version = 1\n[[channel]]\nname = \"A\"\nfile = \"stems/a.wav\"\n");
    let home = ts.path("home");
    let keymap = home.join("config/earmix/keymap.toml");
    std::fs::create_dir_all(keymap.parent().unwrap()).unwrap();
    std::fs::write(&keymap, "version = 1\n\nquit = []\n").unwrap();
    let out = earmix_in(&home)
        .arg(&session)
        .args(["--output", "null"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{}:3:8: quit = []: quit needs a key",
            keymap.display()
        )),
        "{stderr}"
    );
}
