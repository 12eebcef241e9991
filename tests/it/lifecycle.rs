//! Nothing lost, ever: the console's life around the session file, driven as a user (or a
//! hostile world) would: two earmix on one session, a crash journal torn or huge, the session
//! file changed by another program while open, a terminal hung up under a shell that ignores
//! SIGHUP, and the quit question's keys.

use std::ffi::OsStr;
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
