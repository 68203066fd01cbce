//! `-o FILE`: writing a report so that no reader ever sees half of it.
//!
//! node_exporter's textfile collector reads `*.prom` files whenever it is
//! scraped, and a mail or web job may pick up a report file at any time; a
//! file written in place can be read half-written. [`AtomicFile`] writes a
//! temporary file beside the target (`.NAME.tmp-PID`, same directory so the
//! rename stays on one file system, and a leading dot so the collector's
//! `*.prom` glob skips it), syncs it, and renames it over the target: readers
//! see the old file or the new one, never a mix. Dropped without
//! [`AtomicFile::commit`] (an error on the way), it removes the temporary
//! file and leaves the target as it was.
//!
//! A symlink at the target is written through: the file it names is
//! replaced (keeping its mode, and its owner where we may set it) and the
//! link stays. SIGINT, SIGTERM and SIGHUP while the temporary file exists
//! remove it before the process dies of the signal.
//!
//! Wiring `-o` to it is `lib.rs`'s job; this module only owns the file.

use std::ffi::CString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::Once;

/// A file that appears at its path, whole, only on [`commit`](Self::commit).
/// A path that names something other than a file (`/dev/null`, a FIFO, a
/// terminal) is written in place: renaming over it would put a file where
/// the device or pipe was.
#[derive(Debug)]
pub struct AtomicFile {
    /// As given, for messages.
    target: PathBuf,
    /// What the temporary file is renamed over: `target`, or the file its
    /// symlinks lead to.
    real: PathBuf,
    /// `None` when writing in place.
    temp: Option<PathBuf>,
    /// `None` once committed.
    file: Option<BufWriter<File>>,
}

impl AtomicFile {
    /// Creates the temporary file beside `target`, or opens `target` itself
    /// when it is there and neither a file nor a directory.
    ///
    /// Errors: `target` names no file (`/`, `..`), or its directory does not
    /// exist or is not writable.
    pub fn create(target: impl AsRef<Path>) -> io::Result<AtomicFile> {
        let target = target.as_ref().to_path_buf();
        // A device or pipe, through links or not (`/dev/stdout`): in place.
        if fs::metadata(&target).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
            let file = OpenOptions::new().write(true).open(&target)?;
            return Ok(AtomicFile {
                real: target.clone(),
                target,
                temp: None,
                file: Some(BufWriter::new(file)),
            });
        }
        let real = through_links(&target)?;
        let temp = temp_path(&real)?;
        remove_on_signal(&temp);
        // create_new: never follow a symlink or reuse a file someone planted
        // at the temporary name; a leftover of a crashed run with the same
        // pid is removed once and the creation retried.
        let open = || OpenOptions::new().write(true).create_new(true).open(&temp);
        let file = match open() {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                fs::remove_file(&temp)?;
                open()?
            }
            other => other?,
        };
        // A replaced file keeps its permissions and, where we may set them
        // (as root, or a group we are in), its owner and group, so a
        // collector or web server that could read it still can.
        if let Ok(meta) = fs::metadata(&real) {
            if meta.is_file() {
                use std::os::unix::fs::MetadataExt;
                let _ = std::os::unix::fs::fchown(&file, Some(meta.uid()), Some(meta.gid()));
                let _ = std::os::unix::fs::fchown(&file, None, Some(meta.gid()));
                file.set_permissions(meta.permissions())?;
            }
        }
        Ok(AtomicFile {
            target,
            real,
            temp: Some(temp),
            file: Some(BufWriter::new(file)),
        })
    }

    /// The path the file will have once committed, as given.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Flushes, syncs the data to disk, and renames the temporary file over
    /// the target; then syncs the directory so the rename itself survives a
    /// crash. On error the temporary file is removed and the target is left
    /// as it was.
    pub fn commit(mut self) -> io::Result<()> {
        let Some(writer) = self.file.take() else {
            return Ok(());
        };
        let Some(temp) = self.temp.take() else {
            // Written in place: nothing to rename or sync.
            return writer.into_inner().map(drop).map_err(|e| e.into_error());
        };
        let result = (|| {
            let file = writer.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
            drop(file);
            fs::rename(&temp, &self.real)?;
            sync_dir(&self.real);
            Ok(())
        })();
        if result.is_err() {
            let _ = fs::remove_file(&temp);
        }
        forget_on_signal();
        result
    }

    fn writer(&mut self) -> io::Result<&mut BufWriter<File>> {
        self.file
            .as_mut()
            .ok_or_else(|| io::Error::other("AtomicFile written after commit"))
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer()?.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.writer()?.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer()?.flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if let (Some(_), Some(temp)) = (self.file.take(), &self.temp) {
            // Not committed: the run failed, and the target keeps its old
            // contents. Nothing to report from a destructor.
            let _ = fs::remove_file(temp);
            forget_on_signal();
        }
    }
}

