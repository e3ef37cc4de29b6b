// Vite builds the dashboard's pages (root: this folder) into dashboard/dist: one HTML page, its
// script bundle (ethers, cytoscape, vega and the oracle/ modules it imports) and styles. Everything
// is served by scripts/dashboard.ts; nothing is fetched from a CDN at run time.
import { resolve } from "node:path";
import { defineConfig } from "vite";

export default defineConfig({
  root: __dirname,
  base: "./",
  publicDir: false,
  build: {
    outDir: resolve(__dirname, "dist"),
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
    // vega and ethers are large; the pages are served from loopback.
    chunkSizeWarningLimit: 4096,
  },
  server: { host: "127.0.0.1", fs: { allow: [resolve(__dirname, "..")] } },
});
