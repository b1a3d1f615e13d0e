//! The event loop: simulated time, one queue of events ordered by (time, priority,
//! insertion), every random choice from the run's seeded generator. Nodes are driven
//! the way the node's engine thread drives its `Replicator`: after every input the
//! node's connections are pumped (frames taken while the send queue has room), at every
//! `TICK`, and when `poll_timeout` says so.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::rc::Rc;
use std::time::Duration;

use hearsay_record::Sighting;
use hearsay_sync::{ConnId, Mem, TICK};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::checks::Probe;
use crate::expected::Expected;
use crate::faults::{FaultParams, Schedule};
use crate::net::{Conn, Link, NetParams, Stream};
use crate::node::{Boot, Engine};
use crate::workload::Ingest;

/// How long inputs may queue before a node pumps its connections.
const PUMP_DELAY: Duration = Duration::from_millis(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Ev {
    Restart(usize),
    Crash(usize),
    Flush(usize, usize),
    PartitionStart(usize),
    PartitionEnd(usize),
    Reset(usize),
    Tick(usize, u32),
    Wake(usize),
    Pump(usize),
    Dial {
        link: usize,
        side: usize,
    },
    Handshake {
        link: usize,
    },
    Arrive {
        conn: ConnId,
        dir: usize,
        off: u64,
        len: u64,
    },
    Retransmit {
        conn: ConnId,
        dir: usize,
        off: u64,
        len: u64,
        attempt: u32,
    },
    Ack {
        conn: ConnId,
        dir: usize,
        upto: u64,
    },
    CloseNotice {
        conn: ConnId,
        end: usize,
    },
    IdleCheck {
        conn: ConnId,
        end: usize,
    },
    Check,
}

impl Ev {
    /// Order among events at the same instant: restarts and crashes before flushes
    /// (the ingest plan assumes so), pumps after the inputs that made them due.
    fn priority(&self) -> u8 {
        match self {
            Ev::Restart(_) => 0,
            Ev::Crash(_) => 1,
            Ev::Flush(..) => 2,
            Ev::Pump(_) => 4,
            Ev::Check => 5,
            _ => 3,
        }
    }
}

/// Bytes and messages on the wire.
#[derive(Debug, Clone, Default)]
pub struct Traffic {
    /// Frames and frame bytes by message kind.
    pub frames: BTreeMap<&'static str, (u64, u64)>,
    /// Frame bytes carrying records.
    pub data_bytes: u64,
    /// Frame bytes of everything else.
    pub meta_bytes: u64,
    /// Entries sent.
    pub entries_sent: u64,
    /// Packet bytes on the wire: headers, retransmissions and duplicates included.
    pub wire_bytes: u64,
    /// Of those, retransmitted payload.
    pub retransmitted: u64,
    /// Of those, duplicated packets.
    pub duplicated: u64,
    /// Connections established.
    pub connections: u64,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Nothing in flight, nothing due, every link up (the protocol run).
    Quiescent,
    /// Every node holds its expected state (the baseline run, which never goes quiet).
    Converged,
    /// The time limit passed first.
    Deadline,
    /// An invariant broke.
    Violation,
}

/// The outcome of one simulated run.
#[derive(Debug)]
pub struct Outcome {
    /// How it ended.
    pub end: End,
    /// When (simulated).
    pub at: Duration,
    /// When the last fault healed, ingest stopped and the last window was flushed.
    pub settle: Duration,
    /// Traffic.
    pub traffic: Traffic,
    /// Per node, the most bytes it had queued (unacknowledged) at once.
    pub peak_queue: Vec<u64>,
    /// Every node's final durable state (None if down at the end).
    pub states: Vec<Option<Mem>>,
    /// Events processed.
    pub events: u64,
}

/// What the loop needs to know about the run.
#[derive(Debug)]
pub struct Setup {
    /// Node names.
    pub names: Vec<String>,
    /// Links `(a, b)`.
    pub links: Vec<(usize, usize)>,
    /// Network parameters.
    pub net: NetParams,
    /// Faults (loss, duplication, jitter).
    pub faults: FaultParams,
    /// The fault schedule.
    pub schedule: Schedule,
    /// Every node's ingest.
    pub ingest: Vec<Ingest>,
    /// Give up at this simulated time.
    pub deadline: Duration,
    /// Stop when converged rather than quiescent (the baseline).
    pub until_converged: bool,
    /// Nodes whose frames (sent and received) are printed to stderr as they are sent.
    pub trace: Vec<usize>,
}

struct NodeState<E> {
    engine: Option<E>,
    durable: Option<Mem>,
    /// Peer → the connection it has to it.
    conns: BTreeMap<usize, ConnId>,
    wake: Option<Duration>,
    pump_pending: bool,
    /// Generation of the tick chain (a restart starts a new one).
    ticks: u32,
    queued: u64,
    peak: u64,
}

/// One run in progress.
pub struct World<'a, B: Boot> {
    setup: &'a Setup,
    boot: &'a B,
    probe: Rc<RefCell<Probe>>,
    expected: Rc<Expected>,
    rng: ChaCha8Rng,
    now: Duration,
    queue: BinaryHeap<Reverse<(Duration, u8, u64, Ev)>>,
    seq: u64,
    nodes: Vec<NodeState<B::E>>,
    links: Vec<Link>,
    links_of: Vec<Vec<usize>>,
    conns: BTreeMap<ConnId, Conn>,
    next_conn: ConnId,
    traffic: Traffic,
    settle: Duration,
    events: u64,
}

