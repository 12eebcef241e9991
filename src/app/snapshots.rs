//! Mix snapshots in the console (UI thread): take, recall, rename and delete the named copies
//! of the mix that the session file keeps (see [`crate::session::snapshot`]). Taking, renaming
//! and deleting are edits of the snapshot list, and recalling is the edits that make the mix
//! the snapshot's, each one undo step, journalled like every edit.

use super::edit::{MixEdit, differences};
use super::mixer::Mixer;
use super::notice::Notice;
use crate::session::Snapshot;
use crate::session::snapshot::unique_name;

impl Mixer {
    /// A name for a snapshot taken now: the section under the play head and the time, like
    /// "Chorus 1, 1:02" (the time alone when there are no sections), made unique.
    pub fn default_snapshot_name(&self) -> String {
        let at = self.transport.position;
        let whole = (at.0.max(0.0)).floor() as u64;
        let time = format!("{}:{:02}", whole / 60, whole % 60);
        let wanted = match self.current_section(at) {
            Some(k) => format!("{}, {time}", self.session.sections[k].name),
            None => time,
        };
        unique_name(&self.session, &wanted)
    }

    /// Takes a snapshot of the mix now, named `name` (one undo step).
    pub(crate) fn take_snapshot(&mut self, name: &str) -> Result<(), Notice> {
        let name = checked_name(self, name, None)?;
        let mut snapshots = self.session.snapshots.clone();
        snapshots.push(Snapshot::take(&self.session, name.clone()));
        if self.edit(MixEdit::Snapshots { snapshots }) {
            self.message = Some(format!("Took snapshot {name} (u undoes, p lists them)"));
        }
        Ok(())
    }

    /// Renames snapshot `index` (one undo step).
    pub(crate) fn rename_snapshot(&mut self, index: usize, name: &str) -> Result<(), Notice> {
        let name = checked_name(self, name, Some(index))?;
        let mut snapshots = self.session.snapshots.clone();
        let Some(snapshot) = snapshots.get_mut(index) else {
            return Ok(());
        };
        let old = std::mem::replace(&mut snapshot.name, name.clone());
        if old != name && self.edit(MixEdit::Snapshots { snapshots }) {
            self.message = Some(format!("Renamed snapshot {old} to {name}"));
        }
        Ok(())
    }

    /// Deletes snapshot `index` (one undo step).
    pub(crate) fn delete_snapshot(&mut self, index: usize) {
        let mut snapshots = self.session.snapshots.clone();
        if index >= snapshots.len() {
            return;
        }
        let gone = snapshots.remove(index);
        if self.edit(MixEdit::Snapshots { snapshots }) {
            self.message = Some(format!("Deleted snapshot {} (u undoes)", gone.name));
        }
    }

    /// Makes the mix snapshot `index`'s: the edits between the mix now and the snapshot's,
    /// as one undo step.
    pub(crate) fn recall_snapshot(&mut self, index: usize) {
        let Some(snapshot) = self.session.snapshots.get(index) else {
            return;
        };
        let name = snapshot.name.clone();
        let recalled = snapshot.applied_to(&self.session);
        let edits: Vec<MixEdit> = differences(&self.session, &recalled)
            .into_iter()
            .map(|c| c.after)
            .collect();
        if edits.is_empty() {
            self.message = Some(format!("The mix is already snapshot {name}"));
            return;
        }
        let count = edits.len();
        if self.edit_group(edits) {
            let what = if count == 1 { "change" } else { "changes" };
            self.message = Some(format!(
                "Recalled snapshot {name}: {count} {what} (u undoes)"
            ));
        }
    }
}

/// `name` trimmed, when it is not empty and no other snapshot (than `renaming`) has it.
fn checked_name(mixer: &Mixer, name: &str, renaming: Option<usize>) -> Result<String, Notice> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Notice::Refused("type a name, like Vocal up".to_string()));
    }
    let taken = mixer
        .session
        .snapshots
        .iter()
        .enumerate()
        .any(|(i, s)| s.name == name && Some(i) != renaming);
    if taken {
        return Err(Notice::Refused(format!(
            "there is already a snapshot named {name}"
        )));
    }
    Ok(name.to_string())
}
