//! The mouse in the console (`earmix SESSION --mouse`) end to end: the real binary in a
//! pseudo-terminal, mouse reports written to it as an xterm-style terminal sends them in SGR
//! form (`ESC [ < button ; column ; row M`, `m` on release, counted from 1), and what it prints
//! and saves checked.

use std::path::Path;

use nix::sys::signal::Signal;

use crate::console::{
    Console, channel, flag, flagged, float, home_in, read_session, shows_in_strip, trio,
};
use crate::support::TempSession;

/// Buttons and the wheel, motion while a button is held, SGR coordinates.
const ENABLE: [&[u8]; 3] = [b"\x1b[?1000h", b"\x1b[?1002h", b"\x1b[?1006h"];
/// The same, turned off.
const DISABLE: [&[u8]; 3] = [b"\x1b[?1000l", b"\x1b[?1002l", b"\x1b[?1006l"];
/// Every motion: never asked for.
const ANY_MOTION: &[u8] = b"\x1b[?1003h";

/// Shown by the help box only.
const HELP: &str = "+- Help -";

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

/// An SGR mouse report: `button` (0 left, 32 left held and moving, 64/65 wheel up/down, +4
/// with shift) at the 0-based `col`, `row`, pressed (`M`) or released (`m`).
fn sgr(button: u8, col: usize, row: usize, press: bool) -> String {
    let end = if press { 'M' } else { 'm' };
    format!("\x1b[<{button};{};{}{end}", col + 1, row + 1)
}

/// A left click (press and release) at `col`, `row`.
fn click(c: &mut Console, col: usize, row: usize) {
    c.send(&(sgr(0, col, row, true) + &sgr(0, col, row, false)));
}

/// Where things are on the screen (`--ascii`: a column is a character).
struct Layout {
    rows: Vec<String>,
}

impl Layout {
    fn of(c: &Console) -> Self {
        Self {
            rows: c.text().lines().map(str::to_owned).collect(),
        }
    }

    /// The row and the column of the middle of the first `text` on the screen.
    fn find(&self, text: &str) -> (usize, usize) {
        self.rows
            .iter()
            .enumerate()
            .find_map(|(y, row)| row.find(text).map(|x| (y, x + text.len() / 2)))
            .unwrap_or_else(|| panic!("no {text:?} in\n{}", self.rows.join("\n")))
    }

    /// The cells of strip `k`'s M and S flags (the `k`-th "M  S" on its row).
    fn flags(&self, k: usize) -> ((usize, usize), (usize, usize)) {
        let (y, row) = self
            .rows
            .iter()
            .enumerate()
            .find(|(_, row)| row.contains("M  S"))
            .expect("a row of flags");
        let x = row.match_indices("M  S").nth(k).expect("strip k's flags").0;
        ((x, y), (x + 3, y))
    }

    /// Strip `k`'s fader track: its column and its rows, top to bottom (`k`-th ':' or '>' on
    /// the rows between the peak row and the fader values, left of the master's separator).
    fn track(&self, k: usize) -> (usize, std::ops::Range<usize>) {
        let (peak, _) = self.find("peak");
        let (fader, _) = self.find("fader");
        let row = &self.rows[peak + 1];
        let strips = &row[..row.find('|').expect("the master's separator")];
        let x = strips
            .match_indices([':', '>'])
            .nth(k)
            .expect("strip k's track")
            .0;
        (x, peak + 1..fader)
    }
}

