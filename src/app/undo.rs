//! Undo and redo over mixer edits (UI thread).
//!
//! One undo step is one user action: a single key press, a whole held-key burst (auto-repeat
//! nudging a fader), or an action that touches several channels at once ("clear all solos").

use std::collections::VecDeque;

use super::edit::{Change, MixEdit};

/// How many undo steps are kept by default; older ones are forgotten.
pub const DEFAULT_DEPTH: usize = 1000;

/// Names one burst of auto-repeated key events: every change pushed with the same id, with no
/// other step in between, becomes one undo step. The caller starts a new id when a key goes
/// down (a press that is not a repeat).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BurstId(pub u64);

/// Names one undo step for as long as the history keeps it (ids are never reused by one
/// history), so a caller can tell whether a step it made has been undone or redone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StepId(u64);

/// One undo step: the changes it made, oldest first.
#[derive(Debug, Clone)]
struct Step {
    id: StepId,
    changes: Vec<Change>,
}

/// The undo and redo history of a session's mix, bounded to a number of steps.
#[derive(Debug, Clone)]
pub struct UndoStack {
    /// Oldest first; the back is undone next.
    undo: VecDeque<Step>,
    /// The back is redone next.
    redo: Vec<Step>,
    depth: usize,
    /// The burst the newest undo step belongs to, while more of it may still arrive.
    open_burst: Option<BurstId>,
    /// The id the next step gets.
    next_id: u64,
}

impl Default for UndoStack {
    fn default() -> Self {
        Self::new()
    }
}

impl UndoStack {
    /// An empty history keeping up to [`DEFAULT_DEPTH`] steps.
    pub fn new() -> Self {
        Self::with_depth(DEFAULT_DEPTH)
    }

    /// An empty history keeping up to `depth` steps (at least one).
    pub fn with_depth(depth: usize) -> Self {
        Self {
            undo: VecDeque::new(),
            redo: Vec::new(),
            depth: depth.max(1),
            open_burst: None,
            next_id: 0,
        }
    }

    /// Records a change that has just been applied.
    ///
    /// With `burst`, a change that follows another of the same burst joins that step: for a
    /// control already in the step only the new value is kept (undo goes back to the value
    /// before the burst began). A change that alters nothing (a nudge against the end of a
    /// fader) and joins no step is not recorded. Any new step clears the redo side.
    pub fn push(&mut self, change: Change, burst: Option<BurstId>) {
        if let Some(id) = burst
            && self.open_burst == Some(id)
            && let Some(step) = self.undo.back_mut()
        {
            match step
                .changes
                .iter_mut()
                .find(|c| c.after.same_control(&change.after))
            {
                Some(existing) => existing.after = change.after,
                None => step.changes.push(change),
            }
            return;
        }
        if change.is_noop() {
            return;
        }
        self.new_step(vec![change], burst);
    }

    /// Records several changes made by one action as one undo step (changes that alter
    /// nothing are left out; if nothing is left, nothing is recorded).
    pub fn push_group(&mut self, changes: Vec<Change>) {
        let changes: Vec<Change> = changes.into_iter().filter(|c| !c.is_noop()).collect();
        if !changes.is_empty() {
            self.new_step(changes, None);
        }
    }

    fn new_step(&mut self, changes: Vec<Change>, burst: Option<BurstId>) {
        self.redo.clear();
        let id = StepId(self.next_id);
        self.next_id += 1;
        self.undo.push_back(Step { id, changes });
        self.open_burst = burst;
        while self.undo.len() > self.depth {
            self.undo.pop_front();
        }
    }

    /// Takes back the newest step: returns the edits that restore the values before it, newest
    /// first (apply them in this order), or `None` when there is nothing to undo.
    pub fn undo(&mut self) -> Option<Vec<MixEdit>> {
        let step = self.undo.pop_back()?;
        self.open_burst = None;
        let edits = step
            .changes
            .iter()
            .rev()
            .map(|c| c.before.clone())
            .collect();
        self.redo.push(step);
        Some(edits)
    }

    /// Makes the most recently undone step again: returns its edits in the order they were
    /// first made, or `None` when there is nothing to redo.
    pub fn redo(&mut self) -> Option<Vec<MixEdit>> {
        let step = self.redo.pop()?;
        self.open_burst = None;
        let edits = step.changes.iter().map(|c| c.after.clone()).collect();
        self.undo.push_back(step);
        Some(edits)
    }

    /// The step undo would take back next and its changes (oldest first).
    pub fn next_undo(&self) -> Option<(StepId, &[Change])> {
        self.undo.back().map(|s| (s.id, s.changes.as_slice()))
    }

    /// The step redo would make again next and its changes (oldest first).
    pub fn next_redo(&self) -> Option<(StepId, &[Change])> {
        self.redo.last().map(|s| (s.id, s.changes.as_slice()))
    }

    /// Whether there is a step to undo.
    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    /// Whether there is a step to redo.
    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// How many steps can be undone.
    pub fn undo_len(&self) -> usize {
        self.undo.len()
    }

    /// How many steps can be redone.
    pub fn redo_len(&self) -> usize {
        self.redo.len()
    }

    /// What undo would take back, in a user's words ("Bass fader -3.0 dB -> -4.5 dB"; several
    /// changes are joined with "; ").
    pub fn undo_description(&self) -> Option<String> {
        self.undo.back().map(describe)
    }

    /// What redo would make again, in a user's words.
    pub fn redo_description(&self) -> Option<String> {
        self.redo.last().map(describe)
    }

    /// Ends the current burst, so that further changes with its id start a new step.
    pub fn end_burst(&mut self) {
        self.open_burst = None;
    }
}

