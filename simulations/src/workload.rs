//! What each team's sensors see: its own observation stream, planned up front from the
//! seed so that the expected state can be computed before the run.
//!
//! Names come from pools, each in one *zone class* (the unit of sharing policy):
//! global public names (`w17.example`) that every team may see, a shared sensitive
//! zone (`s.example`), and per team its own public names (`h3.cert4.net`), its internal
//! zone (`corp.cert4.example`, also seen now and then by other teams) and a private zone
//! (`private.cert4.example`). Within a pool half the draws are Zipf (s = 1.1: a few very
//! popular names, repeats) and half uniform (the long tail of one-off names); popular
//! global names are therefore the same records observed by many origins.
//!
//! Sensors capture in bursts; the node folds sightings in an in-memory *window* and
//! flushes it as one update (`MemReplica::observe`, the store's `apply_local`: one seq).
//! A crash loses the window being filled, and a node captures nothing while it is down.

use std::collections::BTreeMap;
use std::time::Duration;

use hearsay_record::{Bailiwick, Name, RecordKey, RrType, Sighting};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Seconds since the epoch at simulated time zero (packet timestamps).
pub const EPOCH: u64 = 1_700_000_000;

/// The zone classes: 0 public, then each team's internal and private zone, then the
/// shared sensitive zone. Classes never nest, so a name is in exactly one.
#[derive(Debug, Clone)]
pub struct Zones {
    n: usize,
    names: Vec<Name>,
}

impl Zones {
    /// The classes of a federation of `n` teams.
    pub fn new(n: usize) -> Self {
        let mut labels = vec!["public.invalid".to_owned()];
        labels.extend((0..n).map(|k| format!("corp.cert{k}.example")));
        labels.extend((0..n).map(|k| format!("private.cert{k}.example")));
        labels.push("s.example".to_owned());
        let names = labels
            .iter()
            .map(|l| Name::from_presentation(l).expect("zone names are valid"))
            .collect();
        Zones { n, names }
    }
    /// Number of classes.
    pub fn count(&self) -> usize {
        self.names.len()
    }
    /// Team `k`'s internal zone.
    pub fn corp(&self, k: usize) -> usize {
        1 + k
    }
    /// Team `k`'s private zone.
    pub fn private(&self, k: usize) -> usize {
        1 + self.n + k
    }
    /// The shared sensitive zone.
    pub fn shared(&self) -> usize {
        1 + 2 * self.n
    }
    /// The zone of a (non-public) class.
    pub fn name(&self, class: usize) -> Name {
        self.names[class].clone()
    }
    fn suffix(&self, class: usize) -> String {
        self.names[class]
            .to_string()
            .trim_end_matches('.')
            .to_owned()
    }
}

/// Sizes and rates of a workload.
#[derive(Debug, Clone)]
pub struct WorkloadParams {
    /// Distinct records in the universe (about that many are observed).
    pub records: usize,
    /// Sightings across the federation per record of the universe.
    pub sightings_per_record: f64,
    /// Sensors capture from time zero to this.
    pub ingest: Duration,
    /// Capture granularity.
    pub burst: Duration,
    /// Aggregation window: how often a node flushes what it saw.
    pub window: Duration,
}

/// One pool of names in one class.
#[derive(Debug)]
struct Pool {
    first: u32,
    len: u32,
    cdf: usize,
}

/// Every record key a run may observe, and its class.
#[derive(Debug)]
pub struct Universe {
    /// Encoded record keys by id.
    pub keys: Vec<Vec<u8>>,
    /// Class of each key.
    pub class: Vec<u16>,
    /// Key id by key bytes.
    pub ids: std::collections::HashMap<Vec<u8>, u32>,
    global: Pool,
    shared: Pool,
    local: Vec<Pool>,
    corp: Vec<Pool>,
    private: Vec<Pool>,
    cdfs: Vec<Vec<f64>>,
}

impl Universe {
    /// Builds the pools for `n` teams.
    pub fn new(n: usize, records: usize, zones: &Zones) -> Self {
        let mut u = Universe {
            keys: Vec::new(),
            class: Vec::new(),
            ids: Default::default(),
            global: Pool {
                first: 0,
                len: 0,
                cdf: 0,
            },
            shared: Pool {
                first: 0,
                len: 0,
                cdf: 0,
            },
            local: Vec::new(),
            corp: Vec::new(),
            private: Vec::new(),
            cdfs: Vec::new(),
        };
        let r = records as f64;
        let per = |f: f64| ((r * f) as usize).max(4);
        let team = |f: f64| ((r * f / n as f64) as usize).max(4);
        u.global = u.pool(per(0.45), "w", "example", 0);
        u.shared = u.pool(
            per(0.05),
            "x",
            &zones.suffix(zones.shared()),
            zones.shared(),
        );
        for k in 0..n {
            let local = u.pool(team(0.30), "h", &format!("cert{k}.net"), 0);
            let corp = u.pool(team(0.12), "i", &zones.suffix(zones.corp(k)), zones.corp(k));
            let private = u.pool(
                team(0.08),
                "p",
                &zones.suffix(zones.private(k)),
                zones.private(k),
            );
            u.local.push(local);
            u.corp.push(corp);
            u.private.push(private);
        }
        u
    }

