//! The offline bounce against an independent oracle: stems decoded here with hound and summed
//! with the session's gains and pan law in f64.

use earmix::engine::render::{BitDepth, BounceOptions, bounce};
use earmix::engine::resample::Resampled;
use earmix::engine::source::{MAX_BLOCK, MemorySource, ReadMode, Source, StemBuffer};
use earmix::engine::streams::{StreamConfig, open_stem};
use earmix::units::Seconds;

use crate::support::{
    TempSession, assert_realtime, earmix, read_wav, signal, write_wav_f32, write_wav_i24,
};

const RATE: u32 = 48_000;

struct OracleChannel {
    file: &'static str,
    trim: f64,
    gain: f64,
    pan: f64,
    audible: bool,
}

/// The mix computed independently: per channel trim x fader x pan law, summed, x master.
fn oracle(
    ts: &TempSession,
    channels: &[OracleChannel],
    master: f64,
    frames: usize,
) -> [Vec<f64>; 2] {
    let mut out = [vec![0.0f64; frames], vec![0.0f64; frames]];
    for ch in channels.iter().filter(|c| c.audible) {
        let (_, data) = read_wav(&ts.path(ch.file));
        let level = 10f64.powf((ch.trim + ch.gain) / 20.0);
        let (gl, gr, left, right) = if data.len() == 1 {
            let t = (ch.pan + 1.0) * std::f64::consts::FRAC_PI_4;
            (t.cos(), t.sin(), &data[0], &data[0])
        } else {
            let (gl, gr) = if ch.pan > 0.0 {
                (1.0 - ch.pan, 1.0)
            } else {
                (1.0, 1.0 + ch.pan)
            };
            (gl, gr, &data[0], &data[1])
        };
        for i in 0..frames.min(left.len()) {
            out[0][i] += f64::from(left[i]) * level * gl;
            out[1][i] += f64::from(right[i]) * level * gr;
        }
    }
    let m = 10f64.powf(master / 20.0);
    for side in &mut out {
        for x in side.iter_mut() {
            *x *= m;
        }
    }
    out
}

fn assert_close(got: &[Vec<f32>], want: &[Vec<f64>], offset: usize, tol: f64) {
    assert_eq!(
        got[0].len() + offset,
        want[0].len().min(got[0].len() + offset)
    );
    for side in 0..2 {
        for (i, g) in got[side].iter().enumerate() {
            let w = want[side][i + offset];
            assert!(
                (f64::from(*g) - w).abs() <= tol,
                "side {side} frame {}: bounce {g} oracle {w}",
                i + offset
            );
        }
    }
}

/// A session with mono and stereo stems (float and 24-bit), pans, trims, a muted channel and a
/// stem shorter than the session: the float bounce equals the oracle to within 1e-6.
fn mixed_session(ts: &TempSession, extra: &str) -> std::path::PathBuf {
    write_wav_f32(&ts.path("stems/mono.wav"), RATE, &[signal(96_000, 1, 0.5)]);
    write_wav_i24(
        &ts.path("stems/stereo24.wav"),
        RATE,
        &[signal(96_000, 2, 0.4), signal(96_000, 3, 0.4)],
    );
    write_wav_f32(&ts.path("stems/short.wav"), RATE, &[signal(30_000, 4, 0.6)]);
    write_wav_f32(
        &ts.path("stems/muted.wav"),
        RATE,
        &[signal(96_000, 5, 0.9), signal(96_000, 6, 0.9)],
    );
    ts.write_session(&format!(
        r#"version = 1
name = "Oracle"
master_db = -1.5

[[channel]]
name = "Mono"
file = "stems/mono.wav"
gain_db = -4.0
pan = -0.4
trim_db = 2.0

[[channel]]
name = "Stereo"
file = "stems/stereo24.wav"
gain_db = 1.5
pan = 0.3

[[channel]]
name = "Short"
file = "stems/short.wav"
gain_db = -2.0
pan = 0.8

[[channel]]
name = "Muted"
file = "stems/muted.wav"
mute = true
{extra}
[[section]]
name = "A"
start = 0.0

[[section]]
name = "B"
start = "0:01.250"
"#
    ))
}

