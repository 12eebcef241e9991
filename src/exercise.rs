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
    /// Balance the same section twice, with another in between; scored on how alike.
    Consistency,
    /// Rebuild a target's stereo picture by ear from scrambled pans; scored in pan units.
    Pan,
    /// Say which part moved and which way; adapts to the smallest change heard, per role.
    Guess,
    /// Blind A/B/X between a mix snapshot and the mix as it is, loudness-matched.
    Abx,
}

impl Exercise {
    /// Every exercise, in list order.
    pub const ALL: [Exercise; 8] = [
        Exercise::Blindfold,
        Exercise::Arc,
        Exercise::Drill,
        Exercise::Reference,
        Exercise::Consistency,
        Exercise::Pan,
        Exercise::Guess,
        Exercise::Abx,
    ];

    /// The name used on the command line and in the history file.
    pub fn id(self) -> &'static str {
        match self {
            Exercise::Blindfold => "blindfold",
            Exercise::Arc => "arc",
            Exercise::Drill => "drill",
            Exercise::Reference => "reference",
            Exercise::Consistency => "consistency",
            Exercise::Pan => "pan",
            Exercise::Guess => "guess",
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
            "consistency" | "consistency-drill" | "consistent" => Some(Exercise::Consistency),
            "pan" | "pan-drill" | "stereo" | "panning" => Some(Exercise::Pan),
            "guess" | "guess-mode" | "guess-the-move" => Some(Exercise::Guess),
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
            Exercise::Consistency => "Consistency drill",
            Exercise::Pan => "Pan drill",
            Exercise::Guess => "Guess mode",
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
            Exercise::Consistency => {
                "Balance the same section twice, with another in between, and find out how \
                 steady your judgement is"
            }
            Exercise::Pan => {
                "Hear a stereo picture, then put each part back in its place by ear from \
                 scrambled pans; scored in pan units"
            }
            Exercise::Guess => {
                "One part moves a little: say which and which way. Finds the smallest change \
                 you hear, part by part"
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
            Exercise::Consistency => &[
                "There is no target here: the question is whether you hear the same balance \
                 twice. One section loops, the faders scrambled and the console dark. Balance it \
                 by ear and press Enter.",
                "Then another section loops from a fresh scramble: balance that one too. It is \
                 not scored; it is there so your ear lets go of the first answer.",
                "Then the first section again, scrambled differently. Balance it as you hear it \
                 now, not as you remember it. The score is how far your two answers are apart, \
                 with the overall level taken out.",
            ],
            Exercise::Pan => &[
                "First you hear a target stereo picture: where each part sits between the \
                 left and right speakers. The levels are the target's and stay put: only the \
                 places are the task.",
                "Then the pans are scrambled and the console goes dark. Put every part back \
                 where it was with the pan keys (< and >). = flips between the target and your \
                 picture, matched in loudness; solo a part to hear where it sits.",
                "Press Enter when the two sound the same. The score counts how far each part \
                 is from its place; a picture that leans to one side or is a mirror image is \
                 named as such.",
            ],
            Exercise::Guess => &[
                "A few seconds of the song play twice: first as it is, then with one part \
                 turned up or down. Which part moved, and which way?",
                "Pick the part with the strip keys (the arrows left and right, or its number) \
                 and answer with the fader keys: up if it got louder, down if it got quieter. \
                 Space plays the pair again. You may answer once the second playing starts.",
                "Two right answers in a row make the next change smaller, a miss makes it \
                 bigger, so the changes settle where you only just hear them. The parts you \
                 miss come back more often. Enter ends with what you hear, part by part.",
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