impl<'a, B: Boot> World<'a, B> {
    /// A world at time zero: every node booted, links drawn, faults and ingest queued.
    pub fn new(
        setup: &'a Setup,
        boot: &'a B,
        probe: Rc<RefCell<Probe>>,
        expected: Rc<Expected>,
        mut rng: ChaCha8Rng,
    ) -> Self {
        let n = setup.names.len();
        let net = &setup.net;
        let links: Vec<Link> = setup
            .links
            .iter()
            .map(|&(a, b)| {
                let (lo, hi) = net.latency;
                let latency = lo + (hi.saturating_sub(lo)).mul_f64(rng.random());
                let bandwidth =
                    rng.random_range(net.bandwidth.0..=net.bandwidth.1.max(net.bandwidth.0));
                Link {
                    a,
                    b,
                    latency,
                    bandwidth,
                    cut: 0,
                    handshaking: false,
                    failures: 0,
                    dial_scheduled: [false; 2],
                }
            })
            .collect();
        let mut links_of = vec![Vec::new(); n];
        for (i, l) in links.iter().enumerate() {
            links_of[l.a].push(i);
            links_of[l.b].push(i);
        }
        let mut w = World {
            setup,
            boot,
            probe,
            expected,
            rng,
            now: Duration::ZERO,
            queue: BinaryHeap::new(),
            seq: 0,
            nodes: Vec::new(),
            links,
            links_of,
            conns: BTreeMap::new(),
            next_conn: 1,
            traffic: Traffic::default(),
            settle: Duration::ZERO,
            events: 0,
        };
        for i in 0..n {
            let engine = match boot.boot(i, None) {
                Ok(e) => Some(e),
                Err(e) => {
                    w.fail(format!("{} does not start: {e}", setup.names[i]));
                    None
                }
            };
            w.nodes.push(NodeState {
                engine,
                durable: None,
                conns: BTreeMap::new(),
                wake: None,
                pump_pending: false,
                ticks: 0,
                queued: 0,
                peak: 0,
            });
            let first_tick = TICK.mul_f64(w.rng.random());
            w.at(first_tick, Ev::Tick(i, 0));
        }
        for l in 0..w.links.len() {
            for side in 0..2 {
                let d = Duration::from_millis(w.rng.random_range(0..200));
                w.schedule_dial(l, side, d);
            }
        }
        let mut settle = Duration::ZERO;
        for (i, plan) in setup.ingest.iter().enumerate() {
            for (k, win) in plan.windows.iter().enumerate() {
                w.at(win.at, Ev::Flush(i, k));
                settle = settle.max(win.at);
            }
        }
        for (k, p) in setup.schedule.partitions.iter().enumerate() {
            w.at(p.start, Ev::PartitionStart(k));
            w.at(p.end, Ev::PartitionEnd(k));
            settle = settle.max(p.end);
        }
        for (i, downs) in setup.schedule.down.iter().enumerate() {
            for (c, r) in downs {
                w.at(*c, Ev::Crash(i));
                w.at(*r, Ev::Restart(i));
                settle = settle.max(*r);
            }
        }
        for (k, (t, _)) in setup.schedule.resets.iter().enumerate() {
            w.at(*t, Ev::Reset(k));
            settle = settle.max(*t);
        }
        w.settle = settle;
        w.at(settle + Duration::from_millis(500), Ev::Check);
        w
    }

