//! The cpal backend. Host and device look-up, negotiation and stream set-up run on the
//! supervisor thread (and on the main thread for `earmix devices`); the data callback runs on
//! cpal's audio thread (`cpal_alsa_out`, `pw_out`'s data thread, or JACK's process thread) and
//! the error callback on whichever thread cpal reports from.

pub mod hosts;

use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{
    BufferSize, SampleFormat, SizedSample, StreamConfig, SupportedBufferSize,
    SupportedStreamConfig, SupportedStreamConfigRange,
};

use super::backend::{
    Backend, OutputError, OutputRequest, Render, RendererSlot, RunningStream, StreamHealth,
    StreamInfo,
};
use super::feeder::{OutputSample, StreamFeeder};

/// How long cpal may take to open a stream. JACK honours it; ALSA uses it as its poll timeout
/// (after which it checks whether the device was disconnected).
const BUILD_TIMEOUT: Duration = Duration::from_secs(2);

/// The sample formats earmix writes, best first.
const FORMATS: [(SampleFormat, &str); 3] = [
    (SampleFormat::F32, <f32 as OutputSample>::FORMAT),
    (SampleFormat::I32, <i32 as OutputSample>::FORMAT),
    (SampleFormat::I16, <i16 as OutputSample>::FORMAT),
];

/// How many device ids an error message lists before it says how many more there are.
const LISTED_DEVICES: usize = 12;

/// The preference rank of a sample format (0 is best), or `None` if earmix cannot write it.
fn format_rank(format: SampleFormat) -> Option<usize> {
    FORMATS.iter().position(|(f, _)| *f == format)
}

/// The format earmix writes that is called `name` ("f32", "i32", "i16").
fn format_name_known(name: &str) -> Option<SampleFormat> {
    FORMATS.iter().find(|(_, n)| *n == name).map(|(f, _)| *f)
}

/// The name of a sample format earmix writes ("f32", "i32", "i16").
pub(crate) fn format_name(format: SampleFormat) -> Option<&'static str> {
    format_rank(format).map(|i| FORMATS[i].1)
}

/// The host called `name` ("pipewire", "jack", "alsa", case-insensitive), or the default
/// host ([`hosts::default_host`]: PipeWire, else JACK, else ALSA).
pub(crate) fn resolve_host(name: Option<&str>) -> Result<cpal::Host, OutputError> {
    let Some(name) = name else {
        return hosts::default_host();
    };
    if name.eq_ignore_ascii_case("jack") && !hosts::JACK_BUILT {
        return Err(OutputError::JackNotBuilt);
    }
    hosts::quiet_libjack();
    let available = cpal::available_hosts();
    let Some(id) = cpal::ALL_HOSTS
        .iter()
        .copied()
        .find(|id| id.name().eq_ignore_ascii_case(name))
    else {
        return Err(OutputError::UnknownHost {
            name: name.to_string(),
            available: available
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        });
    };
    if !available.contains(&id) {
        return Err(OutputError::Host {
            host: id.to_string(),
            message: "it is not available on this system".into(),
        });
    }
    cpal::host_from_id(id).map_err(|e| OutputError::Host {
        host: id.to_string(),
        message: e.to_string(),
    })
}

/// A device's id within its host ("default", "hw:CARD=PCH,DEV=0"), if it has one.
pub(crate) fn device_id(device: &cpal::Device) -> Option<String> {
    device.id().ok().map(|id| id.id().to_string())
}

/// A device as a person recognises it: "Default Audio Device (default)", or just the id or
/// the name when there is only one or they are the same.
pub(crate) fn device_label(device: &cpal::Device) -> String {
    let name = device.description().ok().map(|d| d.name().to_string());
    label(name, device_id(device))
}

/// A device's label from its name and id, as a person would say it: cpal's PipeWire host names
/// its stand-ins for the server's defaults `default_output` and `default_sink`, and a node
/// without a description "unknown".
fn label(name: Option<String>, id: Option<String>) -> String {
    match id.as_deref() {
        Some("output_default") => return "default output".to_string(),
        Some("sink_default") => return "default sink".to_string(),
        _ => {}
    }
    let name = name.filter(|n| n != "unknown" && !n.is_empty());
    match (name, id) {
        (Some(name), Some(id)) if name != id => format!("{name} ({id})"),
        (Some(name), _) => name,
        (None, Some(id)) => id,
        (None, None) => "unnamed device".to_string(),
    }
}

