import { defineConfig } from "vitest/config";

// Two tiers: unit tests sit beside the code and start no process; integration tests under test/
// share ONE local environment (Kafka, etcd, member kube-apiservers, CoreDNS, OPA) per run via globalSetup.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: [
            "libs/*/src/**/*.test.ts",
            "services/*/src/**/*.test.ts",
            "cli/src/**/*.test.ts",
            "test/unit/**/*.test.ts",
          ],
          environment: "node",
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          environment: "node",
          globalSetup: ["test/integration/global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // One shared environment on 2 cores: run files one after another.
          fileParallelism: false,
        },
      },
    ],
  },
});
