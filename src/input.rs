//! Input: which files to read, in which order, and how to decompress them.
//!
//! Paths and `-` (standard input) as given; a directory stands for the mail
//! log files in it. A rotated set (`maillog.3.gz maillog.2.gz maillog.1
//! maillog`, or `mail.log-20261120.gz mail.log`) is read oldest first,
//! whatever order it was given in, so events come out in time order.
//! Compression is recognised by the first bytes, never by the name.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use flate2::bufread::MultiGzDecoder;

/// One input to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// As the user named it (`-` for standard input).
    pub name: String,
    /// `None` for standard input.
    pub path: Option<PathBuf>,
    /// The file's modification time, from which classic timestamps get
    /// their year; `None` for standard input (now is used).
    pub modified: Option<SystemTime>,
}

impl Source {
    pub fn stdin() -> Source {
        Source {
            name: "-".into(),
            path: None,
            modified: None,
        }
    }

    fn file(path: PathBuf) -> Source {
        let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
        Source {
            name: path.display().to_string(),
            path: Some(path),
            modified,
        }
    }
}

/// How a source is compressed, from its magic bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
}

impl Compression {
    pub fn detect(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else {
            Compression::None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Compression::None => "plain",
            Compression::Gzip => "gzip",
        }
    }
}

/// An input that could not be found or opened.
#[derive(Debug)]
pub struct InputError {
    pub name: String,
    pub error: io::Error,
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.name, self.error)
    }
}

/// The default inputs when none is given: the first of these that exists.
pub const DEFAULT_LOGS: [&str; 2] = ["/var/log/maillog", "/var/log/mail.log"];

/// Turns the command line's inputs into the sources to read, in reading
/// order, and the ones that cannot be read at all.
pub fn resolve(inputs: &[PathBuf]) -> (Vec<Source>, Vec<InputError>) {
    let mut errors = Vec::new();
    if inputs.is_empty() {
        return match DEFAULT_LOGS.iter().map(Path::new).find(|p| p.exists()) {
            Some(p) => (vec![Source::file(p.to_path_buf())], errors),
            None => {
                errors.push(InputError {
                    name: DEFAULT_LOGS.join(" or "),
                    error: io::Error::new(
                        io::ErrorKind::NotFound,
                        "no mail log found; name one, or - for standard input",
                    ),
                });
                (Vec::new(), errors)
            }
        };
    }
    let mut files: Vec<PathBuf> = Vec::new();
    let mut sources = Vec::new();
    let mut stdin_seen = false;
    for input in inputs {
        if input.as_os_str() == "-" {
            // Standard input can be read once; it comes where it was named,
            // after the files before it.
            sources.extend(
                order_rotated(std::mem::take(&mut files))
                    .into_iter()
                    .map(Source::file),
            );
            if !stdin_seen {
                sources.push(Source::stdin());
                stdin_seen = true;
            }
            continue;
        }
        match std::fs::metadata(input) {
            Ok(meta) if meta.is_dir() => match mail_logs_in(input) {
                Ok(found) if !found.is_empty() => files.extend(found),
                Ok(_) => errors.push(InputError {
                    name: input.display().to_string(),
                    error: io::Error::new(
                        io::ErrorKind::NotFound,
                        "directory holds no mail log (maillog*, mail.log*, mail*)",
                    ),
                }),
                Err(error) => errors.push(InputError {
                    name: input.display().to_string(),
                    error,
                }),
            },
            Ok(_) => files.push(input.clone()),
            Err(error) => errors.push(InputError {
                name: input.display().to_string(),
                error,
            }),
        }
    }
    sources.extend(order_rotated(files).into_iter().map(Source::file));
    (sources, errors)
}

/// The mail log files of a directory: names starting with `maillog`,
/// `mail.log`, `mail.info` or `mail`, but not `mail.err` and `mail.warn`
/// (syslog's copies of a subset of the same lines).
fn mail_logs_in(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let (base, _) = rotation_of(name);
        let wanted = matches!(base, "maillog" | "mail.log" | "mail.info" | "mail");
        if wanted && entry.file_type().map(|t| t.is_file()).unwrap_or(false) {
            found.push(entry.path());
        }
    }
    found.sort();
    Ok(found)
}

/// Where a file stands in its rotated set: the live file is newest; `.N`
/// suffixes count back in time; `-YYYYMMDD` date suffixes count forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Rotation {
    /// `name.N[.gz]`: higher is older.
    Numbered(u64),
    /// `name-YYYYMMDD[HH…][.gz]`: lower is older.
    Dated(u64),
    Live,
}

impl Rotation {
    /// A key that sorts oldest first.
    fn age_key(self) -> (u8, i128) {
        match self {
            Rotation::Numbered(n) => (0, -(n as i128)),
            Rotation::Dated(d) => (0, d as i128 - (1i128 << 80)),
            Rotation::Live => (1, 0),
        }
    }
}

