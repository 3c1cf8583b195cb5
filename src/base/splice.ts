/**
 * splice joins two byte streams both ways — an upgraded HTTP connection proxied to the next hop
 * (the API server to a kubelet, a kubelet to its runtime's streaming server). Either side failing
 * destroys both. Once one side closes, the other gets our FIN after its pending bytes and what
 * it still sends is drained and dropped: a paused socket would never see its peer's FIN and
 * would stay half-open forever (an API server's stop() would then hang on it).
 */
import type { Duplex } from 'node:stream';

export function splice(a: Duplex, b: Duplex): void {
  a.pipe(b);
  b.pipe(a);
  const kill = (): void => {
    a.destroy();
    b.destroy();
  };
  a.on('error', kill);
  b.on('error', kill);
  const finish = (s: Duplex): void => {
    s.end();
    s.resume();
  };
  a.on('close', () => finish(b));
  b.on('close', () => finish(a));
}
