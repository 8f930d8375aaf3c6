//! The `MqttTransport` conformance suite, run against both implementations: the embedded
//! broker, and the external client against the real Mosquitto on 127.0.0.1:1883 (skipped with a
//! note when nothing listens there). Every run uses its own API keys and topic prefix, so
//! parallel runs sharing the broker never see each other.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::client::{TestClient, mosquitto_up};
use common::unique;
use iot::codec::Codec;
use iot::config::{EmbeddedBrokerConfig, ExternalBrokerConfig};
use iot::deadletter::DeadLetters;
use iot::ingest::{BoxFuture, Inbound, InboundSink, Rejection, Submitted, UplinkKind};
use iot::metrics::Metrics;
use iot::mqtt::MqttTransport;
use iot::mqtt::broker::{BrokerSetup, EmbeddedBroker};
use iot::mqtt::external::ExternalClient;
use tokio::sync::mpsc;

/// A sink that records what it is given.
struct Recorder(mpsc::UnboundedSender<Inbound>);

impl InboundSink for Recorder {
    fn submit(&self, msg: Inbound) -> BoxFuture<'_, Result<Submitted, Rejection>> {
        let _ = self.0.send(msg);
        Box::pin(async { Ok(Submitted::Done) })
    }
}

fn recorder() -> (Arc<dyn InboundSink>, mpsc::UnboundedReceiver<Inbound>) {
    let (tx, rx) = mpsc::unbounded_channel();
    (Arc::new(Recorder(tx)), rx)
}

/// Publishes until the sink sees a message for `key` (the external client may still be
/// subscribing when the first one goes out).
async fn uplink_until_seen(
    c: &TestClient,
    topic: &str,
    payload: &[u8],
    key: &str,
    rx: &mut mpsc::UnboundedReceiver<Inbound>,
) -> Inbound {
    for _ in 0..50 {
        c.publish(topic, payload, true).await;
        let deadline = tokio::time::Instant::now() + Duration::from_millis(200);
        while let Ok(Some(m)) = tokio::time::timeout_at(deadline, rx.recv()).await {
            if m.apikey == key {
                return m;
            }
        }
    }
    panic!("no uplink for {topic}");
}

