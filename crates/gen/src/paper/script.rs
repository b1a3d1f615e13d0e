//! Writing a scenario: who asks whom what, when, and what comes back.

use std::net::{IpAddr, Ipv4Addr};

use hickory_proto::rr::RecordType;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::dns::{IntoName, Response, query_message};
use crate::error::Result;
use crate::exchange::Exchange;
use crate::time::Timestamp;

/// The resolver that asks in every scenario before [`super::assign`] gives each team its
/// own: a documentation address.
pub const SENSOR_RESOLVER: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));

/// Collects the exchanges of one scenario, with a seeded generator for IDs, ports, jitter.
pub(super) struct Script {
    rng: ChaCha8Rng,
    exchanges: Vec<Exchange>,
}

impl Script {
    pub(super) fn new(seed: u64) -> Self {
        Self {
            rng: ChaCha8Rng::seed_from_u64(seed),
            exchanges: Vec::new(),
        }
    }

    /// A random offset below `max` seconds (for spreading sightings).
    pub(super) fn jitter(&mut self, max: u64) -> u64 {
        if max == 0 {
            0
        } else {
            self.rng.random_range(0..max)
        }
    }

    /// A random number in `lo..hi`.
    pub(super) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        self.rng.random_range(lo..hi.max(lo + 1))
    }

    /// The resolver asks `server` for `qname`/`qtype` (iteratively: RD clear) at `time`
    /// seconds; `answer` fills in the response, which starts as NOERROR with RD and RA clear.
    pub(super) fn ask(
        &mut self,
        time: u64,
        server: IpAddr,
        qname: &str,
        qtype: RecordType,
        answer: impl FnOnce(Response) -> Result<Response>,
    ) -> Result<()> {
        let id: u16 = self.rng.random();
        let mut q = query_message(id, qname.into_name()?, qtype)?;
        q.metadata.recursion_desired = false;
        let response = answer(Response::new(id, qname, qtype)?.recursion(false, false))?;
        let micros = self.rng.random_range(0..1_000_000);
        let ex = Exchange::between(
            &mut self.rng,
            Timestamp::new(time, micros),
            SENSOR_RESOLVER,
            server,
            q.to_vec()?,
            response.to_bytes()?,
        );
        self.exchanges.push(ex);
        Ok(())
    }

    /// The exchanges in time order.
    pub(super) fn finish(mut self) -> Vec<Exchange> {
        self.exchanges.sort_by_key(|e| e.time);
        self.exchanges
    }
}
