/**
 * kube-proxy's shell: Service and EndpointSlice informers over the component API, the Proxier
 * that owns the sockets, the machine that decides when to sync, and the health endpoint
 * (GET /healthz and /livez on the node's address, port 10256 as upstream) that the static pod's
 * probe and an SRE's curl read. The desired state is computed by frontendsOf (pure) from the
 * caches at each sync, never from individual events, so a missed or coalesced event cannot
 * leave a stale rule behind (level-triggered).
 */
import { createActor, fromCallback, fromPromise } from 'xstate';
import type { Service } from '../api/core/v1/service.js';
import type { EndpointSlice } from '../api/discovery/v1/endpoint-slice.js';
import type { Clock } from '../base/clock.js';
import { SharedInformerFactory } from '../client/cache/factory.js';
import type { ComponentApi } from '../client/component-api.js';
import { ENDPOINT_SLICES, SERVICES } from '../client/resources.js';
import { frontendsOf } from './frontends.js';
import { HEALTHZ_PORT, serveHealth } from './health.js';
import { openFrontend, Proxier, type OpenFrontend, type SyncResult } from './proxier.js';
import { proxyMachine } from './proxy-machine.js';

export interface ProxyOptions {
  api: ComponentApi;
  nodeName: string;
  /** The node's address: NodePorts and the health endpoint listen here. */
  nodeIp: string;
  /** Health endpoint port; 0 = none (tests). */
  healthzPort?: number;
  clock: Clock;
  wallMs: () => number;
  log: (line: string) => void;
  open?: OpenFrontend;
}

/** RunningProxy is a started kube-proxy. */
export interface RunningProxy {
  /** serving: the frontend keys this node's proxy listens on. */
  serving(): string[];
  /** syncs: completed syncs (tests wait on it). */
  syncs(): number;
  stop(): Promise<void>;
}

/** startProxy runs kube-proxy for one node until stop(). */
export async function startProxy(o: ProxyOptions): Promise<RunningProxy> {
  const informers = new SharedInformerFactory(o.api, { clock: o.clock, log: o.log });
  const services = informers.informerFor<Service>(SERVICES);
  const slices = informers.informerFor<EndpointSlice>(ENDPOINT_SLICES);
  const proxier = new Proxier(o.clock, o.log, o.open ?? openFrontend);
  let lastSyncWallMs = 0;
  let last: SyncResult | undefined;
  const health = o.healthzPort === 0 ? undefined
    : await serveHealth(o.nodeIp, o.healthzPort ?? HEALTHZ_PORT, () => lastSyncWallMs, o.wallMs);
  const machine = proxyMachine.provide({
    actors: {
      startup: fromPromise(async () => {
        informers.start();
        await informers.waitForSync();
      }),
      changes: fromCallback(({ sendBack }) => {
        const changed = (): void => sendBack({ type: 'CHANGED' });
        const h = { add: changed, update: changed, delete: changed };
        const a = services.addHandlers(h);
        const b = slices.addHandlers(h);
        return () => { a(); b(); };
      }),
      sync: fromPromise(async () => {
        const desired = frontendsOf({ services: services.lister.list(),
          slices: slices.lister.list(), nodeIp: o.nodeIp });
        const r = await proxier.sync(desired);
        if (last === undefined || r.serving !== last.serving || r.heldElsewhere !== last.heldElsewhere) {
          o.log(`proxy ${o.nodeName}: ${desired.length} frontends: ${r.serving} served here,` +
            ` ${r.heldElsewhere} by another node's proxy, ${r.failed} failed`);
        }
        last = r;
        lastSyncWallMs = o.wallMs();
        return r;
      }),
      shutdown: fromPromise(async () => {
        informers.stop();
        await proxier.close();
      }),
    },
  });
  const actor = createActor(machine).start();
  const done = new Promise<void>((resolve) => actor.subscribe({ complete: resolve, error: () => resolve() }));
  return {
    serving: () => proxier.serving(),
    syncs: () => actor.getSnapshot().context.syncs,
    stop: async () => {
      actor.send({ type: 'STOP' });
      await done;
      await new Promise<void>((r) => (health ? health.close(() => r()) : r()));
    },
  };
}

