//! The exercise banner (UI thread): the panel an exercise in progress shows where the timeline
//! goes, with the exercise's title, the step to do now, the keys that matter now and, lit so a
//! glance tells, what is playing ("TARGET" or "YOUR MIX").
//!
//! On two rows the first is a rule carrying the title and, at its right end, the lit tag; the
//! second holds the step on the left and the keys against the right edge. On one row the tag
//! keeps the right end, the step comes first and the title only when everything fits.
//!
//! When the keys do not fit beside the step they give way in steps: the descriptions go from
//! the last key back (the first key keeps its own), then the keys themselves from the last;
//! only then is the step shortened (at a word where it can be).

use std::borrow::Cow;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style as CellStyle};
use ratatui::widgets::Widget;

use crate::ui::view::ExerciseBanner;
use crate::ui::widgets::Theme;
use crate::ui::widgets::clear;
use crate::ui::widgets::text::{clean, put, shorten, width};

/// Said before the lit tag on the title row when there is room: "hearing  TARGET ".
pub const HEARING_LABEL: &str = "hearing";

/// The cells between the step and the keys, and between two keys.
const GAP: usize = 2;

/// Rule cells each side of the title row.
const RULE_END: usize = 2;

/// The exercise banner.
#[derive(Debug, Clone, Copy)]
pub struct Banner<'a> {
    banner: &'a ExerciseBanner,
    theme: &'a Theme,
}

impl<'a> Banner<'a> {
    /// The banner for `banner`, drawn with `theme`.
    pub fn new(banner: &'a ExerciseBanner, theme: &'a Theme) -> Self {
        Self { banner, theme }
    }
}

/// A key, and what it does when shown.
type Key<'a> = (&'a str, Option<&'a str>);

/// The ways to show `keys`, from the fullest to the leanest: all with their descriptions;
/// then the descriptions dropped from the last key back to the second; then the keys dropped
/// from the last, down to the first with its description; then none.
pub fn key_forms<'a>(keys: &'a [(Cow<'a, str>, Cow<'a, str>)]) -> Vec<Vec<Key<'a>>> {
    let full: Vec<Key<'a>> = keys
        .iter()
        .map(|(key, what)| (key.as_ref(), (!what.is_empty()).then_some(what.as_ref())))
        .collect();
    let mut forms = vec![full.clone()];
    let mut form = full;
    for at in (1..form.len()).rev() {
        if form[at].1.is_some() {
            form[at].1 = None;
            forms.push(form.clone());
        }
    }
    while form.len() > 1 {
        form.pop();
        forms.push(form.clone());
    }
    if !form.is_empty() {
        forms.push(Vec::new());
    }
    forms
}

/// Cells a form of the keys takes: "Enter done  t  Esc".
pub fn keys_width(form: &[Key<'_>]) -> usize {
    let items: usize = form
        .iter()
        .map(|(key, what)| width(key) + what.map_or(0, |what| 1 + width(what)))
        .sum();
    items + GAP * form.len().saturating_sub(1)
}

/// The lit tag for what is playing, padded: " TARGET ".
fn tag_text(hearing: &str, ascii: bool) -> String {
    format!(" {} ", clean(hearing, ascii))
}

/// How a step row is laid out in its width.
#[derive(Debug, Clone, PartialEq)]
struct StepRow<'a> {
    /// The title first (one-row banners only).
    title: bool,
    /// The step as drawn.
    step: Cow<'a, str>,
    /// The keys as drawn.
    keys: Vec<Key<'a>>,
}

