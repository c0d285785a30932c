//! The rumqttc client every connection of ours uses.

use std::sync::Arc;

use rumqttc::{AsyncClient, EventLoop, MqttOptions, NetworkOptions, TlsConfiguration, Transport};

const CONNECTION_TIMEOUT_SECS: u64 = 10;

/// Options for `client_id` at `host:port`: packets up to `packet_bytes_max` both ways,
/// and TLS when it is given.
pub fn options(
    client_id: String,
    host: &str,
    port: u16,
    packet_bytes_max: usize,
    tls: Option<Arc<rustls::ClientConfig>>,
) -> MqttOptions {
    let mut options = MqttOptions::new(client_id, host, port);
    options.set_max_packet_size(packet_bytes_max, packet_bytes_max);
    if let Some(tls) = tls {
        options.set_transport(Transport::Tls(TlsConfiguration::Rustls(tls)));
    }
    options
}

/// The client and its event loop, with Nagle off: every message is small and urgent.
/// `requests_queued_max` bounds what callers may queue before the loop sends it.
pub fn client(options: MqttOptions, requests_queued_max: usize) -> (AsyncClient, EventLoop) {
    let (client, mut eventloop) = AsyncClient::new(options, requests_queued_max);
    let mut network = NetworkOptions::new();
    network.set_tcp_nodelay(true);
    network.set_connection_timeout(CONNECTION_TIMEOUT_SECS);
    eventloop.set_network_options(network);
    (client, eventloop)
}

/// [`options`] for MQTT 5, through rumqttc's `v5` module: the same transport, for tools
/// that let a person choose the protocol version.
pub fn options_v5(
    client_id: String,
    host: &str,
    port: u16,
    packet_bytes_max: usize,
    tls: Option<Arc<rustls::ClientConfig>>,
) -> rumqttc::v5::MqttOptions {
    let mut options = rumqttc::v5::MqttOptions::new(client_id, host, port);
    options.set_max_packet_size(u32::try_from(packet_bytes_max).ok());
    if let Some(tls) = tls {
        options.set_transport(Transport::Tls(TlsConfiguration::Rustls(tls)));
    }
    let mut network = NetworkOptions::new();
    network.set_tcp_nodelay(true);
    network.set_connection_timeout(CONNECTION_TIMEOUT_SECS);
    options.set_network_options(network);
    options
}

/// [`client`] for MQTT 5.
pub fn client_v5(
    options: rumqttc::v5::MqttOptions,
    requests_queued_max: usize,
) -> (rumqttc::v5::AsyncClient, rumqttc::v5::EventLoop) {
    rumqttc::v5::AsyncClient::new(options, requests_queued_max)
}

/// A TLS client config with ring, whatever crypto providers the build pulled in. `None`
/// trusts the public web roots; otherwise the PEM's certificates only.
pub fn tls_config(ca_certificate_pem: Option<&str>) -> Result<Arc<rustls::ClientConfig>, String> {
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    let invalid_ca = |why: String| {
        format!(
            "The CA certificate is not usable PEM: {why}. Paste the broker's CA certificate, starting with -----BEGIN CERTIFICATE-----."
        )
    };
    let mut roots = rustls::RootCertStore::empty();
    match ca_certificate_pem {
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        Some(pem) => {
            for certificate in CertificateDer::pem_slice_iter(pem.as_bytes()) {
                let certificate = certificate.map_err(|error| invalid_ca(error.to_string()))?;
                roots.add(certificate).map_err(|error| invalid_ca(error.to_string()))?;
            }
            if roots.is_empty() {
                return Err(invalid_ca("it holds no certificate".into()));
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| format!("TLS setup failed: {error}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}
