//! The embedded MQTT broker: rmqtt running on this process's tokio runtime, with
//! our own authentication and ACL ([`crate::access`]) and in-memory retained messages.
//!
//! The ledger does not talk to it directly: it connects through rumqttc like any
//! device, so embedded and external brokers differ only by URL.

pub mod channels;
mod hooks;
mod pace;

pub use channels::Recorder;
pub use pace::Pace;

use std::net::SocketAddr;
use std::num::NonZeroU16;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rmqtt::context::ServerContext;
use rmqtt::hook::Type;
use rmqtt::net::Builder;
use rmqtt::server::MqttServer;
use rmqtt::types::{Message, Reason};

use bank_protocol::ListenerProtocol;

use crate::login::Logins;

/// Offline devices keep their session and queued messages this long (rmqtt's default is 2 h / 5 min).
const SESSION_EXPIRY: Duration = Duration::from_secs(7 * 24 * 60 * 60);
const MESSAGE_EXPIRY: Duration = SESSION_EXPIRY;
/// Unacknowledged QoS 1 messages per client: the ledger's group-commit window.
const INFLIGHT_MAX: u16 = 256;
const PACKET_BYTES_MAX: u32 = 1024 * 1024;
const QUEUED_MESSAGES_MAX: usize = 10_000;

pub struct TlsListener {
    pub listen: SocketAddr,
    pub cert: PathBuf,
    pub key: PathBuf,
}

pub struct BrokerSettings {
    pub listen: SocketAddr,
    pub tls: Option<TlsListener>,
    pub logins: Logins,
    pub pace: Option<Pace>,
}

pub struct EmbeddedBroker {
    context: ServerContext,
    channels: Arc<Recorder>,
    task: tokio::task::JoinHandle<()>,
    closing: Arc<AtomicBool>,
}

impl EmbeddedBroker {
    /// Binds the listeners and starts serving; must run inside the tokio runtime.
    pub async fn start(settings: BrokerSettings) -> Result<EmbeddedBroker, String> {
        // The load-based busy check refuses CONNECTs on a busy laptop (say, during a build).
        let retainer = "storage.type = \"ram\"\nretained_message_ttl = \"0s\"\n";
        let context = ServerContext::new()
            .busy_check_enable(false)
            .plugins_config_map_add("rmqtt-retainer", retainer)
            .build()
            .await;
        rmqtt_retainer::register(&context, true, false)
            .await
            .map_err(|error| format!("cannot start the retained-message store: {error}"))?;
        let closing = Arc::new(AtomicBool::new(false));
        let channels = Arc::new(Recorder::default());
        let access = hooks::AccessHook::new(settings.logins, settings.pace);
        register_hooks(&context, access, closing.clone(), channels.clone()).await;

        let tcp = listener("mqtt", settings.listen);
        channels.add_listener(described(&tcp, 1, ListenerProtocol::MqttTcp));
        let tcp = tcp.bind().and_then(|builder| builder.tcp()).map_err(|error| {
            format!(
                "cannot listen for MQTT on {}: {error}. If another broker (such as the mosquitto \
                     service) holds the port, stop it, or pick another port with --mqtt-listen",
                settings.listen
            )
        })?;
        let mut server = MqttServer::new(context.clone()).listener_by_id(tcp, 1);
        if let Some(tls) = &settings.tls {
            let listener = listener("mqtts", tls.listen);
            channels.add_listener(described(&listener, 2, ListenerProtocol::MqttTls));
            let listener = listener
                .tls_cert(Some(tls.cert.to_string_lossy()))
                .tls_key(Some(tls.key.to_string_lossy()))
                .bind()
                .and_then(|builder| builder.tls())
                .map_err(|error| {
                    format!(
                        "cannot listen for MQTT over TLS on {} with certificate {} and key {}: {error}",
                        tls.listen,
                        tls.cert.display(),
                        tls.key.display()
                    )
                })?;
            server = server.listener_by_id(listener, 2);
        }
        // Not `MqttServer::start()`: that exits the process on error.
        let server = server.build();
        let stopped = channels.clone();
        let task = tokio::spawn(async move {
            if let Err(error) = server.run().await {
                tracing::error!("embedded MQTT broker stopped: {error:?}");
            }
            stopped.listeners_stopped();
        });
        Ok(EmbeddedBroker { context, channels, task, closing })
    }

    /// What the broker records about its clients, for [`channels::publisher`].
    pub fn channels(&self) -> Arc<Recorder> {
        self.channels.clone()
    }

    /// Closes the listeners and every session. rmqtt has no shutdown of its own.
    pub async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
        // Closing sessions looks like a network drop to rmqtt: deliver nothing more, wills included.
        self.closing.store(true, Ordering::SeqCst);
        let sessions = self.context.extends.shared().await;
        for session in sessions.iter() {
            if let Some(tx) = session.tx() {
                let _ = tx.unbounded_send(Message::Closed(Reason::from_static("broker shutdown")));
            }
        }
    }
}

fn listener(name: &str, address: SocketAddr) -> Builder {
    Builder::new()
        .name(name)
        .laddr(address)
        .reuseaddr(Some(true))
        // Without it, Nagle's algorithm and delayed ACKs add ~40 ms to every small publish.
        .nodelay(true)
        .allow_anonymous(false)
        .max_inflight(NonZeroU16::new(INFLIGHT_MAX).expect("non-zero"))
        .max_packet_size(PACKET_BYTES_MAX)
        .max_mqueue_len(QUEUED_MESSAGES_MAX)
        .session_expiry_interval(SESSION_EXPIRY)
        .max_session_expiry_interval(SESSION_EXPIRY)
        .message_expiry_interval(MESSAGE_EXPIRY)
}

/// A listener as the channel status lists it; `id` is the one given to `listener_by_id`.
fn described(builder: &Builder, id: u16, protocol: ListenerProtocol) -> channels::Listener {
    channels::Listener {
        id,
        name: builder.name.clone(),
        protocol,
        address: builder.laddr,
        connections_max: u64::try_from(builder.max_connections).unwrap_or(u64::MAX),
    }
}

async fn register_hooks(
    context: &ServerContext,
    access: hooks::AccessHook,
    closing: Arc<AtomicBool>,
    channels: Arc<Recorder>,
) {
    let register = context.extends.hook_mgr().register();
    let access = Arc::new(access);
    let hooks = [
        Type::ClientAuthenticate,
        Type::SessionCreated,
        Type::SessionTerminated,
        Type::ClientSubscribeCheckAcl,
        Type::MessagePublishCheckAcl,
    ];
    for hook in hooks {
        register.add_priority(hook, 1000, Box::new(hooks::Shared(access.clone()))).await;
    }
    register.add(Type::MessageExpiryCheck, Box::new(hooks::ClosingHook(closing))).await;
    for hook in channels::hook::TYPES {
        register.add(hook, Box::new(channels::hook::ChannelsHook(channels.clone()))).await;
    }
    register.start().await;
}
