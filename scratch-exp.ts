import { readFileSync } from "node:fs";
import { Agent, request } from "node:https";
import { startEnvironment, startFederation } from "@kubefed/localenv";
const env = await startEnvironment({ members: ["x1"], coredns: false, opa: false });
process.env.KUBEFED_CPU_PROFILE_DIR = "/tmp/prof";
const fed = await startFederation(env.info, "exp");
delete process.env.KUBEFED_CPU_PROFILE_DIR;
const agent = new Agent({ keepAlive: true, ca: readFileSync(fed.caFile) });
const call = (method: string, path: string, body: unknown) => new Promise<void>((res, rej) => {
  const text = JSON.stringify(body);
  const req = request(`${fed.url}${path}`, { method, agent, headers: { authorization: `Bearer ${fed.token}`, "content-type": "application/json", "content-length": Buffer.byteLength(text) } }, (r) => { r.resume(); r.on("end", () => (r.statusCode! >= 300 ? rej(new Error(String(r.statusCode))) : res())); });
  req.on("error", rej); req.end(text);
});
await call("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "b" } });
for (const par of [1, 4, 16]) {
  let next = 0; const n = 600; const t0 = performance.now();
  await Promise.all(Array.from({ length: par }, async () => { while (next < n) { const i = next++; await call("POST", "/api/v1/namespaces/b/configmaps", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `p${par}-${i}` }, data: { a: "b" } }); } }));
  console.log(`parallel ${par}: ${(n / ((performance.now() - t0) / 1000)).toFixed(0)} writes/s`);
}
await fed.stop(); await env.stop(); process.exit(0);
