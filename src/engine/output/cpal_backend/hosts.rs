//! Which host earmix plays through when none is named (PipeWire when its daemon answers, else
//! JACK when a server runs, else ALSA), what sound server is really behind a device, the
//! properties earmix's PipeWire stream carries, and the buffer sizes to try when a device
//! refuses one. Runs on the supervisor thread (negotiation) and on the main thread (`earmix
//! devices`, process start-up). Nothing here is realtime-safe.

use std::fmt::Write as _;

use cpal::traits::HostTrait;

use super::super::backend::OutputError;

/// The node name, description and media name earmix's PipeWire stream carries.
pub const PIPEWIRE_NODE_NAME: &str = "earmix";

/// The media role earmix's PipeWire stream carries (session managers route and prioritise by
/// it; "Production" is PipeWire's role for audio production software).
pub const PIPEWIRE_MEDIA_ROLE: &str = "Production";

/// The value for the `PIPEWIRE_PROPS` environment variable, which libpipewire reads each time
/// a stream is created (`pw_stream_new`, after the application's own properties, so its keys
/// win over cpal's): earmix's node name, description, media name and role, and with `rate`
/// the graph rate asked for (`node.rate = "1/RATE"`). What the user already had in
/// `PIPEWIRE_PROPS` (`user`, a JSON object with or without its braces) comes last, so the
/// user's keys win. The buffer (`node.latency`) is not set here: cpal sets it per stream.
pub fn pipewire_props(rate: Option<u32>, user: Option<&str>) -> String {
    let mut props = format!(
        "node.name = \"{PIPEWIRE_NODE_NAME}\" node.description = \"{PIPEWIRE_NODE_NAME}\" \
         media.name = \"{PIPEWIRE_NODE_NAME}\" media.role = \"{PIPEWIRE_MEDIA_ROLE}\""
    );
    if let Some(rate) = rate.filter(|&r| r > 0) {
        let _ = write!(props, " node.rate = \"1/{rate}\"");
    }
    if let Some(user) = user {
        let user = user.trim();
        let inner = user
            .strip_prefix('{')
            .and_then(|u| u.strip_suffix('}'))
            .unwrap_or(user)
            .trim();
        if !inner.is_empty() {
            props.push(' ');
            props.push_str(inner);
        }
    }
    format!("{{ {props} }}")
}

/// Whether this build has cpal's JACK host: always on Linux, elsewhere with the `jack` feature.
pub const JACK_BUILT: bool = cfg!(any(feature = "jack", target_os = "linux"));

/// The id of cpal's JACK host, when it is built.
#[allow(clippy::unnecessary_wraps)] // `None` where it is not built
fn jack_id() -> Option<cpal::HostId> {
    #[cfg(any(feature = "jack", target_os = "linux"))]
    {
        Some(cpal::HostId::Jack)
    }
    #[cfg(not(any(feature = "jack", target_os = "linux")))]
    {
        None
    }
}

/// The id of cpal's PipeWire host, when it is built.
#[allow(clippy::unnecessary_wraps)] // `None` where it is not built
fn pipewire_id() -> Option<cpal::HostId> {
    #[cfg(target_os = "linux")]
    {
        Some(cpal::HostId::PipeWire)
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

/// Whether `id` is the JACK host.
pub(crate) fn is_jack(id: cpal::HostId) -> bool {
    jack_id() == Some(id)
}

/// Whether `id` is the PipeWire host.
pub(crate) fn is_pipewire(id: cpal::HostId) -> bool {
    pipewire_id() == Some(id)
}

/// The PipeWire host, if a PipeWire daemon answers and has a default output device.
fn pipewire_host() -> Option<cpal::Host> {
    let id = pipewire_id()?;
    if !cpal::available_hosts().contains(&id) {
        return None;
    }
    let host = cpal::host_from_id(id).ok()?;
    host.default_output_device().is_some().then_some(host)
}

/// The JACK host, if a JACK server runs (cpal's JACK host opens a client when it is created,
/// and has an output device only when that worked).
fn jack_host() -> Option<cpal::Host> {
    let host = cpal::host_from_id(jack_id()?).ok()?;
    host.default_output_device().is_some().then_some(host)
}

/// Routes libjack's messages to the log for the rest of the process. libjack prints "Cannot
/// connect to server socket" and the like to stderr when a client cannot reach a server, and
/// ALSA's `jack` device loads the same libjack when it is enumerated; the jack crate installs
/// its own message handlers in libjack the first time it opens a client, which the JACK probe
/// does. Done once; when libjack is not installed there is nothing to quiet.
pub(crate) fn quiet_libjack() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        drop(jack_host());
    });
}

