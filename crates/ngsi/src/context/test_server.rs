//! A tiny HTTP/1.1 server on 127.0.0.1 for the loader tests: fixed replies per path, hit
//! counts, slow and hanging replies. Test-only; it lives as long as the test's runtime.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server answers on one path.
#[derive(Debug, Clone)]
pub enum Reply {
    /// 200 with this body and extra headers.
    Body(String, Vec<(&'static str, String)>),
    /// 200 with this body after a delay.
    Slow(Duration, String),
    /// This status, empty body.
    Status(u16),
    /// Never answers.
    Hang,
}

impl Reply {
    pub fn json(value: serde_json::Value) -> Self {
        Self::Body(value.to_string(), Vec::new())
    }
}

type Shared<T> = Arc<Mutex<HashMap<String, T>>>;

pub struct Server {
    base: String,
    routes: Shared<Reply>,
    hits: Shared<usize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1");
        let base = format!("http://{}", listener.local_addr().expect("local addr"));
        let routes: Shared<Reply> = Arc::default();
        let hits: Shared<usize> = Arc::default();
        let (r, h) = (routes.clone(), hits.clone());
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(answer(socket, r.clone(), h.clone()));
            }
        });
        Self {
            base,
            routes,
            hits,
            task,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn route(&self, path: &str, reply: Reply) {
        self.routes.lock().insert(path.to_string(), reply);
    }

    pub fn hits(&self, path: &str) -> usize {
        self.hits.lock().get(path).copied().unwrap_or(0)
    }
}

async fn answer(mut socket: TcpStream, routes: Shared<Reply>, hits: Shared<usize>) {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&head);
    let path = text.split_whitespace().nth(1).unwrap_or("/").to_string();
    *hits.lock().entry(path.clone()).or_default() += 1;
    let reply = routes
        .lock()
        .get(&path)
        .cloned()
        .unwrap_or(Reply::Status(404));
    let (status, body, headers) = match reply {
        Reply::Body(body, headers) => (200, body, headers),
        Reply::Slow(delay, body) => {
            tokio::time::sleep(delay).await;
            (200, body, Vec::new())
        }
        Reply::Status(status) => (status, String::new(), Vec::new()),
        Reply::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return;
        }
    };
    let mut response = format!(
        "HTTP/1.1 {status} Test\r\ncontent-type: application/ld+json\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        response.push_str(&format!("{name}: {value}\r\n"));
    }
    response.push_str("\r\n");
    response.push_str(&body);
    let _ = socket.write_all(response.as_bytes()).await;
    let _ = socket.shutdown().await;
}
