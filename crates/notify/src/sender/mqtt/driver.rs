//! One broker connection: publishes in the order asked, and resolves each once the broker has
//! it (QoS 0: written; QoS 1: PUBACK; QoS 2: PUBCOMP). rumqttc reports `Outgoing::Publish(pkid)`
//! in request order, which maps each packet id back to its waiter. On any connection error every
//! waiter fails (delivery retries them: at least once) and a fresh session is started; the old
//! session's queue is dropped rather than resent, so nothing is published behind our back.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};

use super::proto::{Ev, Proto, V5, V311};
use super::{Broker, Settings};
use crate::sender::SendError;
use crate::subscription::MqttVersion;

/// Longest pause between reconnection attempts.
const MAX_RECONNECT_PAUSE: Duration = Duration::from_secs(5);

/// A publish request and who waits for its outcome.
pub(crate) struct Publish {
    pub topic: String,
    pub qos: u8,
    pub payload: Bytes,
    pub done: oneshot::Sender<Result<(), SendError>>,
}

type Waiter = oneshot::Sender<Result<(), SendError>>;

/// Runs the connection until every sender is gone.
pub(crate) async fn run(broker: Broker, s: Settings, rx: mpsc::Receiver<Publish>) {
    match broker.version {
        MqttVersion::V311 => drive::<V311>(broker, s, rx).await,
        MqttVersion::V5 => drive::<V5>(broker, s, rx).await,
    }
}

async fn drive<P: Proto>(broker: Broker, s: Settings, mut rx: mpsc::Receiver<Publish>) {
    let mut pause = Duration::from_millis(100);
    loop {
        let (client, mut events) = match P::connect(&broker, &s) {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(host = %broker.host, %e, "notify: cannot set up the MQTT connection");
                if !fail_next(&mut rx, &e).await {
                    return;
                }
                continue;
            }
        };
        let outcome = session::<P>(&client, &mut events, &mut rx, s.max_in_flight).await;
        match outcome {
            Session::Closed => return,
            Session::Failed { connected } => {
                if connected {
                    pause = Duration::from_millis(100);
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(MAX_RECONNECT_PAUSE);
            }
        }
    }
}

enum Session {
    /// No sender is left.
    Closed,
    /// The connection failed; whether it had been up.
    Failed { connected: bool },
}

async fn session<P: Proto>(
    client: &P::Client,
    events: &mut mpsc::Receiver<Ev>,
    rx: &mut mpsc::Receiver<Publish>,
    max_in_flight: usize,
) -> Session {
    let mut unsent: VecDeque<(u8, Waiter)> = VecDeque::new();
    let mut inflight: HashMap<u16, Waiter> = HashMap::new();
    let mut connected = false;
    loop {
        let room = unsent.len() + inflight.len() < max_in_flight;
        tokio::select! {
            req = rx.recv(), if room => {
                let Some(p) = req else { return Session::Closed };
                match P::publish(client, p.topic, p.qos, p.payload).await {
                    Ok(()) => unsent.push_back((p.qos, p.done)),
                    Err(e) => drop(p.done.send(Err(SendError(e)))),
                }
            }
            ev = events.recv() => match ev {
                Some(Ev::Connected) => connected = true,
                Some(Ev::Sent(pkid)) => {
                    if let Some((qos, done)) = unsent.pop_front() {
                        if qos == 0 {
                            let _ = done.send(Ok(()));
                        } else {
                            inflight.insert(pkid, done);
                        }
                    }
                }
                Some(Ev::Done(pkid, outcome)) => {
                    if let Some(done) = inflight.remove(&pkid) {
                        let _ = done.send(outcome.map_err(SendError));
                    }
                }
                Some(Ev::Error(e)) => return fail_all(unsent, inflight, e, connected),
                None => return fail_all(unsent, inflight, "the event task ended".into(), connected),
            }
        }
    }
}

/// Fails every waiter of a broken session.
fn fail_all(
    unsent: VecDeque<(u8, Waiter)>,
    inflight: HashMap<u16, Waiter>,
    reason: String,
    connected: bool,
) -> Session {
    let e = SendError(format!("MQTT connection: {reason}"));
    unsent
        .into_iter()
        .for_each(|(_, w)| drop(w.send(Err(e.clone()))));
    inflight
        .into_values()
        .for_each(|w| drop(w.send(Err(e.clone()))));
    Session::Failed { connected }
}

/// While the connection cannot even be set up, answers the next request with the reason.
/// Returns false once no sender is left.
async fn fail_next(rx: &mut mpsc::Receiver<Publish>, e: &str) -> bool {
    match rx.recv().await {
        Some(p) => {
            let _ = p.done.send(Err(SendError(e.to_string())));
            true
        }
        None => false,
    }
}