/// Lays out the step, the keys and (when `title` is offered) the title in `room` cells: the
/// title only when all else fits whole, then the fullest form of the keys that fits beside the
/// whole step, else the step alone, shortened if need be.
fn step_row<'a>(
    title: Option<&'a str>,
    step: &'a str,
    forms: &[Vec<Key<'a>>],
    room: usize,
    ellipsis: &str,
) -> StepRow<'a> {
    let step_w = width(step);
    let beside = |keys_w: usize| {
        if keys_w == 0 {
            step_w
        } else if step_w == 0 {
            keys_w
        } else {
            step_w + GAP + keys_w
        }
    };
    if let (Some(title), Some(full)) = (title, forms.first()) {
        let title_w = width(title);
        if title_w > 0 && title_w + GAP + beside(keys_width(full)) <= room {
            return StepRow {
                title: true,
                step: Cow::Borrowed(step),
                keys: full.clone(),
            };
        }
    }
    for form in forms {
        if beside(keys_width(form)) <= room {
            return StepRow {
                title: false,
                step: Cow::Borrowed(step),
                keys: form.clone(),
            };
        }
    }
    StepRow {
        title: false,
        step: shorten(step, room, ellipsis),
        keys: Vec::new(),
    }
}

impl Banner<'_> {
    /// The keys, cleaned for drawing.
    fn keys(&self) -> Vec<(Cow<'_, str>, Cow<'_, str>)> {
        let ascii = self.theme.ascii;
        self.banner
            .keys
            .iter()
            .map(|(key, what)| (clean(key, ascii), clean(what, ascii)))
            .collect()
    }

    /// The first of two rows: a rule with the title near its left end and the lit tag near
    /// its right end, "hearing" before the tag when there is room.
    fn draw_title_row(&self, buf: &mut Buffer, row: Rect) {
        let theme = self.theme;
        let glyphs = theme.glyphs;
        let w = row.width as usize;
        let title = clean(&self.banner.title, theme.ascii);
        let tag = self
            .banner
            .hearing
            .as_deref()
            .map(|hearing| tag_text(hearing, theme.ascii));
        let tag_w = tag.as_deref().map_or(0, width);
        // The cells right of the title's blank: " hearing  TAG ──", without "hearing", without
        // the rule's end; without a tag only the rule's end.
        let right = |label: bool, rule: bool| match tag {
            Some(_) => {
                1 + usize::from(label) * (width(HEARING_LABEL) + 1)
                    + tag_w
                    + usize::from(rule) * (1 + RULE_END)
            }
            None => usize::from(rule) * RULE_END,
        };
        let options: &[(bool, bool)] = if tag.is_some() {
            &[(true, true), (false, true)]
        } else {
            &[(false, true)]
        };
        let lead = RULE_END + 1;
        let title_w = width(&title);
        let (lead, label, rule) = options
            .iter()
            .find(|&&(label, rule)| lead + title_w + 1 + right(label, rule) <= w)
            .map_or((0, false, false), |&(label, rule)| (lead, label, rule));
        let right_w = right(label, rule);
        let rule_style = theme.dim();
        for x in row.left()..row.right() {
            put(buf, row, x, row.y, glyphs.edges[0], 1, rule_style);
        }
        // The title, shortened into what the tag leaves, a blank each side of it on the rule.
        let title_room = w.saturating_sub(lead + right_w + 1);
        let title = shorten(&title, title_room, glyphs.ellipsis);
        if !title.is_empty() {
            let mut x = row.x + lead as u16;
            if lead > 0 {
                x = put(buf, row, x - 1, row.y, " ", 1, CellStyle::new());
            }
            let bold = CellStyle::new().add_modifier(Modifier::BOLD);
            x = put(buf, row, x, row.y, &title, title_room, bold);
            put(buf, row, x, row.y, " ", 1, CellStyle::new());
        }
        if let Some(tag) = &tag {
            let start = row.right().saturating_sub(right_w as u16).max(row.x);
            let mut x = put(buf, row, start, row.y, " ", 1, CellStyle::new());
            if label {
                x = put(buf, row, x, row.y, HEARING_LABEL, w, theme.dim());
                x = put(buf, row, x, row.y, " ", 1, CellStyle::new());
            }
            x = put(buf, row, x, row.y, tag, w, theme.lit(Color::LightGreen));
            if rule {
                put(buf, row, x, row.y, " ", 1, CellStyle::new());
            }
        }
    }

    /// A row with the step, the keys against the right edge, the title first when `title`
    /// (one-row banners) and all fits, and the lit tag at the right end when `tag`.
    fn draw_step_row(&self, buf: &mut Buffer, row: Rect, title: bool, tag: bool) {
        let theme = self.theme;
        let w = row.width as usize;
        let tag = self
            .banner
            .hearing
            .as_deref()
            .filter(|_| tag)
            .map(|hearing| tag_text(hearing, theme.ascii))
            .filter(|tag| width(tag) <= w);
        let tag_w = tag.as_deref().map_or(0, |tag| width(tag) + 1);
        let room = w.saturating_sub(tag_w);
        let title_text = clean(&self.banner.title, theme.ascii);
        let step = clean(&self.banner.step, theme.ascii);
        let keys = self.keys();
        let forms = key_forms(&keys);
        let layout = step_row(
            title.then_some(title_text.as_ref()),
            &step,
            &forms,
            room,
            theme.glyphs.ellipsis,
        );
        let bold = CellStyle::new().add_modifier(Modifier::BOLD);
        let mut x = row.x;
        if layout.title {
            x = put(buf, row, x, row.y, &title_text, room, theme.dim());
            x += GAP as u16;
        }
        let step_room = room.saturating_sub(usize::from(x - row.x));
        put(buf, row, x, row.y, &layout.step, step_room, bold);
        let keys_w = keys_width(&layout.keys) as u16;
        let mut x = (row.x + room as u16).saturating_sub(keys_w);
        let key_style = theme.fg(Color::Cyan, Modifier::BOLD);
        for (at, (key, what)) in layout.keys.iter().enumerate() {
            if at > 0 {
                x += GAP as u16;
            }
            x = put(buf, row, x, row.y, key, w, key_style);
            if let Some(what) = what {
                x = put(buf, row, x + 1, row.y, what, w, CellStyle::new());
            }
        }
        if let Some(tag) = &tag {
            let x = row.right() - width(tag) as u16;
            put(buf, row, x, row.y, tag, w, theme.lit(Color::LightGreen));
        }
    }
}

