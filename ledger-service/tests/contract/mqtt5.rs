//! The same contract over MQTT 5: devices may speak either protocol level.

use std::time::Duration;

use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{Packet, PubAckReason, SubscribeReasonCode};
use rumqttc::v5::{AsyncClient, Event, MqttOptions};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::harness::{Broker, Ledger, WAIT};

pub async fn transfer_and_denials(broker: Broker) {
    let ledger = Ledger::start(broker).await;
    let mut options = MqttOptions::new(format!("v5-{}", Uuid::new_v4().simple()), "127.0.0.1", ledger.port);
    options.set_credentials("00003", "demo").set_keep_alive(Duration::from_secs(5));
    let (client, mut eventloop) = AsyncClient::new(options, 20);
    let mut next =
        async move || tokio::time::timeout(WAIT, eventloop.poll()).await.expect("an event in time").expect("connected");

    client.subscribe("bank/transfer/result/00003", QoS::AtLeastOnce).await.unwrap();
    client.subscribe("bank/balanceUpdate/00001", QoS::AtLeastOnce).await.unwrap();
    let mut codes = Vec::new();
    while codes.len() < 2 {
        if let Event::Incoming(Packet::SubAck(ack)) = next().await {
            codes.extend(ack.return_codes);
        }
    }
    assert_eq!(codes[0], SubscribeReasonCode::Success(QoS::AtLeastOnce));
    assert!(!matches!(codes[1], SubscribeReasonCode::Success(_)), "00003 read 00001's balance: {:?}", codes[1]);

    let denied_id = Uuid::now_v7();
    let forged = json!({"id": denied_id, "to": "00003", "amount": "1"}).to_string();
    client.publish("bank/transfer/request/00001", QoS::AtLeastOnce, false, forged).await.unwrap();
    let id = Uuid::now_v7();
    let request = json!({"id": id, "to": "00004", "amount": "12.50", "memo": "over MQTT 5"}).to_string();
    client.publish("bank/transfer/request/00003", QoS::AtLeastOnce, false, request).await.unwrap();

    let mut puback_reasons = Vec::new();
    loop {
        match next().await {
            Event::Incoming(Packet::PubAck(ack)) => puback_reasons.push(ack.reason),
            Event::Incoming(Packet::Publish(publish)) => {
                let result: Value = serde_json::from_slice(&publish.payload).unwrap();
                assert_ne!(result["id"], denied_id.to_string(), "the forged request reached the ledger");
                assert_eq!(result, json!({"id": id, "status": "accepted", "balance": "2487.50", "version": 1}));
                break;
            }
            _ => {}
        }
    }
    assert_eq!(
        puback_reasons,
        [PubAckReason::NotAuthorized, PubAckReason::Success],
        "MQTT 5 says why a publish was dropped"
    );
}
