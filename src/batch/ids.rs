//! Sets of custom_ids kept as 128-bit fingerprints instead of strings, so the
//! memory a batch needs to find duplicates and skip finished items stays a
//! few bytes per id however long the ids are. Two different ids share a
//! fingerprint with a probability near n²/2¹²⁹: never, in practice.
//! Also the fingerprint of a request, written into its result line: stable
//! across runs, releases and machines, unlike an `IdKey`.

use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};

/// The fingerprint of an id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IdKey(u64, u64);

impl IdKey {
    pub fn of(id: &str) -> IdKey {
        let half = |salt: u8| {
            let mut hasher = DefaultHasher::new();
            salt.hash(&mut hasher);
            id.hash(&mut hasher);
            hasher.finish()
        };
        IdKey(half(1), half(2))
    }

    /// Which of `buckets` (a power of two) the key falls in, by its top bits:
    /// keys in order fall in buckets in order.
    pub fn top(self, buckets: usize) -> usize {
        let bits = buckets.max(1).ilog2();
        self.0.checked_shr(64 - bits).unwrap_or(0) as usize
    }
}

/// FNV-1a (64 bits) of a request body as sent: the same request has the
/// same fingerprint in every run and every release (serde_json's map keeps
/// its keys sorted, whatever order a line gave them in).
pub fn fingerprint(body: &[u8]) -> u64 {
    body.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

pub type IdSet = HashSet<IdKey>;
pub type IdLines = HashMap<IdKey, u64>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_ids_share_a_key_and_different_ones_do_not() {
        assert_eq!(IdKey::of("a"), IdKey::of("a"));
        let keys: IdSet = (0..10_000).map(|n| IdKey::of(&n.to_string())).collect();
        assert_eq!(keys.len(), 10_000);
        assert_ne!(IdKey::of("ab"), IdKey::of("ba"));
    }

    #[test]
    fn a_fingerprint_is_fnv1a_64() {
        // Computed apart from this code.
        assert_eq!(fingerprint(b"{}"), 0x08f4_4b07_b590_1a25);
        assert_eq!(fingerprint(b""), 0xcbf2_9ce4_8422_2325);
        assert_ne!(fingerprint(b"ab"), fingerprint(b"ba"));
    }
}
