//! API keys: where clients put them, and which configured key they match.
//!
//! DNSDB clients send `X-API-Key: KEY`. CIRCL clients use HTTP Basic authentication
//! (pypdns' `basic_auth=(user, password)`): the password is the key and, when the key
//! has a name, the user must be that name. `Authorization: Bearer KEY` and a bare
//! `Authorization: KEY` (pypdns' `auth_token`) are accepted too. Keys are compared in
//! constant time.

use std::sync::Arc;

use axum::http::HeaderMap;
use base64::Engine;

use crate::config::ApiConfig;
use crate::limits::KeyLimits;

/// A configured key and its limits.
#[derive(Debug)]
pub(crate) struct ApiKey {
    /// For logs: the configured name, else `key#N`.
    pub name: String,
    named: bool,
    secret: Vec<u8>,
    pub limits: KeyLimits,
}

/// All configured keys.
#[derive(Debug)]
pub(crate) struct Keys {
    keys: Vec<Arc<ApiKey>>,
}

/// What a request presented.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Credentials {
    /// Nothing usable.
    Missing,
    /// A key, and the Basic-auth user name that came with it.
    Key {
        secret: Vec<u8>,
        user: Option<String>,
    },
}

impl Keys {
    pub fn new(config: &ApiConfig) -> Self {
        let keys = config
            .api_keys
            .iter()
            .enumerate()
            .map(|(i, k)| {
                Arc::new(ApiKey {
                    name: k.name.clone().unwrap_or_else(|| format!("key#{i}")),
                    named: k.name.is_some(),
                    secret: k.key.as_bytes().to_vec(),
                    limits: KeyLimits::new(k),
                })
            })
            .collect();
        Keys { keys }
    }

    /// The key the credentials name, if any.
    pub fn find(&self, credentials: &Credentials) -> Option<Arc<ApiKey>> {
        let Credentials::Key { secret, user } = credentials else {
            return None;
        };
        // Compare with every key, whatever matches, so that timing tells nothing.
        let mut found = None;
        for k in &self.keys {
            if constant_time_eq(&k.secret, secret) {
                found = Some(k);
            }
        }
        let k = found?;
        match user {
            Some(u) if k.named && *u != k.name => None,
            _ => Some(Arc::clone(k)),
        }
    }
}

/// The credentials of a request.
pub(crate) fn credentials(headers: &HeaderMap) -> Credentials {
    if let Some(v) = headers.get("x-api-key") {
        let v = v.as_bytes().trim_ascii();
        if !v.is_empty() {
            return Credentials::Key {
                secret: v.to_vec(),
                user: None,
            };
        }
    }
    let Some(auth) = headers.get(axum::http::header::AUTHORIZATION) else {
        return Credentials::Missing;
    };
    let auth = auth.as_bytes().trim_ascii();
    let (scheme, rest) = match auth.iter().position(|&b| b == b' ') {
        Some(i) => (&auth[..i], auth[i + 1..].trim_ascii()),
        None => (&b""[..], auth),
    };
    if scheme.eq_ignore_ascii_case(b"basic") {
        let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(rest) else {
            return Credentials::Missing;
        };
        let Some(colon) = decoded.iter().position(|&b| b == b':') else {
            return Credentials::Missing;
        };
        let user = String::from_utf8_lossy(&decoded[..colon]).into_owned();
        return Credentials::Key {
            secret: decoded[colon + 1..].to_vec(),
            user: Some(user),
        };
    }
    if scheme.eq_ignore_ascii_case(b"bearer") || scheme.is_empty() {
        if rest.is_empty() {
            return Credentials::Missing;
        }
        return Credentials::Key {
            secret: rest.to_vec(),
            user: None,
        };
    }
    Credentials::Missing
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ApiKeyConfig;
    use axum::http::HeaderValue;

    fn keys() -> Keys {
        let mut named = ApiKeyConfig::new("named-key-0123456789");
        named.name = Some("alice".into());
        Keys::new(&ApiConfig {
            api_keys: vec![ApiKeyConfig::new("plain-key-0123456789"), named],
            ..Default::default()
        })
    }

    fn with(name: &'static str, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_str(value).unwrap());
        h
    }

    fn basic(user: &str, pass: &str) -> String {
        let b64 = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
        format!("Basic {b64}")
    }

    #[test]
    fn where_keys_come_from() {
        let k = keys();
        let found = |h: &HeaderMap| k.find(&credentials(h)).map(|k| k.name.clone());
        assert_eq!(
            found(&with("x-api-key", "plain-key-0123456789")).as_deref(),
            Some("key#0")
        );
        assert_eq!(
            found(&with("X-Api-Key", "named-key-0123456789")).as_deref(),
            Some("alice")
        );
        assert_eq!(found(&with("x-api-key", "plain-key-012345678")), None);
        assert_eq!(found(&HeaderMap::new()), None);
        assert_eq!(credentials(&HeaderMap::new()), Credentials::Missing);
        let b = basic("anyone", "plain-key-0123456789");
        assert_eq!(found(&with("authorization", &b)).as_deref(), Some("key#0"));
        let b = basic("alice", "named-key-0123456789");
        assert_eq!(found(&with("authorization", &b)).as_deref(), Some("alice"));
        let b = basic("mallory", "named-key-0123456789");
        assert_eq!(found(&with("authorization", &b)), None);
        assert_eq!(
            found(&with("authorization", "Bearer plain-key-0123456789")).as_deref(),
            Some("key#0")
        );
        assert_eq!(
            found(&with("authorization", "plain-key-0123456789")).as_deref(),
            Some("key#0")
        );
        assert_eq!(found(&with("authorization", "Basic !!!")), None);
        assert_eq!(found(&with("authorization", "Digest x")), None);
    }
}