/// Whether `wanted` names this device: its id, its full id ("alsa:default"), its name or its
/// label, ignoring ASCII case.
fn device_matches(device: &cpal::Device, wanted: &str) -> bool {
    let mut names = vec![device_label(device)];
    if let Ok(id) = device.id() {
        names.push(id.id().to_string());
        names.push(id.to_string());
    }
    if let Ok(description) = device.description() {
        names.push(description.name().to_string());
    }
    names.iter().any(|n| n.eq_ignore_ascii_case(wanted))
}

/// Finds the device `--device NAME` names ("default" is the host's default output device).
fn find_device(host: &cpal::Host, wanted: &str) -> Result<cpal::Device, OutputError> {
    let host_name = host.id().to_string();
    if wanted.eq_ignore_ascii_case("default") {
        return host
            .default_output_device()
            .ok_or(OutputError::NoDefaultDevice { host: host_name });
    }
    let devices: Vec<cpal::Device> = host
        .devices()
        .map_err(|e| OutputError::Host {
            host: host_name.clone(),
            message: e.to_string(),
        })?
        .collect();
    if let Some(device) = devices.iter().find(|d| device_matches(d, wanted)) {
        return Ok(device.clone());
    }
    let ids: Vec<String> = devices
        .iter()
        .filter(|d| d.supports_output())
        .map(|d| device_id(d).unwrap_or_else(|| device_label(d)))
        .collect();
    let listed = ids[..ids.len().min(LISTED_DEVICES)].join(", ");
    let available = match ids.len() {
        0 => "none".to_string(),
        n if n > LISTED_DEVICES => format!(
            "{listed} and {} more (`earmix devices` lists them all)",
            n - LISTED_DEVICES
        ),
        _ => listed,
    };
    Err(OutputError::NoSuchDevice {
        host: host_name,
        name: wanted.to_string(),
        available,
    })
}

/// One supported configuration range in a line: "2 ch, 8000-192000 Hz, i16, buffer 64-8192".
pub(crate) fn describe_range(range: &SupportedStreamConfigRange) -> String {
    let rates = if range.min_sample_rate() == range.max_sample_rate() {
        format!("{} Hz", range.min_sample_rate())
    } else {
        format!("{}-{} Hz", range.min_sample_rate(), range.max_sample_rate())
    };
    let buffer = match range.buffer_size() {
        SupportedBufferSize::Range { min, max } if min == max => format!("buffer {min}"),
        SupportedBufferSize::Range { min, max } => format!("buffer {min}-{max}"),
        SupportedBufferSize::Unknown => "buffer size unknown".to_string(),
    };
    format!(
        "{} ch, {rates}, {}, {buffer}",
        range.channels(),
        range.sample_format()
    )
}

/// A configuration picked from what a device offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Choice {
    pub sample_rate: u32,
    pub channels: u16,
    pub format: SampleFormat,
    pub buffer_frames: u32,
    /// The buffer sizes the chosen configuration advertises, when it says.
    pub buffer_range: Option<(u32, u32)>,
}

