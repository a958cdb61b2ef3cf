// One rule set, and only what a reader of the code cannot check at a glance: the pure libraries (folds, names,
// placement and the planners) import nothing with effects and never read the clock, randomness or the
// environment, so the same log folds to the same state everywhere. Layout is prettier's business, not ESLint's.
// `npm run lint`; scripts/test.sh runs it before the tests.
import { builtinModules } from "node:module";
import tsParser from "@typescript-eslint/parser";

// A new pure library or planner joins this list.
const PURE = [
  "libs/state/src/**/*.ts",
  "libs/status/src/**/*.ts",
  "libs/placement/src/**/*.ts",
  "libs/names/src/**/*.ts",
  "libs/dnsplan/src/**/*.ts",
  "libs/rbac/src/**/*.ts",
];
const EFFECTS = "pure code gets time, uids, offsets and I/O as inputs (docs/architecture.md, Pure libraries)";

export default [
  { ignores: ["**/node_modules/", "**/dist/", ".run/", "services/ingest/proto/", "services/ingest/openapi/"] },
  {
    files: PURE,
    // Tests read fixtures and hash with node:crypto to check the pure code; they are not part of it.
    ignores: ["**/*.test.ts"],
    languageOptions: { parser: tsParser, sourceType: "module" },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [...builtinModules, "kafkajs", "@kubernetes/client-node", "pino"].map((name) => ({
            name,
            message: EFFECTS,
          })),
          patterns: [{ group: ["node:*", "kafkajs/*", "@kubernetes/client-node/*", "pino/*"], message: EFFECTS }],
        },
      ],
      "no-restricted-globals": [
        "error",
        ...["process", "fetch", "setTimeout", "setInterval", "crypto", "performance"].map((name) => ({
          name,
          message: EFFECTS,
        })),
      ],
      "no-restricted-properties": [
        "error",
        { object: "Date", property: "now", message: EFFECTS },
        { object: "Math", property: "random", message: EFFECTS },
      ],
      "no-restricted-syntax": [
        "error",
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: `new Date() reads the clock: ${EFFECTS}`,
        },
        { selector: "ImportExpression", message: `a dynamic import hides what is loaded: ${EFFECTS}` },
        { selector: "CallExpression[callee.name='require']", message: EFFECTS },
      ],
    },
  },
];
