//! A vector held in fixed-size segments, for tables a long run holds a lot
//! of: it grows a segment at a time, so there is never an old and a new copy
//! of the whole of it at once (a `Vec` doubles, and while it moves holds
//! both: at 250,000 open queue ids that was 25 MiB on top of the peak RSS).
//!
//! Bounds: `len` elements take `len` slots in full segments, one segment
//! partly filled and at most one spare empty segment (kept so that a length
//! going back and forth across a segment's end does not allocate each
//! time), and a pointer (24 bytes) per segment. The first segment grows by
//! doubling up to [`SEGMENT`] elements, so that a small table (a chunk's
//! queue ids) stays small.

/// log2 of the elements in a segment.
const SEGMENT_BITS: u32 = 10;
/// Elements in a segment: 1,024 (128 KiB of 128-byte open queue ids).
pub const SEGMENT: usize = 1 << SEGMENT_BITS;
const MASK: usize = SEGMENT - 1;

#[derive(Debug, Clone)]
pub struct Segmented<T> {
    /// Every segment but the last holding elements is full; after it there
    /// may be one empty spare.
    segments: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Segmented<T> {
    fn default() -> Self {
        Segmented {
            segments: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Segmented<T> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds `value` at the end; returns it there.
    pub fn push(&mut self, value: T) -> &mut T {
        let s = self.len >> SEGMENT_BITS;
        if s == self.segments.len() {
            // Past the first, a segment is made whole at once.
            let room = if s == 0 { 4 } else { SEGMENT };
            self.segments.push(Vec::with_capacity(room));
        }
        let segment = &mut self.segments[s];
        if segment.len() == segment.capacity() {
            // Only the first segment is ever short of room: it doubles, up
            // to a segment's size and no further.
            let want = (segment.capacity() * 2).clamp(4, SEGMENT);
            segment.reserve_exact(want - segment.len());
        }
        let at = segment.len();
        segment.push(value);
        self.len += 1;
        &mut segment[at]
    }

    pub fn pop(&mut self) -> Option<T> {
        let last = self.len.checked_sub(1)?;
        let value = self.segments.get_mut(last >> SEGMENT_BITS)?.pop()?;
        self.len = last;
        // One empty segment after the last one in use is kept, no more.
        let in_use = self.len.div_ceil(SEGMENT);
        if self.segments.len() > in_use + 1 {
            self.segments.truncate(in_use + 1);
        }
        Some(value)
    }

    pub fn get(&self, i: usize) -> Option<&T> {
        self.segments.get(i >> SEGMENT_BITS)?.get(i & MASK)
    }

    pub fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        self.segments.get_mut(i >> SEGMENT_BITS)?.get_mut(i & MASK)
    }

    /// Removes element `i`, putting the last element in its place (as
    /// `Vec::swap_remove`).
    pub fn swap_remove(&mut self, i: usize) -> Option<T> {
        if i >= self.len {
            return None;
        }
        let last = self.pop()?;
        if i == self.len {
            return Some(last);
        }
        self.get_mut(i).map(|slot| std::mem::replace(slot, last))
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.segments.iter().flatten()
    }
}

impl<T> std::ops::Index<usize> for Segmented<T> {
    type Output = T;

    fn index(&self, i: usize) -> &T {
        &self.segments[i >> SEGMENT_BITS][i & MASK]
    }
}

impl<T> std::ops::IndexMut<usize> for Segmented<T> {
    fn index_mut(&mut self, i: usize) -> &mut T {
        &mut self.segments[i >> SEGMENT_BITS][i & MASK]
    }
}

impl<T> IntoIterator for Segmented<T> {
    type Item = T;
    type IntoIter = std::iter::Flatten<std::vec::IntoIter<Vec<T>>>;

    /// In order; each segment is freed once its elements are taken.
    fn into_iter(self) -> Self::IntoIter {
        self.segments.into_iter().flatten()
    }
}

/// An element of a [`SegmentedMap`]: found by a 64-bit key.
pub trait Keyed {
    fn key(&self) -> u64;
    /// The hash the table finds `key` by (the key itself when it is a
    /// hash already).
    fn hash_of(key: u64) -> u64 {
        key
    }
}

/// Elements found by their key, in the order an `indexmap::IndexMap` keeps
/// them (added at the end; a removed one's place taken by the last one):
/// in a [`Segmented`] vector behind a hash table of 4-byte indices (5 bytes
/// a bucket, at most 7/8 full, doubling). Bound: one element and one index
/// per key held, and the segments' slack (above).
#[derive(Debug)]
pub struct SegmentedMap<T> {
    index: hashbrown::HashTable<u32>,
    entries: Segmented<T>,
}

impl<T> Default for SegmentedMap<T> {
    fn default() -> Self {
        SegmentedMap {
            index: hashbrown::HashTable::new(),
            entries: Segmented::default(),
        }
    }
}

impl<T: Keyed> SegmentedMap<T> {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn position(&self, key: u64) -> Option<usize> {
        let entries = &self.entries;
        self.index
            .find(T::hash_of(key), |&i| {
                entries.get(i as usize).is_some_and(|e| e.key() == key)
            })
            .map(|&i| i as usize)
    }

    pub fn get(&self, key: u64) -> Option<&T> {
        self.entries.get(self.position(key)?)
    }

    pub fn get_mut(&mut self, key: u64) -> Option<&mut T> {
        let i = self.position(key)?;
        self.entries.get_mut(i)
    }

    /// Adds an element whose key is not held, at the end.
    pub fn push(&mut self, value: T) -> &mut T {
        // 4 billion elements would take hundreds of GB first.
        let at = u32::try_from(self.entries.len()).expect("fewer than 4 billion elements");
        // Indexed first: a rehash while it is added reads only the others.
        let entries = &self.entries;
        self.index.insert_unique(T::hash_of(value.key()), at, |&j| {
            entries.get(j as usize).map_or(0, |e| T::hash_of(e.key()))
        });
        self.entries.push(value)
    }

    /// The element of `key`, made by `make` and added at the end if it is
    /// not held.
    pub fn get_or_push_with(&mut self, key: u64, make: impl FnOnce() -> T) -> &mut T {
        match self.position(key) {
            Some(i) => &mut self.entries[i],
            None => self.push(make()),
        }
    }

    /// Removes the element of `key`, the last one taking its place.
    pub fn swap_remove(&mut self, key: u64) -> Option<T> {
        let entries = &self.entries;
        let found = self
            .index
            .find_entry(T::hash_of(key), |&i| {
                entries.get(i as usize).is_some_and(|e| e.key() == key)
            })
            .ok()?;
        let (i, _) = found.remove();
        let removed = self.entries.swap_remove(i as usize)?;
        // The last element moved to `i`: its index says so.
        let last = self.entries.len() as u32;
        if let Some(moved) = self.entries.get(i as usize).map(T::key) {
            if let Some(slot) = self.index.find_mut(T::hash_of(moved), |&j| j == last) {
                *slot = i;
            }
        }
        Some(removed)
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.entries.iter()
    }
}

impl<T> IntoIterator for SegmentedMap<T> {
    type Item = T;
    type IntoIter = <Segmented<T> as IntoIterator>::IntoIter;

    /// In order, the index freed first.
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_as_a_vec_across_segment_ends() {
        let mut s = Segmented::default();
        let mut v = Vec::new();
        // A reproducible walk of pushes, pops and swap_removes that crosses
        // segment ends both ways.
        let mut x: u64 = 7;
        for step in 0..40_000u64 {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let r = x >> 33;
            // Three in four steps push while growing, one in four while
            // shrinking; the others pop or swap_remove.
            let grow = step < 15_000 || (step / 5_000) % 2 == 0;
            match (r % 4, grow) {
                (0..=2, true) | (0, false) => {
                    s.push(step);
                    v.push(step);
                }
                _ if r % 8 < 4 => assert_eq!(s.pop(), v.pop()),
                _ => {
                    let i = (r as usize / 8) % (v.len() + 2);
                    let want = (i < v.len()).then(|| v.swap_remove(i));
                    assert_eq!(s.swap_remove(i), want);
                }
            }
            assert_eq!(s.len(), v.len());
            if step % 997 == 0 {
                assert!(s.iter().eq(v.iter()));
                assert_eq!(s.get(v.len()), None);
                if let Some(last) = v.len().checked_sub(1) {
                    assert_eq!(s.get(last), v.get(last));
                    assert_eq!(s[last / 2], v[last / 2]);
                    s[last / 2] += 1;
                    v[last / 2] += 1;
                }
            }
            // Full segments, one partly filled, at most one spare.
            assert!(s.segments.len() <= s.len().div_ceil(SEGMENT) + 1);
            assert!(s.segments.iter().all(|g| g.capacity() <= SEGMENT));
        }
        assert!(s.len() > 2 * SEGMENT, "the walk crossed segment ends");
        assert!(s.clone().into_iter().eq(v.clone()));
        while s.pop().is_some() {}
        assert!(s.is_empty() && s.segments.len() <= 1);
    }
}
