//! Reading: sources → [`Piece`]s of whole lines, in order.
//!
//! One reader thread decompresses and reads while the workers analyse the
//! chunks before; buffers are cut after their last `\n`, the unfinished
//! tail rolls to the front of the next one, and a line longer than a buffer
//! grows it, up to [`MAX_LINE`]: a longer line is cut there (its first
//! `MAX_LINE + 1` bytes are passed on, for the workers to count it as
//! overlong, and the rest is read and dropped). Used buffers come back for
//! reuse, and the channel is bounded, so memory stays flat however large
//! the input, and however long its lines.
//!
//! A plain file, when several workers share the work, is not read here: it
//! is cut into [`Span`]s of byte offsets that the workers read themselves,
//! each into a buffer of its own, so that the copy from the kernel is shared
//! between the cores and a span is analysed on the core that read it.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::Arc;

use crate::input::{self, Compression, Source};
use crate::parse::{self, YearContext};
use crate::window::Window;

/// The longest line read: a line longer than this (1 MiB, without its
/// newline) is counted as overlong and not parsed, and no reader keeps more
/// than `MAX_LINE + 1` bytes of it. Postfix's own lines are a few KiB at
/// most (syslog daemons cut them at 8 KiB by default); anything longer is
/// damage (NUL runs, a binary file, `/dev/zero`).
pub const MAX_LINE: usize = 1 << 20;

/// A run of whole lines of one source.
#[derive(Debug)]
pub struct Chunk {
    pub seq: u64,
    pub source: usize,
    /// Byte offset of `bytes[0]` in the (decompressed) source.
    pub offset: u64,
    /// Whole lines; only a source's last chunk, or a chunk ending with the
    /// cut first `MAX_LINE + 1` bytes of an overlong line, may end without
    /// `\n`.
    pub bytes: Vec<u8>,
}

/// A plain file's lines that start at offsets `start..end`, for a worker
/// to read: the line running over `end` is read whole, the one running
/// over `start` is left to the span before. Spans that follow each other
/// hold every line once, however the lines fall.
#[derive(Debug, Clone)]
pub struct Span {
    pub source: usize,
    pub file: Arc<File>,
    pub start: u64,
    pub end: u64,
}

/// Bytes read past a span's end at first, for the line running over it;
/// more are read, as often as needed, when that line is longer.
const SPAN_SLACK: usize = 4 << 10;

impl Span {
    /// Reads the span's lines into `buf`, whose length is only room: it
    /// grows when a span needs more, and is never cut, so that its bytes
    /// are zeroed once, not for every span. Returns the offset in the file
    /// of the lines' first byte and where they are in `buf`; none when no
    /// line starts in the span (inside a line longer than a span). A file
    /// that ends before the span does shrank while it was read: an error.
    pub fn read(&self, buf: &mut Vec<u8>) -> io::Result<(u64, std::ops::Range<usize>)> {
        // From the byte before `start`: the first line starting in the span
        // is the one after the first `\n` at or after `start - 1`.
        let base = self.start.saturating_sub(1);
        // `buf[last]` is the span's last byte.
        let last = (self.end - 1 - base) as usize;
        let (mut len, mut eof) = self.read_at(base, buf, 0, last + 1 + SPAN_SLACK)?;
        // The span was cut from the file's size: a file that ends before
        // it was truncated since (copytruncate), and its lines are lost.
        if eof && base + (len as u64) < self.end {
            return Err(shrank());
        }
        let head = if self.start == 0 {
            0
        } else {
            match memchr::memchr(b'\n', &buf[..last.min(len)]) {
                Some(p) => p + 1,
                None => return Ok((self.end, 0..0)),
            }
        };
        // The span ends after the first `\n` at or after its last byte, or
        // with the first `MAX_LINE + 1` bytes of a line running over its
        // end that is longer (the spans after it hold the rest, and find no
        // line start in it).
        let mut from = last;
        let mut running: Option<usize> = None;
        let end = loop {
            if let Some(p) = buf[..len]
                .get(from..)
                .and_then(|rest| memchr::memchr(b'\n', rest))
            {
                break from + p + 1;
            }
            if eof {
                break len;
            }
            let start = *running.get_or_insert_with(|| {
                let before = &buf[head..last.min(len)];
                memchr::memrchr(b'\n', before).map_or(head, |p| head + p + 1)
            });
            if len - start > MAX_LINE {
                break start + MAX_LINE + 1;
            }
            from = from.max(len);
            (len, eof) = self.read_at(base, buf, len, len + (64 << 10))?;
        };
        Ok((base + head as u64, head..end.max(head)))
    }

