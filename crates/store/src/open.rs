//! Opening a store: keyspaces, schema check, the local origin, cached meta state.

use std::path::Path;
use std::sync::{Mutex, RwLock};

use fjall::{Database, Keyspace, KeyspaceCreateOptions};
use hearsay_record::OriginId;

use crate::keys::meta;
use crate::origins::{Origins, validate_origin_name};
use crate::spill::Spill;
use crate::{Result, SCHEMA_VERSION, Store, StoreError, StoreOptions, WriterState};

impl Store {
    /// Opens (or creates) the database in `dir`. A new database gets a random local
    /// origin name (`node-xxxxxxxx`, see [`Store::set_local_origin_name`]). Refuses a
    /// database of another schema version.
    pub fn open(dir: &Path, options: StoreOptions) -> Result<Store> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
            path: dir.to_owned(),
            source,
        })?;
        let engine = |source| StoreError::Engine {
            path: dir.to_owned(),
            source,
        };
        let db = Database::builder(dir)
            .cache_size(options.cache_bytes)
            .max_journaling_size(options.journal_bytes)
            .worker_threads(options.worker_threads.max(1))
            .open()
            .map_err(engine)?;
        let records = db
            .keyspace("records", || tuned(&options, 16 << 10, Some(0.05)))
            .map_err(engine)?;
        let rdata = db
            .keyspace("rdata", || tuned(&options, 32 << 10, None))
            .map_err(engine)?;
        let nxdomain = db
            .keyspace("nxdomain", || tuned(&options, 16 << 10, Some(0.05)))
            .map_err(engine)?;
        let names = db
            .keyspace("names", || tuned(&options, 32 << 10, None))
            .map_err(engine)?;
        let log = db
            .keyspace("log", || tuned(&options, 32 << 10, None))
            .map_err(engine)?;
        let meta = db
            .keyspace("meta", || {
                KeyspaceCreateOptions::default().max_memtable_size(1 << 20)
            })
            .map_err(engine)?;

        check_schema(dir, &records, &meta)?;
        let origins = load_origins(dir, &meta)?;
        let mut store = Store {
            path: dir.to_owned(),
            db,
            records,
            rdata,
            names,
            nxdomain,
            log,
            meta,
            spill: Spill::open(dir)?,
            origins: RwLock::new(origins),
            local: OriginId(0),
            writer: Mutex::new(WriterState::default()),
            finishing: Mutex::default(),
            #[cfg(test)]
            merge_gate: Mutex::default(),
            published: RwLock::default(),
        };
        store.local = store.load_or_create_local()?;
        let mut state = store.load_writer_state()?;
        store.recount_after_bulk(&mut state)?;
        store.publish(&state);
        *store.lock_writer() = state;
        // A bulk load that did not end (a crash, or a snapshot never resumed): its index
        // rows go where readers see them.
        store.finish_bulk_load()?;
        tracing::debug!(path = %dir.display(), origin = %store.local_origin_name(), "store opened");
        Ok(store)
    }

    /// Renames the local origin (replication later binds it to the node's certificate).
    /// Records already stored keep their entries: they belong to the renamed origin.
    pub fn set_local_origin_name(&self, name: &str) -> Result<()> {
        validate_origin_name(name)?;
        let mut origins = self.origins.write().unwrap_or_else(|p| p.into_inner());
        if origins.name(self.local) == Some(name) {
            return Ok(());
        }
        if let Some(other) = origins.id(name)
            && other != self.local
        {
            return Err(StoreError::BadOriginName(format!(
                "{name} (already a remote origin here)"
            )));
        }
        self.meta
            .insert(
                meta::with_id(meta::ORIGIN_PREFIX, self.local.0),
                name.as_bytes(),
            )
            .map_err(|e| self.engine(e))?;
        origins.insert(self.local, name.to_owned());
        Ok(())
    }

    /// The id of an origin name, registering it if new.
    pub fn origin_id(&self, name: &str) -> Result<OriginId> {
        if let Some(id) = self.read_origins().id(name) {
            return Ok(id);
        }
        validate_origin_name(name)?;
        let mut origins = self.origins.write().unwrap_or_else(|p| p.into_inner());
        if let Some(id) = origins.id(name) {
            return Ok(id);
        }
        let id = origins.next_id()?;
        self.meta
            .insert(meta::with_id(meta::ORIGIN_PREFIX, id.0), name.as_bytes())
            .map_err(|e| self.engine(e))?;
        origins.insert(id, name.to_owned());
        Ok(id)
    }

    /// The id of an origin name, without registering it.
    pub fn lookup_origin(&self, name: &str) -> Option<OriginId> {
        self.read_origins().id(name)
    }

    fn load_or_create_local(&self) -> Result<OriginId> {
        if let Some(v) = self
            .meta
            .get(meta::LOCAL_ORIGIN)
            .map_err(|e| self.engine(e))?
        {
            let id = u32::from_be_bytes(
                v.as_ref()
                    .try_into()
                    .map_err(|_| self.corrupt("local origin", "length"))?,
            );
            if self.read_origins().name(OriginId(id)).is_none() {
                return Err(self.corrupt("local origin", format!("id {id} has no name")));
            }
            return Ok(OriginId(id));
        }
        let name = format!("node-{:08x}", rand::random::<u32>());
        let id = self.origin_id(&name)?;
        self.meta
            .insert(meta::LOCAL_ORIGIN, id.0.to_be_bytes())
            .map_err(|e| self.engine(e))?;
        Ok(id)
    }

    fn load_writer_state(&self) -> Result<WriterState> {
        let mut state = WriterState::default();
        for kv in self.meta.prefix(meta::VV_PREFIX) {
            let (k, v) = kv.into_inner().map_err(|e| self.engine(e))?;
            let id = read_u32(k.get(meta::VV_PREFIX.len()..))
                .ok_or_else(|| self.corrupt("version vector", "key"))?;
            let seq = read_u64(Some(&v)).ok_or_else(|| self.corrupt("version vector", "value"))?;
            state.vv.insert(OriginId(id), seq);
        }
        for kv in self.meta.prefix(meta::COUNT_PREFIX) {
            let (k, v) = kv.into_inner().map_err(|e| self.engine(e))?;
            let t = k
                .get(meta::COUNT_PREFIX.len()..)
                .and_then(|b| <[u8; 2]>::try_from(b).ok())
                .ok_or_else(|| self.corrupt("counters", "key"))?;
            let n = read_u64(Some(&v)).ok_or_else(|| self.corrupt("counters", "value"))?;
            state.counts.insert(u16::from_be_bytes(t), n);
        }
        Ok(state)
    }
}

