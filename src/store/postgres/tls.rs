//! TLS to PostgreSQL with rustls and the ring provider (the one LaunchPad
//! already carries; no C build, no second crypto stack).
//!
//! `sslmode=require` verifies the server's certificate chain and name
//! against the system's CA certificates plus `store.postgres_ca_file`
//! (a managed service's private CA, such as the RDS bundle). `prefer`
//! encrypts when the server offers TLS but, like libpq, does not verify
//! whom it talks to; production accepts it for local servers only.

use super::error::ConnectError;
use super::url::{MaskedUrl, TlsMode};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::path::Path;
use std::sync::Arc;
use tokio_postgres_rustls::MakeRustlsConnect;

/// The connector for `mode`: verifying for `require`, encrypting only for
/// `prefer`; `disable` never uses it.
pub(super) fn connector(
    mode: TlsMode,
    ca_file: Option<&Path>,
    url: &MaskedUrl,
) -> Result<MakeRustlsConnect, ConnectError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions");
    let config = match mode {
        TlsMode::Require => {
            let roots = trust_anchors(ca_file)?;
            let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .map_err(|_| ConnectError::NoTrustAnchors { url: url.clone() })?;
            builder.with_webpki_verifier(verifier).with_no_client_auth()
        }
        TlsMode::Prefer | TlsMode::Disable => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Unverified(
                provider.signature_verification_algorithms,
            )))
            .with_no_client_auth(),
    };
    Ok(MakeRustlsConnect::new(config))
}

/// The system's CA certificates and those of `ca_file`. Unreadable system
/// certificates are skipped; a CA file that cannot be used is an error.
fn trust_anchors(ca_file: Option<&Path>) -> Result<RootCertStore, ConnectError> {
    let mut roots = RootCertStore::empty();
    let system = rustls_native_certs::load_native_certs();
    let (added, skipped) = roots.add_parsable_certificates(system.certs);
    if !system.errors.is_empty() || skipped > 0 {
        tracing::debug!(
            added,
            skipped,
            errors = system.errors.len(),
            "some system CA certificates could not be used"
        );
    }
    if let Some(path) = ca_file {
        for cert in read_ca_file(path)? {
            roots.add(cert).map_err(|e| ConnectError::CaFile {
                path: path.to_owned(),
                reason: format!("a certificate is not a usable CA: {e}"),
            })?;
        }
    }
    Ok(roots)
}

/// The certificates of a PEM bundle, at least one.
pub fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, ConnectError> {
    let fail = |reason: String| ConnectError::CaFile {
        path: path.to_owned(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(format!("is not a PEM certificate bundle: {e}")))?;
    if certs.is_empty() {
        return Err(fail(
            "holds no PEM certificate (-----BEGIN CERTIFICATE-----)".into(),
        ));
    }
    Ok(certs)
}

/// `sslmode=prefer`: the certificate is not checked, as libpq does not check
/// it either; the handshake's signatures still are, so the session keys
/// belong to whoever holds the certificate's key.
#[derive(Debug)]
struct Unverified(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}
