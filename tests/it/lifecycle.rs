//! Nothing lost, ever: the console's life around the session file, driven as a user (or a
//! hostile world) would: two earmix on one session, a crash journal torn or huge, the session
//! file changed by another program while open, a terminal hung up under a shell that ignores
//! SIGHUP, and the quit question's keys.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::sys::signal::kill;
use nix::unistd::Pid;

use crate::console::{
    BOUND, Console, home_in, journalled, open_trio, read_session, screen_text, shows_in_strip, trio,
};
use crate::support::TempSession;

/// The processes `pid` started, from /proc.
fn children(pid: Pid) -> Vec<Pid> {
    let path = format!("/proc/{pid}/task/{pid}/children");
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .map(Pid::from_raw)
        .collect()
}

/// Whether a process exists (and is not a zombie waiting for its parent).
fn running(pid: Pid) -> bool {
    if kill(pid, None).is_err() {
        return false;
    }
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The state follows the parenthesised command name.
    let state = stat
        .rsplit(')')
        .next()
        .and_then(|r| r.split_whitespace().next());
    !matches!(state, Some("Z" | "X") | None)
}

/// The CPU time (user + system, in clock ticks) a process has used so far.
fn cpu_ticks(pid: Pid) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
    // After the name: state is field 3, utime 14 and stime 15 (counted from 1 with pid).
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// A terminal closed under a parent shell that survives the hangup (`trap true HUP`), while
/// the console is paused and draws nothing, ends earmix by itself within a second or so, with
/// its edits in the crash journal, and no thread spins on the dead terminal meanwhile.
#[test]
fn a_hangup_under_a_shell_that_ignores_it_ends_a_paused_console() {
    let ts = TempSession::new();
    let session = trio(&ts);
    let home = home_in(&ts);
    let script = "trap true HUP; \"$EARMIX\" \"$1\" --output null; echo ended";
    let mut c = Console::spawn_program(
        &home,
        OsStr::new("sh"),
        &[
            OsStr::new("-c"),
            OsStr::new(script),
            OsStr::new("sh"),
            session.as_os_str(),
        ],
        80,
        24,
    );
    c.wait_for_text(&["Bass", "Keys", "Voice", "MASTER"]);
    let shell = c.pid();
    let earmix = children(shell);
    assert_eq!(
        earmix.len(),
        1,
        "the shell runs earmix as its child: {earmix:?}"
    );
    let earmix = earmix[0];
    c.send("k");
    c.send("k");
    c.wait_for("Bass at -2.0 dB", |s| shows_in_strip(s, "Bass", "-2.0 dB"));
    assert!(!c.text().contains("playing"), "{}", c.dump());

    c.hangup();
    let hung_up = Instant::now();
    let before = cpu_ticks(earmix);
    while running(earmix) {
        assert!(
            hung_up.elapsed() < BOUND,
            "earmix still runs {BOUND:?} after its terminal hung up (cpu ticks {before:?} -> {:?})",
            cpu_ticks(earmix)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let took = hung_up.elapsed();
    assert!(
        took < Duration::from_secs(3),
        "earmix took {took:?} to notice its terminal was gone"
    );
    let (gain, _) = journalled(&ts.path("session.toml.earmix-journal"), "Bass");
    assert_eq!(gain, Some(-2.0), "the edits are in the crash journal");
}

/// In the quit question only the offered answers act: `q` (and any other key) leaves the
/// question open and the journal where it is; `n` stays; `y` quits without saving.
#[test]
fn the_quit_question_takes_only_its_answers() {
    let ts = TempSession::new();
    let (mut c, session) = open_trio(&ts);
    let journal = ts.path("session.toml.earmix-journal");
    c.send("k");
    c.wait_for("Bass at -2.5 dB", |s| shows_in_strip(s, "Bass", "-2.5 dB"));
    c.send("q");
    c.wait_for_text(&["Quit with unsaved edits?"]);
    for key in ["q", "x", "Q", "\x03"] {
        c.send(key);
        // The key is handled before the next one: wait for a frame after it.
        std::thread::sleep(Duration::from_millis(150));
        assert!(!c.exited(), "{key:?} in the quit question quit earmix");
        assert!(
            c.text().contains("Quit with unsaved edits?"),
            "{key:?} closed the question\n{}",
            c.dump()
        );
        assert_eq!(journalled(&journal, "Bass").0, Some(-2.5), "after {key:?}");
    }
    c.send("n");
    c.wait_for("the question closed", |s| {
        !screen_text(s).contains("Quit with unsaved edits?")
    });
    c.send("q");
    c.wait_for_text(&["Quit with unsaved edits?"]);
    c.send("y");
    c.wait_success();
    assert!(!journal.exists(), "y throws the edits away");
    let (text, _) = read_session(&session);
    assert!(text.contains("gain_db = -3.0"), "{text}");
    assert!(!text.contains("mute = true"), "{text}");
}

/// Bug 2 of issue 16: edit, undo back to the saved state, quit: earmix quits without asking
/// and leaves no crash journal, so the next open goes straight to the mixer (it used to claim
/// earmix "stopped without saving" and offer edits that change nothing).
#[test]
fn a_clean_quit_leaves_no_journal_behind() {
    let ts = TempSession::new();
    let (mut c, session) = open_trio(&ts);
    let journal = journal_of(&session);
    c.send("k");
    c.wait_for("Bass at -2.5 dB", |s| shows_in_strip(s, "Bass", "-2.5 dB"));
    c.send("u");
    c.wait_for("Bass back at -3.0 dB", |s| {
        shows_in_strip(s, "Bass", "-3.0 dB")
    });
    let deadline = Instant::now() + BOUND;
    while !journal.exists() {
        assert!(Instant::now() < deadline, "the edits were never journalled");
        std::thread::sleep(Duration::from_millis(10));
    }
    c.send("q");
    c.wait_success();
    assert!(!journal.exists(), "a clean quit left {}", journal.display());
    let mut c = Console::open(&home_in(&ts), &session, 100, 30);
    c.wait_for("the mixer, no question", |s| {
        shows_in_strip(s, "Bass", "-3.0 dB")
    });
    assert!(!c.text().contains("Recover"), "{}", c.dump());
    c.send("q");
    c.wait_success();
}

/// The crash journal of `session`.
fn journal_of(session: &Path) -> PathBuf {
    let mut name = session.as_os_str().to_owned();
    name.push(".earmix-journal");
    PathBuf::from(name)
}

/// Opens the trio, nudges Bass twice (to -2.0 dB), waits until the journal holds it and kills
/// earmix with SIGKILL: the journal a crash leaves.
fn crash_with_bass_at_minus_2(ts: &TempSession) -> PathBuf {
    let (mut c, session) = open_trio(ts);
    c.send("kk");
    c.wait_for("Bass at -2.0 dB", |s| shows_in_strip(s, "Bass", "-2.0 dB"));
    let journal = journal_of(&session);
    let deadline = Instant::now() + BOUND;
    while journalled(&journal, "Bass").0 != Some(-2.0) {
        assert!(Instant::now() < deadline, "the journal never held the edit");
        std::thread::sleep(Duration::from_millis(10));
    }
    c.kill9();
    session
}

/// A journal with a line torn in the middle (a full disk cut a write short, and later edits
/// followed) opens: the question names the damaged line, and every valid edit before and after
/// it is recovered.
#[test]
fn a_journal_torn_in_the_middle_recovers_around_the_damage() {
    let ts = TempSession::new();
    let session = crash_with_bass_at_minus_2(&ts);
    let journal = journal_of(&session);
    let mut text = std::fs::read_to_string(&journal).unwrap();
    // The keys may have been journalled in one batch or two.
    let damaged = format!("1 damaged line skipped (line {}:", text.lines().count() + 1);
    // Half a line with no newline, then the next edit on the same line (what earmix wrote
    // after a failed append), then a whole line.
    text.push_str("{ edit = \"mute\", channel = \"Vo");
    text.push_str("{ edit = \"fader\", channel = \"Keys\", db = -9.5 }\n");
    text.push_str("{ edit = \"mute\", channel = \"Voice\", on = true }\n");
    std::fs::write(&journal, text).unwrap();

    let mut c = Console::open(&home_in(&ts), &session, 100, 30);
    c.wait_for_text(&[
        "Recover unsaved edits?",
        &damaged,
        "Bass fader -3.0 dB -> -2.0 dB",
        "Keys fader -6.0 dB -> -9.5 dB",
        "Voice muted",
    ]);
    c.send("r");
    c.wait_for("the recovered mix", |s| {
        screen_text(s).contains("Recovered 3 unsaved edits")
            && shows_in_strip(s, "Bass", "-2.0 dB")
            && shows_in_strip(s, "Keys", "-9.5 dB")
    });
    // The journal now holds the recovered edits whole, on lines of their own.
    assert_eq!(journalled(&journal, "Keys").0, Some(-9.5));
    assert_eq!(journalled(&journal, "Voice").1, Some(true));
    c.send("q");
    c.wait_for_text(&["Quit with unsaved edits?"]);
    c.send("y");
    c.wait_success();
}

/// A crash journal that cannot be read at all (here a folder where the file should be) does
/// not keep the session from opening: earmix offers to set it aside, keeps it under another
/// name, and edits start a new journal.
#[test]
fn an_unreadable_journal_is_set_aside_not_a_lock_out() {
    let ts = TempSession::new();
    let session = trio(&ts);
    let journal = journal_of(&session);
    std::fs::create_dir_all(journal.join("inside")).unwrap();
    let mut c = Console::open(&home_in(&ts), &session, 100, 30);
    c.wait_for_text(&["The crash journal cannot be read", "set it aside and open"]);
    c.send("a");
    c.wait_for_text(&["Set the crash journal aside as session.toml.earmix-journal.set-aside-"]);
    c.send("k");
    c.wait_for("Bass at -2.5 dB", |s| shows_in_strip(s, "Bass", "-2.5 dB"));
    let deadline = Instant::now() + BOUND;
    while journalled(&journal, "Bass").0 != Some(-2.5) {
        assert!(Instant::now() < deadline, "no new journal");
        std::thread::sleep(Duration::from_millis(10));
    }
    let aside: Vec<String> = std::fs::read_dir(ts.path(""))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("session.toml.earmix-journal.set-aside-"))
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert!(ts.path(&aside[0]).join("inside").is_dir(), "kept whole");
    c.send("q");
    c.send("y");
    c.wait_success();
}

/// A journal of one and a half million edits (what an older earmix left after a long session)
/// does not lock the console: it shows that it is reading, quits on `q` meanwhile with the
/// journal untouched, and once read offers the last value of each control.
#[test]
fn a_huge_journal_keeps_the_console_responsive() {
    let ts = TempSession::new();
    let session = crash_with_bass_at_minus_2(&ts);
    let journal = journal_of(&session);
    {
        use std::io::Write as _;
        let mut out = std::io::BufWriter::new(
            std::fs::OpenOptions::new()
                .append(true)
                .open(&journal)
                .unwrap(),
        );
        for i in 0..1_500_000u32 {
            let db = -f64::from(i % 200) / 10.0;
            writeln!(
                out,
                "{{ edit = \"fader\", channel = \"Keys\", db = {db:?} }}"
            )
            .unwrap();
        }
    }
    let size = std::fs::metadata(&journal).unwrap().len();

    let mut c = Console::open(&home_in(&ts), &session, 100, 30);
    c.wait_for_text(&["Reading the crash journal", "[q] quit"]);
    c.send("q");
    c.wait_success();
    assert_eq!(
        std::fs::metadata(&journal).unwrap().len(),
        size,
        "left as it was"
    );

    let mut c = Console::open(&home_in(&ts), &session, 100, 30);
    c.wait_for_text(&[
        "Recover unsaved edits?",
        "Bass fader -3.0 dB -> -2.0 dB",
        "Keys fader -6.0 dB -> -19.9 dB",
    ]);
    c.send("r");
    c.wait_for("the recovered mix", |s| {
        shows_in_strip(s, "Keys", "-19.9 dB")
    });
    // Taken over, the journal holds one line per control.
    let lines = std::fs::read_to_string(&journal).unwrap().lines().count();
    assert_eq!(lines, 3, "the header and two edits");
    c.send("q");
    c.send("y");
    c.wait_success();
}

/// A second earmix on a session that is open says so, with the first one's pid, and offers
/// read-only listening: there it writes no journal, saves nothing and asks nothing at quit,
/// and the first one's journal and save are untouched. Once the first quits the lock is gone;
/// after a `kill -9` the lock it left is stale and the next earmix opens normally.
#[test]
fn a_second_earmix_on_a_session_only_listens() {
    let ts = TempSession::new();
    let (mut first, session) = open_trio(&ts);
    let journal = journal_of(&session);
    first.send("k");
    first.wait_for("Bass at -2.5 dB", |s| shows_in_strip(s, "Bass", "-2.5 dB"));

    let home2 = ts.path("home2");
    std::fs::create_dir_all(&home2).unwrap();
    let mut second = Console::open(&home2, &session, 100, 30);
    second.wait_for_text(&[
        "Already open in earmix",
        &format!("pid {}", first.pid()),
        "[l] listen read-only",
    ]);
    second.send("l");
    second.wait_for_text(&["READ-ONLY"]);
    second.send("jjjj");
    second.wait_for("Bass at -5.0 dB here", |s| {
        shows_in_strip(s, "Bass", "-5.0 dB")
    });
    second.send("\x13");
    second.wait_for_text(&["nothing is saved here"]);
    second.send("q");
    second.wait_success();
    assert_eq!(
        journalled(&journal, "Bass").0,
        Some(-2.5),
        "the first one's journal"
    );

    first.send("\x13");
    first.wait_for_text(&["Saved session.toml"]);
    let (text, _) = read_session(&session);
    assert!(text.contains("gain_db = -2.5"), "{text}");
    first.send("q");
    first.wait_success();
    let lock = ts.path("session.toml.earmix-lock");
    assert!(!lock.exists(), "quitting removes the lock");

    // A crash leaves the lock file, but no lock: the next earmix opens as usual.
    let mut third = Console::open(&home_in(&ts), &session, 80, 24);
    third.wait_for_text(&["Bass", "MASTER"]);
    assert!(lock.exists());
    third.kill9();
    let mut fourth = Console::open(&home_in(&ts), &session, 80, 24);
    fourth.wait_for_text(&["Bass", "MASTER"]);
    fourth.send("k");
    fourth.wait_for("an edit", |s| shows_in_strip(s, "Bass", "-2.0 dB"));
    assert!(!fourth.text().contains("Already open"), "{}", fourth.dump());
    fourth.send("q");
    fourth.send("y");
    fourth.wait_success();
}

/// The session file rewritten by another program while earmix has it open is noticed without
/// a save, says what changed, and `r` reloads it with the unsaved edit on top; a later change
/// stops ctrl-s from saving over it, and `o` then overwrites it with the mix.
#[test]
fn the_session_file_changed_by_another_program_is_not_overwritten() {
    let ts = TempSession::new();
    let (mut c, session) = open_trio(&ts);
    c.send("k");
    c.wait_for("Bass at -2.5 dB", |s| shows_in_strip(s, "Bass", "-2.5 dB"));
    let (text, _) = read_session(&session);
    let edited = text.replace("gain_db = -6.0", "gain_db = -10.0");
    assert_ne!(edited, text);
    std::fs::write(&session, &edited).unwrap();
    c.wait_for_text(&[
        "The session file changed on disk",
        "Keys fader -6.0 dB -> -10.0 dB",
        "You have 1 unsaved edit here.",
        "[r] reload it, your edits on top",
    ]);
    c.send("r");
    c.wait_for("the reloaded mix", |s| {
        shows_in_strip(s, "Keys", "-10.0 dB") && shows_in_strip(s, "Bass", "-2.5 dB")
    });

    // Another change, then ctrl-s: asked, not saved over.
    let with_comment = format!("{edited}# a note from the editor\n");
    std::fs::write(&session, &with_comment).unwrap();
    c.send("\x13");
    c.wait_for_text(&[
        "The session file changed on disk",
        "only its comments or layout",
    ]);
    assert_eq!(
        read_session(&session).0,
        with_comment,
        "nothing written yet"
    );
    c.send("o");
    c.wait_for_text(&["Saved session.toml"]);
    let (saved, file) = read_session(&session);
    assert!(!saved.contains("a note from the editor"), "{saved}");
    assert_eq!(
        crate::console::float(crate::console::channel(&file, "Bass"), "gain_db"),
        -2.5
    );
    assert_eq!(
        crate::console::float(crate::console::channel(&file, "Keys"), "gain_db"),
        -10.0
    );
    c.send("q");
    c.wait_success();
}

/// "Save as a new file" leaves the other program's version where it is and goes on with the
/// new file beside it.
#[test]
fn a_changed_session_file_can_be_kept_and_the_mix_saved_as_a_new_file() {
    let ts = TempSession::new();
    let (mut c, session) = open_trio(&ts);
    c.send("k");
    c.wait_for("Bass at -2.5 dB", |s| shows_in_strip(s, "Bass", "-2.5 dB"));
    let theirs = read_session(&session)
        .0
        .replace("name = \"Trio\"", "name = \"Theirs\"");
    std::fs::write(&session, &theirs).unwrap();
    c.wait_for_text(&[
        "The session file changed on disk",
        "session name \"Trio\" -> \"Theirs\"",
    ]);
    c.send("w");
    c.wait_for_text(&["File name:", "session-2.toml"]);
    c.send("\r");
    c.wait_for_text(&["Saved as session-2.toml; session.toml keeps the other program's version"]);
    assert_eq!(read_session(&session).0, theirs);
    let (mine, file) = read_session(&ts.path("session-2.toml"));
    assert!(mine.contains("name = \"Trio\""), "{mine}");
    assert_eq!(
        crate::console::float(crate::console::channel(&file, "Bass"), "gain_db"),
        -2.5
    );
    // Edits from here on belong to the new file.
    c.send("k");
    c.wait_for("Bass at -2.0 dB", |s| shows_in_strip(s, "Bass", "-2.0 dB"));
    let deadline = Instant::now() + BOUND;
    while journalled(&ts.path("session-2.toml.earmix-journal"), "Bass").0 != Some(-2.0) {
        assert!(Instant::now() < deadline, "no journal beside the new file");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(!journal_of(&session).exists());
    assert!(ts.path("session-2.toml.earmix-lock").exists());
    assert!(!ts.path("session.toml.earmix-lock").exists());
    c.send("q");
    c.send("y");
    c.wait_success();
}