fn mixed_oracle(solo_short: bool) -> Vec<OracleChannel> {
    vec![
        OracleChannel {
            file: "stems/mono.wav",
            trim: 2.0,
            gain: -4.0,
            pan: -0.4,
            audible: !solo_short,
        },
        OracleChannel {
            file: "stems/stereo24.wav",
            trim: 0.0,
            gain: 1.5,
            pan: 0.3,
            audible: !solo_short,
        },
        OracleChannel {
            file: "stems/short.wav",
            trim: 0.0,
            gain: -2.0,
            pan: 0.8,
            audible: true,
        },
        OracleChannel {
            file: "stems/muted.wav",
            trim: 0.0,
            gain: 0.0,
            pan: 0.0,
            audible: false,
        },
    ]
}

/// The whole-session float bounce equals the oracle within 1e-6, including a stem that ends
/// early (silent after its end) and a muted channel.
#[test]
fn float_bounce_matches_oracle() {
    let ts = TempSession::new();
    let path = mixed_session(&ts, "");
    let session = earmix::session::load(&path).unwrap();
    let out = ts.path("mix.wav");
    let report = bounce(&session, &out, &BounceOptions::default(), &mut |_, _| {}).unwrap();
    let (spec, got) = read_wav(&out);
    assert_eq!(
        (spec.channels, spec.sample_rate, spec.bits_per_sample),
        (2, RATE, 32)
    );
    assert_eq!(got[0].len(), 96_000);
    let want = oracle(&ts, &mixed_oracle(false), -1.5, 96_000);
    assert_close(&got, &want, 0, 1e-6);
    let peak = want.iter().flatten().fold(0.0f64, |m, x| m.max(x.abs()));
    assert!((report.sample_peak_dbfs - 20.0 * peak.log10()).abs() < 1e-3);
    assert!(report.true_peak_dbtp >= report.sample_peak_dbfs - 0.01);
    assert_eq!(report.frames, 96_000);
}

/// Solo-in-place in the session file: only the soloed channel is bounced, the mute stays.
#[test]
fn solo_bounce_matches_oracle() {
    let ts = TempSession::new();
    let path = mixed_session(&ts, "");
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "gain_db = -2.0\npan = 0.8",
        "gain_db = -2.0\npan = 0.8\nsolo = true",
    );
    std::fs::write(&path, text).unwrap();
    let session = earmix::session::load(&path).unwrap();
    let out = ts.path("solo.wav");
    bounce(&session, &out, &BounceOptions::default(), &mut |_, _| {}).unwrap();
    let (_, got) = read_wav(&out);
    assert_close(
        &got,
        &oracle(&ts, &mixed_oracle(true), -1.5, 96_000),
        0,
        1e-6,
    );
    assert!(
        got[0][40_000..].iter().all(|x| *x == 0.0),
        "after the soloed stem ends, silence"
    );
}

/// A bounce from a late section start to a set end equals the same span of the oracle.
#[test]
fn partial_bounce_from_a_late_section() {
    let ts = TempSession::new();
    let path = mixed_session(&ts, "");
    let session = earmix::session::load(&path).unwrap();
    let out = ts.path("part.wav");
    let opts = BounceOptions {
        from: Some(Seconds(1.25)),
        to: Some(Seconds(1.9)),
        ..BounceOptions::default()
    };
    let report = bounce(&session, &out, &opts, &mut |_, _| {}).unwrap();
    let (_, got) = read_wav(&out);
    assert_eq!(got[0].len(), 91_200 - 60_000);
    assert_eq!(report.frames, 31_200);
    assert_close(
        &got,
        &oracle(&ts, &mixed_oracle(false), -1.5, 96_000),
        60_000,
        1e-6,
    );
}

