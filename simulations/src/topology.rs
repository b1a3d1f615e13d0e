//! Who is whose partner: the configured links of a federation. Every link is symmetric
//! (both ends list each other as partners) and gets one connection at a time.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// The shape of the federation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topology {
    /// Every node is every other node's partner.
    Mesh,
    /// One coordinating CERT (node 0) and everyone else partnered with it only.
    Star,
    /// A cycle: diameter n/2.
    Ring,
    /// A path: diameter n − 1, the worst case for relaying.
    Line,
    /// A random spanning tree plus about n/2 random extra links (connected, sparse).
    Sparse,
}

impl Topology {
    /// Every topology, for sweeps that pick one per seed.
    pub const ALL: [Topology; 5] = [
        Topology::Mesh,
        Topology::Star,
        Topology::Ring,
        Topology::Line,
        Topology::Sparse,
    ];

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Topology::Mesh => "mesh",
            Topology::Star => "star",
            Topology::Ring => "ring",
            Topology::Line => "line",
            Topology::Sparse => "sparse",
        }
    }

    /// Parses a name.
    pub fn parse(s: &str) -> Option<Topology> {
        Topology::ALL.into_iter().find(|t| t.name() == s)
    }

    /// The links `(a, b)` with `a < b`, sorted.
    pub fn links(self, n: usize, rng: &mut ChaCha8Rng) -> Vec<(usize, usize)> {
        let mut links = Vec::new();
        match self {
            Topology::Mesh => {
                for a in 0..n {
                    for b in a + 1..n {
                        links.push((a, b));
                    }
                }
            }
            Topology::Star => links.extend((1..n).map(|b| (0, b))),
            Topology::Line => links.extend((1..n).map(|b| (b - 1, b))),
            Topology::Ring => {
                links.extend((1..n).map(|b| (b - 1, b)));
                if n > 2 {
                    links.push((0, n - 1));
                }
            }
            Topology::Sparse => {
                for b in 1..n {
                    let a = rng.random_range(0..b);
                    links.push((a, b));
                }
                let mut extra = n / 2;
                let mut tries = 0;
                while extra > 0 && tries < 100 * n {
                    tries += 1;
                    let a = rng.random_range(0..n);
                    let b = rng.random_range(0..n);
                    let l = (a.min(b), a.max(b));
                    if a != b && !links.contains(&l) {
                        links.push(l);
                        extra -= 1;
                    }
                }
            }
        }
        links.sort_unstable();
        links
    }
}

/// Is the graph connected?
pub fn connected(n: usize, links: &[(usize, usize)]) -> bool {
    let mut seen = vec![false; n];
    let mut stack = vec![0];
    while let Some(x) = stack.pop() {
        if std::mem::replace(&mut seen[x], true) {
            continue;
        }
        for &(a, b) in links {
            if a == x && !seen[b] {
                stack.push(b);
            }
            if b == x && !seen[a] {
                stack.push(a);
            }
        }
    }
    n == 0 || seen.iter().all(|s| *s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn every_topology_is_connected() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for t in Topology::ALL {
            for n in [2, 3, 5, 20, 50] {
                let links = t.links(n, &mut rng);
                assert!(connected(n, &links), "{} with {n}", t.name());
            }
        }
        assert_eq!(Topology::Line.links(5, &mut rng).len(), 4);
        assert_eq!(Topology::Mesh.links(5, &mut rng).len(), 10);
    }
}
