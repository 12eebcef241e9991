//! The mouse in the console (`earmix SESSION --mouse`) end to end: the real binary in a
//! pseudo-terminal, mouse reports written to it as an xterm-style terminal sends them in SGR
//! form (`ESC [ < button ; column ; row M`, `m` on release, counted from 1), and what it prints
//! and saves checked.

use std::path::Path;

use nix::sys::signal::Signal;

use crate::console::{Console, home_in, trio};
use crate::support::TempSession;

/// Buttons and the wheel, motion while a button is held, SGR coordinates.
const ENABLE: [&[u8]; 3] = [b"\x1b[?1000h", b"\x1b[?1002h", b"\x1b[?1006h"];
/// The same, turned off.
const DISABLE: [&[u8]; 3] = [b"\x1b[?1000l", b"\x1b[?1002l", b"\x1b[?1006l"];
/// Every motion: never asked for.
const ANY_MOTION: &[u8] = b"\x1b[?1003h";

/// Where `needle` last starts in `haystack`.
fn last(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

/// Where `needle` first starts in `haystack`.
fn first(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The trio session open in an 80x24 console with the mouse on (`--mouse`, `--ascii` so a
/// column on screen is a character of its row).
fn open_with_mouse(ts: &TempSession) -> (Console, std::path::PathBuf) {
    let session = trio(ts);
    let args = [session.as_os_str(), "--mouse".as_ref(), "--ascii".as_ref()];
    let mut c = Console::spawn(&home_in(ts), &args, 80, 24);
    c.wait_for_text(&["Bass", "Keys", "Voice", "MASTER"]);
    (c, session)
}

/// Ends the console with `end` and checks that it had turned mouse reports on (buttons, drags,
/// SGR; never every motion) and turned each of them off again after that.
fn releases_the_mouse(end: impl FnOnce(&mut Console)) {
    let ts = TempSession::new();
    let (mut c, _) = open_with_mouse(&ts);
    end(&mut c);
    c.wait_success();
    let out = c.wait_for_output(0, &DISABLE);
    assert!(first(&out, ANY_MOTION).is_none(), "asked for every motion");
    for (on, off) in ENABLE.iter().zip(DISABLE) {
        let on_at = first(&out, on).expect("mouse reports turned on");
        let off_at = last(&out, off).expect("mouse reports turned off");
        assert!(
            on_at < off_at,
            "{:?} turned off before it was turned on",
            String::from_utf8_lossy(off)
        );
        assert!(
            last(&out, on) < Some(off_at),
            "{:?} turned on again after it was turned off",
            String::from_utf8_lossy(on)
        );
    }
}

/// Quitting with q turns mouse reports off after turning them on.
#[test]
fn quitting_releases_the_mouse() {
    releases_the_mouse(|c| c.send("q"));
}

/// SIGTERM turns mouse reports off.
#[test]
fn sigterm_releases_the_mouse() {
    releases_the_mouse(|c| c.signal(Signal::SIGTERM));
}

/// SIGINT turns mouse reports off.
#[test]
fn sigint_releases_the_mouse() {
    releases_the_mouse(|c| c.signal(Signal::SIGINT));
}

/// SIGHUP turns mouse reports off (where the terminal is still there to hear it).
#[test]
fn sighup_releases_the_mouse() {
    releases_the_mouse(|c| c.signal(Signal::SIGHUP));
}

/// Without `--mouse` (and with `[console] mouse` at its default) the terminal is never asked
/// for mouse reports, so its own text selection works as before.
#[test]
fn no_mouse_unless_asked() {
    let ts = TempSession::new();
    let session = trio(&ts);
    let mut c = Console::open(&home_in(&ts), &session, 80, 24);
    c.wait_for_text(&["Bass", "MASTER"]);
    c.send("q");
    c.wait_success();
    let out = c.raw_since(0);
    for sequence in ENABLE.iter().chain([&ANY_MOTION]) {
        assert!(
            first(&out, sequence).is_none(),
            "{:?} written",
            String::from_utf8_lossy(sequence)
        );
    }
}

/// `[console] mouse = true` in the settings turns the mouse on as `--mouse` does.
#[test]
fn the_setting_turns_the_mouse_on() {
    let ts = TempSession::new();
    let session = trio(&ts);
    let home = home_in(&ts);
    write_settings(&home, "version = 1\n[console]\nmouse = true\n");
    let mut c = Console::open(&home, &session, 80, 24);
    c.wait_for_text(&["Bass", "MASTER"]);
    c.send("q");
    c.wait_success();
    c.wait_for_output(0, &ENABLE);
}

/// Writes the user's settings file under `home`.
fn write_settings(home: &Path, text: &str) {
    let dir = home.join("config/earmix");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.toml"), text).unwrap();
}
