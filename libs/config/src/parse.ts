// Text-to-value parsers for configuration variables. Each returns either the value or a sentence saying what
// is allowed, so the loader can name the variable and collect every problem before throwing once.
import { isIP } from "node:net";

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly allowed: string };
export type Parser<T> = (text: string) => Parsed<T>;

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = (allowed: string): Parsed<never> => ({ ok: false, allowed });

export const text =
  (allowed = "must not be empty"): Parser<string> =>
  (raw) =>
    raw.length > 0 ? ok(raw) : fail(allowed);

export const integer =
  (min: number, max: number = Number.MAX_SAFE_INTEGER): Parser<number> =>
  (raw) => {
    const allowed =
      max === Number.MAX_SAFE_INTEGER ? `must be an integer >= ${min}` : `must be an integer from ${min} to ${max}`;
    if (!/^-?\d+$/.test(raw)) return fail(allowed);
    const n = Number(raw);
    return Number.isSafeInteger(n) && n >= min && n <= max ? ok(n) : fail(allowed);
  };

/** A setting with one supported value for now; `why` says what another value would break. */
export const onlyValue =
  (value: number, why: string): Parser<number> =>
  (raw) =>
    raw.trim() === String(value) ? ok(value) : fail(`must be ${value}: ${why}`);

// 0 is allowed for listening ports: it asks the OS for a free port, which in-process tests rely on.
export const listenPort: Parser<number> = (raw) => {
  const parsed = integer(0, 65535)(raw);
  return parsed.ok ? parsed : fail("must be a port number from 1 to 65535 (0 = any free port)");
};

export const boolean: Parser<boolean> = (raw) => {
  const lower = raw.toLowerCase();
  if (lower === "true" || lower === "1") return ok(true);
  if (lower === "false" || lower === "0") return ok(false);
  return fail('must be "true" or "false"');
};

export const oneOf =
  <const T extends string>(values: readonly T[]): Parser<T> =>
  (raw) =>
    (values as readonly string[]).includes(raw) ? ok(raw as T) : fail(`must be one of: ${values.join(", ")}`);

const DURATION_UNITS_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

// Go's duration syntax ("500ms", "2s", "1h30m"), as kube tooling uses it; the unit is mandatory so that
// "10" cannot silently mean seconds to one reader and milliseconds to another.
export const duration: Parser<number> = (raw) => {
  const allowed = 'must be a positive duration such as "500ms", "2s", "10m" or "1h30m"';
  if (!/^(\d+(ms|s|m|h))+$/.test(raw)) return fail(allowed);
  let total = 0;
  for (const match of raw.matchAll(/(\d+)(ms|s|m|h)/g)) {
    const unit = match[2] as keyof typeof DURATION_UNITS_MS;
    total += Number(match[1]) * DURATION_UNITS_MS[unit];
  }
  return total > 0 && Number.isSafeInteger(total) ? ok(total) : fail(allowed);
};

const BYTE_SUFFIXES = { "": 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 } as const;

// Kubernetes quantity style with binary suffixes only: "3Mi" is what kube-apiserver documents for its body limit.
export const byteSize: Parser<number> = (raw) => {
  const allowed = 'must be a positive byte count, optionally with suffix Ki, Mi or Gi (e.g. "3145728" or "3Mi")';
  const match = /^(\d+)(Ki|Mi|Gi)?$/.exec(raw);
  if (!match) return fail(allowed);
  const bytes = Number(match[1]) * BYTE_SUFFIXES[(match[2] ?? "") as keyof typeof BYTE_SUFFIXES];
  return bytes > 0 && Number.isSafeInteger(bytes) ? ok(bytes) : fail(allowed);
};

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const isDns1123Label = (s: string): boolean => s.length <= 63 && DNS1123_LABEL.test(s);

export const dns1123Label: Parser<string> = (raw) =>
  isDns1123Label(raw)
    ? ok(raw)
    : fail(
        "must be a DNS-1123 label: at most 63 lowercase letters, digits or '-', starting and ending with a letter or digit",
      );

