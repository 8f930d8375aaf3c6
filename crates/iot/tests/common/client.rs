//! A small MQTT test client on rumqttc: publishes, and collects what it receives.
#![allow(dead_code)]

use std::time::Duration;

use rumqttc::{AsyncClient, Event, Incoming, MqttOptions, QoS};
use tokio::sync::mpsc;

/// A connected client and the publishes it received.
pub struct TestClient {
    pub client: AsyncClient,
    pub received: mpsc::UnboundedReceiver<(String, Vec<u8>)>,
}

impl TestClient {
    /// Connects to 127.0.0.1:`port`; optional username/password.
    pub async fn connect(id: &str, port: u16, creds: Option<(&str, &str)>) -> TestClient {
        let mut o = MqttOptions::new(id, "127.0.0.1", port);
        o.set_keep_alive(Duration::from_secs(10));
        if let Some((u, p)) = creds {
            o.set_credentials(u, p);
        }
        let (client, mut eventloop) = AsyncClient::new(o, 100);
        let (tx, received) = mpsc::unbounded_channel();
        let (ready_tx, mut ready) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Incoming::ConnAck(_))) => {
                        let _ = ready_tx.send(());
                    }
                    Ok(Event::Incoming(Incoming::Publish(p))) => {
                        let _ = tx.send((p.topic.clone(), p.payload.to_vec()));
                    }
                    Ok(_) => {}
                    Err(_) => return,
                }
            }
        });
        let _ = tokio::time::timeout(Duration::from_secs(5), ready.recv()).await;
        TestClient { client, received }
    }

    /// Subscribes and gives the broker a moment to register it.
    pub async fn subscribe(&self, filter: &str) {
        self.client
            .subscribe(filter, QoS::AtLeastOnce)
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    pub async fn publish(&self, topic: &str, payload: &[u8], qos1: bool) {
        let qos = if qos1 {
            QoS::AtLeastOnce
        } else {
            QoS::AtMostOnce
        };
        self.client
            .publish(topic, qos, false, payload.to_vec())
            .await
            .unwrap();
    }

    /// The next publish received within `secs`.
    pub async fn next(&mut self, secs: u64) -> Option<(String, Vec<u8>)> {
        tokio::time::timeout(Duration::from_secs(secs), self.received.recv())
            .await
            .ok()
            .flatten()
    }
}

/// Whether Mosquitto (or any broker) listens on 127.0.0.1:1883.
pub async fn mosquitto_up() -> bool {
    tokio::net::TcpStream::connect("127.0.0.1:1883")
        .await
        .is_ok()
}
