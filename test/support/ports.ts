/**
 * freePorts finds n distinct ephemeral ports on 127.0.0.1 by binding port 0 and releasing it.
 * Members must know each other's addresses before they start, so tests pick ports first; the
 * window in which another process could take one is tiny on a test machine.
 */
import { createServer, type Server } from 'node:net';

export async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  const ports: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = createServer();
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => resolve());
    });
    servers.push(s);
    const addr = s.address();
    if (addr === null || typeof addr === 'string') throw new Error('no port');
    ports.push(addr.port);
  }
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}
