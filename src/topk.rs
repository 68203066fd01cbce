//! A bounded table of counts per key for the views that only show the
//! heaviest keys (domains, relays, senders, unclassified texts): exact while
//! it holds at most [`TopK::limit`] keys, an approximate top-K past that
//! (issue 21, "bounded by design").
//!
//! The algorithm is Space-Saving's (Metwally, Agrawal and El Abbadi, 2005)
//! in its Misra–Gries form, which Agarwal et al. ("Mergeable summaries",
//! 2012) show to be the same summary: each key carries a weight; when the
//! table holds an eighth more keys than its limit, the (limit + 1)-th
//! largest weight `m` is
//! subtracted from every weight and the keys left at zero or below are
//! dropped, leaving at most `limit` keys, and `m` is added to the table's
//! [`TopK::max_error`]. Pruning in batches costs O(1) amortized per new key
//! (a min-heap or Space-Saving's stream summary would cost a pointer chase
//! per event). The guarantees, for a key of true weight `w` in a table of
//! total weight `N` (`tests` check them):
//!
//! - a key held has seen `w - max_error` or more of its weight since it was
//!   last taken in: its counts (the value `V`) are those events', so they
//!   undercount the truth by at most `max_error`, never overcount;
//! - `max_error <= N / (limit + 1)`: every key of weight above that is held;
//! - the same holds after [`TopK::merge`] (errors add up, so do weights).
//!
//! Memory: at most `limit + limit / 8` keys, each its key, its value and 8
//! bytes of weight (pruning at twice the limit made a hash table of twice
//! the buckets: 100,000 keys and an eighth fit in 131,072 of them). A prune
//! every `limit / 8` new keys looks at all of them: 9 steps a new key.

use std::borrow::Borrow;
use std::hash::Hash;

use rustc_hash::FxHashMap;

/// Keys a table holds exactly before it becomes approximate, unless the
/// `BOUNCE_REPORT_TOPK_LIMIT` environment variable (for tests) says
/// otherwise. 100,000 distinct domains take about 60 MiB in the report's
/// tables; a log with more rarely needs the 100,001st by name.
pub const DEFAULT_LIMIT: usize = 100_000;

/// The limit in force: [`DEFAULT_LIMIT`], or `BOUNCE_REPORT_TOPK_LIMIT`
/// (hidden, for the tests that need a small one), read once.
pub fn limit() -> usize {
    static LIMIT: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *LIMIT.get_or_init(|| {
        std::env::var("BOUNCE_REPORT_TOPK_LIMIT")
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|&n: &usize| n > 0)
            .unwrap_or(DEFAULT_LIMIT)
    })
}

/// What a table that went approximate can say about itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Approximation {
    /// Keys held exactly at most (the table keeps at most an eighth more).
    pub limit: u64,
    /// Distinct keys seen, at least: the most the table held at once.
    pub distinct_seen_at_least: u64,
    /// How much any key's counts may undercount it (0 when exact).
    pub max_error: u64,
}

/// Values per key, exact up to a limit of keys and approximate past it.
#[derive(Clone, Debug, PartialEq)]
pub struct TopK<K: Hash + Eq, V> {
    /// The value and the (decremented) weight of each key held.
    map: FxHashMap<K, (V, u64)>,
    limit: usize,
    /// Subtracted from every weight so far (0: exact).
    error: u64,
    /// The most keys held at once.
    most: usize,
    /// Pruned at least once (even with an error of 0, when only keys of
    /// weight 0 were dropped: then the table is still exact in its counts,
    /// but some keys of no weight are missing).
    pruned: bool,
}

impl<K: Hash + Eq, V> Default for TopK<K, V> {
    fn default() -> Self {
        TopK::with_limit(limit())
    }
}

impl<K: Hash + Eq, V> TopK<K, V> {
    pub fn with_limit(limit: usize) -> Self {
        TopK {
            map: FxHashMap::default(),
            limit: limit.max(1),
            error: 0,
            most: 0,
            pruned: false,
        }
    }

