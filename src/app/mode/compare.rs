//! Comparing two versions of the mix, not blind: a snapshot (A) against the mix as it is, the
//! saved file or another snapshot (B). Both are measured over the whole song in the background
//! and then play equally loud (the louder one turned down on the master, the offset shown);
//! one key flips between them while the song plays. Only the levels reach the engine (see
//! [`crate::app::versions`]): the play head keeps its place and the console's mix stays as it
//! is, so nothing is journalled, undoable or saved. Leaving sends the mix as it is back.

use std::time::Instant;

use super::{Host, Mode, Next, answers};
use crate::app::action::Action;
use crate::app::context::Context;
use crate::app::versions::sounds_the_same;
use crate::app::versions::{Matching, Versus, hear};
use crate::session::Session;
use crate::ui::view::Overlay;
use crate::units::Seconds;

/// The side that plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    A,
    B,
}

/// Where the loudness match stands.
#[derive(Debug, Clone, PartialEq)]
enum Match {
    /// Being measured.
    Measuring,
    /// Measured: the dB added to A's master and to B's.
    Matched(f64, f64),
    /// Not matched, and why.
    Failed(String),
    /// The two are the same mix: there is nothing to match or hear.
    Same,
}

/// The compare box: A, B, which plays and the loudness match.
pub struct Compare {
    /// The snapshot that is A.
    a: String,
    /// What B is.
    b: Versus,
    versions: (Session, Session),
    matching: Option<Matching>,
    state: Match,
    hearing: Side,
}

impl Compare {
    /// Compares snapshot `index` with the mix as it is; A plays at once.
    pub fn open<H: Host>(host: &mut H, index: usize) -> Option<Self> {
        let a = host.mixer().session.snapshots.get(index)?.name.clone();
        let now = host.mixer().session.clone();
        let version = now.snapshots[index].applied_to(&now);
        let mut compare = Self {
            a,
            b: Versus::Current,
            versions: (version, now),
            matching: None,
            state: Match::Same,
            hearing: Side::A,
        };
        compare.measure(host);
        Some(compare)
    }

    /// What B can be: the mix as it is, the saved file, every other snapshot.
    fn choices(&self, session: &Session) -> Vec<Versus> {
        [Versus::Current, Versus::Saved]
            .into_iter()
            .chain(
                session
                    .snapshots
                    .iter()
                    .filter(|s| s.name != self.a)
                    .map(|s| Versus::Snapshot(s.name.clone())),
            )
            .collect()
    }

    /// B becomes the next choice after it (one that can be read).
    fn next_b<H: Host>(&mut self, host: &mut H) {
        let now = &host.mixer().session;
        let choices = self.choices(now);
        let at = choices.iter().position(|c| *c == self.b).unwrap_or(0);
        let next = (1..=choices.len()).find_map(|k| {
            let candidate = &choices[(at + k) % choices.len()];
            match candidate.session(now, now, &now.path) {
                Ok(b) => Some((candidate.clone(), b)),
                Err(e) => {
                    tracing::warn!("compare: {e}");
                    None
                }
            }
        });
        if let Some((versus, b)) = next {
            self.b = versus;
            self.versions.1 = b;
            self.measure(host);
        }
    }

    /// Starts measuring A and B (unless they are the same mix) and plays the side heard.
    fn measure<H: Host>(&mut self, host: &mut H) {
        let (a, b) = &self.versions;
        if sounds_the_same(a, b) {
            self.matching = None;
            self.state = Match::Same;
            host.mixer_mut().message =
                Some("A and B are the same mix: nothing to hear".to_string());
        } else {
            let span = (Seconds(0.0), b.length());
            self.matching = Some(Matching::start(a, b, span));
            self.state = Match::Measuring;
            host.mixer_mut().message = Some("Matching A and B in loudness...".to_string());
        }
        self.hear(self.hearing, host);
    }

    /// Plays `side`: its whole mix to the engine with its loudness offset.
    fn hear<H: Host>(&mut self, side: Side, host: &mut H) {
        let (a, b) = match self.state {
            Match::Matched(a, b) => (a, b),
            _ => (0.0, 0.0),
        };
        match side {
            Side::A => hear(host.mixer_mut(), &self.versions.0, a),
            Side::B => hear(host.mixer_mut(), &self.versions.1, b),
        }
        self.hearing = side;
    }

    /// Flips to `side`, saying which one plays.
    fn flip<H: Host>(&mut self, side: Side, host: &mut H) {
        self.hear(side, host);
        host.mixer_mut().message = Some(format!("Hearing {}", self.playing()));
    }

    /// "A: Chorus, 0:05" or "B: mix now".
    fn playing(&self) -> String {
        match self.hearing {
            Side::A => format!("A: {}", self.a),
            Side::B => format!("B: {}", self.b.label()),
        }
    }

    /// Sends the mix as it is back to the engine and closes.
    fn leave<H: Host>(host: &mut H) {
        let mixer = host.mixer_mut();
        mixer.push_whole_mix();
        mixer.message = Some("Back to your mix as it is".to_string());
    }

