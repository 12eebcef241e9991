//! `earmix sections import SESSION FILE`: a session's sections from a file of markers (see
//! [`crate::markers`]), written into the session file with its comments and layout kept.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::markers::{self, MarkerError, Plan};
use crate::session::lock::{self, Acquired, LockError};
use crate::session::{SaveError, Session};

/// How to import.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// Replace the session's sections when it has some (without it, such a session is refused).
    pub replace: bool,
    /// Print what would be written, and write nothing.
    pub dry_run: bool,
}

/// Why the markers could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The marker file is unreadable or malformed, or its markers cannot be sections.
    #[error(transparent)]
    Markers(#[from] MarkerError),
    /// The session has sections and `--replace` was not given.
    #[error(
        "{} already has {count} section(s) ({names}); give --replace to replace them with the \
         markers (a section a marker names again keeps its scene), or remove them first",
        path.display()
    )]
    HasSections {
        path: PathBuf,
        count: usize,
        names: String,
    },
    /// Another earmix has the session open.
    #[error(
        "{} is open in earmix ({owner}); quit it (or close the session) and import again",
        path.display()
    )]
    Open { path: PathBuf, owner: String },
    /// The session's lock could not be taken.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// The session file could not be read again or written.
    #[error(transparent)]
    Save(#[from] SaveError),
}

/// Imports the markers of `markers_path` as the sections of `session` (loaded from its file),
/// and returns the text to print: a table of the sections (name, start, the line or chunk each
/// came from), a note for each change made to the markers, and what was written.
///
/// Takes the session's lock while writing, so a session open in the console is not changed
/// under it. Not realtime-safe (file I/O).
pub fn import(
    session: &Session,
    markers_path: &Path,
    options: ImportOptions,
) -> Result<String, ImportError> {
    let read = markers::read(markers_path)?;
    let plan = markers::plan(&read, Some(session.length()))?;
    if !session.sections.is_empty() && !options.replace {
        return Err(ImportError::HasSections {
            path: session.path.clone(),
            count: session.sections.len(),
            names: session
                .sections
                .iter()
                .map(|s| format!("\"{}\"", s.name))
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let mut out = format!(
        "{} marker(s) in {} ({}):\n\n",
        read.markers.len(),
        markers_path.display(),
        read.format
    );
    out.push_str(&table(&plan));
    if !plan.notes.is_empty() {
        out.push_str("\nNotes:\n");
        for note in &plan.notes {
            let _ = writeln!(out, "  {note}");
        }
    }
    let kept: Vec<&str> = session
        .sections
        .iter()
        .filter(|s| plan.sections.iter().any(|p| p.name == s.name))
        .map(|s| s.name.as_str())
        .collect();
    let replaced = session.sections.len();
    let what = if replaced == 0 {
        format!(
            "{} section(s) to {}",
            plan.sections.len(),
            session.path.display()
        )
    } else {
        format!(
            "{} section(s) to {}, replacing the {replaced} it had ({} named again keep their \
             scenes)",
            plan.sections.len(),
            session.path.display(),
            kept.len()
        )
    };
    if options.dry_run {
        let _ = writeln!(out, "\nWould write {what}; --dry-run: nothing written.");
        return Ok(out);
    }
    let _lock = match lock::acquire(&session.path)? {
        Acquired::Locked(lock) => lock,
        Acquired::Held(owner) => {
            return Err(ImportError::Open {
                path: session.path.clone(),
                owner: owner.to_string(),
            });
        }
    };
    write(&session.path, &plan)?;
    let _ = writeln!(out, "\nWrote {what}.");
    Ok(out)
}

/// Writes the planned sections into the session file at `path`, atomically, keeping the rest of
/// the file as it is.
fn write(path: &Path, plan: &Plan) -> Result<(), SaveError> {
    let text = std::fs::read_to_string(path).map_err(|error| SaveError::Read {
        path: path.to_path_buf(),
        error,
    })?;
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        let offset = e.span().map_or(0, |s| s.start);
        let before = &text[..offset.min(text.len())];
        SaveError::NotToml {
            path: path.to_path_buf(),
            line: before.matches('\n').count() + 1,
            column: before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1,
            message: e.message().to_string(),
        }
    })?;
    markers::write_sections(&mut doc, &plan.sections);
    crate::session::file::write_atomically(path, doc.to_string().as_bytes())
}

/// The sections as a table: name, start, where the marker was.
pub(crate) fn table(plan: &Plan) -> String {
    let width = plan
        .sections
        .iter()
        .map(|s| s.name.chars().count())
        .chain(["Section".len()])
        .max()
        .unwrap_or(0);
    let mut out = format!("  {:<width$}  {:>9}  From\n", "Section", "Start");
    for section in &plan.sections {
        let _ = writeln!(
            out,
            "  {:<width$}  {:>9}  {}",
            section.name,
            section.start.to_string(),
            section.at
        );
    }
    out
}
