//! The groups `earmix new` proposes: one per family of roles (drums, guitars, vocals, keys)
//! that at least two channels share, at unity, for the user to keep, change or remove.

use toml_edit::{Array, ArrayOfTables, DocumentMut, Item, Table, value};

use crate::scan::PlannedChannel;
use crate::session::Role;

/// A family of roles and the name of the group proposed for it.
struct Family {
    name: &'static str,
    roles: &'static [Role],
}

/// The families, in the order their groups are written.
const FAMILIES: [Family; 4] = [
    Family {
        name: "Drums",
        roles: &[
            Role::Kick,
            Role::Snare,
            Role::Drums,
            Role::Room,
            Role::Percussion,
        ],
    },
    Family {
        name: "Guitars",
        roles: &[Role::Guitar],
    },
    Family {
        name: "Vocals",
        roles: &[Role::Vocal, Role::LeadVocal, Role::BackingVocal],
    },
    Family {
        name: "Keys",
        roles: &[Role::Keys, Role::Piano, Role::Synth, Role::Pad],
    },
];

/// A group `earmix new` proposes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposed {
    /// The group's name: the family's ("Drums"), or with " group" after it (and a number if
    /// need be) when a channel already has that name.
    pub name: String,
    /// The member channels' names, in channel order.
    pub members: Vec<String>,
}

/// One group for each family at least two of `channels` belong to, named so that no channel
/// has the name.
pub fn propose(channels: &[PlannedChannel]) -> Vec<Proposed> {
    let taken = |name: &str| channels.iter().any(|c| c.name == name);
    FAMILIES
        .iter()
        .filter_map(|family| {
            let members: Vec<String> = channels
                .iter()
                .filter(|c| family.roles.contains(&c.role))
                .map(|c| c.name.clone())
                .collect();
            if members.len() < 2 {
                return None;
            }
            let name = std::iter::once(family.name.to_string())
                // Of the family's name and n + 1 more, one is free of the n channels' names.
                .chain((1..=channels.len() + 1).map(|n| match n {
                    1 => format!("{} group", family.name),
                    n => format!("{} group {n}", family.name),
                }))
                .find(|name| !taken(name))?;
            Some(Proposed { name, members })
        })
        .collect()
}

/// The comment above the first proposed group.
const COMMENT: &str = "\n# Groups proposed by `earmix new` from the channels' roles: a group's fader adds to\n\
                       # each member's (members keep their own). Keep, change or remove them.\n";

/// Writes `groups` into `doc` as `[[group]]` tables at unity, the first with a comment saying
/// where they came from; nothing when there are none.
pub fn write(doc: &mut DocumentMut, groups: &[Proposed]) {
    if groups.is_empty() {
        return;
    }
    let mut tables = ArrayOfTables::new();
    for (i, group) in groups.iter().enumerate() {
        let mut table = Table::new();
        table
            .decor_mut()
            .set_prefix(if i == 0 { COMMENT } else { "\n" });
        table["name"] = value(group.name.as_str());
        let mut members: Array = group.members.iter().map(String::as_str).collect();
        members.fmt();
        table["members"] = value(members);
        table["gain_db"] = value(0.0);
        tables.push(table);
    }
    doc["group"] = Item::ArrayOfTables(tables);
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::engine::streams::StemInfo;
    use crate::units::Seconds;

    fn channel(name: &str, role: Role) -> PlannedChannel {
        PlannedChannel {
            name: name.into(),
            files: vec![PathBuf::from(format!("{name}.wav"))],
            infos: vec![StemInfo {
                format: "WAV".into(),
                channels: 1,
                sample_rate: 48_000,
                frames: 48_000,
            }],
            role,
            matched: None,
            start: Seconds(0.0),
            notes: Vec::new(),
        }
    }

    /// A family gets a group only with two channels or more; members keep channel order; a
    /// group whose name a channel has is called "... group" (and numbered past that).
    #[test]
    fn families_of_two_or_more_become_groups() {
        let channels = [
            channel("Drums", Role::Drums),
            channel("Kick In", Role::Kick),
            channel("Lead Vox", Role::LeadVocal),
            channel("Gtr", Role::Guitar),
            channel("Room", Role::Room),
            channel("BVs", Role::BackingVocal),
            channel("Piano", Role::Piano),
            channel("Bass", Role::Bass),
        ];
        assert_eq!(
            propose(&channels),
            [
                Proposed {
                    name: "Drums group".into(),
                    members: vec!["Drums".into(), "Kick In".into(), "Room".into()],
                },
                Proposed {
                    name: "Vocals".into(),
                    members: vec!["Lead Vox".into(), "BVs".into()],
                },
            ]
        );
        let crowded = [
            channel("Keys", Role::Keys),
            channel("Keys group", Role::Synth),
        ];
        assert_eq!(propose(&crowded)[0].name, "Keys group 2");
        assert!(propose(&crowded[..1]).is_empty());
    }
}
