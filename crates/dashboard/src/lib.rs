//! The operations dashboard: the web app in `web/` (TypeScript, built by Vite into `web/dist/`),
//! embedded in the binary at compile time and served by [`routes`] at `/`, so a release binary
//! serves its own dashboard with no network and no files beside it.
//!
//! The app reads only the public, same-origin APIs (`/ngsi-ld/v1/...`, `/twinisle/v1/stream`);
//! this crate serves files and nothing else: it must not grow API handlers or state.
//!
//! A build without `web/dist/` (a fresh clone where `npm run build` has not run) still compiles:
//! it embeds a page saying the dashboard was not built and how to build it, served at `/` with
//! 503 and announced by a cargo warning. `TWINISLE_REQUIRE_DASHBOARD=1` makes that a build
//! error instead (for release builds in CI). See `build.rs`.

mod serve;

use axum::Router;
use rust_embed::RustEmbed;

#[cfg(dashboard_built)]
#[derive(RustEmbed)]
#[folder = "../../web/dist"]
struct Assets;

#[cfg(not(dashboard_built))]
#[derive(RustEmbed)]
#[folder = "not-built"]
struct Assets;

/// Whether the web app was built into this binary; when false, `/` answers 503 with a page
/// explaining how to build it.
pub const BUILT: bool = cfg!(dashboard_built);

/// The dashboard's routes: `/` and one route per embedded file or top-level folder (`/assets/...`,
/// `/data/...`). No catch-all, so merged with the API router it claims no API path and the API's
/// own 404s stay ProblemDetails. Generic over the state so it merges into any `Router<S>`.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    serve::router::<Assets, S>(BUILT)
}
