//! `earmix devices`: lists every audio host, its output devices and what they support. Runs on
//! the main thread; it opens devices to ask them, but never plays anything.

use std::fmt::Write;

use cpal::traits::{DeviceTrait, HostTrait};
use cpal::{SupportedBufferSize, SupportedStreamConfigRange};

use crate::engine::output::cpal_backend::hosts;
use crate::engine::output::cpal_backend::{device_id, device_label};

/// Every available host with the sound server behind it and its output devices (the default
/// marked) and each device's supported output configurations; the host earmix plays through
/// when none is named is marked; a host or device that cannot be asked says why. Never
/// panics or prints, even with no audio configuration at all (libjack's complaints go to the
/// log). Device names come from the sound system's configuration files, so control
/// characters in them are escaped ([`escape_lines`](crate::text::escape_lines)).
///
/// Not realtime-safe (opens devices).
pub fn list() -> String {
    let text = crate::engine::output::cpal_backend::alsa_quiet(|| list_hosts(None));
    crate::text::escape_lines(&text).into_owned()
}

/// Like [`list`], for the host called `host` only (e.g. "alsa").
///
/// Not realtime-safe (opens devices).
pub fn list_hosts(host: Option<&str>) -> String {
    hosts::quiet_libjack();
    let mut out = String::new();
    let ids: Vec<cpal::HostId> = cpal::available_hosts()
        .into_iter()
        .filter(|id| host.is_none_or(|h| id.name().eq_ignore_ascii_case(h)))
        .collect();
    if ids.is_empty() {
        match host {
            Some(h) => {
                let _ = writeln!(out, "No audio host called '{h}' is available here.");
                if h.eq_ignore_ascii_case("jack") && !hosts::JACK_BUILT {
                    let _ = writeln!(
                        out,
                        "  (this earmix was built without JACK support: cargo build --features jack)"
                    );
                }
            }
            None => {
                let _ = writeln!(out, "No audio hosts are available on this system.");
            }
        }
        return out;
    }
    let default = hosts::default_host_id();
    for id in ids {
        list_host(&mut out, id, default == Some(id));
    }
    if host.is_none() && !hosts::JACK_BUILT {
        let _ = writeln!(
            out,
            "(JACK is not listed: this earmix was built without the `jack` feature.)"
        );
    }
    out
}

/// One host: "Host pipewire: PipeWire 0.3.65 (earmix's default)", its devices, the default
/// first (for ALSA with the server behind it: "→ JACK").
fn list_host(out: &mut String, id: cpal::HostId, is_default: bool) {
    let host = match cpal::host_from_id(id) {
        Ok(host) => host,
        Err(e) => {
            let _ = writeln!(out, "Host {id}:\n  cannot be opened: {e}");
            return;
        }
    };
    let default = host.default_output_device();
    let default_id = default.as_ref().and_then(device_id);
    let server = default
        .as_ref()
        .map(|_| hosts::server_name(&host, default_id.as_deref()));
    let mark = if is_default {
        " (earmix's default)"
    } else {
        ""
    };
    match &server {
        Some(server) => {
            let _ = writeln!(out, "Host {id}: {server}{mark}");
        }
        None => {
            let _ = writeln!(out, "Host {id}:{mark}");
        }
    }
    if hosts::is_jack(id) && default.is_none() {
        let _ = writeln!(out, "  no JACK server is running");
        return;
    }
    let mut devices: Vec<cpal::Device> = match host.devices() {
        Ok(devices) => devices.filter(DeviceTrait::supports_output).collect(),
        Err(e) => {
            let _ = writeln!(out, "  cannot list its devices: {e}");
            Vec::new()
        }
    };
    // The default device first; ALSA's "default" is not always among the enumerated ones.
    match devices
        .iter()
        .position(|d| default_id.is_some() && device_id(d) == default_id)
    {
        Some(i) => devices[..=i].rotate_right(1),
        None => {
            if let Some(default) = default {
                devices.insert(0, default);
            }
        }
    }
    if devices.is_empty() {
        let _ = writeln!(out, "  no output devices");
        return;
    }
    for (i, device) in devices.iter().enumerate() {
        list_device(out, device, i == 0 && default_id.is_some());
    }
}

