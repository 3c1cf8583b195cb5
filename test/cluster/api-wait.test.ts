/**
 * The wait of the controller manager, scheduler and kube-proxy entries for an API server: true
 * as soon as any of the endpoints accepts a TCP connection, false after the bound.
 */
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { systemClock } from '../../src/base/clock.js';
import { waitForAnyApi } from '../../src/cluster/api-wait.js';

describe('cluster api-wait', () => {
  it('resolves true once one of the endpoints accepts', async () => {
    const server = createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      assert.equal(await waitForAnyApi(['127.0.0.1:1', `127.0.0.1:${port}`],
        { clock: systemClock, pollMs: 10, maxMs: 2_000 }), true);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('resolves false when none accepts within maxMs', async () => {
    assert.equal(await waitForAnyApi(['127.0.0.1:1'], { clock: systemClock, pollMs: 10,
      maxMs: 50 }), false);
  });
});