// Kubernetes object names (clusters are objects of the federation API).
export const dns1123Subdomain: Parser<string> = (raw) =>
  raw.length <= 253 && raw.split(".").every(isDns1123Label)
    ? ok(raw)
    : fail("must be a DNS-1123 subdomain: dot-separated DNS-1123 labels, at most 253 characters");

// Kubernetes label values, because a region is matched against the clusters' topology.kubernetes.io/region label.
export const labelValue: Parser<string> = (raw) =>
  raw.length <= 63 && /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(raw)
    ? ok(raw)
    : fail(
        "must be a Kubernetes label value: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
      );

const HOSTNAME_LABEL = /^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?$/;
const isHostname = (s: string): boolean =>
  s.length > 0 && s.length <= 253 && s.split(".").every((l) => l.length <= 63 && HOSTNAME_LABEL.test(l));

// A zone must be fully qualified: the design takes its trailing '.' from kubefed init's --dns-zone-name.
export const zoneName: Parser<string> = (raw) =>
  raw.endsWith(".") && raw !== "." && isHostname(raw.slice(0, -1))
    ? ok(raw.toLowerCase())
    : fail("must be a fully qualified DNS name ending with '.', e.g. \"example.com.\"");

// TSIG key names are domain names; BIND writes them with or without the trailing dot.
export const domainName: Parser<string> = (raw) =>
  isHostname(raw.endsWith(".") ? raw.slice(0, -1) : raw) ? ok(raw) : fail('must be a domain name, e.g. "kubefed-key."');

export const ipAddress: Parser<string> = (raw) =>
  isIP(raw) !== 0 ? ok(raw) : fail('must be an IPv4 or IPv6 address, e.g. "0.0.0.0" or "::"');

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

// "host:port" or "[ipv6]:port"; defaultPort makes the port optional (DNS servers are on 53 unless said otherwise).
export const hostPort =
  (defaultPort?: number): Parser<HostPort> =>
  (raw) => {
    const allowed =
      defaultPort === undefined
        ? 'must be "host:port" (IPv6 as "[::1]:port") with a port from 1 to 65535'
        : `must be "host" or "host:port" (IPv6 as "[::1]:port"), port 1-65535, default ${defaultPort}`;
    const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+))(?::(\d+))?$/.exec(raw);
    if (!match) return fail(allowed);
    const host = match[1] ?? match[2] ?? "";
    if (match[1] !== undefined && isIP(host) !== 6) return fail(allowed);
    if (match[2] !== undefined && isIP(host) === 0 && !isHostname(host)) return fail(allowed);
    const port = match[3] === undefined ? defaultPort : Number(match[3]);
    if (port === undefined || !Number.isInteger(port) || port < 1 || port > 65535) return fail(allowed);
    return ok({ host, port });
  };

export const formatHostPort = ({ host, port }: HostPort): string =>
  `${host.includes(":") ? `[${host}]` : host}:${port}`;

export const httpUrl: Parser<string> = (raw) => {
  const allowed = 'must be an http:// or https:// URL, e.g. "http://etcd:2379"';
  try {
    const url = new URL(raw);
    return url.protocol === "http:" || url.protocol === "https:" ? ok(raw) : fail(allowed);
  } catch {
    return fail(allowed);
  }
};

// An absolute key prefix without a trailing '/', the form CoreDNS's etcd plugin expects for `path`.
export const etcdPrefix: Parser<string> = (raw) =>
  /^(\/[^/\s]+)+$/.test(raw) ? ok(raw) : fail('must be an absolute key prefix without trailing "/", e.g. "/skydns"');

// Comma-separated list of items that each parse with `item`; blanks around commas are ignored, empty items are not.
export const list =
  <T>(item: Parser<T>, { unique = false }: { unique?: boolean } = {}): Parser<readonly T[]> =>
  (raw) => {
    const parts = raw.split(",").map((p) => p.trim());
    const values: T[] = [];
    for (const part of parts) {
      if (part === "") return fail("must be a comma-separated list without empty items");
      const parsed = item(part);
      if (!parsed.ok) return fail(`each comma-separated item ${parsed.allowed}; "${part}" does not`);
      values.push(parsed.value);
    }
    if (unique && new Set(parts).size !== parts.length)
      return fail("must be a comma-separated list without duplicates");
    return ok(values);
  };
