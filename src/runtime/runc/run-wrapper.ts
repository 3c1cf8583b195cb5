/**
 * The runtime conmon is told to run: a four-line dash script that turns conmon's `create` into
 * `runc run --detach` and execs runc. conmon can only ever run `<runtime> <runtime args> create
 * --bundle B --pid-file P [--console-socket S] <id>`, and the runtime used to follow it with a
 * `runc start`: a second Go process per container, ~7 ms of CPU (measured with runc 1.1.5 on
 * this machine: create ~21 ms, start ~7 ms, run --detach ~22 ms). StartContainer does both
 * anyway (CreateContainer only prepares the bundle), so one `run --detach` keeps CRI's meaning;
 * the wrapper costs one dash exec (~0.5 ms). `run` takes every flag `create` does.
 * The container may now exit before conmon has read the pid file; conmon is its subreaper and
 * keeps the status of children it reaped before it knew them, so the exit code still arrives.
 */
import { chmod, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RUNC_BINARY } from './runc-cli.js';

/** runWrapperScript: every argument passes through, the first `create` becomes
 *  `run --detach` (conmon puts its runtime args, `--root=...`, before it; ids are hex). */
export function runWrapperScript(runc: string = RUNC_BINARY): string {
  return [
    '#!/bin/sh',
    '# k8ts: conmon runs `create`; run the container at once (see run-wrapper.ts).',
    'done=""',
    'for a do',
    '  shift',
    '  if [ -z "$done" ] && [ "$a" = create ]; then set -- "$@" run --detach; done=1',
    '  else set -- "$@" "$a"; fi',
    'done',
    `exec ${runc} "$@"`,
    '',
  ].join('\n');
}

/** installRunWrapper writes the script into dir (replacing it whole, so a conmon starting
 *  the old one never reads half a file) and returns its path. conmon runs it as `sh <path>`,
 *  so it needs no exec permission (the mode is only for running it by hand). */
export async function installRunWrapper(dir: string): Promise<string> {
  const path = join(dir, 'runc-run');
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, runWrapperScript());
  await chmod(tmp, 0o755);
  await rename(tmp, path);
  return path;
}