/// A click on a strip's name selects it; a click on its M or S mutes or solos it, leaving the
/// selection where it was; the wheel over a strip nudges its fader by the fine step, with
/// shift by the coarse one; all of it is saved with ctrl-s like the keys' edits.
#[test]
fn clicks_and_the_wheel_work_the_mix() {
    let ts = TempSession::new();
    let (mut c, session) = open_with_mouse(&ts);
    c.wait_for_text(&["Bass  Trio"]);
    let screen = Layout::of(&c);
    let (name_row, keys_x) = screen.find("Keys");
    click(&mut c, keys_x, name_row);
    c.wait_for_text(&["Keys  Trio"]);

    let ((voice_m, y), _) = screen.flags(2);
    click(&mut c, voice_m, y);
    c.wait_for("Voice muted", |s| flagged(s, "M") == ["Voice"]);
    let (_, (bass_s, y)) = screen.flags(0);
    click(&mut c, bass_s, y);
    c.wait_for("Bass soloed", |s| flagged(s, "S") == ["Bass"]);
    c.wait_for_text(&["Keys  Trio"]);

    let (track_x, rows) = screen.track(1);
    c.send(&sgr(64, track_x + 1, rows.start + 2, true));
    c.wait_for("Keys up 0.5 dB", |s| shows_in_strip(s, "Keys", "-5.5 dB"));
    c.send(&sgr(64 + 4, keys_x, name_row, true));
    c.wait_for("Keys up 3 dB", |s| shows_in_strip(s, "Keys", "-2.5 dB"));
    c.send(&sgr(65, keys_x, name_row, true));
    c.wait_for("Keys down 0.5 dB", |s| shows_in_strip(s, "Keys", "-3.0 dB"));

    c.send("\x13");
    c.wait_for_text(&["Saved"]);
    c.send("q");
    c.wait_success();
    let (text, file) = read_session(&session);
    assert_eq!(float(channel(&file, "Keys"), "gain_db"), -3.0, "{text}");
    assert!(flag(channel(&file, "Voice"), "mute"), "{text}");
    assert!(flag(channel(&file, "Bass"), "solo"), "{text}");
    assert!(!flag(channel(&file, "Bass"), "mute"), "{text}");
    assert!(!flag(channel(&file, "Keys"), "solo"), "{text}");
}

/// Dragging a fader's track sets the level of the row under the pointer, as the track is
/// drawn: a press alone moves nothing, the drag to a row reads that row's level, past the top
/// holds +12 dB, and the level let go is what is saved.
#[test]
fn dragging_a_track_moves_its_fader() {
    let ts = TempSession::new();
    let (mut c, session) = open_with_mouse(&ts);
    let screen = Layout::of(&c);
    let (x, rows) = screen.track(0);
    let height = u16::try_from(rows.len()).unwrap();
    let (grab, to) = (rows.start + 1, rows.start + 3);
    let (name_row, keys_x) = screen.find("Keys");
    c.send(&sgr(0, x, grab, true));
    // The wheel over Keys after the press: the frame that shows it shows what the press did,
    // which is nothing to the fader.
    c.send(&sgr(64, keys_x, name_row, true));
    c.wait_for("Keys nudged, Bass where it was", |s| {
        shows_in_strip(s, "Keys", "-5.5 dB") && shows_in_strip(s, "Bass", "-3.0 dB")
    });
    c.send(&sgr(32, x, rows.start - 2, true));
    c.wait_for("Bass at the top", |s| shows_in_strip(s, "Bass", "+12.0 dB"));
    c.send(&sgr(32, x, to, true));
    let expected =
        earmix::ui::widgets::fader::gain_at_row(u16::try_from(rows.end - 1 - to).unwrap(), height)
            .expect("a level above the bottom");
    let shown = format!("{expected:+.1} dB");
    c.wait_for("Bass at the row's level", |s| {
        shows_in_strip(s, "Bass", &shown)
    });
    c.send(&sgr(0, x, to, false));
    c.send("\x13");
    c.wait_for_text(&["Saved"]);
    c.send("q");
    c.wait_success();
    let (text, file) = read_session(&session);
    let saved = float(channel(&file, "Bass"), "gain_db");
    assert!(
        (saved - expected).abs() < 0.01,
        "{expected} dB dragged:\n{text}"
    );
    assert_eq!(float(channel(&file, "Keys"), "gain_db"), -5.5, "{text}");
}

/// Whether the master strip (right of its separator) shows `text` on some row.
fn master_shows(screen: &vt100::Screen, text: &str) -> bool {
    crate::console::screen_text(screen)
        .lines()
        .any(|row| row.find('|').is_some_and(|at| row[at..].contains(text)))
}

