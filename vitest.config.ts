import { defineConfig, configDefaults } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Re-recording the bundled example is a deliberate act, not a test.
    exclude: [...configDefaults.exclude, ...(process.env.NFTWASM_RECORD_EXAMPLE ? [] : ['test/kernel/record-example.test.ts'])],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
