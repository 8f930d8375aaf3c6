//! Decides what the dashboard crate embeds: the built web app (`web/dist/`) when it exists, else a
//! page that says the dashboard was not built and how to build it, so a fresh clone still
//! compiles and nobody gets a silently broken page. CI's release build sets
//! `TWINISLE_REQUIRE_DASHBOARD=1` to turn a missing web build into a build error instead.

use std::path::Path;
use std::process::ExitCode;

const BUILD_COMMAND: &str = "npm --prefix web ci && npm --prefix web run build";

fn main() -> ExitCode {
    println!("cargo::rerun-if-env-changed=TWINISLE_REQUIRE_DASHBOARD");
    println!("cargo::rustc-check-cfg=cfg(dashboard_built)");
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let index = Path::new(&manifest_dir).join("../../web/dist/index.html");
    if index.is_file() {
        println!("cargo::rerun-if-changed=../../web/dist");
        println!("cargo::rustc-cfg=dashboard_built");
        return ExitCode::SUCCESS;
    }
    // A path that does not exist would rerun this script (and relink the binary) on every build;
    // `web/` exists, and changes when `web/dist` appears.
    println!("cargo::rerun-if-changed=../../web");
    let required =
        std::env::var("TWINISLE_REQUIRE_DASHBOARD").is_ok_and(|v| !v.is_empty() && v != "0");
    if required {
        eprintln!(
            "error: TWINISLE_REQUIRE_DASHBOARD is set but {} does not exist; build the web app first: {BUILD_COMMAND}",
            index.display()
        );
        return ExitCode::FAILURE;
    }
    println!(
        "cargo::warning=web/dist is not built: the binary will serve a 'dashboard not built' page at /. Run `{BUILD_COMMAND}` before cargo build."
    );
    ExitCode::SUCCESS
}
