/**
 * The source of the container spawner's helper process (spawner.ts runs it with `node -e`): a
 * few lines of plain JavaScript with no imports from k8ts, so it runs the same whether the
 * runtime runs from the esbuild bundle or through tsx, and it stays small — a fork copies the
 * page tables of the process that forks, so forking from this ~40 MiB process is cheaper than
 * from the runtime, and the wait until the child has exec'd blocks this process's event loop,
 * not the runtime's.
 *
 * Protocol over the IPC channel (JSON, one object per message):
 *   in:  { id, file, args, argv0, cwd, env, stdout, stderr }  stdout/stderr: FIFO paths (stderr
 *        may be absent: a tty container's one stream), opened read-write as the runtime did
 *   out: { t: 'spawned', id, pid } | { t: 'failed', id, message, code } | { t: 'exit', id, code,
 *        signal } (exactly one of spawned/failed per request; exit after spawned)
 *   in:  { id, mkfifo: [paths] }  make FIFOs (mode 0600) with one mkfifo(1) run (fifo-pool.ts)
 *   out: { t: 'made', id } | { t: 'failed', id, message, code }
 * Sends take a callback, so a late exit report after the runtime went (EPIPE) is dropped
 * quietly instead of crashing the helper with an unhandled 'error'.
 * The helper ends when the runtime does (its IPC channel closes); the containers, each in a
 * process group of its own, keep running, as they did when the runtime forked them itself.
 */
export const SPAWNER_HELPER_SOURCE = `
'use strict';
const { execFile, spawn } = require('node:child_process');
const { openSync, closeSync, constants } = require('node:fs');
const send = (m) => { if (process.connected) process.send(m, () => undefined); };
process.on('disconnect', () => process.exit(0));
process.on('message', (m) => {
  if (m.mkfifo !== undefined) {
    execFile('mkfifo', ['-m', '600', ...m.mkfifo], (err, _out, stderr) => send(err
      ? { t: 'failed', id: m.id, message: 'mkfifo failed: ' + (stderr || err.message), code: err.code }
      : { t: 'made', id: m.id }));
    return;
  }
  const fds = [];
  try {
    const out = openSync(m.stdout, constants.O_RDWR);
    fds.push(out);
    const err = m.stderr === undefined ? out : openSync(m.stderr, constants.O_RDWR);
    if (err !== out) fds.push(err);
    const child = spawn(m.file, m.args, { argv0: m.argv0, cwd: m.cwd, env: m.env,
      detached: true, stdio: ['ignore', out, err] });
    child.once('spawn', () => send({ t: 'spawned', id: m.id, pid: child.pid }));
    child.once('error', (e) => {
      if (child.pid === undefined) send({ t: 'failed', id: m.id, message: e.message, code: e.code });
    });
    child.once('exit', (code, signal) => send({ t: 'exit', id: m.id, code, signal }));
  } catch (e) {
    send({ t: 'failed', id: m.id, message: String(e && e.message), code: e && e.code });
  } finally {
    for (const fd of fds) closeSync(fd);
  }
});
`;