    /// Reads the file from `base + len` into `buf[len..target]`; returns
    /// how much of `buf` is filled, and whether the file ended first.
    fn read_at(
        &self,
        base: u64,
        buf: &mut Vec<u8>,
        mut len: usize,
        target: usize,
    ) -> io::Result<(usize, bool)> {
        if buf.len() < target {
            buf.resize(target, 0);
        }
        while len < target {
            match self.file.read_at(&mut buf[len..target], base + len as u64) {
                Ok(0) => return Ok((len, true)),
                Ok(n) => len += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok((len, false))
    }
}

/// A piece of work: lines the reader read, or a span a worker reads.
#[derive(Debug)]
pub enum Piece {
    Chunk(Chunk),
    Span(Span),
}

/// What the reader tells the pipeline, in order. The pipeline passes the
/// same messages on with each piece replaced by its results.
#[derive(Debug)]
pub enum Message<C = Piece> {
    Opened {
        source: usize,
        compression: Compression,
    },
    Chunk(C),
    /// The source was not read (`Skip::Before`, `Skip::After`) or was left
    /// part-way (`Skip::Rest`) because it cannot hold the time window.
    Skipped {
        source: usize,
        why: Skip,
    },
    /// Lines stamped past the window's end came before lines inside it:
    /// `lines` of them, read over (the file was then read to its end).
    OutOfOrder {
        source: usize,
        lines: u64,
    },
    /// The source could not be opened, or reading it failed part-way (the
    /// lines before the failure have been sent; a span that could not be
    /// read is reported by its worker, and the spans after it are read).
    Failed {
        source: usize,
        error: io::Error,
    },
}

impl<C> Message<C> {
    /// The same message with its chunk, if it is one, made into `f`'s result.
    pub fn map<D>(self, f: impl FnOnce(C) -> D) -> Message<D> {
        match self {
            Message::Chunk(c) => Message::Chunk(f(c)),
            Message::Opened { source, compression } => Message::Opened { source, compression },
            Message::Skipped { source, why } => Message::Skipped { source, why },
            Message::OutOfOrder { source, lines } => Message::OutOfOrder { source, lines },
            Message::Failed { source, error } => Message::Failed { source, error },
        }
    }
}

/// Why a source, or its rest, was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// Last written before the window starts: not opened.
    Before,
    /// Its first lines are after the window ends: only they were read.
    After,
    /// Past the window's end, the rest of a file in time order was left:
    /// [`UNTIL_MARGIN`] bytes read after its last line inside the window
    /// were all past it, and no line before them was out of order.
    Rest,
}

impl Skip {
    pub fn as_str(self) -> &'static str {
        match self {
            Skip::Before => "ends before the window",
            Skip::After => "starts after the window",
            Skip::Rest => "rest is after the window",
        }
    }
}

/// How far past the window's end a line must be to count as past it, when
/// the rest of a file may be left: lines of several hosts can be slightly
/// out of order.
const PAST_UNTIL_SLACK: i64 = 3600;

/// Bytes of lines all past the window's end read before the rest of a file
/// is left. A block of lines stamped later than their neighbours (another
/// host's clock, a jump) shorter than this is read over, and once one has
/// been seen the file is read to its end.
pub const UNTIL_MARGIN: u64 = 16 << 20;

/// Past the window's end, what the reader has seen of a source: once a
/// chunk starts past it, every line's time is read.
#[derive(Debug, Default)]
struct Tail {
    checking: bool,
    /// Bytes read since the last line inside the window (or before it).
    past: u64,
    /// Lines past the window's end since that line.
    late: u64,
    /// Lines past the window's end that came before lines inside it.
    out_of_order: u64,
}

/// The receiving side hung up: nothing more to do.
#[derive(Debug)]
pub struct Gone;

/// Where the reader's messages go: a channel to the workers, or the
/// analysis itself on a one-thread run.
pub type Out<'a> = dyn FnMut(Message) -> Result<(), Gone> + 'a;

