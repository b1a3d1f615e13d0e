//! Zipf sampling over ranks 0..n by a precomputed CDF and binary search.

use rand::Rng;

use crate::error::{Error, Result};

/// A Zipf distribution over `0..n`: rank k has weight 1/(k+1)^s.
#[derive(Clone, Debug)]
pub struct Zipf {
    cdf: Vec<f64>,
}

impl Zipf {
    /// The distribution over `n >= 1` ranks with exponent `s >= 0` (0 is uniform).
    pub fn new(n: usize, s: f64) -> Result<Self> {
        if n == 0 || !s.is_finite() || s < 0.0 {
            return Err(Error::Invalid(format!(
                "Zipf needs n >= 1 and s >= 0, not n={n} s={s}"
            )));
        }
        let mut cdf = Vec::with_capacity(n);
        let mut acc = 0.0;
        for k in 1..=n {
            acc += (k as f64).powf(-s);
            cdf.push(acc);
        }
        Ok(Self { cdf })
    }

    /// Number of ranks.
    pub fn len(&self) -> usize {
        self.cdf.len()
    }

    /// Always false: there is at least one rank.
    pub fn is_empty(&self) -> bool {
        self.cdf.is_empty()
    }

    /// Probability of rank `k`.
    pub fn probability(&self, k: usize) -> f64 {
        let total = self.cdf.last().copied().unwrap_or(1.0);
        let below = match k.checked_sub(1) {
            Some(j) => self.cdf.get(j).copied().unwrap_or(total),
            None => 0.0,
        };
        self.cdf.get(k).map_or(0.0, |c| (c - below) / total)
    }

    /// Draws a rank.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> usize {
        let total = self.cdf.last().copied().unwrap_or(0.0);
        let u = rng.random::<f64>() * total;
        self.cdf
            .partition_point(|c| *c <= u)
            .min(self.cdf.len() - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn frequencies_follow_the_weights() {
        let z = Zipf::new(100, 1.0).unwrap();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let mut counts = [0u32; 100];
        let draws = 200_000;
        for _ in 0..draws {
            counts[z.sample(&mut rng)] += 1;
        }
        for k in [0, 1, 9] {
            let expect = z.probability(k) * f64::from(draws);
            let got = f64::from(counts[k]);
            assert!(
                (got - expect).abs() < expect * 0.05,
                "rank {k}: {got} vs {expect}"
            );
        }
        assert!(counts[0] > counts[1] && counts[1] > counts[9] && counts[9] > counts[99]);
    }

    #[test]
    fn rejects_bad_parameters() {
        assert!(Zipf::new(0, 1.0).is_err());
        assert!(Zipf::new(3, -1.0).is_err());
        assert!(Zipf::new(3, f64::NAN).is_err());
    }
}