/// Picks a configuration: the rate is `rate` if given (it must be offered), else
/// `preferred_rate` if offered, else the device default's rate, else the offered rate nearest to
/// `preferred_rate`; then stereo if offered, else the default's channel count, else the fewest
/// channels above one, else mono; then f32 over i32 over i16; the buffer is `buffer_frames`
/// clamped to what the device allows. The error says what was wanted.
pub(crate) fn choose_config(
    offered: &[SupportedStreamConfigRange],
    default: Option<&SupportedStreamConfig>,
    rate: Option<u32>,
    preferred_rate: u32,
    buffer_frames: u32,
) -> Result<Choice, String> {
    let usable: Vec<&SupportedStreamConfigRange> = offered
        .iter()
        .filter(|r| r.channels() > 0 && format_rank(r.sample_format()).is_some())
        .collect();
    if usable.is_empty() {
        return Err("f32, i32 or i16 samples".to_string());
    }
    let offers = |rate: u32| usable.iter().any(|r| r.contains_rate(rate));
    let sample_rate = match rate {
        Some(rate) if offers(rate) => rate,
        Some(rate) => return Err(format!("{rate} Hz (asked for with --rate)")),
        None if offers(preferred_rate) => preferred_rate,
        None => match default.map(SupportedStreamConfig::sample_rate) {
            Some(rate) if offers(rate) => rate,
            _ => usable
                .iter()
                .map(|r| preferred_rate.clamp(r.min_sample_rate(), r.max_sample_rate()))
                .min_by_key(|rate| rate.abs_diff(preferred_rate))
                .unwrap_or(preferred_rate),
        },
    };
    let at_rate: Vec<&SupportedStreamConfigRange> = usable
        .into_iter()
        .filter(|r| r.contains_rate(sample_rate))
        .collect();
    let has = |channels: u16| at_rate.iter().any(|r| r.channels() == channels);
    let default_channels = default.map(SupportedStreamConfig::channels);
    let channels = if has(2) {
        2
    } else if let Some(channels) = default_channels.filter(|&c| has(c)) {
        channels
    } else {
        at_rate
            .iter()
            .map(|r| r.channels())
            .filter(|&c| c > 1)
            .min()
            .unwrap_or(1)
    };
    let best = at_rate
        .into_iter()
        .filter(|r| r.channels() == channels)
        .min_by_key(|r| format_rank(r.sample_format()))
        .ok_or_else(|| format!("{channels} channels at {sample_rate} Hz"))?;
    let buffer_range = match *best.buffer_size() {
        SupportedBufferSize::Range { min, max } if min <= max => Some((min.max(1), max.max(1))),
        _ => None,
    };
    let buffer_frames = buffer_range
        .map_or(buffer_frames, |(min, max)| buffer_frames.clamp(min, max))
        .max(1);
    Ok(Choice {
        sample_rate,
        channels,
        format: best.sample_format(),
        buffer_frames,
        buffer_range,
    })
}

/// Plays through cpal: the default host or `--host NAME`, the default device or
/// `--device NAME`, with a fixed buffer size.
pub struct CpalBackend {
    host: Option<String>,
    device: Option<String>,
    buffer_frames: u32,
    rate: Option<u32>,
    chosen: Option<cpal::Device>,
}

impl CpalBackend {
    /// A backend for the request's host, device, buffer size and rate. Opens nothing yet.
    pub fn new(request: &OutputRequest) -> Self {
        Self {
            host: request.host.clone(),
            device: request.device.clone(),
            buffer_frames: request.buffer_frames.max(1),
            rate: request.rate,
            chosen: None,
        }
    }
}

/// A playing cpal stream; dropping it stops cpal's audio thread.
struct CpalStream {
    stream: cpal::Stream,
    /// The period the stream was built with.
    built: u32,
    /// Why that differs from the negotiated one, when a refusal said.
    why: Option<String>,
    /// Whether a sound server (rather than a driver) runs the device.
    server: bool,
    /// The device, as [`StreamInfo::device`] names it.
    device: String,
    /// The host keeps calling the stream while it is paused (JACK).
    keeps_calling: bool,
}

impl RunningStream for CpalStream {
    fn buffer_frames(&self) -> Option<u32> {
        self.stream.buffer_size().ok()
    }

    fn buffer_why(&self) -> Option<String> {
        match self.buffer_frames() {
            Some(granted) if granted != self.built => Some(if self.server {
                "the server's quantum".to_string()
            } else {
                "the device's period".to_string()
            }),
            _ => self.why.clone(),
        }
    }

    /// cpal's `pause`: PipeWire sets the node inactive (no more cycles for it), JACK's process
    /// callback returns at once (see [`RunningStream::keeps_calling_while_parked`]), ALSA pauses
    /// the PCM where the device can (where it cannot, the stream keeps running).
    fn park(&mut self) -> bool {
        match self.stream.pause() {
            Ok(()) => true,
            Err(e) => {
                tracing::info!("the stream keeps running while paused: it cannot pause ({e})");
                false
            }
        }
    }