pub struct Reader {
    pub chunk_size: usize,
    /// Buffers given back once their chunk is analysed.
    pub recycled: Receiver<Vec<u8>>,
    /// Sources that cannot hold it are skipped or left early.
    pub window: Window,
    /// Per source, for reading classic timestamps at chunk starts.
    pub years: Vec<YearContext>,
    /// Where to show progress, when anywhere.
    pub progress: Option<indicatif::ProgressBar>,
    /// Bytes a span: plain files are cut into spans for the workers to
    /// read, unless `None` or the window has an end (whether the rest of a
    /// file is past it is seen reading the file in order).
    pub span: Option<u64>,
    /// [`UNTIL_MARGIN`], but in tests.
    pub until_margin: u64,
}

impl Reader {
    /// Reads every source in turn, passing its messages to `out`. Stops
    /// early only when `out` says the receiver is gone (the run ended, e.g.
    /// on a broken pipe).
    pub fn run(self, sources: &[Source], out: &mut Out<'_>) {
        let mut seq = 0;
        for (i, source) in sources.iter().enumerate() {
            // A file last written before the window starts holds nothing of it.
            let before = match (self.window.since, source.modified) {
                (Some(since), Some(m)) => chrono::DateTime::<chrono::Utc>::from(m).timestamp() < since.unix,
                _ => false,
            };
            if before {
                if out(Message::Skipped {
                    source: i,
                    why: Skip::Before,
                })
                .is_err()
                {
                    return;
                }
                continue;
            }
            if let Some(bar) = &self.progress {
                bar.set_message(format!("file {}/{}: {}", i + 1, sources.len(), source.name));
            }
            // What the file was when it was opened, to tell at the end
            // whether it shrank or was replaced while it was read.
            let opened = source.path.as_ref().and_then(|p| std::fs::metadata(p).ok());
            let span = self.span.filter(|_| self.window.until.is_none());
            let sent = match span.and_then(|span| Some((span, plain_file(source)?))) {
                Some((span, (file, size))) => out(Message::Opened {
                    source: i,
                    compression: Compression::None,
                })
                .and_then(|()| self.send_spans(i, file, size, span, out))
                .and_then(|()| unchanged(i, source, opened.as_ref(), None, out)),
                None => match input::open(source, self.progress.as_ref()) {
                    Ok((reader, compression)) => out(Message::Opened {
                        source: i,
                        compression,
                    })
                    .and_then(|()| self.read_source(i, reader, &mut seq, out))
                    .and_then(|read| {
                        // Plain bytes read to the end are the file's.
                        let read =
                            read.filter(|_| compression == Compression::None && source.range.is_none());
                        unchanged(i, source, opened.as_ref(), read, out)
                    }),
                    Err(error) => out(Message::Failed { source: i, error }),
                },
            };
            if sent.is_err() {
                return;
            }
        }
    }

    /// A buffer to read into: a recycled one keeps its bytes (the chunk
    /// it held), which are overwritten, so that `fill` zeroes only room it
    /// never held.
    fn buffer(&self) -> Vec<u8> {
        match self.recycled.try_recv() {
            Ok(b) => b,
            Err(TryRecvError::Empty | TryRecvError::Disconnected) => Vec::with_capacity(self.chunk_size),
        }
    }

    /// Sends the source's chunks, and a `Failed` message if reading stops
    /// on an error (a truncated gzip member, an I/O error). Returns how
    /// many bytes were read when the source was read to its end.
    fn read_source(
        &self,
        source: usize,
        mut reader: Box<dyn Read + Send>,
        seq: &mut u64,
        out: &mut Out<'_>,
    ) -> Result<Option<u64>, Gone> {
        let mut tail = Tail::default();
        let read = self.read_lines(source, &mut reader, seq, &mut tail, out)?;
        if tail.out_of_order > 0 {
            out(Message::OutOfOrder {
                source,
                lines: tail.out_of_order,
            })?;
        }
        Ok(read)
    }

