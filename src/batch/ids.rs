//! Sets of custom_ids kept as 128-bit fingerprints instead of strings, so the
//! memory a batch needs to find duplicates and skip finished items stays a
//! few bytes per id however long the ids are. Two different ids share a
//! fingerprint with a probability near n²/2¹²⁹: never, in practice.

use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};

/// The fingerprint of an id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IdKey(u128);

impl IdKey {
    pub fn of(id: &str) -> IdKey {
        let half = |salt: u8| {
            let mut hasher = DefaultHasher::new();
            salt.hash(&mut hasher);
            id.hash(&mut hasher);
            hasher.finish()
        };
        IdKey((u128::from(half(1)) << 64) | u128::from(half(2)))
    }
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
}
