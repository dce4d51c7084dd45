import { startTestPostgres, type TestPostgres } from '@sis/config/postgres';
import { startTestRedis, type TestRedis } from '@sis/config/redis';
import { connectRedis, PostgresCatalogue, QueueRuns, startWorker, type StartedWorker } from '@sis/core';
import { startTestServer, type TestServer } from '../server/helpers';

/** The GraphQL reindex with SIS_QUEUE_URL: the work goes to a worker; reindexJob shows the aggregated progress; cancel reaches the queue. */
describe('GraphQL reindex through the embedding queue (real Redis + PostgreSQL)', () => {
  let redis: TestRedis;
  let postgres: TestPostgres;
  let api: TestServer;

  beforeAll(async () => {
    [redis, postgres] = await Promise.all([startTestRedis(), startTestPostgres()]);
    api = await startTestServer({ photoCount: 30, config: { catalogueUrl: postgres.createDatabase('api'), queueUrl: redis.url, queueBatchImages: 8 } });
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    await redis?.stop();
    postgres?.stop();
  });

  const JOB = 'id state phase seen toEmbed embedded skipped liveWorkers queueDepth error skippedFiles { path reason }';
  const poll = async (id: string, until: (job: Record<string, unknown>) => boolean) => {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const { data } = await api.gql<{ reindexJob: Record<string, unknown> }>(`query ($id: ID!) { reindexJob(id: $id) { ${JOB} } }`, { id });
      if (until(data!.reindexJob) || Date.now() > deadline) return data!.reindexJob;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };

  test('cancelled while no worker runs: the job is CANCELLED and its batches leave the queue', async () => {
    const started = await api.gql<{ reindex: { id: string } }>(`mutation { reindex(dir: ".") { id } }`);
    const { id } = started.data!.reindex;
    const queued = await poll(id, (job) => job.state === 'RUNNING' && (job.toEmbed as number) > 0);
    expect(queued).toMatchObject({ toEmbed: 31, embedded: 0, liveWorkers: 0, queueDepth: 4 });
    await api.gql(`mutation ($id: ID!) { cancelReindex(id: $id) { id } }`, { id });
    const cancelled = await poll(id, (job) => job.state === 'CANCELLED');
    expect(cancelled).toMatchObject({ state: 'CANCELLED', queueDepth: 0 });
  }, 120_000);

  test('a server that shuts down stops following its queued run without cancelling it: the workers carry on', async () => {
    const other = await startTestServer({ photoCount: 4, config: { catalogueUrl: postgres.createDatabase('other'), queueUrl: redis.url, queueBatchImages: 2 } });
    try {
      const started = await other.gql<{ reindex: { id: string } }>(`mutation { reindex(dir: ".") { id } }`);
      const { id } = started.data!.reindex;
      const deadline = Date.now() + 60_000;
      let job: Record<string, unknown> = {};
      while (!(job.state === 'RUNNING' && (job.toEmbed as number) > 0) && Date.now() < deadline) {
        job = (await other.gql<{ reindexJob: Record<string, unknown> }>(`query ($id: ID!) { reindexJob(id: $id) { state toEmbed } }`, { id })).data!.reindexJob;
      }
      expect(job).toMatchObject({ state: 'RUNNING', toEmbed: 5 });
    } finally {
      await other.close();
    }
    const redisClient = connectRedis(redis.url, 'test');
    try {
      const runs = new QueueRuns(redisClient);
      const run = (await runs.recent(5)).find((candidate) => candidate.root === other.photos);
      expect(run).toMatchObject({ state: 'running', toEmbed: 5, batches: 3 });
      await runs.cancel(run!.runId); // leaves the queue to the next test
    } finally {
      redisClient.disconnect();
    }
  }, 120_000);

  test('a worker does the work: SUCCEEDED with the worker counted, the corrupt file skipped with its reason', async () => {
    let worker: StartedWorker | undefined;
    try {
      worker = await startWorker(api.config, { heartbeatMs: 200 });
      const started = await api.gql<{ reindex: { id: string } }>(`mutation { reindex(dir: ".") { id } }`);
      const { id } = started.data!.reindex;
      const seenWorkers: number[] = [];
      const done = await poll(id, (job) => {
        seenWorkers.push(job.liveWorkers as number);
        return job.state !== 'QUEUED' && job.state !== 'RUNNING';
      });
      expect(done).toMatchObject({ state: 'SUCCEEDED', phase: 'DONE', seen: 31, embedded: 30, skipped: 1, error: null, skippedFiles: [{ path: 'corrupt.jpg', reason: 'corrupt' }] });
      expect(Math.max(...seenWorkers)).toBe(1);
      const catalogue = PostgresCatalogue.connect(api.config.catalogueUrl, { writable: false });
      try {
        expect(catalogue.countIndexed()).toBe(30);
        expect(catalogue.skipped().map((file) => file.reason)).toEqual(['corrupt']);
      } finally {
        catalogue.close();
      }
    } finally {
      await worker?.close();
    }
  }, 180_000);
});