    /// [`read_source`](Self::read_source)'s reading, with what it saw past
    /// the window's end in `tail`.
    fn read_lines(
        &self,
        source: usize,
        reader: &mut dyn Read,
        seq: &mut u64,
        tail: &mut Tail,
        out: &mut Out<'_>,
    ) -> Result<Option<u64>, Gone> {
        let mut offset = 0u64;
        let mut carry: Vec<u8> = Vec::new();
        // How much of `carry` is known to hold no `\n`: all of it, but for
        // what follows an overlong line.
        let mut searched = 0;
        loop {
            let mut buf = self.buffer();
            let kept = carry.len();
            if buf.len() < kept {
                buf.resize(kept, 0);
            }
            buf[..kept].copy_from_slice(&carry);
            carry.clear();
            // A line longer than a chunk grows the buffer, up to MAX_LINE.
            // Only the bytes not searched yet are searched for a `\n`, so
            // that a long line costs time linear in its length.
            let mut from = searched.min(kept);
            // A recycled buffer holds its old chunk past `kept`: overwritten.
            let mut len = kept;
            let (eof, error, cut, overlong) = loop {
                let (eof, error) = fill(reader, &mut buf, len, len + self.chunk_size);
                len = buf.len();
                if eof || error.is_some() {
                    break (eof, error, buf.len(), false);
                }
                if let Some(p) = memchr::memrchr(b'\n', &buf[from..]) {
                    break (false, None, from + p + 1, false);
                }
                // No `\n` in the buffer: it is one line, from its start.
                from = buf.len();
                if buf.len() > MAX_LINE {
                    break (false, None, MAX_LINE + 1, true);
                }
            };
            let read = buf.len();
            if !overlong {
                carry.extend_from_slice(&buf[cut..]);
                searched = carry.len();
            }
            buf.truncate(cut);
            // A file whose first lines are all at or after the window's end
            // holds none of it; later, a margin of lines all well past the
            // end means the rest of a file in time order is past it too.
            if offset == 0 && self.past_until(source, &buf, 0) {
                return out(Message::Skipped {
                    source,
                    why: Skip::After,
                })
                .map(|()| None);
            }
            let leave = self.past_margin(source, &buf, tail);
            if !buf.is_empty() {
                out(Message::Chunk(Piece::Chunk(Chunk {
                    seq: *seq,
                    source,
                    offset,
                    bytes: buf,
                })))?;
                *seq += 1;
            }
            offset += if overlong { read as u64 } else { cut as u64 };
            if overlong {
                // The rest of the line is read and dropped; what follows its
                // `\n` starts the next chunk.
                match self.skip_line(reader) {
                    Ok((skipped, rest)) => {
                        offset += skipped;
                        carry = rest;
                        searched = 0;
                        continue;
                    }
                    Err(error) => return out(Message::Failed { source, error }).map(|()| None),
                }
            }
            if leave {
                return out(Message::Skipped {
                    source,
                    why: Skip::Rest,
                })
                .map(|()| None);
            }
            if let Some(error) = error {
                return out(Message::Failed { source, error }).map(|()| None);
            }
            if eof {
                return Ok(Some(offset));
            }
        }
    }

    /// Whether the rest of a source can be left after `chunk`: once a
    /// chunk starts well past the window's end, every line's time is read;
    /// the rest is left after [`UNTIL_MARGIN`] bytes with no line inside
    /// the window or before it, unless lines were seen out of order (lines
    /// past the end, then lines inside the window), which are counted.
    fn past_margin(&self, source: usize, chunk: &[u8], tail: &mut Tail) -> bool {
        let (Some(until), Some(years)) = (self.window.until, self.years.get(source)) else {
            return false;
        };
        if !tail.checking {
            if !self.past_until(source, chunk, PAST_UNTIL_SLACK) {
                return false;
            }
            tail.checking = true;
        }
        let mut inside_end = None;
        let mut at = 0;
        for line in chunk.split(|&b| b == b'\n') {
            at += line.len() + 1;
            match parse::time::parse_prefix(line, years) {
                Some((t, _)) if t.unix >= until.unix + PAST_UNTIL_SLACK => tail.late += 1,
                Some((t, _)) if t.unix < until.unix => {
                    tail.out_of_order += tail.late;
                    tail.late = 0;
                    inside_end = Some(at.min(chunk.len()));
                }
                _ => {}
            }
        }
        tail.past = match inside_end {
            Some(end) => (chunk.len() - end) as u64,
            None => tail.past + chunk.len() as u64,
        };
        tail.out_of_order == 0 && tail.past >= self.until_margin
    }

    /// Reads through the next `\n` (or to the end of the input) in
    /// chunk-sized reads into one buffer; returns how many bytes that was,
    /// `\n` included, and what was read after it.
    fn skip_line(&self, reader: &mut dyn Read) -> io::Result<(u64, Vec<u8>)> {
        let mut buf = self.buffer();
        let mut skipped = 0u64;
        loop {
            buf.clear();
            let (eof, error) = fill(reader, &mut buf, 0, self.chunk_size);
            if let Some(p) = memchr::memchr(b'\n', &buf) {
                return Ok((skipped + p as u64 + 1, buf[p + 1..].to_vec()));
            }
            skipped += buf.len() as u64;
            if let Some(error) = error {
                return Err(error);
            }
            if eof {
                return Ok((skipped, Vec::new()));
            }
        }
    }
}

