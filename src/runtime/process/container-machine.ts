/**
 * A container's lifecycle as an XState machine: CREATED → RUNNING → EXITED, with the stop
 * sequence inside RUNNING's exit path (stop signal, the grace period as a delayed transition,
 * then SIGKILL). The machine decides which moves are legal and when to escalate; the shell
 * (container-process.ts) performs the signals it asks for and reports the process's exit.
 * Timers run on the injected Clock, so the grace period is testable without waiting.
 */
import { assign, createActor, setup, type Actor } from 'xstate';
import type { Clock } from '../../base/clock.js';
import { actorClock } from '../../base/actor-clock.js';

/** What the shell reports to the machine. */
export type ContainerEvent =
  | { type: 'STARTED' }
  | { type: 'START_FAILED' }
  | { type: 'STOP'; graceMs: number }
  | { type: 'EXITED' };

/** The signals the machine asks the shell to send to the container's process group. */
export interface ContainerSignals {
  term(): void;
  kill(): void;
}

/**
 * containerMachine — see the file comment. A STOP during the grace period with a shorter grace
 * (StopContainer with timeout 0 after one with 30, as the kubelet does on force deletion) kills
 * at once; a longer one does not extend the first.
 */
export const containerMachine = setup({
  types: {
    context: {} as {
      graceMs: number;
      initialPhase: 'created' | 'running' | 'exited';
      signals: ContainerSignals;
    },
    events: {} as ContainerEvent,
    input: {} as { phase: 'created' | 'running' | 'exited'; signals: ContainerSignals },
  },
  actions: {
    term: ({ context }) => context.signals.term(),
    kill: ({ context }) => context.signals.kill(),
  },
  delays: {
    grace: ({ context }) => context.graceMs,
  },
  guards: {
    immediate: ({ event }) => event.type === 'STOP' && event.graceMs <= 0,
    wasRunning: ({ context }) => context.initialPhase === 'running',
    wasExited: ({ context }) => context.initialPhase === 'exited',
  },
}).createMachine({
  id: 'process-container',
  context: ({ input }) => ({ graceMs: 0, initialPhase: input.phase, signals: input.signals }),
  initial: 'restore',
  states: {
    restore: {
      always: [
        { guard: 'wasRunning', target: 'running' },
        { guard: 'wasExited', target: 'exited' },
        { target: 'created' },
      ],
    },
    created: {
      on: { STARTED: 'running', START_FAILED: 'exited' },
    },
    running: {
      initial: 'serving',
      on: { EXITED: 'exited' },
      states: {
        serving: {
          on: {
            STOP: [
              { guard: 'immediate', target: 'killing' },
              {
                target: 'terminating',
                actions: assign({ graceMs: ({ event }) => graceOf(event) }),
              },
            ],
          },
        },
        terminating: {
          entry: 'term',
          after: { grace: 'killing' },
          on: { STOP: { guard: 'immediate', target: 'killing' } },
        },
        killing: { entry: 'kill' },
      },
    },
    exited: { type: 'final' },
  },
});

function graceOf(event: ContainerEvent): number {
  return event.type === 'STOP' ? event.graceMs : 0;
}

/** ContainerActor is a running container machine. */
export type ContainerActor = Actor<typeof containerMachine>;

/** startContainerActor starts a machine in the phase a record says, wired to the signals.
 *  The signals travel in the input, not through provide(): a provided machine is a new
 *  machine, built again per container (~0.1 ms of the runtime's CPU each, measured). */
export function startContainerActor(
  phase: 'created' | 'running' | 'exited',
  signals: ContainerSignals,
  clock: Clock,
): ContainerActor {
  return createActor(containerMachine, { input: { phase, signals }, clock: actorClock(clock) })
    .start();
}