/// The ALSA host, or why it cannot be opened.
fn alsa_host() -> Result<cpal::Host, OutputError> {
    #[cfg(any(
        target_os = "linux",
        target_os = "dragonfly",
        target_os = "freebsd",
        target_os = "netbsd"
    ))]
    {
        cpal::host_from_id(cpal::HostId::Alsa).map_err(|e| OutputError::Host {
            host: cpal::HostId::Alsa.to_string(),
            message: e.to_string(),
        })
    }
    #[cfg(not(any(
        target_os = "linux",
        target_os = "dragonfly",
        target_os = "freebsd",
        target_os = "netbsd"
    )))]
    {
        Ok(cpal::default_host())
    }
}

/// The host earmix plays through when none is named: PipeWire when its daemon answers and has
/// a default output device, else JACK when a server runs, else ALSA (opened by id, because
/// `cpal::default_host()` panics when ALSA cannot load its configuration). Never prints:
/// libjack's complaints go to the log.
pub(crate) fn default_host() -> Result<cpal::Host, OutputError> {
    quiet_libjack();
    if let Some(host) = pipewire_host() {
        return Ok(host);
    }
    if let Some(host) = jack_host() {
        return Ok(host);
    }
    alsa_host()
}

/// The id of the host [`default_host`] picks now.
pub(crate) fn default_host_id() -> Option<cpal::HostId> {
    default_host().ok().map(|h| h.id())
}

/// The sound server behind a device, as a person names it: "PipeWire 0.3.65" (the server's
/// version when it answers), "JACK", "ALSA → JACK" for an ALSA device that is a plugin in
/// front of a server, "ALSA" for one that is not (or cannot be opened to be asked).
pub(crate) fn server_name(host: &cpal::Host, device_id: Option<&str>) -> String {
    let id = host.id();
    if is_pipewire(id) {
        return match pipewire_version(host) {
            Some(version) => format!("PipeWire {version}"),
            None => "PipeWire".to_string(),
        };
    }
    if is_jack(id) {
        return "JACK".to_string();
    }
    #[cfg(target_os = "linux")]
    if id == cpal::HostId::Alsa {
        return match device_id.and_then(alsa_server) {
            Some(server) => format!("ALSA → {server}"),
            None => "ALSA".to_string(),
        };
    }
    let _ = device_id;
    id.name().to_string()
}

/// The sound server an ALSA PCM hands its audio to, read from alsa-lib's description of the
/// opened PCM (its plugin chain): "PipeWire", "JACK" or "PulseAudio"; `None` for hardware,
/// files and anything else, or when the PCM cannot be opened.
#[cfg(target_os = "linux")]
fn alsa_server(pcm_name: &str) -> Option<&'static str> {
    let pcm = alsa::PCM::new(pcm_name, alsa::Direction::Playback, true).ok()?;
    let mut out = alsa::Output::buffer_open().ok()?;
    pcm.dump(&mut out).ok()?;
    let text = out.buffer_string(|b| String::from_utf8_lossy(b).into_owned());
    server_in_dump(&text)
}

/// The sound server named in alsa-lib's dump of a PCM's plugin chain.
pub(crate) fn server_in_dump(dump: &str) -> Option<&'static str> {
    let lower = dump.to_ascii_lowercase();
    [
        ("pipewire", "PipeWire"),
        ("jack", "JACK"),
        ("pulseaudio", "PulseAudio"),
    ]
    .into_iter()
    .find(|(needle, _)| lower.contains(needle))
    .map(|(_, name)| name)
}

