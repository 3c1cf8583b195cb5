/**
 * Launch: how a component's process is started — the node arguments before the component's own
 * flags. Two ways: the precompiled bundle (one ESM file per entry point, its npm dependencies
 * inside; ~0.1 s of CPU to load) or, when no bundle could be built, the TypeScript entry point
 * through tsx (~0.8 s of CPU to load). Both run from the repo directory; both keep the entry's
 * path stem (src/cluster/member-main) in the command line, which is how a pid is recognised as
 * that component's (processes.ts isComponentProcess).
 */
import { join } from 'node:path';
import { ENTRY_POINTS, type Component } from './entry-points.js';

/** Launch gives the node arguments that start a component. */
export interface Launch {
  /** What it is, for log lines ("bundle <dir>", "tsx"). */
  readonly label: string;
  /** nodeArgs: the arguments after the node binary, up to (and including) the entry file. */
  nodeArgs(c: Component): string[];
}

/**
 * COMPONENT_NODE_ARGS: what every component process gets from node, both launches.
 * --single-threaded-gc: a cluster on one machine is ~20 Node processes, and V8 gives each its own
 * parallel-scavenge and concurrent-marking helper threads, which then contend for the same few
 * cores. Measured on 2 cores (docs/benchmarks.md, "Nodes", ninth session; 6 pairs alternating):
 * a 100-pod burst's CPU per pod net of idle 14.8 → 12.6 ms (lower in every pair), p99 1,120 →
 * 973 ms (median); the 1,000-hollow-node run (API servers of ~4 GiB heap) 143 → 157 s, within
 * that run's spread. K8TS_NODE_ARGS adds to these.
 */
export const COMPONENT_NODE_ARGS: readonly string[] = ['--single-threaded-gc'];

/**
 * LATE_OPTIMIZING: the node agents (kubelet, runtime, kube-proxy), whose V8 optimizes a function
 * only after 16 times the usual interrupt budget (--interrupt-budget, 66 KiB of bytecode executed
 * by default). Their work comes in bursts, and in a burst soon after start TurboFan compiling was
 * ~30 % of the kubelet's and the runtime's CPU (perf, node-burst-micro, 2026-11-25), on threads
 * that contend with every other process for 2 cores; what it optimized paid that back only
 * bursts later. On every component the flag cut a cold cluster's 100-pod burst from ~1,000 to
 * ~750 ms p99, but the processes that run hot loops under steady load paid for it: the store
 * (store bench at 1 in flight 0.59x instead of 0.90x of etcd), the scheduler (10,000-pod
 * scheduling 1,356 instead of 1,531 pods/s) and the API servers and controller managers (30,000
 * hollow pods Running in 189-193 s instead of 149 s, even at 4x) — so only the agents get it.
 * A/Bs in docs/benchmarks.md ("Nodes", session of 2026-11-25). K8TS_LATE_OPT (comma-separated
 * components, or "none") and K8TS_LATE_OPT_BUDGET override the set and the budget for
 * experiments.
 */
const LATE_OPTIMIZING: ReadonlySet<Component> = new Set(
  (process.env.K8TS_LATE_OPT ?? 'kubelet,runtime,proxy')
    .split(',').filter((c) => c !== '' && c !== 'none') as Component[]);

/** LATE_OPT_BUDGET: 16 x V8's default interrupt budget (66 KiB = 67584 bytes). */
const LATE_OPT_BUDGET = Number(process.env.K8TS_LATE_OPT_BUDGET ?? 16 * 67584);
const LATE_OPT_ARGS: readonly string[] = [`--interrupt-budget=${LATE_OPT_BUDGET}`];

/** componentNodeArgs: the node arguments component c runs with (both launches). */
export function componentNodeArgs(c: Component): readonly string[] {
  return LATE_OPTIMIZING.has(c) ? [...COMPONENT_NODE_ARGS, ...LATE_OPT_ARGS] : COMPONENT_NODE_ARGS;
}

/** TSX_LAUNCH runs the TypeScript entry point through tsx's loader (the fallback). */
export const TSX_LAUNCH: Launch = {
  label: 'tsx',
  nodeArgs: (c) => [...componentNodeArgs(c), '--import', 'tsx', ENTRY_POINTS[c]],
};

/** bundleLaunch runs the bundle's file for the entry point. Not with --enable-source-maps: node
 *  would parse every map at startup (whole-up CPU 14.2–15.2 s with it, 10.0–12.4 s without, A/B
 *  under load); fatal traces are mapped when printed (stack-map.ts), and K8TS_NODE_ARGS=
 *  --enable-source-maps maps every trace. */
export function bundleLaunch(dir: string): Launch {
  return {
    label: `bundle ${dir}`,
    nodeArgs: (c) => [...componentNodeArgs(c), join(dir, bundledPath(ENTRY_POINTS[c]))],
  };
}

/** bundledPath: where the bundler writes an entry point, relative to the bundle's directory
 *  (the same path with .mjs for .ts, so the path stem stays). */
export function bundledPath(entry: string): string {
  return `${entryStem(entry)}.mjs`;
}

/** entryStem: the part of an entry point's path both launches put on the command line. */
export function entryStem(entry: string): string {
  return entry.replace(/\.ts$/, '');
}

/** withNodeArgs: the launch with extra node arguments before the entry (K8TS_NODE_ARGS, e.g.
 *  "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile every component: node refuses --cpu-prof in
 *  NODE_OPTIONS). */
export function withNodeArgs(launch: Launch, extra: readonly string[]): Launch {
  if (extra.length === 0) return launch;
  return {
    label: `${launch.label} ${extra.join(' ')}`,
    nodeArgs: (c) => [...extra, ...launch.nodeArgs(c)],
  };
}
