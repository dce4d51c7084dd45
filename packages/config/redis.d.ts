/** A throwaway redis-server on a free port, AOF on, data in a temporary folder (redis.js). */
export interface TestRedis {
  /** redis://HOST:PORT (no password; loopback unless `bind` said otherwise). */
  url: string;
  port: number;
  /** The server's folder (appendonlydir/, server.log). */
  dir: string;
  /** SIGKILL: dies as in a crash; writes not yet fsynced to the AOF are lost. */
  crash(): Promise<void>;
  /** SIGTERM: flushes the AOF and exits (a clean restart with start()). */
  shutdown(): Promise<void>;
  /** Starts it again on the same port and folder (it replays its AOF). */
  start(): Promise<void>;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
}

export function startTestRedis(options?: {
  parentDir?: string;
  /** Addresses to listen on, space-separated (default 127.0.0.1; the first is the URL's). */
  bind?: string;
  /** appendfsync: 'everysec' (default), 'always' or 'no'. */
  fsync?: 'always' | 'everysec' | 'no';
}): Promise<TestRedis>;
