// The keys and certificates init generates: a CA for the federation API, its serving certificate (naming the
// Service's DNS names and the address clients use), the admin's token and password, the Secret keyring and the
// embedded Kafka's cluster id. The only randomness of init lives here.
import { randomBytes } from "node:crypto";
import { isIP } from "node:net";
import { generate } from "selfsigned";
import { HOST_NAMESPACE, hostedNames } from "@kubefed/names";
import type { Material } from "./objects.ts";

const YEAR_MS = 365 * 24 * 3600 * 1000;
const random = (bytes: number): string => randomBytes(bytes).toString("base64url");

/** The names the serving certificate covers: in-cluster DNS names of the Service, loopback, and the address. */
export function servingNames(federation: string, address: string | undefined): { dns: string[]; ips: string[] } {
  const service = hostedNames(federation).apiserver;
  const dns = [
    service,
    `${service}.${HOST_NAMESPACE}`,
    `${service}.${HOST_NAMESPACE}.svc`,
    `${service}.${HOST_NAMESPACE}.svc.cluster.local`,
    "localhost",
  ];
  const ips = ["127.0.0.1"];
  if (address !== undefined) (isIP(address) === 0 ? dns : ips).push(address);
  return { dns, ips };
}

export async function generateMaterial(
  federation: string,
  address: string | undefined,
  auth: { readonly token: boolean; readonly basic: boolean },
  now = new Date(),
): Promise<Material> {
  const ca = await generate([{ name: "commonName", value: `${federation}-federation-ca` }], {
    keyType: "ec",
    algorithm: "sha256",
    notBeforeDate: now,
    notAfterDate: new Date(now.getTime() + 10 * YEAR_MS),
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const names = servingNames(federation, address);
  const serving = await generate([{ name: "commonName", value: hostedNames(federation).apiserver }], {
    keyType: "ec",
    algorithm: "sha256",
    notBeforeDate: now,
    notAfterDate: new Date(now.getTime() + YEAR_MS),
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          ...names.dns.map((value) => ({ type: 2 as const, value })),
          ...names.ips.map((ip) => ({ type: 7 as const, ip })),
        ],
      },
    ],
  });
  return {
    ca: { cert: ca.cert, key: ca.private },
    serving: { cert: serving.cert, key: serving.private },
    adminToken: auth.token ? random(32) : undefined,
    adminPassword: auth.basic ? random(24) : undefined,
    keyring: JSON.stringify({ primary: "init-1", keys: { "init-1": randomBytes(32).toString("base64") } }),
    kafkaClusterId: random(16),
  };
}
