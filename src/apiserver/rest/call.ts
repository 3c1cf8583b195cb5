/**
 * The REST face's shared shapes: what the handler depends on (RestDeps) and one resource request
 * in flight (ResourceCall), kept apart so the per-verb files import them without importing each
 * other.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../base/clock.js';
import type { Authenticator } from '../auth/authenticate.js';
import type { ApiRegistry, RequestContext } from '../registry/types.js';
import type { KubeletClientTls } from './kubelet-proxy-target.js';
import type { ResourceRoute } from './route.js';

/** RestDeps are the handler's collaborators. */
export interface RestDeps {
  registry: ApiRegistry;
  auth: Authenticator;
  /** Wall-clock milliseconds (Table AGE cells). */
  wallMs: () => number;
  /** Timers (watch timeouts). */
  clock: Clock;
  /** host:port clients reach this server at (legacy discovery's serverAddressByClientCIDRs). */
  serverAddress: string;
  /** health resolves when the store answers; rejects with the reason otherwise. */
  health: () => Promise<void>;
  log: (line: string) => void;
  /** Client certificate for kubelet connections (logs, exec, port-forward); absent = plain HTTP. */
  kubeletClientTls?: KubeletClientTls;
}

/** ResourceCall is one resource request in flight. */
export interface ResourceCall {
  deps: RestDeps;
  ctx: RequestContext;
  route: ResourceRoute;
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
}
