//! HTTPS for `gatehouse serve` (`--tls-cert PEM --tls-key PEM`): rustls with the *ring*
//! provider (the one reqwest already brings), HTTP/1.1 only. The certificate and key are read
//! at start — a file that cannot be read, holds no certificate or key, or a key that does not
//! belong to the certificate is an [`Error::Invalid`] naming the flag (exit 2) — and again on
//! SIGHUP ([`reload_on_hangup`]): new connections get the new pair, connections already open
//! keep theirs, and a bad pair is logged and the previous one kept.

use crate::backend::Error;
use crate::text::sanitize;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::{self, PemObject};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The flag naming the certificate file.
pub const CERT_FLAG: &str = "--tls-cert";
/// The flag naming the private key file.
pub const KEY_FLAG: &str = "--tls-key";

/// The two PEM files a TLS server reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain, leaf first (`--tls-cert`).
    pub cert: PathBuf,
    /// The leaf's private key: PKCS#8, PKCS#1 or SEC1 (`--tls-key`).
    pub key: PathBuf,
}

/// Why a certificate and key cannot be served. [`TlsError::flag`] names the flag at fault.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The file cannot be read.
    #[error("cannot read {path}: {source}")]
    Unreadable {
        /// The flag that named the file.
        flag: &'static str,
        /// The file, as given.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not PEM, or holds no item of the kind the flag needs.
    #[error("{path} holds no PEM {what} ({why})")]
    Missing {
        /// The flag that named the file.
        flag: &'static str,
        /// The file, as given.
        path: String,
        /// "certificate" or "private key".
        what: &'static str,
        /// What the PEM reader said.
        why: String,
    },
    /// rustls refused the pair: most often a key that is not the certificate's.
    #[error("the key in {key} does not fit the certificate in {cert}: {why}")]
    Rejected {
        /// The certificate file.
        cert: String,
        /// The key file.
        key: String,
        /// What rustls said.
        why: String,
    },
}

impl TlsError {
    /// The flag whose file is at fault.
    pub fn flag(&self) -> &'static str {
        match self {
            TlsError::Unreadable { flag, .. } | TlsError::Missing { flag, .. } => flag,
            TlsError::Rejected { .. } => KEY_FLAG,
        }
    }
}

impl From<TlsError> for Error {
    fn from(e: TlsError) -> Error {
        Error::invalid(e.flag(), e.to_string())
    }
}

/// The file as shown in messages.
fn shown(path: &Path) -> String {
    sanitize(&path.display().to_string()).into_owned()
}

fn read(flag: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Unreadable {
        flag,
        path: shown(path),
        source,
    })
}

/// What the PEM reader said, without echoing the file's bytes.
fn pem_why(e: &pem::Error) -> String {
    match e {
        pem::Error::NoItemsFound => "no such section".into(),
        pem::Error::MissingSectionEnd { .. } => "a section has no END line".into(),
        pem::Error::IllegalSectionStart { .. } => "a BEGIN line is malformed".into(),
        pem::Error::Base64Decode(_) => "a section is not valid base64".into(),
        pem::Error::SectionTooLarge => "a section is too large".into(),
        other => sanitize(&other.to_string()).into_owned(),
    }
}

/// Reads both files and builds the server configuration.
pub fn load_config(files: &TlsFiles) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let cert_pem = read(CERT_FLAG, &files.cert)?;
    let key_pem = read(KEY_FLAG, &files.key)?;
    let missing = |flag, path: &Path, what, why| TlsError::Missing {
        flag,
        path: shown(path),
        what,
        why,
    };
    let certs = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| missing(CERT_FLAG, &files.cert, "certificate", pem_why(&e)))?;
    if certs.is_empty() {
        let why = "no CERTIFICATE section".to_string();
        return Err(missing(CERT_FLAG, &files.cert, "certificate", why));
    }
    let key = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|e| missing(KEY_FLAG, &files.key, "private key", pem_why(&e)))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let rejected = |e: rustls::Error| TlsError::Rejected {
        cert: shown(&files.cert),
        key: shown(&files.key),
        why: sanitize(&e.to_string()).into_owned(),
    };
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(rejected)?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(rejected)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A server's TLS: its files and the configuration new connections get (swapped on reload).
#[derive(Clone)]
pub struct Tls {
    files: Arc<TlsFiles>,
    current: Arc<RwLock<TlsAcceptor>>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls").field("files", &self.files).finish()
    }
}

impl Tls {
    /// Reads `files`; fails as [`load_config`] does.
    pub fn load(files: TlsFiles) -> Result<Tls, TlsError> {
        let config = load_config(&files)?;
        Ok(Tls {
            files: Arc::new(files),
            current: Arc::new(RwLock::new(TlsAcceptor::from(config))),
        })
    }

    /// The files it serves.
    pub fn files(&self) -> &TlsFiles {
        &self.files
    }

    /// Re-reads the files: on success new connections get the new pair; on failure the
    /// current one stays.
    pub fn reload(&self) -> Result<(), TlsError> {
        let config = load_config(&self.files)?;
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        *current = TlsAcceptor::from(config);
        Ok(())
    }

    /// The acceptor for a connection accepted now.
    pub(crate) fn acceptor(&self) -> TlsAcceptor {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The configuration new connections get (tests compare it across reloads).
    pub fn config(&self) -> Arc<rustls::ServerConfig> {
        self.acceptor().config().clone()
    }
}

/// Until the process ends: on each SIGHUP re-reads the TLS files (`tls`), or says there is
/// nothing to reload. A SIGHUP never stops the server (systemd's `ExecReload` sends one). The
/// handler is installed when this is called, before the future is first polled: a SIGHUP sent
/// as soon as the server says it serves is never the default action (the end of the process).
pub fn reload_on_hangup(
    tls: Option<Tls>,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup());
    async move {
        #[cfg(unix)]
        {
            let mut hup = match hup {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!("cannot listen for SIGHUP: {e}; TLS reload is off");
                    return;
                }
            };
            while hup.recv().await.is_some() {
                let Some(tls) = &tls else {
                    tracing::info!("SIGHUP: nothing to reload (serving without TLS)");
                    continue;
                };
                let files = tls.files();
                match tls.reload() {
                    Ok(()) => tracing::info!(
                        cert = %shown(&files.cert),
                        key = %shown(&files.key),
                        "SIGHUP: reloaded the TLS certificate; new connections use it"
                    ),
                    Err(e) => tracing::error!(
                        flag = e.flag(),
                        "SIGHUP: cannot reload the TLS certificate, still serving the previous one: {e}"
                    ),
                }
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tls;
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(test)]
mod tests;