/// Options of a large keyspace: its data block size (bigger blocks compress better;
/// `records` takes point reads, the index and the log are only scanned) and the bloom
/// filter's false-positive rate (`None`: no filter, for keyspaces never read by key).
fn tuned(options: &StoreOptions, block: u32, bloom_fpr: Option<f32>) -> KeyspaceCreateOptions {
    use fjall::config::{
        BlockSizePolicy, BloomConstructionPolicy, FilterPolicy, FilterPolicyEntry,
        RestartIntervalPolicy,
    };
    let filter = match bloom_fpr {
        Some(fpr) => FilterPolicy::all(FilterPolicyEntry::Bloom(
            BloomConstructionPolicy::FalsePositiveRate(fpr),
        )),
        None => FilterPolicy::disabled(),
    };
    KeyspaceCreateOptions::default()
        .max_memtable_size(options.memtable_bytes)
        .data_block_size_policy(BlockSizePolicy::all(block))
        .data_block_restart_interval_policy(RestartIntervalPolicy::all(32))
        .filter_policy(filter)
}

fn check_schema(dir: &Path, records: &Keyspace, meta_ks: &Keyspace) -> Result<()> {
    let engine = |source| StoreError::Engine {
        path: dir.to_owned(),
        source,
    };
    match meta_ks.get(meta::SCHEMA).map_err(engine)? {
        Some(v) => {
            let found = read_u32(Some(&v)).ok_or_else(|| StoreError::Corrupt {
                path: dir.to_owned(),
                what: "schema version",
                detail: format!("{} bytes", v.len()),
            })?;
            if found != SCHEMA_VERSION {
                return Err(StoreError::SchemaMismatch {
                    path: dir.to_owned(),
                    found,
                    expected: SCHEMA_VERSION,
                });
            }
        }
        None => {
            if !records.is_empty().map_err(engine)? {
                return Err(StoreError::Corrupt {
                    path: dir.to_owned(),
                    what: "schema version",
                    detail: "missing in a non-empty database".into(),
                });
            }
            meta_ks
                .insert(meta::SCHEMA, SCHEMA_VERSION.to_be_bytes())
                .map_err(engine)?;
        }
    }
    Ok(())
}

fn load_origins(dir: &Path, meta_ks: &Keyspace) -> Result<Origins> {
    let mut origins = Origins::default();
    for kv in meta_ks.prefix(meta::ORIGIN_PREFIX) {
        let (k, v) = kv.into_inner().map_err(|source| StoreError::Engine {
            path: dir.to_owned(),
            source,
        })?;
        let corrupt = |detail: &str| StoreError::Corrupt {
            path: dir.to_owned(),
            what: "origin table",
            detail: detail.into(),
        };
        let id = read_u32(k.get(meta::ORIGIN_PREFIX.len()..)).ok_or_else(|| corrupt("key"))?;
        let name = String::from_utf8(v.to_vec()).map_err(|_| corrupt("name"))?;
        origins.insert(OriginId(id), name);
    }
    Ok(origins)
}

pub(crate) fn read_u32(b: Option<&[u8]>) -> Option<u32> {
    Some(u32::from_be_bytes(b?.try_into().ok()?))
}

pub(crate) fn read_u64(b: Option<&[u8]>) -> Option<u64> {
    Some(u64::from_be_bytes(b?.try_into().ok()?))
}

/// A store is shared between the writer thread and query threads.
const _: () = {
    const fn check<T: Send + Sync>() {}
    check::<Store>();
};