impl Reader {
    /// Sends a plain file as spans of `span` bytes, then as spans of what
    /// was added to it while they were sent, until it stops growing. A span
    /// of a file that is being written may end with half a line, as a chunk
    /// read at the end of the file does.
    fn send_spans(
        &self,
        source: usize,
        file: File,
        mut size: u64,
        span: u64,
        out: &mut Out<'_>,
    ) -> Result<(), Gone> {
        let span = span.max(1);
        let file = Arc::new(file);
        let mut start = 0;
        loop {
            while start < size {
                let end = start.saturating_add(span).min(size);
                out(Message::Chunk(Piece::Span(Span {
                    source,
                    file: Arc::clone(&file),
                    start,
                    end,
                })))?;
                if let Some(bar) = &self.progress {
                    bar.inc(end - start);
                }
                start = end;
            }
            match file.metadata() {
                Ok(m) if m.len() > size => size = m.len(),
                _ => return Ok(()),
            }
        }
    }

    /// Whether a chunk starts after the window's end: the earliest readable
    /// timestamp of its first lines is at least `until` plus `slack`.
    fn past_until(&self, source: usize, chunk: &[u8], slack: i64) -> bool {
        let (Some(until), Some(years)) = (self.window.until, self.years.get(source)) else {
            return false;
        };
        chunk
            .split(|&b| b == b'\n')
            .take(16)
            .filter_map(|line| parse::time::parse_prefix(line, years))
            .map(|(t, _)| t.unix)
            .min()
            .is_some_and(|t| t >= until.unix + slack)
    }
}

/// Why a file's lines were lost: it shrank while it was read.
fn shrank() -> io::Error {
    io::Error::other(
        "shrank while it was read (truncated, as by copytruncate): lines were lost; read it again, or its rotated copy",
    )
}

/// After a source was read: a `Failed` message when the file at its path
/// is not the one opened (replaced or removed, as by a rotation), or is
/// shorter than it was when opened, or than the `read` bytes of a plain
/// file read to its end: never a silent partial report.
fn unchanged(
    source: usize,
    named: &Source,
    opened: Option<&std::fs::Metadata>,
    read: Option<u64>,
    out: &mut Out<'_>,
) -> Result<(), Gone> {
    use std::os::unix::fs::MetadataExt;
    let (Some(path), Some(opened)) = (&named.path, opened.filter(|m| m.is_file())) else {
        return Ok(());
    };
    let error = match std::fs::metadata(path) {
        Ok(now) if (now.dev(), now.ino()) != (opened.dev(), opened.ino()) => io::Error::other(
            "replaced while it was read (another file is at its path now, as after a rotation): the report is of the file that was there; read the new one too",
        ),
        Ok(now) if now.len() < opened.len() || read.is_some_and(|r| r < opened.len()) => shrank(),
        Ok(_) => return Ok(()),
        Err(e) => io::Error::new(e.kind(), format!("gone from its path while it was read ({e})")),
    };
    out(Message::Failed { source, error })
}

/// A source that is a plain (not compressed) regular file: opened, with
/// its size. Anything else, or a file that cannot be opened or read (the
/// reader then reports why), is `None`. What is not a file is not opened
/// here: a FIFO opened and closed would lose its writer.
fn plain_file(source: &Source) -> Option<(File, u64)> {
    // A range (`--state`) is read in order from its start.
    if source.range.is_some() {
        return None;
    }
    let path = source.path.as_ref()?;
    if !std::fs::metadata(path).ok()?.is_file() {
        return None;
    }
    let file = File::open(path).ok()?;
    let meta = file.metadata().ok()?;
    let mut head = [0u8; 8];
    let n = file.read_at(&mut head, 0).ok()?;
    (meta.is_file() && Compression::detect(&head[..n]) == Compression::None).then_some((file, meta.len()))
}

