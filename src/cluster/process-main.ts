/**
 * The shell every component process shares: timestamped log lines on stdout (the supervisor
 * points stdout at <state>/logs/<unit>.log), a fatal error logged with its stack and exit code 1
 * (the supervisor's `up` shows the log's tail), and SIGTERM/SIGINT running the component's own
 * stop once before exiting 0. A bundled component's fatal and uncaught errors are logged with
 * their stacks mapped to the TypeScript sources (build/stack-map.ts).
 */

import { writeFileSync } from 'node:fs';
import { mapStack } from './build/stack-map.js';

/**
 * recordOwnPid writes this process's pid to $K8TS_PID_FILE when set: a component started by a
 * kubelet as a static pod (not by the supervisor, which writes pid files itself) tells
 * `k8ts kill|status|restart` where it is.
 */
export function recordOwnPid(env: NodeJS.ProcessEnv = process.env): void {
  const file = env.K8TS_PID_FILE;
  if (file !== undefined && file !== '') writeFileSync(file, `${process.pid}\n`);
}

/** mainLog writes one timestamped line to stdout. */
export function mainLog(line: string): void {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

/** Stop undoes what start did; it runs once, on the first SIGTERM or SIGINT. */
export type Stop = () => Promise<void> | void;

/** runMain starts a component and wires its stop to the termination signals. */
export function runMain(name: string, start: () => Promise<Stop>): void {
  let stopping = false;
  recordOwnPid();
  process.on('uncaughtExceptionMonitor', (err) => {
    // Node prints the trace itself (and exits 1) right after; this adds the source positions.
    const stack = err instanceof Error ? (err.stack ?? '') : '';
    const mapped = mapStack(stack);
    if (mapped !== stack) mainLog(`${name}: uncaught (source positions): ${mapped}`);
  });
  start().then((stop) => {
    const onSignal = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      mainLog(`${name}: ${signal}: stopping`);
      Promise.resolve(stop()).then(() => process.exit(0), (err: unknown) => fatal(name, err));
    };
    process.on('SIGTERM', () => onSignal('SIGTERM'));
    process.on('SIGINT', () => onSignal('SIGINT'));
  }, (err: unknown) => fatal(name, err));
}

function fatal(name: string, err: unknown): never {
  const why = err instanceof Error ? mapStack(err.stack ?? err.message) : String(err);
  mainLog(`${name}: fatal: ${why}`);
  process.exit(1);
}
