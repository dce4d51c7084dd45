import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * In development the Vite server proxies the API's paths to `sis serve` (SIS_API_URL, default http://127.0.0.1:4000),
 * so the app talks to its own origin exactly as it does in production, where the API serves the built app.
 * The Host header is kept (no changeOrigin): the API then builds image URLs that point back through this proxy.
 */
const apiUrl = process.env.SIS_API_URL ?? 'http://127.0.0.1:4000';
const proxied = ['/graphql', '/images', '/thumbnails', '/healthz', '/auth'];

export default defineConfig({
  plugins: [react()],
  server: { proxy: Object.fromEntries(proxied.map((prefix) => [prefix, { target: apiUrl }])) },
  preview: { proxy: Object.fromEntries(proxied.map((prefix) => [prefix, { target: apiUrl }])) },
  build: { sourcemap: true },
});