    fn at(&mut self, t: Duration, ev: Ev) {
        self.seq += 1;
        self.queue
            .push(Reverse((t.max(self.now), ev.priority(), self.seq, ev)));
    }

    fn fail(&mut self, what: String) {
        let mut p = self.probe.borrow_mut();
        p.now = self.now;
        p.fail(what);
    }

    fn failed(&self) -> bool {
        !self.probe.borrow().failures.is_empty()
    }

    /// Runs to the end.
    pub fn run(mut self) -> Outcome {
        let end = loop {
            if self.failed() {
                break End::Violation;
            }
            let Some(Reverse((t, _, _, ev))) = self.queue.pop() else {
                break End::Deadline;
            };
            if t > self.setup.deadline {
                self.now = self.setup.deadline;
                break End::Deadline;
            }
            self.now = t;
            self.probe.borrow_mut().now = t;
            self.events += 1;
            if let Some(end) = self.step(ev) {
                break end;
            }
        };
        let states = self
            .nodes
            .iter()
            .map(|n| n.engine.as_ref().map(Engine::durable))
            .collect();
        Outcome {
            end,
            at: self.now,
            settle: self.settle,
            traffic: self.traffic,
            peak_queue: self.nodes.iter().map(|n| n.peak).collect(),
            states,
            events: self.events,
        }
    }

    fn step(&mut self, ev: Ev) -> Option<End> {
        match ev {
            Ev::Tick(i, generation) => {
                if self.nodes[i].engine.is_some() && self.nodes[i].ticks == generation {
                    self.pump(i);
                    self.at(self.now + TICK, Ev::Tick(i, generation));
                }
            }
            Ev::Wake(i) => {
                if self.nodes[i].wake == Some(self.now) {
                    self.nodes[i].wake = None;
                    self.pump(i);
                }
            }
            Ev::Pump(i) => {
                self.nodes[i].pump_pending = false;
                self.pump(i);
            }
            Ev::Flush(i, k) => self.flush(i, k),
            Ev::Crash(i) => self.crash(i),
            Ev::Restart(i) => self.restart(i),
            Ev::PartitionStart(k) => {
                for l in self.setup.schedule.partitions[k].links.clone() {
                    self.links[l].cut += 1;
                }
            }
            Ev::PartitionEnd(k) => {
                for l in self.setup.schedule.partitions[k].links.clone() {
                    self.links[l].cut = self.links[l].cut.saturating_sub(1);
                }
            }
            Ev::Reset(k) => {
                let l = self.setup.schedule.resets[k].1;
                let (a, b) = (self.links[l].a, self.links[l].b);
                let conn = self.nodes[a]
                    .conns
                    .get(&b)
                    .or_else(|| self.nodes[b].conns.get(&a))
                    .copied();
                if let Some(c) = conn {
                    let end = usize::from(self.rng.random_bool(0.5));
                    self.close_end(c, end, true);
                }
            }
            Ev::Dial { link, side } => self.dial(link, side),
            Ev::Handshake { link } => self.handshake(link),
            Ev::Arrive {
                conn,
                dir,
                off,
                len,
            } => self.arrive(conn, dir, off, len),
            Ev::Retransmit {
                conn,
                dir,
                off,
                len,
                attempt,
            } => {
                if self.conns.get(&conn).is_some_and(|c| c.open[dir]) {
                    self.transmit(conn, dir, off, len, attempt);
                }
            }
            Ev::Ack { conn, dir, upto } => {
                let c = self.conns.get_mut(&conn)?;
                if !c.open[dir] {
                    return None;
                }
                let freed = c.streams[dir].ack(upto);
                let node = c.nodes[dir];
                self.nodes[node].queued -= freed;
                // Room in this connection's queue: it may take more.
                if freed > 0 && c.streams[dir].unacked() + freed >= self.setup.net.send_queue {
                    self.pump_conn(node, conn);
                }
            }
            Ev::CloseNotice { conn, end } => self.close_end(conn, end, false),
            Ev::IdleCheck { conn, end } => self.idle_check(conn, end),
            Ev::Check => return self.check(),
        }
        None
    }

