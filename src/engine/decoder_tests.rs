//! What the tests of earmix's own decoders ([`super::wav_decoder`], [`super::flac_decoder`])
//! share: a whole file decoded block by block through any creek decoder, to compare with
//! symphonia's.

use std::path::Path;

use creek::{DataBlock, Decoder, FileInfo};

/// Decodes `path` from `start` (then from `seek_to`, if any) to the end, `block` frames at a
/// time, returning each channel.
pub(crate) fn decode_all<D: Decoder<T = f32>>(
    path: &Path,
    block: usize,
    start: usize,
    seek_to: Option<usize>,
) -> (FileInfo<D::FileParams>, Vec<Vec<f32>>)
where
    D::OpenError: std::fmt::Debug,
    D::FatalError: std::fmt::Debug,
{
    let (mut decoder, info) = D::new(
        path.to_path_buf(),
        start,
        block,
        D::AdditionalOpts::default(),
    )
    .unwrap();
    if let Some(frame) = seek_to {
        decoder.seek(frame).unwrap();
    }
    let channels = usize::from(info.num_channels);
    let mut out = vec![Vec::new(); channels];
    let mut data = DataBlock::new(channels, block);
    for _ in 0..=info.num_frames / block + 1 {
        data.clear();
        decoder.decode(&mut data).unwrap();
        if data.block[0].is_empty() {
            break;
        }
        assert!(data.block.iter().all(|ch| ch.len() == data.block[0].len()));
        for (o, ch) in out.iter_mut().zip(&data.block) {
            o.extend_from_slice(ch);
        }
    }
    (info, out)
}

/// The samples' bits, so that comparisons are exact (and -0.0 differs from 0.0).
pub(crate) fn bits(channels: &[Vec<f32>]) -> Vec<Vec<u32>> {
    channels
        .iter()
        .map(|ch| ch.iter().map(|s| s.to_bits()).collect())
        .collect()
}
