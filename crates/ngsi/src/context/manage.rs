//! The @context management operations of clause 5.13 (bound to `/jsonldContexts` by clauses
//! 6.29 and 6.30): add (hosted), list, serve, delete and reload. Must not: hold the store lock
//! while touching the disk or the network; serve the content of Cached entries.

use std::sync::Arc;

use serde_json::Value;

use super::resolver::ContextResolver;
use super::store::{ContextKind, Entry, persist_hosted, unpersist_hosted};
use crate::error::{ErrorKind, NgsiError, Result};
use crate::time;

/// A newly hosted @context: its local id and the URL it is served under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredContext {
    /// The local id (`/jsonldContexts/{id}`).
    pub id: String,
    /// The full URL it is served under; the `Location` of the 201 response is its path.
    pub url: String,
}

fn not_found(id_or_url: &str) -> NgsiError {
    NgsiError::not_found(format!("no stored @context has the id or URL {id_or_url}"))
        .with_instance(id_or_url)
}

impl ContextResolver {
    /// List @contexts (clause 5.13.3): the URLs of the stored contexts of `kind` (all kinds when
    /// `None`), or their details (`URL`, `localId`, `kind`, `createdAt`, `expiresAt`,
    /// `lastUsage`, `numberOfHits`, `extraInfo`). The vendored core contexts are listed as
    /// built-in Cached entries.
    pub fn list(&self, details: bool, kind: Option<ContextKind>) -> Value {
        self.store.read().list(details, kind)
    }

    /// Serve @context (clause 5.13.4): the stored document (`{"@context": ...}`) or, with
    /// `details`, its metadata. ResourceNotFound if unknown; OperationNotSupported for the
    /// content of a Cached entry, which is never served.
    pub fn get(&self, id_or_url: &str, details: bool) -> Result<Value> {
        let store = self.store.read();
        let entry = store.find(id_or_url).ok_or_else(|| not_found(id_or_url))?;
        if details {
            return Ok(store.details(entry));
        }
        if entry.kind == ContextKind::Cached {
            return Err(NgsiError::new(
                ErrorKind::OperationNotSupported,
                format!(
                    "@context {} is a Cached copy of {}: only Hosted and ImplicitlyCreated @contexts are served",
                    entry.id, entry.url
                ),
            ));
        }
        Ok((*entry.document).clone())
    }

    /// Add @context (clause 5.13.2): stores `document`, a JSON object with a `@context` member
    /// (other members are discarded), as Hosted and persists it. The @context must be
    /// syntactically valid (BadRequestData otherwise); the URLs it references are not fetched.
    pub async fn add_hosted(&self, document: Value) -> Result<StoredContext> {
        let Value::Object(mut body) = document else {
            return Err(NgsiError::bad_data(
                "the body must be a JSON object with a @context member",
            ));
        };
        let context = body
            .remove("@context")
            .ok_or_else(|| NgsiError::bad_data("the body has no @context member"))?;
        if !matches!(
            context,
            Value::String(_) | Value::Object(_) | Value::Array(_)
        ) {
            return Err(NgsiError::bad_data(
                "@context must be a URL, an object or an array",
            ));
        }
        let document = serde_json::json!({ "@context": context });
        let size = document.to_string().len();
        if size > self.config.max_context_bytes {
            let max = self.config.max_context_bytes;
            return Err(NgsiError::new(
                ErrorKind::PayloadTooLarge,
                format!("the @context is {size} bytes; at most {max} are allowed"),
            ));
        }
        let (id, url) = {
            let store = self.store.read();
            if store.count(ContextKind::Hosted) >= self.config.max_hosted {
                let max = self.config.max_hosted;
                return Err(NgsiError::new(
                    ErrorKind::OperationNotSupported,
                    format!("the @context store already hosts the maximum of {max} @contexts"),
                ));
            }
            let id = store.new_id();
            let url = store.served_url(&id);
            (id, url)
        };
        // Relative references in a hosted context resolve against the URL it is served under.
        self.check_syntax(&context, Some(&url))?;
        let entry = Entry {
            id: id.as_str().into(),
            url: url.as_str().into(),
            kind: ContextKind::Hosted,
            created_at: time::now(),
            expires: None,
            document: Arc::new(document),
            usage: Arc::default(),
            builtin: false,
        };
        let (dir, to_write) = (self.dir.clone(), entry.clone());
        run_blocking(
            move || persist_hosted(&dir, &to_write),
            "persist the hosted @context",
        )
        .await?;
        self.store.write().insert(entry);
        Ok(StoredContext { id, url })
    }

    /// Delete and Reload @context (clause 5.13.5). Without `reload`, removes the entry (a hosted
    /// one from disk too). With `reload`, re-downloads a Cached entry and replaces it, keeping the
    /// old copy on any failure (LdContextNotAvailable); reloading another kind is BadRequestData.
    /// The built-in core contexts cannot be deleted; reloading them is a no-op.
    pub async fn delete(&self, id_or_url: &str, reload: bool) -> Result<()> {
        if id_or_url.trim().is_empty() {
            return Err(NgsiError::bad_data("a @context identifier is required"));
        }
        let entry = self
            .store
            .read()
            .find(id_or_url)
            .cloned()
            .ok_or_else(|| not_found(id_or_url))?;
        if reload {
            return self.reload(entry).await;
        }
        if entry.builtin {
            return Err(NgsiError::bad_data(format!(
                "the core @context {} is built in and cannot be deleted",
                entry.url
            )));
        }
        if entry.kind == ContextKind::Hosted {
            let (dir, id) = (self.dir.clone(), entry.id.clone());
            run_blocking(
                move || unpersist_hosted(&dir, &id),
                "delete the hosted @context",
            )
            .await?;
        }
        self.store.write().remove(&entry.id);
        self.purge(&[entry.url]);
        Ok(())
    }

    async fn reload(&self, entry: Entry) -> Result<()> {
        if entry.kind != ContextKind::Cached {
            return Err(NgsiError::bad_data(format!(
                "@context {} is {}: only Cached @contexts can be reloaded",
                entry.id,
                entry.kind.as_str()
            )));
        }
        if entry.builtin {
            return Ok(());
        }
        self.fetch_and_store(&entry.url).await.map_err(|e| {
            NgsiError::new(
                ErrorKind::LdContextNotAvailable,
                format!("reloading failed, the stored copy is kept: {}", e.detail),
            )
            .with_instance(entry.url.to_string())
        })?;
        self.purge(&[entry.url]);
        Ok(())
    }

    /// Marks a Cached entry expired, as if its lifetime had passed (for tests and operators).
    #[cfg(test)]
    pub(super) fn expire(&self, url: &str) {
        let mut store = self.store.write();
        if let Some(mut entry) = store.by_url(url).cloned() {
            entry.expires = Some(super::resolver::expiry_in(std::time::Duration::ZERO));
            store.insert(entry);
        }
        drop(store);
        self.purge(&[url.into()]);
    }
}

async fn run_blocking(
    job: impl FnOnce() -> std::io::Result<()> + Send + 'static,
    what: &str,
) -> Result<()> {
    match tokio::task::spawn_blocking(job).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(NgsiError::internal(format!("cannot {what}: {e}"))),
        Err(e) => Err(NgsiError::internal(format!("cannot {what}: {e}"))),
    }
}

#[cfg(test)]
mod tests;