/// 16- and 24-bit bounces are the float mix plus at most 1 LSB of TPDF dither (and rounding),
/// deterministic, and count the samples they clip.
#[test]
fn integer_bounces_are_dithered_and_report_clipping() {
    let ts = TempSession::new();
    let path = mixed_session(&ts, "");
    let session = earmix::session::load(&path).unwrap();
    let want = oracle(&ts, &mixed_oracle(false), -1.5, 96_000);
    for (bits, depth) in [(16u32, BitDepth::Int16), (24, BitDepth::Int24)] {
        let out = ts.path(&format!("mix{bits}.wav"));
        let report = bounce(
            &session,
            &out,
            &BounceOptions {
                bits: depth,
                ..BounceOptions::default()
            },
            &mut |_, _| {},
        )
        .unwrap();
        let (spec, got) = read_wav(&out);
        assert_eq!(spec.bits_per_sample, bits as u16);
        let lsb = 1.0 / f64::from(1u32 << (bits - 1));
        let mut differs = 0;
        for side in 0..2 {
            for (g, w) in got[side].iter().zip(&want[side]) {
                let err = (f64::from(*g) - w).abs();
                assert!(err <= 1.5 * lsb + 1e-6, "{bits}-bit error {err} > 1.5 LSB");
                differs += usize::from(err > 0.5 * lsb);
            }
        }
        assert!(
            differs > 1000,
            "{bits}-bit: dither must be there (only {differs} samples moved more than rounding)"
        );
        assert_eq!(report.clipped_samples, 0);
        let again = ts.path(&format!("again{bits}.wav"));
        bounce(
            &session,
            &again,
            &BounceOptions {
                bits: depth,
                ..BounceOptions::default()
            },
            &mut |_, _| {},
        )
        .unwrap();
        assert_eq!(
            std::fs::read(&out).unwrap(),
            std::fs::read(&again).unwrap(),
            "bounces are deterministic"
        );
    }
    // Push the master hot: samples beyond full scale are clipped and counted.
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("master_db = -1.5", "master_db = 12.0");
    std::fs::write(&path, text).unwrap();
    let session = earmix::session::load(&path).unwrap();
    let hot = oracle(&ts, &mixed_oracle(false), 12.0, 96_000);
    let surely = hot
        .iter()
        .flatten()
        .filter(|x| x.abs() > 1.0 + 1e-4)
        .count() as u64;
    let maybe = hot
        .iter()
        .flatten()
        .filter(|x| x.abs() >= 1.0 - 1e-4)
        .count() as u64;
    let report = bounce(
        &session,
        &ts.path("hot.wav"),
        &BounceOptions {
            bits: BitDepth::Int16,
            ..BounceOptions::default()
        },
        &mut |_, _| {},
    )
    .unwrap();
    assert!(surely > 100);
    assert!(
        (surely..=maybe).contains(&report.clipped_samples),
        "clipped {} not in {surely}..={maybe}",
        report.clipped_samples
    );
    let float = bounce(
        &session,
        &ts.path("hot32.wav"),
        &BounceOptions::default(),
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(float.clipped_samples, 0);
    assert!(float.over_full_scale >= surely);
    assert!(report.to_string().contains("CLIPPED"));
}

/// Loudness reported for a known signal: a 1 kHz sine at -20 dBFS in both channels reads
/// -20 LUFS (within 0.1 LU) and a sample peak of -20 dBFS.
#[test]
fn bounce_reports_loudness_of_a_known_signal() {
    let ts = TempSession::new();
    let amp = 0.1f32;
    let sine: Vec<f32> = (0..RATE as usize * 5)
        .map(|i| amp * (std::f32::consts::TAU * 1000.0 * i as f32 / RATE as f32).sin())
        .collect();
    write_wav_f32(&ts.path("sine.wav"), RATE, &[sine.clone(), sine]);
    let path = ts.write_session(
        "version = 1\nname = \"Sine\"\n[[channel]]\nname = \"Sine\"\nfile = \"sine.wav\"\n",
    );
    let session = earmix::session::load(&path).unwrap();
    let report = bounce(
        &session,
        &ts.path("out.wav"),
        &BounceOptions::default(),
        &mut |_, _| {},
    )
    .unwrap();
    assert!(
        (report.integrated_lufs + 20.0).abs() < 0.1,
        "{}",
        report.integrated_lufs
    );
    assert!(
        (report.sample_peak_dbfs + 20.0).abs() < 0.01,
        "{}",
        report.sample_peak_dbfs
    );
    assert!(report.true_peak_dbtp < -19.5 && report.true_peak_dbtp > -20.3);
}

/// The output appears complete or not at all: an existing file is replaced whole, no temporary
/// file is left behind, and a refused bounce leaves the old file untouched.
#[test]
fn bounce_writes_atomically() {
    let ts = TempSession::new();
    let path = mixed_session(&ts, "");
    let session = earmix::session::load(&path).unwrap();
    let out = ts.path("mix.wav");
    std::fs::write(&out, b"old contents").unwrap();
    let opts = BounceOptions {
        from: Some(Seconds(5.0)),
        ..BounceOptions::default()
    };
    let err = bounce(&session, &out, &opts, &mut |_, _| {}).unwrap_err();
    assert!(
        err.to_string().contains("past the end of the session"),
        "{err}"
    );
    assert_eq!(std::fs::read(&out).unwrap(), b"old contents");
    let mut calls = 0;
    bounce(
        &session,
        &out,
        &BounceOptions::default(),
        &mut |done, total| {
            calls += 1;
            assert!(done <= total);
        },
    )
    .unwrap();
    assert!(calls >= 2, "progress is reported as the bounce goes");
    assert_eq!(read_wav(&out).1[0].len(), 96_000);
    let leftovers: Vec<_> = std::fs::read_dir(ts.dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    let missing_dir = ts.path("no/such/dir/mix.wav");
    assert!(
        bounce(
            &session,
            &missing_dir,
            &BounceOptions::default(),
            &mut |_, _| {}
        )
        .is_err()
    );
}

fn sine(frames: usize, freq: f64, rate: u32, amp: f64) -> Vec<f32> {
    (0..frames)
        .map(|i| (amp * (std::f64::consts::TAU * freq * i as f64 / f64::from(rate)).sin()) as f32)
        .collect()
}

/// Reads `frames` frames of a source in `MAX_BLOCK` blocks, per channel.
fn read_source(source: &mut dyn Source, frames: usize) -> Vec<Vec<f32>> {
    let mut buf = StemBuffer::new(source.channels());
    let mut out = vec![Vec::with_capacity(frames); source.channels()];
    let mut done = 0;
    while done < frames {
        let n = (frames - done).min(MAX_BLOCK);
        source.read(n, &mut buf, ReadMode::Blocking);
        for (ch, side) in out.iter_mut().enumerate() {
            side.extend_from_slice(buf.channel(ch, n));
        }
        done += n;
    }
    out
}

/// A 48 kHz session with a 48 kHz stem and a longer 44.1 kHz stem bounces at 48 kHz: the bounce
/// lasts the 44.1 kHz stem's length at 48 kHz (rounded up), equals the 48 kHz stem plus the
/// other stem resampled by `Resampled` over a `MemorySource` (within 1e-6), and the 44.1 kHz
/// stem's 1 kHz sine is still a 1 kHz sine at its level.
#[test]
fn bounce_resamples_a_stem_at_another_rate() {
    let ts = TempSession::new();
    let low = sine(48_000, 250.0, 48_000, 0.3);
    write_wav_f32(&ts.path("stems/48k.wav"), 48_000, &[low.clone(), low]);
    // 1.5 s and a frame at 44.1 kHz: ceil(66151 * 48000 / 44100) = ceil(72001.09) = 72002.
    let high = sine(66_151, 1000.0, 44_100, 0.4);
    write_wav_f32(&ts.path("stems/44k.wav"), 44_100, &[high.clone(), high]);
    let path = ts.write_session(
        "version = 1\nname = \"Rates\"\nsample_rate = 48000\n\
         [[channel]]\nname = \"High\"\nfile = \"stems/44k.wav\"\n\
         [[channel]]\nname = \"Low\"\nfile = \"stems/48k.wav\"\n",
    );
    let session = earmix::session::load(&path).unwrap();
    assert_eq!(
        (session.sample_rate, session.length_frames),
        (48_000, 72_002)
    );
    let out = ts.path("mix.wav");
    let report = bounce(&session, &out, &BounceOptions::default(), &mut |_, _| {}).unwrap();
    let (spec, got) = read_wav(&out);
    assert_eq!((spec.sample_rate, report.sample_rate), (48_000, 48_000));
    assert_eq!((got[0].len(), report.frames), (72_002, 72_002));

    let (_, low) = read_wav(&ts.path("stems/48k.wav"));
    let (_, high) = read_wav(&ts.path("stems/44k.wav"));
    let mut resampled = Resampled::new(MemorySource::new(high), 44_100, 48_000, 0).unwrap();
    let resampled = read_source(&mut resampled, 72_002);
    let mut worst = 0.0f64;
    for side in 0..2 {
        for t in 0..72_002 {
            let want = f64::from(resampled[side][t]) + f64::from(*low[side].get(t).unwrap_or(&0.0));
            worst = worst.max((f64::from(got[side][t]) - want).abs());
        }
    }
    assert!(worst <= 1e-6, "bounce differs from the stems by {worst}");

    // The bounce less the 48 kHz stem is the 1 kHz sine at 48 kHz, on time (away from the ends).
    let ideal = sine(72_002, 1000.0, 48_000, 0.4);
    let mut worst = 0.0f64;
    for t in 4_800..67_000 {
        let high = f64::from(got[0][t]) - f64::from(*low[0].get(t).unwrap_or(&0.0));
        worst = worst.max((high - f64::from(ideal[t])).abs());
    }
    assert!(worst < 1e-4, "the 1 kHz sine is off by {worst}");
}

/// Resampling allocates nothing in `read` or `seek`, whatever the block size: on the FFT path
/// (44.1 -> 48 kHz), on the sinc path (44101 -> 48 kHz), and for a stem file opened for a mix at
/// another rate (creek underneath), including seeks past the end.
#[test]
fn resampling_is_allocation_free() {
    let ts = TempSession::new();
    let data = vec![signal(100_000, 1, 0.5), signal(100_000, 2, 0.5)];
    write_wav_f32(&ts.path("44k.wav"), 44_100, &data);
    let mut sources: Vec<Box<dyn Source>> = vec![
        Box::new(Resampled::new(MemorySource::new(data.clone()), 44_100, 48_000, 0).unwrap()),
        Box::new(Resampled::new(MemorySource::new(data), 44_101, 48_000, 0).unwrap()),
        open_stem(
            &ts.path("44k.wav"),
            48_000,
            0,
            &[50_000],
            StreamConfig::PLAYBACK,
        )
        .unwrap(),
    ];
    for source in &mut sources {
        source.wait_ready().unwrap();
    }
    let mut buf = StemBuffer::new(2);
    let mut heard = 0.0f32;
    assert_realtime("resampled reads and seeks", || {
        for source in &mut sources {
            for n in [1, 17, 256, 1000, 8192, 4096, 3] {
                source.read(n, &mut buf, ReadMode::Realtime);
                heard = heard.max(buf.channel(0, n).iter().fold(0.0, |m, x| m.max(x.abs())));
            }
            source.seek(50_000);
            source.read(2048, &mut buf, ReadMode::Realtime);
            source.seek(0);
            source.read(512, &mut buf, ReadMode::Realtime);
            source.seek(10_000_000);
            source.read(512, &mut buf, ReadMode::Realtime);
        }
    });
    assert!(heard > 0.1, "the sources played something");
}

/// A session of one stem of `seconds` of silence at 48 kHz, mono 16-bit: a sparse file (its
/// header, then a hole), so a long session costs no disk.
fn long_silent_session(ts: &TempSession, seconds: u32) -> std::path::PathBuf {
    let frames = seconds * RATE;
    let data = frames * 2;
    let mut header = b"RIFF".to_vec();
    header.extend((36 + data).to_le_bytes());
    header.extend(b"WAVEfmt ");
    header.extend(16u32.to_le_bytes());
    header.extend(1u16.to_le_bytes());
    header.extend(1u16.to_le_bytes());
    header.extend(RATE.to_le_bytes());
    header.extend((RATE * 2).to_le_bytes());
    header.extend(2u16.to_le_bytes());
    header.extend(16u16.to_le_bytes());
    header.extend(b"data");
    header.extend(data.to_le_bytes());
    std::fs::create_dir_all(ts.path("stems")).unwrap();
    let file = std::fs::File::create(ts.path("stems/silence.wav")).unwrap();
    std::io::Write::write_all(&mut &file, &header).unwrap();
    file.set_len(header.len() as u64 + u64::from(data)).unwrap();
    ts.write_session(
        r#"version = 1
name = "Long"

[[channel]]
name = "Silence"
file = "stems/silence.wav"
"#,
    )
}

/// The bounce's temporary files in `dir`.
fn temporary_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".earmix-bounce-")
        })
        .map(|e| e.path())
        .collect()
}

