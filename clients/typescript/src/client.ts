// A typed wrapper over vscode-jsonrpc's MessageConnection for the flowrunner engine: typed
// requests, and a handle per run that collects its notifications in order.
import type { Disposable, MessageConnection } from "vscode-jsonrpc";
import type {
  ExecutionEventsResult,
  ExecutionListResult,
  QuotaStatusResult,
  Flow,
  FlowValidateResult,
  InitializeParams,
  InitializeResult,
  NotificationMap,
  NotificationMethod,
  RequestMap,
  RequestMethod,
  RunOptions,
} from "./protocol";

export * from "./protocol";

/** A run notification: its method and params. */
export type RunEvent = { [M in NotificationMethod]: { method: M; params: NotificationMap[M] } }[NotificationMethod];

/** How a run ended, with the terminal notification's params. */
export type RunResult =
  | { state: "completed"; params: NotificationMap["execution.completed"] }
  | { state: "failed"; params: NotificationMap["execution.failed"] }
  | { state: "cancelled"; params: NotificationMap["execution.cancelled"] };

/** Raised by every pending run once the connection to the engine is closed. */
export class EngineExited extends Error {
  constructor() {
    super("the connection to the flowrunner engine closed");
    this.name = "EngineExited";
  }
}

const NOTIFICATIONS: NotificationMethod[] = [
  "execution.started",
  "execution.node.status",
  "execution.node.delta",
  "execution.node.completed",
  "execution.node.failed",
  "execution.completed",
  "execution.failed",
  "execution.cancelled",
];

const TERMINAL: { [method: string]: RunResult["state"] | undefined } = {
  "execution.completed": "completed",
  "execution.failed": "failed",
  "execution.cancelled": "cancelled",
};

/** One run: its events in order, a promise of its end, and its cancel. */
export class Run {
  readonly events: RunEvent[] = [];
  readonly result: Promise<RunResult>;
  private settle!: (result: RunResult) => void;
  private fail!: (error: Error) => void;
  private listeners: ((event: RunEvent) => void)[] = [];
  private wakers: (() => void)[] = [];
  private ended = false;

  constructor(private readonly client: FlowrunnerClient, readonly runId: string) {
    this.result = new Promise<RunResult>((resolve, reject) => {
      this.settle = resolve;
      this.fail = reject;
    });
    // A run nobody awaits must not report an unhandled rejection when the engine goes away.
    this.result.catch(() => undefined);
  }

  /** Calls `listener` for every event from now on. */
  onEvent(listener: (event: RunEvent) => void): Disposable {
    this.listeners.push(listener);
    return { dispose: () => (this.listeners = this.listeners.filter((other) => other !== listener)) };
  }

  /** Every event of the run, from the first, ending with the terminal one. */
  async *[Symbol.asyncIterator](): AsyncIterator<RunEvent> {
    let position = 0;
    for (;;) {
      while (position < this.events.length) {
        const event = this.events[position++];
        yield event;
        if (TERMINAL[event.method]) return;
      }
      if (this.ended) {
        await this.result;
        return;
      }
      await new Promise<void>((wake) => this.wakers.push(wake));
    }
  }

  /** Asks the engine to cancel the run; `true` if it was live. */
  async cancel(): Promise<boolean> {
    return (await this.client.request("execution.cancel", { run_id: this.runId })).cancelled;
  }

  /** @internal */
  deliver(event: RunEvent): void {
    this.events.push(event);
    for (const listener of this.listeners) listener(event);
    const state = TERMINAL[event.method];
    if (state) {
      this.ended = true;
      this.settle({ state, params: event.params } as RunResult);
    }
    this.wake();
  }

  /** @internal */
  abandon(error: Error): void {
    if (!this.ended) {
      this.ended = true;
      this.fail(error);
    }
    this.wake();
  }

  private wake(): void {
    const wakers = this.wakers;
    this.wakers = [];
    for (const wake of wakers) wake();
  }
}

let counter = 0;

/** The engine behind a MessageConnection (already listening). */
export class FlowrunnerClient {
  private readonly runs = new Map<string, Run>();
  private closed = false;
  private readonly subscriptions: Disposable[] = [];

  constructor(private readonly connection: MessageConnection) {
    for (const method of NOTIFICATIONS) {
      this.subscriptions.push(
        connection.onNotification(method, (params: { run_id: string }) => {
          const run = this.runs.get(params.run_id);
          if (!run) return;
          run.deliver({ method, params } as RunEvent);
          if (TERMINAL[method]) this.runs.delete(params.run_id);
        }),
      );
    }
    this.subscriptions.push(
      connection.onClose(() => {
        this.closed = true;
        for (const run of this.runs.values()) run.abandon(new EngineExited());
        this.runs.clear();
      }),
    );
  }

  /** A typed request. */
  request<M extends RequestMethod>(method: M, params?: RequestMap[M]["params"]): Promise<RequestMap[M]["result"]> {
    return params === undefined
      ? this.connection.sendRequest<RequestMap[M]["result"]>(method)
      : this.connection.sendRequest<RequestMap[M]["result"]>(method, params);
  }

  /** `initialize` with settings, then `initialized`. */
  async initialize(settings: InitializeParams = {}): Promise<InitializeResult> {
    const result = await this.request("initialize", settings ?? {});
    await this.connection.sendNotification("initialized", {});
    return result;
  }

  validate(flow: Flow): Promise<FlowValidateResult> {
    return this.request("flow.validate", flow);
  }

  /** Starts a run. The run id is chosen here unless given, and the handle is registered
   * before the request goes out, so no event can arrive before its run. */
  async start(flow: Flow, options: RunOptions = {}, runId?: string): Promise<Run> {
    if (this.closed) throw new EngineExited();
    const id = runId ?? `ts-${Date.now().toString(36)}-${(counter++).toString(36)}`;
    const run = new Run(this, id);
    this.runs.set(id, run);
    try {
      await this.request("execution.start", { ...flow, run_id: id, options: { ...(flow.options ?? {}), ...options } });
    } catch (error) {
      this.runs.delete(id);
      throw error;
    }
    return run;
  }

  list(
    state?: "running" | "completed" | "failed" | "cancelled",
    limit?: number,
    quotaKey?: string,
  ): Promise<ExecutionListResult> {
    return this.request("execution.list", {
      ...(state ? { state } : {}),
      ...(limit ? { limit } : {}),
      ...(quotaKey ? { quota_key: quotaKey } : {}),
    });
  }

  /** `quota.status`: a quota key's counters now and its limits. */
  quotaStatus(quotaKey: string): Promise<QuotaStatusResult> {
    return this.request("quota.status", { quota_key: quotaKey });
  }

  events(runId: string, afterSeq = 0, limit?: number): Promise<ExecutionEventsResult> {
    return this.request("execution.events", { run_id: runId, after_seq: afterSeq, ...(limit ? { limit } : {}) });
  }

  /** `shutdown`, then `exit`. */
  async shutdown(): Promise<void> {
    await this.request("shutdown");
    await this.connection.sendNotification("exit");
  }

  dispose(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
  }
}
