//! Sets of custom_ids kept as 128-bit fingerprints instead of strings, so the
//! memory a batch needs to find duplicates and skip finished items stays a
//! few bytes per id however long the ids are. Two different ids share a
//! fingerprint with a probability near n²/2¹²⁹: never, in practice.
//! Also the fingerprint of a request, written into its result line: stable
//! across runs, releases and machines, unlike an `IdKey`.

use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};

/// The fingerprint of an id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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
}

/// FNV-1a (64 bits) of the request as the API receives it, its keys in
/// order (serde_json's map is sorted): the same request has the same
/// fingerprint in every run and every release.
pub fn request_fingerprint(params: &crate::api::MessageParams) -> u64 {
    let bytes = serde_json::to_vec(params.as_map()).unwrap_or_default();
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
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
    fn a_request_fingerprint_is_fnv1a_of_its_sorted_json() {
        let params =
            |json: &str| crate::api::MessageParams::from_map(serde_json::from_str(json).unwrap());
        // FNV-1a 64 of the two bytes `{}`, computed apart from this code.
        assert_eq!(request_fingerprint(&params("{}")), 0x08f4_4b07_b590_1a25);
        assert_eq!(
            request_fingerprint(&params(r#"{"b":1,"a":2}"#)),
            request_fingerprint(&params(r#"{"a":2,"b":1}"#))
        );
        assert_ne!(
            request_fingerprint(&params(r#"{"a":2}"#)),
            request_fingerprint(&params(r#"{"a":3}"#))
        );
    }
}
