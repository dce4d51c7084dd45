const fs = require('node:fs');
const path = require('node:path');

/**
 * Writes this package's test counts to $SIS_TEST_TOTALS_DIR/<package>.json, so that
 * scripts/test.sh can print one "N passed, N failed" line for the whole workspace.
 */
class TotalsReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    const dir = process.env.SIS_TEST_TOTALS_DIR;
    if (!dir) return;
    fs.mkdirSync(dir, { recursive: true });
    const name = path.basename(this.rootDir);
    const totals = { passed: results.numPassedTests, failed: results.numFailedTests + results.numRuntimeErrorTestSuites, skipped: results.numPendingTests };
    fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(totals));
  }
}

module.exports = TotalsReporter;
