//! Running a lookup against a store view: candidates from the right keyspace, filters,
//! ordering, offset and limit.

use std::collections::HashSet;

use hearsay_record::rdata::layout::{indexes_names, names_in, types_with_names};
use hearsay_record::{KeyParts, Name, RecordKey, RecordValue, RrType};
use hearsay_store::keys::{IndexEntry, TAG_NAME, TAG_RAW, TAG_V4, TAG_V6, raw_hash};
use hearsay_store::{Origins, View};

use crate::QueryError;
use crate::lookup::{Fences, Lookup, NamePattern, TypeFilter};

/// A lookup with its fences and paging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// What to look up.
    pub lookup: Lookup,
    /// Time fences.
    pub fences: Fences,
    /// At most this many rows (`None`: all).
    pub limit: Option<u64>,
    /// Skip this many matching rows first.
    pub offset: u64,
}

impl Query {
    /// A query without fences or paging.
    pub fn new(lookup: Lookup) -> Self {
        Query {
            lookup,
            fences: Fences::default(),
            limit: None,
            offset: 0,
        }
    }
}

/// One result: a record folded over its origins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The record.
    pub key: RecordKey,
    /// Earliest first-seen over the origins.
    pub time_first: u64,
    /// Latest last-seen.
    pub time_last: u64,
    /// Sum of the origins' counts.
    pub count: u64,
    /// The origins that saw it, by name.
    pub origins: Vec<String>,
}

/// Whether the consumer wants more rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Keep going.
    Continue,
    /// Stop now (e.g. the client went away).
    Stop,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunOutcome {
    /// Rows handed to the consumer.
    pub rows: u64,
    /// More rows matched than the limit allowed.
    pub limited: bool,
    /// The consumer stopped the run.
    pub stopped: bool,
}

/// Runs `query`, handing rows to `emit`. Rrset lookups come in key order (by name from
/// the root down, then type), and the records of one rrset in order of first seen;
/// rdata lookups come in index order (by address or target name).
pub fn run(
    view: &View<'_>,
    query: &Query,
    emit: &mut dyn FnMut(Row) -> Flow,
) -> Result<RunOutcome, QueryError> {
    run_with(view, query, emit, &|| false)
}

/// [`run`], stopping early (with [`RunOutcome::stopped`]) once `cancelled` returns
/// true. It is asked every few hundred keys read, whether or not they match, so that a
/// scan that finds little (a narrow filter over a wide wildcard) still notices that
/// its client went away or its time ran out.
pub fn run_with(
    view: &View<'_>,
    query: &Query,
    emit: &mut dyn FnMut(Row) -> Flow,
    cancelled: &dyn Fn() -> bool,
) -> Result<RunOutcome, QueryError> {
    let origins = view.store().origins();
    let mut scan = Scan::new(cancelled);
    let mut pager = Pager {
        offset_left: query.offset,
        limit: query.limit,
        outcome: RunOutcome::default(),
        emit,
    };
    let mut group: Vec<(Vec<u8>, Row)> = Vec::new();
    let group_rrsets = matches!(query.lookup, Lookup::Rrset { .. });
    let mut keep_going = true;
    candidates(
        view,
        &query.lookup,
        &mut scan,
        &mut |key: &[u8], value: &RecordValue| {
            let Some(row) = make_row(key, value, &query.fences, &origins) else {
                return true;
            };
            if !group_rrsets {
                keep_going = pager.push(row);
                return keep_going;
            }
            if group
                .first()
                .is_some_and(|(k, _)| rrset_prefix(k) != rrset_prefix(key))
                || group.len() >= MAX_GROUP
            {
                keep_going = flush(&mut group, &mut pager);
            }
            group.push((key.to_vec(), row));
            keep_going
        },
    )?;
    if keep_going && !scan.stopped {
        flush(&mut group, &mut pager);
    }
    if scan.stopped {
        pager.outcome.stopped = true;
    }
    Ok(pager.outcome)
}

/// The folded figures of a lookup.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// Matching records.
    pub num_results: u64,
    /// Sum of their counts.
    pub count: u64,
    /// Earliest first seen.
    pub time_first: Option<u64>,
    /// Latest last seen.
    pub time_last: Option<u64>,
    /// Stopped at the limit.
    pub limited: bool,
}

