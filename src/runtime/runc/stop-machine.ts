/**
 * The stop sequence of a runc container as an XState machine: send the stop signal, wait the
 * grace period (a delayed transition on the injected clock), then SIGKILL and wait a bounded
 * time for the exit. The machine decides when to escalate; the shell (containers.ts) performs
 * the signals it asks for (signal.ts) and reports the exit conmon writes. A second StopContainer
 * with a shorter grace (the kubelet's force deletion: timeout 0) kills at once.
 */
import { assign, createActor, setup, type Actor } from 'xstate';
import type { Clock, Timer } from '../../base/clock.js';

/** How long after SIGKILL the exit may take before the stop reports failure. */
export const KILL_WAIT_MS = 10_000;

/** What the shell reports. */
export type StopEvent = { type: 'EXITED' } | { type: 'STOP'; graceMs: number };

/** The signals the machine asks the shell to send. */
export interface StopSignals {
  term(): void;
  kill(): void;
}

/** stopMachine — see the file comment. Final states: exited, stuck (no exit after KILL). */
export const stopMachine = setup({
  types: {
    context: {} as { graceMs: number; signals: StopSignals },
    events: {} as StopEvent,
    input: {} as { graceMs: number; signals: StopSignals },
  },
  actions: {
    term: ({ context }) => context.signals.term(),
    kill: ({ context }) => context.signals.kill(),
  },
  delays: {
    grace: ({ context }) => context.graceMs,
    killWait: KILL_WAIT_MS,
  },
  guards: {
    noGrace: ({ context }) => context.graceMs <= 0,
    immediate: ({ event }) => event.type === 'STOP' && event.graceMs <= 0,
  },
}).createMachine({
  id: 'runc-stop',
  context: ({ input }) => ({ graceMs: input.graceMs, signals: input.signals }),
  initial: 'begin',
  on: { EXITED: '.exited' },
  states: {
    begin: { always: [{ guard: 'noGrace', target: 'killing' }, { target: 'terminating' }] },
    terminating: {
      entry: 'term',
      after: { grace: 'killing' },
      on: {
        STOP: {
          guard: 'immediate', target: 'killing',
          actions: assign({ graceMs: 0 }),
        },
      },
    },
    killing: { entry: 'kill', after: { killWait: 'stuck' } },
    exited: { type: 'final' },
    stuck: { type: 'final' },
  },
});

/** StopActor is one running stop sequence. */
export type StopActor = Actor<typeof stopMachine>;

/** startStopActor starts a stop sequence wired to the shell's signals, timed on clock. The
 *  signals travel in the input: provide() would build a new machine per stop. */
export function startStopActor(graceMs: number, signals: StopSignals, clock: Clock): StopActor {
  const xclock = {
    setTimeout: (fn: () => void, delayMs: number): Timer => clock.setTimeout(fn, delayMs),
    clearTimeout: (timer: Timer) => timer.cancel(),
  };
  return createActor(stopMachine, { input: { graceMs, signals }, clock: xclock }).start();
}

/** stopOutcome resolves when the sequence ends: 'exited' or 'stuck'. */
export function stopOutcome(actor: StopActor): Promise<'exited' | 'stuck'> {
  return new Promise((resolve) => {
    const check = (): boolean => {
      const snap = actor.getSnapshot();
      if (snap.status !== 'done') return false;
      resolve(snap.value === 'exited' ? 'exited' : 'stuck');
      return true;
    };
    if (check()) return;
    const sub = actor.subscribe(() => {
      if (check()) sub.unsubscribe();
    });
  });
}
