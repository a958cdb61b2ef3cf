// DNS over TCP (RFC 1035 section 4.2.2, RFC 7766): each message behind a 2-byte length. One connection carries
// several exchanges in turn (an apply's batches); any failure closes it.
import { connect, type Socket } from "node:net";
import { ErrorCode } from "@kubefed/events";
import { DnsError } from "./errors.ts";

export interface ServerAddress {
  readonly host: string;
  readonly port: number;
}

export const formatServer = ({ host, port }: ServerAddress): string =>
  `${host.includes(":") ? `[${host}]` : host}:${port}`;

export class TcpConnection {
  private buffered: Buffer = Buffer.alloc(0);
  private readonly queue: Buffer[] = [];
  private waiter: { resolve: (b: Buffer) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;

  private constructor(
    private readonly socket: Socket,
    private readonly label: string,
  ) {
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (e) => this.fail(this.unreachable(e.message, e)));
    socket.on("close", () => this.fail(this.unreachable("the server closed the connection")));
  }

  /** Connects within `timeoutMs`; a refusal or silence is an Unreachable error naming the server. */
  static open(server: ServerAddress, timeoutMs: number): Promise<TcpConnection> {
    const label = formatServer(server);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: server.host, port: server.port });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new DnsError(ErrorCode.Unreachable, `DNS server ${label}: no TCP connection within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once("error", (e) => {
        clearTimeout(timer);
        reject(
          new DnsError(ErrorCode.Unreachable, `DNS server ${label} is unreachable: ${e.message}`, undefined, {
            cause: e,
          }),
        );
      });
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.removeAllListeners("error");
        resolve(new TcpConnection(socket, label));
      });
    });
  }

  private unreachable(why: string, cause?: unknown): DnsError {
    return new DnsError(ErrorCode.Unreachable, `DNS server ${this.label}: ${why}`, undefined, { cause });
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 2) {
      const len = this.buffered.readUInt16BE(0);
      if (this.buffered.length < 2 + len) break;
      const msg = Buffer.from(this.buffered.subarray(2, 2 + len));
      this.buffered = this.buffered.subarray(2 + len);
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = undefined;
        w.resolve(msg);
      } else this.queue.push(msg);
    }
  }

  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(e);
  }

  send(message: Buffer): void {
    if (this.failure) throw this.failure;
    if (message.length > 0xffff) throw new RangeError("a DNS message is at most 65535 bytes");
    const len = Buffer.alloc(2);
    len.writeUInt16BE(message.length, 0);
    this.socket.write(Buffer.concat([len, message]));
  }

  /** The next message the server sent; Unreachable when none comes within `timeoutMs`. */
  receive(timeoutMs: number): Promise<Buffer> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        const e = this.unreachable(`no answer within ${timeoutMs} ms`);
        this.close();
        reject(e);
      }, timeoutMs);
      this.waiter = {
        resolve: (b) => {
          clearTimeout(timer);
          resolve(b);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }

  close(): void {
    this.fail(this.unreachable("connection closed"));
    this.socket.destroy();
  }
}
