//! The operator's live explorer: a read-only connection as the `operator` user, feeding
//! the pure [`Explorer`]. Views are coalesced, so a busy ledger cannot flood the window.
//! The desktop app and the web gateway both host it.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::Utc;
use rumqttc::{AsyncClient, QoS, SubscribeFilter};
use tokio::sync::{oneshot, watch};

use super::{broker_address, link, runtime};
use crate::explorer::{Explorer, Input, OperatorView};
use crate::protocol::topics;

/// The operator's user name, as the ledger's access rules define it.
const OPERATOR_USER: &str = "operator";
const VIEW_INTERVAL_MS_MIN: u64 = 50;
/// Room for the broker's channel status of a thousand clients ([`crate::protocol::BrokerStatus::BYTES_MAX`]).
const PACKET_BYTES_MAX: usize = 1024 * 1024;

/// Signed in as the operator. Dropping it disconnects.
pub struct Operator {
    explorer: Arc<Mutex<Explorer>>,
    views: watch::Sender<OperatorView>,
    _stop: oneshot::Sender<()>,
}

impl Operator {
    /// Starts connecting to `broker` (an address as people type it); `show` receives
    /// every new view, from a task of its own.
    pub fn start(
        broker: &str,
        password: &str,
        show: impl Fn(OperatorView) + Send + 'static,
    ) -> Result<Operator, String> {
        let address = broker_address(broker).map_err(|error| error.to_string())?;
        Operator::connect(&address.host, address.port, address.tls, password, show)
    }

    /// As [`Operator::start`], for a host that already knows the broker's address.
    pub fn connect(
        host: &str,
        port: u16,
        tls: bool,
        password: &str,
        show: impl Fn(OperatorView) + Send + 'static,
    ) -> Result<Operator, String> {
        if password.is_empty() {
            return Err("Enter the operator password (the demo's is `operator`).".into());
        }
        let tls = tls.then(|| link::tls_config(None)).transpose().map_err(|error| error.to_string())?;
        let client_id = format!("operator-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let mut options = bank_mqtt::client::options(client_id, host, port, PACKET_BYTES_MAX, tls);
        options
            .set_credentials(OPERATOR_USER, password)
            .set_clean_session(true)
            .set_keep_alive(Duration::from_secs(20));
        let _runtime = runtime().enter();
        let (client, eventloop) = link::client(options);

        let offset = *chrono::Local::now().offset();
        let explorer = Arc::new(Mutex::new(Explorer::new(offset)));
        let (views, changes) = watch::channel(explorer.lock().unwrap_or_else(PoisonError::into_inner).view());
        let (stop, stopped) = oneshot::channel();
        let report = {
            let (explorer, views) = (explorer.clone(), views.clone());
            move |event| on_link_event(&explorer, &views, &client, event)
        };
        runtime().spawn(link::run(eventloop, stopped, report, format!("{host}:{port}"), None));
        runtime().spawn(deliver(changes, show));
        Ok(Operator { explorer, views, _stop: stop })
    }

    pub fn view(&self) -> OperatorView {
        self.explorer.lock().unwrap_or_else(PoisonError::into_inner).view()
    }

    /// Sorts the Channels view by the column with this key (a second time: the other way).
    pub fn sort_channels(&self, column: &str) {
        self.update(Input::SortChannels { column: column.into() });
    }

    /// Shows the channels whose client id or user contains `text`.
    pub fn filter_channels(&self, text: &str) {
        self.update(Input::FilterChannels { text: text.into() });
    }

    fn update(&self, input: Input) {
        apply(&self.explorer, &self.views, input);
    }
}

fn on_link_event(
    explorer: &Mutex<Explorer>,
    views: &watch::Sender<OperatorView>,
    client: &AsyncClient,
    event: link::LinkEvent,
) {
    let input = match event {
        link::LinkEvent::Connected => {
            let filters = [
                topics::BALANCE_UPDATE_ALL,
                topics::TRANSFER_FEED,
                topics::PRESENCE_ALL,
                topics::LEDGER_STATUS,
                topics::BROKER_STATUS,
            ];
            // A subscription that cannot be queued now is made again on the next CONNACK.
            let _ =
                client.try_subscribe_many(filters.map(|filter| SubscribeFilter::new(filter.into(), QoS::AtLeastOnce)));
            Input::Connected
        }
        link::LinkEvent::Message { topic, payload, retained } => {
            Input::Message { topic, payload, retained, received_at: Utc::now() }
        }
        link::LinkEvent::Lost { reason, retry_in } => Input::Lost { reason, retry_in },
        link::LinkEvent::LoginRefused { reason } => Input::LoginRefused { reason },
    };
    apply(explorer, views, input);
}

fn apply(explorer: &Mutex<Explorer>, views: &watch::Sender<OperatorView>, input: Input) {
    let view = {
        let mut explorer = explorer.lock().unwrap_or_else(PoisonError::into_inner);
        explorer.update(input);
        explorer.view()
    };
    views.send_if_modified(|current| std::mem::replace(current, view.clone()) != view);
}

/// Shows each new view, at most one per [`VIEW_INTERVAL_MS_MIN`], until the operator is gone.
async fn deliver(mut changes: watch::Receiver<OperatorView>, show: impl Fn(OperatorView)) {
    while changes.changed().await.is_ok() {
        let view = changes.borrow_and_update().clone();
        show(view);
        tokio::time::sleep(Duration::from_millis(VIEW_INTERVAL_MS_MIN)).await;
    }
}
