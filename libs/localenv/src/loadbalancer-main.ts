/**
 * The loopback load balancer's process: `node --import tsx loadbalancer-main.ts <config.json>`, the config
 * holding the port of its /readyz and the members (see startLoadBalancer). /readyz answers 200 once every
 * member's Services were listed and settled.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { MemberLoadBalancer, type LoadBalancedMember } from "./loadbalancer.ts";

const config = JSON.parse(readFileSync(process.argv[2] ?? "", "utf8")) as {
  port: number;
  members: LoadBalancedMember[];
};
const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);
const controllers = config.members.map((m) => new MemberLoadBalancer(m, log));
let ready = false;
void Promise.all(controllers.map((c) => c.synced)).then(() => {
  ready = true;
  log(`serving ${config.members.map((m) => `${m.name} (${m.range}.0.0/16)`).join(", ")}`);
});
for (const c of controllers) void c.run();
createServer((req, res) => res.writeHead(req.url === "/readyz" && ready ? 200 : 503).end()).listen(
  config.port,
  "127.0.0.1",
);
for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => process.exit(0));
