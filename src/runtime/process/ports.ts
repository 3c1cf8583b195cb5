/**
 * Port checks of the process runtime. Pods share the host's network stack (each on its own
 * loopback address), so a port another process holds is a real clash, and a port below the
 * unprivileged limit cannot be bound without root. Both become clear start errors instead of a
 * container that crashes and restarts forever: before a start the runtime binds each declared
 * port on the pod's IP for a moment (a wildcard listener elsewhere makes that fail too), and
 * after an early exit it looks for the bind error in the container's last output.
 */
import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';

/** lowPortError explains why port cannot be used, or undefined when it can (pure). */
export function lowPortError(
  port: number,
  uid: number,
  unprivilegedStart: number,
): string | undefined {
  if (uid === 0 || port >= unprivilegedStart) return undefined;
  return `port ${port} is below ${unprivilegedStart}: binding it needs root, and the process ` +
    'runtime runs without root; use a port >= 1024 or a node with the runc runtime';
}

/** unprivilegedPortStart reads net.ipv4.ip_unprivileged_port_start (1024 when unreadable). */
export function unprivilegedPortStart(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim());
  } catch {
    return 1024;
  }
}

/**
 * probeTcpPort binds ip:port and releases it at once. Resolves with an error text when the
 * bind fails (in use, not permitted), undefined when the port is free.
 */
export function probeTcpPort(ip: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      resolve(err.code === 'EADDRINUSE'
        ? `port ${port} on ${ip} is already in use`
        : `port ${port} on ${ip} cannot be bound: ${err.code ?? err.message}`);
    });
    server.listen({ host: ip, port, exclusive: true }, () => {
      server.close(() => resolve(undefined));
    });
  });
}

const IN_USE = /EADDRINUSE|address (?:already )?in use/i;

/**
 * portClashFromOutput finds a bind failure in a container's last output and words it for
 * ContainerStatus.message: "port <n> on <ip> is already in use" when the port can be read from
 * the line (":<n>" or "port <n>"), otherwise the line itself. Undefined when there is none.
 */
export function portClashFromOutput(output: string, ip: string): string | undefined {
  const line = output.split('\n').find((l) => IN_USE.test(l));
  if (line === undefined) return undefined;
  const m = /(?::|port\s+)(\d{1,5})\b/i.exec(line);
  const port = m ? Number(m[1]) : NaN;
  if (port > 0 && port < 65536) return `port ${port} on ${ip} is already in use: ${line.trim()}`;
  return `a port on ${ip} is already in use: ${line.trim()}`;
}
