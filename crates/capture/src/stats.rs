//! Decoding counters.

macro_rules! counters {
    ($(#[$meta:meta])* pub struct $name:ident { $($(#[doc = $doc:literal])* $field:ident,)* }) => {
        $(#[$meta])*
        pub struct $name {
            $($(#[doc = $doc])* pub $field: u64,)*
        }

        impl $name {
            /// Every counter as `(name, value)`, in declaration order, for display.
            pub fn counters(&self) -> Vec<(&'static str, u64)> {
                vec![$((stringify!($field), self.$field),)*]
            }

            /// Adds every counter of `other` to this one (to total several decoders).
            pub fn add(&mut self, other: &$name) {
                $(self.$field = self.$field.saturating_add(other.$field);)*
            }
        }
    };
}

counters! {
    /// What the [`Decoder`](crate::Decoder) saw and why it skipped what it skipped.
    ///
    /// Every frame ends up either contributing to a DNS payload or in (at least) one
    /// reason counter; nothing is silently ignored.
    #[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
    pub struct DecodeStats {
        /// Frames given to `decode`.
        frames,
        /// Captured bytes of those frames.
        bytes,
        /// DNS messages emitted (UDP and TCP, both directions).
        dns_payloads,
        /// DNS messages emitted from the server side (response candidates).
        dns_from_server,
        /// Frames cut by the capture snaplen (caplen < wire length) whose needed data was missing.
        snaplen_truncated,
        /// Frames of a link type the decoder does not know.
        unsupported_linktype,
        /// Frames that carry no IPv4/IPv6 (ARP, LLDP, other ethertypes or address families).
        not_ip,
        /// UDP datagrams and TCP segments with no DNS port on either side.
        not_dns_port,
        /// IP packets whose (final) protocol is neither UDP, TCP nor a supported tunnel.
        other_ip_proto,
        /// IPv6 packets whose header chain ends in ESP (encrypted) or "no next header".
        ipv6_no_payload,
        /// Packets with more nested IP headers than `max_ip_depth`.
        tunnel_depth_exceeded,
        /// Link-layer headers too short or inconsistent (bad VLAN/MPLS/SLL/NFLOG/loopback).
        malformed_link,
        /// Bad IPv4/IPv6 headers (version, header length, total length below header).
        malformed_ip,
        /// IP packets whose length field exceeds the captured frame although the frame was not snaplen-cut.
        ip_truncated,
        /// Bad or truncated IPv6 extension headers.
        malformed_ipv6_ext,
        /// Bad UDP headers: length field below 8 or above the IP payload.
        malformed_udp,
        /// Bad TCP headers: data offset below 5 words or past the segment.
        malformed_tcp,
        /// UDP payloads too short to be a DNS message (under 12 bytes).
        dns_too_short,
        /// IP fragments seen (IPv4 with MF or offset, IPv6 with a non-atomic fragment header).
        ip_fragments,
        /// Fragments that are invalid (non-final size not a multiple of 8, beyond 65,535 bytes, empty).
        malformed_fragments,
        /// Datagrams completed by reassembly.
        reassembled_datagrams,
        /// Fragment trains dropped incomplete on timeout (or at `finish`).
        fragment_timeouts,
        /// Fragment trains evicted (oldest first) to make room under `max_fragment_trains`/`max_fragment_bytes`.
        fragment_trains_evicted,
        /// Fragments dropped because their train exceeded a limit (size, pieces, memory).
        fragments_over_limit,
        /// Fragments whose bytes were all already present (with equal content).
        fragment_duplicates,
        /// Fragment trains dropped because a fragment overlapped earlier data with different bytes or a different end.
        fragment_overlap_conflicts,
        /// Fragments of trains already known to be of no DNS interest (first fragment's ports).
        fragments_ignored,
        /// TCP segments to or from a DNS port.
        tcp_segments,
        /// DNS messages reassembled from TCP streams.
        tcp_messages,
        /// TCP connections started to be followed.
        tcp_streams,
        /// TCP connections ended by FIN in both directions or RST.
        tcp_streams_closed,
        /// TCP connections dropped after `tcp_idle_timeout_secs` without a segment (or at `finish`).
        tcp_stream_timeouts,
        /// TCP connections evicted to stay under `max_tcp_streams`.
        tcp_streams_over_limit,
        /// Times data was dropped because a connection or all connections reached their byte limit.
        tcp_bytes_over_limit,
        /// Directions picked up without seeing their SYN (assumed to start at a message boundary).
        tcp_midstream_syncs,
        /// Segments wholly retransmitted (all bytes already seen).
        tcp_retransmitted_segments,
        /// Segments held because they arrived ahead of missing data.
        tcp_out_of_order_segments,
        /// Holes in a byte stream given up on (data lost to the capture); the stream resyncs after them.
        tcp_gaps,
        /// Message length prefixes below 12 (no DNS message is that short): the direction resyncs on its next segment.
        tcp_desyncs,
        /// Bytes thrown away: partial messages at gaps, desyncs, limits, closes and timeouts.
        tcp_dropped_bytes,
        /// Read errors (for instance a truncated capture file) that ended a source.
        source_errors,
    }
}

impl std::fmt::Display for DecodeStats {
    /// One `name value` pair per line, skipping zero counters.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (name, value) in self.counters() {
            if value != 0 {
                writeln!(f, "{name:<28} {value}")?;
            }
        }
        Ok(())
    }
}

/// How much reassembly state a [`Decoder`](crate::Decoder) holds right now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct BufferUsage {
    /// IP datagrams being reassembled.
    pub fragment_trains: usize,
    /// Bytes allocated for them.
    pub fragment_bytes: usize,
    /// TCP connections followed.
    pub tcp_streams: usize,
    /// Bytes buffered for them (partial messages and out-of-order segments).
    pub tcp_bytes: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_list_and_add() {
        let mut a = DecodeStats {
            frames: 2,
            tcp_gaps: 1,
            ..Default::default()
        };
        let b = DecodeStats {
            frames: 3,
            ..Default::default()
        };
        a.add(&b);
        let list = a.counters();
        assert_eq!(list.first(), Some(&("frames", 5)));
        assert!(list.contains(&("tcp_gaps", 1)));
        assert!(list.iter().any(|(n, _)| *n == "source_errors"));
        let shown = a.to_string();
        assert!(shown.contains("frames"));
        assert!(!shown.contains("bytes"));
    }
}
