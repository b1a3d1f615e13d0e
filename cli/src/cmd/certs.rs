//! `hearsay certs`: a federation's CA, node certificates and fingerprints (see
//! certs/README.md). Private keys are written with mode 0600 and never overwritten
//! without `--force`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use hearsay_transport::certs;

use crate::args::{CertsCaArgs, CertsCommand, CertsFingerprintArgs, CertsNodeArgs};

pub fn run(command: CertsCommand) -> Result<()> {
    match command {
        CertsCommand::Ca(args) => ca(args),
        CertsCommand::Node(args) => node(args),
        CertsCommand::Fingerprint(args) => fingerprint(args),
    }
}

fn ca(args: CertsCaArgs) -> Result<()> {
    let (cert, key) = (args.out.join("ca.pem"), args.out.join("ca.key"));
    refuse_overwrite(&[&cert, &key], args.force)?;
    let ca = certs::create_ca(&args.name, args.days).context("creating the CA")?;
    create_dir(&args.out)?;
    write_file(&key, &ca.key_pem, true, args.force)?;
    write_file(&cert, &ca.cert_pem, false, args.force)?;
    println!("CA {:?}, valid {} days", args.name, args.days);
    println!(
        "  certificate  {}  (give it to partners that pin your CA)",
        cert.display()
    );
    println!(
        "  private key  {}  (mode 0600; keep it offline, never commit it)",
        key.display()
    );
    println!(
        "  fingerprint  {}",
        certs::fingerprint(ca.cert_pem.as_bytes())?
    );
    Ok(())
}

fn node(args: CertsNodeArgs) -> Result<()> {
    let (ca_cert, ca_key) = (args.ca.join("ca.pem"), args.ca.join("ca.key"));
    let ca_cert_pem = read_text(&ca_cert)?;
    let ca_key_pem = read_text(&ca_key)?;
    let (cert, key) = (args.out.join("node.pem"), args.out.join("node.key"));
    refuse_overwrite(&[&cert, &key], args.force)?;
    let node = certs::issue_node(&ca_cert_pem, &ca_key_pem, &args.origin, args.days).with_context(
        || {
            format!(
                "issuing a certificate for origin {:?} with the CA in {} and {}",
                args.origin,
                ca_cert.display(),
                ca_key.display()
            )
        },
    )?;
    create_dir(&args.out)?;
    write_file(&key, &node.key_pem, true, args.force)?;
    // The chain a node presents: its certificate, then its CA's.
    let mut chain = node.cert_pem.clone();
    if !chain.ends_with('\n') {
        chain.push('\n');
    }
    chain.push_str(&ca_cert_pem);
    write_file(&cert, &chain, false, args.force)?;
    println!("node certificate for origin {:?}", args.origin);
    println!(
        "  chain        {}  (certificate, then the CA's)",
        cert.display()
    );
    println!(
        "  private key  {}  (mode 0600; never commit it)",
        key.display()
    );
    println!(
        "  fingerprint  {}  (for partners that pin this node rather than the CA)",
        certs::fingerprint(node.cert_pem.as_bytes())?
    );
    Ok(())
}

fn fingerprint(args: CertsFingerprintArgs) -> Result<()> {
    let bytes =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let fp = certs::fingerprint(&bytes).with_context(|| args.file.display().to_string())?;
    println!("{fp}");
    Ok(())
}

fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

fn create_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating directory {}", dir.display()))
}

/// Checks before anything is written, so that a refusal leaves no half-made pair.
fn refuse_overwrite(paths: &[&PathBuf], force: bool) -> Result<()> {
    if force {
        return Ok(());
    }
    for path in paths {
        if path.exists() {
            bail!(
                "{} already exists (pass --force to overwrite it and its pair)",
                path.display()
            );
        }
    }
    Ok(())
}

/// Writes `text` to `path`; a private key is created with mode 0600 (and an existing
/// file being overwritten is narrowed to 0600 first).
fn write_file(path: &Path, text: &str, private: bool, force: bool) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        if force && path.exists() {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                .with_context(|| format!("restricting {}", path.display()))?;
        }
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