impl Widget for Banner<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(*buf.area());
        if area.is_empty() {
            return;
        }
        clear(buf, area);
        let first = Rect::new(area.x, area.y, area.width, 1);
        if area.height >= 2 {
            self.draw_title_row(buf, first);
            let second = Rect::new(area.x, area.y + 1, area.width, 1);
            self.draw_step_row(buf, second, false, false);
        } else {
            self.draw_step_row(buf, first, true, true);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use ratatui::buffer::Cell;

    use super::*;
    use crate::ui::ballistics::Scale;
    use crate::ui::view::Style;

    fn theme(ascii: bool, color: bool) -> Theme {
        Theme::new(&Style {
            ascii,
            color,
            scale: Scale::default(),
        })
    }

    /// The blindfold balance test's banner, while `hearing` plays (shared with draw.rs's tests).
    pub(crate) fn banner(hearing: Option<&str>) -> ExerciseBanner {
        ExerciseBanner {
            title: "Blindfold Balance Test".to_owned(),
            step: "Balance Verse 1 by ear, then press Enter".to_owned(),
            keys: [
                ("Enter", "done"),
                ("t", "target/yours"),
                ("?", "help"),
                ("Esc", "leave"),
            ]
            .iter()
            .map(|&(key, what)| (key.to_owned(), what.to_owned()))
            .collect(),
            hearing: hearing.map(str::to_owned),
        }
    }

    /// Renders `banner` `w` x `h` into a buffer pre-filled with 'x'.
    fn render(banner: &ExerciseBanner, theme: &Theme, w: u16, h: u16) -> (Vec<String>, Buffer) {
        let mut buf = Buffer::filled(Rect::new(0, 0, w, h), Cell::new("x"));
        Banner::new(banner, theme).render(buf.area, &mut buf);
        let rows = (0..h)
            .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect())
            .collect();
        (rows, buf)
    }

    /// The keys give way description by description from the last, then key by key.
    #[test]
    fn keys_give_way_in_steps() {
        let banner = banner(None);
        let keys: Vec<(Cow<'_, str>, Cow<'_, str>)> = banner
            .keys
            .iter()
            .map(|(k, w)| (Cow::from(k.as_str()), Cow::from(w.as_str())))
            .collect();
        let forms = key_forms(&keys);
        let shown: Vec<usize> = forms.iter().map(|form| keys_width(form)).collect();
        assert_eq!(forms[0].len(), 4);
        assert_eq!(
            keys_width(&forms[0]),
            "Enter done  t target/yours  ? help  Esc leave".len()
        );
        assert_eq!(keys_width(&forms[3]), "Enter done  t  ?  Esc".len());
        assert_eq!(keys_width(&forms[5]), "Enter done  t".len());
        assert_eq!(keys_width(&forms[6]), "Enter done".len());
        assert!(forms[7].is_empty());
        assert!(shown.windows(2).all(|pair| pair[0] > pair[1]), "{shown:?}");
        assert_eq!(key_forms(&[]), vec![Vec::<Key<'_>>::new()]);
    }

    /// Two rows: the rule with the title and the lit tag, then the step and the keys; the
    /// keys lose descriptions before the step is touched, and the tag is reversed without
    /// colour.
    #[test]
    fn two_rows() {
        let (rows, buf) = render(&banner(Some("YOUR MIX")), &theme(true, false), 80, 2);
        let rule = "-".repeat(32);
        assert_eq!(
            rows[0],
            format!("-- Blindfold Balance Test {rule} hearing  YOUR MIX  --")
        );
        let step = "Balance Verse 1 by ear, then press Enter";
        assert_eq!(
            rows[1],
            format!("{step}      Enter done  t target/yours  ?  Esc")
        );
        let tag_x = rows[0].find("YOUR MIX").expect("the tag") as u16;
        for x in tag_x - 1..tag_x + 9 {
            assert!(buf[(x, 0)].modifier.contains(Modifier::REVERSED), "{x}");
        }
        assert!(!buf[(tag_x - 2, 0)].modifier.contains(Modifier::REVERSED));
        assert!(!buf[(tag_x + 9, 0)].modifier.contains(Modifier::REVERSED));
        let (rows, _) = render(&banner(None), &theme(true, false), 100, 2);
        let keys = "Enter done  t target/yours  ? help  Esc leave";
        assert_eq!(rows[1], format!("{step}{}{keys}", " ".repeat(15)));
        assert!(rows[0].ends_with("---"), "{}", rows[0]);
    }

    /// One row: the step first, the tag at the right end; the title only when all fits.
    #[test]
    fn one_row() {
        let (rows, _) = render(&banner(Some("TARGET")), &theme(true, false), 40, 1);
        assert_eq!(rows, ["Balance Verse 1 by ear, then~    TARGET "]);
        let (rows, _) = render(&banner(None), &theme(true, false), 120, 1);
        assert!(
            rows[0].starts_with("Blindfold Balance Test  Balance Verse 1"),
            "{}",
            rows[0]
        );
    }

    /// Any width draws without panic, with or without the tag, and writes only its area.
    #[test]
    fn any_width() {
        for hearing in [None, Some("YOUR MIX"), Some("")] {
            for ascii in [false, true] {
                for w in 1..130 {
                    for h in 1..4 {
                        render(&banner(hearing), &theme(ascii, true), w, h);
                    }
                }
            }
        }
        let mut odd = banner(Some("A very long tag that will not fit anywhere"));
        odd.keys.clear();
        odd.step.clear();
        odd.title = "\u{1b}[31mred\tfish".to_owned();
        for w in 1..60 {
            render(&odd, &theme(false, false), w, 2);
            render(&odd, &theme(false, false), w, 1);
        }
    }
}
