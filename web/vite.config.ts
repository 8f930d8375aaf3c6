// Build and dev-server settings for the dashboard.
// `base: './'` keeps asset URLs relative, so the embedded app works wherever the binary mounts it;
// the API itself is always same-origin (`/ngsi-ld`, `/twinisle`), proxied to a local twinisle in dev.
import { defineConfig } from 'vitest/config';

const upstream = process.env.TWINISLE_URL ?? 'http://127.0.0.1:1026';

export default defineConfig({
  base: './',
  build: {
    outDir: 'dist',
    // Content-hashed files go here; crates/dashboard caches `assets/` for a year (keep in step).
    assetsDir: 'assets',
    // Leaflet and the app ship as one ~215 kB chunk: one request at first paint, no splitting.
    chunkSizeWarningLimit: 400,
  },
  server: {
    proxy: {
      '/ngsi-ld': { target: upstream, changeOrigin: true },
      '/twinisle': { target: upstream, changeOrigin: true },
    },
  },
  test: {
    include: ['tests/unit/**/*.test.ts'],
    environment: 'node',
  },
});
