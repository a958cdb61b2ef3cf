// The environment's loopback load balancer, on a member directly: an address from the member's range for each
// LoadBalancer Service, the same one again for the same Service, gone when the type changes; Services with a
// loadBalancerClass are someone else's.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inRange, memberRange } from "@kubefed/localenv";
import { env, uniqueName } from "./helpers.ts";
import { eventually, memberctl } from "./propagation-helpers.ts";

const ns = uniqueName("lb");
const member = () => env().members[0]!.name;
const range = () => memberRange(0);
const k = (args: string[], input?: string) => memberctl(member(), ["-n", ns, ...args], input);

const service = (name: string, extra = "") => `apiVersion: v1
kind: Service
metadata: {name: ${name}}
spec:
  type: LoadBalancer
  selector: {app: ${name}}
  ports: [{port: 80}]
${extra}`;

async function ingress(name: string): Promise<string[]> {
  const { stdout } = await k(["get", "service", name, "-o", "json"]);
  return (
    (JSON.parse(stdout) as { status?: { loadBalancer?: { ingress?: { ip: string }[] } } }).status?.loadBalancer
      ?.ingress ?? []
  ).map((i) => i.ip);
}

beforeAll(async () => {
  await memberctl(member(), ["create", "namespace", ns]);
});

afterAll(async () => {
  await memberctl(member(), ["delete", "namespace", ns, "--wait=false"]).catch(() => undefined);
});

describe("the loopback load balancer", () => {
  it("reports its ranges, one per member on 127.0.0.0/8", () => {
    expect(env().loadBalancer?.ranges).toEqual(
      Object.fromEntries(env().members.map((m, i) => [m.name, `${memberRange(i)}.0.0/16`])),
    );
  });

  it("gives a LoadBalancer Service an address of its member's range, takes it back when the type changes, and gives the same one again", async () => {
    await k(["apply", "-f", "-"], service("front"));
    const first = await eventually(async () => {
      const ips = await ingress("front");
      expect(ips).toHaveLength(1);
      return ips[0]!;
    });
    expect(inRange(range(), first)).toBe(true);

    await k(["patch", "service", "front", "--type=merge", "-p", '{"spec":{"type":"ClusterIP"}}']);
    await eventually(async () => expect(await ingress("front")).toEqual([]));

    await k(["patch", "service", "front", "--type=merge", "-p", '{"spec":{"type":"LoadBalancer"}}']);
    await eventually(async () => expect(await ingress("front")).toEqual([first]));

    // Deleted and created again: the address is derived from the name, so it comes back too.
    await k(["delete", "service", "front"]);
    await k(["apply", "-f", "-"], service("front"));
    await eventually(async () => expect(await ingress("front")).toEqual([first]));
  });

  it("gives two Services two addresses", async () => {
    await k(["apply", "-f", "-"], `${service("left")}---\n${service("right")}`);
    const ips = await eventually(async () => {
      const both = [...(await ingress("left")), ...(await ingress("right"))];
      expect(both).toHaveLength(2);
      return both;
    });
    expect(new Set(ips).size).toBe(2);
  });

  it("leaves a Service with a loadBalancerClass alone: its ingress is set by hand", async () => {
    await k(["apply", "-f", "-"], service("classy", "  loadBalancerClass: example.com/other\n"));
    // A later Service's address is the signal that the controller has seen the first one.
    await k(["apply", "-f", "-"], service("after"));
    await eventually(async () => expect(await ingress("after")).toHaveLength(1));
    expect(await ingress("classy")).toEqual([]);
    await k([
      "patch",
      "service",
      "classy",
      "--subresource=status",
      "--type=merge",
      "-p",
      '{"status":{"loadBalancer":{"ingress":[{"ip":"203.0.113.7"}]}}}',
    ]);
    await k(["patch", "service", "after", "--type=merge", "-p", '{"spec":{"type":"ClusterIP"}}']);
    await eventually(async () => expect(await ingress("after")).toEqual([]));
    expect(await ingress("classy")).toEqual(["203.0.113.7"]);
  });
});