/// Folds every matching record (up to the query's limit) into one summary.
pub fn summarize(view: &View<'_>, query: &Query) -> Result<Summary, QueryError> {
    summarize_with(view, query, None, &|| false).map(|o| o.summary)
}

/// How [`summarize_with`] ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SummaryOutcome {
    /// The figures so far.
    pub summary: Summary,
    /// Stopped because the summed count reached `max_count` (DNSDB's parameter; the
    /// total includes the whole count of the last record).
    pub max_count_reached: bool,
    /// Stopped because `cancelled` said so.
    pub stopped: bool,
}

/// [`summarize`], stopping once the summed count reaches `max_count`, or when
/// `cancelled` returns true (asked every few hundred keys read).
pub fn summarize_with(
    view: &View<'_>,
    query: &Query,
    max_count: Option<u64>,
    cancelled: &dyn Fn() -> bool,
) -> Result<SummaryOutcome, QueryError> {
    let mut summary = Summary::default();
    let mut skip = query.offset;
    let mut scan = Scan::new(cancelled);
    let mut max_count_reached = false;
    candidates(
        view,
        &query.lookup,
        &mut scan,
        &mut |_key: &[u8], value: &RecordValue| {
            let Some(s) = value.summary() else {
                return true;
            };
            if !query.fences.accepts(s.time_first, s.time_last) {
                return true;
            }
            if skip > 0 {
                skip -= 1;
                return true;
            }
            if query.limit.is_some_and(|l| summary.num_results >= l) {
                summary.limited = true;
                return false;
            }
            if max_count.is_some_and(|m| summary.count >= m) {
                max_count_reached = true;
                return false;
            }
            summary.num_results += 1;
            summary.count = summary.count.saturating_add(s.count);
            summary.time_first = Some(
                summary
                    .time_first
                    .map_or(s.time_first, |t| t.min(s.time_first)),
            );
            summary.time_last = Some(
                summary
                    .time_last
                    .map_or(s.time_last, |t| t.max(s.time_last)),
            );
            true
        },
    )?;
    Ok(SummaryOutcome {
        summary,
        max_count_reached,
        stopped: scan.stopped,
    })
}

/// How often a scan asks whether it was cancelled (keys read).
const CANCEL_CHECK_EVERY: u32 = 256;

/// The cancellation check of a running scan.
struct Scan<'c> {
    cancelled: &'c dyn Fn() -> bool,
    reads: u32,
    stopped: bool,
}

impl<'c> Scan<'c> {
    fn new(cancelled: &'c dyn Fn() -> bool) -> Self {
        Scan {
            cancelled,
            reads: 0,
            stopped: false,
        }
    }

    /// Counts one key read; returns whether to go on.
    fn tick(&mut self) -> bool {
        self.reads = self.reads.wrapping_add(1);
        if self.reads.is_multiple_of(CANCEL_CHECK_EVERY) && (self.cancelled)() {
            self.stopped = true;
        }
        !self.stopped
    }
}

/// Largest rrset buffered for ordering by first seen; a larger one is emitted in
/// chunks.
const MAX_GROUP: usize = 10_000;

struct Pager<'e> {
    offset_left: u64,
    limit: Option<u64>,
    outcome: RunOutcome,
    emit: &'e mut dyn FnMut(Row) -> Flow,
}

impl Pager<'_> {
    /// Returns whether to continue.
    fn push(&mut self, row: Row) -> bool {
        if self.offset_left > 0 {
            self.offset_left -= 1;
            return true;
        }
        if self.limit.is_some_and(|l| self.outcome.rows >= l) {
            self.outcome.limited = true;
            return false;
        }
        match (self.emit)(row) {
            Flow::Continue => {
                self.outcome.rows += 1;
                true
            }
            Flow::Stop => {
                self.outcome.stopped = true;
                false
            }
        }
    }
}

fn flush(group: &mut Vec<(Vec<u8>, Row)>, pager: &mut Pager<'_>) -> bool {
    group.sort_by(|a, b| a.1.time_first.cmp(&b.1.time_first).then(a.0.cmp(&b.0)));
    for (_, row) in group.drain(..) {
        if !pager.push(row) {
            return false;
        }
    }
    true
}