/// The PipeWire server's version from its core info, or `None` when it does not answer within
/// half a second. `host` is the PipeWire host: holding it keeps libpipewire initialised
/// (cpal de-initialises it when its last host or stream is dropped).
#[cfg(target_os = "linux")]
fn pipewire_version(host: &cpal::Host) -> Option<String> {
    use std::cell::RefCell;
    use std::rc::Rc;

    debug_assert!(is_pipewire(host.id()));
    let mainloop = pipewire::main_loop::MainLoopRc::new(None).ok()?;
    let context = pipewire::context::ContextRc::new(&mainloop, None).ok()?;
    let core = context.connect_rc(None).ok()?;
    let version: Rc<RefCell<Option<String>>> = Rc::new(RefCell::new(None));
    let _listener = core
        .add_listener_local()
        .info({
            let version = Rc::clone(&version);
            let mainloop = mainloop.clone();
            move |info| {
                *version.borrow_mut() = Some(info.version().to_string());
                mainloop.quit();
            }
        })
        .register();
    let timer = mainloop.loop_().add_timer({
        let mainloop = mainloop.clone();
        move |_| mainloop.quit()
    });
    let _ = timer.update_timer(Some(std::time::Duration::from_millis(500)), None);
    mainloop.run();
    drop(timer);
    version.take().filter(|v| !v.is_empty())
}

#[cfg(not(target_os = "linux"))]
fn pipewire_version(_host: &cpal::Host) -> Option<String> {
    None
}

/// The range a host named when it refused a buffer size: cpal says "Buffer size 128 is not in
/// the supported range 256..=16384" (ALSA) or "... supported quantum range 32..=2048"
/// (PipeWire).
pub(crate) fn refused_range(message: &str) -> Option<(u32, u32)> {
    let (_, after) = message.rsplit_once("range ")?;
    let (min, rest) = after.split_once("..=")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let min: u32 = min.trim().parse().ok()?;
    let max: u32 = digits.parse().ok()?;
    (min >= 1 && min <= max).then_some((min, max))
}

/// The smallest and largest buffer earmix tries when a device names no range.
const TRY_MIN: u32 = 16;
const TRY_MAX: u32 = 16_384;

/// How many other sizes earmix tries after a refusal that names no range.
const TRY_COUNT: usize = 8;

/// The buffer sizes to try, nearest first, after a device refused `asked`: the nearest size in
/// the range it named, or else powers of two around the request (by ratio; the larger first
/// when two are as far, since a larger buffer is the safer guess).
pub(crate) fn sizes_to_try(asked: u32, range: Option<(u32, u32)>) -> Vec<u32> {
    if let Some((min, max)) = range {
        let nearest = asked.clamp(min, max);
        return if nearest == asked {
            Vec::new()
        } else {
            vec![nearest]
        };
    }
    let asked_log = f64::from(asked.max(1)).log2();
    let mut sizes: Vec<u32> = (TRY_MIN.trailing_zeros()..=TRY_MAX.trailing_zeros())
        .map(|shift| 1u32 << shift)
        .filter(|&size| size != asked)
        .collect();
    sizes.sort_by(|a, b| {
        let da = (f64::from(*a).log2() - asked_log).abs();
        let db = (f64::from(*b).log2() - asked_log).abs();
        da.total_cmp(&db).then(b.cmp(a))
    });
    sizes.truncate(TRY_COUNT);
    sizes
}

/// Why a buffer differs from what was asked, in a user's words: "the server's smallest",
/// "the device's largest", "the server's period" (a range of one size), or "the nearest the
/// device takes" when the limit is not known. `server` says whether a sound server (not a
/// device driver) set the limit.
pub(crate) fn buffer_reason(granted: u32, range: Option<(u32, u32)>, server: bool) -> String {
    let who = if server {
        "the server's"
    } else {
        "the device's"
    };
    match range {
        Some((min, max)) if min == max && granted == min => {
            if server {
                format!("{who} period")
            } else {
                format!("{who} only size")
            }
        }
        Some((min, _)) if granted == min => format!("{who} smallest"),
        Some((_, max)) if granted == max => format!("{who} largest"),
        _ => if server {
            "the nearest the server takes"
        } else {
            "the nearest the device takes"
        }
        .to_string(),
    }
}

