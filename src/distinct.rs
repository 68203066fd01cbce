//! Exact distinct counts of 64-bit hashes (recipients per cause, bounced
//! recipients): a long run's largest count state, 727,139 hashes at the end
//! of the 5 GB benchmark log.

/// A set of 64-bit hashes held as a sorted array, about 8 bytes a hash
/// (a hash set takes 9 bytes a slot at up to 7/8 full, and twice that for a
/// moment when it grows). Added hashes wait in a short unsorted tail,
/// merged into the array when it reaches an eighth of it, or `MIN_TAIL`
/// (1,024 for the run's few large sets; [`SmallDistinct`] for many small
/// ones). Bound: the array's hashes, each once, and a tail of at most an
/// eighth of them or `MIN_TAIL` (its vector up to twice that, as it grows
/// by doubling).
#[derive(Clone, Debug, Default)]
pub struct Distinct<const MIN_TAIL: usize = 1024> {
    /// Sorted, each hash once.
    sorted: Vec<u64>,
    /// Added since the last merge: in any order, maybe repeated, maybe in
    /// `sorted` already.
    recent: Vec<u64>,
}

/// A [`Distinct`] whose tail is merged from 16 hashes on: one per open
/// incident, of which a log of many domains holds many, most with a few
/// recipients (a hash set of 1,000 recipients takes 18 KiB, this about 10).
pub type SmallDistinct = Distinct<16>;

impl<const MIN_TAIL: usize> Distinct<MIN_TAIL> {
    pub fn insert(&mut self, hash: u64) {
        self.recent.push(hash);
        if self.recent.len() >= (self.sorted.len() / 8).max(MIN_TAIL) {
            self.merge_tail();
        }
    }

    /// How many distinct hashes.
    pub fn len(&self) -> usize {
        let mut tail = self.recent.clone();
        tail.sort_unstable();
        tail.dedup();
        self.sorted.len()
            + tail
                .iter()
                .filter(|h| self.sorted.binary_search(h).is_err())
                .count()
    }

    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty() && self.recent.is_empty()
    }

    /// Every hash, each once, in order.
    pub fn hashes(&self) -> Vec<u64> {
        let mut all: Vec<u64> = self.sorted.iter().chain(&self.recent).copied().collect();
        all.sort_unstable();
        all.dedup();
        all
    }

    /// Adds every hash of `other`.
    pub fn extend(&mut self, other: &Self) {
        for &h in other.sorted.iter().chain(&other.recent) {
            self.insert(h);
        }
    }

    /// Merges the tail into the array, from the back, in place: the array
    /// grows by the tail's length and no more.
    fn merge_tail(&mut self) {
        let tail = &mut self.recent;
        tail.sort_unstable();
        tail.dedup();
        let sorted = &mut self.sorted;
        let (n, m) = (sorted.len(), tail.len());
        sorted.reserve_exact(m);
        sorted.resize(n + m, 0);
        let (mut i, mut j) = (n, m);
        while j > 0 {
            let k = i + j - 1;
            if i > 0 && sorted[i - 1] > tail[j - 1] {
                sorted[k] = sorted[i - 1];
                i -= 1;
            } else {
                sorted[k] = tail[j - 1];
                j -= 1;
            }
        }
        sorted.dedup();
        tail.clear();
    }

    /// The hashes, sorted, each once (for comparing sets, and for the
    /// JSON's `merge_state`, from which `merge` counts them again).
    pub fn all(&self) -> Vec<u64> {
        let mut all = self.sorted.clone();
        all.extend_from_slice(&self.recent);
        all.sort_unstable();
        all.dedup();
        all
    }
}

impl<const MIN_TAIL: usize> PartialEq for Distinct<MIN_TAIL> {
    fn eq(&self, other: &Self) -> bool {
        self.all() == other.all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// A reproducible stream of hashes with many repeats, as failures
    /// retried are.
    fn stream(n: u64, distinct: u64) -> impl Iterator<Item = u64> {
        (0..n).map(move |i| {
            let x = i.wrapping_mul(0x9e37_79b9_7f4a_7c15) % distinct;
            x.wrapping_mul(0xbf58_476d_1ce4_e5b9) ^ (x >> 7)
        })
    }

    #[test]
    fn counts_as_a_hash_set_does_at_every_size() {
        counts_as_a_hash_set::<1024>();
        counts_as_a_hash_set::<16>();
    }

    fn counts_as_a_hash_set<const MIN_TAIL: usize>() {
        let mut d = Distinct::<MIN_TAIL>::default();
        let mut h = HashSet::new();
        for (i, x) in stream(200_000, 60_000).enumerate() {
            d.insert(x);
            h.insert(x);
            if i % 9_973 == 0 || i < 3_000 {
                assert_eq!(d.len(), h.len(), "after {} inserts", i + 1);
            }
        }
        assert_eq!(d.len(), h.len());
        assert!(d.sorted.windows(2).all(|w| w[0] < w[1]), "sorted, each once");
        assert!(
            d.sorted.capacity() < 2 * d.sorted.len().max(MIN_TAIL),
            "no doubling slack"
        );
        assert!(
            d.recent.capacity() <= 2 * (d.sorted.len() / 8).max(MIN_TAIL),
            "a short tail"
        );
    }

    #[test]
    fn extend_and_equality_are_those_of_sets() {
        let (mut a, mut b) = (<Distinct>::default(), <Distinct>::default());
        stream(5_000, 3_000).for_each(|x| a.insert(x));
        stream(8_000, 4_000).for_each(|x| b.insert(x));
        let mut union = a.clone();
        union.extend(&b);
        let want: HashSet<u64> = stream(5_000, 3_000).chain(stream(8_000, 4_000)).collect();
        assert_eq!(union.len(), want.len());
        // The same set added in another order.
        let mut other = <Distinct>::default();
        let mut all: Vec<u64> = want.into_iter().collect();
        all.reverse();
        all.iter().for_each(|&x| other.insert(x));
        assert_eq!(union, other);
        assert_ne!(a, b);
        assert!(<Distinct>::default().is_empty() && !a.is_empty());
    }
}
