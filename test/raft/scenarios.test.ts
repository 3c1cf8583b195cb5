/**
 * Golden-file scenarios for the Raft core (etcd-io/raft testdata style): each file under
 * test/raft/scenarios/ is a script of commands with the output each must produce. A behaviour
 * change shows up as a diff of a readable exchange; `UPDATE_GOLDEN=1 npm test` rewrites the files
 * (then read the diff before committing it).
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runScenario } from '../../src/sim/script.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), 'scenarios');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

describe('raft scenarios (golden files)', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.txt')).sort();

  it('has scenarios to run', () => {
    assert.ok(files.length >= 5, `only ${files.length} scenario files`);
  });

  for (const file of files) {
    it(file.replace(/\.txt$/, ''), () => {
      const path = join(DIR, file);
      const text = readFileSync(path, 'utf8');
      const { actual, blocks } = runScenario(text);
      if (UPDATE) {
        writeFileSync(path, actual);
        return;
      }
      assert.ok(blocks.every((b) => b.expected.length > 0), `${file}: a command has no expected output; run with UPDATE_GOLDEN=1`);
      assert.equal(actual, text, `${file} differs from its golden output (UPDATE_GOLDEN=1 rewrites)`);
    });
  }
});
