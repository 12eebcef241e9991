//! Decode-only speed of earmix's FLAC decoder against single-threaded ffmpeg, on one thread.
//!
//! `cargo run --release --example flac_speed -- REPS FILE...` decodes every file whole through
//! `FlacDecoder` (into `f32` blocks, as the bounce does) and with
//! `ffmpeg -threads 1 -v error -i FILE -f f32le -y /dev/null`, interleaved, REPS times, and
//! prints the median wall time of each and their ratio, and the least CPU time of earmix's
//! decoding (this thread's, which another process on the machine disturbs less than wall time).
//! `EARMIX_NO_FFMPEG=1` skips ffmpeg.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use creek::{DataBlock, Decoder};
use earmix::engine::flac_decoder::FlacDecoder;

fn decode(path: &Path) -> f64 {
    let (mut decoder, info) = FlacDecoder::new(path.to_path_buf(), 0, 16_384, ()).expect("open");
    let mut block = DataBlock::new(usize::from(info.num_channels), 16_384);
    let mut sum = 0.0f64;
    loop {
        block.clear();
        decoder.decode(&mut block).expect("decode");
        if block.block[0].is_empty() {
            break;
        }
        sum += f64::from(block.block[0][block.block[0].len() / 2]);
    }
    sum
}

fn cpu() -> f64 {
    let t = nix::time::clock_gettime(nix::time::ClockId::CLOCK_THREAD_CPUTIME_ID).expect("clock");
    t.tv_sec() as f64 + t.tv_nsec() as f64 * 1e-9
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let reps: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(5);
    let files: Vec<PathBuf> = args.map(PathBuf::from).collect();
    let ffmpeg = std::env::var_os("EARMIX_NO_FFMPEG").is_none();
    let (mut ours, mut theirs, mut ours_cpu) = (Vec::new(), Vec::new(), Vec::new());
    let mut check = 0.0;
    for _ in 0..reps {
        let t = Instant::now();
        let c = cpu();
        for f in &files {
            check += decode(f);
        }
        ours_cpu.push(cpu() - c);
        ours.push(t.elapsed().as_secs_f64());
        if ffmpeg {
            let t = Instant::now();
            for f in &files {
                let status = Command::new("ffmpeg")
                    .args(["-threads", "1", "-v", "error", "-i"])
                    .arg(f)
                    .args(["-f", "f32le", "-y", "/dev/null"])
                    .status()
                    .expect("ffmpeg");
                assert!(status.success());
            }
            theirs.push(t.elapsed().as_secs_f64());
        }
    }
    let o = median(&mut ours);
    let least_cpu = ours_cpu.iter().copied().fold(f64::INFINITY, f64::min);
    print!("earmix {o:.3} s cpu {least_cpu:.4} s (runs {ours:.3?})");
    if ffmpeg {
        let f = median(&mut theirs);
        print!("  ffmpeg {f:.3} s  ffmpeg/earmix {:.2}x", f / o);
    }
    println!("  [{check:.3}]");
}
