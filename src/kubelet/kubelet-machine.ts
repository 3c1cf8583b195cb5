/**
 * The kubelet's lifecycle as an XState v5 actor, a shell with no I/O of its own: its actors come
 * through `.provide()` from kubelet.ts (or a test).
 *
 *   starting ──(startup done)──► running ──(STOP)──► stopping ──► stopped
 *                                  │ unregistered ──(REGISTERED)──► registered
 *                                  │   (static pods and the API pod source run from the start;
 *                                  │    the Lease, node status and mirror pods need the Node)
 *
 * - `startup` (fromPromise): runtime check, informers, first manifest scan;
 * - `sources` (fromCallback, while running): the manifest directory timer;
 * - `registration` (fromCallback): registers with retries, sends REGISTERED;
 * - `heartbeat` (fromCallback, once registered): the Lease and node status timers, mirror pods;
 * - `shutdown` (fromPromise): stops everything (containers keep running, as upstream).
 */
import { fromCallback, fromPromise, setup, type EventObject } from 'xstate';

/** KubeletEvent: what the machine reacts to. */
export type KubeletEvent = { type: 'REGISTERED' } | { type: 'STOP' };

const missing = (what: string) =>
  fromCallback<EventObject>(() => {
    throw new Error(`kubelet machine: actor ${what} not provided`);
  });

/** kubeletMachine: provide startup, sources, registration, heartbeat and shutdown. */
export const kubeletMachine = setup({
  types: { events: {} as KubeletEvent },
  actors: {
    startup: fromPromise<void>(async () => {
      throw new Error('kubelet machine: actor startup not provided');
    }),
    sources: missing('sources'),
    registration: missing('registration'),
    heartbeat: missing('heartbeat'),
    shutdown: fromPromise<void>(async () => {
      throw new Error('kubelet machine: actor shutdown not provided');
    }),
  },
}).createMachine({
  id: 'kubelet',
  initial: 'starting',
  states: {
    starting: {
      invoke: { src: 'startup', onDone: 'running', onError: 'stopping' },
      on: { STOP: 'stopping' },
    },
    running: {
      invoke: [{ id: 'sources', src: 'sources' }],
      initial: 'unregistered',
      states: {
        unregistered: {
          invoke: { id: 'registration', src: 'registration' },
          on: { REGISTERED: 'registered' },
        },
        registered: {
          invoke: { id: 'heartbeat', src: 'heartbeat' },
        },
      },
      on: { STOP: 'stopping' },
    },
    stopping: {
      invoke: { src: 'shutdown', onDone: 'stopped', onError: 'stopped' },
    },
    stopped: { type: 'final' },
  },
});