/// `path`, or the file its symlinks lead to (which need not exist yet):
/// replacing the link itself would cut it from the file it named.
fn through_links(path: &Path) -> io::Result<PathBuf> {
    let mut path = path.to_path_buf();
    for _ in 0..40 {
        match fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => {
                let to = fs::read_link(&path)?;
                path = match path.parent() {
                    Some(dir) if to.is_relative() => dir.join(to),
                    _ => to,
                };
            }
            _ => return Ok(path),
        }
    }
    Err(io::Error::other(format!(
        "{}: too many levels of symbolic links",
        path.display()
    )))
}

/// The temporary file to remove when a signal ends the run: a C string
/// that is never freed, for the handler to read without locks.
static TEMP_ON_SIGNAL: AtomicPtr<libc::c_char> = AtomicPtr::new(std::ptr::null_mut());

/// Removes `temp` if SIGINT, SIGTERM or SIGHUP comes before it is
/// committed or dropped: a large hidden `.NAME.tmp-PID` is not left behind.
fn remove_on_signal(temp: &Path) {
    static HANDLERS: Once = Once::new();
    HANDLERS.call_once(|| {
        for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            // SAFETY: the handler only calls async-signal-safe functions
            // (unlink, signal, raise) and reads an atomic.
            unsafe {
                libc::signal(signal, on_signal as *const () as libc::sighandler_t);
            }
        }
    });
    if let Ok(c) = CString::new(temp.as_os_str().as_bytes()) {
        TEMP_ON_SIGNAL.store(c.into_raw(), Ordering::SeqCst);
    }
}

/// The temporary file is gone or committed: a signal now removes nothing.
/// (Its name is left allocated: the handler may be reading it.)
fn forget_on_signal() {
    TEMP_ON_SIGNAL.store(std::ptr::null_mut(), Ordering::SeqCst);
}

extern "C" fn on_signal(signal: libc::c_int) {
    let temp = TEMP_ON_SIGNAL.swap(std::ptr::null_mut(), Ordering::SeqCst);
    // SAFETY: `temp` is null or a C string that is never freed; unlink,
    // signal and raise are async-signal-safe. The process then dies of the
    // signal, as it would have without the handler.
    unsafe {
        if !temp.is_null() {
            libc::unlink(temp);
        }
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
    }
}

/// Whether standard output was closed when the program started: the Rust
/// runtime then opens `/dev/null` read-write in its place, and everything
/// written to it is lost. (A shell's `>/dev/null` opens it write-only.)
pub fn stdout_was_closed() -> bool {
    use std::os::fd::AsFd;
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let stdout = io::stdout();
    let Ok(fd) = stdout.as_fd().try_clone_to_owned() else {
        return true;
    };
    let Ok(meta) = File::from(fd).metadata() else {
        return false;
    };
    let null = fs::metadata("/dev/null").map(|m| m.rdev()).ok();
    // SAFETY: F_GETFL on a descriptor we hold reads its flags, nothing else.
    let flags = unsafe { libc::fcntl(libc::STDOUT_FILENO, libc::F_GETFL) };
    meta.file_type().is_char_device()
        && Some(meta.rdev()) == null
        && flags >= 0
        && flags & libc::O_ACCMODE == libc::O_RDWR
}

/// `dir/.NAME.tmp-PID` for `dir/NAME`.
fn temp_path(target: &Path) -> io::Result<PathBuf> {
    let name = target.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{}: not a file name", target.display()),
        )
    })?;
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".tmp-{}", std::process::id()));
    Ok(match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(temp_name),
        _ => PathBuf::from(temp_name),
    })
}

