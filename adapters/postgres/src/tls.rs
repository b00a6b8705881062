//! The rustls client configuration for each [`SslMode`], with libpq's meanings.
//!
//! Every configuration takes its cryptography from ring explicitly
//! ([`ClientConfig::builder_with_provider`]), so it works whichever rustls backends other
//! crates of the process enable, and whether or not a process-wide provider is installed.

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::verify_server_cert_signed_by_trust_anchor;
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::server::ParsedCertificate;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use crate::error::PostgresError;
use crate::target::SslMode;

/// Installs ring as the process-wide rustls provider, unless a provider is installed already.
///
/// This crate does not need it. It is for other rustls users in the same process that call
/// [`ClientConfig::builder`], which panics when both of rustls' backends are compiled in and no
/// provider is installed.
pub fn install_crypto_provider() {
    if CryptoProvider::get_default().is_none() {
        // Losing a race to another installer leaves that one's provider, which is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// Builds the TLS configuration for `mode`, or `None` for [`SslMode::Disable`].
///
/// # Errors
/// [`PostgresError::MissingRootCert`] or [`PostgresError::RootCert`] when a verifying mode has
/// no usable root certificate, and [`PostgresError::Tls`] when rustls rejects the settings.
pub(crate) fn client_config(
    mode: SslMode,
    root_cert: Option<&Path>,
) -> Result<Option<ClientConfig>, PostgresError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(PostgresError::Tls)?;
    let config = match mode {
        SslMode::Disable => return Ok(None),
        SslMode::Prefer | SslMode::Require => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(EncryptOnly { provider }))
            .with_no_client_auth(),
        SslMode::VerifyCa => {
            let roots = Arc::new(load_roots(mode, root_cert)?);
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(ChainOnly { roots, provider }))
                .with_no_client_auth()
        }
        SslMode::VerifyFull => builder
            .with_root_certificates(load_roots(mode, root_cert)?)
            .with_no_client_auth(),
    };
    Ok(Some(config))
}

/// Reads the PEM root certificates of a verifying mode.
fn load_roots(mode: SslMode, path: Option<&Path>) -> Result<RootCertStore, PostgresError> {
    let path = path.ok_or_else(|| PostgresError::MissingRootCert {
        sslmode: mode.as_str().to_owned(),
    })?;
    let failed = |problem: String| PostgresError::RootCert {
        path: path.to_owned(),
        problem,
    };
    let certificates = CertificateDer::pem_file_iter(path)
        .map_err(|e| failed(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| failed(e.to_string()))?;
    let mut roots = RootCertStore::empty();
    let (added, _ignored) = roots.add_parsable_certificates(certificates);
    if added == 0 {
        return Err(failed("the file contains no usable certificate".to_owned()));
    }
    Ok(roots)
}

/// `sslmode=require` and `prefer`: encrypts, and accepts any server certificate, as libpq does
/// without a root certificate. Handshake signatures are still checked, so the server must hold
/// the key of the certificate it presents.
#[derive(Debug)]
struct EncryptOnly {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for EncryptOnly {
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
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// `sslmode=verify-ca`: the certificate chain must lead to a trusted root and be valid now, but
/// may name any host.
#[derive(Debug)]
struct ChainOnly {
    roots: Arc<RootCertStore>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let certificate = ParsedCertificate::try_from(end_entity)?;
        verify_server_cert_signed_by_trust_anchor(
            &certificate,
            &self.roots,
            intermediates,
            now,
            self.provider.signature_verification_algorithms.all,
        )?;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disable_builds_no_config() {
        let config = client_config(SslMode::Disable, None).unwrap();

        assert!(config.is_none());
    }

    #[test]
    fn require_builds_without_root() {
        let config = client_config(SslMode::Require, None).unwrap();

        assert!(config.is_some());
    }

    #[test]
    fn missing_root_file_is_named() {
        let path = Path::new("/nonexistent/rampart-root.pem");

        let result = client_config(SslMode::VerifyFull, Some(path));

        let error = result.unwrap_err().to_string();
        assert!(error.contains("rampart-root.pem"), "{error}");
    }

    #[test]
    fn verify_ca_needs_root() {
        let result = client_config(SslMode::VerifyCa, None);

        assert!(
            matches!(result, Err(PostgresError::MissingRootCert { .. })),
            "{result:?}"
        );
    }
}
