//! The origin table: origin names (the nodes whose sensors saw records) and the small
//! local numbers that stand for them inside stored values and log keys.

use std::collections::HashMap;

use hearsay_record::OriginId;

use crate::{Result, StoreError};

/// Checks an origin name: 1–64 characters of `a-z 0-9 . - _`.
pub fn validate_origin_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_')
        });
    if ok {
        Ok(())
    } else {
        Err(StoreError::BadOriginName(name.to_owned()))
    }
}

/// Names by id and ids by name.
#[derive(Debug, Default, Clone)]
pub struct Origins {
    names: Vec<Option<String>>,
    ids: HashMap<String, OriginId>,
}

impl Origins {
    /// Adds a known mapping (loading from meta).
    pub fn insert(&mut self, id: OriginId, name: String) {
        let idx = id.0 as usize;
        if self.names.len() <= idx {
            self.names.resize(idx + 1, None);
        }
        if let Some(old) = self.names[idx].replace(name.clone()) {
            self.ids.remove(&old);
        }
        self.ids.insert(name, id);
    }

    /// The id of a name, if known.
    pub fn id(&self, name: &str) -> Option<OriginId> {
        self.ids.get(name).copied()
    }

    /// The name of an id, if known.
    pub fn name(&self, id: OriginId) -> Option<&str> {
        self.names.get(id.0 as usize)?.as_deref()
    }

    /// The next unused id.
    pub fn next_id(&self) -> Result<OriginId> {
        u32::try_from(self.names.len())
            .map(OriginId)
            .map_err(|_| StoreError::TooManyOrigins)
    }

    /// Every (id, name).
    pub fn iter(&self) -> impl Iterator<Item = (OriginId, &str)> {
        self.names
            .iter()
            .enumerate()
            .filter_map(|(i, n)| Some((OriginId(i as u32), n.as_deref()?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(validate_origin_name("cert-a.example").is_ok());
        assert!(validate_origin_name("").is_err());
        assert!(validate_origin_name("Upper").is_err());
        assert!(validate_origin_name("sp ace").is_err());
        let mut o = Origins::default();
        o.insert(OriginId(0), "a".into());
        o.insert(OriginId(2), "c".into());
        assert_eq!(o.next_id().unwrap(), OriginId(3));
        assert_eq!(o.id("c"), Some(OriginId(2)));
        assert_eq!(o.name(OriginId(1)), None);
        o.insert(OriginId(0), "renamed".into());
        assert_eq!(o.id("a"), None);
        assert_eq!(o.iter().count(), 2);
    }
}
