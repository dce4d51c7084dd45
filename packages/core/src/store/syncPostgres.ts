import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { createCopyReader, type CopiedEmbeddings, type CopiedJson, type CopyShape } from './copyBinary';
import { CatalogueError } from './errors';

/**
 * A synchronous PostgreSQL connection: the `pg` client runs on a worker thread, and each call blocks this
 * thread (Atomics.wait) until the worker has the answer. The catalogue interface is synchronous (SQLite's
 * driver is); this keeps it so for PostgreSQL, at the cost of one blocked round trip per statement. The
 * worker reconnects after a lost connection, except inside a transaction, which then fails as a whole.
 */

export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

/** A PostgreSQL error: `code` is the SQLSTATE (e.g. 23505), or a Node.js code (ECONNREFUSED) for connection failures. */
export class PostgresError extends CatalogueError {
  override readonly name: string = 'PostgresError';
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/**
 * PostgreSQL is unreachable (refused, lost, or not answering in time): what a server answers with 503 while the
 * rest of it goes on working from what the process has.
 */
export class CatalogueUnreachableError extends PostgresError {
  override readonly name: string = 'CatalogueUnreachableError';
}

interface Request {
  id: number;
  kind: 'query' | 'copy' | 'close';
  sql?: string;
  params?: readonly unknown[];
  /** 'copy': what the rows hold (copyBinary.ts). */
  shape?: CopyShape;
  /** Set inside a transaction: a request must not silently run on a new connection. */
  inTransaction?: boolean;
}

type Reply = { id: number; rows: unknown[]; rowCount: number; copied?: CopiedEmbeddings | CopiedJson } | { id: number; error: { message: string; code?: string } };

export interface SyncPostgresOptions {
  connectionString: string;
  /** How long one statement may take before the call fails (default 120 s). */
  timeoutMs?: number;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
}

export class SyncPostgres {
  private worker: Worker | undefined;
  private port: MessagePort | undefined;
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private nextId = 1;
  private transactionDepth = 0;
  private closed = false;

  constructor(private readonly options: SyncPostgresOptions) {}

  query<R>(sql: string, params: readonly unknown[] = []): QueryResult<R> {
    const reply = this.call({ kind: 'query', sql, params, inTransaction: this.transactionDepth > 0 });
    return { rows: reply.rows as R[], rowCount: reply.rowCount };
  }

  /**
   * Runs `COPY (select) TO STDOUT (FORMAT binary)` of rows (id bigint) or (id bigint, vector bytea) and returns
   * them as typed arrays (copyBinary.ts): no per-row object on either thread, and the arrays are transferred
   * from the worker, not cloned. COPY takes no parameters: the caller inlines only numbers it has checked.
   */
  copyEmbeddings(select: string, dimension: number, capacity: number): CopiedEmbeddings {
    const copied = this.copy(select, { kind: 'embeddings', dimension, capacity });
    if (copied.kind !== 'embeddings') throw new CatalogueError('The PostgreSQL worker answered a COPY with the wrong shape.');
    return copied;
  }

  /** The same for rows of one json column: their values, parsed at once (one JSON.parse, no clone per row). */
  copyJson<R>(select: string): R[] {
    const copied = this.copy(select, { kind: 'json' });
    if (copied.kind !== 'json') throw new CatalogueError('The PostgreSQL worker answered a COPY with the wrong shape.');
    return JSON.parse(new TextDecoder().decode(copied.json)) as R[];
  }

  private copy(select: string, shape: CopyShape): CopiedEmbeddings | CopiedJson {
    const reply = this.call({ kind: 'copy', sql: `COPY (${select}) TO STDOUT (FORMAT binary)`, shape, inTransaction: this.transactionDepth > 0 });
    if (!reply.copied) throw new CatalogueError('The PostgreSQL worker answered a COPY without rows.');
    return reply.copied;
  }

  /**
   * Runs fn in one transaction (BEGIN ... COMMIT, ROLLBACK on any error). Nested calls join the outer one.
   * `begin` is the BEGIN statement (e.g. with an isolation level).
   */
  transaction<T>(fn: () => T, begin = 'BEGIN'): T {
    if (this.transactionDepth > 0) return fn();
    this.query(begin);
    this.transactionDepth = 1;
    try {
      const result = fn();
      this.transactionDepth = 0;
      this.query('COMMIT');
      return result;
    } catch (error) {
      this.transactionDepth = 0;
      try {
        this.query('ROLLBACK');
      } catch {
        // The connection is gone: the server rolled back already.
      }
      throw error;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.worker) return;
    try {
      this.call({ kind: 'close' });
    } catch {
      // Closing anyway.
    }
    void this.worker.terminate();
    this.worker = undefined;
  }

  private call(request: Omit<Request, 'id'>): { rows: unknown[]; rowCount: number; copied?: CopiedEmbeddings | CopiedJson } {
    if (this.closed && request.kind !== 'close') throw new CatalogueError('The PostgreSQL connection is closed.');
    const { worker, port } = this.start();
    const id = this.nextId++;
    Atomics.store(this.signal, 0, 0);
    port.postMessage({ ...request, id } satisfies Request);
    const timeoutMs = this.options.timeoutMs ?? 120_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const waited = Atomics.wait(this.signal, 0, 0, Math.max(0, deadline - Date.now()));
      const message = receiveMessageOnPort(port);
      if (message) {
        const reply = message.message as Reply;
        if (reply.id !== id) continue; // an answer to a call that timed out earlier
        if ('error' in reply) {
          const message = describeFailure(reply.error, this.options.connectionString);
          throw isConnectionFailure(reply.error.code) ? new CatalogueUnreachableError(message, reply.error.code) : new PostgresError(message, reply.error.code);
        }
        return reply;
      }
      if (waited === 'timed-out' || Date.now() >= deadline) {
        // The worker may be stuck on a dead connection: replace it (the server ends the old session).
        void worker.terminate();
        this.worker = undefined;
        throw new CatalogueUnreachableError(`PostgreSQL did not answer within ${Math.round(timeoutMs / 1000)} s.`, 'SIS_TIMEOUT');
      }
      Atomics.store(this.signal, 0, 0);
    }
  }

