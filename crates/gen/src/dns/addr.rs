//! Address inputs: presentation strings or `std::net` values.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::error::{Error, Result};

/// Something that names an IPv4 address: `"192.0.2.1"`, an [`Ipv4Addr`] or four octets.
pub trait IntoV4 {
    /// The address, or [`Error::Address`].
    fn into_v4(self) -> Result<Ipv4Addr>;
}

impl IntoV4 for &str {
    fn into_v4(self) -> Result<Ipv4Addr> {
        self.parse().map_err(|_| Error::Address(self.to_owned()))
    }
}

impl IntoV4 for Ipv4Addr {
    fn into_v4(self) -> Result<Ipv4Addr> {
        Ok(self)
    }
}

impl IntoV4 for [u8; 4] {
    fn into_v4(self) -> Result<Ipv4Addr> {
        Ok(Ipv4Addr::from(self))
    }
}

/// Something that names an IPv6 address: `"2001:db8::1"`, an [`Ipv6Addr`] or 16 octets.
pub trait IntoV6 {
    /// The address, or [`Error::Address`].
    fn into_v6(self) -> Result<Ipv6Addr>;
}

impl IntoV6 for &str {
    fn into_v6(self) -> Result<Ipv6Addr> {
        self.parse().map_err(|_| Error::Address(self.to_owned()))
    }
}

impl IntoV6 for Ipv6Addr {
    fn into_v6(self) -> Result<Ipv6Addr> {
        Ok(self)
    }
}

impl IntoV6 for [u8; 16] {
    fn into_v6(self) -> Result<Ipv6Addr> {
        Ok(Ipv6Addr::from(self))
    }
}
