import { describe, expect, it } from "vitest";
import { resolverConfig, type ResolverConfigOptions } from "./dns.ts";

const OPTS: ResolverConfigOptions = {
  name: "member1",
  hostClusterContext: "federation",
  kubeconfig: "/nonexistent/kubeconfig",
  federationName: "myfed",
  dnsZoneName: "example.com.",
  dnsServer: "10.0.0.53:53",
  listen: ":53",
};

describe("kubefed dns resolver-config refuses bad input before reading anything", () => {
  const cases: [Partial<ResolverConfigOptions>, string][] = [
    [
      { dnsZoneName: "example.com" },
      `--dns-zone-name "example.com" must be a fully qualified DNS name ending with '.'`,
    ],
    [{ federationName: "My_Fed" }, `invalid --federation-name "My_Fed"`],
    [{ name: "Member 1" }, `invalid member name "Member 1"`],
    [{ dnsServer: "10.0.0.53:53:1" }, `--dns-server "10.0.0.53:53:1" must be host or host:port`],
    [{ listen: "53" }, `--listen "53" must be [address]:port`],
  ];
  for (const [bad, message] of cases)
    it(`refuses ${JSON.stringify(bad)}`, async () => {
      await expect(resolverConfig({ ...OPTS, ...bad })).rejects.toThrow(message);
    });

  it("names the kubeconfig it cannot read", async () => {
    await expect(resolverConfig(OPTS)).rejects.toThrow("cannot read the kubeconfig /nonexistent/kubeconfig");
  });
});
