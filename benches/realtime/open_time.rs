//! How long the console takes to open a large session (included with `#[path]`): the real
//! `earmix` binary in a pseudo-terminal, timed from its start to the first frame that shows the
//! whole console (the transport on top, the status line with "? help" at the bottom), parsed
//! with vt100 as a terminal would show it.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

/// The terminal the console opens in.
pub const COLS: u16 = 160;
pub const ROWS: u16 = 48;

/// "Report the cursor position", which a terminal answers (ratatui asks at start).
const CURSOR_QUERY: &[u8] = b"\x1b[6n";

/// Whether the screen shows the whole console: the transport line (paused, with the session's
/// length) on top and the status line at the bottom.
fn whole_console(screen: &vt100::Screen, session_name: &str) -> bool {
    let rows: Vec<String> = screen.rows(0, COLS).collect();
    rows.first()
        .is_some_and(|r| r.contains("paused") && r.contains(session_name))
        && rows.last().is_some_and(|r| r.contains("? help"))
}

/// Opens `session` in `earmix` (`--output null`, HOME in `home`) in a pseudo-terminal and
/// returns the seconds until the first frame showing the whole console, then quits it.
pub fn first_screen_seconds(
    earmix: &Path,
    home: &Path,
    session: &Path,
    session_name: &str,
) -> Result<f64, String> {
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: ROWS,
            cols: COLS,
            pixel_width: 0,
            pixel_height: 0,
        })
        .map_err(|e| e.to_string())?;
    let mut cmd = CommandBuilder::new(earmix);
    cmd.arg(session);
    cmd.args(["--output", "null"]);
    cmd.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    cmd.env("HOME", home);
    cmd.env("XDG_CONFIG_HOME", home.join("config"));
    cmd.env("XDG_DATA_HOME", home.join("data"));
    cmd.env("XDG_STATE_HOME", home.join("state"));
    cmd.env("TERM", "xterm-256color");
    cmd.env("LANG", "C.UTF-8");
    cmd.cwd(home);
    let started = Instant::now();
    let mut child = pair.slave.spawn_command(cmd).map_err(|e| e.to_string())?;
    drop(pair.slave);
    let writer = Arc::new(Mutex::new(
        pair.master.take_writer().map_err(|e| e.to_string())?,
    ));
    let reader = pair.master.try_clone_reader().map_err(|e| e.to_string())?;
    let seen: Arc<Mutex<Option<f64>>> = Arc::new(Mutex::new(None));
    let done = Arc::new(AtomicBool::new(false));
    let thread = {
        let (seen, done, writer) = (Arc::clone(&seen), Arc::clone(&done), Arc::clone(&writer));
        let name = session_name.to_string();
        std::thread::spawn(move || watch(reader, &writer, &seen, &done, started, &name))
    };
    let deadline = started + Duration::from_secs(60);
    let result = loop {
        if let Some(at) = seen.lock().ok().and_then(|s| *s) {
            break Ok(at);
        }
        if let Ok(Some(status)) = child.try_wait() {
            break Err(format!(
                "earmix exited before its first screen ({status:?})"
            ));
        }
        if Instant::now() > deadline {
            break Err("no whole console within 60 s".to_string());
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    if let Ok(mut w) = writer.lock() {
        let _ = w.write_all(b"q");
        let _ = w.flush();
    }
    let quit_by = Instant::now() + Duration::from_secs(10);
    while !matches!(child.try_wait(), Ok(Some(_))) && Instant::now() < quit_by {
        std::thread::sleep(Duration::from_millis(20));
    }
    if !matches!(child.try_wait(), Ok(Some(_))) {
        let _ = child.kill();
        let _ = child.wait();
    }
    done.store(true, Ordering::SeqCst);
    drop(pair.master);
    let _ = thread.join();
    result
}

/// Reads what the console writes into a vt100 screen, answers its cursor queries through
/// `writer`, and sets `seen` to the seconds since `started` of the first whole console; until
/// the terminal closes or `done` is set.
fn watch(
    mut reader: Box<dyn Read + Send>,
    writer: &Mutex<Box<dyn Write + Send>>,
    seen: &Mutex<Option<f64>>,
    done: &AtomicBool,
    started: Instant,
    name: &str,
) {
    let size = |n: u16| std::num::NonZeroU16::new(n).unwrap_or(std::num::NonZeroU16::MIN);
    let mut parser = vt100::Parser::new(size(ROWS), size(COLS), 0);
    let mut buf = vec![0u8; 1 << 16];
    let mut tail: Vec<u8> = Vec::new();
    loop {
        let n = reader.read(&mut buf).unwrap_or(0);
        if n == 0 || done.load(Ordering::SeqCst) {
            return;
        }
        let at = started.elapsed().as_secs_f64();
        tail.extend_from_slice(&buf[..n]);
        let queries = tail
            .windows(CURSOR_QUERY.len())
            .filter(|w| *w == CURSOR_QUERY)
            .count();
        let keep = tail.len().saturating_sub(CURSOR_QUERY.len() - 1);
        tail.drain(..keep);
        parser.process(&buf[..n]);
        if queries > 0
            && let Ok(mut w) = writer.lock()
        {
            let (row, col) = parser.screen().cursor_position();
            let reply = format!("\x1b[{};{}R", row + 1, col + 1).repeat(queries);
            let _ = w.write_all(reply.as_bytes());
            let _ = w.flush();
        }
        if let Ok(mut seen) = seen.lock()
            && seen.is_none()
            && whole_console(parser.screen(), name)
        {
            *seen = Some(at);
        }
    }
}
