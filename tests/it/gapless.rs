//! Lossy stems decode sample-exact: an MP3 or Ogg Vorbis file made by lame, sox or ffmpeg from
//! a WAV lines up with that WAV sample for sample (the encoder's delay and padding removed), is
//! exactly as long, bounces in line with it, and a seek lands on the frame asked for.

use std::path::{Path, PathBuf};
use std::process::Command;

use earmix::engine::source::{MAX_BLOCK, ReadMode, Source, StemBuffer};
use earmix::engine::streams::{StreamConfig, open_stem, probe};

use crate::support::{TempSession, bounce_with_earmix, earmix, read_wav};

/// Where the noise burst starts in every test WAV, in seconds.
const ONSET: f64 = 0.5;
/// The test WAVs' length, in seconds.
const LENGTH: f64 = 4.0;
/// The largest lag the cross-correlation looks at, in frames (an MP3's delay is 1105).
const MAX_LAG: i64 = 3_000;

/// Runs `command` (a program from Debian package `package`) and checks it succeeded.
fn run(command: &mut Command, package: &str) {
    let status = command
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("{command:?} (Debian package {package}): {e}"));
    assert!(status.success(), "{command:?} failed");
}

/// A 16-bit WAV made by sox: silence, then white noise from [`ONSET`] to [`LENGTH`].
fn onset_wav(dir: &Path, rate: u32, channels: u16) -> PathBuf {
    let path = dir.join(format!("onset-{rate}-{channels}.wav"));
    let mut sox = Command::new("sox");
    sox.args(["-R", "-n", "-b", "16", "-r", &rate.to_string()])
        .args(["-c", &channels.to_string()])
        .arg(&path)
        .args(["synth", &(LENGTH - ONSET).to_string(), "whitenoise"])
        .args(["vol", "0.3", "pad", &ONSET.to_string(), "0"]);
    run(&mut sox, "sox");
    path
}

/// Encodes `wav` with lame's defaults (it writes a Xing/LAME tag with the delay and padding).
fn lame(wav: &Path) -> PathBuf {
    let mp3 = wav.with_extension("lame.mp3");
    run(
        Command::new("lame").arg("--quiet").arg(wav).arg(&mp3),
        "lame",
    );
    mp3
}

/// Encodes `wav` as Ogg Vorbis with sox.
fn sox_vorbis(wav: &Path) -> PathBuf {
    let ogg = wav.with_extension("sox.ogg");
    run(Command::new("sox").arg(wav).arg(&ogg), "sox");
    ogg
}

/// Encodes `wav` with ffmpeg and `codec` into `ext`.
fn ffmpeg(wav: &Path, codec: &str, ext: &str) -> PathBuf {
    let out = wav.with_extension(format!("ffmpeg.{ext}"));
    let mut ffmpeg = Command::new("ffmpeg");
    ffmpeg
        .args(["-v", "error", "-y", "-i"])
        .arg(wav)
        .args(["-c:a", codec])
        .arg(&out);
    run(&mut ffmpeg, "ffmpeg");
    out
}