    fn unpark(&mut self) -> Result<(), OutputError> {
        self.stream.play().map_err(|e| OutputError::Device {
            device: self.device.clone(),
            message: e.to_string(),
        })
    }

    /// JACK: cpal's pause leaves the client active, so jackd still wakes its process thread
    /// every period (measured on a JACK dummy at 256 frames: 195 wake-ups a second, 1.2% of a
    /// core in that thread, while a parked PipeWire stream's thread did not wake at all).
    fn keeps_calling_while_parked(&self) -> bool {
        self.keeps_calling
    }
}

/// How long [`CpalBackend::start`] waits for the first callback, so that the period it
/// reports is the one the server granted (PipeWire says so in the first callback).
const FIRST_CALLBACK_WAIT: Duration = Duration::from_millis(500);

/// How long a refused stream may take to give the renderer back.
const RETRY_RENDERER_WAIT: Duration = Duration::from_secs(1);

/// Builds a stream writing samples of type `T`. With `cycles`, the callback's timestamp is the
/// host's graph cycle on the monotonic clock (cpal's `PipeWire` host: `pw_time.now`) and the
/// heartbeat judges by it.
fn build<T: SizedSample + OutputSample>(
    device: &cpal::Device,
    config: StreamConfig,
    mut feeder: StreamFeeder,
    cycles: bool,
    on_error: impl FnMut(cpal::Error) + Send + 'static,
) -> Result<cpal::Stream, cpal::Error> {
    device.build_output_stream::<T, _, _>(
        config,
        move |data: &mut [T], info: &cpal::OutputCallbackInfo| {
            let cycle = cycles.then(|| {
                let nanos = info.timestamp().callback.as_nanos();
                Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
            });
            feeder.fill_in_cycle(data, cycle);
        },
        on_error,
        Some(BUILD_TIMEOUT),
    )
}

/// Runs `f` with alsa-lib's messages for this thread going to the log instead of stderr (they
/// would scribble over the console, and earmix reports the same failures in its own words).
///
/// Not realtime-safe.
pub(crate) fn alsa_quiet<T>(f: impl FnOnce() -> T) -> T {
    #[cfg(target_os = "linux")]
    {
        let buffer = alsa::Output::local_error_handler().ok();
        let out = f();
        if let Some(buffer) = buffer {
            let text = buffer.borrow().to_string();
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                tracing::debug!(target: "alsa", "{line}");
            }
            // A fresh buffer, so the old messages are freed and not logged twice.
            let _ = alsa::Output::local_error_handler();
        }
        out
    }
    #[cfg(not(target_os = "linux"))]
    f()
}

impl Backend for CpalBackend {
    fn negotiate(&mut self, preferred_rate: u32) -> Result<StreamInfo, OutputError> {
        alsa_quiet(|| self.negotiate_quietly(preferred_rate))
    }

    fn start(
        &mut self,
        info: &StreamInfo,
        renderer: RendererSlot,
        health: Arc<StreamHealth>,
    ) -> Result<Box<dyn RunningStream>, OutputError> {
        alsa_quiet(|| self.start_quietly(info, renderer, &health))
    }
}

