// A client of one authoritative server: TSIG-signed UPDATE messages and zone transfers over TCP. Every signed
// answer is verified before its RCODE is believed; an unsigned or forged answer is an error, never a success.
import { randomInt } from "node:crypto";
import { ErrorCode } from "@kubefed/events";
import { TYPE } from "./codec.ts";
import { DnsError, RCODE, refusal } from "./errors.ts";
import { DEFAULT_FUDGE, ResponseVerifier, sign, type TsigKey } from "./tsig.ts";
import { TcpConnection, formatServer, type ServerAddress } from "./transport.ts";
import { encodeQuery, encodeUpdate, recordOf, walkMessage, type UpdateMessage, type ZoneRecord } from "./wire.ts";

export interface DnsClientOptions {
  readonly server: ServerAddress;
  /** Without a key, messages go unsigned (servers that allow updates by address; baselines). */
  readonly key?: TsigKey;
  /** For connecting and for each answer; default 5000 ms. */
  readonly timeoutMs?: number;
  readonly fudge?: number;
  /** Milliseconds since the epoch (tests pass a fixed clock). */
  readonly now?: () => number;
}

/** One connection for several updates in turn; a refusal leaves it usable, a transport failure closes it. */
export interface UpdateSession {
  update(msg: UpdateMessage): Promise<void>;
  close(): void;
}

export class DnsClient {
  private readonly timeoutMs: number;
  private readonly now: () => number;
  readonly label: string;

  constructor(private readonly opts: DnsClientOptions) {
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.now = opts.now ?? Date.now;
    this.label = formatServer(opts.server);
  }

  async session(): Promise<UpdateSession> {
    const conn = await TcpConnection.open(this.opts.server, this.timeoutMs);
    return {
      update: (msg) => this.exchangeUpdate(conn, msg),
      close: () => conn.close(),
    };
  }

  /** One UPDATE on a connection of its own. */
  async update(msg: UpdateMessage): Promise<void> {
    const s = await this.session();
    try {
      await s.update(msg);
    } finally {
      s.close();
    }
  }

  private signed(message: Buffer): { wire: Buffer; verifier?: (what: string) => ResponseVerifier } {
    const key = this.opts.key;
    if (!key) return { wire: message };
    const { wire, mac } = sign(message, key, {
      timeSigned: Math.floor(this.now() / 1000),
      fudge: this.opts.fudge ?? DEFAULT_FUDGE,
    });
    return { wire, verifier: (what) => new ResponseVerifier(key, mac, what, () => this.now() / 1000) };
  }

  private async exchangeUpdate(conn: TcpConnection, msg: UpdateMessage): Promise<void> {
    const id = randomInt(0x10000);
    const what = `UPDATE of zone ${msg.zone} at ${this.label}`;
    const { wire, verifier } = this.signed(encodeUpdate(id, msg));
    conn.send(wire);
    const v = verifier?.(what);
    for (;;) {
      const buf = await conn.receive(this.timeoutMs);
      const walked = walkMessage(buf);
      // An answer to an earlier, timed-out request on this connection is not ours: wait for our own.
      if (walked.id !== id || !walked.response) continue;
      v?.accept(buf, walked, true);
      if (walked.rcode !== RCODE.NOERROR) throw refusal(walked.rcode, what);
      return;
    }
  }

  /**
   * The whole zone by AXFR over one connection: every record between the opening and the closing SOA (the SOA
   * once), each message's signature verified in sequence.
   */
  async transfer(zone: string): Promise<ZoneRecord[]> {
    const conn = await TcpConnection.open(this.opts.server, this.timeoutMs);
    const what = `AXFR of zone ${zone} from ${this.label}`;
    try {
      const id = randomInt(0x10000);
      const { wire, verifier } = this.signed(encodeQuery(id, zone, "AXFR"));
      conn.send(wire);
      const v = verifier?.(what);
      const records: ZoneRecord[] = [];
      let soas = 0;
      for (let messages = 0; ; messages++) {
        const buf = await conn.receive(this.timeoutMs);
        const walked = walkMessage(buf);
        if (walked.id !== id || !walked.response)
          throw new DnsError(ErrorCode.Invalid, `${what}: an answer with another message id`);
        const answers = walked.records.filter((r) => r.section === "answer");
        const closing = answers.some((r, i) => r.type === TYPE.SOA && (soas > 0 || i > 0));
        v?.accept(buf, walked, closing || walked.rcode !== RCODE.NOERROR);
        if (walked.rcode !== RCODE.NOERROR) throw refusal(walked.rcode, what);
        if (messages === 0 && answers[0]?.type !== TYPE.SOA)
          throw new DnsError(ErrorCode.Invalid, `${what}: the transfer does not start with the zone's SOA`);
        for (const r of answers) {
          if (r.type === TYPE.SOA && soas++ > 0) return records;
          records.push(recordOf(buf, r));
        }
      }
    } finally {
      conn.close();
    }
  }
}
