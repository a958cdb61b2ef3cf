// DNS response codes (RFC 1035, RFC 2136, RFC 8945) as FederationErrors: one message per refusal that says what
// the server meant, and the code that tells a caller whether retrying can help.
import { ErrorCode, FederationError } from "@kubefed/events";

export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  YXDOMAIN: 6,
  YXRRSET: 7,
  NXRRSET: 8,
  NOTAUTH: 9,
  NOTZONE: 10,
  // TSIG error field values (RFC 8945 section 3)
  BADSIG: 16,
  BADKEY: 17,
  BADTIME: 18,
  BADTRUNC: 22,
} as const;
export type RcodeName = keyof typeof RCODE;

const names: ReadonlyMap<number, RcodeName> = new Map(
  Object.entries(RCODE).map(([k, v]) => [v, k as RcodeName] as const),
);
export const rcodeName = (n: number): string => names.get(n) ?? `RCODE${n}`;

/** A DNS server's refusal, or a response this client cannot trust; `rcode` is the DNS code when there is one. */
export class DnsError extends FederationError {
  readonly rcode: string | undefined;
  constructor(code: ErrorCode, message: string, rcode?: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
    this.rcode = rcode;
  }
}

/** Prerequisite failures: the zone is not in the state the message assumed. */
export const PREREQUISITE_RCODES: ReadonlySet<string> = new Set(["YXDOMAIN", "YXRRSET", "NXDOMAIN", "NXRRSET"]);

const explanations: Readonly<Record<string, { code: ErrorCode; text: string }>> = {
  FORMERR: { code: ErrorCode.Invalid, text: "the server could not parse the message" },
  SERVFAIL: { code: ErrorCode.Unavailable, text: "the server failed to process the request" },
  NXDOMAIN: { code: ErrorCode.Conflict, text: "a prerequisite failed: a name that must be in use is not" },
  NOTIMP: { code: ErrorCode.Invalid, text: "the server does not implement this operation" },
  REFUSED: {
    code: ErrorCode.Forbidden,
    text: "the server refused: the key may not be allowed to do this, or the zone takes no dynamic updates or transfers",
  },
  YXDOMAIN: { code: ErrorCode.Conflict, text: "a prerequisite failed: a name that must not be in use is" },
  YXRRSET: { code: ErrorCode.Conflict, text: "a prerequisite failed: a record set that must not exist does" },
  NXRRSET: {
    code: ErrorCode.Conflict,
    text: "a prerequisite failed: a record set that must exist (with given records) does not",
  },
  NOTAUTH: {
    code: ErrorCode.Unauthorized,
    text: "the server is not authoritative for the zone, or did not authorize the request (unsigned or unknown key)",
  },
  NOTZONE: { code: ErrorCode.Invalid, text: "a record name is outside the zone" },
  BADSIG: {
    code: ErrorCode.Unauthorized,
    text: "the server rejected the TSIG signature: the key's secret or algorithm differs from the server's",
  },
  BADKEY: { code: ErrorCode.Unauthorized, text: "the server does not know the TSIG key (name or algorithm)" },
  BADTIME: {
    code: ErrorCode.Unauthorized,
    text: "the TSIG time is outside the fudge window: the clocks of this host and the server differ",
  },
  BADTRUNC: { code: ErrorCode.Unauthorized, text: "the server rejected a truncated MAC" },
};

/** The error for an RCODE (or TSIG error) other than NOERROR; `what` names the request and the server. */
export function refusal(rcode: number, what: string, detail = ""): DnsError {
  const name = rcodeName(rcode);
  const e = explanations[name] ?? { code: ErrorCode.Internal, text: "the server answered an unknown error code" };
  return new DnsError(e.code, `${what}: ${name}: ${e.text}${detail ? ` (${detail})` : ""}`, name);
}
