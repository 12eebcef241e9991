//! The mixing engine: one processing core that runs on the audio thread for playback and on the
//! bounce thread for an offline render, so a bounce is sample-identical to what was heard.

pub mod biquad;
pub(crate) mod bs1770;
#[cfg(test)]
mod decoder_tests;
pub mod flac_decoder;
pub mod handle;
pub mod health;
pub mod loudness;
pub mod meter;
pub mod monitor;
pub mod mp3_decoder;
pub mod output;
pub mod processor;
pub mod protocol;
pub mod realtime;
pub mod reference;
pub mod render;
pub mod resample;
pub mod ride;
pub mod scene;
pub mod smoother;
pub mod source;
pub mod stem_io;
pub mod stream_plan;
pub mod streams;
pub mod strip;
pub mod wav_decoder;
