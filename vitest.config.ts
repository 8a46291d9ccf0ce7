import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Child-process and lock-contention tests are real; give them room on a 2-core CI box.
    testTimeout: 60_000,
    hookTimeout: 30_000,
    pool: "forks",
    maxWorkers: 2,
    env: { NO_COLOR: "1" },
  },
});
