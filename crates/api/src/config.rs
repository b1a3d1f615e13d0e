//! The `[api]` section of the node's configuration.
//!
//! ```toml
//! [api]
//! listen = "127.0.0.1:8053"        # loopback unless `tls` is set or `allow_remote = true`
//! default_limit = 10000            # rows when a request names no limit (DNSDB's default)
//! max_limit = 1000000              # the most any request may ask for
//!
//! [[api.api_keys]]
//! name = "soc"                     # shown in logs; the Basic-auth user name when set
//! key = "d41d8cd98f00b204e9800998ecf8427e"
//! max_concurrent = 4               # queries at once (more: 503 DNSDB, 429 CIRCL)
//! max_results = 100000             # rows per query for this key
//! queries_per_minute = 600         # optional burst quota (more: 429)
//!
//! [api.tls]                        # optional: HTTPS with rustls
//! cert = "/etc/hearsay/api.pem"
//! key = "/etc/hearsay/api.key"
//! ```

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The HTTP API's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ApiConfig {
    /// Address to listen on.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Allow a non-loopback `listen` address without TLS (keys then cross the network in
    /// clear text).
    #[serde(default)]
    pub allow_remote: bool,
    /// The keys that may query, with their limits.
    #[serde(default)]
    pub api_keys: Vec<ApiKeyConfig>,
    /// Serve HTTPS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsConfig>,
    /// Rows returned when a request names no limit.
    #[serde(default = "default_limit")]
    pub default_limit: u64,
    /// The most rows any request may ask for (`limit=0` asks for this many; a larger
    /// limit is lowered to it, as DNSDB does).
    #[serde(default = "default_max_limit")]
    pub max_limit: u64,
    /// The largest `offset` (or CIRCL cursor position) accepted; more is refused with 416.
    #[serde(default = "default_max_offset")]
    pub max_offset: u64,
    /// Queries running at once over all keys; more are refused (503 / 429).
    #[serde(default = "default_max_queries")]
    pub max_queries: usize,
    /// Open connections; more wait in the listen backlog.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// Seconds a query may run, streaming included; then it ends with `failed`.
    #[serde(default = "default_query_timeout")]
    pub query_timeout_secs: u64,
}

/// One API key.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyConfig {
    /// The secret, sent as `X-API-Key` (DNSDB clients) or as the Basic-auth password
    /// (CIRCL clients).
    pub key: String,
    /// A name for logs; when set, the Basic-auth user name must be it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Queries of this key running at once.
    #[serde(default = "default_max_concurrent")]
    pub max_concurrent: usize,
    /// Rows one query of this key may return.
    #[serde(default = "default_max_results")]
    pub max_results: u64,
    /// Queries per minute (a token bucket refilled continuously); none: unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queries_per_minute: Option<u32>,
}

/// HTTPS certificate and key.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// Certificate chain, PEM.
    pub cert: PathBuf,
    /// Private key, PEM.
    pub key: PathBuf,
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8053))
}
fn default_limit() -> u64 {
    10_000
}
fn default_max_limit() -> u64 {
    1_000_000
}
fn default_max_offset() -> u64 {
    1_000_000
}
fn default_max_queries() -> usize {
    256
}
fn default_max_connections() -> usize {
    1024
}
fn default_query_timeout() -> u64 {
    300
}
fn default_max_concurrent() -> usize {
    4
}
fn default_max_results() -> u64 {
    100_000
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            listen: default_listen(),
            allow_remote: false,
            api_keys: Vec::new(),
            tls: None,
            default_limit: default_limit(),
            max_limit: default_max_limit(),
            max_offset: default_max_offset(),
            max_queries: default_max_queries(),
            max_connections: default_max_connections(),
            query_timeout_secs: default_query_timeout(),
        }
    }
}

impl ApiKeyConfig {
    /// A key with the default limits.
    pub fn new(key: impl Into<String>) -> Self {
        ApiKeyConfig {
            key: key.into(),
            name: None,
            max_concurrent: default_max_concurrent(),
            max_results: default_max_results(),
            queries_per_minute: None,
        }
    }
}

/// A configuration value that cannot work, named by its key (`api.listen`, …).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct ConfigError {
    /// The key, e.g. `api.api_keys[1].key`.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

fn err(key: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError {
        key: key.into(),
        message: message.into(),
    }
}

/// Shortest key accepted.
const MIN_KEY_LEN: usize = 16;

