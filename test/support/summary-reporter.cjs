// Spec reporter that ends the run with the line CI reads: "N passed, N failed[, N skipped]".
'use strict';
const Mocha = require('mocha');
const { EVENT_RUN_END } = Mocha.Runner.constants;

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats ?? { passes: 0, failures: 0, pending: 0 };
      let line = `${s.passes} passed, ${s.failures} failed`;
      if (s.pending > 0) line += `, ${s.pending} skipped`;
      process.stdout.write(`\n${line}\n`);
    });
  }
}
module.exports = SummaryReporter;
