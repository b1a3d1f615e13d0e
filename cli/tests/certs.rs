//! `hearsay certs`: a CA, a node certificate, its fingerprint; errors name the file;
//! keys are private and not overwritten.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

fn hearsay(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hearsay"))
        .args(args)
        .env_remove("HEARSAY_DATA_DIR")
        .output()
        .expect("run hearsay")
}

fn ok(args: &[&str]) -> String {
    let out = hearsay(args);
    assert!(
        out.status.success(),
        "hearsay {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn fails(args: &[&str]) -> String {
    let out = hearsay(args);
    assert!(!out.status.success(), "hearsay {args:?} succeeded");
    String::from_utf8(out.stderr).unwrap()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn ca_node_fingerprint() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, node) = (dir.path().join("ca"), dir.path().join("node"));

    let out = ok(&[
        "certs",
        "ca",
        "--name",
        "CERT-A hearsay CA",
        "--out",
        s(&ca),
        "--days",
        "100",
    ]);
    assert!(out.contains("ca.pem"), "{out}");
    assert_eq!(mode(&ca.join("ca.key")), 0o600);
    assert!(
        std::fs::read_to_string(ca.join("ca.pem"))
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );

    let out = ok(&[
        "certs",
        "node",
        "--ca",
        s(&ca),
        "--origin",
        "cert-a",
        "--out",
        s(&node),
    ]);
    assert!(out.contains("cert-a"), "{out}");
    assert_eq!(mode(&node.join("node.key")), 0o600);
    let chain = std::fs::read_to_string(node.join("node.pem")).unwrap();
    assert_eq!(
        chain.matches("-----BEGIN CERTIFICATE-----").count(),
        2,
        "leaf + CA"
    );
    let chain_certs = hearsay_transport::load_pem_chain(node.join("node.pem")).unwrap();
    assert_eq!(
        hearsay_transport::identity::origin_of(&chain_certs[0]).unwrap(),
        "cert-a"
    );
    hearsay_transport::load_pem_key(node.join("node.key")).unwrap();
    hearsay_transport::load_pin_ca(ca.join("ca.pem")).unwrap();

    // The fingerprint is of the leaf (the chain file's first certificate), and the
    // node command printed the same one.
    let fp = ok(&["certs", "fingerprint", s(&node.join("node.pem"))]);
    let fp = fp.trim();
    assert!(fp.starts_with("sha256:") && fp.len() == 71, "{fp}");
    assert!(out.contains(fp), "{out}");
    assert_eq!(
        fp,
        hearsay_transport::certs::fingerprint(chain.as_bytes()).unwrap()
    );
    hearsay_transport::parse_fingerprint(fp).unwrap();
    let ca_fp = ok(&["certs", "fingerprint", s(&ca.join("ca.pem"))]);
    assert_ne!(ca_fp.trim(), fp);
}

#[test]
fn refuses_to_overwrite_keys_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca");
    ok(&["certs", "ca", "--name", "x", "--out", s(&ca)]);
    let key_before = std::fs::read(ca.join("ca.key")).unwrap();
    let err = fails(&["certs", "ca", "--name", "x", "--out", s(&ca)]);
    assert!(err.contains("ca.pem") && err.contains("--force"), "{err}");
    assert_eq!(std::fs::read(ca.join("ca.key")).unwrap(), key_before);

    ok(&[
        "certs",
        "node",
        "--ca",
        s(&ca),
        "--origin",
        "n",
        "--out",
        s(&ca),
    ]);
    let err = fails(&[
        "certs",
        "node",
        "--ca",
        s(&ca),
        "--origin",
        "n",
        "--out",
        s(&ca),
    ]);
    assert!(err.contains("node.pem") && err.contains("--force"), "{err}");

    ok(&["certs", "ca", "--name", "x", "--out", s(&ca), "--force"]);
    assert_ne!(std::fs::read(ca.join("ca.key")).unwrap(), key_before);
    assert_eq!(mode(&ca.join("ca.key")), 0o600);
}

#[test]
fn errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let err = fails(&["certs", "fingerprint", s(&missing.join("x.pem"))]);
    assert!(err.contains("x.pem"), "{err}");

    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate").unwrap();
    let err = fails(&["certs", "fingerprint", s(&garbage)]);
    assert!(err.contains("garbage.pem"), "{err}");

    let err = fails(&[
        "certs",
        "node",
        "--ca",
        s(&missing),
        "--origin",
        "a",
        "--out",
        s(dir.path()),
    ]);
    assert!(err.contains("ca.pem"), "{err}");

    // A CA directory whose key is not a key.
    let ca = dir.path().join("ca");
    ok(&["certs", "ca", "--name", "x", "--out", s(&ca)]);
    std::fs::write(ca.join("ca.key"), "junk").unwrap();
    let err = fails(&[
        "certs",
        "node",
        "--ca",
        s(&ca),
        "--origin",
        "a",
        "--out",
        s(dir.path()),
    ]);
    assert!(err.contains("ca.key"), "{err}");

    // A bad origin name is named too.
    ok(&[
        "certs",
        "ca",
        "--name",
        "y",
        "--out",
        s(&dir.path().join("ca2")),
    ]);
    let err = fails(&[
        "certs",
        "node",
        "--ca",
        s(&dir.path().join("ca2")),
        "--origin",
        "Bad Name",
        "--out",
        s(dir.path()),
    ]);
    assert!(err.contains("Bad Name"), "{err}");
    assert!(!dir.path().join("node.key").exists());
}