/// The part of a record key before the rdata: name, type, bailiwick.
fn rrset_prefix(key: &[u8]) -> &[u8] {
    match KeyParts::split(key) {
        Ok(p) => &key[..key.len() - p.rdata.len()],
        Err(_) => key,
    }
}

fn make_row(key: &[u8], value: &RecordValue, fences: &Fences, origins: &Origins) -> Option<Row> {
    let s = value.summary()?;
    if !fences.accepts(s.time_first, s.time_last) {
        return None;
    }
    let key = RecordKey::decode(key).ok()?;
    let names = origin_names(value, origins);
    Some(Row {
        key,
        time_first: s.time_first,
        time_last: s.time_last,
        count: s.count,
        origins: names,
    })
}

/// Feeds `(record key, value)` of every record the lookup may match (type, name and
/// bailiwick already checked) to `f` until it returns `false`.
fn candidates(
    view: &View<'_>,
    lookup: &Lookup,
    scan: &mut Scan<'_>,
    f: &mut dyn FnMut(&[u8], &RecordValue) -> bool,
) -> Result<(), QueryError> {
    match lookup {
        Lookup::Rrset {
            owner: owner @ NamePattern::StartsWith(_),
            rrtype,
            bailiwick,
        } => {
            let prefix = owner.forward_prefix().unwrap_or_default();
            for name in view.names_prefix(prefix) {
                if !scan.tick() {
                    break;
                }
                let name = name?;
                if !owner.accepts_forward(&name) {
                    continue;
                }
                let Ok(name) = Name::from_wire(&name) else {
                    continue;
                };
                let exact = NamePattern::Exact(name);
                if !rrset_candidates(view, &exact, *rrtype, bailiwick.as_ref(), scan, f)? {
                    break;
                }
            }
            Ok(())
        }
        Lookup::Rrset {
            owner,
            rrtype,
            bailiwick,
        } => rrset_candidates(view, owner, *rrtype, bailiwick.as_ref(), scan, f).map(|_| ()),
        Lookup::RdataIp(m) => {
            let (first, last) = m.bounds();
            let tag = if first.len() == 4 { TAG_V4 } else { TAG_V6 };
            let from = [&[tag][..], &first].concat();
            let to = successor(&[&[tag][..], &last].concat());
            for ik in view.index_range(&from, &to) {
                if !scan.tick() {
                    break;
                }
                let Some(entry) = IndexEntry::decode(&ik?) else {
                    continue;
                };
                let rk = &entry.record_key;
                if let Some(value) = view.get(rk)?
                    && !f(rk, &value)
                {
                    break;
                }
            }
            Ok(())
        }
        Lookup::RdataName {
            name: NamePattern::StartsWith(_),
            ..
        } => Err(QueryError::Unsupported(
            "right-hand wildcards (www.example.*) match owner names only: use an rrset lookup"
                .into(),
        )),
        Lookup::RdataName { name, rrtype } => {
            let prefix = [&[TAG_NAME][..], &name.prefix()].concat();
            for ik in view.index_prefix(&prefix) {
                if !scan.tick() {
                    break;
                }
                let Some(entry) = IndexEntry::decode(&ik?) else {
                    continue;
                };
                let (target, rk) = (&entry.indexed, &entry.record_key);
                if !name.accepts_reversed(target) {
                    continue;
                }
                let Ok(parts) = KeyParts::split(rk) else {
                    continue;
                };
                if !rrtype.accepts(parts.rrtype)
                    || !first_matching_target(parts.rrtype, parts.rdata, name, target)
                {
                    continue;
                }
                if let Some(value) = view.get(rk)?
                    && !f(rk, &value)
                {
                    break;
                }
            }
            Ok(())
        }
        Lookup::RdataRaw { rdata, rrtype } => raw_candidates(view, rdata, *rrtype, scan, f),
    }
}

