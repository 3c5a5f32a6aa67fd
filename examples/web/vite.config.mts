import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

/**
 * The page reads its server URL and token from `config.json` (public/config.json). Under `npm run web:dev`,
 * SMS_GRAPHQL_URL and SMS_TOKEN answer it instead, so another server port or a key needs no edit to a
 * tracked file: `SMS_GRAPHQL_URL=http://localhost:4100/graphql npm run web:dev`.
 */
function configFromEnvironment(): Plugin {
  return {
    name: 'config-from-environment',
    configureServer(server) {
      server.middlewares.use('/config.json', (_request, response, next) => {
        const { SMS_GRAPHQL_URL: graphqlUrl, SMS_TOKEN: token } = process.env;
        if (graphqlUrl === undefined && token === undefined) return next();
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ graphqlUrl: graphqlUrl ?? 'http://localhost:4000/graphql', token: token ?? '' }));
      });
    },
  };
}

// Built by `npm run web:build` (after codegen) into examples/web/dist; `npm run web:dev` serves it, on
// WEB_PORT (default 5173; `npm run web:dev -- --port 5174` works too).
// React's JSX goes through Vite's own transform (automatic runtime): no plugin is needed to build.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  build: { outDir: 'dist', emptyOutDir: true },
  server: { port: Number(process.env.WEB_PORT ?? 5173), fs: { allow: ['../..'] } },
  plugins: [configFromEnvironment()],
  oxc: { jsx: { runtime: 'automatic' } },
});
