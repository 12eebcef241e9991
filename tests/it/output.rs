//! The output layer's realtime paths under the allocation checker, run on the test thread
//! exactly as the audio thread runs them: the cpal error callback and the device-buffer writer.

use std::sync::Arc;
use std::sync::mpsc;

use earmix::engine::output::{
    OutputSample, RENDER_CHUNK, Render, RendererSlot, StreamFeeder, StreamHealth,
};

use crate::support::assert_realtime;

/// Left = n x 2^-24, right = left / 2 for frame n (exact in f32, and mono is 0.75 x left).
struct Ramp(u32);

impl Render for Ramp {
    fn render(&mut self, left: &mut [f32], right: &mut [f32]) {
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            *l = self.0 as f32 / 16_777_216.0;
            *r = *l * 0.5;
            self.0 += 1;
        }
    }
}

/// The error callback every cpal stream gets allocates nothing, even in a flood of errors of
/// every kind (a dying `PipeWire` fires hundreds of thousands), and counts each one.
#[test]
fn error_callback_does_not_allocate() {
    let health = Arc::new(StreamHealth::new());
    let mut on_error = health.error_callback();
    let kinds = [
        cpal::ErrorKind::Xrun,
        cpal::ErrorKind::DeviceNotAvailable,
        cpal::ErrorKind::BackendError,
        cpal::ErrorKind::StreamInvalidated,
        cpal::ErrorKind::DeviceChanged,
    ];
    assert_realtime("the stream error callback", || {
        for _ in 0..20_000 {
            for kind in kinds {
                on_error(cpal::Error::new(kind));
            }
        }
    });
    let counters = health.counters();
    assert_eq!(
        (counters.xruns, counters.device_lost, counters.other_errors),
        (20_000, 40_000, 40_000)
    );
}

/// Fills device buffers of one format on the audio-thread path, under the checker.
fn fill_without_allocating<S: OutputSample + Default>(channels: u16) -> Vec<S> {
    let (home, _back) = mpsc::channel();
    let slot = RendererSlot::new(Box::new(Ramp(0)), home);
    let mut feeder = StreamFeeder::new(slot, Arc::new(StreamHealth::new()), channels);
    let frames = RENDER_CHUNK * 2 + 37;
    let mut data = vec![S::default(); frames * usize::from(channels)];
    assert_realtime("the device-buffer writer", || {
        feeder.fill(&mut data);
        feeder.fill(&mut data[..usize::from(channels) * 64]);
    });
    data
}

/// The data callback's work (render in chunks, convert, map channels) allocates nothing, for
/// f32, i32 and i16 devices of 1, 2 and 6 channels, and writes the mix where it belongs.
#[test]
fn buffer_writer_does_not_allocate() {
    for channels in [1u16, 2, 6] {
        let f = fill_without_allocating::<f32>(channels);
        let i = fill_without_allocating::<i32>(channels);
        let s = fill_without_allocating::<i16>(channels);
        let ch = usize::from(channels);
        // Frame 100 was written by the first fill (the second covered frames 0..64 only).
        let n = 100;
        let left = n as f32 / 16_777_216.0;
        let (want_0, want_1) = if channels == 1 {
            ((left + left * 0.5) * 0.5, None)
        } else {
            (left, Some(left * 0.5))
        };
        assert_eq!(f[n * ch], want_0, "{channels} ch f32");
        assert_eq!(i[n * ch], i32::from_f32(want_0), "{channels} ch i32");
        assert_eq!(s[n * ch], i16::from_f32(want_0), "{channels} ch i16");
        if let Some(want_1) = want_1 {
            assert_eq!(f[n * ch + 1], want_1, "{channels} ch f32");
            assert_eq!(i[n * ch + 1], i32::from_f32(want_1), "{channels} ch i32");
        }
        if ch > 2 {
            assert!(f[n * ch + 2..(n + 1) * ch].iter().all(|&x| x == 0.0));
        }
    }
}
