//! TLS material for MQTT: the embedded broker's server config from PEM files, and the external
//! client's trust roots (a CA file, or the public web PKI). rustls with the ring provider only.

use std::path::Path;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::config::TlsListenerConfig;
use crate::error::{IotError, Result};

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn certs(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .map_err(|e| IotError::Tls(format!("cannot read {}: {e}", path.display())))?
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| IotError::Tls(format!("{}: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(IotError::Tls(format!(
            "{} holds no certificate",
            path.display()
        )));
    }
    Ok(certs)
}

/// The TLS acceptor of the embedded broker's TLS listener.
pub fn acceptor(cfg: &TlsListenerConfig) -> Result<tokio_rustls::TlsAcceptor> {
    let chain = certs(&cfg.cert_path)?;
    let key = PrivateKeyDer::from_pem_file(&cfg.key_path)
        .map_err(|e| IotError::Tls(format!("cannot read key {}: {e}", cfg.key_path.display())))?;
    let config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| IotError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| IotError::Tls(format!("certificate and key do not fit: {e}")))?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// A client config trusting `ca` (PEM) or, without one, the public web PKI roots.
pub fn client_config(ca: Option<&Path>) -> Result<Arc<rustls::ClientConfig>> {
    let mut roots = RootCertStore::empty();
    match ca {
        Some(path) => {
            for c in certs(path)? {
                roots
                    .add(c)
                    .map_err(|e| IotError::Tls(format!("{}: {e}", path.display())))?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| IotError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}
