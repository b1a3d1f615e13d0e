//! HTTPS with rustls: the dnsdb2 client over TLS, and a plaintext client refused
//! without a hang.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::time::Duration;

use common::{KEY, TestServer, python, require_python_clients};
use hearsay_api::TlsConfig;
use serde_json::json;

#[test]
fn dnsdb2_over_https() {
    require_python_clients();
    let dir = tempfile::tempdir().unwrap();
    let store = common::paper_store(dir.path());
    // A CA and a server certificate it issued for 127.0.0.1; the client trusts the CA.
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "hearsay test CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let params =
        rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .unwrap();
    let cert = params.signed_by(&key, &issuer).unwrap();
    let ca_path = dir.path().join("ca.pem");
    std::fs::write(&ca_path, ca_cert.pem()).unwrap();
    let (cert_path, key_path) = (dir.path().join("api.pem"), dir.path().join("api.key"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    let mut config = common::config();
    config.tls = Some(TlsConfig {
        cert: cert_path,
        key: key_path,
    });
    let server = TestServer::start(store, config);

    let out = python(
        "dnsdb2_driver.py",
        &json!({
            "key": KEY,
            "server": format!("https://{}", server.addr),
            "client": {"verify": ca_path.to_str().unwrap()},
            "ops": [
                {"method": "ping"},
                {"method": "lookup_rdata_ip", "args": ["212.9.189.164"]},
                {"method": "lookup_rrset", "args": ["kimble.org", "A"], "kwargs": {"limit": 2}},
            ],
        }),
    );
    assert_eq!(out[0]["value"], true, "{out}");
    let names: Vec<&str> = out[1]["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rrname"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{out}");
    assert!(names.contains(&"www.enyo.de."), "{out}");
    assert!(out[1]["records"][0]["rdata"] == serde_json::json!(["212.9.189.164"]));
    assert_eq!(
        out[2]["records"][0]["rdata"],
        serde_json::json!(["192.0.2.77"])
    );
    assert_eq!(out[2]["error"], "QueryLimited", "{out}");

    // A client that does not trust the CA refuses the server.
    let out = python(
        "dnsdb2_driver.py",
        &json!({
            "key": KEY,
            "server": format!("https://{}", server.addr),
            "ops": [{"method": "ping"}],
        }),
    );
    // (dnsdb2 turns the SSL error of a ping into its QueryError.)
    assert!(out[0]["error"].is_string(), "{out}");
    assert!(out[0].get("value").is_none(), "{out}");

    // Plain HTTP to the TLS port: the handshake fails and the connection closes.
    let mut tcp = std::net::TcpStream::connect(server.addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    tcp.write_all(b"GET /dnsdb/v2/ping HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut buf = Vec::new();
    let _ = tcp.read_to_end(&mut buf);
    assert!(!String::from_utf8_lossy(&buf).contains("\"ping\""));
}

#[test]
fn bad_tls_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(
        hearsay_store::Store::open(&dir.path().join("data"), Default::default()).unwrap(),
    );
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate").unwrap();
    let mut config = common::config();
    config.tls = Some(TlsConfig {
        cert: junk.clone(),
        key: junk,
    });
    let rt = tokio::runtime::Runtime::new().unwrap();
    let err = rt
        .block_on(hearsay_api::bind(store, config))
        .unwrap_err()
        .to_string();
    assert!(err.contains("junk.pem"), "{err}");
}