/// Returns whether to go on (neither `f` nor the scan asked to stop).
fn rrset_candidates(
    view: &View<'_>,
    owner: &NamePattern,
    rrtype: TypeFilter,
    bailiwick: Option<&Name>,
    scan: &mut Scan<'_>,
    f: &mut dyn FnMut(&[u8], &RecordValue) -> bool,
) -> Result<bool, QueryError> {
    let mut prefix = owner.prefix();
    let exact = matches!(owner, NamePattern::Exact(_));
    if let (true, TypeFilter::One(t)) = (exact, rrtype) {
        prefix.extend_from_slice(&t.0.to_be_bytes());
        if let Some(zone) = bailiwick {
            prefix.push(zone.label_count() as u8);
        }
    }
    for item in view.records_prefix(&prefix) {
        if !scan.tick() {
            return Ok(false);
        }
        let (key, value) = item?;
        let Ok(parts) = KeyParts::split(&key) else {
            continue;
        };
        if !owner.accepts_reversed(parts.reversed_name) || !rrtype.accepts(parts.rrtype) {
            continue;
        }
        if let Some(zone) = bailiwick
            && (parts.bailiwick_labels() != Some(zone.label_count())
                || !bailiwick_is(parts.reversed_name, zone))
        {
            continue;
        }
        if !f(&key, &value) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Is the zone made of `labels` of this reversed name the given zone?
fn bailiwick_is(reversed_name: &[u8], zone: &Name) -> bool {
    reversed_name.starts_with(&zone.reversed_prefix())
}

fn raw_candidates(
    view: &View<'_>,
    rdata: &[u8],
    rrtype: TypeFilter,
    scan: &mut Scan<'_>,
    f: &mut dyn FnMut(&[u8], &RecordValue) -> bool,
) -> Result<(), QueryError> {
    let mut prefixes = vec![[&[TAG_RAW][..], &raw_hash(rdata)].concat()];
    match rdata.len() {
        4 => prefixes.push([&[TAG_V4][..], rdata].concat()),
        16 => prefixes.push([&[TAG_V6][..], rdata].concat()),
        _ => {}
    }
    // Types with target names are found through their first name: try every such
    // type's layout on the bytes.
    for t in types_with_names() {
        if !indexes_names(t) || !rrtype.accepts(t) {
            continue;
        }
        if let Ok(names) = names_in(t, rdata)
            && let Some(first) = names.first()
        {
            let prefix = [&[TAG_NAME][..], &first.reversed()].concat();
            if !prefixes.contains(&prefix) {
                prefixes.push(prefix);
            }
        }
    }
    let mut seen: HashSet<Vec<u8>> = HashSet::new();
    for prefix in prefixes {
        for ik in view.index_prefix(&prefix) {
            if !scan.tick() {
                return Ok(());
            }
            let Some(entry) = IndexEntry::decode(&ik?) else {
                continue;
            };
            let rk = entry.record_key;
            let Ok(parts) = KeyParts::split(&rk) else {
                continue;
            };
            if parts.rdata != rdata || !rrtype.accepts(parts.rrtype) || seen.contains(&rk) {
                continue;
            }
            if let Some(value) = view.get(&rk)?
                && !f(&rk, &value)
            {
                return Ok(());
            }
            seen.insert(rk);
        }
    }
    Ok(())
}

/// A record with several target names matching the pattern is indexed under each; it
/// is reported once, from the index entry of the first matching name.
fn first_matching_target(
    rrtype: RrType,
    rdata: &[u8],
    pattern: &NamePattern,
    target: &[u8],
) -> bool {
    let Ok(names) = names_in(rrtype, rdata) else {
        return true;
    };
    let prefix = pattern.prefix();
    names
        .iter()
        .map(|n| n.reversed())
        .find(|r| r.starts_with(&prefix) && pattern.accepts_reversed(r))
        .is_none_or(|first| first == target)
}

/// The smallest byte string greater than every string starting with `bytes`.
fn successor(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    while let Some(last) = out.pop() {
        if last < 0xFF {
            out.push(last + 1);
            return out;
        }
    }
    vec![0xFF; bytes.len() + 1]
}

/// The names of the origins that saw a record, sorted (so that every node prints the
/// same `sensor_id` whatever its local origin numbering).
pub fn origin_names(value: &RecordValue, origins: &Origins) -> Vec<String> {
    let mut names: Vec<String> = value
        .entries()
        .iter()
        .map(|(id, _)| {
            origins
                .name(*id)
                .map_or_else(|| format!("origin-{}", id.0), str::to_owned)
        })
        .collect();
    names.sort();
    names
}
