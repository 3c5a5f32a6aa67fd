import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// Built by `npm run web:build` (after codegen) into examples/web/dist; `npm run web:dev` serves it.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  build: { outDir: 'dist', emptyOutDir: true },
  server: { port: 5173 },
});
