// Ends every run with one plain line, `N passed, N failed, N skipped`, which
// CI reads. Under CI=true a skipped test is a failure: CI installs everything
// the tests need, so a skip there means something is missing.
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    const skipped: string[] = [];
    for (const mod of modules) {
      if (mod.state() === 'failed' && [...mod.children.allTests()].length === 0) failed++;
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped.push(`${mod.moduleId.replace(process.cwd() + '/', '')} > ${test.fullName}`);
      }
    }
    if (process.env.CI && skipped.length > 0) {
      process.stdout.write(`\nSkipped under CI (each counts as failed):\n${skipped.map((s) => `  ${s}`).join('\n')}\n`);
      failed += skipped.length;
      process.exitCode = 1;
    }
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped.length} skipped\n`);
  }
}
