/**
 * Chaos entry point: `npm run chaos -- [--name N] [--rounds R] [--seed S] [--writers W]` against a
 * group started with `npm start` / `k8ts up`. Exits 1 and prints the seed when a check fails.
 */
import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import { systemClock } from '../src/base/clock.js';
import { Supervisor } from '../src/cluster/supervisor.js';
import { runMemberFaults } from './member-faults.js';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      name: { type: 'string', default: 'default' },
      rounds: { type: 'string', default: '10' },
      seed: { type: 'string' },
      writers: { type: 'string', default: '4' },
    },
  });
  const seed = values.seed ? Number(values.seed) : randomInt(2 ** 31);
  const rounds = Number(values.rounds);
  const writers = Number(values.writers);
  if (!(rounds > 0 && rounds <= 1000 && writers > 0 && writers <= 64 && Number.isInteger(seed))) {
    console.error('chaos: --rounds must be 1..1000, --writers 1..64, --seed an integer');
    return 2;
  }
  const sup = Supervisor.open(values.name!, { clock: systemClock, log: () => {} });
  console.log(`chaos member-faults on cluster ${values.name}: ${rounds} rounds, ${writers} writers, seed ${seed}`);
  const r = await runMemberFaults(sup, { rounds, seed, writers, log: (l) => console.log(l) });
  console.log(`writes: ${r.acked} acknowledged, ${r.refused} refused (never appended), ${r.unknown} unknown; applied during the run: ${r.appliedDuringRun}`);
  if (r.problems.length > 0) {
    for (const p of r.problems) console.error(`FAIL: ${p}`);
    console.error(`replay the fault schedule with: npm run chaos -- --name ${values.name} --rounds ${rounds} --seed ${seed}`);
    return 1;
  }
  console.log('OK: every member converged to the same state; no acknowledged write was lost');
  return 0;
}

main().then((code) => process.exit(code), (e: unknown) => {
  console.error(`chaos: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
