//! The real earmix console in a pseudo-terminal for the desktop bench (included with
//! `#[path]`): keys written as a terminal sends them, the screen parsed with vt100, the
//! terminal's answer to the console's cursor-position query given as a terminal gives it.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, MasterPty, PtySize, native_pty_system};

type BoxResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// "Report the cursor position" (DSR 6).
const CURSOR_QUERY: &[u8] = b"\x1b[6n";

const COLS: NonZeroU16 = NonZeroU16::new(120).expect("not zero");
const ROWS: NonZeroU16 = NonZeroU16::new(40).expect("not zero");

/// Writes a session named `name` whose one channel `channel` plays `stem` into the new folder
/// `dir` (a folder per run: the console keeps a journal of unsaved edits beside the session,
/// which the next run would be asked to recover); returns its path.
pub fn write_session(dir: &Path, stem: &Path, name: &str, channel: &str) -> BoxResult<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let session = dir.join("session.toml");
    let file = stem
        .to_str()
        .ok_or("the temporary folder's path is not UTF-8")?;
    std::fs::write(
        &session,
        format!(
            "version = 1\nname = {name:?}\nsample_rate = 48000\n\n[[channel]]\n\
             name = {channel:?}\nfile = {file:?}\n"
        ),
    )?;
    Ok(session)
}

/// What the reader thread keeps: the parsed screen and the tail of the raw bytes (to find a
/// cursor query split over two reads).
struct Screen {
    parser: vt100::Parser,
    tail: Vec<u8>,
}

/// earmix in a pseudo-terminal; killed when dropped.
pub struct Console {
    _master: Box<dyn MasterPty + Send>,
    writer: Arc<Mutex<Box<dyn Write + Send>>>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    screen: Arc<Mutex<Screen>>,
}

impl Console {
    /// Starts `program args` in a 120 x 40 terminal with HOME and the XDG folders in `home`
    /// and `env` added.
    pub fn spawn(
        program: &Path,
        args: &[OsString],
        home: &Path,
        env: &[(String, String)],
    ) -> BoxResult<Self> {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: ROWS.get(),
                cols: COLS.get(),
                pixel_width: 0,
                pixel_height: 0,
            })
            .map_err(|e| format!("no pseudo-terminal: {e}"))?;
        let mut cmd = CommandBuilder::new(program);
        cmd.args(args);
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
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.cwd(home);
        let child = pair
            .slave
            .spawn_command(cmd)
            .map_err(|e| format!("cannot start {}: {e}", program.display()))?;
        drop(pair.slave);
        let master = pair.master;
        let writer: Arc<Mutex<Box<dyn Write + Send>>> =
            Arc::new(Mutex::new(master.take_writer().map_err(|e| e.to_string())?));
        let mut reader = master.try_clone_reader().map_err(|e| e.to_string())?;
        let screen = Arc::new(Mutex::new(Screen {
            parser: vt100::Parser::new(ROWS, COLS, 0),
            tail: Vec::new(),
        }));
        {
            let screen = Arc::clone(&screen);
            let answer = Arc::clone(&writer);
            std::thread::Builder::new()
                .name("bench-pty-reader".into())
                .spawn(move || {
                    let mut buf = vec![0u8; 1 << 16];
                    loop {
                        let n = reader.read(&mut buf).unwrap_or(0);
                        if n == 0 {
                            return;
                        }
                        let Ok(mut s) = screen.lock() else { return };
                        let mut seen = std::mem::take(&mut s.tail);
                        seen.extend_from_slice(&buf[..n]);
                        let queries = seen
                            .windows(CURSOR_QUERY.len())
                            .filter(|w| *w == CURSOR_QUERY)
                            .count();
                        s.tail = seen[seen.len().saturating_sub(CURSOR_QUERY.len() - 1)..].to_vec();
                        s.parser.process(&buf[..n]);
                        if queries > 0 {
                            let (row, col) = s.parser.screen().cursor_position();
                            let reply = format!("\x1b[{};{}R", row + 1, col + 1).repeat(queries);
                            if let Ok(mut w) = answer.lock() {
                                let _ = w.write_all(reply.as_bytes());
                                let _ = w.flush();
                            }
                        }
                    }
                })?;
        }
        Ok(Self {
            _master: master,
            writer,
            child,
            screen,
        })
    }

    /// The process id of earmix.
    pub fn pid(&self) -> Option<u32> {
        self.child.process_id()
    }

    /// Types `keys`; returns `CLOCK_MONOTONIC` (ns) read just before the write.
    pub fn send(&self, keys: &str, clock: fn() -> u64) -> BoxResult<u64> {
        let mut w = self.writer.lock().map_err(|_| "the pty writer failed")?;
        let at = clock();
        w.write_all(keys.as_bytes())?;
        w.flush()?;
        Ok(at)
    }

    /// The screen as text.
    pub fn text(&self) -> String {
        self.screen
            .lock()
            .map(|s| s.parser.screen().contents())
            .unwrap_or_default()
    }

    /// Waits up to `timeout` until the screen holds `what`.
    pub fn wait_for_text(&mut self, what: &str, timeout: Duration) -> BoxResult<()> {
        let deadline = Instant::now() + timeout;
        loop {
            if self.text().contains(what) {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "earmix exited ({status:?}) before showing {what:?}:\n{}",
                    self.text()
                )
                .into());
            }
            if Instant::now() >= deadline {
                return Err(format!("earmix did not show {what:?}:\n{}", self.text()).into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
