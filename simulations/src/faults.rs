//! The fault schedule of a run, drawn up front from the seed: partitions (a group of
//! nodes cut off, or a random set of links cut) with their heals, node crashes with
//! their restarts, and abrupt connection resets. Every fault is over by `until`.

use std::time::Duration;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// How faulty a run is.
#[derive(Debug, Clone)]
pub struct FaultParams {
    /// Probability that a packet is lost (each transmission, retransmissions included).
    pub loss: f64,
    /// Probability that a packet arrives twice.
    pub duplicate: f64,
    /// Extra random delay per packet, up to this: packets overtake each other.
    pub jitter: Duration,
    /// Partitions to schedule.
    pub partitions: usize,
    /// Longest partition.
    pub max_partition: Duration,
    /// Node crashes to schedule.
    pub crashes: usize,
    /// Longest a crashed node stays down.
    pub max_down: Duration,
    /// Abrupt connection resets to schedule.
    pub resets: usize,
    /// Every fault starts after one second and ends by this time.
    pub until: Duration,
}

impl FaultParams {
    /// A perfect network and no faults.
    pub fn none() -> Self {
        FaultParams {
            loss: 0.0,
            duplicate: 0.0,
            jitter: Duration::ZERO,
            partitions: 0,
            max_partition: Duration::ZERO,
            crashes: 0,
            max_down: Duration::ZERO,
            resets: 0,
            until: Duration::ZERO,
        }
    }
}

/// A partition: the links cut from `start` to `end`.
#[derive(Debug, Clone)]
pub struct Partition {
    /// When it starts.
    pub start: Duration,
    /// When it heals.
    pub end: Duration,
    /// Indices of the links cut.
    pub links: Vec<usize>,
}

/// Every fault of a run.
#[derive(Debug, Clone, Default)]
pub struct Schedule {
    /// Partitions.
    pub partitions: Vec<Partition>,
    /// Per node, its (crash, restart) intervals, sorted and disjoint.
    pub down: Vec<Vec<(Duration, Duration)>>,
    /// Connection resets: when, and on which link.
    pub resets: Vec<(Duration, usize)>,
}

impl Schedule {
    /// Draws a schedule for `n` nodes and `links`.
    pub fn draw(
        p: &FaultParams,
        n: usize,
        links: &[(usize, usize)],
        rng: &mut ChaCha8Rng,
    ) -> Schedule {
        let mut s = Schedule {
            down: vec![Vec::new(); n],
            ..Schedule::default()
        };
        let lo = Duration::from_secs(1);
        if p.until <= lo + Duration::from_secs(1) || links.is_empty() {
            return s;
        }
        let at = |rng: &mut ChaCha8Rng, until: Duration| lo + (until - lo).mul_f64(rng.random());
        for _ in 0..p.partitions {
            let start = at(rng, p.until - lo);
            let len = Duration::from_millis(500) + p.max_partition.mul_f64(rng.random());
            let end = (start + len).min(p.until);
            let cut: Vec<usize> = if rng.random_bool(0.5) {
                // A group cut off from everyone else.
                let size = rng.random_range(1..=(n / 3).max(1));
                let mut group = vec![false; n];
                for _ in 0..size {
                    group[rng.random_range(0..n)] = true;
                }
                (0..links.len())
                    .filter(|i| group[links[*i].0] != group[links[*i].1])
                    .collect()
            } else {
                (0..links.len()).filter(|_| rng.random_bool(0.25)).collect()
            };
            s.partitions.push(Partition {
                start,
                end,
                links: cut,
            });
        }
        for _ in 0..p.crashes {
            let node = rng.random_range(0..n);
            let crash = at(rng, p.until - lo);
            let restart = (crash + Duration::from_millis(200) + p.max_down.mul_f64(rng.random()))
                .min(p.until);
            let gap = Duration::from_millis(500);
            let clash = s.down[node]
                .iter()
                .any(|(c, r)| crash < *r + gap && *c < restart + gap);
            if !clash && restart > crash {
                s.down[node].push((crash, restart));
            }
        }
        for d in &mut s.down {
            d.sort_unstable();
        }
        for _ in 0..p.resets {
            let t = at(rng, p.until);
            s.resets.push((t, rng.random_range(0..links.len())));
        }
        s
    }

    /// Crashes in total.
    pub fn crashes(&self) -> usize {
        self.down.iter().map(Vec::len).sum()
    }
}