    // ---- nodes ----

    fn engine(&mut self, i: usize) -> Option<&mut B::E> {
        self.nodes[i].engine.as_mut()
    }

    fn flush(&mut self, i: usize, k: usize) {
        let setup = self.setup;
        let window = &setup.ingest[i].windows[k];
        let keys = &self.expected.universe.keys;
        let sightings: Vec<(Vec<u8>, Sighting)> = window
            .sightings
            .iter()
            .map(|(id, s)| (keys[*id as usize].clone(), *s))
            .collect();
        match self.engine(i) {
            Some(e) => e.observe(&sightings),
            None => self.fail(format!(
                "simulator: {} flushes a window while down",
                setup.names[i]
            )),
        }
        self.pump(i);
    }

    fn crash(&mut self, i: usize) {
        let Some(engine) = self.nodes[i].engine.take() else {
            return;
        };
        self.nodes[i].durable = Some(engine.durable());
        drop(engine);
        let conns: Vec<ConnId> = self.nodes[i].conns.values().copied().collect();
        for c in conns {
            if let Some(conn) = self.conns.get(&c) {
                let end = usize::from(conn.nodes[1] == i);
                self.close_end(c, end, false);
            }
        }
        self.nodes[i].wake = None;
    }

    fn restart(&mut self, i: usize) {
        let durable = self.nodes[i].durable.take();
        match self.boot.boot(i, durable) {
            Ok(e) => self.nodes[i].engine = Some(e),
            Err(e) => {
                let name = self.setup.names[i].clone();
                self.fail(format!("{name} does not restart: {e}"));
                return;
            }
        }
        let tick = TICK.mul_f64(self.rng.random());
        self.nodes[i].ticks += 1;
        let generation = self.nodes[i].ticks;
        self.at(self.now + tick, Ev::Tick(i, generation));
        for l in self.links_of[i].clone() {
            let side = self.links[l].side(i);
            let d = self.backoff(0);
            self.schedule_dial(l, side, d);
        }
    }

    /// Takes frames from every connection of node `i` while their queues have room.
    fn pump(&mut self, i: usize) {
        let conns: Vec<ConnId> = self.nodes[i].conns.values().copied().collect();
        for c in conns {
            self.pump_conn(i, c);
        }
    }

    /// Takes frames from one connection of node `i` while its queue has room.
    fn pump_conn(&mut self, i: usize, c: ConnId) {
        let now = self.now;
        {
            while let Some(conn) = self.conns.get(&c) {
                let end = usize::from(conn.nodes[1] == i);
                if !conn.open[end] || conn.streams[end].unacked() >= self.setup.net.send_queue {
                    break;
                }
                let Some(engine) = self.nodes[i].engine.as_mut() else {
                    return;
                };
                match engine.poll_transmit(c, now) {
                    Ok(Some(frame)) => self.send(c, end, frame),
                    Ok(None) => break,
                    Err(e) => {
                        let name = self.setup.names[i].clone();
                        self.fail(format!("{name} poll_transmit on connection {c}: {e}"));
                        return;
                    }
                }
            }
        }
        let timeout = self.nodes[i].engine.as_ref().and_then(Engine::poll_timeout);
        if let Some(t) = timeout {
            let t = t.max(now);
            if self.nodes[i].wake.is_none_or(|w| t < w || w < now) {
                self.nodes[i].wake = Some(t);
                self.at(t, Ev::Wake(i));
            }
        }
    }

    /// Pumps node `i` after the inputs of the next millisecond (the engine thread
    /// handles what has queued up before it pumps).
    fn pump_soon(&mut self, i: usize) {
        if !self.nodes[i].pump_pending && self.nodes[i].engine.is_some() {
            self.nodes[i].pump_pending = true;
            self.at(self.now + PUMP_DELAY, Ev::Pump(i));
        }
    }

    // ---- connections ----