/// The frame lag at which `got` best matches `want` (the peak of their cross-correlation over
/// the onset and the 0.2 s after it), within +-[`MAX_LAG`].
fn lag(want: &[f32], got: &[f32], rate: u32) -> i64 {
    let onset = (ONSET * f64::from(rate)) as i64;
    let from = onset - 1_024;
    let len = i64::from(rate) / 5;
    let correlation = |lag: i64| -> f64 {
        (from..from + len)
            .map(|i| f64::from(want[i as usize]) * f64::from(got[(i + lag) as usize]))
            .sum()
    };
    (-MAX_LAG..=MAX_LAG)
        .max_by(|a, b| correlation(*a).total_cmp(&correlation(*b)))
        .unwrap()
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

/// The whole stem as the engine plays it, from frame 0.
fn decode(path: &Path, rate: u32) -> Vec<Vec<f32>> {
    let mut stream = open_stem(path, rate, 0, &[], StreamConfig::BOUNCE).unwrap();
    stream.wait_ready().unwrap();
    let len = stream.len_frames() as usize;
    read_source(stream.as_mut(), len)
}

/// Bounces a session whose only channel is `stem` (beside it) and returns the bounce.
fn bounce_alone(stem: &Path, rate: u32) -> Vec<Vec<f32>> {
    let dir = stem.parent().unwrap();
    let name = stem.file_name().unwrap().to_str().unwrap();
    let session = dir.join(format!("{name}.toml"));
    std::fs::write(
        &session,
        format!(
            "version = 1\nname = \"Alone\"\nsample_rate = {rate}\n\
             [[channel]]\nname = \"Stem\"\nfile = \"{name}\"\n"
        ),
    )
    .unwrap();
    bounce_with_earmix(&session, &dir.join(format!("{name}.bounce.wav"))).1
}

/// Checks that `encoded`, made from `wav`, is as long as it and lines up with it at lag 0: as
/// probed (what `earmix check` and the session length use), as the engine decodes it, and in a
/// bounce of a session holding only it against the bounce of the same session on the WAV.
fn assert_lines_up(wav: &Path, encoded: &Path, rate: u32) {
    let (spec, want) = read_wav(wav);
    let frames = want[0].len();
    let what = encoded.file_name().unwrap().to_string_lossy().into_owned();
    let info = probe(encoded).unwrap();
    assert_eq!(
        (info.frames, info.channels, info.sample_rate),
        (frames as u64, spec.channels, rate),
        "{what}: probed"
    );
    let got = decode(encoded, rate);
    assert_eq!(got.len(), want.len(), "{what}: channels");
    for (ch, (got, want)) in got.iter().zip(&want).enumerate() {
        assert_eq!(got.len(), frames, "{what}: decoded length");
        assert_eq!(lag(want, got, rate), 0, "{what}: channel {ch}");
    }
    let from_wav = bounce_alone(wav, rate);
    let from_encoded = bounce_alone(encoded, rate);
    assert_eq!(from_wav[0].len(), frames, "{what}: the WAV's bounce");
    assert_eq!(from_encoded[0].len(), frames, "{what}: the bounce's length");
    for side in 0..2 {
        assert_eq!(
            lag(&from_wav[side], &from_encoded[side], rate),
            0,
            "{what}: bounce side {side}"
        );
    }
}

/// An MP3 made by lame from a WAV, at 44.1 and 48 kHz, mono and stereo, is exactly as long as
/// the WAV and lines up with it at lag 0 (decoded, probed and bounced): the encoder delay and
/// padding from the LAME tag are removed (before, it played 1105 frames late and 4.000 s read
/// as 4.049 s).
#[test]
fn an_mp3_made_by_lame_lines_up_with_its_wav() {
    let ts = TempSession::new();
    for (rate, channels) in [(44_100, 1), (44_100, 2), (48_000, 1), (48_000, 2)] {
        let wav = onset_wav(ts.dir.path(), rate, channels);
        assert_lines_up(&wav, &lame(&wav), rate);
    }
}

/// An Ogg Vorbis file made by sox from a WAV, at 44.1 and 48 kHz, mono and stereo, is exactly
/// as long as the WAV and lines up with it at lag 0 (before, it played 128 frames late and
/// lasted 112 frames longer).
#[test]
fn an_ogg_vorbis_made_by_sox_lines_up_with_its_wav() {
    let ts = TempSession::new();
    for (rate, channels) in [(44_100, 1), (48_000, 2)] {
        let wav = onset_wav(ts.dir.path(), rate, channels);
        assert_lines_up(&wav, &sox_vorbis(&wav), rate);
    }
}

/// MP3 (libmp3lame) and Ogg Vorbis (libvorbis) made by ffmpeg, which writes its own Xing/LAME
/// tag and Ogg pages, line up with their WAV at lag 0 and are as long.
#[test]
#[ignore = "needs ffmpeg, which `just deps` and CI do not install: \
            cargo test --test it gapless:: -- --ignored"]
fn mp3_and_vorbis_made_by_ffmpeg_line_up_with_their_wav() {
    let ts = TempSession::new();
    for (rate, channels) in [(44_100, 2), (48_000, 1)] {
        let wav = onset_wav(ts.dir.path(), rate, channels);
        assert_lines_up(&wav, &ffmpeg(&wav, "libmp3lame", "mp3"), rate);
        assert_lines_up(&wav, &ffmpeg(&wav, "libvorbis", "ogg"), rate);
    }
}

/// Opening a lossy stem at frame N, or seeking an open one to N, plays exactly frames N.. of a
/// decode from the start, sample for sample: the delay is trimmed the same way after a seek,
/// and the codec's overlap and MP3's bit reservoir are filled as in a decode from the start.
#[test]
fn a_seek_into_a_lossy_stem_lands_on_the_frame_asked_for() {
    let ts = TempSession::new();
    let wav = onset_wav(ts.dir.path(), 44_100, 2);
    for stem in [lame(&wav), sox_vorbis(&wav)] {
        let what = stem.file_name().unwrap().to_string_lossy().into_owned();
        let full = decode(&stem, 44_100);
        let frames = full[0].len();
        let mut seeked = open_stem(&stem, 44_100, 0, &[], StreamConfig::BOUNCE).unwrap();
        for at in [
            1,
            577,
            1_105,
            22_050,
            22_051,
            100_003,
            150_000,
            frames - 4_000,
        ] {
            let want: Vec<&[f32]> = full.iter().map(|c| &c[at..at + 4_000]).collect();
            let mut opened =
                open_stem(&stem, 44_100, at as u64, &[], StreamConfig::BOUNCE).unwrap();
            opened.wait_ready().unwrap();
            assert!(
                read_source(opened.as_mut(), 4_000) == want,
                "{what}: opened at {at}"
            );
            seeked.seek(at as u64);
            seeked.wait_ready().unwrap();
            assert!(
                read_source(seeked.as_mut(), 4_000) == want,
                "{what}: seeked to {at}"
            );
        }
    }
}

/// An MP3 cut short keeps its gapless timing: it lasts the length its tag states, plays exactly
/// what the whole file plays up to where its data stops, is silent after, and the health
/// record says where that is and the length the tag states (4.000 s, not 4.049 s).
#[test]
fn an_mp3_cut_short_stays_in_line_and_says_where_it_stops() {
    use earmix::engine::streams::{StemDamage, scan};
    use earmix::units::Seconds;
    let ts = TempSession::new();
    let wav = onset_wav(ts.dir.path(), 44_100, 1);
    let mp3 = lame(&wav);
    let full = decode(&mp3, 44_100);
    let cut = ts.path("cut.mp3");
    let bytes = std::fs::read(&mp3).unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let damage = scan(&cut, &|| true).unwrap();
    let [StemDamage::EndsEarly { at, header }] = damage.as_slice() else {
        panic!("{damage:?}");
    };
    assert_eq!(*header, Seconds(LENGTH));
    let stop = at.to_frames(44_100) as usize;
    assert!((40_000..140_000).contains(&stop), "{at}");
    let got = decode(&cut, 44_100);
    assert_eq!(got[0].len(), full[0].len());
    assert!(
        got[0][..stop] == full[0][..stop],
        "the data before the stop"
    );
    assert!(got[0][stop..].iter().all(|x| *x == 0.0), "silence after it");
}

/// An AIFF made by sox (16-bit mono, 24-bit stereo) plays exactly the WAV it was made from:
/// as long (symphonia alone counts the sound chunk's 8-byte header as up to 4 more frames,
/// which `earmix check` then called damage), and sample for sample in the engine and the
/// bounce; `earmix check` passes with no damage.
#[test]
fn an_aiff_made_by_sox_plays_exactly_its_wav() {
    let ts = TempSession::new();
    for (rate, channels, bits) in [(44_100, 1, "16"), (48_000, 2, "24")] {
        let wav = onset_wav(ts.dir.path(), rate, channels);
        let aiff = wav.with_extension(format!("{bits}.aiff"));
        run(
            Command::new("sox").arg(&wav).args(["-b", bits]).arg(&aiff),
            "sox",
        );
        let (_, want) = read_wav(&wav);
        assert_eq!(probe(&aiff).unwrap().frames, want[0].len() as u64);
        assert_eq!(decode(&aiff, rate), want, "{}", aiff.display());
        assert_eq!(bounce_alone(&aiff, rate), bounce_alone(&wav, rate));
        let session = ts.dir.path().join(format!(
            "{}.toml",
            aiff.file_name().unwrap().to_str().unwrap()
        ));
        let check = earmix().arg("check").arg(&session).output().unwrap();
        assert!(
            check.status.success(),
            "{}",
            String::from_utf8_lossy(&check.stderr)
        );
    }
}
