//! The web gateway: ledger-service serves the banking screens to any phone's browser.
//!
//! Each browser is a real device of the shared core. The gateway hosts one core
//! [`Session`](bank_core::session::Session) per browser, signed in over MQTT with the
//! credentials the person typed, so the broker's logins and access rules apply as to any
//! phone: the gateway has no power over anyone's money. Views reach the page over a
//! WebSocket, as they reach the desktop's window over Tauri events, and the page is the
//! desktop's own (`ui/`), carried inside the binary.

mod assets;
mod banner;
mod commands;
mod device;
mod frames;
mod gateway;
mod socket;
mod throttle;

pub use banner::{phone_urls, qr_code};
pub use gateway::{Broker, DEVICES_MAX, GRACE, Gateway, GatewaySettings};

use std::net::SocketAddr;
use std::sync::Arc;

use axum::routing::get;
use axum::serve::ListenerExt;
use axum::{Extension, Router};

/// How a listener serves the page: it decides the cookie's `Secure` and the origin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

/// The gateway's routes: the page and its files, and `/ws`.
pub fn router(gateway: Arc<Gateway>, scheme: Scheme) -> Router {
    Router::new()
        .route("/ws", get(socket::upgrade))
        .route("/", get(assets::index))
        .route("/{*path}", get(assets::file))
        .layer(Extension(scheme))
        .with_state(gateway)
}

/// Serves plain HTTP on `listener` until `shutdown` resolves.
pub async fn serve_http(
    listener: tokio::net::TcpListener,
    gateway: Arc<Gateway>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(gateway, Scheme::Http).into_make_service_with_connect_info::<SocketAddr>();
    // Views are small and urgent: Nagle's wait would add 40 ms to every one.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}

pub use axum_server::Handle as HttpsHandle;
pub use axum_server::tls_rustls::RustlsConfig as HttpsConfig;

/// Reads the PEM certificate chain and key (the MQTT TLS listener's) for HTTPS.
pub async fn https_config(cert: &std::path::Path, key: &std::path::Path) -> std::io::Result<HttpsConfig> {
    HttpsConfig::from_pem_file(cert, key).await
}

/// Serves HTTPS on `listener` until `handle` shuts it down.
pub async fn serve_https(
    listener: std::net::TcpListener,
    tls: HttpsConfig,
    gateway: Arc<Gateway>,
    handle: HttpsHandle,
) -> std::io::Result<()> {
    let app = router(gateway, Scheme::Https).into_make_service_with_connect_info::<SocketAddr>();
    let acceptor = axum_server::tls_rustls::RustlsAcceptor::new(tls).acceptor(axum_server::accept::NoDelayAcceptor);
    axum_server::from_tcp(listener).acceptor(acceptor).handle(handle).serve(app).await
}