impl CpalBackend {
    fn negotiate_quietly(&mut self, preferred_rate: u32) -> Result<StreamInfo, OutputError> {
        self.chosen = None;
        let host = resolve_host(self.host.as_deref())?;
        let host_name = host.id().to_string();
        let device = match &self.device {
            Some(wanted) => find_device(&host, wanted)?,
            None => host.default_output_device().ok_or_else(|| {
                if host_name == "jack" {
                    OutputError::Host {
                        host: host_name.clone(),
                        message: "no JACK server is running (start jackd first)".into(),
                    }
                } else {
                    OutputError::NoDefaultDevice {
                        host: host_name.clone(),
                    }
                }
            })?,
        };
        let label = device_label(&device);
        let device_error = |e: cpal::Error| OutputError::Device {
            device: label.clone(),
            message: e.to_string(),
        };
        let offered: Vec<SupportedStreamConfigRange> = device
            .supported_output_configs()
            .map_err(device_error)?
            .collect();
        let default = device.default_output_config().ok();
        let choice = choose_config(
            &offered,
            default.as_ref(),
            self.rate,
            preferred_rate,
            self.buffer_frames,
        )
        .map_err(|wanted| OutputError::NoUsableConfig {
            device: label.clone(),
            wanted,
            offered: offered
                .iter()
                .take(8)
                .map(describe_range)
                .collect::<Vec<_>>()
                .join("; "),
        })?;
        let server = hosts::server_name(&host, device_id(&device).as_deref());
        let buffer_why = (choice.buffer_frames != self.buffer_frames).then(|| {
            hosts::buffer_reason(
                choice.buffer_frames,
                choice.buffer_range,
                hosts::is_server(&server),
            )
        });
        self.chosen = Some(device);
        Ok(StreamInfo {
            host: host_name,
            server,
            device: label,
            sample_rate: choice.sample_rate,
            channels: choice.channels,
            format: format_name(choice.format).unwrap_or("f32").to_string(),
            buffer_frames: choice.buffer_frames,
            buffer_asked: self.buffer_frames,
            buffer_why,
        })
    }

    fn start_quietly(
        &mut self,
        info: &StreamInfo,
        renderer: RendererSlot,
        health: &Arc<StreamHealth>,
    ) -> Result<Box<dyn RunningStream>, OutputError> {
        let device = self.chosen.as_ref().ok_or(OutputError::NotNegotiated)?;
        let device_error = |e: cpal::Error| OutputError::Device {
            device: info.device.clone(),
            message: e.to_string(),
        };
        if format_name_known(&info.format).is_none() {
            return Err(OutputError::NoUsableConfig {
                device: info.device.clone(),
                wanted: "f32, i32 or i16 samples".into(),
                offered: info.format.clone(),
            });
        }
        let server = hosts::is_server(&info.server);
        // The supervisor's slot rides inside one of ours: when cpal drops a refused stream's
        // callback, ours brings the renderer back here for the next try; once a stream plays,
        // nobody listens here any more, so when that stream's slot is dropped the inner slot
        // drops too and sends the renderer to the supervisor as usual.
        let (retry_tx, retry_rx) = mpsc::channel::<Box<dyn Render>>();
        let mut inner: Box<dyn Render> = Box::new(renderer);
        let mut frames = info.buffer_frames;
        let mut why = None;
        let mut tried: Vec<u32> = Vec::new();
        let stream = loop {
            tried.push(frames);
            let slot = RendererSlot::new(inner, retry_tx.clone());
            match build_stream(device, info, frames, slot, health) {
                Ok(stream) => break stream,
                Err(error) => {
                    // A refused size: try the nearest one the device takes (the range its
                    // refusal names, else powers of two around the request), never silence.
                    let range = hosts::refused_range(&error.to_string());
                    let refused = error.kind() == cpal::ErrorKind::UnsupportedConfig;
                    let next = if refused {
                        hosts::sizes_to_try(frames, range)
                            .into_iter()
                            .find(|size| !tried.contains(size))
                    } else {
                        None
                    };
                    let Some(next) = next else {
                        return Err(device_error(error));
                    };
                    let Ok(renderer) = retry_rx.recv_timeout(RETRY_RENDERER_WAIT) else {
                        return Err(device_error(error));
                    };
                    tracing::info!(
                        "{}: a {frames}-frame buffer was refused ({error}); trying {next}",
                        info.device
                    );
                    why = Some(hosts::buffer_reason(next, range, server));
                    frames = next;
                    inner = renderer;
                }
            }
        };
        drop(retry_rx);
        let before = health.counters().frames;
        stream.play().map_err(device_error)?;
        // Wait for the first callback, so the granted period is known (PipeWire reports its
        // quantum there); a device that does not call back is the supervisor's to judge.
        let deadline = Instant::now() + FIRST_CALLBACK_WAIT;
        while health.counters().frames == before && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        Ok(Box::new(CpalStream {
            stream,
            built: frames,
            why: if frames == info.buffer_frames {
                info.buffer_why.clone()
            } else {
                why
            },
            server,
            device: info.device.clone(),
            keeps_calling: info.host == "jack",
        }))
    }
}

