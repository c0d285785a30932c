//! The web gateway's listeners: the banking screens for any phone's browser, each browser
//! a device of the core that signs in to the broker like any other.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use bank_web::{Broker, Gateway, GatewaySettings};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::{Endpoint, ServiceError, loopback_for};
use crate::cli::RunArgs;

const HTTP_PORT: u16 = 8080;

/// The running gateway; [`Web::stop`] ends its sessions before the broker goes.
pub struct Web {
    gateway: Arc<Gateway>,
    /// The listeners' addresses, as bound: `(scheme, address)`.
    pub listening: Vec<(&'static str, SocketAddr)>,
    /// Why the default HTTP listener is missing, for the banner.
    pub skipped: Option<String>,
    stop: watch::Sender<bool>,
    https: Option<bank_web::HttpsHandle>,
    tasks: Vec<JoinHandle<()>>,
}

pub async fn start(args: &RunArgs, endpoint: &Endpoint, embedded: bool) -> Result<Option<Web>, ServiceError> {
    if args.no_http {
        return Ok(None);
    }
    let broker = if embedded {
        let local = loopback_for(args.mqtt_listen);
        Broker { host: local.ip().to_string(), port: local.port(), tls: false }
    } else {
        Broker { host: endpoint.host.clone(), port: endpoint.port, tls: endpoint.tls }
    };
    let settings = GatewaySettings {
        broker,
        data_dir: args.data_dir.clone(),
        devices_max: args.http_devices_max,
        grace: bank_web::GRACE,
    };
    let gateway = Gateway::start(settings);
    let (stop, stopped) = watch::channel(false);
    let mut web = Web { gateway, listening: Vec::new(), skipped: None, stop, https: None, tasks: Vec::new() };
    web.listen_http(args, embedded, stopped).await?;
    if let Some(listen) = args.https_listen {
        web.listen_https(args, listen).await?;
    }
    Ok(Some(web))
}

impl Web {
    async fn listen_http(
        &mut self,
        args: &RunArgs,
        embedded: bool,
        mut stopped: watch::Receiver<bool>,
    ) -> Result<(), ServiceError> {
        let default = SocketAddr::new(
            if embedded { args.mqtt_listen.ip() } else { IpAddr::V4(Ipv4Addr::UNSPECIFIED) },
            HTTP_PORT,
        );
        let listen = args.http_listen.unwrap_or(default);
        let listener = match tokio::net::TcpListener::bind(listen).await {
            Ok(listener) => listener,
            Err(error) if args.http_listen.is_none() => {
                self.skipped = Some(format!(
                    "no web page for phones: cannot listen on {listen} ({error}); pass --http-listen with a free port"
                ));
                return Ok(());
            }
            Err(error) => {
                return Err(ServiceError::Setup(format!(
                    "cannot listen on --http-listen {listen}: {error}; pick a free port, or --no-http"
                )));
            }
        };
        let bound = listener.local_addr().map_err(|error| ServiceError::Setup(error.to_string()))?;
        self.listening.push(("http", bound));
        let shutdown = async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        };
        let served = bank_web::serve_http(listener, self.gateway.clone(), shutdown);
        self.tasks.push(tokio::spawn(async move {
            if let Err(error) = served.await {
                tracing::error!(%error, "the web page for phones stopped");
            }
        }));
        Ok(())
    }

    async fn listen_https(&mut self, args: &RunArgs, listen: SocketAddr) -> Result<(), ServiceError> {
        let cert = args.tls_cert.as_deref().expect("clap requires --tls-cert with --https-listen");
        let key = args.tls_key.as_deref().expect("clap requires --tls-key with --https-listen");
        let setup = |what: String| ServiceError::Setup(what);
        let tls = bank_web::https_config(cert, key).await.map_err(|error| {
            setup(format!("cannot use {} and {} for HTTPS: {error}", cert.display(), key.display()))
        })?;
        let listener = std::net::TcpListener::bind(listen)
            .and_then(|listener| listener.set_nonblocking(true).map(|()| listener))
            .map_err(|error| setup(format!("cannot listen on --https-listen {listen}: {error}")))?;
        let handle = bank_web::HttpsHandle::new();
        let served = bank_web::serve_https(listener, tls, self.gateway.clone(), handle.clone());
        self.tasks.push(tokio::spawn(async move {
            if let Err(error) = served.await {
                tracing::error!(%error, "the HTTPS page for phones stopped");
            }
        }));
        self.https = Some(handle);
        self.listening.push(("https", listen));
        Ok(())
    }

    /// Closes the listeners and ends every hosted session, each with its goodbye.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Some(https) = &self.https {
            https.graceful_shutdown(Some(std::time::Duration::from_secs(1)));
        }
        self.gateway.end_all();
        for task in self.tasks {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(2), task).await;
        }
    }
}
