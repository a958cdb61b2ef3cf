import { Resolver } from "node:dns/promises";
import { describe, expect, it } from "vitest";
import { env, uniqueName } from "./helpers.ts";

/** Writes a key through etcd's v3 JSON gateway (keys and values are base64 there). */
async function etcdPut(endpoint: string, key: string, value: string): Promise<void> {
  const res = await fetch(`${endpoint}/v3/kv/put`, {
    method: "POST",
    body: JSON.stringify({ key: Buffer.from(key).toString("base64"), value: Buffer.from(value).toString("base64") }),
  });
  expect(res.status).toBe(200);
}

describe("CoreDNS with the etcd plugin", () => {
  it("answers an A record over UDP from a SkyDNS record put in etcd", async () => {
    const e = env();
    const dns = e.coredns!;
    const label = uniqueName("www");
    // SkyDNS keys are the name's labels reversed under the prefix: www.kubefed.test. -> /skydns/test/kubefed/www
    const labels = `${label}.${dns.zone}`.replace(/\.$/, "").split(".").reverse();
    await etcdPut(
      e.etcd.endpoint,
      `${dns.etcdPrefix}/${labels.join("/")}`,
      JSON.stringify({ host: "192.0.2.17", ttl: 30 }),
    );

    const resolver = new Resolver({ timeout: 2000, tries: 2 });
    resolver.setServers([`127.0.0.1:${dns.port}`]);
    const answer = await resolver.resolve4(`${label}.${dns.zone}`, { ttl: true });
    expect(answer).toEqual([{ address: "192.0.2.17", ttl: 30 }]);
    await expect(resolver.resolve4(`missing-${label}.${dns.zone}`)).rejects.toMatchObject({ code: "ENOTFOUND" });
  });
});