/// Waits for `child` to exit, for at most `within`; its exit status and stderr.
fn exit_within(
    child: &mut std::process::Child,
    within: std::time::Duration,
) -> (std::process::ExitStatus, String) {
    let deadline = std::time::Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
            return (status, stderr);
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("earmix did not stop within {within:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// SIGINT, SIGTERM and SIGHUP stop a bounce that is writing: it exits 128 + the signal's number
/// within a second, says so, and leaves nothing behind: no temporary file, no output, and an
/// output that was there before untouched.
#[test]
fn a_signal_stops_a_bounce_and_leaves_nothing_behind() {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    let ts = TempSession::new();
    let session = long_silent_session(&ts, 1_800);
    let out = ts.path("mix.wav");
    for (signal, code) in [
        (Signal::SIGINT, 130),
        (Signal::SIGTERM, 143),
        (Signal::SIGHUP, 129),
    ] {
        let before = (signal == Signal::SIGHUP).then(|| {
            std::fs::write(&out, b"an earlier mix").unwrap();
            b"an earlier mix".to_vec()
        });
        let mut child = earmix()
            .arg("bounce")
            .arg(&session)
            .arg("-o")
            .arg(&out)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Until it is writing its temporary file.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while !temporary_files(ts.dir.path())
            .iter()
            .any(|p| std::fs::metadata(p).is_ok_and(|m| m.len() > 1 << 20))
        {
            assert!(std::time::Instant::now() < deadline, "no temporary file");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        kill(Pid::from_raw(child.id() as i32), signal).unwrap();
        let (status, stderr) = exit_within(&mut child, std::time::Duration::from_secs(1));
        assert_eq!(status.code(), Some(code), "{signal}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "bounce interrupted by {signal}; nothing was written"
            )),
            "{stderr}"
        );
        assert_eq!(
            temporary_files(ts.dir.path()),
            Vec::<std::path::PathBuf>::new()
        );
        match before {
            Some(before) => assert_eq!(std::fs::read(&out).unwrap(), before),
            None => assert!(!out.exists()),
        }
    }
}

/// A signal stops `earmix report` within a second (the render checks for it every block) with
/// 128 + the signal's number.
#[test]
fn a_signal_stops_a_report_promptly() {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    let ts = TempSession::new();
    let session = long_silent_session(&ts, 1_800);
    let mut child = earmix()
        .arg("report")
        .arg(&session)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Measuring 30 minutes takes many seconds; stop it a little way in.
    std::thread::sleep(std::time::Duration::from_millis(500));
    kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
    let (status, stderr) = exit_within(&mut child, std::time::Duration::from_secs(1));
    assert_eq!(status.code(), Some(143), "{stderr}");
    assert!(stderr.contains("report interrupted by SIGTERM"), "{stderr}");
}

/// A bounce whose data passes the RIFF limit (lowered here from 4 GiB so the file stays small)
/// is RF64, and sox reads it as the same samples the ordinary RIFF bounce holds.
#[test]
fn a_bounce_past_the_riff_limit_is_rf64_that_sox_reads() {
    use earmix::engine::render::{StopFlag, bounce_with_limit};
    let ts = TempSession::new();
    let path = mixed_session(&ts, "");
    let session = earmix::session::load(&path).unwrap();
    let riff = ts.path("riff.wav");
    bounce(&session, &riff, &BounceOptions::default(), &mut |_, _| {}).unwrap();
    let rf64 = ts.path("rf64.wav");
    let limit = std::fs::metadata(&riff).unwrap().len() - 9;
    for (max, magic) in [(limit + 1, b"RIFF"), (limit, b"RF64")] {
        bounce_with_limit(
            &session,
            &rf64,
            &BounceOptions::default(),
            &mut |_, _| {},
            &StopFlag::new(0),
            max,
        )
        .unwrap();
        assert_eq!(&std::fs::read(&rf64).unwrap()[..4], magic);
    }
    let converted = ts.path("converted.wav");
    let sox = std::process::Command::new("sox")
        .arg(&rf64)
        .args(["-e", "floating-point", "-b", "32"])
        .arg(&converted)
        .output()
        .expect("sox (Debian package sox)");
    assert!(
        sox.status.success(),
        "{}",
        String::from_utf8_lossy(&sox.stderr)
    );
    // sox carries samples as 32-bit integers and rounds on the way back to float: within a
    // float's last bit or so (a misread header would give noise).
    let (got, want) = (read_wav(&converted).1, read_wav(&riff).1);
    assert_eq!(got[0].len(), want[0].len());
    for (g, w) in got.iter().flatten().zip(want.iter().flatten()) {
        assert!((g - w).abs() <= 1e-6, "{g} vs {w}");
    }
}

/// The figures a bounce prints are those of an `ebur128` meter run over the file it wrote:
/// integrated loudness, sample peak and true peak, on material with overs between samples
/// (a sine at a quarter of the rate, its samples 45 degrees off its crests), a quiet stretch
/// that the gates drop, and noise.
#[test]
fn bounce_figures_equal_ebur128_over_the_written_file() {
    let ts = TempSession::new();
    let frames = RATE as usize * 12;
    let mut left = signal(frames, 7, 0.3);
    let mut right = signal(frames, 8, 0.2);
    for i in 0..RATE as usize * 3 {
        let crest =
            0.9 * (std::f32::consts::FRAC_PI_2 * i as f32 + std::f32::consts::FRAC_PI_4).sin();
        left[RATE as usize * 2 + i] = crest;
        right[RATE as usize * 2 + i] = -crest;
    }
    for i in RATE as usize * 6..RATE as usize * 8 {
        left[i] *= 1e-4;
        right[i] *= 1e-4;
    }
    write_wav_f32(&ts.path("stems/x.wav"), RATE, &[left, right]);
    let path = ts.write_session(
        "version = 1\nname = \"Overs\"\n[[channel]]\nname = \"X\"\nfile = \"stems/x.wav\"\n\
         gain_db = -1.5\n",
    );
    let session = earmix::session::load(&path).unwrap();
    let out = ts.path("out.wav");
    let report = bounce(&session, &out, &BounceOptions::default(), &mut |_, _| {}).unwrap();

    let (_, mix) = read_wav(&out);
    let mode = ebur128::Mode::I | ebur128::Mode::TRUE_PEAK | ebur128::Mode::SAMPLE_PEAK;
    let mut meter = ebur128::EbuR128::new(2, RATE, mode).unwrap();
    meter.add_frames_planar_f32(&[&mix[0], &mix[1]]).unwrap();
    let both = |f: &dyn Fn(u32) -> f64| f(0).max(f(1));
    let db = |x: f64| 20.0 * x.log10();
    let sample = db(both(&|c| meter.sample_peak(c).unwrap()));
    let true_peak = db(both(&|c| meter.true_peak(c).unwrap()));
    let integrated = meter.loudness_global().unwrap();
    assert!(
        true_peak > sample + 2.0,
        "the material has overs: {true_peak} {sample}"
    );
    assert!(
        (report.sample_peak_dbfs - sample).abs() < 1e-9,
        "{report:?} {sample}"
    );
    assert!(
        (report.true_peak_dbtp - true_peak).abs() < 1e-6,
        "{report:?} {true_peak}"
    );
    assert!(
        (report.integrated_lufs - integrated).abs() < 1e-6,
        "{report:?} {integrated}"
    );
}