    /// The keys held exactly at most.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// The keys held at most: pruned when it would hold more.
    pub fn most_held(&self) -> usize {
        self.limit + (self.limit / 8).max(1)
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// How much a key's counts may undercount it (0 while exact).
    pub fn max_error(&self) -> u64 {
        self.error
    }

    /// `None` while every key seen is held with its exact counts.
    pub fn approximation(&self) -> Option<Approximation> {
        self.pruned.then_some(Approximation {
            limit: self.limit as u64,
            distinct_seen_at_least: self.most as u64,
            max_error: self.error,
        })
    }

    pub fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.map.get(key).map(|(v, _)| v)
    }

    pub fn contains_key<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.map.contains_key(key)
    }

    /// Every key held and its value, in no order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> + '_ {
        self.map.iter().map(|(k, (v, _))| (k, v))
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> + '_ {
        self.map.values_mut().map(|(v, _)| v)
    }

    /// The value of `key` (made by `make` when it is not held), its weight
    /// raised by `weight`. May prune the table first.
    pub fn add_with(&mut self, key: K, weight: u64, make: impl FnOnce() -> V) -> &mut V {
        // One lookup while the table has room; two when it is full.
        if self.map.len() >= self.most_held() && !self.map.contains_key(&key) {
            self.prune();
        }
        let (len, most) = (self.map.len(), &mut self.most);
        let slot = self.map.entry(key).or_insert_with(|| {
            *most = (*most).max(len + 1);
            (make(), 0)
        });
        slot.1 += weight;
        &mut slot.0
    }

    /// [`TopK::add_with`] for a borrowed key, made owned only when new.
    pub fn add_ref<Q>(&mut self, key: &Q, weight: u64) -> &mut V
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
        V: Default,
    {
        if !self.map.contains_key(key) {
            if self.map.len() >= self.most_held() {
                self.prune();
            }
            self.map.insert(key.to_owned(), (V::default(), 0));
            self.most = self.most.max(self.map.len());
        }
        let slot = self.map.get_mut(key).expect("inserted above");
        slot.1 += weight;
        &mut slot.0
    }

    /// Drops the keys at or below the (limit+1)-th weight, subtracting it
    /// from the rest: see the module's documentation.
    fn prune(&mut self) {
        self.most = self.most.max(self.map.len());
        if self.map.len() <= self.limit {
            return;
        }
        let mut weights: Vec<u64> = self.map.values().map(|&(_, w)| w).collect();
        // The (limit + 1)-th largest weight.
        let (_, &mut m, _) = weights.select_nth_unstable_by(self.limit, |a, b| b.cmp(a));
        drop(weights);
        self.map.retain(|_, (_, w)| {
            *w = w.saturating_sub(m);
            *w > 0
        });
        self.map.shrink_to(self.most_held());
        self.error += m;
        self.pruned = true;
    }

    /// Every key of `other` added in, its weight and value with it (`merge`
    /// adds a value into one already held); the errors add up.
    pub fn merge(&mut self, other: TopK<K, V>, merge: impl Fn(&mut V, V)) {
        self.merge_map(other, |k, v| (k, v), merge);
    }

    /// [`TopK::merge`] of a table of other keys and values, each made one
    /// of these by `f` (two of its keys may become one).
    pub fn merge_map<K2: Hash + Eq, V2>(
        &mut self,
        other: TopK<K2, V2>,
        mut f: impl FnMut(K2, V2) -> (K, V),
        merge: impl Fn(&mut V, V),
    ) {
        self.error += other.error;
        self.pruned |= other.pruned;
        self.most = self.most.max(other.most);
        for (k, (v, w)) in other.map {
            let (k, v) = f(k, v);
            if let Some(mine) = self.map.get_mut(&k) {
                merge(&mut mine.0, v);
                mine.1 += w;
                continue;
            }
            if self.map.len() >= self.most_held() {
                self.prune();
            }
            self.map.insert(k, (v, w));
            self.most = self.most.max(self.map.len());
        }
    }

    /// An empty table of the same limit.
    pub fn empty_like(&self) -> Self {
        TopK::with_limit(self.limit)
    }

    /// Marks a table rebuilt from an approximate one (a summary read back,
    /// a `--state` file) approximate, its error added.
    pub fn set_approximation(&mut self, a: Option<Approximation>) {
        if let Some(a) = a {
            self.pruned = true;
            self.error += a.max_error;
            self.most = self.most.max(a.distinct_seen_at_least as usize);
        }
    }
}

