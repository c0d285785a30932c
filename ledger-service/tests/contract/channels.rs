//! The broker's channel status on `bank/broker/status`: for the operator's eyes only,
//! written by the ledger alone, and honest about an external broker.

use bank_protocol::{BrokerStatus, Timestamp, topics};
use rumqttc::{QoS, SubscribeReasonCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::harness::{Broker, Ledger};

/// A forgery anyone could try: "nothing to see, this is an external broker".
fn forged() -> Vec<u8> {
    BrokerStatus::External { at: Timestamp::parse("2000-01-01T00:00:00.000Z").unwrap() }.json()
}

pub async fn the_broker_status_is_for_the_operator_only(broker: Broker) {
    let ledger = Ledger::start(broker).await;
    let payer = ledger.connect("00001").await;
    for filter in [topics::BROKER_STATUS, "bank/broker/+", "bank/broker/#"] {
        assert_eq!(payer.try_subscribe(filter, QoS::AtLeastOnce).await, [SubscribeReasonCode::Failure], "{filter}");
    }
    payer.client.publish(topics::BROKER_STATUS, QoS::AtLeastOnce, true, forged()).await.unwrap();
    let operator = ledger.connect_as("operator", "operator").await;
    operator.client.publish(topics::BROKER_STATUS, QoS::AtLeastOnce, true, forged()).await.unwrap();
    // A request of the payer's own proves the broker has handled both forgeries before the operator looks.
    payer.subscribe("bank/transfer/result/00001").await;
    let request = json!({"id": Uuid::now_v7(), "to": "00002", "amount": "1.00", "memo": null});
    payer.request("00001", request.to_string()).await;

    operator.subscribe(topics::BROKER_STATUS).await;
    let retained = operator.wait_for(topics::BROKER_STATUS, |_| true).await.expect("a retained broker status");
    assert_ne!(retained["at"], "2000-01-01T00:00:00.000Z", "a forged status was kept: {retained}");
    match broker {
        Broker::Mosquitto => assert_eq!(retained["broker"], "external", "{retained}"),
        Broker::Embedded => {
            // Live snapshots follow as the counts change; wait for the one with the payer's request in it.
            // Its forgery is not counted: nothing on the status topic is, or each snapshot would change the next.
            let counted = |status: &Value| payer_row(status).is_some_and(|row| row["messages_received"] == 1);
            let status = match counted(&retained) {
                true => retained,
                false => operator
                    .wait_for(topics::BROKER_STATUS, counted)
                    .await
                    .unwrap_or_else(|| panic!("the payer's request was not counted; log:\n{}", ledger.log())),
            };
            let row = payer_row(&status).unwrap();
            assert_eq!((row["keepalive_s"].as_u64(), row["protocol_level"].as_u64()), (Some(5), Some(4)), "{row}");
            assert!(row["address"].as_str().is_some_and(|address| address.starts_with("127.0.0.1:")), "{row}");
            assert_eq!(row["disconnected_at"], Value::Null);
            assert_eq!(row["subscriptions"], json!(["bank/transfer/result/00001"]), "refused filters are not listed");
            let listener = &status["listeners"][0];
            assert_eq!(
                (listener["protocol"].as_str(), listener["port"].as_u64()),
                (Some("mqtt_tcp"), Some(ledger.port.into()))
            );
            assert!(listener["connections"].as_u64().is_some_and(|connections| connections >= 3), "{listener}");
        }
    }
}

/// The payer's row: the only client signed in as 00001.
fn payer_row(status: &Value) -> Option<&Value> {
    status["clients"].as_array()?.iter().find(|client| client["username"] == "00001")
}
