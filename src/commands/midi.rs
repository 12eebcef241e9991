//! `earmix midi`: lists the MIDI ports a controller can be reached by, on every backend, with
//! the controller mappings earmix knows. Runs on the main thread; it opens no port.

use std::fmt::Write;

use crate::control::midi::mapping::known_names;
use crate::control::midi::ports::{self, Backend, Direction, Listing};
use crate::control::midi::user_mapping_dir;

/// The MIDI inputs (controllers earmix can read) and outputs (where motor faders and lamps
/// are driven) on the system's MIDI (the ALSA sequencer on Linux) and on JACK, a backend that
/// cannot be asked saying why, then the mappings. Port names come from drivers and other
/// programs, so control characters are escaped. Never panics, with no MIDI at all.
///
/// Not realtime-safe (asks the MIDI systems).
pub fn list() -> String {
    let inputs = ports::list(Direction::In);
    let outputs = ports::list(Direction::Out);
    let text = format_listing(
        &inputs,
        &outputs,
        &known_names(user_mapping_dir().as_deref()),
    );
    crate::text::escape_lines(&text).into_owned()
}

/// The listing's text, for [`list`].
pub fn format_listing(inputs: &Listing, outputs: &Listing, mappings: &[String]) -> String {
    let mut out = String::new();
    for backend in [Backend::System, Backend::Jack] {
        let _ = writeln!(out, "{backend}:");
        let problem = inputs
            .problems
            .iter()
            .chain(&outputs.problems)
            .find(|(b, _)| *b == backend);
        if let Some((_, problem)) = problem {
            let _ = writeln!(out, "  {problem}");
            continue;
        }
        for (title, listing) in [("inputs", inputs), ("outputs", outputs)] {
            let names: Vec<&str> = listing
                .ports
                .iter()
                .filter(|p| p.backend == backend)
                .map(|p| p.name.as_str())
                .collect();
            if names.is_empty() {
                let _ = writeln!(out, "  {title}: none");
            } else {
                let _ = writeln!(out, "  {title}:");
                for name in names {
                    let _ = writeln!(out, "    {name}");
                }
            }
        }
    }
    let _ = writeln!(out, "Controller mappings: {}", mappings.join(", "));
    let _ = writeln!(
        out,
        "Pick a controller with `earmix --midi PORT` (a part of its name will do) or [midi] \
         input in the settings."
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::midi::ports::Port;

    /// The listing names each backend, its inputs and outputs, and says why a backend could
    /// not be asked.
    #[test]
    fn listing_names_backends_and_ports() {
        let inputs = Listing {
            ports: vec![Port {
                backend: Backend::Jack,
                name: "a2j:nanoKONTROL2 [20] (capture): nanoKONTROL2 MIDI 1".into(),
            }],
            problems: vec![(Backend::System, "cannot open the sequencer".into())],
        };
        let outputs = Listing {
            ports: Vec::new(),
            problems: vec![(Backend::System, "cannot open the sequencer".into())],
        };
        let text = format_listing(&inputs, &outputs, &["generic-8".into(), "mine".into()]);
        let system = Backend::System.to_string();
        assert_eq!(
            text,
            format!(
                "{system}:\n  cannot open the sequencer\nJACK:\n  inputs:\n    \
                 a2j:nanoKONTROL2 [20] (capture): nanoKONTROL2 MIDI 1\n  outputs: none\n\
                 Controller mappings: generic-8, mine\nPick a controller with `earmix --midi \
                 PORT` (a part of its name will do) or [midi] input in the settings.\n"
            )
        );
    }
}
