/**
 * A control-plane component started with its master (controller manager, scheduler, kube-proxy)
 * has nothing to do until some API server serves its component gRPC face, which an API server
 * binds only once it has bootstrapped. Until then every client call failed and was retried: each
 * reconnect attempt built a TLS secure context from the PEM files (~22 % of a controller
 * manager's CPU in its first 10 s of `k8ts up`, profiled), on 2 cores the store members and API
 * servers on up's critical path needed. So these components first wait, with a plain TCP
 * connect every 100 ms (no TLS, microseconds each), until one API server's gRPC port accepts.
 * Bounded: after maxMs they start anyway, and their clients' own retries take over.
 * The entry files of these components load only this file (and the config reader) before the
 * wait, and the component itself by dynamic import after it: a `k8ts up` starts ~15 processes
 * at once on 2 cores, and the store members and API servers (up's critical path) no longer
 * share the CPU with the module loading of 11 processes that could do nothing yet.
 */
import { parseArgs } from 'node:util';
import { systemClock, type Clock } from '../base/clock.js';
import { accepts } from '../base/connect-probe.js';
import { waitUntil } from '../base/wait-until.js';
import { loadClusterConfig } from './config.js';
import { apiEndpointsOf } from './node-args.js';
import { recordOwnPid } from './process-main.js';

/** API_WAIT: poll every 100 ms, for up to 2 minutes. */
export const API_WAIT = { pollMs: 100, maxMs: 120_000 } as const;

/** ApiWaitOptions: the clock and, optionally, other bounds than API_WAIT's. */
export interface ApiWaitOptions {
  clock: Clock;
  pollMs?: number;
  maxMs?: number;
}

/** waitForAnyApi resolves true once any endpoint (host:port) accepts a TCP connection, false
 *  when none did within maxMs. */
export function waitForAnyApi(endpoints: readonly string[], o: ApiWaitOptions): Promise<boolean> {
  const targets = endpoints.map((e) => {
    const i = e.lastIndexOf(':');
    return { host: e.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(e.slice(i + 1)) };
  });
  const anyAccepts = async (): Promise<boolean> =>
    (await Promise.all(targets.map((t) => accepts(t)))).some((x) => x);
  return waitUntil(anyAccepts, { clock: o.clock, pollMs: o.pollMs ?? API_WAIT.pollMs,
    maxMs: o.maxMs ?? API_WAIT.maxMs });
}

/**
 * whenApiAnswers is the entry of a component that needs an API server: it records its pid (so
 * `k8ts status|kill` see it at once), reads `--config <file> --member|--node <name>` from argv,
 * waits for one of the masters' component API ports (its own master's first), then runs load —
 * which imports and starts the component, reading argv again as it always did.
 */
export async function whenApiAnswers(flag: 'member' | 'node',
  load: () => Promise<void>): Promise<void> {
  recordOwnPid();
  const { values } = parseArgs({ strict: false,
    options: { config: { type: 'string' }, [flag]: { type: 'string' } } });
  const file = values.config;
  const name = values[flag];
  if (typeof file === 'string' && typeof name === 'string') {
    const cfg = loadClusterConfig(file, { force: true });
    const endpoints = apiEndpointsOf(cfg, name);
    if (endpoints.length > 0) await waitForAnyApi(endpoints, { clock: systemClock });
  }
  await load();
}