/// A value's weight when a table is rebuilt from its keys and values (a
/// `--state` file): the events it counts.
pub trait Weight {
    fn weight(&self) -> u64;
}

impl<K: Hash + Eq, V: Weight> FromIterator<(K, V)> for TopK<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut t = TopK::default();
        for (k, v) in iter {
            let w = v.weight();
            t.add_with(k, w, || v);
        }
        t
    }
}

impl<'a, K: Hash + Eq, V> IntoIterator for &'a TopK<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = std::iter::Map<
        std::collections::hash_map::Iter<'a, K, (V, u64)>,
        fn((&'a K, &'a (V, u64))) -> (&'a K, &'a V),
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.map.iter().map(|(k, (v, _))| (k, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    /// Adds `stream` one key at a time into a table of `limit`, and checks
    /// the guarantees against the true counts.
    fn check(stream: &[u32], limit: usize) -> TopK<u32, u64> {
        let mut t: TopK<u32, u64> = TopK::with_limit(limit);
        let mut truth: HashMap<u32, u64> = HashMap::new();
        for &k in stream {
            *t.add_ref(&k, 1) += 1;
            *truth.entry(k).or_default() += 1;
        }
        verify(&t, &truth, stream.len() as u64);
        t
    }

    fn verify(t: &TopK<u32, u64>, truth: &HashMap<u32, u64>, n: u64) {
        let err = t.max_error();
        assert!(t.len() <= t.most_held());
        assert!(err <= n / (t.limit() as u64 + 1), "error {err} over N/(limit+1)");
        for (k, &true_count) in truth {
            match t.get(k) {
                Some(&held) => {
                    assert!(held <= true_count, "key {k}: {held} > {true_count}");
                    assert!(held + err >= true_count, "key {k}: {held} + {err} < {true_count}");
                }
                None => assert!(true_count <= err, "key {k} of {true_count} dropped (error {err})"),
            }
        }
        if truth.len() <= t.limit() {
            assert_eq!(t.approximation(), None);
            assert_eq!(t.len(), truth.len());
        }
    }

    #[test]
    fn exact_below_the_limit() {
        let t = check(&[1, 2, 3, 1, 2, 1], 3);
        assert_eq!(t.get(&1), Some(&3));
        assert_eq!(t.approximation(), None);
    }

    #[test]
    fn heavy_keys_survive_a_flood_of_distinct_ones() {
        // Keys 0..5 ten thousand times each, among 100,000 keys seen once.
        let mut stream = Vec::new();
        for i in 0..100_000u32 {
            stream.push(1_000 + i);
            if i % 2 == 0 {
                stream.push(i % 5);
            }
        }
        let t = check(&stream, 100);
        let a = t.approximation().expect("approximate");
        assert_eq!(a.limit, 100);
        assert!(a.distinct_seen_at_least > 100);
        for k in 0..5 {
            assert!(t.get(&k).is_some());
        }
    }

    #[test]
    fn merged_tables_keep_the_guarantees() {
        let mut truth: HashMap<u32, u64> = HashMap::new();
        let mut parts = Vec::new();
        for p in 0..4u32 {
            let mut t: TopK<u32, u64> = TopK::with_limit(50);
            for i in 0..5_000u32 {
                let k = if i % 3 == 0 { i % 7 } else { p * 100_000 + i };
                *t.add_ref(&k, 1) += 1;
                *truth.entry(k).or_default() += 1;
            }
            parts.push(t);
        }
        let mut all: TopK<u32, u64> = TopK::with_limit(50);
        for t in parts {
            all.merge(t, |a, b| *a += b);
        }
        verify(&all, &truth, 20_000);
        assert!(all.approximation().is_some());
        for k in 0..7 {
            assert!(all.get(&k).is_some(), "heavy key {k} kept");
        }
    }

    proptest! {
        #[test]
        fn counts_undercount_by_at_most_the_error(
            stream in proptest::collection::vec(0u32..200, 0..3_000),
            limit in 1usize..40,
        ) {
            check(&stream, limit);
        }

        #[test]
        fn skewed_streams_keep_their_heavy_keys(
            stream in proptest::collection::vec((0u32..12).prop_flat_map(|b| 0..(1u32 << b)), 0..3_000),
            limit in 1usize..30,
        ) {
            check(&stream, limit);
        }
    }
}
