//! Rides in the console end to end: the real binary in a pseudo-terminal records a ride from
//! fader nudges while the song plays, the crash journal keeps a released take through
//! `kill -9`, and saving writes the ride into the session file as `[[ride]]`.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::console::{BOUND, Console, channel, float, home_in, open_trio, read_session};
use crate::support::TempSession;

/// The points of the `[[ride]]` of `channel` in the session file (time, dB), if it has one.
fn saved_ride(file: &toml::Table, name: &str) -> Option<Vec<(f64, f64)>> {
    let rides = file.get("ride")?.as_array()?;
    let ride = rides
        .iter()
        .filter_map(toml::Value::as_table)
        .find(|r| r.get("channel").and_then(toml::Value::as_str) == Some(name))?;
    let number = |v: &toml::Value| v.as_float().or_else(|| v.as_integer().map(|i| i as f64));
    let time = |v: &toml::Value| {
        number(v).or_else(|| {
            // "m:ss.mmm"
            let text = v.as_str()?;
            let (m, s) = text.split_once(':')?;
            Some(m.parse::<f64>().ok()? * 60.0 + s.parse::<f64>().ok()?)
        })
    };
    Some(
        ride["points"]
            .as_array()?
            .iter()
            .map(|p| {
                let p = p.as_array().unwrap();
                (time(&p[0]).unwrap(), number(&p[1]).unwrap())
            })
            .collect(),
    )
}

/// Whether the crash journal holds a ride of `name` with a point at `db` dB.
fn journal_has_ride(journal: &Path, name: &str, db: f64) -> bool {
    let Ok(text) = std::fs::read_to_string(journal) else {
        return false;
    };
    let complete = text.rfind('\n').map_or("", |end| &text[..end]);
    complete.lines().skip(1).any(|line| {
        let Ok(entry) = format!("e = {line}").parse::<toml::Table>() else {
            return false;
        };
        let e = entry["e"].as_table().unwrap();
        e["edit"].as_str() == Some("ride")
            && e.get("channel").and_then(toml::Value::as_str) == Some(name)
            && e.get("points")
                .and_then(toml::Value::as_array)
                .is_some_and(|points| {
                    points.iter().any(|p| {
                        p.as_array()
                            .and_then(|p| p[1].as_float())
                            .is_some_and(|v| (v - db).abs() < 1e-9)
                    })
                })
    })
}

/// Arming Bass in latch mode (A twice), playing and nudging it up twice records its ride
/// (the strip shows it recording, the fader stays); stopping ends the pass, and ctrl-s saves
/// the ride as `[[ride]]` for Bass at +1 dB with the base fader untouched.
#[test]
fn a_latched_ride_is_recorded_and_saved() {
    let ts = TempSession::new();
    let (mut c, session) = open_trio(&ts);
    c.send("A");
    c.wait_for_text(&["ride armed (touch)"]);
    c.send("A");
    c.wait_for_text(&["ride armed (latch)"]);
    c.send(" ");
    c.wait_for_text(&["playing"]);
    c.send("k");
    c.send("k");
    c.wait_for_text(&["Recording the Bass ride", "+1.0 dB"]);
    c.wait_for("the recording mark", |s| {
        crate::console::screen_text(s).contains('@')
    });
    c.send(" ");
    c.wait_for_text(&["paused"]);
    c.wait_for("the recording mark gone", |s| {
        !crate::console::screen_text(s).contains('@')
    });
    c.send("\x13");
    c.wait_for_text(&["Saved"]);
    c.send("q");
    c.wait_success();
    let (text, file) = read_session(&session);
    assert_eq!(float(channel(&file, "Bass"), "gain_db"), -3.0, "{text}");
    let ride = saved_ride(&file, "Bass").unwrap_or_else(|| panic!("no Bass ride:\n{text}"));
    assert_eq!(ride.first().map(|p| p.1), Some(0.0), "{text}");
    assert!(ride.iter().any(|p| (p.1 - 1.0).abs() < 1e-9), "{text}");
    assert_eq!(ride.last().map(|p| p.1), Some(0.0), "glides back:\n{text}");
    assert!(saved_ride(&file, "Keys").is_none(), "{text}");
}

/// A touch take released while the song plays is in the crash journal at once: after
/// `kill -9` mid-song, reopening offers it, r applies it, and ctrl-s saves it as `[[ride]]`.
#[test]
fn a_released_touch_take_survives_kill_9() {
    let ts = TempSession::new();
    let (mut c, session) = open_trio(&ts);
    c.send("A");
    c.wait_for_text(&["ride armed (touch)"]);
    c.send(" ");
    c.wait_for_text(&["playing"]);
    c.send("k");
    c.wait_for_text(&["Recording the Bass ride"]);
    let journal = ts.path("session.toml.earmix-journal");
    let deadline = Instant::now() + BOUND;
    while !journal_has_ride(&journal, "Bass", 0.5) {
        assert!(
            Instant::now() < deadline,
            "the journal holds no ride: {:?}\n{}",
            std::fs::read_to_string(&journal),
            c.dump()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    c.kill9();
    drop(c);

    let mut c = Console::open(&home_in(&ts), &session, 80, 24);
    c.wait_for_text(&["Recover unsaved edits?", "Bass ride none ->"]);
    c.send("r");
    c.wait_for_text(&["Recovered"]);
    c.send("\x13");
    c.wait_for_text(&["Saved"]);
    c.send("q");
    c.wait_success();
    let (text, file) = read_session(&session);
    let ride = saved_ride(&file, "Bass").unwrap_or_else(|| panic!("no Bass ride:\n{text}"));
    assert!(ride.iter().any(|p| (p.1 - 0.5).abs() < 1e-9), "{text}");
    assert_eq!(ride.last().map(|p| p.1), Some(0.0), "{text}");
    assert!(!journal.exists(), "saving removes the crash journal");
}