/// Builds a stream at `frames` per period in the negotiated format (f32, i32 or i16).
fn build_stream(
    device: &cpal::Device,
    info: &StreamInfo,
    frames: u32,
    renderer: RendererSlot,
    health: &Arc<StreamHealth>,
) -> Result<cpal::Stream, cpal::Error> {
    let config = StreamConfig {
        channels: info.channels,
        sample_rate: info.sample_rate,
        buffer_size: BufferSize::Fixed(frames),
    };
    let feeder = StreamFeeder::new(renderer, Arc::clone(health), info.channels);
    let on_error = health.error_callback();
    let cycles = info.host.eq_ignore_ascii_case("pipewire");
    match info.format.as_str() {
        "i32" => build::<i32>(device, config, feeder, cycles, on_error),
        "i16" => build::<i16>(device, config, feeder, cycles, on_error),
        _ => build::<f32>(device, config, feeder, cycles, on_error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Labels read as a person would say them: PipeWire's default stand-ins by what they are,
    /// a node without a description by its name, and ALSA's devices as before.
    #[test]
    fn labels_name_devices_plainly() {
        let some = |s: &str| Some(s.to_string());
        assert_eq!(
            label(some("default_output"), some("output_default")),
            "default output"
        );
        assert_eq!(
            label(some("default_sink"), some("sink_default")),
            "default sink"
        );
        assert_eq!(
            label(some("unknown"), some("headless_sink")),
            "headless_sink"
        );
        assert_eq!(
            label(some("Default Audio Device"), some("default")),
            "Default Audio Device (default)"
        );
        assert_eq!(label(some("null"), some("null")), "null");
        assert_eq!(label(None, None), "unnamed device");
    }

    fn range(
        channels: u16,
        rates: (u32, u32),
        format: SampleFormat,
        buffer: (u32, u32),
    ) -> SupportedStreamConfigRange {
        SupportedStreamConfigRange::new(
            channels,
            rates.0,
            rates.1,
            SupportedBufferSize::Range {
                min: buffer.0,
                max: buffer.1,
            },
            format,
        )
    }

    fn default_of(range: SupportedStreamConfigRange, rate: u32) -> SupportedStreamConfig {
        range.with_sample_rate(rate)
    }

    /// A device offering everything gets stereo f32 at the preferred rate and the asked buffer.
    #[test]
    fn prefers_stereo_f32_at_preferred_rate() {
        let offered = [
            range(1, (8000, 192_000), SampleFormat::F32, (32, 8192)),
            range(2, (8000, 192_000), SampleFormat::I16, (32, 8192)),
            range(2, (8000, 192_000), SampleFormat::F32, (32, 8192)),
            range(2, (8000, 192_000), SampleFormat::I32, (32, 8192)),
            range(6, (8000, 192_000), SampleFormat::F32, (32, 8192)),
        ];
        let choice = choose_config(&offered, None, None, 44_100, 256).expect("choice");
        assert_eq!(
            choice,
            Choice {
                sample_rate: 44_100,
                channels: 2,
                format: SampleFormat::F32,
                buffer_frames: 256,
                buffer_range: Some((32, 8192)),
            }
        );
    }

    /// Format preference is f32 > i32 > i16, and formats earmix cannot write are skipped.
    #[test]
    fn format_preference() {
        let only = |formats: &[SampleFormat]| {
            let offered: Vec<_> = formats
                .iter()
                .map(|&f| range(2, (48_000, 48_000), f, (64, 64)))
                .collect();
            choose_config(&offered, None, None, 48_000, 256).map(|c| c.format)
        };
        assert_eq!(
            only(&[SampleFormat::I16, SampleFormat::I32]),
            Ok(SampleFormat::I32)
        );
        assert_eq!(
            only(&[SampleFormat::U8, SampleFormat::I16]),
            Ok(SampleFormat::I16)
        );
        assert_eq!(
            only(&[SampleFormat::I24, SampleFormat::U16]),
            Err("f32, i32 or i16 samples".to_string())
        );
    }

    /// Without the preferred rate the device default's rate is used; with neither, the offered
    /// rate nearest the preferred one.
    #[test]
    fn rate_falls_back_to_default_then_nearest() {
        let offered = [
            range(2, (44_100, 44_100), SampleFormat::F32, (64, 4096)),
            range(2, (96_000, 96_000), SampleFormat::F32, (64, 4096)),
        ];
        let default = default_of(offered[1], 96_000);
        let with_default =
            choose_config(&offered, Some(&default), None, 48_000, 256).expect("choice");
        assert_eq!(with_default.sample_rate, 96_000);
        let nearest = choose_config(&offered, None, None, 48_000, 256).expect("choice");
        assert_eq!(nearest.sample_rate, 44_100);
    }

    /// An explicit rate must be offered; it wins over the preferred rate.
    #[test]
    fn explicit_rate() {
        let offered = [range(2, (44_100, 48_000), SampleFormat::F32, (64, 4096))];
        let c = choose_config(&offered, None, Some(44_100), 48_000, 256).expect("choice");
        assert_eq!(c.sample_rate, 44_100);
        assert_eq!(
            choose_config(&offered, None, Some(96_000), 48_000, 256),
            Err("96000 Hz (asked for with --rate)".to_string())
        );
    }

    /// Without stereo: the default's channel count, else the fewest above one, else mono.
    #[test]
    fn channel_choice_without_stereo() {
        let six = range(6, (48_000, 48_000), SampleFormat::F32, (64, 4096));
        let four = range(4, (48_000, 48_000), SampleFormat::F32, (64, 4096));
        let mono = range(1, (48_000, 48_000), SampleFormat::F32, (64, 4096));
        let pick = |offered: &[SupportedStreamConfigRange],
                    default: Option<&SupportedStreamConfig>| {
            choose_config(offered, default, None, 48_000, 256).map(|c| c.channels)
        };
        assert_eq!(pick(&[mono, six, four], None), Ok(4));
        assert_eq!(
            pick(&[mono, six, four], Some(&default_of(six, 48_000))),
            Ok(6)
        );
        assert_eq!(pick(&[mono], None), Ok(1));
    }

    /// The buffer request is clamped into the device's range (JACK offers exactly one size).
    #[test]
    fn buffer_is_clamped() {
        let jack_like = [range(2, (48_000, 48_000), SampleFormat::F32, (1024, 1024))];
        let c = choose_config(&jack_like, None, None, 48_000, 256).expect("choice");
        assert_eq!(c.buffer_frames, 1024);
        let small = [range(2, (48_000, 48_000), SampleFormat::F32, (16, 128))];
        let c = choose_config(&small, None, None, 48_000, 256).expect("choice");
        assert_eq!(c.buffer_frames, 128);
        let unknown = [SupportedStreamConfigRange::new(
            2,
            48_000,
            48_000,
            SupportedBufferSize::Unknown,
            SampleFormat::F32,
        )];
        let c = choose_config(&unknown, None, None, 48_000, 256).expect("choice");
        assert_eq!(c.buffer_frames, 256);
    }

    /// `--host jack` where JACK is not built (not Linux, no `jack` feature) is a clear error,
    /// and an unknown host lists the hosts there are.
    #[test]
    fn host_errors() {
        let jack = resolve_host(Some("jack"));
        if hosts::JACK_BUILT {
            // Built with JACK: the host opens (it needs no running server to be created).
            assert_eq!(jack.map(|h| h.id().to_string()), Ok("jack".to_string()));
        } else {
            assert_eq!(jack.err(), Some(OutputError::JackNotBuilt));
        }
        let Err(OutputError::UnknownHost { name, available }) = resolve_host(Some("nosuchhost"))
        else {
            panic!("an unknown host is an error");
        };
        assert_eq!(name, "nosuchhost");
        assert!(available.contains("alsa"), "{available}");
    }

    /// A configuration range reads as one line.
    #[test]
    fn range_description() {
        let r = range(2, (8000, 192_000), SampleFormat::I16, (64, 8192));
        assert_eq!(
            describe_range(&r),
            "2 ch, 8000-192000 Hz, i16, buffer 64-8192"
        );
    }
}