/// Ranges that differ only in a run of consecutive channel counts.
struct ChannelRun {
    first: SupportedStreamConfigRange,
    last_channels: u16,
    /// The widest buffer range over the run (`None`: unknown).
    buffer: Option<(u32, u32)>,
}

impl ChannelRun {
    fn new(range: &SupportedStreamConfigRange) -> Self {
        Self {
            first: *range,
            last_channels: range.channels(),
            buffer: buffer_range(range),
        }
    }

    /// Takes in `range` if it continues the run; false if it starts a new one.
    fn extend(&mut self, range: &SupportedStreamConfigRange) -> bool {
        let buffer = buffer_range(range);
        let continues = self.first.sample_format() == range.sample_format()
            && self.first.min_sample_rate() == range.min_sample_rate()
            && self.first.max_sample_rate() == range.max_sample_rate()
            && range.channels() == self.last_channels + 1
            && self.buffer.is_some() == buffer.is_some();
        if continues {
            self.last_channels = range.channels();
            self.buffer = self
                .buffer
                .zip(buffer)
                .map(|((a, b), (c, d))| (a.min(c), b.max(d)));
        }
        continues
    }

    /// The run as a row: "1-64 ch", "8000-192000", "f32", "buffer 16-8192".
    fn row(&self) -> Row {
        let first = &self.first;
        let channels = if first.channels() == self.last_channels {
            format!("{} ch", self.last_channels)
        } else {
            format!("{}-{} ch", first.channels(), self.last_channels)
        };
        let rates = if first.min_sample_rate() == first.max_sample_rate() {
            first.min_sample_rate().to_string()
        } else {
            format!("{}-{}", first.min_sample_rate(), first.max_sample_rate())
        };
        let buffer = match self.buffer {
            Some((min, max)) if min == max => format!("buffer {min}"),
            Some((min, max)) => format!("buffer {min}-{max}"),
            None => "buffer size unknown".to_string(),
        };
        Row {
            channels,
            rates: vec![rates],
            formats: vec![first.sample_format().to_string()],
            buffer,
        }
    }
}

/// One line of a device's configurations: channel counts, rates, sample formats and buffer
/// sizes it takes in every combination.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    channels: String,
    rates: Vec<String>,
    formats: Vec<String>,
    buffer: String,
}

impl Row {
    /// "2 ch, 44100, 48000 Hz, i16 f32, buffer 16-2048".
    fn line(&self) -> String {
        format!(
            "{}, {} Hz, {}, {}",
            self.channels,
            self.rates.join(", "),
            self.formats.join(" "),
            self.buffer
        )
    }
}

/// Folds rows that differ only in one part into one row listing that part's values, in the
/// order they came: first the sample formats (a server offers every format at every rate),
/// then the rates.
fn fold_rows(rows: Vec<Row>) -> Vec<Row> {
    let mut by_format: Vec<Row> = Vec::new();
    for row in rows {
        match by_format
            .iter_mut()
            .find(|r| r.channels == row.channels && r.rates == row.rates && r.buffer == row.buffer)
        {
            Some(r) => r.formats.extend(row.formats),
            None => by_format.push(row),
        }
    }
    let mut by_rate: Vec<Row> = Vec::new();
    for row in by_format {
        match by_rate.iter_mut().find(|r| {
            r.channels == row.channels && r.formats == row.formats && r.buffer == row.buffer
        }) {
            Some(r) => r.rates.extend(row.rates),
            None => by_rate.push(row),
        }
    }
    by_rate
}

fn buffer_range(range: &SupportedStreamConfigRange) -> Option<(u32, u32)> {
    match *range.buffer_size() {
        SupportedBufferSize::Range { min, max } => Some((min, max)),
        SupportedBufferSize::Unknown => None,
    }
}

