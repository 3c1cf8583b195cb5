/**
 * RunningFrontend is a frontend's live listener, whatever its protocol: the proxier keeps one per
 * frontend key, hands it new backends as the API changes, and closes it when the Service port
 * goes away.
 */
import type { Frontend } from './frontends.js';

export interface RunningFrontend {
  readonly key: string;
  /** update gives the listener its frontend's new backends (and affinity); the socket stays. */
  update(f: Frontend): void;
  /** close stops listening and cuts the connections or sessions it carries. */
  close(): Promise<void>;
}