/// A click on the master gives it the focus as Tab does (the fader keys then move the master,
/// not the selected strip); dragging the master's track sets its level from the row under the
/// pointer, past the top +12 dB; the level let go is saved.
#[test]
fn clicking_and_dragging_the_master() {
    let ts = TempSession::new();
    let (mut c, session) = open_with_mouse(&ts);
    c.wait_for_text(&["Bass  Trio"]);
    let screen = Layout::of(&c);
    let (title_row, title_x) = screen.find("MASTER");
    click(&mut c, title_x, title_row);
    // The transport line names the selected strip only while the strip has the focus.
    c.wait_for("the master focused", |s| {
        !crate::console::screen_text(s).contains("Bass  Trio")
    });
    c.send("k");
    c.wait_for("the master up 0.5 dB, Bass where it was", |s| {
        master_shows(s, "+0.5 dB") && shows_in_strip(s, "Bass", "-3.0 dB")
    });
    // The master's track: the first ':' or '>' right of its separator, on the meter's rows.
    let (peak, _) = screen.find("peak");
    let (fader, _) = screen.find("fader");
    let row = &screen.rows[peak + 1];
    let sep = row.find('|').expect("the master's separator");
    let x = sep + row[sep..].find([':', '>']).expect("the master's track");
    let rows = peak + 1..fader;
    let height = u16::try_from(rows.len()).unwrap();
    // Tab back to the strips: a press on the master's track focuses the master again.
    c.send("\t");
    c.wait_for_text(&["Bass  Trio"]);
    c.send(&sgr(0, x, rows.start + 1, true));
    c.send(&sgr(32, x, rows.start.saturating_sub(2), true));
    c.wait_for("the master at the top", |s| master_shows(s, "+12.0 dB"));
    let to = rows.start + 3;
    c.send(&sgr(32, x, to, true));
    let expected =
        earmix::ui::widgets::fader::gain_at_row(u16::try_from(rows.end - 1 - to).unwrap(), height)
            .expect("a level above the bottom");
    let shown = format!("{expected:+.1} dB");
    c.wait_for("the master at the row's level", |s| master_shows(s, &shown));
    c.send(&sgr(0, x, to, false));
    c.send("\x13");
    c.wait_for_text(&["Saved"]);
    c.send("q");
    c.wait_success();
    let (text, file) = read_session(&session);
    let saved = float(&file, "master_db");
    assert!(
        (saved - expected).abs() < 0.01,
        "{expected} dB dragged:\n{text}"
    );
    assert_eq!(float(channel(&file, "Bass"), "gain_db"), -3.0, "{text}");
}

/// A click on a section of the timeline jumps there.
#[test]
fn clicking_the_timeline_jumps_to_a_section() {
    let ts = TempSession::new();
    let session = trio(&ts);
    let text = std::fs::read_to_string(&session).unwrap()
        + "\n[[section]]\nname = \"Verse\"\nstart = 0.0\n\n[[section]]\nname = \"Chorus\"\n\
           start = 2.5\n";
    std::fs::write(&session, text).unwrap();
    let args = [session.as_os_str(), "--mouse".as_ref(), "--ascii".as_ref()];
    let mut c = Console::spawn(&home_in(&ts), &args, 80, 24);
    c.wait_for_text(&["Verse", "Chorus", "0:00.0"]);
    let (row, x) = Layout::of(&c).find("Chorus");
    click(&mut c, x, row);
    c.wait_for_text(&["0:02.5"]);
    let (row, x) = Layout::of(&c).find("Verse");
    click(&mut c, x, row);
    c.wait_for_text(&["0:00.0"]);
    c.send("q");
    c.wait_success();
}

/// Nothing under a box can be clicked: with the help open a click on a strip's M mutes
/// nothing; once it is closed the same click does.
#[test]
fn a_box_on_top_takes_no_clicks_through_it() {
    let ts = TempSession::new();
    let (mut c, _) = open_with_mouse(&ts);
    let screen = Layout::of(&c);
    let ((keys_m, y), _) = screen.flags(1);
    c.send("?");
    c.wait_for_text(&[HELP]);
    click(&mut c, keys_m, y);
    // The key after the click: the frame that shows its effect shows the click's too.
    c.send("\x1b");
    let muted = std::cell::RefCell::new(None);
    c.wait_for("the help closed", |s| {
        let closed = !crate::console::screen_text(s).contains(HELP);
        if closed {
            *muted.borrow_mut() = Some(flagged(s, "M"));
        }
        closed
    });
    assert_eq!(muted.into_inner(), Some(Vec::new()), "{}", c.text());
    click(&mut c, keys_m, y);
    c.wait_for("Keys muted", |s| flagged(s, "M") == ["Keys"]);
    c.signal(Signal::SIGTERM);
    c.wait_success();
}