/// Splits a file name into its set's base name and its place in the set.
fn rotation_of(name: &str) -> (&str, Rotation) {
    let stem = strip_compression_suffix(name);
    if let Some(dot) = stem.rfind('.') {
        let num = &stem[dot + 1..];
        if !num.is_empty() && num.len() <= 6 && num.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(n) = num.parse() {
                return (&stem[..dot], Rotation::Numbered(n));
            }
        }
    }
    if let Some(dash) = stem.rfind('-') {
        let date = &stem[dash + 1..];
        if date.len() >= 8 && date.len() <= 14 && date.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(d) = date.parse() {
                return (&stem[..dash], Rotation::Dated(d));
            }
        }
    }
    (stem, Rotation::Live)
}

fn strip_compression_suffix(name: &str) -> &str {
    for suffix in [".gz", ".bz2", ".xz", ".zst"] {
        if let Some(stem) = name.strip_suffix(suffix) {
            return stem;
        }
    }
    name
}

/// Orders files so that each rotated set reads oldest first. Sets keep the
/// order in which they were first named; files in a set that are not told
/// apart by their names fall back to modification time.
fn order_rotated(files: Vec<PathBuf>) -> Vec<PathBuf> {
    let mut sets: Vec<(PathBuf, Vec<PathBuf>)> = Vec::new();
    for file in files {
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let base = file.with_file_name(rotation_of(name).0);
        match sets.iter_mut().find(|(b, _)| *b == base) {
            Some((_, members)) => {
                if !members.contains(&file) {
                    members.push(file)
                }
            }
            None => sets.push((base, vec![file])),
        }
    }
    let mut ordered = Vec::new();
    for (_, mut members) in sets {
        members.sort_by_cached_key(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let mtime = std::fs::metadata(p).and_then(|m| m.modified()).ok();
            (rotation_of(name).1.age_key(), mtime)
        });
        ordered.extend(members);
    }
    ordered
}

/// Opens a source for reading: its bytes, decompressed when its magic says
/// so (concatenated gzip members are read whole).
pub fn open(source: &Source) -> io::Result<(Box<dyn Read + Send>, Compression)> {
    let raw: Box<dyn Read + Send> = match &source.path {
        Some(path) => Box::new(File::open(path)?),
        None => Box::new(io::stdin()),
    };
    let mut buffered = BufReader::with_capacity(256 * 1024, raw);
    let compression = Compression::detect(buffered.fill_buf()?);
    let reader: Box<dyn Read + Send> = match compression {
        Compression::None => Box::new(buffered),
        Compression::Gzip => Box::new(MultiGzDecoder::new(buffered)),
    };
    Ok((reader, compression))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(paths: &[PathBuf]) -> Vec<String> {
        paths
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn rotated_set_in_any_order_reads_oldest_first() {
        let given: Vec<PathBuf> = [
            "maillog",
            "maillog.1",
            "maillog.3.gz",
            "maillog.2.gz",
            "maillog.10.gz",
        ]
        .iter()
        .map(|n| PathBuf::from("/nonexistent").join(n))
        .collect();
        assert_eq!(
            names(&order_rotated(given)),
            [
                "maillog.10.gz",
                "maillog.3.gz",
                "maillog.2.gz",
                "maillog.1",
                "maillog"
            ]
        );
    }

    #[test]
    fn dated_set_reads_oldest_first() {
        let given: Vec<PathBuf> = [
            "mail.log",
            "mail.log-20261121.gz",
            "mail.log-20261119.gz",
            "mail.log-20261120",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        assert_eq!(
            names(&order_rotated(given)),
            [
                "mail.log-20261119.gz",
                "mail.log-20261120",
                "mail.log-20261121.gz",
                "mail.log"
            ]
        );
    }

    #[test]
    fn separate_sets_keep_the_order_they_were_named_in() {
        let given: Vec<PathBuf> = ["b.log", "a.log.1", "b.log.1", "a.log"]
            .iter()
            .map(PathBuf::from)
            .collect();
        assert_eq!(
            names(&order_rotated(given)),
            ["b.log.1", "b.log", "a.log.1", "a.log"]
        );
    }

    #[test]
    fn rotation_names() {
        assert_eq!(rotation_of("maillog.2.gz"), ("maillog", Rotation::Numbered(2)));
        assert_eq!(rotation_of("mail.log"), ("mail.log", Rotation::Live));
        assert_eq!(
            rotation_of("mail.log-20261121.gz"),
            ("mail.log", Rotation::Dated(20261121))
        );
        assert_eq!(rotation_of("mail.err"), ("mail.err", Rotation::Live));
    }

    #[test]
    fn gzip_is_recognised_by_magic_not_name() {
        assert_eq!(Compression::detect(&[0x1f, 0x8b, 8, 0]), Compression::Gzip);
        assert_eq!(Compression::detect(b"Nov 21 03:14:07"), Compression::None);
        assert_eq!(Compression::detect(b""), Compression::None);
    }
}
