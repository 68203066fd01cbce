//! [`CatalogueError`]: why a catalogue could not be loaded.

use std::path::PathBuf;

/// Why a catalogue could not be loaded. Every message names the file (and,
/// where there is one, the line and the item) so the user can fix it.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    /// The user pattern directory or one of its files could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file is not valid TOML, or has a field of the wrong type or name.
    #[error("{file}:{line}: {message}")]
    Syntax {
        file: String,
        line: usize,
        message: String,
    },
    /// An entry is well-formed TOML but wrong, e.g.
    /// `patterns/x.toml:12: rule "foo": unknown cause "user_unknwon" (did you mean "user_unknown"?)`.
    #[error("{file}:{line}: {item}: {message}")]
    Invalid {
        file: String,
        line: usize,
        /// What is wrong, e.g. `rule "foo"` or `dsn "5.1.1"`.
        item: String,
        message: String,
    },
    /// A cause of the SPEC has no `[[cause]]` entry in any file.
    #[error("no [[cause]] entry describes cause \"{0}\" (the built-in causes.toml has one for every cause; a replacement must keep them)")]
    MissingCause(&'static str),
}
