/**
 * The member's role as an XState machine. It owns which role changes are legal; the core asks it
 * before every change and an illegal one (leader → candidate, follower → leader) is a bug that
 * crashes. The hot paths never run through the machine: only role changes do, a few per election.
 * No delays or timers: time reaches the core as ticks, so the machine stays deterministic.
 */
import { createActor, setup, type Actor } from 'xstate';
import { AssertionError } from '../../base/assert.js';
import type { Role } from '../core/types.js';

export type RoleEvent =
  | { type: 'BECOME_FOLLOWER' }
  | { type: 'BECOME_PRE_CANDIDATE' }
  | { type: 'BECOME_CANDIDATE' }
  | { type: 'BECOME_LEADER' };

export const roleMachine = setup({
  types: { events: {} as RoleEvent },
}).createMachine({
  id: 'raft-role',
  initial: 'follower',
  states: {
    follower: {
      on: {
        BECOME_FOLLOWER: { target: 'follower', reenter: true },
        BECOME_PRE_CANDIDATE: 'pre-candidate',
        BECOME_CANDIDATE: 'candidate',
      },
    },
    'pre-candidate': {
      on: {
        BECOME_FOLLOWER: 'follower',
        BECOME_PRE_CANDIDATE: { target: 'pre-candidate', reenter: true },
        BECOME_CANDIDATE: 'candidate',
      },
    },
    candidate: {
      on: {
        BECOME_FOLLOWER: 'follower',
        // A candidate whose election timed out starts over with a pre-election when PreVote is on
        // (etcd-io/raft allows every role but leader to become pre-candidate).
        BECOME_PRE_CANDIDATE: 'pre-candidate',
        BECOME_CANDIDATE: { target: 'candidate', reenter: true },
        BECOME_LEADER: 'leader',
      },
    },
    leader: {
      on: { BECOME_FOLLOWER: 'follower' },
    },
  },
});

const EVENT_OF: Record<Role, RoleEvent['type']> = {
  follower: 'BECOME_FOLLOWER',
  'pre-candidate': 'BECOME_PRE_CANDIDATE',
  candidate: 'BECOME_CANDIDATE',
  leader: 'BECOME_LEADER',
};

/** RoleTracker holds one running role actor and applies checked transitions. */
export class RoleTracker {
  private readonly actor: Actor<typeof roleMachine>;
  private current: Role = 'follower';

  constructor() {
    this.actor = createActor(roleMachine).start();
  }

  get role(): Role {
    return this.current;
  }

  /** become moves to role, crashing on a transition the machine does not allow. */
  become(role: Role): void {
    const event = { type: EVENT_OF[role] } as RoleEvent;
    const snap = this.actor.getSnapshot();
    if (!snap.can(event)) {
      throw new AssertionError(`invalid role transition [${this.current} -> ${role}]`);
    }
    this.actor.send(event);
    this.current = this.actor.getSnapshot().value as Role;
  }
}
