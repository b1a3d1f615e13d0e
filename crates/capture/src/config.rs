//! Decoder configuration: DNS ports and the hard bounds on reassembly state.

/// What the [`Decoder`](crate::Decoder) looks for and how much state it may keep.
///
/// Every bound is hard: state that would exceed one is dropped (and counted in
/// [`DecodeStats`](crate::DecodeStats)), never grown. Field defaults are listed on each field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DecoderConfig {
    /// UDP/TCP ports that carry DNS, matched on either side. Default `[53]`
    /// (so mDNS on 5353 and LLMNR on 5355 are ignored unless added).
    pub dns_ports: Vec<u16>,
    /// Maximum number of IP headers in one packet, counting the outer one (IP-in-IP,
    /// IPv6-in-IPv4, IPv4-in-IPv6). Deeper packets are counted as `tunnel_depth_exceeded`.
    /// Default 4 (clamped to at least 1).
    pub max_ip_depth: u8,
    /// Maximum number of IP datagrams being reassembled at once. When full, the oldest
    /// train is evicted. Default 4096.
    pub max_fragment_trains: usize,
    /// Maximum bytes buffered for all fragment trains together. Default 16 MiB.
    pub max_fragment_bytes: usize,
    /// A fragment train not completed this long after its first fragment is dropped.
    /// Default 30 s (as Linux's `ipfrag_time`).
    pub fragment_timeout_secs: u64,
    /// Maximum number of fragments (distinct pieces still unmerged) in one train. Default 64.
    pub max_fragments_per_train: usize,
    /// Maximum number of TCP connections followed at once. When full, the least recently
    /// queued stream is evicted. Default 16384.
    pub max_tcp_streams: usize,
    /// Maximum bytes buffered for one TCP connection (both directions: the partial message
    /// and out-of-order segments). Default 256 KiB (a 65,535-byte message needs 65,537).
    pub max_tcp_stream_bytes: usize,
    /// Maximum bytes buffered for all TCP connections together. Default 64 MiB.
    pub max_tcp_bytes: usize,
    /// Maximum out-of-order segments held per direction before the hole is declared a gap.
    /// Default 32.
    pub max_tcp_ooo_segments: usize,
    /// A TCP connection with no segment for this long is dropped. Default 120 s.
    pub tcp_idle_timeout_secs: u64,
}

impl Default for DecoderConfig {
    fn default() -> Self {
        DecoderConfig {
            dns_ports: vec![53],
            max_ip_depth: 4,
            max_fragment_trains: 4096,
            max_fragment_bytes: 16 << 20,
            fragment_timeout_secs: 30,
            max_fragments_per_train: 64,
            max_tcp_streams: 16384,
            max_tcp_stream_bytes: 256 << 10,
            max_tcp_bytes: 64 << 20,
            max_tcp_ooo_segments: 32,
            tcp_idle_timeout_secs: 120,
        }
    }
}
