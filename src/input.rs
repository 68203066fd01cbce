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
use indicatif::ProgressBar;

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
    /// A program whose output is read instead of a file (`--journal`).
    pub command: Option<Vec<String>>,
    /// Only these bytes of the (decompressed) file, `start..end`: what
    /// `--state` has not read yet, up to the last whole line.
    pub range: Option<(u64, u64)>,
}

impl Source {
    pub fn stdin() -> Source {
        Source {
            name: "-".into(),
            path: None,
            modified: None,
            command: None,
            range: None,
        }
    }

    /// `journalctl` for the Postfix units, as JSON, limited to the window.
    pub fn journal(since: Option<i64>, until: Option<i64>) -> Source {
        let mut command: Vec<String> = ["journalctl", "--no-pager", "-o", "json", "-u", "postfix*"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        // journalctl reads "@SECONDS" as a time since the epoch.
        if let Some(s) = since {
            command.extend(["--since".into(), format!("@{s}")]);
        }
        if let Some(u) = until {
            command.extend(["--until".into(), format!("@{u}")]);
        }
        Source {
            name: command.join(" "),
            path: None,
            modified: None,
            command: Some(command),
            range: None,
        }
    }

    pub(crate) fn file(path: PathBuf) -> Source {
        let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
        Source {
            name: path.display().to_string(),
            path: Some(path),
            modified,
            command: None,
            range: None,
        }
    }
}

/// How a source is compressed, from its magic bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Bzip2,
    Xz,
    Zstd,
}

impl Compression {
    pub fn detect(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(b"BZh") && head.get(3).is_some_and(|b| (b'1'..=b'9').contains(b)) {
            Compression::Bzip2
        } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
            Compression::Xz
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Compression::None => "plain",
            Compression::Gzip => "gzip",
            Compression::Bzip2 => "bzip2",
            Compression::Xz => "xz",
            Compression::Zstd => "zstd",
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
    sources.extend(order_rotated(once_each(files)).into_iter().map(Source::file));
    (sources, errors)
}

/// The files with each one kept once: a file named twice, or beside a
/// (sym)link to it, would count every line twice. Said on stderr.
fn once_each(files: Vec<PathBuf>) -> Vec<PathBuf> {
    use std::os::unix::fs::MetadataExt;
    let mut seen: std::collections::HashMap<(u64, u64), PathBuf> = std::collections::HashMap::new();
    files
        .into_iter()
        .filter(|path| {
            let Ok(meta) = std::fs::metadata(path) else {
                return true; // opened later, and its error reported then
            };
            match seen.entry((meta.dev(), meta.ino())) {
                std::collections::hash_map::Entry::Occupied(first) => {
                    eprintln!(
                        "bounce-report: {} is the same file as {}: read once",
                        path.display(),
                        first.get().display()
                    );
                    false
                }
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(path.clone());
                    true
                }
            }
        })
        .collect()
}

/// The names of a directory's mail log sets, the one to read first: syslog
/// setups write the same lines to more than one (Debian's rsyslog: all of
/// `mail.*` to `mail.log`, and `mail.info` and above again to `mail.info`;
/// `mail.warn` and `mail.err` are subsets too), so one set is read.
const LOG_SETS: [&str; 4] = ["maillog", "mail.log", "mail", "mail.info"];