    fn backoff(&mut self, failures: u32) -> Duration {
        let net = &self.setup.net;
        let ceiling = net
            .reconnect_min
            .saturating_mul(1u32 << failures.min(20))
            .min(net.reconnect_max);
        let floor = ceiling / 2;
        floor + (ceiling - floor).mul_f64(self.rng.random())
    }

    fn schedule_dial(&mut self, link: usize, side: usize, after: Duration) {
        if !self.links[link].dial_scheduled[side] {
            self.links[link].dial_scheduled[side] = true;
            self.at(self.now + after, Ev::Dial { link, side });
        }
    }

    fn linked(&self, link: usize, side: usize) -> bool {
        let l = &self.links[link];
        let (me, peer) = (l.node(side), l.node(1 - side));
        self.nodes[me]
            .conns
            .get(&peer)
            .and_then(|c| self.conns.get(c))
            .is_some_and(|c| c.open[usize::from(c.nodes[1] == me)])
    }

    fn dial(&mut self, link: usize, side: usize) {
        self.links[link].dial_scheduled[side] = false;
        let me = self.links[link].node(side);
        if self.nodes[me].engine.is_none() || self.linked(link, side) {
            return;
        }
        if self.links[link].handshaking {
            // The other end is dialing; look again later.
            let d = self.backoff(self.links[link].failures);
            self.schedule_dial(link, side, d);
            return;
        }
        self.links[link].handshaking = true;
        let l = &self.links[link];
        let mut t = l.latency * 2;
        let mut attempt = 0;
        while attempt < 6 && self.rng.random_bool(self.setup.faults.loss) {
            t += self.links[link].rto(attempt);
            attempt += 1;
        }
        self.at(self.now + t, Ev::Handshake { link });
        // The dialer's loop goes on until it has a link.
        let d = t + self.backoff(self.links[link].failures);
        self.schedule_dial(link, side, d);
    }

    fn handshake(&mut self, link: usize) {
        self.links[link].handshaking = false;
        let (a, b) = (self.links[link].a, self.links[link].b);
        let up = self.nodes[a].engine.is_some() && self.nodes[b].engine.is_some();
        if !up || self.links[link].cut > 0 {
            self.links[link].failures += 1;
            return;
        }
        if self.linked(link, 0) && self.linked(link, 1) {
            return;
        }
        self.links[link].failures = 0;
        // A new link replaces an older one at both ends.
        for (me, peer) in [(a, b), (b, a)] {
            if let Some(old) = self.nodes[me].conns.get(&peer).copied()
                && let Some(c) = self.conns.get(&old)
            {
                let end = usize::from(c.nodes[1] == me);
                self.close_end(old, end, true);
            }
        }
        let id = self.next_conn;
        self.next_conn += 1;
        self.traffic.connections += 1;
        self.conns.insert(
            id,
            Conn {
                id,
                link,
                nodes: [a, b],
                open: [true, true],
                streams: [Stream::default(), Stream::default()],
                dead_since: [None, None],
            },
        );
        let now = self.now;
        for (me, peer) in [(a, b), (b, a)] {
            self.nodes[me].conns.insert(peer, id);
            let peer_name = self.setup.names[peer].clone();
            let result = match self.engine(me) {
                Some(e) => e.open(id, &peer_name, now),
                None => Ok(()),
            };
            if let Err(e) = result {
                let name = self.setup.names[me].clone();
                self.fail(format!("{name} refuses {peer_name}: {e}"));
            }
            let check = self.setup.net.keep_alive.mul_f64(self.rng.random());
            let end = usize::from(me == b);
            self.at(now + check, Ev::IdleCheck { conn: id, end });
        }
        self.pump_soon(a);
        self.pump_soon(b);
    }

