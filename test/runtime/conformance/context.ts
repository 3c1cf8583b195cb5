/**
 * The handle each section of the conformance suite gets: the runtime and image of the current
 * run and the per-test tracker. Getters, because mocha registers tests before `before` starts
 * the runtime.
 */
import type { CriRuntime } from '../../../src/kubelet/cri/types.js';
import type { Tracker } from './fixtures.js';

/** What a section of the suite reads while its tests run. */
export interface SuiteContext {
  cri(): CriRuntime;
  image(): string;
  tracker(): Tracker;
}
