// The write path around decide: what is appended, what is answered, and that an early refusal and a lost race (the
// fold rejecting an event decide accepted on an older state) answer alike. The log and the read model are small
// in-memory implementations of our own interfaces (Appender, the read model's write side); the fold is the real one.
import { describe, expect, it } from "vitest";
import {
  decodeEvent,
  encodeEvent,
  type EventMetadata,
  type FederationEvent,
  type KubeObject,
  type ObjectRef,
} from "@kubefed/events";
import {
  CommandType,
  evolve,
  getOutcome,
  initialState,
  type Command,
  type FederationState,
  type Outcome,
} from "@kubefed/state";
import type { LogRecord, OutgoingMessage } from "@kubefed/kafka";
import { CommandHandler, type WriteModel } from "./commands.ts";
import { ApiError } from "./status.ts";

/** The log as the tail delivers it, and a read model folding it, as the ingest's does. */
class MemoryLog implements WriteModel {
  current: FederationState = initialState();
  readonly records: Pick<LogRecord, "value" | "headers">[] = [];
  private readonly waiters = new Map<string, (o: Outcome) => void>();
  /** Events another writer appends just before the next append: the race the fold arbitrates. */
  readonly competing: FederationEvent[] = [];
  failNext = false;

  readonly appender = {
    append: async (_topic: string, messages: OutgoingMessage[]) => {
      if (this.failNext) throw Object.assign(new Error("broker unreachable"), { code: "ECONNREFUSED" });
      for (const e of this.competing.splice(0)) this.push(encodeEvent(e));
      const first = this.records.length;
      for (const m of messages) this.push({ value: m.value, headers: m.headers ?? {} });
      // The tail delivers whatever the own-write fast path did not fold.
      queueMicrotask(() => this.tail());
      return messages.map((_, i) => ({ topic: "fed.objects", partition: 0, offset: String(first + i) }));
    },
  };

  private push(m: { value: Buffer; headers: Record<string, string | Buffer> }): void {
    this.records.push({
      value: m.value,
      headers: Object.fromEntries(
        Object.entries(m.headers).map(([k, v]) => [k, Buffer.isBuffer(v) ? v : Buffer.from(v)]),
      ),
    });
  }

  private next(): number {
    return this.current.lastOffset === null ? 0 : Number(this.current.lastOffset) + 1;
  }

  private fold(offset: number): void {
    const event = decodeEvent(this.records[offset]!);
    this.current = evolve(this.current, event, { offset: String(offset) });
    const outcome = getOutcome(this.current, event.metadata.eventId);
    if (outcome) this.waiters.get(event.metadata.eventId)?.(outcome);
  }

  tail(): void {
    while (this.next() < this.records.length) this.fold(this.next());
  }

  expect(eventId: string): Promise<Outcome> {
    return new Promise((resolve) => this.waiters.set(eventId, resolve));
  }

  forget(eventId: string): void {
    this.waiters.delete(eventId);
  }

  foldOwn(_record: Pick<LogRecord, "value" | "headers">, offset: string): boolean {
    if (Number(offset) !== this.next()) return false;
    this.fold(Number(offset));
    return true;
  }

  /** Appends and folds events directly, as history before the test. */
  given(...events: FederationEvent[]): this {
    for (const e of events) this.push(encodeEvent(e));
    this.tail();
    return this;
  }
}

let ids = 0;
const metadata = (): EventMetadata => ({
  eventId: `e-${++ids}`,
  time: "2024-06-01T10:00:00Z",
  actor: { user: "alice", groups: [] },
  requestId: `r-${ids}`,
});
const ref = (kind: string, namespace: string | null, name: string, group = ""): ObjectRef => ({
  group,
  version: "v1",
  kind,
  namespace,
  name,
});
const cm = (ns: string, name: string) => ref("ConfigMap", ns, name);
const web = ref("Deployment", "shop", "web", "apps");
const created = (r: ObjectRef, object: KubeObject = {}): FederationEvent => ({
  type: "ObjectCreated",
  data: { ref: r, precondition: { type: "MustNotExist" }, object },
  metadata: metadata(),
});
const create = (r: ObjectRef, object: KubeObject = { data: { a: "1" } }): Command => ({
  type: CommandType.CreateObject,
  data: { ref: r, object },
  metadata: metadata(),
});
const configmaps = { group: "", resource: "configmaps" };
const deployments = { group: "apps", resource: "deployments" };