fn describe(step: &Step) -> String {
    let parts: Vec<String> = step.changes.iter().map(ToString::to_string).collect();
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::edit::gain;

    fn change(channel: &str, from: f64, to: f64) -> Change {
        Change {
            before: gain(channel, from),
            after: gain(channel, to),
        }
    }

    /// A held key's burst is one step that undoes to the value before the burst and redoes to
    /// the last value.
    #[test]
    fn a_burst_merges_into_one_step() {
        let mut stack = UndoStack::new();
        let burst = Some(BurstId(7));
        stack.push(change("Bass", -3.0, -3.5), burst);
        stack.push(change("Bass", -3.5, -4.0), burst);
        stack.push(change("Bass", -4.0, -4.5), burst);
        assert_eq!(stack.undo_len(), 1);
        assert_eq!(
            stack.undo_description().as_deref(),
            Some("Bass fader -3.0 dB -> -4.5 dB")
        );
        assert_eq!(stack.undo(), Some(vec![gain("Bass", -3.0)]));
        assert_eq!(stack.undo(), None);
        assert_eq!(stack.redo(), Some(vec![gain("Bass", -4.5)]));
        assert_eq!(stack.redo(), None);
    }

    /// Changes without a burst, or with different bursts, are separate steps.
    #[test]
    fn separate_presses_are_separate_steps() {
        let mut stack = UndoStack::new();
        stack.push(change("Bass", -3.0, -3.5), None);
        stack.push(change("Bass", -3.5, -4.0), None);
        stack.push(change("Bass", -4.0, -4.5), Some(BurstId(1)));
        stack.push(change("Bass", -4.5, -5.0), Some(BurstId(2)));
        assert_eq!(stack.undo_len(), 4);
        assert_eq!(stack.undo(), Some(vec![gain("Bass", -4.5)]));
        assert_eq!(stack.undo(), Some(vec![gain("Bass", -4.0)]));
    }

    /// A burst interrupted by undo does not merge into the step that is now on top.
    #[test]
    fn undo_ends_a_burst() {
        let mut stack = UndoStack::new();
        stack.push(change("Keys", 0.0, 1.0), None);
        stack.push(change("Bass", -3.0, -3.5), Some(BurstId(1)));
        assert!(stack.undo().is_some());
        stack.push(change("Bass", -3.0, -2.5), Some(BurstId(1)));
        assert_eq!(stack.undo_len(), 2);
        assert_eq!(stack.undo(), Some(vec![gain("Bass", -3.0)]));
        assert_eq!(stack.undo(), Some(vec![gain("Keys", 0.0)]));
    }

    /// Undo returns a group's edits newest first and redo in their original order.
    #[test]
    fn group_order_for_undo_and_redo() {
        let mut stack = UndoStack::new();
        stack.push_group(vec![
            change("Bass", 0.0, 1.0),
            change("Keys", 0.0, 2.0),
            change("Bass", 1.0, 3.0),
        ]);
        assert_eq!(
            stack.undo(),
            Some(vec![
                gain("Bass", 1.0),
                gain("Keys", 0.0),
                gain("Bass", 0.0)
            ])
        );
        assert_eq!(
            stack.redo(),
            Some(vec![
                gain("Bass", 1.0),
                gain("Keys", 2.0),
                gain("Bass", 3.0)
            ])
        );
    }

    /// Steps are undone newest first and redone oldest first, moving between the two sides.
    #[test]
    fn undo_redo_order_across_steps() {
        let mut stack = UndoStack::new();
        stack.push(change("Bass", 0.0, 1.0), None);
        stack.push(change("Keys", 0.0, 2.0), None);
        assert_eq!(stack.undo(), Some(vec![gain("Keys", 0.0)]));
        assert_eq!(stack.undo(), Some(vec![gain("Bass", 0.0)]));
        assert!(!stack.can_undo());
        assert_eq!(stack.redo_len(), 2);
        assert_eq!(stack.redo(), Some(vec![gain("Bass", 1.0)]));
        assert_eq!(stack.redo(), Some(vec![gain("Keys", 2.0)]));
        assert!(!stack.can_redo());
        assert_eq!(stack.undo(), Some(vec![gain("Keys", 0.0)]));
    }

    /// A new edit after undo clears the redo side; a change that alters nothing does not.
    #[test]
    fn a_new_edit_clears_redo() {
        let mut stack = UndoStack::new();
        stack.push(change("Bass", 0.0, 1.0), None);
        stack.push(change("Bass", 1.0, 2.0), None);
        assert!(stack.undo().is_some());
        stack.push(change("Keys", 0.0, 0.0), None);
        assert!(stack.can_redo(), "a no-op must not clear redo");
        assert_eq!(stack.undo_len(), 1, "a no-op is not a step");
        stack.push(change("Keys", 0.0, -1.0), None);
        assert!(!stack.can_redo());
        assert_eq!(stack.redo(), None);
        assert_eq!(stack.undo_len(), 2);
    }

    /// Only the newest `depth` steps are kept; the oldest are dropped first.
    #[test]
    fn depth_is_bounded() {
        let mut stack = UndoStack::with_depth(3);
        for i in 0..5 {
            stack.push(change("Bass", f64::from(i), f64::from(i + 1)), None);
        }
        assert_eq!(stack.undo_len(), 3);
        assert_eq!(stack.undo(), Some(vec![gain("Bass", 4.0)]));
        assert_eq!(stack.undo(), Some(vec![gain("Bass", 3.0)]));
        assert_eq!(stack.undo(), Some(vec![gain("Bass", 2.0)]));
        assert_eq!(stack.undo(), None);

        let mut stack = UndoStack::new();
        for i in 0..(DEFAULT_DEPTH + 10) {
            stack.push(change("Bass", i as f64, i as f64 + 1.0), None);
        }
        assert_eq!(stack.undo_len(), DEFAULT_DEPTH);
    }
}