    /// End `end` of `conn` closes; with `notify`, it tells the other end (unless that
    /// packet is lost or cannot pass).
    fn close_end(&mut self, conn: ConnId, end: usize, notify: bool) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        if !c.open[end] {
            return;
        }
        c.open[end] = false;
        let me = c.nodes[end];
        let other = c.nodes[1 - end];
        let unacked = c.streams[end].unacked();
        let both_closed = !c.open[1 - end];
        let link = c.link;
        self.nodes[me].queued -= unacked;
        if self.nodes[me].conns.get(&other) == Some(&conn) {
            self.nodes[me].conns.remove(&other);
        }
        if let Some(e) = self.nodes[me].engine.as_mut() {
            e.close(conn);
        }
        if both_closed {
            self.conns.remove(&conn);
        } else if notify
            && self.links[link].cut == 0
            && !self.rng.random_bool(self.setup.faults.loss)
        {
            let t = self.now + self.links[link].latency;
            self.at(t, Ev::CloseNotice { conn, end: 1 - end });
        }
        if self.nodes[me].engine.is_some() {
            let side = self.links[link].side(me);
            let d = self.backoff(self.links[link].failures);
            self.schedule_dial(link, side, d);
        }
    }

    fn idle_check(&mut self, conn: ConnId, end: usize) {
        let Some(c) = self.conns.get(&conn) else {
            return;
        };
        if !c.open[end] {
            return;
        }
        let dead = self.links[c.link].cut > 0 || !c.open[1 - end];
        let now = self.now;
        let idle = self.setup.net.idle_timeout;
        let since = c.dead_since[end];
        match (dead, since) {
            (true, Some(s)) if now >= s + idle => {
                self.close_end(conn, end, false);
                return;
            }
            (true, None) => {
                if let Some(c) = self.conns.get_mut(&conn) {
                    c.dead_since[end] = Some(now);
                }
            }
            (false, Some(_)) => {
                if let Some(c) = self.conns.get_mut(&conn) {
                    c.dead_since[end] = None;
                }
            }
            _ => {}
        }
        let next = now + self.setup.net.keep_alive;
        self.at(next, Ev::IdleCheck { conn, end });
    }

    // ---- packets ----

    /// End `end` writes a frame.
    fn send(&mut self, conn: ConnId, end: usize, frame: Vec<u8>) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        let (from, to) = (c.nodes[end], c.nodes[1 - end]);
        c.streams[end].write(&frame);
        let node = &mut self.nodes[from];
        node.queued += frame.len() as u64;
        node.peak = node.peak.max(node.queued);
        self.account(from, to, &frame);
        // Cut what is unsent into packets.
        let mss = self.setup.net.mss as u64;
        loop {
            let Some(c) = self.conns.get_mut(&conn) else {
                return;
            };
            let s = &mut c.streams[end];
            if s.sent >= s.written {
                break;
            }
            let mut len = mss.min(s.written - s.sent);
            let off = s.sent;
            if len > 1 && self.rng.random_bool(self.setup.net.short_packets) {
                len = self.rng.random_range(1..len);
            }
            if let Some(c) = self.conns.get_mut(&conn) {
                c.streams[end].sent += len;
            }
            self.transmit(conn, end, off, len, 0);
        }
    }

    fn account(&mut self, from: usize, to: usize, frame: &[u8]) {
        let info = B::E::inspect(frame);
        if self.setup.trace.iter().any(|n| *n == from || *n == to) {
            eprintln!(
                "trace {:>12.6}s {} -> {}: {}",
                self.now.as_secs_f64(),
                self.setup.names[from],
                self.setup.names[to],
                B::E::describe(frame)
            );
        }
        let t = &mut self.traffic;
        let slot = t.frames.entry(info.kind).or_default();
        slot.0 += 1;
        slot.1 += frame.len() as u64;
        if info.data {
            t.data_bytes += frame.len() as u64;
        } else {
            t.meta_bytes += frame.len() as u64;
        }
        t.entries_sent += info.entries.len() as u64;
        let mut bad = None;
        for e in &info.entries {
            let ok = self
                .expected
                .origin(&e.origin)
                .zip(self.expected.key(&e.key))
                .is_some_and(|(o, (_, class))| self.expected.policies.may_send(from, to, o, class));
            if !ok {
                bad = Some(format!(
                    "{} sent {} {}'s entry for {}, which that hop must not carry",
                    self.setup.names[from],
                    self.setup.names[to],
                    e.origin,
                    self.expected.describe(&e.key)
                ));
                break;
            }
        }
        if let Some(b) = bad {
            self.fail(format!("policy: {b}"));
        }
    }

    fn transmit(&mut self, conn: ConnId, dir: usize, off: u64, len: u64, attempt: u32) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        let link = &self.links[c.link];
        let bytes = len as usize + self.setup.net.overhead;
        let depart = self.now.max(c.streams[dir].tx_free) + link.serialize(bytes);
        c.streams[dir].tx_free = depart;
        self.traffic.wire_bytes += bytes as u64;
        if attempt > 0 {
            self.traffic.retransmitted += len;
        }
        let faults = &self.setup.faults;
        let lost = link.cut > 0 || self.rng.random_bool(faults.loss);
        if lost {
            let t = depart + link.rto(attempt);
            self.at(
                t,
                Ev::Retransmit {
                    conn,
                    dir,
                    off,
                    len,
                    attempt: attempt + 1,
                },
            );
            return;
        }
        let latency = link.latency;
        let jitter = faults.jitter.mul_f64(self.rng.random());
        self.at(
            depart + latency + jitter,
            Ev::Arrive {
                conn,
                dir,
                off,
                len,
            },
        );
        if self.rng.random_bool(faults.duplicate) {
            let extra = faults.jitter.mul_f64(self.rng.random()) + Duration::from_micros(1);
            self.traffic.wire_bytes += bytes as u64;
            self.traffic.duplicated += bytes as u64;
            self.at(
                depart + latency + jitter + extra,
                Ev::Arrive {
                    conn,
                    dir,
                    off,
                    len,
                },
            );
        }
    }

    fn arrive(&mut self, conn: ConnId, dir: usize, off: u64, len: u64) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        let to = 1 - dir;
        if !c.open[to] {
            return;
        }
        let link = &self.links[c.link];
        if link.cut > 0 {
            // Cut while in flight: lost, sent again later.
            let t = self.now + link.rto(0);
            self.at(
                t,
                Ev::Retransmit {
                    conn,
                    dir,
                    off,
                    len,
                    attempt: 1,
                },
            );
            return;
        }
        let latency = link.latency;
        let receiver = c.nodes[to];
        let Some(chunk) = c.streams[dir].receive(off, len) else {
            return;
        };
        let upto = c.streams[dir].delivered;
        self.at(self.now + latency, Ev::Ack { conn, dir, upto });
        let now = self.now;
        let applies = self.applies(receiver);
        let result = match self.engine(receiver) {
            Some(e) => e.handle(conn, &chunk, now),
            None => Ok(()),
        };
        if let Err(e) = result {
            let name = self.setup.names[receiver].clone();
            self.fail(format!("{name} handle on connection {conn}: {e}"));
            return;
        }
        // What the engine applied may be due on its other connections; anything else
        // concerns this one (or waits for the next tick, as with the node's driver).
        if self.applies(receiver) != applies {
            self.pump_soon(receiver);
        } else {
            self.pump_conn(receiver, conn);
        }
    }

    fn applies(&self, i: usize) -> u64 {
        self.probe.borrow().nodes.get(i).map_or(0, |c| c.applies)
    }

    // ---- the end ----

    fn check(&mut self) -> Option<End> {
        self.at(self.now + Duration::from_millis(500), Ev::Check);
        if self.setup.until_converged {
            let all = (0..self.nodes.len()).all(|i| {
                self.nodes[i].engine.as_ref().is_some_and(|e| {
                    crate::checks::final_state(&self.expected, i, &e.durable()).is_empty()
                })
            });
            return all.then_some(End::Converged);
        }
        for i in 0..self.nodes.len() {
            self.pump(i);
        }
        let nodes_quiet = self.nodes.iter().all(|n| {
            n.engine
                .as_ref()
                .is_some_and(|e| e.poll_timeout().is_none())
        });
        let links_up = (0..self.links.len()).all(|l| {
            let (a, b) = (self.links[l].a, self.links[l].b);
            self.linked(l, 0)
                && self.linked(l, 1)
                && self.nodes[a].conns.get(&b) == self.nodes[b].conns.get(&a)
        });
        let drained = self.conns.values().all(|c| {
            c.open
                .iter()
                .zip(&c.streams)
                .all(|(open, s)| !open || (s.acked == s.written))
        });
        (nodes_quiet && links_up && drained).then_some(End::Quiescent)
    }
}

impl<B: Boot> std::fmt::Debug for World<'_, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("World")
            .field("now", &self.now)
            .field("events", &self.events)
            .finish_non_exhaustive()
    }
}
