//! Live capture from a network interface through libpcap.

use crate::CaptureError;
use crate::file::{Frame, timestamp};
use crate::linktype;

/// The BPF filter a sensor uses by default on a link type, or `None` where libpcap cannot
/// filter (NFLOG) or the link type is unknown (the decoder filters anyway).
///
/// It keeps, for the given DNS ports (`[53]` → `port 53`):
///
/// * UDP and TCP to or from a DNS port (`port 53` is both; it also matches first
///   fragments, whose transport header is present);
/// * IPv4 fragments after the first (`ip[6:2] & 0x1fff != 0`: non-zero fragment offset),
///   which carry no ports and so cannot be matched on them;
/// * IPv6 packets whose first extension header is a fragment header (`ip6[6] == 44`);
/// * on Ethernet, the same inside one or two VLAN tags (802.1Q or 802.1ad). libpcap's
///   `vlan` keyword shifts the offsets of everything *after* it, so the untagged clause
///   comes first and the tagged ones nest: `X or (vlan and (X or (vlan and X)))`. Where the
///   kernel strips the outer tag (Linux VLAN offload), the untagged clause matches.
///
/// Not matched (use a custom filter if needed): IP-in-IP tunnels, IPv6 packets with other
/// extension headers before UDP/TCP or the fragment header, MPLS and PPPoE.
pub fn default_bpf_filter(dns_ports: &[u16], linktype: i32) -> Option<String> {
    let mut clauses: Vec<String> = dns_ports.iter().map(|p| format!("port {p}")).collect();
    clauses.push("(ip[6:2] & 0x1fff != 0)".to_owned());
    clauses.push("(ip6[6] == 44)".to_owned());
    let x = clauses.join(" or ");
    match linktype {
        linktype::ETHERNET => Some(format!("({x}) or (vlan and (({x}) or (vlan and ({x}))))")),
        linktype::NFLOG => None,
        l if linktype::is_supported(l) => Some(x),
        _ => None,
    }
}

/// How to open an interface.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LiveConfig {
    /// Interface name (`eth0`, `any`, …).
    pub interface: String,
    /// Promiscuous mode (default true: a sensor usually sits on a mirror port).
    pub promiscuous: bool,
    /// Bytes captured per frame (default 65535: DNS needs whole packets).
    pub snaplen: i32,
    /// Deliver packets as they arrive rather than in blocks (default false: blocks are
    /// what keeps up with a busy link; see `timeout_ms` for how long a packet may wait).
    pub immediate: bool,
    /// Kernel buffer size in bytes (default 32 MiB, to ride out bursts).
    pub buffer_size: i32,
    /// Read timeout in milliseconds: when no packet comes, `next_frame` returns `Ok(None)`
    /// after at most this long, so the caller can flush its window, expire state and
    /// check for shutdown on a quiet link (default 500).
    pub timeout_ms: i32,
    /// BPF filter; `None` uses [`default_bpf_filter`] for `dns_ports` and the interface's link type.
    pub filter: Option<String>,
    /// DNS ports for the default filter (default `[53]`).
    pub dns_ports: Vec<u16>,
}

impl Default for LiveConfig {
    fn default() -> Self {
        LiveConfig {
            interface: String::new(),
            promiscuous: true,
            snaplen: 65535,
            immediate: false,
            buffer_size: 32 << 20,
            timeout_ms: 500,
            filter: None,
            dns_ports: vec![53],
        }
    }
}

/// Packet counters of a live capture, from libpcap.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct LiveStats {
    /// Packets received (that passed the filter, on most platforms).
    pub received: u32,
    /// Packets dropped because the buffer was full (the reader was too slow).
    pub dropped: u32,
    /// Packets dropped by the interface or its driver.
    pub if_dropped: u32,
}

/// A live capture on one interface.
pub struct LiveSource {
    interface: String,
    capture: pcap::Capture<pcap::Active>,
    linktype: i32,
    filter: Option<String>,
    timeout_ms: i32,
    /// The last read found nothing buffered: wait on the descriptor before the next.
    drained: bool,
}

