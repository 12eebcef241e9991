//! Musical time in a session file: `tempo`, `meter` and the `[[tempo_change]]` tables, read
//! into the song's tempo map (see [`crate::session::tempo`]).

use toml::Spanned;

use super::super::locate::join_key;
use super::super::raw::{Number, RawSession, RawTempoChange};
use super::super::tempo::{MAX_BPM, MIN_BPM, Meter, Tempo, TempoMap};
use super::{Checker, TempoState};

/// The tempo rule, in a session file's words.
fn tempo_rule() -> String {
    format!(
        "a tempo is beats per minute from {MIN_BPM} to {MAX_BPM}, like 120 (a beat is the note \
         value of the meter: eighths in 6/8)"
    )
}

/// Reads `tempo`, `meter` and the `[[tempo_change]]` tables into the song's tempo map.
pub(super) fn check_tempo(check: &mut Checker<'_, '_>, raw: &RawSession) -> TempoState {
    let mut broken = false;
    let bpm = raw.tempo.as_ref().and_then(|bpm| {
        let ok = read_bpm(check, bpm, "tempo");
        broken |= ok.is_none();
        ok
    });
    let meter = raw.meter.as_ref().map_or(Some(Meter::COMMON), |meter| {
        let ok = read_meter(check, meter, "meter");
        broken |= ok.is_none();
        ok
    });
    let unreadable = |key: &str| raw.unreadable.iter().any(|k| k.starts_with(key));
    if unreadable("tempo") || unreadable("meter") {
        return TempoState::Broken;
    }
    if raw.tempo.is_none() {
        let needs = "needs the song's tempo: add `tempo = 120` (beats per minute) at the top \
                     of the file";
        if let Some(meter) = &raw.meter {
            check.bad(&meter.span(), "meter", format!("a meter {needs}"));
        }
        if let Some(first) = raw.tempo_change.first() {
            check.missing(
                first.span().start,
                "tempo_change[1]",
                format!("a tempo change {needs}"),
            );
        }
        return if raw.meter.is_some() || !raw.tempo_change.is_empty() {
            TempoState::Broken
        } else {
            TempoState::Absent
        };
    }
    let mut changes: Vec<(u32, Tempo)> = Vec::with_capacity(raw.tempo_change.len());
    let mut current = bpm.zip(meter).map(|(bpm, meter)| Tempo { bpm, meter });
    // The last change's bar and key, to say what a change must follow.
    let mut previous: Option<(u32, String)> = None;
    for (i, table) in raw.tempo_change.iter().enumerate() {
        let prefix = format!("tempo_change[{}]", i + 1);
        match read_change(check, table, &prefix, previous.as_ref(), current) {
            Some((bar, tempo)) => {
                changes.push((bar, tempo));
                current = Some(tempo);
                previous = Some((bar, prefix));
            }
            None => broken = true,
        }
    }
    match (bpm, meter) {
        (Some(bpm), Some(meter)) if !broken => {
            TempoState::Map(TempoMap::new(Tempo { bpm, meter }, &changes))
        }
        _ => TempoState::Broken,
    }
}

/// One `[[tempo_change]]`: its bar (after the change before it) and the tempo and meter from
/// there (what it does not give carries on from `current`). `None` after reporting a problem.
fn read_change(
    check: &mut Checker<'_, '_>,
    table: &Spanned<RawTempoChange>,
    prefix: &str,
    previous: Option<&(u32, String)>,
    current: Option<Tempo>,
) -> Option<(u32, Tempo)> {
    let raw = table.get_ref();
    let key = |k: &str| join_key(prefix, k);
    let bar = match &raw.bar {
        None => {
            check.missing(
                table.span().start,
                &key("bar"),
                "missing: every [[tempo_change]] needs the bar it starts at, like bar = 33",
            );
            None
        }
        Some(value) => {
            let n = value.get_ref().0;
            let after = previous.map_or(1, |(bar, _)| *bar);
            if n.fract() == 0.0 && n > f64::from(after) && n <= f64::from(u32::MAX) {
                Some(n as u32)
            } else {
                let rule = match previous {
                    Some((bar, other)) => format!("after {other}'s bar {bar}"),
                    None => "from 2 (bar 1 takes the top-level tempo and meter)".to_string(),
                };
                check.bad(
                    &value.span(),
                    &key("bar"),
                    format!("a tempo change starts at a whole bar number {rule}"),
                );
                None
            }
        }
    };
    if raw.tempo.is_none() && raw.meter.is_none() {
        check.missing(
            table.span().start,
            prefix,
            "a tempo change gives a new tempo, a new meter or both, like tempo = 120 or \
             meter = \"3/4\"",
        );
        return None;
    }
    let bpm = match &raw.tempo {
        Some(value) => Some(read_bpm(check, value, &key("tempo"))?),
        None => None,
    };
    let meter = match &raw.meter {
        Some(value) => Some(read_meter(check, value, &key("meter"))?),
        None => None,
    };
    let current = current?;
    Some((
        bar?,
        Tempo {
            bpm: bpm.unwrap_or(current.bpm),
            meter: meter.unwrap_or(current.meter),
        },
    ))
}

/// A tempo in beats per minute within [`MIN_BPM`]..=[`MAX_BPM`].
fn read_bpm(check: &mut Checker<'_, '_>, value: &Spanned<Number>, key: &str) -> Option<f64> {
    let bpm = value.get_ref().0;
    if (MIN_BPM..=MAX_BPM).contains(&bpm) {
        Some(bpm)
    } else {
        check.bad(&value.span(), key, tempo_rule());
        None
    }
}

/// A meter like `"6/8"`.
fn read_meter(check: &mut Checker<'_, '_>, value: &Spanned<String>, key: &str) -> Option<Meter> {
    let meter = Meter::parse(value.get_ref());
    if meter.is_none() {
        check.bad(&value.span(), key, Meter::RULE);
    }
    meter
}
