/**
 * kube-proxy's life as an XState v5 actor, a shell whose I/O comes through `.provide()`
 * (proxy.ts, or a test):
 *
 *   starting ──(informers synced)──► running ──(STOP)──► stopping ──► stopped
 *                                      idle ──CHANGED──► pending ──(MIN_SYNC_MS)──► syncing
 *                                      syncing ──done──► synced ──► idle | pending (changed meanwhile)
 *                                      idle ──(RETRY_MS, a frontend held elsewhere)──► syncing
 *
 * - `startup` (fromPromise): informers started and synced;
 * - `changes` (fromCallback, while running): informer handlers sending CHANGED;
 * - `sync` (fromPromise): one Proxier.sync over the caches, resolving to its SyncResult;
 * - `shutdown` (fromPromise): listeners closed, informers stopped.
 * Like kube-proxy's minSyncPeriod, a burst of API changes costs one sync, not one per event.
 */
import { assign, fromCallback, fromPromise, setup, type EventObject } from 'xstate';
import type { SyncResult } from './proxier.js';

/** MIN_SYNC_MS: changes arriving within this window share one sync. */
export const MIN_SYNC_MS = 50;
/** RETRY_MS: how soon frontends that could not be opened are tried again. */
export const RETRY_MS = 1_000;

/** ProxyEvent: what the machine reacts to. */
export type ProxyEvent = { type: 'CHANGED' } | { type: 'STOP' };

interface ProxyContext {
  dirty: boolean;
  incomplete: boolean;
  syncs: number;
}

export const proxyMachine = setup({
  types: { events: {} as ProxyEvent, context: {} as ProxyContext },
  actors: {
    startup: fromPromise<void>(async () => {
      throw new Error('proxy machine: actor startup not provided');
    }),
    changes: fromCallback<EventObject>(() => {
      throw new Error('proxy machine: actor changes not provided');
    }),
    sync: fromPromise<SyncResult>(async () => {
      throw new Error('proxy machine: actor sync not provided');
    }),
    shutdown: fromPromise<void>(async () => {
      throw new Error('proxy machine: actor shutdown not provided');
    }),
  },
  delays: { minSync: MIN_SYNC_MS, retry: RETRY_MS },
  guards: {
    dirty: ({ context }) => context.dirty,
    incomplete: ({ context }) => context.incomplete,
  },
}).createMachine({
  id: 'kube-proxy',
  context: { dirty: false, incomplete: false, syncs: 0 },
  initial: 'starting',
  states: {
    starting: {
      invoke: { src: 'startup', onDone: 'running', onError: 'stopping' },
      on: { STOP: 'stopping' },
    },
    running: {
      invoke: { id: 'changes', src: 'changes' },
      initial: 'syncing',
      states: {
        idle: {
          on: { CHANGED: 'pending' },
          after: { retry: { guard: 'incomplete', target: 'syncing' } },
        },
        pending: { after: { minSync: 'syncing' } },
        syncing: {
          entry: assign({ dirty: false }),
          on: { CHANGED: { actions: assign({ dirty: true }) } },
          invoke: {
            src: 'sync',
            onDone: {
              target: 'synced',
              actions: assign(({ context, event }) => ({
                syncs: context.syncs + 1,
                incomplete: event.output.heldElsewhere + event.output.failed > 0,
              })),
            },
            onError: { target: 'synced', actions: assign({ incomplete: true }) },
          },
        },
        synced: { always: [{ guard: 'dirty', target: 'pending' }, { target: 'idle' }] },
      },
      on: { STOP: 'stopping' },
    },
    stopping: {
      invoke: { src: 'shutdown', onDone: 'stopped', onError: 'stopped' },
    },
    stopped: { type: 'final' },
  },
});
