//! The reference flip and the monitor section's keys (UI thread). Both change only what is
//! heard: nothing here is an edit, nothing is saved, journalled or undone.

use super::App;
use crate::app::action::Action;
use crate::app::effect::Effect;
use crate::engine::monitor::{MonitorState, next_preset};
use crate::engine::protocol::Listen;
use crate::units::Seconds;

/// How far `(` and `)` move a free-running reference.
pub const REFERENCE_STEP: Seconds = Seconds(5.0);

/// Turns a monitor switch over and says what it is now.
fn flip(switch: &mut bool, on: &str, off: &str) -> String {
    *switch = !*switch;
    if *switch { on } else { off }.to_string()
}

/// What is heard only: the reference and the monitor section.
impl App {
    /// The monitor section's switches as the user set them.
    pub fn monitor(&self) -> MonitorState {
        self.monitor
    }

    /// A reference or monitor action.
    pub(super) fn monitor_action(&mut self, action: Action) {
        match action {
            Action::Reference | Action::ReferenceFree => self.reference_action(action),
            Action::ReferenceBack | Action::ReferenceForward => {
                self.move_reference(action == Action::ReferenceForward);
            }
            Action::MonitorStereo => {
                self.monitor.stereo = self.monitor.stereo.next();
                self.mixer.message = Some(format!("Monitor: {}", self.monitor.stereo.label()));
            }
            Action::MonitorSwap => {
                self.mixer.message = Some(flip(
                    &mut self.monitor.swap,
                    "Monitor: left and right swapped",
                    "Monitor: left and right as mixed",
                ));
            }
            Action::MonitorDim => {
                self.mixer.message = Some(flip(
                    &mut self.monitor.dim,
                    "Monitor dimmed by 20 dB",
                    "Monitor at full level",
                ));
            }
            Action::MonitorMute => {
                self.mixer.message = Some(flip(
                    &mut self.monitor.mute_all,
                    "Monitor muted: nothing reaches the speakers (press again to hear)",
                    "Monitor unmuted",
                ));
            }
            Action::MonitorPreset => {
                self.monitor.preset = next_preset(self.monitor.preset);
                self.mixer.message = Some(match self.monitor.preset {
                    Some(preset) => format!("Monitor: as on {}", preset.describe()),
                    None => "Monitor: no playback-system preset".to_string(),
                });
            }
            Action::MonitorReset => {
                self.monitor = MonitorState::default();
                self.mixer.message = Some("Monitor: plain stereo".to_string());
            }
            _ => return,
        }
        self.mixer.emit(Effect::Monitor(self.monitor));
    }

    /// `R` (flip) and `f` (free-running).
    fn reference_action(&mut self, action: Action) {
        if !self.mixer.transport.has_reference {
            self.mixer.message = Some(
                "This session has no reference: add a [reference] with its file to the session"
                    .to_string(),
            );
            return;
        }
        if action == Action::Reference {
            let listen = self.mixer.transport.listen.flipped();
            self.mixer.emit(Effect::Listen(listen));
            self.mixer.message = Some(
                match listen {
                    Listen::Mix => "Your mix",
                    Listen::Reference => "The reference, matched in loudness to your mix",
                }
                .to_string(),
            );
        } else {
            let free = !self.mixer.transport.reference_free;
            self.mixer.emit(Effect::ReferenceFree(free));
            self.mixer.message = Some(
                if free {
                    "The reference runs free of the play head: ( and ) move it"
                } else {
                    "The reference follows the play head"
                }
                .to_string(),
            );
        }
    }

    /// `(` and `)`: a free-running reference moves by [`REFERENCE_STEP`].
    fn move_reference(&mut self, forward: bool) {
        if !self.mixer.transport.has_reference {
            self.mixer.message = Some("This session has no reference".to_string());
            return;
        }
        if !self.mixer.transport.reference_free {
            self.mixer.message = Some(
                "The reference follows the play head; f lets it run free, then ( and ) move it"
                    .to_string(),
            );
            return;
        }
        let Some(at) = self.mixer.transport.reference_position else {
            return;
        };
        let step = if forward {
            REFERENCE_STEP.0
        } else {
            -REFERENCE_STEP.0
        };
        self.mixer
            .emit(Effect::SeekReference(Seconds((at.0 + step).max(0.0))));
    }
}