/// The mail log files of a directory: the rotated set of the first name of
/// [`LOG_SETS`] present (the others are syslog's copies of the same lines,
/// left out with a word on stderr); never `mail.err` or `mail.warn`.
fn mail_logs_in(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut sets: [Vec<PathBuf>; LOG_SETS.len()] = Default::default();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let (base, _) = rotation_of(name);
        let Some(set) = LOG_SETS.iter().position(|&b| b == base) else {
            continue;
        };
        if entry.file_type().map(|t| t.is_file()).unwrap_or(false) {
            sets[set].push(entry.path());
        }
    }
    let Some(first) = sets.iter().position(|s| !s.is_empty()) else {
        return Ok(Vec::new());
    };
    let copies: Vec<&str> = (first + 1..LOG_SETS.len())
        .filter(|&i| !sets[i].is_empty())
        .map(|i| LOG_SETS[i])
        .collect();
    if !copies.is_empty() {
        eprintln!(
            "bounce-report: {}: reading {}*; left out {}* (syslog's copies of the same lines)",
            dir.display(),
            LOG_SETS[first],
            copies.join("*, ")
        );
    }
    let mut found = std::mem::take(&mut sets[first]);
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
pub fn open(
    source: &Source,
    progress: Option<&ProgressBar>,
) -> io::Result<(Box<dyn Read + Send>, Compression)> {
    let raw: Box<dyn Read + Send> = match (&source.path, &source.command) {
        (Some(path), _) if source.range.is_some() => {
            if let Some(plain) = open_range(path, source.range)? {
                return Ok(plain);
            }
            Box::new(File::open(path)?)
        }
        (Some(path), _) => Box::new(File::open(path)?),
        (None, Some(command)) => Box::new(spawn(command)?),
        (None, None) => Box::new(io::stdin()),
    };
    // Progress counts the bytes as they are on disk, before decompression,
    // so that it can be set against the files' sizes.
    let raw: Box<dyn Read + Send> = match progress {
        Some(bar) => Box::new(bar.wrap_read(raw)),
        None => raw,
    };
    let mut buffered = BufReader::with_capacity(256 * 1024, raw);
    let compression = Compression::detect(buffered.fill_buf()?);
    // Every decoder reads concatenated streams (members, frames) whole, as
    // `cat a.gz b.gz` and `logrotate` with `compresscmd` can produce.
    let reader: Box<dyn Read + Send> = match compression {
        Compression::None => Box::new(buffered),
        Compression::Gzip => Box::new(MultiGzDecoder::new(buffered)),
        Compression::Bzip2 => Box::new(bzip2::bufread::MultiBzDecoder::new(buffered)),
        Compression::Xz => Box::new(liblzma::bufread::XzDecoder::new_multi_decoder(buffered)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(buffered)?),
    };
    let Some((start, end)) = source.range else {
        return Ok((reader, compression));
    };
    let mut reader = reader;
    let wanted = end.saturating_sub(start);
    if wanted == 0 {
        return Ok((Box::new(io::empty()), compression));
    }
    // Decompressed bytes cannot be seeked over: they are read and dropped
    // (a plain file is seeked, in `open_range`).
    let skipped = io::copy(&mut (&mut reader).take(start), &mut io::sink())?;
    if skipped < start {
        return Err(io::Error::other(format!(
            "holds {skipped} bytes, fewer than the {start} read before: it changed since"
        )));
    }
    Ok((Box::new(reader.take(wanted)), compression))
}

/// A plain file's `range`: seeked to its start, read to its end.
/// `None` for a compressed file (its range is of the decompressed bytes).
#[allow(clippy::type_complexity)]
fn open_range(
    path: &Path,
    range: Option<(u64, u64)>,
) -> io::Result<Option<(Box<dyn Read + Send>, Compression)>> {
    use std::io::{Seek, SeekFrom};
    let Some((start, end)) = range else {
        return Ok(None);
    };
    let mut file = File::open(path)?;
    let mut head = [0u8; 8];
    let n = read_full(&mut file, &mut head)?;
    if Compression::detect(&head[..n]) != Compression::None {
        return Ok(None);
    }
    file.seek(SeekFrom::Start(start))?;
    Ok(Some((
        Box::new(file.take(end.saturating_sub(start))),
        Compression::None,
    )))
}

/// Reads until `buf` is full or the end: how many bytes it holds.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// A command's output; at its end, a failing exit status is an error, so a
/// journalctl that found nothing to read is reported, not taken for an
/// empty log.
struct ChildOutput {
    program: String,
    child: std::process::Child,
    stdout: std::process::ChildStdout,
}

impl Read for ChildOutput {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.stdout.read(buf)?;
        if n == 0 && !buf.is_empty() {
            let status = self.child.wait()?;
            if !status.success() {
                return Err(io::Error::other(format!("{} failed ({status})", self.program)));
            }
        }
        Ok(n)
    }
}

/// Runs `command` with its output piped to us; its errors go to our stderr.
fn spawn(command: &[String]) -> io::Result<ChildOutput> {
    let (program, args) = command
        .split_first()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no command"))?;
    let child = std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => io::Error::new(
                io::ErrorKind::NotFound,
                format!("{program} not found: --journal needs systemd's {program}; read log files instead"),
            ),
            _ => e,
        })?;
    let mut child = child;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| io::Error::other(format!("{program}: no output pipe")))?;
    Ok(ChildOutput {
        program: program.clone(),
        child,
        stdout,
    })
}

/// On-disk bytes of the sources that are files (standard input and
/// commands count nothing): what a progress bar runs up to.
pub fn total_size(sources: &[Source]) -> u64 {
    sources
        .iter()
        .filter_map(|s| s.path.as_ref())
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
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
    fn compression_is_recognised_by_magic_not_name() {
        assert_eq!(Compression::detect(&[0x1f, 0x8b, 8, 0]), Compression::Gzip);
        assert_eq!(Compression::detect(b"BZh91AY&SY"), Compression::Bzip2);
        assert_eq!(Compression::detect(b"BZhx"), Compression::None);
        assert_eq!(
            Compression::detect(&[0xfd, b'7', b'z', b'X', b'Z', 0, 0]),
            Compression::Xz
        );
        assert_eq!(
            Compression::detect(&[0x28, 0xb5, 0x2f, 0xfd, 0]),
            Compression::Zstd
        );
        assert_eq!(Compression::detect(b"Nov 21 03:14:07"), Compression::None);
        assert_eq!(Compression::detect(b""), Compression::None);
    }
}
