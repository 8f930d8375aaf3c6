//! MQTT 3.1.1 and 5.0 behind one small interface, so the connection driver is written once.
//! Each session's rumqttc event loop runs in its own task and reports only what the driver
//! needs: connected, a publish written (its packet id), a publish finished, or an error.

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use rumqttc::{Outgoing, Transport};
use tokio::sync::mpsc;

use super::{Broker, Settings};

/// What a session's event loop reports.
pub(crate) enum Ev {
    Connected,
    /// A PUBLISH was written, with its packet id (0 for QoS 0).
    Sent(u16),
    /// A QoS 1 or 2 publish finished (PUBACK / PUBCOMP), or the broker refused it.
    Done(u16, Result<(), String>),
    Error(String),
}

/// Request channel capacity of a session (the driver bounds what is outstanding).
const REQUEST_CAPACITY: usize = 1024;

pub(crate) trait Proto: Send + 'static {
    type Client: Send + Sync;
    /// Starts a session: a client and the event reports of its event loop.
    fn connect(b: &Broker, s: &Settings) -> Result<(Self::Client, mpsc::Receiver<Ev>), String>;
    /// Queues one publish.
    fn publish(
        c: &Self::Client,
        topic: String,
        qos: u8,
        payload: Bytes,
    ) -> impl Future<Output = Result<(), String>> + Send;
}

fn client_id() -> String {
    let mut b = [0u8; 6];
    let _ = getrandom::getrandom(&mut b);
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("twinisle-notify-{hex}")
}

fn tls_transport() -> Result<Transport, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Transport::tls_with_config(
        rumqttc::TlsConfiguration::Rustls(Arc::new(config)),
    ))
}

/// Forwards one report; true when the loop should stop (an error, or the driver is gone).
async fn forward(tx: &mpsc::Sender<Ev>, ev: Ev) -> bool {
    let last = matches!(ev, Ev::Error(_));
    tx.send(ev).await.is_err() || last
}

/// MQTT 3.1.1.
pub(crate) struct V311;

impl Proto for V311 {
    type Client = rumqttc::AsyncClient;

    fn connect(b: &Broker, s: &Settings) -> Result<(Self::Client, mpsc::Receiver<Ev>), String> {
        let mut o = rumqttc::MqttOptions::new(client_id(), b.host.clone(), b.port);
        o.set_keep_alive(s.keep_alive).set_clean_session(true);
        if let Some((u, p)) = &b.user {
            o.set_credentials(u.clone(), p.clone());
        }
        if b.tls {
            o.set_transport(tls_transport()?);
        }
        let (client, mut el) = rumqttc::AsyncClient::new(o, REQUEST_CAPACITY);
        el.network_options
            .set_connection_timeout(s.connect_timeout.as_secs().max(1));
        let (tx, events) = mpsc::channel(REQUEST_CAPACITY);
        tokio::spawn(async move {
            loop {
                let ev = match el.poll().await {
                    Ok(e) => match v311_event(e) {
                        Some(ev) => ev,
                        None => continue,
                    },
                    Err(e) => Ev::Error(e.to_string()),
                };
                if forward(&tx, ev).await {
                    return;
                }
            }
        });
        Ok((client, events))
    }

    async fn publish(
        c: &Self::Client,
        topic: String,
        qos: u8,
        payload: Bytes,
    ) -> Result<(), String> {
        let qos = match qos {
            2 => rumqttc::QoS::ExactlyOnce,
            1 => rumqttc::QoS::AtLeastOnce,
            _ => rumqttc::QoS::AtMostOnce,
        };
        c.publish_bytes(topic, qos, false, payload)
            .await
            .map_err(|e| e.to_string())
    }
}

/// MQTT 5.0 (the default of Table 7.2-1).
pub(crate) struct V5;

impl Proto for V5 {
    type Client = rumqttc::v5::AsyncClient;

    fn connect(b: &Broker, s: &Settings) -> Result<(Self::Client, mpsc::Receiver<Ev>), String> {
        let mut o = rumqttc::v5::MqttOptions::new(client_id(), b.host.clone(), b.port);
        o.set_keep_alive(s.keep_alive).set_clean_start(true);
        o.set_connection_timeout(s.connect_timeout.as_secs().max(1));
        if let Some((u, p)) = &b.user {
            o.set_credentials(u.clone(), p.clone());
        }
        if b.tls {
            o.set_transport(tls_transport()?);
        }
        let (client, mut el) = rumqttc::v5::AsyncClient::new(o, REQUEST_CAPACITY);
        let (tx, events) = mpsc::channel(REQUEST_CAPACITY);
        tokio::spawn(async move {
            loop {
                let ev = match el.poll().await {
                    Ok(e) => match v5_event(e) {
                        Some(ev) => ev,
                        None => continue,
                    },
                    Err(e) => Ev::Error(e.to_string()),
                };
                if forward(&tx, ev).await {
                    return;
                }
            }
        });
        Ok((client, events))
    }

    async fn publish(
        c: &Self::Client,
        topic: String,
        qos: u8,
        payload: Bytes,
    ) -> Result<(), String> {
        use rumqttc::v5::mqttbytes::QoS;
        let qos = match qos {
            2 => QoS::ExactlyOnce,
            1 => QoS::AtLeastOnce,
            _ => QoS::AtMostOnce,
        };
        c.publish_bytes(topic, qos, false, payload)
            .await
            .map_err(|e| e.to_string())
    }
}

fn v311_event(e: rumqttc::Event) -> Option<Ev> {
    use rumqttc::{Event, Packet};
    match e {
        Event::Incoming(Packet::ConnAck(_)) => Some(Ev::Connected),
        Event::Outgoing(Outgoing::Publish(pkid)) => Some(Ev::Sent(pkid)),
        Event::Incoming(Packet::PubAck(a)) => Some(Ev::Done(a.pkid, Ok(()))),
        Event::Incoming(Packet::PubComp(c)) => Some(Ev::Done(c.pkid, Ok(()))),
        _ => None,
    }
}

fn v5_event(e: rumqttc::v5::Event) -> Option<Ev> {
    use rumqttc::v5::Event;
    use rumqttc::v5::mqttbytes::v5::{Packet, PubAckReason, PubCompReason};
    match e {
        Event::Incoming(Packet::ConnAck(_)) => Some(Ev::Connected),
        Event::Outgoing(Outgoing::Publish(pkid)) => Some(Ev::Sent(pkid)),
        Event::Incoming(Packet::PubAck(a)) => {
            let ok = matches!(
                a.reason,
                PubAckReason::Success | PubAckReason::NoMatchingSubscribers
            );
            let outcome = if ok {
                Ok(())
            } else {
                Err(format!("PUBACK {:?}", a.reason))
            };
            Some(Ev::Done(a.pkid, outcome))
        }
        Event::Incoming(Packet::PubComp(c)) => {
            let ok = matches!(c.reason, PubCompReason::Success);
            let outcome = if ok {
                Ok(())
            } else {
                Err(format!("PUBCOMP {:?}", c.reason))
            };
            Some(Ev::Done(c.pkid, outcome))
        }
        _ => None,
    }
}
