/**
 * Counts failed token attempts per client address in fixed windows, in bounded memory: past `maxFailures` in
 * one window a client is refused until the window ends. At most `maxClients` addresses are remembered (expired
 * ones are dropped first, then the oldest).
 */
export class FailureLimiter {
  private readonly clients = new Map<string, { windowStart: number; failures: number }>();

  constructor(
    private readonly options: { maxFailures: number; windowMs: number; maxClients: number },
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds until this client may try again; 0 when it may try now. */
  retryAfterMs(client: string): number {
    const entry = this.clients.get(client);
    if (!entry) return 0;
    const elapsed = this.now() - entry.windowStart;
    if (elapsed >= this.options.windowMs) {
      this.clients.delete(client);
      return 0;
    }
    return entry.failures >= this.options.maxFailures ? this.options.windowMs - elapsed : 0;
  }

  /** Records a failure; returns the client's failures in the current window. */
  fail(client: string): number {
    const now = this.now();
    let entry = this.clients.get(client);
    if (!entry || now - entry.windowStart >= this.options.windowMs) {
      this.clients.delete(client);
      this.makeRoom(now);
      entry = { windowStart: now, failures: 0 };
      this.clients.set(client, entry);
    }
    entry.failures++;
    return entry.failures;
  }

  get size(): number {
    return this.clients.size;
  }

  private makeRoom(now: number): void {
    if (this.clients.size < this.options.maxClients) return;
    for (const [client, entry] of this.clients) {
      if (now - entry.windowStart >= this.options.windowMs) this.clients.delete(client);
    }
    // Map order is insertion order: the first entries are the oldest windows.
    for (const client of this.clients.keys()) {
      if (this.clients.size < this.options.maxClients) break;
      this.clients.delete(client);
    }
  }
}