    fn pool(&mut self, len: usize, prefix: &str, zone: &str, class: usize) -> Pool {
        let first = self.keys.len() as u32;
        for j in 0..len {
            let name = Name::from_presentation(&format!("{prefix}{}.{zone}", j / 2))
                .expect("generated names are valid");
            let key = RecordKey::new(
                name,
                RrType::A,
                Bailiwick::Unknown,
                vec![10, (j >> 16) as u8, (j >> 8) as u8, j as u8],
            )
            .expect("generated keys are valid")
            .encode();
            self.ids.insert(key.clone(), self.keys.len() as u32);
            self.keys.push(key);
            self.class.push(class as u16);
        }
        let cdf = match self.cdfs.iter().position(|c| c.len() == len) {
            Some(i) => i,
            None => {
                let mut acc = 0.0;
                let mut c: Vec<f64> = (0..len)
                    .map(|i| {
                        acc += 1.0 / ((i + 1) as f64).powf(1.1);
                        acc
                    })
                    .collect();
                for x in &mut c {
                    *x /= acc;
                }
                self.cdfs.push(c);
                self.cdfs.len() - 1
            }
        };
        Pool {
            first,
            len: len as u32,
            cdf,
        }
    }

    fn draw(&self, pool: &Pool, rng: &mut ChaCha8Rng) -> u32 {
        let j = if rng.random_bool(0.5) {
            let x: f64 = rng.random();
            let cdf = &self.cdfs[pool.cdf];
            (cdf.partition_point(|c| *c < x) as u32).min(pool.len - 1)
        } else {
            rng.random_range(0..pool.len)
        };
        pool.first + j
    }

    /// One sighting's key for team `k` of `n`.
    fn sighting(&self, k: usize, n: usize, rng: &mut ChaCha8Rng) -> u32 {
        let other = |rng: &mut ChaCha8Rng| {
            if n > 1 {
                (k + rng.random_range(1..n)) % n
            } else {
                k
            }
        };
        let r: f64 = rng.random();
        if r < 0.45 {
            self.draw(&self.global, rng)
        } else if r < 0.50 {
            self.draw(&self.shared, rng)
        } else if r < 0.80 {
            self.draw(&self.local[k], rng)
        } else if r < 0.92 {
            let team = if rng.random_bool(0.2) { other(rng) } else { k };
            self.draw(&self.corp[team], rng)
        } else {
            let team = if rng.random_bool(0.1) { other(rng) } else { k };
            self.draw(&self.private[team], rng)
        }
    }
}

/// One flushed window: when, and the folded sightings (key id, sighting) in key-id order.
#[derive(Debug, Clone)]
pub struct Window {
    /// Flush time.
    pub at: Duration,
    /// What the window saw.
    pub sightings: Vec<(u32, Sighting)>,
}

/// One node's ingest plan.
#[derive(Debug, Clone, Default)]
pub struct Ingest {
    /// The windows that reach the database, in order (window i is update seq i + 1).
    pub windows: Vec<Window>,
    /// Sightings captured in total.
    pub sightings: u64,
    /// Sightings lost in windows a crash cut short.
    pub lost: u64,
}

/// Plans every node's ingest. `down[k]` are node k's (crash, restart) intervals.
pub fn plan(
    params: &WorkloadParams,
    universe: &Universe,
    down: &[Vec<(Duration, Duration)>],
    rng: &mut ChaCha8Rng,
) -> Vec<Ingest> {
    let n = down.len();
    let bursts = (params.ingest.as_secs_f64() / params.burst.as_secs_f64()).max(1.0);
    let total = universe.keys.len() as f64 * params.sightings_per_record;
    let per_burst = total / (n as f64 * bursts);
    (0..n)
        .map(|k| {
            let offset = params.window.mul_f64(rng.random::<f64>());
            let mut out = Ingest::default();
            let mut buffer: BTreeMap<u32, Sighting> = BTreeMap::new();
            let mut crashes = down[k].iter().peekable();
            let mut flush = offset;
            let mut t = params.burst.mul_f64(rng.random::<f64>());
            let is_down = |t: Duration| down[k].iter().any(|(c, r)| *c <= t && t < *r);
            loop {
                // Next: a burst, a flush or a crash, whichever is first.
                let crash = crashes.peek().map(|(c, _)| *c);
                let burst_due = t < params.ingest;
                let next_flush = flush;
                if let Some(c) = crash
                    && c <= next_flush
                    && (!burst_due || c <= t)
                {
                    out.lost += buffer.values().map(|s| s.count).sum::<u64>();
                    buffer.clear();
                    crashes.next();
                    continue;
                }
                if burst_due && t <= next_flush {
                    if !is_down(t) {
                        let whole = per_burst.floor();
                        let count = whole as u64 + u64::from(rng.random_bool(per_burst - whole));
                        let secs = EPOCH + t.as_secs();
                        for _ in 0..count {
                            let id = universe.sighting(k, n, rng);
                            let s = Sighting::once(secs);
                            buffer
                                .entry(id)
                                .and_modify(|b| {
                                    b.time_first = b.time_first.min(s.time_first);
                                    b.time_last = b.time_last.max(s.time_last);
                                    b.count += 1;
                                })
                                .or_insert(s);
                            out.sightings += 1;
                        }
                    }
                    t += params.burst;
                    continue;
                }
                if !buffer.is_empty() && !is_down(next_flush) {
                    out.windows.push(Window {
                        at: next_flush,
                        sightings: std::mem::take(&mut buffer).into_iter().collect(),
                    });
                }
                if !burst_due && buffer.is_empty() {
                    break;
                }
                flush += params.window;
            }
            out
        })
        .collect()
}
