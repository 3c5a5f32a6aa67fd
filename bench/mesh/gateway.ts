// Hive Gateway as a team would run it in production for the benchmark: logging off.
import { defineConfig } from '@graphql-hive/gateway';

export const gatewayConfig = defineConfig({ logging: false });
