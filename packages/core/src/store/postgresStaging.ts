import { encodeEmbedding } from './embeddingCodec';
import { CatalogueError, type ModelIdentity } from './errors';
import { NoStagedModelError, type CompletedSwitch, type ModelStagingStore, type StagedModel, type StagedVector, type StagingTarget } from './modelStaging';
import type { SyncPostgres } from './syncPostgres';

/** The model switch's SQL for the PostgreSQL catalogue (tables from migration 4, postgresMigrations.ts). */

interface SwitchRow {
  model_name: string;
  dimension: number;
  precision: string;
  started_at: number;
}

const CURRENT_STAGED = `SELECT staged.image_id FROM sis.staged_embeddings AS staged
  JOIN sis.images AS images ON images.id = staged.image_id AND images.status = 'indexed' AND images.size = staged.size AND images.mtime_ms = staged.mtime_ms`;

export class PostgresModelStaging implements ModelStagingStore {
  constructor(
    private readonly pg: SyncPostgres,
    private readonly location: string,
    /** The channel replicas listen on: a completed switch wakes them like any commit. */
    private readonly channel: string,
  ) {}

  stagedModel(): StagedModel | undefined {
    return this.pg.transaction(() => {
      const row = this.pg.query<SwitchRow>('SELECT model_name, dimension, precision, started_at FROM sis.model_switch WHERE id = 1').rows[0];
      if (!row) return undefined;
      const staged = Number(this.pg.query<{ n: number }>(`SELECT COUNT(*)::bigint AS n FROM (${CURRENT_STAGED}) AS current`).rows[0]?.n ?? 0);
      const indexed = Number(this.pg.query<{ n: number }>("SELECT COUNT(*)::bigint AS n FROM sis.images WHERE status = 'indexed'").rows[0]?.n ?? 0);
      return { modelName: row.model_name, dimension: row.dimension, precision: row.precision, startedAt: Number(row.started_at), staged, remaining: indexed - staged };
    }, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  }

  beginStaging(model: ModelIdentity & { precision: string }, now: number): StagedModel {
    this.pg.transaction(() => {
      this.pg.query('LOCK TABLE sis.model_switch IN EXCLUSIVE MODE');
      const row = this.pg.query<SwitchRow>('SELECT model_name, dimension, precision FROM sis.model_switch WHERE id = 1').rows[0];
      if (row && row.model_name === model.modelName && row.dimension === model.dimension && row.precision === model.precision) return;
      this.pg.query('DELETE FROM sis.staged_embeddings');
      this.pg.query('DELETE FROM sis.model_switch');
      this.pg.query('INSERT INTO sis.model_switch (id, model_name, dimension, precision, started_at) VALUES (1, $1, $2, $3, $4)', [
        model.modelName,
        model.dimension,
        model.precision,
        now,
      ]);
    });
    return this.stagedModel()!;
  }

  unstagedImages(afterId: number, limit: number): StagingTarget[] {
    return this.pg
      .query<{ id: number; path: string; size: number; mtime_ms: number }>(
        `SELECT id, path, size, mtime_ms FROM sis.images WHERE status = 'indexed' AND id > $1 AND id NOT IN (${CURRENT_STAGED}) ORDER BY id LIMIT $2`,
        [afterId, limit],
      )
      .rows.map((row) => ({ id: Number(row.id), path: row.path, size: Number(row.size), mtimeMs: row.mtime_ms }));
  }

  stageVectors(vectors: readonly StagedVector[]): void {
    this.pg.transaction(() => {
      const dimension = this.requireSwitch().dimension;
      const wrong = vectors.find((vector) => vector.embedding.length !== dimension);
      if (wrong) throw new CatalogueError(`A staged vector of ${wrong.path} has ${wrong.embedding.length} dimensions, the staged model ${dimension}; nothing was staged.`);
      this.pg.query(
        `INSERT INTO sis.staged_embeddings (image_id, size, mtime_ms, vector)
         SELECT t.id, t.size, t.mtime_ms, t.vector FROM unnest($1::bigint[], $2::bigint[], $3::float8[], $4::bytea[]) AS t (id, size, mtime_ms, vector)
         JOIN sis.images AS images ON images.id = t.id AND images.status = 'indexed'
         ON CONFLICT (image_id) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms, vector = excluded.vector`,
        [vectors.map((v) => v.id), vectors.map((v) => v.size), vectors.map((v) => v.mtimeMs), vectors.map((v) => encodeEmbedding(v.embedding))],
      );
    });
  }

  completeStaging(): CompletedSwitch {
    const pg = this.pg;
    return pg.transaction((): CompletedSwitch => {
      // The meta row first, as every commit: writers of the old model wait, then see the new one.
      const before = pg.query<SwitchRow & { generation: number }>('SELECT model_name, dimension, precision, generation FROM sis.meta WHERE id = 1 FOR UPDATE').rows[0];
      if (!before) throw new CatalogueError(`${this.location} has no meta row: it is not a catalogue of this tool.`);
      const target = this.requireSwitch();
      pg.query(`DELETE FROM sis.staged_embeddings WHERE image_id NOT IN (${CURRENT_STAGED})`);
      const forgotten = pg
        .query<{ path: string }>(`SELECT path FROM sis.images WHERE status = 'indexed' AND id NOT IN (SELECT image_id FROM sis.staged_embeddings) ORDER BY path COLLATE "C"`)
        .rows.map((row) => row.path);
      pg.query("DELETE FROM sis.images WHERE status = 'indexed' AND id NOT IN (SELECT image_id FROM sis.staged_embeddings)");
      pg.query('DELETE FROM sis.embeddings');
      pg.query('INSERT INTO sis.embeddings (image_id, vector) SELECT image_id, vector FROM sis.staged_embeddings');
      pg.query('DELETE FROM sis.staged_embeddings');
      pg.query('DELETE FROM sis.model_switch');
      pg.query('DELETE FROM sis.changes');
      const generation = Number(before.generation) + 1;
      pg.query('UPDATE sis.meta SET model_name = $1, dimension = $2, precision = $3, generation = $4, log_starts_at = $4 WHERE id = 1', [
        target.modelName,
        target.dimension,
        target.precision,
        generation,
      ]);
      const indexedCount = Number(pg.query<{ n: number }>("SELECT COUNT(*)::bigint AS n FROM sis.images WHERE status = 'indexed'").rows[0]?.n ?? 0);
      pg.query('SELECT pg_notify($1, $2)', [this.channel, String(generation)]);
      return {
        previous: { modelName: before.model_name, dimension: before.dimension, precision: before.precision },
        model: target,
        generation,
        indexedCount,
        forgotten,
      };
    });
  }

  discardStaging(): void {
    this.pg.transaction(() => {
      this.pg.query('DELETE FROM sis.staged_embeddings');
      this.pg.query('DELETE FROM sis.model_switch');
    });
  }

  private requireSwitch(): ModelIdentity & { precision: string } {
    const row = this.pg.query<SwitchRow>('SELECT model_name, dimension, precision FROM sis.model_switch WHERE id = 1').rows[0];
    if (!row) throw new NoStagedModelError(this.location);
    return { modelName: row.model_name, dimension: row.dimension, precision: row.precision };
  }
}
