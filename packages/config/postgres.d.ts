/** A throwaway PostgreSQL cluster on a free loopback port (postgres.js). */
export interface TestPostgres {
  /** postgres://postgres@127.0.0.1:PORT/postgres (trust authentication, loopback only). */
  url: string;
  port: number;
  /** A new, empty database; returns its URL. */
  createDatabase(name: string): string;
  /** `pg_ctl stop -m immediate`: the server dies as in a crash (no checkpoint, connections cut). */
  crash(): void;
  start(): void;
  /** Stops the server and removes its folder. */
  stop(): void;
}

export function startTestPostgres(options?: {
  parentDir?: string;
  durable?: boolean;
  /** Addresses to listen on besides 127.0.0.1 (e.g. a veth the test made), trusted in pg_hba.conf. */
  listenAddresses?: string[];
  /** A CIDR whose clients are trusted too (the namespace side of that veth); default: only the listen addresses. */
  clientNetwork?: string;
}): Promise<TestPostgres>;
export function freePort(): Promise<number>;
