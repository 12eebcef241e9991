//! Guided exercises: the Blindfold Balance Test, the Emotional Arc Exercise, the level-matching
//! drill and Reference Deconstruction; scoring a balance against a target, the role targets the Blindfold
//! Balance Test compares with, and the progress history every finished exercise is recorded in.
//! What they measure, the offline analysis measures ([`crate::analysis`]).
//!
//! This module holds the maths and the words; the console runs the flows
//! (`app::state::exercise`).

pub mod abx;
pub mod blindfold;
pub mod consistency;
pub mod deconstruct;
pub mod drill;
pub mod emotional;
pub mod history;
pub mod pan_score;
pub mod score;
pub mod staircase;
pub mod targets;

/// The guided exercises, in the order they are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Exercise {
    /// Balance a scrambled mix by ear, then compare it with textbook levels.
    Blindfold,
    /// Balance two contrasting sections from the same scrambled start.
    Arc,
    /// Restore a hidden target balance by ear; scored, with a ladder of levels.
    Drill,
    /// Rebuild a reference mix's balance by ear, flipping to it, loudness-matched.
    Reference,
    /// Blind A/B/X between a mix snapshot and the mix as it is, loudness-matched.
    Abx,
}

impl Exercise {
    /// Every exercise, in list order.
    pub const ALL: [Exercise; 5] = [
        Exercise::Blindfold,
        Exercise::Arc,
        Exercise::Drill,
        Exercise::Reference,
        Exercise::Abx,
    ];

    /// The name used on the command line and in the history file.
    pub fn id(self) -> &'static str {
        match self {
            Exercise::Blindfold => "blindfold",
            Exercise::Arc => "arc",
            Exercise::Drill => "drill",
            Exercise::Reference => "reference",
            Exercise::Abx => "abx",
        }
    }

    /// The exercise named `name` on the command line (its id, or a few spellings of its title).
    pub fn from_name(name: &str) -> Option<Exercise> {
        let name = name.trim().to_ascii_lowercase().replace(['_', ' '], "-");
        match name.as_str() {
            "blindfold" | "blindfold-balance" | "blindfold-balance-test" | "blind" => {
                Some(Exercise::Blindfold)
            }
            "arc" | "emotional-arc" | "emotional-arc-exercise" => Some(Exercise::Arc),
            "drill" | "level-matching" | "level-matching-drill" | "match" => Some(Exercise::Drill),
            "reference" | "reference-deconstruction" | "deconstruct" | "deconstruction" => {
                Some(Exercise::Reference)
            }
            "abx" | "a-b-x" | "a/b/x" | "blind-abx" | "blind-a-b-x" | "blind-a/b/x" => {
                Some(Exercise::Abx)
            }
            _ => None,
        }
    }

    /// The exercise's title.
    pub fn title(self) -> &'static str {
        match self {
            Exercise::Blindfold => "Blindfold Balance Test",
            Exercise::Arc => "Emotional Arc Exercise",
            Exercise::Drill => "Level-matching drill",
            Exercise::Reference => "Reference Deconstruction",
            Exercise::Abx => "Blind A/B/X",
        }
    }

    /// One line on what it trains.
    pub fn summary(self) -> &'static str {
        match self {
            Exercise::Blindfold => {
                "Balance a scrambled mix with no numbers and no meters, then see how your \
                 ear's choices compare with textbook levels"
            }
            Exercise::Arc => {
                "Balance a verse and a chorus separately, from the same scrambled start, and \
                 find out how you want the song to change"
            }
            Exercise::Drill => {
                "Hear a hidden balance, then rebuild it by ear from scrambled faders; scored, \
                 with levels to unlock"
            }
            Exercise::Reference => {
                "Rebuild a mix you admire from the same stems, flipping to it at will, matched \
                 in loudness"
            }
            Exercise::Abx => {
                "Can you really hear your change? A snapshot against your mix now, blind and \
                 matched in loudness, trial after trial"
            }
        }
    }

    /// The instruction panel shown before it starts: short paragraphs, written for the user.
    pub fn instructions(self) -> &'static [&'static str] {
        match self {
            Exercise::Blindfold => &[
                "The faders will jump to random places and the console goes dark: no numbers, \
                 no meters. Only the problem lamps stay, so you will still see a clip.",
                "Listen to the song loop and move the faders until every part sits where it \
                 feels right to you. Start from what matters most in the song and fit the rest \
                 around it. Mute and solo are there to help; take your time.",
                "Press Enter when the mix feels finished. You will then see what you did: \
                 each part's level against the levels a textbook would suggest, and which \
                 parts you chose to lead and which to follow.",
            ],
            Exercise::Arc => &[
                "A song breathes: parts come forward in one section and step back in another. \
                 This exercise shows you how you want it to change.",
                "First the verse loops, with the faders scrambled and the console dark. Balance \
                 it by ear and press Enter. Then the chorus loops, starting from the same \
                 scrambled faders, not from your verse: balance it fresh and press Enter.",
                "Afterwards you will see, part by part, how your chorus differs from your \
                 verse, with the overall level change taken out. You can keep the two \
                 balances as the sections' scenes.",
            ],
            Exercise::Drill => &[
                "First you hear a target balance. Listen to how loud each part is against the \
                 others: the voice against the guitar, the bass against the drums.",
                "Then the faders are scrambled and the console goes dark. Rebuild the target \
                 by ear. While the level allows it, = flips between the target and your mix; \
                 the two are matched in loudness, so the louder one does not sound better.",
                "Press Enter when they sound the same. The score counts only the balance: \
                 turning everything up or down together costs nothing. Pass a level to unlock \
                 the next one.",
            ],
            Exercise::Reference => &[
                "The reference is a finished mix of these stems. Take it apart by ear: the \
                 voice against the band, the bass against the kick, verse against chorus.",
                "The console goes dark. R flips between your mix and the reference, the \
                 louder one turned down so loudness never decides. Levels only: faders, trims \
                 (t), section scenes (e); pan stays put. b shows the numbers.",
                "Press Enter when the two sound alike: you will see each section's loudness, \
                 range and shape next to the reference's, and how far each part moved.",
            ],
            Exercise::Abx => &[
                "A is a snapshot of your mix; B is your mix as it is now, the saved file or \
                 another snapshot. Both play as loud as each other, so loudness cannot give \
                 the answer away.",
                "In each trial X is A or B, chosen at random. Flip between A, B and X as often \
                 as you like (1, 2, 3); the song keeps its place. When you know which one X \
                 is, flip to that one and press Enter.",
                "After the last trial you see your score, how likely it is you were guessing, \
                 and which one X was in every trial.",
            ],
        }
    }
}

impl std::fmt::Display for Exercise {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.title())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_the_progress_names() {
        for exercise in Exercise::ALL {
            assert_eq!(Exercise::from_name(exercise.id()), Some(exercise));
            assert_eq!(Exercise::from_name(exercise.title()), Some(exercise));
            assert_eq!(
                crate::commands::progress::display_name(exercise.id()),
                exercise.title()
            );
        }
        assert_eq!(Exercise::from_name("Level_Matching"), Some(Exercise::Drill));
        assert_eq!(
            Exercise::from_name("Reference Deconstruction"),
            Some(Exercise::Reference)
        );
        assert_eq!(Exercise::from_name("reference-mix"), None);
    }
}
