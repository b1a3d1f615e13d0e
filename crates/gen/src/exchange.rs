//! A DNS exchange over the network: "client C asks server S at time t".
//!
//! ```
//! use hearsay_gen::{dns, exchange::Exchange, frame::Link, Timestamp};
//! use hickory_proto::rr::RecordType;
//! use rand::SeedableRng;
//!
//! let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
//! let q = dns::query(1, "example.org", RecordType::NS)?;
//! let r = dns::Response::new(1, "example.org", RecordType::NS)?.to_bytes()?;
//! let ex = Exchange::between(&mut rng, Timestamp::from_secs(1_100_000_000),
//!     "192.0.2.1".parse()?, "198.51.100.53".parse()?, q, r);
//! assert_eq!(ex.server.port(), 53);
//! let [query_frame, response_frame] = ex.packets(&Link::ethernet())?;
//! assert!(response_frame.ts > query_frame.ts);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::net::{IpAddr, SocketAddr};

use rand::Rng;

use crate::error::Result;
use crate::frame::{Link, TcpDnsOptions, tcp_dns_packets, udp_frame};
use crate::time::{Packet, Timestamp};

/// The DNS port.
pub const DNS_PORT: u16 = 53;

/// One query and its response between a client and a server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exchange {
    /// When the query is sent (captured).
    pub time: Timestamp,
    /// Microseconds until the response is captured.
    pub rtt_micros: u64,
    /// The asking side (a stub or a recursive resolver).
    pub client: SocketAddr,
    /// The answering side (a resolver or an authoritative server).
    pub server: SocketAddr,
    /// Query message bytes.
    pub query: Vec<u8>,
    /// Response message bytes.
    pub response: Vec<u8>,
}

impl Exchange {
    /// Round-trip time used by [`Exchange::udp`].
    pub const DEFAULT_RTT_MICROS: u64 = 1_500;

    /// An exchange between the given endpoints, with [`Self::DEFAULT_RTT_MICROS`].
    pub fn udp(
        time: Timestamp,
        client: SocketAddr,
        server: SocketAddr,
        query: Vec<u8>,
        response: Vec<u8>,
    ) -> Self {
        Self {
            time,
            rtt_micros: Self::DEFAULT_RTT_MICROS,
            client,
            server,
            query,
            response,
        }
    }

    /// An exchange from a random client port to port 53, with a random round-trip time
    /// (0.3–60 ms).
    pub fn between<R: Rng + ?Sized>(
        rng: &mut R,
        time: Timestamp,
        client: IpAddr,
        server: IpAddr,
        query: Vec<u8>,
        response: Vec<u8>,
    ) -> Self {
        Self {
            time,
            rtt_micros: rng.random_range(300..=60_000),
            client: SocketAddr::new(client, ephemeral_port(rng)),
            server: SocketAddr::new(server, DNS_PORT),
            query,
            response,
        }
    }

    /// The same exchange with another round-trip time.
    pub fn with_rtt(mut self, micros: u64) -> Self {
        self.rtt_micros = micros;
        self
    }

    /// When the response is captured.
    pub fn response_time(&self) -> Timestamp {
        self.time.plus_micros(self.rtt_micros)
    }

    /// The query frame (client → server over `link`) and the response frame (back over
    /// `link.reversed()`), over UDP.
    pub fn packets(&self, link: &Link) -> Result<[Packet; 2]> {
        let id = self.ip_id();
        let q = udp_frame(link, self.client, self.server, id, &self.query)?;
        let r = udp_frame(
            &link.reversed(),
            self.server,
            self.client,
            id ^ 0x8000,
            &self.response,
        )?;
        Ok([
            Packet::new(self.time, q),
            Packet::new(self.response_time(), r),
        ])
    }

    /// The exchange as a DNS-over-TCP connection starting at `time` (see
    /// [`tcp_dns_packets`]).
    pub fn tcp_packets(&self, link: &Link, opts: &TcpDnsOptions) -> Result<Vec<Packet>> {
        tcp_dns_packets(
            link,
            self.client,
            self.server,
            self.time,
            &[&self.query],
            &[&self.response],
            opts,
        )
    }

    /// A stable IPv4 identification derived from the DNS ID and the client port.
    fn ip_id(&self) -> u16 {
        let dns_id = match self.query.get(0..2) {
            Some(b) => u16::from_be_bytes([b[0], b[1]]),
            None => 0,
        };
        dns_id.rotate_left(5) ^ self.client.port()
    }
}

/// A random source port in 1024..=65535, as resolvers randomise them.
pub fn ephemeral_port<R: Rng + ?Sized>(rng: &mut R) -> u16 {
    rng.random_range(1024..=u16::MAX)
}