async fn suite(t: Arc<dyn MqttTransport>, rx: &mut mpsc::UnboundedReceiver<Inbound>, port: u16) {
    let key = unique("k");
    let root = t.root().to_string();
    let device = TestClient::connect(&unique("dev"), port, None).await;
    let m = uplink_until_seen(
        &device,
        &format!("{root}/json/{key}/d1/attrs"),
        br#"{"l":3.2}"#,
        &key,
        rx,
    )
    .await;
    assert_eq!(
        (m.device_id.as_str(), m.codec, &m.kind),
        ("d1", Some(Codec::Json), &UplinkKind::Attrs)
    );
    assert_eq!(&m.payload[..], br#"{"l":3.2}"#);
    assert!(m.wants_ack);
    while rx.try_recv().is_ok() {}
    device
        .publish(&format!("{root}/ul/{key}/d1/attrs/t"), b"15", false)
        .await;
    device
        .publish(
            &format!("{root}/{key}/d1/cmdexe"),
            br#"{"ping":"ok"}"#,
            true,
        )
        .await;
    let mut kinds = Vec::new();
    while kinds.len() < 2 {
        let m = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .ok()
            .flatten()
            .expect("uplinks");
        // Late copies of the repeated first uplink are not what is looked for here.
        if m.apikey == key && m.kind != UplinkKind::Attrs {
            kinds.push((m.codec, m.kind, m.wants_ack));
        }
    }
    assert!(
        kinds.contains(&(Some(Codec::Ul), UplinkKind::Attr("t".into()), false)),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&(None, UplinkKind::CmdExe, true)),
        "{kinds:?}"
    );
    let mut sub = TestClient::connect(&unique("sub"), port, None).await;
    let cmd_topic = format!("{root}/{key}/d1/cmd");
    sub.subscribe(&cmd_topic).await;
    assert_ne!(t.has_subscriber(&cmd_topic), Some(false));
    let reached = t
        .publish(
            cmd_topic.clone(),
            bytes::Bytes::from_static(br#"{"ping":{}}"#),
        )
        .await
        .unwrap();
    assert!(reached.is_none_or(|n| n == 1), "{reached:?}");
    let (topic, payload) = sub.next(5).await.expect("the command arrives");
    assert_eq!(
        (topic.as_str(), payload.as_slice()),
        (cmd_topic.as_str(), &br#"{"ping":{}}"#[..])
    );
    device.client.disconnect().await.ok();
    sub.client.disconnect().await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_broker_conforms() {
    let (sink, mut rx) = recorder();
    let setup = BrokerSetup {
        listen: Some("127.0.0.1:0".parse().unwrap()),
        config: EmbeddedBrokerConfig::default(),
        sink,
        metrics: Arc::new(Metrics::default()),
        dead: Arc::new(DeadLetters::new(10)),
        tokens: None,
    };
    let broker = Arc::new(EmbeddedBroker::start(setup).await.unwrap());
    let port = broker.local_addrs()[0].port();
    assert_eq!(broker.has_subscriber("/nobody/listens/cmd"), Some(false));
    suite(broker.clone(), &mut rx, port).await;
    broker.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn external_client_conforms_against_mosquitto() {
    if !mosquitto_up().await {
        eprintln!("SKIPPED: no MQTT broker on 127.0.0.1:1883 (install and start mosquitto)");
        return;
    }
    let (sink, mut rx) = recorder();
    let cfg = ExternalBrokerConfig {
        topic_prefix: unique("tw-test-"),
        ..ExternalBrokerConfig::default()
    };
    let client = Arc::new(ExternalClient::start(&cfg, sink).unwrap());
    suite(client.clone(), &mut rx, 1883).await;
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_subscriptions_split_the_traffic() {
    if !mosquitto_up().await {
        eprintln!("SKIPPED: no MQTT broker on 127.0.0.1:1883");
        return;
    }
    let prefix = unique("tw-share-");
    let cfg = |id: &str| ExternalBrokerConfig {
        topic_prefix: prefix.clone(),
        shared_group: "twinisle".into(),
        client_id: unique(id),
        ..ExternalBrokerConfig::default()
    };
    let (sink_a, mut rx_a) = recorder();
    let (sink_b, mut rx_b) = recorder();
    let a = ExternalClient::start(&cfg("a"), sink_a).unwrap();
    let b = ExternalClient::start(&cfg("b"), sink_b).unwrap();
    let device = TestClient::connect(&unique("dev"), 1883, None).await;
    // Both members need to be subscribed before counting: publish until each saw one.
    let warm = format!("{prefix}/json/k/warm/attrs");
    let (mut seen_a, mut seen_b) = (false, false);
    for _ in 0..50 {
        device.publish(&warm, b"{}", true).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        seen_a |= rx_a.try_recv().is_ok();
        seen_b |= rx_b.try_recv().is_ok();
        if seen_a && seen_b {
            break;
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    while rx_a.try_recv().is_ok() {}
    while rx_b.try_recv().is_ok() {}
    for i in 0..20 {
        device
            .publish(&format!("{prefix}/json/k/d{i}/attrs"), b"{}", true)
            .await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (mut na, mut nb) = (0, 0);
    while rx_a.try_recv().is_ok() {
        na += 1;
    }
    while rx_b.try_recv().is_ok() {
        nb += 1;
    }
    assert_eq!(na + nb, 20, "each message exactly once: {na} + {nb}");
    assert!(na > 0 && nb > 0, "both members got some: {na} + {nb}");
    a.shutdown().await;
    b.shutdown().await;
}

fn openssl(dir: &std::path::Path, args: &[&str]) -> bool {
    std::process::Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A test CA and a certificate for 127.0.0.1 signed by it (`openssl` CLI), or None without it.
/// Returns (CA, certificate, key) paths.
fn test_pki(dir: &std::path::Path) -> Option<[std::path::PathBuf; 3]> {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    std::fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1\n").ok()?;
    let ok = openssl(
        dir,
        &[
            &["req", "-x509"][..],
            &ec,
            &[
                "-days",
                "2",
                "-subj",
                "/CN=test-ca",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
            ],
        ]
        .concat(),
    ) && openssl(
        dir,
        &[
            &["req"][..],
            &ec,
            &[
                "-subj",
                "/CN=127.0.0.1",
                "-keyout",
                "key.pem",
                "-out",
                "leaf.csr",
            ],
        ]
        .concat(),
    ) && openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "san.ext",
            "-out",
            "cert.pem",
        ],
    );
    ok.then(|| ["ca.pem", "cert.pem", "key.pem"].map(|f| dir.join(f)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_listener_serves_the_external_client() {
    let dir = tempfile::tempdir().unwrap();
    let Some([ca, cert, key]) = test_pki(dir.path()) else {
        eprintln!("SKIPPED: openssl CLI not available to make a test certificate");
        return;
    };
    let (sink, mut rx) = recorder();
    let tls = iot::config::TlsListenerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        cert_path: cert,
        key_path: key,
    };
    let config = EmbeddedBrokerConfig {
        tls: Some(tls),
        ..EmbeddedBrokerConfig::default()
    };
    let setup = BrokerSetup {
        listen: None,
        config,
        sink,
        metrics: Arc::new(Metrics::default()),
        dead: Arc::new(DeadLetters::new(10)),
        tokens: None,
    };
    let broker = EmbeddedBroker::start(setup).await.unwrap();
    let port = broker.local_addrs()[0].port();
    let (sink2, mut rx2) = recorder();
    // The external client over TLS against our own TLS listener: both TLS sides at once.
    let cfg = ExternalBrokerConfig {
        port,
        tls: true,
        ca_path: Some(ca),
        ..ExternalBrokerConfig::default()
    };
    let client = ExternalClient::start(&cfg, sink2).unwrap();
    // Publish until the broker's sink has it and the client's own subscription (made after
    // its TLS connect) got it forwarded back.
    let (mut at_broker, mut forwarded) = (None, false);
    for _ in 0..50 {
        let payload = bytes::Bytes::from_static(b"{\"a\":1}");
        let _ = client.publish("/json/tlskey/d/attrs".into(), payload).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        if let Ok(m) = rx.try_recv() {
            at_broker = Some(m);
        }
        forwarded |= rx2.try_recv().is_ok();
        if at_broker.is_some() && forwarded {
            break;
        }
    }
    let m = at_broker.expect("a publish over TLS reached the broker's sink");
    assert_eq!((m.apikey.as_str(), m.device_id.as_str()), ("tlskey", "d"));
    assert!(
        forwarded,
        "the broker forwarded it to the subscribed TLS client"
    );
    client.shutdown().await;
    broker.shutdown().await;
}