/// Syncs the directory holding `path`, where the platform can (a directory
/// opens as a file on Unix); a failure only weakens durability, not
/// atomicity, so it is ignored.
fn sync_dir(path: &Path) {
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .expect("read_dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn temp_file_sits_beside_the_target_hidden_and_named_by_pid() {
        let t = temp_path(Path::new("/var/lib/node_exporter/bounces.prom")).expect("path");
        assert_eq!(
            t,
            PathBuf::from(format!(
                "/var/lib/node_exporter/.bounces.prom.tmp-{}",
                std::process::id()
            ))
        );
        let bare = temp_path(Path::new("out.html")).expect("path");
        assert_eq!(
            bare,
            PathBuf::from(format!(".out.html.tmp-{}", std::process::id()))
        );
    }

    #[test]
    fn commit_writes_the_target_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("bounces.prom");
        let mut f = AtomicFile::create(&target).expect("create");
        f.write_all(b"metric 1\n").expect("write");
        // Until the commit, only the hidden temporary file exists.
        assert!(!target.exists());
        assert_eq!(
            entries(dir.path()),
            vec![format!(".bounces.prom.tmp-{}", std::process::id())]
        );
        f.commit().expect("commit");
        assert_eq!(fs::read_to_string(&target).expect("read"), "metric 1\n");
        assert_eq!(entries(dir.path()), vec!["bounces.prom".to_string()]);
    }

    #[test]
    fn drop_without_commit_keeps_the_old_file_and_removes_the_temp() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("report.html");
        fs::write(&target, "old").expect("seed");
        {
            let mut f = AtomicFile::create(&target).expect("create");
            f.write_all(b"half a new rep").expect("write");
        }
        assert_eq!(fs::read_to_string(&target).expect("read"), "old");
        assert_eq!(entries(dir.path()), vec!["report.html".to_string()]);
    }

    #[test]
    fn commit_replaces_an_existing_file_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("m.prom");
        fs::write(&target, "old contents that are longer than the new ones").expect("seed");
        let mut f = AtomicFile::create(&target).expect("create");
        write!(f, "new").expect("write");
        f.commit().expect("commit");
        assert_eq!(fs::read_to_string(&target).expect("read"), "new");
    }

    #[cfg(unix)]
    #[test]
    fn a_replaced_file_keeps_its_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("m.prom");
        fs::write(&target, "old").expect("seed");
        fs::set_permissions(&target, fs::Permissions::from_mode(0o644)).expect("chmod");
        let mut f = AtomicFile::create(&target).expect("create");
        f.write_all(b"new").expect("write");
        f.commit().expect("commit");
        let mode = fs::metadata(&target).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o644);
    }

    #[test]
    fn a_stale_temp_file_is_replaced_not_followed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("m.prom");
        let stale = temp_path(&target).expect("path");
        fs::write(&stale, "stale").expect("seed");
        let mut f = AtomicFile::create(&target).expect("create");
        f.write_all(b"fresh").expect("write");
        f.commit().expect("commit");
        assert_eq!(fs::read_to_string(&target).expect("read"), "fresh");
        assert!(!stale.exists());
    }

    #[test]
    fn a_failed_rename_removes_the_temp_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        // A directory cannot be replaced by a file.
        let target = dir.path().join("taken");
        fs::create_dir(target.join("")).expect("mkdir");
        fs::write(target.join("inside"), "x").expect("seed");
        let mut f = AtomicFile::create(&target).expect("create");
        f.write_all(b"report").expect("write");
        assert!(f.commit().is_err());
        assert_eq!(entries(dir.path()), vec!["taken".to_string()]);
    }

    #[test]
    fn a_symlink_is_written_through_and_kept() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        fs::create_dir(dir.path().join("real")).expect("mkdir");
        let file = dir.path().join("real/m.prom");
        fs::write(&file, "old").expect("seed");
        fs::set_permissions(&file, fs::Permissions::from_mode(0o640)).expect("chmod");
        let link = dir.path().join("m.prom");
        std::os::unix::fs::symlink("real/m.prom", &link).expect("symlink");
        let mut f = AtomicFile::create(&link).expect("create");
        assert_eq!(f.target(), link);
        f.write_all(b"new").expect("write");
        f.commit().expect("commit");
        assert!(fs::symlink_metadata(&link)
            .expect("link")
            .file_type()
            .is_symlink());
        assert_eq!(fs::read_to_string(&file).expect("read"), "new");
        let mode = fs::metadata(&file).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        // A link to a file not made yet makes it.
        fs::remove_file(&file).expect("rm");
        let mut f = AtomicFile::create(&link).expect("create");
        f.write_all(b"first").expect("write");
        f.commit().expect("commit");
        assert_eq!(fs::read_to_string(&file).expect("read"), "first");
    }

    #[test]
    fn a_missing_directory_or_no_file_name_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(AtomicFile::create(dir.path().join("no/such/dir/m.prom")).is_err());
        let e = AtomicFile::create(Path::new("/")).expect_err("no file name");
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    }
}
