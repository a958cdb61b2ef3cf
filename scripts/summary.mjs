// Prints the closing line CI reads ("tests: N passed, N failed, N skipped") from vitest's JSON report.
import { existsSync, readFileSync } from "node:fs";

const [file, started] = process.argv.slice(2);
if (!file || !existsSync(file)) {
  console.log("tests: 0 passed, 1 failed");
  console.error("no test report was written: the test runner did not finish");
  process.exit(1);
}
const r = JSON.parse(readFileSync(file, "utf8"));
const failed =
  r.numFailedTests +
  (r.numRuntimeErrorTestSuites ?? 0) +
  r.testResults.filter((s) => s.status === "failed" && s.assertionResults.length === 0).length;
const skipped = r.numPendingTests + r.numTodoTests;
if (started) console.error(`[test] total time ${Math.round(Date.now() / 1000 - Number(started))}s`);
console.log(`tests: ${r.numPassedTests} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || r.numPassedTests === 0 ? 1 : 0);
