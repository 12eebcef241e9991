//! The audio output layer. Threads: the UI thread owns an [`Output`]; the supervisor thread
//! (`earmix-output`) owns the [`Backend`] and its stream; the device's audio thread calls
//! [`Render::render`] through a [`StreamFeeder`]; [`StreamHealth`] is shared by all three.
//!
//! The renderer is built for one sample rate, so opening is two steps: [`Output::negotiate`]
//! (or [`open`]) picks the device and rate, then [`PendingOutput::start`] hands over the renderer.
//! When the device goes away the supervisor drops the stream, takes the very same renderer back
//! through its [`RendererSlot`] and starts it again on a new stream, so playback continues from
//! the frame where it stopped. While the transport is idle the supervisor parks the stream (see
//! [`park`]) and unparks it before the next command needs the audio thread.

pub mod backend;
pub mod cpal_backend;
pub mod feeder;
pub mod heartbeat;
pub mod liveness;
pub mod null;
pub mod park;
pub mod priority;
pub mod scripted;
pub mod supervisor;

use backend::fallback_notice;
pub use backend::{
    AudioThread, Backend, DEFAULT_BUFFER_FRAMES, HealthCounters, OutputError, OutputEvent,
    OutputKind, OutputRequest, RENDER_CHUNK, Render, RendererSlot, RunningStream, StreamHealth,
    StreamInfo,
};
pub use cpal_backend::CpalBackend;
pub use feeder::{OutputSample, StreamFeeder, write_interleaved};
pub use liveness::Liveness;
pub use null::NullBackend;
pub use park::{PARK_AFTER, ParkGate, RELEASE_AFTER};
pub use priority::{Grant, Realtime};
pub use scripted::{FaultHandle, Pacing, Recording, ScriptedBackend, ScriptedConfig};
pub use supervisor::{HealthSnapshot, Output, OutputState, PendingOutput, SupervisorConfig};

/// Opens the output a request asks for. A device request that cannot be negotiated here (or
/// started later, in [`PendingOutput::start`]) falls back to the null output; the notice (also
/// kept by [`PendingOutput::notice`] and [`Output::notice`]) says why. Only the null output
/// failing is an error. Never panics.
///
/// Not realtime-safe.
pub fn open(
    request: &OutputRequest,
    preferred_rate: u32,
) -> Result<(PendingOutput, Option<String>), OutputError> {
    match request.kind {
        OutputKind::Null => {
            let pending = Output::negotiate(Box::new(NullBackend::new(request)), preferred_rate)?;
            Ok((pending, None))
        }
        OutputKind::Device => {
            match Output::negotiate(Box::new(CpalBackend::new(request)), preferred_rate) {
                Ok(pending) => Ok((pending.with_null_fallback(request.buffer_frames), None)),
                Err(error) => {
                    let notice = fallback_notice(&error);
                    let pending =
                        Output::negotiate(Box::new(NullBackend::new(request)), preferred_rate)?;
                    Ok((pending.with_notice(notice.clone()), Some(notice)))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Constant(f32);
    impl Render for Constant {
        fn render(&mut self, left: &mut [f32], right: &mut [f32]) {
            left.fill(self.0);
            right.fill(-self.0);
        }
    }

    /// A null request opens the null output at the preferred rate, with no notice.
    #[test]
    fn open_null() {
        let request = OutputRequest {
            kind: OutputKind::Null,
            ..OutputRequest::default()
        };
        let (pending, notice) = open(&request, 44_100).expect("null output opens");
        assert_eq!(notice, None);
        assert_eq!(pending.info().host, "null");
        assert_eq!(pending.info().sample_rate, 44_100);
    }

    /// A device request naming a device that does not exist falls back to the null output with
    /// a notice that says why.
    #[test]
    fn open_missing_device_falls_back() {
        let request = OutputRequest {
            device: Some("no-such-device-earmix-test".into()),
            ..OutputRequest::default()
        };
        let (pending, notice) = open(&request, 48_000).expect("falls back");
        let notice = notice.expect("a notice");
        assert!(
            notice.starts_with("no audio device could be opened (")
                && notice.contains("no-such-device-earmix-test")
                && notice.ends_with("playing on the null output (silent, real-time pace)"),
            "{notice}"
        );
        assert_eq!(pending.info().host, "null");
        assert_eq!(pending.info().sample_rate, 48_000);
        assert_eq!(pending.notice(), Some(notice.as_str()));
        let output = pending.start(Box::new(Constant(0.0))).expect("null starts");
        assert_eq!(output.notice(), Some(notice.as_str()));
    }
}
