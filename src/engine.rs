//! The mixing engine: one processing core that runs on the audio thread for playback and on the
//! bounce thread for an offline render, so a bounce is sample-identical to what was heard.

pub mod processor;
pub mod render;
pub mod smoother;
pub mod source;
pub mod streams;
pub mod strip;
pub mod wav_decoder;