/// Whether a server name from [`server_name`] is a sound server rather than a bare driver.
pub(crate) fn is_server(server: &str) -> bool {
    server.starts_with("PipeWire") || server.contains("JACK") || server.contains("PulseAudio")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// earmix's keys come first and the user's own `PIPEWIRE_PROPS` last, with or without
    /// braces, so the user's keys win; no rate, no node.rate.
    #[test]
    fn pipewire_props_merge() {
        let ours = "node.name = \"earmix\" node.description = \"earmix\" media.name = \"earmix\" \
                    media.role = \"Production\"";
        assert_eq!(pipewire_props(None, None), format!("{{ {ours} }}"));
        assert_eq!(
            pipewire_props(Some(44_100), None),
            format!("{{ {ours} node.rate = \"1/44100\" }}")
        );
        assert_eq!(
            pipewire_props(Some(48_000), Some(" { media.role = \"Music\" } ")),
            format!("{{ {ours} node.rate = \"1/48000\" media.role = \"Music\" }}")
        );
        assert_eq!(
            pipewire_props(None, Some("node.latency=512/48000")),
            format!("{{ {ours} node.latency=512/48000 }}")
        );
        assert_eq!(pipewire_props(None, Some("  ")), format!("{{ {ours} }}"));
    }

    /// cpal's refusals from ALSA and PipeWire give their ranges; other messages none.
    #[test]
    fn refused_ranges() {
        assert_eq!(
            refused_range("Buffer size 128 is not in the supported range 256..=16384"),
            Some((256, 16_384))
        );
        assert_eq!(
            refused_range("Buffer size 16 is not in the supported quantum range 32..=2048"),
            Some((32, 2048))
        );
        assert_eq!(
            refused_range("The requested stream configuration is not supported"),
            None
        );
        assert_eq!(refused_range("range 9..=3"), None);
        assert_eq!(refused_range("range x..=3"), None);
    }

    /// With a named range the nearest size in it is the one to try; without, powers of two
    /// nearest the request by ratio, the larger first on a tie, never the refused size.
    #[test]
    fn nearest_sizes() {
        assert_eq!(sizes_to_try(128, Some((256, 16_384))), [256]);
        assert_eq!(sizes_to_try(32_768, Some((256, 16_384))), [16_384]);
        assert_eq!(sizes_to_try(512, Some((256, 16_384))), Vec::<u32>::new());
        assert_eq!(
            sizes_to_try(128, None),
            [256, 64, 512, 32, 1024, 16, 2048, 4096]
        );
        assert_eq!(sizes_to_try(100, None)[..3], [128, 64, 256]);
        assert_eq!(sizes_to_try(16_384, None)[..2], [8192, 4096]);
    }

    /// The reason names who set the limit and which end of it was met.
    #[test]
    fn buffer_reasons() {
        assert_eq!(
            buffer_reason(256, Some((256, 16_384)), true),
            "the server's smallest"
        );
        assert_eq!(
            buffer_reason(8192, Some((16, 8192)), false),
            "the device's largest"
        );
        assert_eq!(
            buffer_reason(1024, Some((1024, 1024)), true),
            "the server's period"
        );
        assert_eq!(
            buffer_reason(512, None, false),
            "the nearest the device takes"
        );
    }

    /// alsa-lib's dumps of plugin chains name the server at their end.
    #[test]
    fn servers_in_dumps() {
        assert_eq!(
            server_in_dump("Plug PCM: Route conversion PCM\nJACK PCM\n"),
            Some("JACK")
        );
        assert_eq!(
            server_in_dump("ALSA <-> PipeWire PCM I/O Plugin\nIts setup is:\n"),
            Some("PipeWire")
        );
        assert_eq!(
            server_in_dump("ALSA <-> PulseAudio PCM I/O Plugin\n"),
            Some("PulseAudio")
        );
        assert_eq!(
            server_in_dump("Hardware PCM card 0 'HDA Intel PCH'\n"),
            None
        );
        assert_eq!(server_in_dump("Null PCM\n"), None);
    }
}