impl ApiConfig {
    /// Checks what the types cannot; errors name the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !self.listen.ip().is_loopback() && self.tls.is_none() && !self.allow_remote {
            return Err(err(
                "api.listen",
                format!(
                    "{} is not a loopback address: set [api.tls], or allow_remote = true to \
                     send API keys in clear text",
                    self.listen
                ),
            ));
        }
        if self.api_keys.is_empty() {
            return Err(err(
                "api.api_keys",
                "at least one key is needed ([[api.api_keys]] key = \"…\")",
            ));
        }
        let mut secrets = HashSet::new();
        let mut names = HashSet::new();
        for (i, k) in self.api_keys.iter().enumerate() {
            let at = format!("api.api_keys[{i}]");
            if k.key.len() < MIN_KEY_LEN {
                return Err(err(
                    format!("{at}.key"),
                    format!("at least {MIN_KEY_LEN} characters"),
                ));
            }
            if !k.key.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(err(
                    format!("{at}.key"),
                    "printable ASCII without spaces only (it travels in an HTTP header)",
                ));
            }
            if !secrets.insert(&k.key) {
                return Err(err(format!("{at}.key"), "the same key is listed twice"));
            }
            if let Some(name) = &k.name {
                if name.is_empty() || name.contains(':') || name.chars().any(char::is_control) {
                    return Err(err(
                        format!("{at}.name"),
                        "a non-empty name without ':' or control characters",
                    ));
                }
                if !names.insert(name) {
                    return Err(err(format!("{at}.name"), "the same name is used twice"));
                }
            }
            if k.max_concurrent == 0 {
                return Err(err(format!("{at}.max_concurrent"), "at least 1"));
            }
            if k.max_results == 0 {
                return Err(err(format!("{at}.max_results"), "at least 1"));
            }
            if k.queries_per_minute == Some(0) {
                return Err(err(
                    format!("{at}.queries_per_minute"),
                    "at least 1 (leave it out for no quota)",
                ));
            }
        }
        if let Some(tls) = &self.tls {
            for (key, path) in [("api.tls.cert", &tls.cert), ("api.tls.key", &tls.key)] {
                if !path.is_file() {
                    return Err(err(key, format!("{} is not a file", path.display())));
                }
            }
        }
        if self.max_limit == 0 {
            return Err(err("api.max_limit", "at least 1"));
        }
        if self.default_limit == 0 || self.default_limit > self.max_limit {
            return Err(err(
                "api.default_limit",
                format!("between 1 and max_limit ({})", self.max_limit),
            ));
        }
        if self.max_queries == 0 {
            return Err(err("api.max_queries", "at least 1"));
        }
        if self.max_connections == 0 {
            return Err(err("api.max_connections", "at least 1"));
        }
        if self.query_timeout_secs == 0 {
            return Err(err("api.query_timeout_secs", "at least 1"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ApiConfig, String> {
        let c: ApiConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        c.validate().map_err(|e| e.to_string())?;
        Ok(c)
    }

    const KEY: &str = "[[api_keys]]\nkey = \"0123456789abcdef0123\"\n";

    #[test]
    fn defaults() {
        let c = parse(KEY).unwrap();
        assert_eq!(c.listen, "127.0.0.1:8053".parse().unwrap());
        assert_eq!(c.default_limit, 10_000);
        assert_eq!(c.api_keys[0].max_concurrent, 4);
        assert_eq!(c.api_keys[0].max_results, 100_000);
        assert_eq!(c.api_keys[0].queries_per_minute, None);
        assert!(c.tls.is_none());
    }

    #[test]
    fn errors_name_the_key() {
        let cases = [
            ("bogus = 1\n", "bogus"),
            ("", "api.api_keys"),
            (&format!("listen = \"0.0.0.0:8053\"\n{KEY}"), "api.listen"),
            ("[[api_keys]]\nkey = \"short\"\n", "api.api_keys[0].key"),
            (
                "[[api_keys]]\nkey = \"0123456789abcdef 0123\"\n",
                "api.api_keys[0].key",
            ),
            (&format!("{KEY}{KEY}"), "api.api_keys[1].key"),
            (
                &format!("{KEY}max_concurrent = 0\n"),
                "api.api_keys[0].max_concurrent",
            ),
            (
                &format!("{KEY}queries_per_minute = 0\n"),
                "api.api_keys[0].queries_per_minute",
            ),
            (&format!("{KEY}typo = 1\n"), "typo"),
            (&format!("default_limit = 0\n{KEY}"), "api.default_limit"),
            (
                &format!("max_limit = 10\ndefault_limit = 11\n{KEY}"),
                "api.default_limit",
            ),
            (
                &format!("[tls]\ncert = \"/nonexistent.pem\"\nkey = \"/x\"\n{KEY}"),
                "api.tls.cert",
            ),
        ];
        for (text, key) in cases {
            let e = parse(text).unwrap_err();
            assert!(e.contains(key), "{text:?}: {e}");
        }
        // Remote listening is allowed explicitly.
        assert!(
            parse(&format!(
                "listen = \"0.0.0.0:8053\"\nallow_remote = true\n{KEY}"
            ))
            .is_ok()
        );
    }
}
