//! Domain name inputs and case randomisation.

use hickory_proto::rr::Name;
use rand::Rng;

use crate::error::{Error, Result};

/// Something that names a domain: a presentation string (trailing dot optional) or a
/// hickory [`Name`]. The result is always fully qualified; case is kept.
pub trait IntoName {
    /// The fully qualified name, or [`Error::Name`].
    fn into_name(self) -> Result<Name>;
}

impl IntoName for &str {
    fn into_name(self) -> Result<Name> {
        let mut n = Name::from_ascii(self).map_err(|source| Error::Name {
            name: self.to_owned(),
            source,
        })?;
        n.set_fqdn(true);
        Ok(n)
    }
}

impl IntoName for &String {
    fn into_name(self) -> Result<Name> {
        self.as_str().into_name()
    }
}

impl IntoName for String {
    fn into_name(self) -> Result<Name> {
        self.as_str().into_name()
    }
}

impl IntoName for Name {
    fn into_name(mut self) -> Result<Name> {
        self.set_fqdn(true);
        Ok(self)
    }
}

impl IntoName for &Name {
    fn into_name(self) -> Result<Name> {
        self.clone().into_name()
    }
}

/// Randomises the case of each ASCII letter (the "0x20" trick resolvers use against
/// spoofing), deterministically for a given `rng`.
pub fn mix_case<R: Rng + ?Sized>(name: &str, rng: &mut R) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphabetic() && rng.random_bool(0.5) {
                (c as u8 ^ 0x20) as char
            } else {
                c
            }
        })
        .collect()
}