    /// The loudness line.
    fn loudness_line(&self) -> String {
        match &self.state {
            Match::Measuring => "Matching A and B in loudness: a moment.".to_string(),
            Match::Matched(a, _) if *a < 0.0 => {
                format!("A is turned down {:.1} dB to match B.", -a)
            }
            Match::Matched(_, b) if *b < 0.0 => {
                format!("B is turned down {:.1} dB to match A.", -b)
            }
            Match::Matched(..) => "A and B are equally loud as they are.".to_string(),
            Match::Failed(e) => format!("Not loudness-matched: {e}"),
            Match::Same => "They are the same mix: nothing changes.".to_string(),
        }
    }
}

impl<H: Host> Mode<H> for Compare {
    fn context(&self) -> Context {
        Context::CompareVersions
    }

    fn update(&mut self, action: Action, host: &mut H, _now: Instant) -> Next {
        match action {
            Action::CompareVersions => {
                let other = match self.hearing {
                    Side::A => Side::B,
                    Side::B => Side::A,
                };
                self.flip(other, host);
            }
            Action::SelectStrip(1) => self.flip(Side::A, host),
            Action::SelectStrip(2) => self.flip(Side::B, host),
            Action::ChooseTarget => self.next_b(host),
            Action::PlayPause => host.mixer_mut().play_pause(),
            Action::PreviousSection => host.mixer_mut().previous_section(),
            Action::NextSection => host.mixer_mut().next_section(),
            Action::Confirm | Action::Cancel | Action::Back => {
                Self::leave(host);
                return Next::Close;
            }
            Action::QuitNow => {
                Self::leave(host);
                return host.quit_from_box();
            }
            _ => {}
        }
        Next::Stay
    }

    fn tick(&mut self, host: &mut H, _now: Instant) -> Next {
        let Some(result) = self.matching.as_mut().and_then(Matching::poll) else {
            return Next::Stay;
        };
        self.matching = None;
        self.state = match result {
            Ok((a, b)) => Match::Matched(a, b),
            Err(e) => {
                tracing::warn!("compare loudness: {e}");
                Match::Failed(e)
            }
        };
        host.mixer_mut().message = Some(self.loudness_line());
        self.hear(self.hearing, host);
        Next::Stay
    }