/// Reads after the first `len` bytes of `buf` until it holds `target`
/// bytes or the input ends; what `buf` held past `len` is overwritten.
/// Returns (at end of input, the error that stopped the reading).
fn fill(
    reader: &mut dyn Read,
    buf: &mut Vec<u8>,
    mut len: usize,
    target: usize,
) -> (bool, Option<io::Error>) {
    // `read` needs initialised bytes: only the room the buffer never held
    // is zeroed (zeroing all of it took 1-2% of a run in `perf record`).
    if buf.capacity() < target {
        buf.reserve(target.saturating_sub(buf.len()));
    }
    let cap = buf.capacity();
    buf.resize(cap, 0);
    let result = loop {
        if len >= target {
            break (false, None);
        }
        match reader.read(&mut buf[len..]) {
            Ok(0) => break (true, None),
            Ok(n) => len += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => break (false, Some(e)),
        }
    };
    buf.truncate(len);
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::channel;

    /// A reader with no window; `span` cuts plain files into spans.
    fn reader(chunk_size: usize, span: Option<u64>) -> Reader {
        // The sender is dropped: every buffer is a new one.
        let (_back, recycled) = channel();
        Reader {
            chunk_size,
            recycled,
            window: Window::default(),
            years: Vec::new(),
            progress: None,
            span,
            until_margin: UNTIL_MARGIN,
        }
    }

    /// Reads `data` as one source through a reader with a tiny chunk size.
    fn chunks_of(data: &[u8], chunk_size: usize) -> Vec<Chunk> {
        let reader = reader(chunk_size, None);
        let mut seq = 0;
        let mut chunks = Vec::new();
        reader
            .read_source(0, Box::new(io::Cursor::new(data.to_vec())), &mut seq, &mut |m| {
                if let Message::Chunk(Piece::Chunk(c)) = m {
                    chunks.push(c);
                }
                Ok(())
            })
            .unwrap();
        chunks
    }

    #[test]
    fn chunks_hold_whole_lines_and_add_up_to_the_input() {
        let data = b"one\ntwo two\nthree three three\nfour\nno newline at end";
        for size in 1..20 {
            let chunks = chunks_of(data, size);
            let mut joined = Vec::new();
            for (i, c) in chunks.iter().enumerate() {
                assert_eq!(c.offset as usize, joined.len());
                assert_eq!(c.seq, i as u64);
                if i + 1 < chunks.len() {
                    assert_eq!(c.bytes.last(), Some(&b'\n'), "size {size}");
                }
                joined.extend_from_slice(&c.bytes);
            }
            assert_eq!(joined, data, "size {size}");
        }
    }

    #[test]
    fn a_line_longer_than_a_chunk_is_kept_whole() {
        let mut data = vec![b'x'; 10_000];
        data.push(b'\n');
        data.extend_from_slice(b"short\n");
        let chunks = chunks_of(&data, 64);
        assert!(chunks[0].bytes.len() >= 10_001 && chunks[0].bytes[10_000] == b'\n');
        assert_eq!(chunks.iter().map(|c| c.bytes.len()).sum::<usize>(), data.len());
    }

    #[test]
    fn a_line_over_the_limit_is_cut_and_what_follows_keeps_its_offset() {
        let mut data = b"first\n".to_vec();
        data.extend(std::iter::repeat_n(b'x', 3 * MAX_LINE));
        data.extend_from_slice(b"\nafter\nlast");
        for size in [1000, 64 << 10, 1 << 20] {
            let chunks = chunks_of(&data, size);
            let cut = chunks
                .iter()
                .find(|c| c.bytes.len() > MAX_LINE)
                .expect("the cut line");
            assert_eq!((cut.offset, cut.bytes.len()), (6, MAX_LINE + 1), "size {size}");
            assert!(chunks.iter().all(|c| c.bytes.len() <= MAX_LINE + 1 + size));
            let after = chunks
                .iter()
                .find(|c| c.bytes.starts_with(b"after"))
                .expect("after");
            assert_eq!(after.offset as usize, 6 + 3 * MAX_LINE + 1, "size {size}");
            assert_eq!(after.bytes, b"after\nlast");
        }
    }

    #[test]
    fn a_span_keeps_at_most_the_limit_of_a_line_running_over_its_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("maillog");
        let mut data = b"first\n".to_vec();
        data.extend(std::iter::repeat_n(0u8, 3 * MAX_LINE));
        data.extend_from_slice(b"\nafter\n");
        std::fs::write(&path, &data).unwrap();
        let spans = spans_of(&path, 1 << 20, |_| {});
        let pieces: Vec<(u64, usize)> = spans
            .iter()
            .filter(|(_, b)| !b.is_empty())
            .map(|(o, b)| (*o, b.len()))
            .collect();
        assert_eq!(pieces, [(0, 6 + MAX_LINE + 1), (6 + 3 * MAX_LINE as u64 + 1, 6)]);
    }

    /// The messages a reader with `--until` 10:00 and a margin of 4 KiB
    /// sends for a log of a line a minute, with `late` lines of the evening
    /// put before 09:00: (bytes read, messages that are not chunks).
    fn read_until(late: usize) -> (usize, Vec<String>) {
        let line = |h: usize, m: usize| {
            format!("2026-11-21T{h:02}:{m:02}:00+00:00 mx1 postfix/qmgr[1]: A: removed\n")
        };
        let mut text = String::new();
        for h in 0..24 {
            if h == 9 {
                (0..late).for_each(|m| text.push_str(&line(20, m % 60)));
            }
            (0..60).for_each(|m| text.push_str(&line(h, m)));
        }
        let until = parse::Timestamp {
            unix: 1_795_255_200, // 2026-11-21T10:00:00Z
            offset: 0,
        };
        let reader = Reader {
            window: Window {
                since: None,
                until: Some(until),
            },
            years: vec![YearContext::now()],
            until_margin: 4 << 10,
            ..reader(1000, None)
        };
        let (mut read, mut said) = (0, Vec::new());
        reader
            .read_source(
                0,
                Box::new(io::Cursor::new(text.into_bytes())),
                &mut 0,
                &mut |m| {
                    match m {
                        Message::Chunk(Piece::Chunk(c)) => read += c.bytes.len(),
                        other => said.push(format!("{other:?}")),
                    }
                    Ok(())
                },
            )
            .unwrap();
        (read, said)
    }

    #[test]
    fn past_until_a_file_in_order_is_left_after_the_margin() {
        let (read, said) = read_until(0);
        // 11:00 (the slack) and the 4 KiB margin: about 12:00.
        assert!(read > 11 * 60 * 58 && read < 13 * 60 * 58, "{read} bytes");
        assert_eq!(said, ["Skipped { source: 0, why: Rest }"]);
    }

    #[test]
    fn lines_past_until_before_lines_inside_it_are_read_over_and_counted() {
        // 50 late lines, shorter than the margin: read over, counted, and
        // the file read to its end.
        let (read, said) = read_until(50);
        assert_eq!(read, (24 * 60 + 50) * 58);
        assert_eq!(said.len(), 1, "{said:?}");
        assert!(said[0].starts_with("OutOfOrder { source: 0, lines: "), "{said:?}");
        // A block longer than the margin looks like the end of the window:
        // the bound that UNTIL_MARGIN sets.
        let (read, said) = read_until(200);
        assert!(read < (9 * 60 + 200) * 58, "{read}");
        assert_eq!(said, ["Skipped { source: 0, why: Rest }"]);
    }

    #[test]
    fn empty_input_has_no_chunk() {
        assert!(chunks_of(b"", 16).is_empty());
    }

    /// Runs a reader that cuts `path` into spans of `span` bytes, with
    /// `each` called on every message; returns what the spans read, as
    /// (offset, bytes).
    fn spans_of(path: &std::path::Path, span: u64, mut each: impl FnMut(&Message)) -> Vec<(u64, Vec<u8>)> {
        let reader = reader(1 << 20, Some(span));
        let mut spans = Vec::new();
        reader.run(&[Source::file(path.to_path_buf())], &mut |m| {
            each(&m);
            match m {
                Message::Chunk(Piece::Span(s)) => spans.push(s),
                Message::Opened { .. } => {}
                other => panic!("not a span: {other:?}"),
            }
            Ok(())
        });
        let mut buf = Vec::new();
        spans
            .iter()
            .map(|s| {
                let (offset, lines) = s.read(&mut buf).unwrap();
                (offset, buf[lines].to_vec())
            })
            .collect()
    }

    #[test]
    fn spans_hold_every_line_once_however_the_lines_fall() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("maillog");
        let long = "x".repeat(100);
        let texts = [
            "one\ntwo two\nthree three three\nfour\nno newline at end".to_string(),
            format!("a\n{long}\nb\n\n\nc\n{long}{long}\nd\n"),
            "\n\n\n".to_string(),
            "x".to_string(),
        ];
        for text in &texts {
            std::fs::write(&path, text).unwrap();
            let data = text.as_bytes();
            for span in 1..40 {
                let spans = spans_of(&path, span, |_| {});
                let mut joined = Vec::new();
                for (i, (offset, bytes)) in spans.iter().enumerate() {
                    if bytes.is_empty() {
                        continue;
                    }
                    // Starts a line, right after what the spans before read.
                    assert_eq!(*offset as usize, joined.len(), "span {span}, piece {i}: {text:?}");
                    if i + 1 < spans.len() && bytes.len() + joined.len() < data.len() {
                        assert_eq!(bytes.last(), Some(&b'\n'), "span {span}: {text:?}");
                    }
                    joined.extend_from_slice(bytes);
                }
                assert_eq!(joined, data, "span {span}: {text:?}");
            }
        }
    }

    #[test]
    fn a_file_that_grows_while_it_is_cut_is_read_to_its_new_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("maillog");
        let first = "line one\nline two\nline three\n".repeat(10);
        std::fs::write(&path, &first).unwrap();
        let added = "added later\n".repeat(30);
        let mut grown = false;
        let spans = spans_of(&path, 64, |m| {
            if !grown && matches!(m, Message::Chunk(Piece::Span(_))) {
                grown = true;
                let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
                std::io::Write::write_all(&mut f, added.as_bytes()).unwrap();
            }
        });
        let joined: Vec<u8> = spans.into_iter().flat_map(|(_, b)| b).collect();
        assert_eq!(String::from_utf8(joined).unwrap(), first + &added);
    }

    /// Reads `path` in order with 64-byte chunks, calling `first` after the
    /// first chunk; returns the errors reported.
    fn errors_reading(path: &std::path::Path, first: impl FnOnce()) -> Vec<String> {
        let reader = reader(64, None);
        let mut first = Some(first);
        let mut errors = Vec::new();
        reader.run(&[Source::file(path.to_path_buf())], &mut |m| {
            match m {
                Message::Chunk(_) => {
                    if let Some(f) = first.take() {
                        f()
                    }
                }
                Message::Failed { error, .. } => errors.push(error.to_string()),
                _ => {}
            }
            Ok(())
        });
        errors
    }

    #[test]
    fn a_file_truncated_or_replaced_while_it_is_read_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("maillog");
        let text = "line one\nline two\nline three\n".repeat(20);
        std::fs::write(&path, &text).unwrap();
        assert!(errors_reading(&path, || {}).is_empty());
        // copytruncate: the same file, emptied.
        let errors = errors_reading(&path, || {
            std::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .unwrap()
                .set_len(0)
                .unwrap()
        });
        assert!(
            errors.len() == 1 && errors[0].starts_with("shrank while it was read"),
            "{errors:?}"
        );
        // Another file renamed over it: the one opened is read whole, and
        // the new one is named.
        std::fs::write(&path, &text).unwrap();
        let other = dir.path().join("new");
        std::fs::write(&other, "new\n").unwrap();
        let errors = errors_reading(&path, || std::fs::rename(&other, &path).unwrap());
        assert!(
            errors.len() == 1 && errors[0].starts_with("replaced while it was read"),
            "{errors:?}"
        );
    }

    #[test]
    fn a_span_of_a_file_truncated_before_it_is_read_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("maillog");
        std::fs::write(&path, "line one\nline two\nline three\n".repeat(20)).unwrap();
        let reader = reader(64, Some(64));
        let mut spans = Vec::new();
        reader.run(&[Source::file(path.clone())], &mut |m| {
            if let Message::Chunk(Piece::Span(s)) = m {
                spans.push(s);
            }
            Ok(())
        });
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(100)
            .unwrap();
        let mut buf = Vec::new();
        assert!(spans[0].read(&mut buf).is_ok());
        let e = spans[5].read(&mut buf).unwrap_err();
        assert!(e.to_string().starts_with("shrank while it was read"), "{e}");
    }

    #[test]
    fn only_plain_regular_files_are_cut_into_spans() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain");
        std::fs::write(&plain, "line\n").unwrap();
        let gz = dir.path().join("log");
        std::fs::write(&gz, [0x1f, 0x8b, 8, 0, 0, 0]).unwrap();
        assert_eq!(plain_file(&Source::file(plain)).map(|(_, size)| size), Some(5));
        assert!(plain_file(&Source::file(gz)).is_none());
        assert!(plain_file(&Source::file(dir.path().to_path_buf())).is_none());
        assert!(plain_file(&Source::file(dir.path().join("missing"))).is_none());
        assert!(plain_file(&Source::stdin()).is_none());
    }
}
