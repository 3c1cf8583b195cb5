#!/usr/bin/env node
// The `k8ts` command: registers tsx (the CLI is TypeScript, run from source) and runs src/cli/main.ts.
import { register } from 'tsx/esm/api';

register();
const { cliMain } = await import('../src/cli/main.ts');
await cliMain();
