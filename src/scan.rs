//! Reading: sources → numbered [`Chunk`]s of whole lines.
//!
//! One reader thread decompresses and reads while the workers analyse the
//! chunks before; buffers are cut after their last `\n`, the unfinished
//! tail rolls to the front of the next one, and a line longer than a buffer
//! grows it rather than being cut. Used buffers come back for reuse, and the
//! channel is bounded, so memory stays flat however large the input.

use std::io::{self, Read};
use std::sync::mpsc::{Receiver, TryRecvError};

use crate::input::{self, Compression, Source};
use crate::parse::{self, YearContext};
use crate::window::Window;

/// A run of whole lines of one source.
#[derive(Debug)]
pub struct Chunk {
    pub seq: u64,
    pub source: usize,
    /// Byte offset of `bytes[0]` in the (decompressed) source.
    pub offset: u64,
    /// Whole lines; only a source's last chunk may end without `\n`.
    pub bytes: Vec<u8>,
}

/// What the reader tells the pipeline, in order. The pipeline passes the
/// same messages on with each batch of chunks replaced by its results.
#[derive(Debug)]
pub enum Message<C = Chunk> {
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
    /// The source could not be opened, or reading it failed part-way (the
    /// lines before the failure have been sent).
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
    /// Past the window's end, the rest of a file in time order was left.
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

/// How far past the window's end a chunk must start before the rest of its
/// file is left: lines of several hosts can be slightly out of order.
const PAST_UNTIL_SLACK: i64 = 3600;

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
            let sent = match input::open(source, self.progress.as_ref()) {
                Ok((reader, compression)) => out(Message::Opened {
                    source: i,
                    compression,
                })
                .and_then(|()| self.read_source(i, reader, &mut seq, out)),
                Err(error) => out(Message::Failed { source: i, error }),
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
    /// on an error (a truncated gzip member, an I/O error).
    fn read_source(
        &self,
        source: usize,
        mut reader: Box<dyn Read + Send>,
        seq: &mut u64,
        out: &mut Out<'_>,
    ) -> Result<(), Gone> {
        let mut offset = 0u64;
        let mut carry: Vec<u8> = Vec::new();
        loop {
            let mut buf = self.buffer();
            let kept = carry.len();
            if buf.len() < kept {
                buf.resize(kept, 0);
            }
            buf[..kept].copy_from_slice(&carry);
            carry.clear();
            // A line longer than a chunk grows the buffer.
            let target = kept + self.chunk_size;
            let (eof, error) = fill(&mut reader, &mut buf, kept, target);
            let cut = if eof || error.is_some() {
                buf.len()
            } else {
                match memchr::memrchr(b'\n', &buf) {
                    Some(pos) => pos + 1,
                    None => {
                        carry = buf;
                        continue;
                    }
                }
            };
            carry.extend_from_slice(&buf[cut..]);
            buf.truncate(cut);
            // A file whose first lines are all at or after the window's end
            // holds none of it; later, a chunk well past the end means the
            // rest of a file in time order is past it too.
            let slack = if offset == 0 { 0 } else { PAST_UNTIL_SLACK };
            if self.past_until(source, &buf, slack) {
                let why = if offset == 0 { Skip::After } else { Skip::Rest };
                return out(Message::Skipped { source, why });
            }
            if !buf.is_empty() {
                let len = buf.len() as u64;
                out(Message::Chunk(Chunk {
                    seq: *seq,
                    source,
                    offset,
                    bytes: buf,
                }))?;
                *seq += 1;
                offset += len;
            }
            if let Some(error) = error {
                out(Message::Failed { source, error })?;
                return Ok(());
            }
            if eof {
                return Ok(());
            }
        }
    }
}

impl Reader {
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

    /// Reads `data` as one source through a reader with a tiny chunk size.
    fn chunks_of(data: &[u8], chunk_size: usize) -> Vec<Chunk> {
        let (_back, recycled) = channel();
        let reader = Reader {
            chunk_size,
            recycled,
            window: Window::default(),
            years: Vec::new(),
            progress: None,
        };
        let mut seq = 0;
        let mut chunks = Vec::new();
        reader
            .read_source(0, Box::new(io::Cursor::new(data.to_vec())), &mut seq, &mut |m| {
                if let Message::Chunk(c) = m {
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
    fn empty_input_has_no_chunk() {
        assert!(chunks_of(b"", 16).is_empty());
    }
}
