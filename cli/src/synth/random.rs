//! Random helpers for the simulator: identifiers in AWS formats, picks and the few distributions it needs.
//!
//! Everything draws from one seeded `StdRng`, so a seed always produces the same bundle.

use rand::Rng;
use rand::rngs::StdRng;

pub type SimRng = StdRng;

const HEX: &[u8] = b"0123456789abcdef";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

fn from_alphabet(rng: &mut SimRng, alphabet: &[u8], len: usize) -> String {
    (0..len).map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())])).collect()
}

pub fn hex(rng: &mut SimRng, len: usize) -> String {
    from_alphabet(rng, HEX, len)
}

pub fn upper_hex(rng: &mut SimRng, len: usize) -> String {
    hex(rng, len).to_uppercase()
}

pub fn alnum(rng: &mut SimRng, len: usize) -> String {
    from_alphabet(rng, ALNUM, len)
}

pub fn upper_alnum(rng: &mut SimRng, len: usize) -> String {
    from_alphabet(rng, UPPER_ALNUM, len)
}

pub fn lower_alnum(rng: &mut SimRng, len: usize) -> String {
    from_alphabet(rng, LOWER_ALNUM, len)
}

pub fn digits(rng: &mut SimRng, len: usize) -> String {
    from_alphabet(rng, b"0123456789", len)
}

/// A version-4 UUID string.
pub fn uuid(rng: &mut SimRng) -> String {
    let raw = hex(rng, 32);
    let variant = ["8", "9", "a", "b"][rng.random_range(0..4)];
    format!("{}-{}-4{}-{}{}-{}", &raw[0..8], &raw[8..12], &raw[13..16], variant, &raw[17..20], &raw[20..32])
}

/// An X-Ray trace id for a request that started at `epoch_ms`.
pub fn trace_id(rng: &mut SimRng, epoch_ms: i64) -> String {
    format!("1-{:08x}-{}", epoch_ms / 1000, hex(rng, 24))
}

/// A DynamoDB/AWS service request id (52 upper-case alphanumerics).
pub fn aws_request_id(rng: &mut SimRng) -> String {
    upper_alnum(rng, 52)
}

/// A temporary access key id as CloudTrail shows it.
pub fn access_key_id(rng: &mut SimRng) -> String {
    format!("ASIA{}", upper_alnum(rng, 16))
}

/// A public-looking IPv4 address (never private or reserved first octets).
pub fn public_ip(rng: &mut SimRng) -> String {
    let first = loop {
        let octet: u8 = rng.random_range(3..224);
        if ![10, 100, 127, 169, 172, 192].contains(&octet) {
            break octet;
        }
    };
    format!("{first}.{}.{}.{}", rng.random_range(0..256), rng.random_range(0..256), rng.random_range(1..255))
}

pub fn private_ip(rng: &mut SimRng) -> String {
    format!("10.{}.{}.{}", rng.random_range(0..4), rng.random_range(0..64), rng.random_range(4..250))
}

/// One element of a non-empty constant table. The tables are static data of this module tree, never input.
pub fn pick<'a, T>(rng: &mut SimRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// Index drawn with the given relative weights (weights are non-negative; all-zero picks the first).
pub fn weighted(rng: &mut SimRng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    if total <= 0.0 {
        return 0;
    }
    let mut target = rng.random::<f64>() * total;
    for (index, weight) in weights.iter().enumerate() {
        if target < *weight {
            return index;
        }
        target -= weight;
    }
    weights.len().saturating_sub(1)
}

pub fn chance(rng: &mut SimRng, probability: f64) -> bool {
    rng.random::<f64>() < probability
}

pub fn uniform(rng: &mut SimRng, low: f64, high: f64) -> f64 {
    low + rng.random::<f64>() * (high - low)
}

/// Uniform in `low..=high_inclusive`; `low` when the range is empty.
pub fn range_i64(rng: &mut SimRng, low: i64, high_inclusive: i64) -> i64 {
    if high_inclusive <= low { low } else { rng.random_range(low..=high_inclusive) }
}

/// Uniform in `low..=high_inclusive`; `low` when the range is empty.
pub fn range_u32(rng: &mut SimRng, low: u32, high_inclusive: u32) -> u32 {
    if high_inclusive <= low { low } else { rng.random_range(low..=high_inclusive) }
}

/// Standard normal draw (Box-Muller).
pub fn standard_normal(rng: &mut SimRng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(1e-12);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// A latency-like positive value with the given median and log-space spread.
pub fn lognormal(rng: &mut SimRng, median: f64, sigma: f64) -> f64 {
    median * (sigma * standard_normal(rng)).exp()
}

/// Number of events in an interval whose expected count is `mean`.
pub fn poisson(rng: &mut SimRng, mean: f64) -> u32 {
    if mean <= 0.0 {
        return 0;
    }
    if mean > 40.0 {
        let draw = mean + mean.sqrt() * standard_normal(rng);
        return draw.round().max(0.0) as u32;
    }
    let limit = (-mean).exp();
    let mut product: f64 = rng.random();
    let mut count = 0;
    while product > limit {
        count += 1;
        product *= rng.random::<f64>();
    }
    count
}

/// A stable 64-bit hash (FNV-1a) used to derive per-bundle seeds from the user's seed.
pub fn stable_hash(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0xff)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn uuid_has_the_v4_shape() {
        let mut rng = SimRng::seed_from_u64(7);
        let id = uuid(&mut rng);
        let parts: Vec<&str> = id.split('-').collect();
        assert_eq!(parts.iter().map(|p| p.len()).collect::<Vec<_>>(), vec![8, 4, 4, 4, 12]);
        assert!(parts[2].starts_with('4'));
    }

    #[test]
    fn poisson_mean_is_close_to_the_requested_mean() {
        let mut rng = SimRng::seed_from_u64(1);
        for mean in [0.5, 8.0, 300.0] {
            let total: u64 = (0..4000).map(|_| u64::from(poisson(&mut rng, mean))).sum();
            let observed = total as f64 / 4000.0;
            assert!((observed - mean).abs() < mean * 0.08 + 0.05, "mean {mean} observed {observed}");
        }
    }

    #[test]
    fn weighted_never_picks_a_zero_weight() {
        let mut rng = SimRng::seed_from_u64(3);
        for _ in 0..1000 {
            assert_ne!(weighted(&mut rng, &[1.0, 0.0, 2.0]), 1);
        }
    }
}