impl std::fmt::Debug for LiveSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveSource")
            .field("interface", &self.interface)
            .field("linktype", &self.linktype)
            .field("filter", &self.filter)
            .finish_non_exhaustive()
    }
}

impl LiveSource {
    /// Opens and activates the interface and installs the filter.
    pub fn open(config: &LiveConfig) -> Result<LiveSource, CaptureError> {
        let interface = config.interface.clone();
        let open_err = |source| CaptureError::LiveOpen {
            interface: interface.clone(),
            source,
        };
        let mut capture = pcap::Capture::from_device(interface.as_str())
            .map_err(open_err)?
            .promisc(config.promiscuous)
            .snaplen(config.snaplen)
            .immediate_mode(config.immediate)
            .buffer_size(config.buffer_size)
            .timeout(config.timeout_ms)
            .open()
            .and_then(pcap::Capture::setnonblock)
            .map_err(open_err)?;
        let linktype = capture.get_datalink().0;
        let filter = match &config.filter {
            Some(f) => Some(f.clone()),
            None => default_bpf_filter(&config.dns_ports, linktype),
        };
        if let Some(f) = &filter {
            capture
                .filter(f, true)
                .map_err(|source| CaptureError::Filter {
                    interface: interface.clone(),
                    filter: f.clone(),
                    source,
                })?;
        }
        tracing::info!(interface = %interface, linktype, filter = ?filter, "capturing");
        Ok(LiveSource {
            interface,
            capture,
            linktype,
            filter,
            timeout_ms: config.timeout_ms.max(1),
            drained: false,
        })
    }

    /// The interface's link type (`DLT_*`).
    pub fn linktype(&self) -> i32 {
        self.linktype
    }

    /// The BPF filter installed, if any.
    pub fn filter(&self) -> Option<&str> {
        self.filter.as_deref()
    }

    /// The next frame, or `Ok(None)` when none came within the read timeout.
    ///
    /// The capture is non-blocking and waits in `poll(2)` on its descriptor: libpcap's
    /// own read timeout does not fire on a quiet link on Linux (the `TPACKET_V3` ring
    /// sleeps until a packet comes), which would leave the caller's window unflushed
    /// and its shutdown flag unread for as long as the link stays quiet.
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, CaptureError> {
        if self.drained {
            self.wait_readable()?;
        }
        match self.capture.next_packet() {
            Ok(p) => {
                self.drained = false;
                Ok(Some(Frame {
                    ts: timestamp(p.header),
                    data: p.data,
                    orig_len: p.header.len,
                }))
            }
            Err(pcap::Error::TimeoutExpired) => {
                self.drained = true;
                Ok(None)
            }
            Err(source) => Err(CaptureError::LiveRead {
                interface: self.interface.clone(),
                source,
            }),
        }
    }

    /// Waits until the capture's descriptor is readable or the read timeout passes.
    fn wait_readable(&mut self) -> Result<(), CaptureError> {
        use rustix::event::{PollFd, PollFlags, Timespec, poll};
        let timeout = Timespec {
            tv_sec: i64::from(self.timeout_ms / 1000),
            tv_nsec: i64::from(self.timeout_ms % 1000) * 1_000_000,
        };
        let mut fds = [PollFd::new(&self.capture, PollFlags::IN)];
        match poll(&mut fds, Some(&timeout)) {
            Ok(_) | Err(rustix::io::Errno::INTR) => Ok(()),
            Err(e) => Err(CaptureError::LivePoll {
                interface: self.interface.clone(),
                source: e.into(),
            }),
        }
    }

    /// libpcap's counters for this capture.
    pub fn stats(&mut self) -> Result<LiveStats, CaptureError> {
        match self.capture.stats() {
            Ok(s) => Ok(LiveStats {
                received: s.received,
                dropped: s.dropped,
                if_dropped: s.if_dropped,
            }),
            Err(source) => Err(CaptureError::LiveRead {
                interface: self.interface.clone(),
                source,
            }),
        }
    }
}