function setup(log = new MemoryLog()) {
  const handler = new CommandHandler({
    model: log,
    appender: log.appender,
    topic: "fed.objects",
    keyring: undefined,
    foldTimeoutMs: 5_000,
    present: (o) => ({ ...o, presented: true }),
    onAppended: () => undefined,
  });
  return { log, handler };
}

async function refusal(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error("the write was accepted");
}

const answer = (e: ApiError) => ({ reason: e.reason, code: e.code, message: e.message, details: e.details });

describe("the command handler", () => {
  it("appends the decided event and answers with the object the fold stored, as the API shows it", async () => {
    const { log, handler } = setup();
    const command = create(cm("default", "a"));
    const o = await handler.handle(command, { resource: configmaps });
    expect(log.records).toHaveLength(1);
    expect(o).toMatchObject({
      kind: "ConfigMap",
      metadata: { name: "a", namespace: "default", uid: command.metadata.eventId, resourceVersion: "0" },
      data: { a: "1" },
      presented: true,
    });
  });

  it("refuses a create of an existing name at once, appending nothing", async () => {
    const { log, handler } = setup(new MemoryLog().given(created(cm("default", "a"))));
    const e = await refusal(handler.handle(create(cm("default", "a")), { resource: configmaps }));
    expect(answer(e)).toEqual({
      reason: "AlreadyExists",
      code: 409,
      message: 'configmaps "a" already exists',
      details: { name: "a", group: "", kind: "configmaps" },
    });
    expect(log.records).toHaveLength(1);
  });

  it("answers a create that lost a race exactly as one refused early", async () => {
    const early = await refusal(
      setup(new MemoryLog().given(created(cm("default", "a")))).handler.handle(create(cm("default", "a")), {
        resource: configmaps,
      }),
    );
    const { log, handler } = setup();
    log.competing.push(created(cm("default", "a")));
    const late = await refusal(handler.handle(create(cm("default", "a")), { resource: configmaps }));
    // Appended (decide saw no conflict) and rejected by the fold.
    expect(log.records).toHaveLength(2);
    expect(answer(late)).toEqual(answer(early));
  });

  it("answers an update that lost a race exactly as a stale one refused early", async () => {
    const history = [created(ref("Namespace", null, "shop")), created(web, { spec: { replicas: 1 } })];
    const update = (rv?: string): Command => ({
      type: CommandType.UpdateObject,
      data: {
        ref: web,
        object: { spec: { replicas: 2 } },
        ...(rv ? { precondition: { type: "ExpectedResourceVersion", resourceVersion: rv } } : {}),
      },
      metadata: metadata(),
    });
    const early = await refusal(
      setup(new MemoryLog().given(...history)).handler.handle(update("0"), { resource: deployments }),
    );
    expect(answer(early)).toEqual({
      reason: "Conflict",
      code: 409,
      message:
        'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again',
      details: { name: "web", group: "apps", kind: "deployments" },
    });
    const { log, handler } = setup(new MemoryLog().given(...history));
    log.competing.push({
      type: "ObjectUpdated",
      data: { ref: web, precondition: { type: "None" }, object: { spec: { replicas: 3 } } },
      metadata: metadata(),
    });
    // No resourceVersion given: the update is of the version decide saw, which the competing write replaced.
    const late = await refusal(handler.handle(update(), { resource: deployments }));
    expect(answer(late)).toEqual(answer(early));
  });

  it("refuses a create in a missing namespace by naming the namespace", async () => {
    const { log, handler } = setup();
    const e = await refusal(handler.handle(create(cm("nope", "a")), { resource: configmaps }));
    expect(answer(e)).toEqual({
      reason: "NotFound",
      code: 404,
      message: 'namespaces "nope" not found',
      details: { name: "nope", kind: "namespaces" },
    });
    expect(log.records).toHaveLength(0);
  });

  it("refuses writes to a missing object, and a failed delete precondition in Kubernetes' words", async () => {
    const { log, handler } = setup(new MemoryLog().given(created(cm("default", "a"))));
    const missing = await refusal(
      handler.handle(
        { type: CommandType.DeleteObject, data: { ref: cm("default", "zz") }, metadata: metadata() },
        { resource: configmaps },
      ),
    );
    expect(answer(missing)).toEqual({
      reason: "NotFound",
      code: 404,
      message: 'configmaps "zz" not found',
      details: { name: "zz", group: "", kind: "configmaps" },
    });
    const stale = await refusal(
      handler.handle(
        {
          type: CommandType.DeleteObject,
          data: { ref: cm("default", "a"), precondition: { type: "ExpectedResourceVersion", resourceVersion: "7" } },
          metadata: metadata(),
        },
        { resource: configmaps },
      ),
    );
    expect(answer(stale)).toEqual({
      reason: "Conflict",
      code: 409,
      message:
        'Operation cannot be fulfilled on configmaps "a": Precondition failed: ResourceVersion: Precondition failed: UID in precondition: 7, UID in object meta: 0',
      details: undefined,
    });
    expect(log.records).toHaveLength(1);
  });

  it("on dryRun decides and answers with what would be stored, appending nothing", async () => {
    const { log, handler } = setup(new MemoryLog().given(created(cm("default", "a"), { data: { a: "1" } })));
    const command = create(cm("default", "b"), { metadata: { name: "b" }, data: {} });
    expect(await handler.handle(command, { resource: configmaps, dryRun: true })).toEqual({
      metadata: { name: "b", uid: command.metadata.eventId },
      data: {},
    });
    const update: Command = {
      type: CommandType.UpdateObject,
      data: { ref: cm("default", "a"), object: { metadata: { name: "a" }, data: { a: "2" } } },
      metadata: metadata(),
    };
    expect(await handler.handle(update, { resource: configmaps, dryRun: true })).toMatchObject({
      metadata: { name: "a", resourceVersion: "0" },
      data: { a: "2" },
    });
    await refusal(handler.handle(create(cm("default", "a")), { resource: configmaps, dryRun: true }));
    expect(log.records).toHaveLength(1);
  });

  it("runs beforeAppend only on an accepted command, and appends nothing when it refuses", async () => {
    const { log, handler } = setup(new MemoryLog().given(created(cm("default", "a"))));
    const seen: string[] = [];
    const admit = (events: readonly FederationEvent[]) => {
      seen.push(...events.map((e) => e.type));
      throw new ApiError("Invalid", "not admitted");
    };
    expect(
      (await refusal(handler.handle(create(cm("default", "a")), { resource: configmaps, beforeAppend: admit }))).reason,
    ).toBe("AlreadyExists");
    expect(seen).toEqual([]);
    expect(
      (await refusal(handler.handle(create(cm("default", "b")), { resource: configmaps, beforeAppend: admit }))).reason,
    ).toBe("Invalid");
    expect(seen).toEqual(["ObjectCreated"]);
    expect(log.records).toHaveLength(1);
  });

  it("refuses to write a Secret without an encryption key (503), and answers 503 when the log refuses the append", async () => {
    const { log, handler } = setup();
    const secret = await refusal(
      handler.handle(create(ref("Secret", "default", "s")), { resource: { group: "", resource: "secrets" } }),
    );
    expect([secret.reason, secret.details?.retryAfterSeconds]).toEqual(["ServiceUnavailable", 60]);
    log.failNext = true;
    const down = await refusal(handler.handle(create(cm("default", "a")), { resource: configmaps }));
    expect([down.reason, down.message]).toEqual([
      "ServiceUnavailable",
      "the event log is not accepting writes right now: broker unreachable",
    ]);
    expect(log.records).toHaveLength(0);
  });
});