    fn overlay(&self, host: &H) -> Overlay {
        let keys = host.keymap();
        let mark = |side| {
            if self.hearing == side {
                " (playing)"
            } else {
                ""
            }
        };
        Overlay::Question {
            title: format!("Compare, not blind: {} plays", self.playing()),
            lines: vec![
                format!("A: snapshot {}{}", self.a, mark(Side::A)),
                format!("B: {}{}", self.b.describe(), mark(Side::B)),
                self.loudness_line(),
                "Only the levels change; the play head keeps its place.".to_string(),
            ],
            answers: answers(
                keys,
                &[
                    (Action::CompareVersions, "flip"),
                    (Action::SelectStrip(1), "A"),
                    (Action::SelectStrip(2), "B"),
                    (Action::ChooseTarget, "other B"),
                    (Action::PlayPause, "play/pause"),
                    (Action::Cancel, "leave"),
                ],
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::app::effect::Effect;
    use crate::app::mode::testing::{Console, console_of, toned_session, up};

    /// A console over the toned session with a snapshot taken (Bass at -3 dB), then Bass
    /// pushed up 3 dB; the snapshot list's compare key pressed and the loudness match waited
    /// for. The folder goes with the first value.
    fn comparing() -> (tempfile::TempDir, Console) {
        let (dir, _, session) = toned_session();
        let mut console = console_of(session);
        console.key("P");
        console.key("Enter");
        console.act(up());
        assert_eq!(console.gain(0), 0.0);
        console.key("p");
        console.key("c");
        for _ in 0..2000 {
            if !console.question().1[2].starts_with("Matching") {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
            console.tick();
        }
        (dir, console)
    }

    /// Bass's fader and the master as the engine was last told in `effects`.
    fn heard(effects: &[Effect]) -> (Option<f64>, Option<f64>) {
        let bass = effects.iter().rev().find_map(|e| match e {
            Effect::Gain(0, db) => Some(db.0),
            _ => None,
        });
        let master = effects.iter().rev().find_map(|e| match e {
            Effect::Master(db) => Some(db.0),
            _ => None,
        });
        (bass, master)
    }

    /// Whether `effects` are levels only: no transport, no loop, nothing but the mix.
    fn levels_only(effects: &[Effect]) -> bool {
        effects.iter().all(|e| {
            matches!(
                e,
                Effect::Trim(..)
                    | Effect::Gain(..)
                    | Effect::Pan(..)
                    | Effect::Mute(..)
                    | Effect::Solo(..)
                    | Effect::Master(_)
                    | Effect::Rides(_)
                    | Effect::Scenes(_)
            )
        })
    }

    /// Once matched, the box names both versions and the offset (B, 3 dB louder on Bass, is
    /// turned down); c flips to B and sends its levels with the master turned down, 1 flips
    /// back to A at its own master, and the flips send levels only: the play head is not
    /// touched, the console's fader stays at the mix as it is and nothing enters the undo
    /// history.
    #[test]
    fn flip_sends_the_matched_levels_and_nothing_else() {
        let (_dir, mut console) = comparing();
        let undo = console.app.mixer().undo.undo_len();
        let (title, lines, _) = console.question();
        assert_eq!(title, "Compare, not blind: A: 0:00 plays");
        assert_eq!(lines[0], "A: snapshot 0:00 (playing)");
        assert_eq!(lines[1], "B: your mix as it is");
        let offset: f64 = lines[2]
            .strip_prefix("B is turned down ")
            .and_then(|rest| rest.strip_suffix(" dB to match A."))
            .unwrap_or_else(|| panic!("{lines:?}"))
            .parse()
            .unwrap();
        assert!(0.5 < offset && offset < 3.0, "B turned down {offset} dB");
        console.take_effects();

        console.key("c");
        let b = console.take_effects();
        assert!(levels_only(&b), "{b:?}");
        let (bass, master) = heard(&b);
        assert_eq!(bass, Some(0.0));
        let master = master.unwrap();
        assert!(
            (master + offset).abs() < 0.05,
            "B's master {master}, shown {offset}"
        );
        assert_eq!(console.message(), "Hearing B: mix now");
        let (title, lines, _) = console.question();
        assert_eq!(title, "Compare, not blind: B: mix now plays");
        assert_eq!(lines[1], "B: your mix as it is (playing)");

        console.key("1");
        let a = console.take_effects();
        assert!(levels_only(&a), "{a:?}");
        assert_eq!(heard(&a), (Some(-3.0), Some(0.0)));
        assert_eq!(console.message(), "Hearing A: 0:00");
        assert_eq!(console.gain(0), 0.0);
        assert_eq!(console.app.mixer().undo.undo_len(), undo);
    }

    /// Leaving (Esc) while A plays sends the mix as it is back, its own master included, and
    /// closes the box; the console's mix never changed.
    #[test]
    fn leaving_puts_back_the_mix_as_it_is() {
        let (_dir, mut console) = comparing();
        console.key("c");
        console.key("c");
        console.take_effects();
        console.key("Esc");
        assert!(console.overlay().is_none());
        let back = console.take_effects();
        assert!(levels_only(&back), "{back:?}");
        assert_eq!(heard(&back), (Some(0.0), Some(0.0)));
        assert_eq!(console.message(), "Back to your mix as it is");
        assert_eq!(console.gain(0), 0.0);
    }

    /// A snapshot that is the mix as it is says so, on the status line and in the box, and
    /// nothing is measured; t makes B the saved file, which differs from the snapshot after
    /// Bass moved, and the match starts.
    #[test]
    fn a_version_equal_to_the_mix_says_so() {
        let (_dir, _, session) = toned_session();
        let mut console = console_of(session);
        console.key("P");
        console.key("Enter");
        console.key("p");
        console.key("c");
        assert_eq!(
            console.message(),
            "A and B are the same mix: nothing to hear"
        );
        assert_eq!(
            console.question().1[2],
            "They are the same mix: nothing changes."
        );
        console.key("Esc");
        console.act(up());
        console.key("p");
        console.key("c");
        assert_eq!(
            console.question().1[2],
            "Matching A and B in loudness: a moment."
        );
        console.key("t");
        assert_eq!(console.question().1[1], "B: the saved file");
        assert_eq!(
            console.message(),
            "A and B are the same mix: nothing to hear"
        );
    }

    /// t walks B through the saved file and every other snapshot (never A itself), then back
    /// to the mix as it is; each pair is matched afresh, and one that is the same mix says so.
    #[test]
    fn b_may_be_the_saved_file_or_another_snapshot() {
        let (_dir, _, session) = toned_session();
        let mut console = console_of(session);
        console.key("P");
        console.key("Enter");
        console.act(up());
        console.key("P");
        console.key("Enter");
        console.key("p");
        console.key("Up");
        console.key("c");
        let line = |console: &Console, i: usize| console.question().1[i].clone();
        assert_eq!(line(&console, 0), "A: snapshot 0:00 (playing)");
        assert_eq!(line(&console, 1), "B: your mix as it is");
        assert_eq!(line(&console, 2), "Matching A and B in loudness: a moment.");
        console.key("t");
        assert_eq!(line(&console, 1), "B: the saved file");
        assert_eq!(line(&console, 2), "They are the same mix: nothing changes.");
        console.key("t");
        assert_eq!(line(&console, 1), "B: snapshot 0:00 (2)");
        assert_eq!(line(&console, 2), "Matching A and B in loudness: a moment.");
        console.key("t");
        assert_eq!(line(&console, 1), "B: your mix as it is");
    }
}