  private start(): { worker: Worker; port: MessagePort } {
    if (this.worker && this.port) return { worker: this.worker, port: this.port };
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(`(${workerMain.toString()})(${createCopyReader.toString()})`, {
      eval: true,
      workerData: {
        port: port2,
        signal: this.signal,
        pgPath: require.resolve('pg'),
        copyStreamsPath: require.resolve('pg-copy-streams'),
        connectionString: this.options.connectionString,
        applicationName: this.options.applicationName ?? 'semantic-image-search',
      },
      transferList: [port2],
    });
    worker.unref();
    this.worker = worker;
    this.port = port1;
    return { worker, port: port1 };
  }
}

/** Runs on the worker thread (serialised with toString, so it may use only what it requires itself). */
function workerMain(makeCopyReader: typeof createCopyReader): void {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { workerData } = require('node:worker_threads') as typeof import('node:worker_threads');
  const pg = require(workerData.pgPath) as typeof import('pg');
  const { to: copyTo } = require(workerData.copyStreamsPath) as typeof import('pg-copy-streams');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const port = workerData.port as MessagePort;
  const signal = workerData.signal as Int32Array;
  const INT8 = 20;
  let client: import('pg').Client | undefined;

  const connect = async (): Promise<import('pg').Client> => {
    const fresh = new pg.Client({
      connectionString: workerData.connectionString as string,
      application_name: workerData.applicationName as string,
      // Ids and sizes are bigint columns; every value this tool stores fits a double exactly.
      types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === INT8 ? Number : pg.types.getTypeParser(oid, format ?? 'text'))) as typeof pg.types.getTypeParser },
    });
    fresh.on('error', () => {
      if (client === fresh) client = undefined;
    });
    await fresh.connect();
    client = fresh;
    return fresh;
  };

  /** A server error (SQLSTATE) leaves the session usable, except the connection classes 08 and 57P (shutdown). */
  const connectionIsBroken = (code: string | undefined) => code === undefined || !/^[0-9A-Z]{5}$/.test(code) || code.startsWith('08') || code.startsWith('57P');

  port.on('message', (request: Request) => {
    void (async () => {
      let reply: Reply;
      try {
        if (request.kind === 'close') {
          await client?.end();
          client = undefined;
          reply = { id: request.id, rows: [], rowCount: 0 };
        } else {
          if (!client && request.inTransaction) {
            throw Object.assign(new Error('the connection was lost during a transaction; nothing of it was committed'), { code: 'SIS_CONNECTION_LOST' });
          }
          const active = client ?? (await connect());
          if (request.kind === 'copy') {
            const reader = makeCopyReader(request.shape ?? { kind: 'json' });
            const stream = active.query(copyTo(request.sql ?? ''));
            await new Promise<void>((resolve, reject) => {
              stream.on('data', (chunk: Buffer) => {
                try {
                  reader.push(chunk);
                } catch (error) {
                  stream.destroy(error as Error);
                }
              });
              stream.on('end', resolve);
              stream.on('error', reject);
            });
            const copied = reader.finish();
            const transfer = copied.kind === 'json' ? [copied.json.buffer] : [copied.ids.buffer, copied.vectors.buffer];
            port.postMessage({ id: request.id, rows: [], rowCount: copied.count, copied } satisfies Reply, transfer);
            Atomics.store(signal, 0, 1);
            Atomics.notify(signal, 0);
            return;
          }
          const result = await active.query({ text: request.sql ?? '', values: [...(request.params ?? [])] });
          reply = { id: request.id, rows: result.rows as unknown[], rowCount: result.rowCount ?? 0 };
        }
      } catch (error) {
        const { message, code } = error as { message?: string; code?: string };
        if (connectionIsBroken(code) && client) {
          const broken = client;
          client = undefined;
          broken.end().catch(() => undefined);
        }
        reply = { id: request.id, error: { message: message ?? String(error), ...(code !== undefined ? { code } : {}) } };
      }
      port.postMessage(reply);
      Atomics.store(signal, 0, 1);
      Atomics.notify(signal, 0);
    })();
  });
}

/** Not a server's SQLSTATE, or one of the connection classes 08 and 57P (shutdown): the connection is gone. */
function isConnectionFailure(code: string | undefined): boolean {
  return code === undefined || !/^[0-9A-Z]{5}$/.test(code) || code.startsWith('08') || code.startsWith('57P');
}

/** A server error as PostgreSQL words it; a lost or refused connection with where, and what is safe. */
function describeFailure(error: { message: string; code?: string }, url: string): string {
  if (!isConnectionFailure(error.code)) return `PostgreSQL: ${error.message}`;
  return `PostgreSQL at ${redactUrl(url)} is unreachable or went away (${error.message}): every committed batch is kept and nothing half-written; run again once it is back.`;
}

/** The URL with its password replaced, for messages and stats. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(unparseable URL)';
  }
}
