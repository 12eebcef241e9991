//! What lets earmix stream hundreds of stems on a small machine, checked on the real binary:
//! creek's I/O threads (one per stream, each polling every millisecond) run in the background
//! scheduling class with a timer slack, so the kernel wakes them together rather than a
//! thousand times a second each. Linux only: read from /proc.

use std::fmt::Write as _;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::support::{TempSession, earmix_in, signal, write_wav_i24};

/// The name creek's I/O threads take from the thread that opens the stems.
const STEM_IO_THREAD: &str = "earmix-stem-io";

/// The timer slack earmix gives them, in nanoseconds (10 ms).
const IO_TIMER_SLACK_NS: u64 = 10_000_000;

/// Kills the child when the test ends, passing or not.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One of a process's threads as /proc shows it.
#[derive(Debug)]
struct Thread {
    tid: u32,
    name: String,
    /// `policy` from the stat line: 0 normal, 1 FIFO, 2 RR, 3 batch, 5 idle.
    policy: u32,
    nice: i32,
    timer_slack_ns: u64,
}

/// The threads of process `pid` (those that exit while they are read are left out).
fn threads(pid: u32) -> Vec<Thread> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .flatten()
        .filter_map(|task| {
            let tid: u32 = task.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(task.path().join("stat")).ok()?;
            let (head, rest) = stat.rsplit_once(')')?;
            let name = head.split_once('(')?.1.to_string();
            // `rest` starts at field 3 (state): nice is field 19, policy field 41.
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let nice = fields.get(16)?.parse().ok()?;
            let policy = fields.get(38)?.parse().ok()?;
            // The timer slack is read per thread id from /proc/TID (not under task/).
            let timer_slack_ns = std::fs::read_to_string(format!("/proc/{tid}/timerslack_ns"))
                .ok()?
                .trim()
                .parse()
                .ok()?;
            Some(Thread {
                tid,
                name,
                policy,
                nice,
                timer_slack_ns,
            })
        })
        .collect()
}

/// Every creek I/O thread of a playing session runs in the background class (`SCHED_BATCH`,
/// nice 9) with a 10 ms timer slack, inherited from the thread that opened the stems; the main
/// thread keeps the normal class and the default slack (50 µs), and the audio thread is not
/// woken late either.
#[test]
fn creek_threads_poll_in_the_background_with_a_timer_slack() {
    let ts = TempSession::new();
    let home = ts.path("home");
    let frames = 48_000 * 4;
    let mut text = String::from("version = 1\nname = \"Slack\"\nsample_rate = 48000\n");
    for c in 0..12 {
        let file = format!("stems/s{c}.wav");
        write_wav_i24(
            &ts.path(&file),
            48_000,
            &[signal(frames, c, 0.1), signal(frames, c + 100, 0.1)],
        );
        let _ = writeln!(text, "[[channel]]\nname = \"C{c}\"\nfile = \"{file}\"");
    }
    let session = ts.write_session(&text);
    let child = earmix_in(&home)
        .arg("play")
        .arg(&session)
        .args(["--no-ui", "--output", "null", "--seconds", "30"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let child = Reaped(child);
    let pid = child.0.id();
    // Once playing (the null output's thread runs), the stems' 12 I/O threads are the only
    // threads with that name (the threads that opened them have ended).
    let deadline = Instant::now() + Duration::from_secs(20);
    let all = loop {
        let all = threads(pid);
        let io = all.iter().filter(|t| t.name == STEM_IO_THREAD).count();
        let playing = all.iter().any(|t| t.name.starts_with("earmix-null-out"));
        if io == 12 && playing {
            break all;
        }
        assert!(
            Instant::now() < deadline,
            "{io} I/O threads, not 12, or no output thread: {all:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let (io, others): (Vec<&Thread>, Vec<&Thread>) =
        all.iter().partition(|t| t.name == STEM_IO_THREAD);
    for t in &io {
        assert_eq!(
            (t.policy, t.nice, t.timer_slack_ns),
            (3, 9, IO_TIMER_SLACK_NS),
            "I/O thread {} runs with policy {}, nice {}, slack {} ns",
            t.tid,
            t.policy,
            t.nice,
            t.timer_slack_ns
        );
    }
    let main = others.iter().find(|t| t.tid == pid).unwrap();
    assert_eq!(
        (main.policy, main.nice, main.timer_slack_ns),
        (0, 0, 50_000)
    );
    let audio = others
        .iter()
        .find(|t| t.name.starts_with("earmix-null-out"))
        .unwrap_or_else(|| panic!("no null output thread in {others:?}"));
    assert!(audio.timer_slack_ns <= 50_000, "{audio:?}");
}

/// A key typed while a large session (128 stems, 12 sections) is still opening, before the
/// console has drawn anything, is not lost: it takes effect once the console shows (the first
/// strip is muted, and saving writes it).
#[test]
fn a_key_typed_while_a_large_session_opens_takes_effect() {
    use crate::console::{Console, channel, flag, home_in, read_session};

    let ts = TempSession::new();
    let home = home_in(&ts);
    let frames = 48_000 * 13;
    write_wav_i24(
        &ts.path("stems/loop.wav"),
        48_000,
        &[signal(frames, 1, 0.1), signal(frames, 2, 0.1)],
    );
    let mut text = String::from("version = 1\nname = \"Large\"\nsample_rate = 48000\n");
    for c in 0..128 {
        let _ = writeln!(
            text,
            "[[channel]]\nname = \"C{c}\"\nfile = \"stems/loop.wav\""
        );
    }
    for s in 0..12 {
        let _ = writeln!(text, "[[section]]\nname = \"S{s}\"\nstart = \"0:{s:02}\"");
    }
    let session = ts.write_session(&text);
    let mut c = Console::open(&home, &session, 160, 40);
    assert_eq!(c.bytes(), 0, "the console drew before the key was typed");
    c.send("m");
    c.wait_for("the whole console", |s| {
        let text = crate::console::screen_text(s);
        let rows: Vec<&str> = text.lines().collect();
        rows.first().is_some_and(|r| r.contains("paused"))
            && text.lines().any(|r| r.contains("? help"))
    });
    c.send("\x13");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, table) = read_session(&session);
        if flag(channel(&table, "C0"), "mute") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "C0 was not saved muted\n{}",
            c.dump()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let (_, table) = read_session(&session);
    assert!(!flag(channel(&table, "C1"), "mute"));
    c.send("q");
    c.wait_success();
}
