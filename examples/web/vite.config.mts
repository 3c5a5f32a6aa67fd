import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// Built by `npm run web:build` (after codegen) into examples/web/dist; `npm run web:dev` serves it.
// React's JSX goes through Vite's own transform (automatic runtime): no plugin is needed to build.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  build: { outDir: 'dist', emptyOutDir: true },
  server: { port: 5173, fs: { allow: ['../..'] } },
  oxc: { jsx: { runtime: 'automatic' } },
});
