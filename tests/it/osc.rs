//! The OSC remote control from the command line: flags and settings checked before the
//! console takes the terminal, and the shipped example speaking only addresses earmix
//! answers.

use crate::console::trio;
use crate::support::{TempSession, earmix_in};

/// Runs earmix with `args` (no terminal) in the test's own HOME; returns its status and stderr.
fn run(ts: &TempSession, args: &[&str]) -> (Option<i32>, String) {
    let out = earmix_in(&ts.path("home"))
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// Listening beyond this machine without an allow-list is refused before the console
/// starts, whether the flags or the settings file ask for it; with an allow-list the same
/// address gets past the check.
#[test]
fn an_open_address_without_an_allow_list_is_refused() {
    let ts = TempSession::new();
    let session = trio(&ts);
    let session = session.to_str().unwrap();
    let (code, stderr) = run(
        &ts,
        &[
            "--output",
            "null",
            "--osc",
            "9000",
            "--osc-address",
            "0.0.0.0",
            session,
        ],
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "earmix: the OSC server on 0.0.0.0 needs an allow-list of the peers that may \
             control earmix"
        ),
        "{stderr}"
    );
    let config = ts.path("config.toml");
    std::fs::write(
        &config,
        "version = 1\n[osc]\nenabled = true\naddress = \"0.0.0.0\"\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let (code, stderr) = run(&ts, &["--config", config, "--output", "null", session]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("config.toml:4:11: osc.address = \"0.0.0.0\": the OSC server on 0.0.0.0"),
        "{stderr}"
    );
}

/// OSC flags given before a command are refused like the console's other options, and a
/// peer that is not an address or a network is named with what is allowed.
#[test]
fn osc_flags_are_checked() {
    let ts = TempSession::new();
    let session = trio(&ts);
    let session = session.to_str().unwrap();
    let (code, stderr) = run(&ts, &["--osc", "9000", "check", session]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.starts_with("earmix: --osc before the command: the command would not use it"),
        "{stderr}"
    );
    let (code, stderr) = run(&ts, &["--osc-allow", "studio", session]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "invalid value 'studio' for '--osc-allow <PEER>': 'studio' is not a peer: write an \
             address"
        ),
        "{stderr}"
    );
    let (code, stderr) = run(&ts, &["--osc", "0", session]);
    assert_eq!(code, Some(2), "{stderr}");
}

/// The addresses quoted in `text` (every `"/earmix/…"` string), `N` made a number.
fn quoted_addresses(text: &str) -> Vec<String> {
    text.split('"')
        .skip(1)
        .step_by(2)
        .filter(|s| s.starts_with("/earmix/"))
        .map(|s| s.replace('N', "1"))
        .collect()
}

/// Every address the shipped example (examples/osc/strips.py) sends is one earmix answers,
/// and every address it reads is one earmix sends (to a subscriber, or as the answer to a
/// ping); and the docs list them all.
#[test]
fn the_example_speaks_only_earmix_addresses() {
    use earmix::control::osc::{address, feedback};
    use earmix::control::{FaderState, Feedback, Level, StripState};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = std::fs::read_to_string(root.join("examples/osc/strips.py")).unwrap();
    let (sends, reads) = script.split_once("\nREADS = [").unwrap();
    let (reads, _) = reads.split_once(']').unwrap();
    let sends = quoted_addresses(sends);
    let reads = quoted_addresses(reads);
    assert!(
        sends.len() >= 18 && reads.len() >= 11,
        "{sends:?} {reads:?}"
    );
    for addr in &sends {
        let message = rosc::OscMessage {
            addr: addr.clone(),
            args: Vec::new(),
        };
        assert_ne!(
            address::request(&message),
            Err(address::Refusal::UnknownAddress),
            "earmix does not answer {addr}"
        );
    }
    let fader = FaderState {
        position: Some(0.5),
        level: Level::Db(-3.0),
        waiting: None,
    };
    let mix = Feedback {
        strips: vec![StripState {
            name: "Bass".into(),
            fader,
            pan: Some(0.0),
            mute: false,
            solo: false,
            selected: true,
        }],
        master: fader,
        banks: Vec::new(),
        playing: false,
        blind: false,
        section: Some((0, "Intro".into())),
    };
    let mut sent: Vec<String> = feedback::changes(None, &mix)
        .into_iter()
        .map(|m| m.addr)
        .collect();
    sent.push("/earmix/pong".into());
    for addr in &reads {
        assert!(sent.contains(addr), "earmix never sends {addr}: {sent:?}");
    }
    let docs = std::fs::read_to_string(root.join("docs/osc.md")).unwrap();
    for addr in sends.iter().chain(&sent) {
        let documented = addr
            .replace("/strip/1/", "/strip/<n>/")
            .replace("/section/1", "/section/<n>");
        assert!(
            docs.contains(&format!("`{documented}`")),
            "docs/osc.md lacks {documented}"
        );
    }
}
