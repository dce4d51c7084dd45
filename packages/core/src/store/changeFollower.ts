import type { Client } from 'pg';
import { CHANGES_CHANNEL } from './postgresCatalogue';

/**
 * Keeps a store that serves searches (a replica) in step with a PostgreSQL catalogue that other processes
 * write: LISTEN wakes it at every commit (each one notifies, postgresCatalogue.ts), and a poll every
 * `pollMs` catches up whatever a lost notification or a lost connection missed; catching up itself goes
 * by the change sequence (store.refresh()), so nothing is missed or applied twice. While PostgreSQL is
 * unreachable the store keeps its index as it is, and the follower reconnects (backing off up to 10 s).
 *
 * Delay from a commit to searchable: one notification plus one catch-up (a few milliseconds on a LAN, plus
 * the time to read the changed vectors); at most `pollMs` plus that when notifications are lost.
 */
export interface ChangeFollowerOptions {
  url: string;
  /** Poll interval (default 1000 ms): the bound on the delay when notifications are lost. */
  pollMs?: number;
  /** Errors while catching up or reconnecting (the follower keeps going). */
  onError?: (error: unknown) => void;
}

export class ChangeFollower {
  private client: Client | undefined;
  private readonly timer: NodeJS.Timeout;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private backoffMs = 100;
  private stopped = false;
  private catchingUp = false;
  /** Errors are reported once per outage, not at every poll. */
  private failing = false;

  private constructor(
    private readonly store: { refresh(): boolean },
    private readonly options: ChangeFollowerOptions,
  ) {
    this.timer = setInterval(() => this.catchUp(), options.pollMs ?? 1000);
    this.timer.unref();
    void this.connect();
  }

  static start(store: { refresh(): boolean }, options: ChangeFollowerOptions): ChangeFollower {
    return new ChangeFollower(store, options);
  }

  /** True while the LISTEN connection is up. */
  get listening(): boolean {
    return this.client !== undefined;
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    client?.end().catch(() => undefined);
  }

  private catchUp(): void {
    if (this.stopped || this.catchingUp) return;
    this.catchingUp = true;
    try {
      this.store.refresh();
      this.failing = false;
    } catch (error) {
      if (!this.failing) this.options.onError?.(error);
      this.failing = true;
    } finally {
      this.catchingUp = false;
    }
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    // Loaded here, not at import: the embedded engine never needs the PostgreSQL client.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Client: PgClient } = require('pg') as typeof import('pg');
    const client = new PgClient({ connectionString: this.options.url, application_name: 'semantic-image-search replica (listen)' });
    const lost = (error?: unknown) => {
      if (error !== undefined && this.backoffMs <= 100) this.options.onError?.(error);
      if (this.client === client) this.client = undefined;
      client.end().catch(() => undefined);
      this.reconnectLater();
    };
    client.on('error', lost);
    client.on('end', () => {
      if (this.client === client) lost();
    });
    client.on('notification', () => this.catchUp());
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    } catch (error) {
      lost(error);
      return;
    }
    if (this.stopped) {
      client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.backoffMs = 100;
    this.catchUp(); // what was committed while not listening
  }

  private reconnectLater(): void {
    if (this.stopped || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, this.backoffMs);
    this.reconnectTimer.unref();
    this.backoffMs = Math.min(this.backoffMs * 2, 10_000);
  }
}