/// One line per run of ranges that differ only in consecutive channel counts (ALSA plugins
/// offer every count from 1 to 64), with the widest buffer range of the run; runs that differ
/// only in their sample formats, then only in their rates, share a line (PipeWire offers ten
/// formats at each of its rates).
fn merge_channel_runs(ranges: &[SupportedStreamConfigRange]) -> Vec<String> {
    let mut rows = Vec::new();
    let mut run: Option<ChannelRun> = None;
    for range in ranges {
        let extended = run.as_mut().is_some_and(|current| current.extend(range));
        if !extended {
            rows.extend(run.as_ref().map(ChannelRun::row));
            run = Some(ChannelRun::new(range));
        }
    }
    rows.extend(run.as_ref().map(ChannelRun::row));
    fold_rows(rows).iter().map(Row::line).collect()
}

fn list_device(out: &mut String, device: &cpal::Device, is_default: bool) {
    let _ = writeln!(
        out,
        "  {}{}",
        device_label(device),
        if is_default { "  [default]" } else { "" }
    );
    match device.supported_output_configs() {
        Ok(configs) => {
            let ranges: Vec<SupportedStreamConfigRange> = configs.collect();
            if ranges.is_empty() {
                let _ = writeln!(out, "      no output configurations");
            }
            for line in merge_channel_runs(&ranges) {
                let _ = writeln!(out, "      {line}");
            }
        }
        Err(e) => {
            let _ = writeln!(out, "      cannot be asked: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The listing names the ALSA host and its default device, and ends each device with its
    /// configurations or a reason; it does not panic on this machine's configuration.
    #[test]
    #[cfg(target_os = "linux")]
    fn lists_alsa() {
        let text = list_hosts(Some("alsa"));
        assert!(text.starts_with("Host alsa:"), "{text}");
        assert!(text.contains("[default]"), "{text}");
    }

    /// Consecutive channel counts with the same format and rates read as one line, with the
    /// widest buffer range; a gap or a change of format starts a new line.
    #[test]
    fn channel_runs_merge() {
        use cpal::SampleFormat::{F32, I16};
        let r = |ch: u16, format: cpal::SampleFormat, buffer: (u32, u32)| {
            SupportedStreamConfigRange::new(
                ch,
                8000,
                48_000,
                SupportedBufferSize::Range {
                    min: buffer.0,
                    max: buffer.1,
                },
                format,
            )
        };
        let ranges = [
            r(1, I16, (16, 4096)),
            r(2, I16, (32, 2048)),
            r(3, I16, (32, 1024)),
            r(6, I16, (32, 1024)),
            r(2, F32, (64, 64)),
        ];
        assert_eq!(
            merge_channel_runs(&ranges),
            [
                "1-3 ch, 8000-48000 Hz, i16, buffer 16-4096",
                "6 ch, 8000-48000 Hz, i16, buffer 32-1024",
                "2 ch, 8000-48000 Hz, f32, buffer 64",
            ]
        );
    }

    /// A server that offers every sample format at each of its rates (PipeWire: ten formats at
    /// three rates, thirty ranges) reads as one line; a rate with other buffer sizes keeps a
    /// line of its own.
    #[test]
    fn formats_then_rates_fold_into_one_line() {
        use cpal::SampleFormat::{F32, I16, I24};
        let r = |rate: u32, format: cpal::SampleFormat, max: u32| {
            SupportedStreamConfigRange::new(
                2,
                rate,
                rate,
                SupportedBufferSize::Range { min: 16, max },
                format,
            )
        };
        let mut ranges = Vec::new();
        for rate in [44_100, 48_000, 96_000] {
            for format in [I16, I24, F32] {
                ranges.push(r(rate, format, 2048));
            }
        }
        ranges.push(r(192_000, F32, 4096));
        assert_eq!(
            merge_channel_runs(&ranges),
            [
                "2 ch, 44100, 48000, 96000 Hz, i16 i24 f32, buffer 16-2048",
                "2 ch, 192000 Hz, f32, buffer 16-4096",
            ]
        );
    }

    /// A host that is not there says so instead of printing nothing.
    #[test]
    fn unknown_host_says_so() {
        let text = list_hosts(Some("nosuchhost"));
        assert_eq!(
            text,
            "No audio host called 'nosuchhost' is available here.\n"
        );
    }
}
