/**
 * The lifecycle of one Raft member as an XState v5 actor: starting → running → stopping →
 * stopped (or failed). The machine is a shell: it imports no grpc, fs or timers. Its actors
 * arrive through `.provide()` from src/raft/member.ts (or a test):
 * - `server` (fromCallback, for the whole life): binds the gRPC port, sends LISTENING or FAILED,
 *   and shuts the server down in its cleanup;
 * - `ticker` (fromCallback, while running): ticks the node on the clock;
 * - `drain` (fromPromise): stops the node and closes storage before the machine ends.
 */
import { assign, fromCallback, fromPromise, setup, type EventObject } from 'xstate';

export type MemberEvent =
  | { type: 'LISTENING'; port: number }
  | { type: 'FAILED'; error: string }
  | { type: 'STOP' };

export interface MemberContext {
  name: string;
  port: number;
  error: string | undefined;
}

/** Placeholders: a member that forgot to provide an actor fails loudly at start. */
const missing = (what: string) =>
  fromCallback<EventObject>(() => {
    throw new Error(`member machine: actor ${what} not provided`);
  });

export const memberMachine = setup({
  types: {
    context: {} as MemberContext,
    events: {} as MemberEvent,
    input: {} as { name: string },
  },
  actors: {
    server: missing('server'),
    ticker: missing('ticker'),
    drain: fromPromise<void>(async () => {
      throw new Error('member machine: actor drain not provided');
    }),
  },
}).createMachine({
  id: 'member',
  context: ({ input }) => ({ name: input.name, port: 0, error: undefined }),
  invoke: { id: 'server', src: 'server' },
  initial: 'starting',
  states: {
    starting: {
      on: {
        LISTENING: { target: 'running', actions: assign({ port: ({ event }) => event.port }) },
        FAILED: { target: 'stopping', actions: assign({ error: ({ event }) => event.error }) },
        STOP: 'stopping',
      },
    },
    running: {
      invoke: { id: 'ticker', src: 'ticker' },
      on: {
        FAILED: { target: 'stopping', actions: assign({ error: ({ event }) => event.error }) },
        STOP: 'stopping',
      },
    },
    stopping: {
      invoke: {
        src: 'drain',
        onDone: [{ guard: ({ context }) => context.error !== undefined, target: 'failed' }, { target: 'stopped' }],
        onError: {
          target: 'failed',
          actions: assign({ error: ({ event }) => String(event.error) }),
        },
      },
    },
    stopped: { type: 'final' },
    failed: { type: 'final' },
  },
});
