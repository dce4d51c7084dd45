import type Database from 'better-sqlite3';
import { encodeEmbedding } from './embeddingCodec';
import { CatalogueError, type ModelIdentity } from './errors';
import { NoStagedModelError, type CompletedSwitch, type ModelStagingStore, type StagedModel, type StagedVector, type StagingTarget } from './modelStaging';

/** The model switch's SQL for the SQLite catalogue (tables from migration 4, sqliteMigrations.ts). */

interface SwitchRow {
  model_name: string;
  dimension: number;
  precision: string;
  started_at: number;
}

/** Staged rows whose vector was made from the file as the catalogue knows it now. */
const CURRENT_STAGED = `SELECT staged.image_id FROM staged_embeddings AS staged
  JOIN images ON images.id = staged.image_id AND images.status = 'indexed' AND images.size = staged.size AND images.mtime_ms = staged.mtime_ms`;

export class SqliteModelStaging implements ModelStagingStore {
  constructor(
    private readonly db: Database.Database,
    private readonly location: string,
    /** False for a catalogue read before migration 4 (a reader of an older one): it has no switch. */
    private readonly hasTables: () => boolean,
  ) {}

  stagedModel(): StagedModel | undefined {
    if (!this.hasTables()) return undefined;
    return this.db.transaction(() => {
      const row = this.db.prepare<[], SwitchRow>('SELECT model_name, dimension, precision, started_at FROM model_switch WHERE id = 1').get();
      if (!row) return undefined;
      const staged = this.db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM (${CURRENT_STAGED})`).get()?.n ?? 0;
      const indexed = this.db.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM images WHERE status = 'indexed'").get()?.n ?? 0;
      return { modelName: row.model_name, dimension: row.dimension, precision: row.precision, startedAt: row.started_at, staged, remaining: indexed - staged };
    }).deferred();
  }

  beginStaging(model: ModelIdentity & { precision: string }, now: number): StagedModel {
    this.db.transaction(() => {
      const row = this.db.prepare<[], SwitchRow>('SELECT model_name, dimension, precision, started_at FROM model_switch WHERE id = 1').get();
      if (row && row.model_name === model.modelName && row.dimension === model.dimension && row.precision === model.precision) return;
      this.db.exec('DELETE FROM staged_embeddings; DELETE FROM model_switch');
      this.db
        .prepare<[string, number, string, number], unknown>('INSERT INTO model_switch (id, model_name, dimension, precision, started_at) VALUES (1, ?, ?, ?, ?)')
        .run(model.modelName, model.dimension, model.precision, now);
    }).immediate();
    return this.stagedModel()!;
  }

  unstagedImages(afterId: number, limit: number): StagingTarget[] {
    return this.db
      .prepare<[number, number], { id: number; path: string; size: number; mtime_ms: number }>(
        `SELECT id, path, size, mtime_ms FROM images WHERE status = 'indexed' AND id > ? AND id NOT IN (${CURRENT_STAGED}) ORDER BY id LIMIT ?`,
      )
      .all(afterId, limit)
      .map((row) => ({ id: row.id, path: row.path, size: row.size, mtimeMs: row.mtime_ms }));
  }

  stageVectors(vectors: readonly StagedVector[]): void {
    this.db.transaction(() => {
      const dimension = this.requireSwitch().dimension;
      const upsert = this.db.prepare<[number, number, number, Buffer, number], unknown>(
        `INSERT INTO staged_embeddings (image_id, size, mtime_ms, vector) SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM images WHERE id = ? AND status = 'indexed')
         ON CONFLICT (image_id) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms, vector = excluded.vector`,
      );
      for (const vector of vectors) {
        if (vector.embedding.length !== dimension) {
          throw new CatalogueError(`A staged vector of ${vector.path} has ${vector.embedding.length} dimensions, the staged model ${dimension}; nothing was staged.`);
        }
        upsert.run(vector.id, vector.size, vector.mtimeMs, encodeEmbedding(vector.embedding), vector.id);
      }
    }).immediate();
  }

  completeStaging(): CompletedSwitch {
    return this.db.transaction((): CompletedSwitch => {
      const target = this.requireSwitch();
      const before = this.db.prepare<[], SwitchRow & { generation: number }>('SELECT model_name, dimension, precision, generation FROM meta WHERE id = 1').get();
      if (!before) throw new CatalogueError(`${this.location} has no meta row: it is not a catalogue of this tool.`);
      this.db.exec(`DELETE FROM staged_embeddings WHERE image_id NOT IN (${CURRENT_STAGED})`);
      const forgotten = this.db
        .prepare<[], { path: string }>("SELECT path FROM images WHERE status = 'indexed' AND id NOT IN (SELECT image_id FROM staged_embeddings) ORDER BY path")
        .all()
        .map((row) => row.path);
      this.db.exec(`
        DELETE FROM images WHERE status = 'indexed' AND id NOT IN (SELECT image_id FROM staged_embeddings);
        DELETE FROM embeddings;
        INSERT INTO embeddings (image_id, vector) SELECT image_id, vector FROM staged_embeddings;
        DELETE FROM staged_embeddings;
        DELETE FROM model_switch;
        -- Every vector changed: the log starts again, and whoever follows it rebuilds from the embeddings.
        DELETE FROM changes;
      `);
      this.db
        .prepare<[string, number, string], unknown>('UPDATE meta SET model_name = ?, dimension = ?, precision = ?, generation = generation + 1, log_starts_at = generation + 1 WHERE id = 1')
        .run(target.modelName, target.dimension, target.precision);
      const indexedCount = this.db.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM images WHERE status = 'indexed'").get()?.n ?? 0;
      return {
        previous: { modelName: before.model_name, dimension: before.dimension, precision: before.precision },
        model: { modelName: target.modelName, dimension: target.dimension, precision: target.precision },
        generation: before.generation + 1,
        indexedCount,
        forgotten,
      };
    }).immediate();
  }

  discardStaging(): void {
    if (!this.hasTables()) return;
    this.db.transaction(() => this.db.exec('DELETE FROM staged_embeddings; DELETE FROM model_switch')).immediate();
  }

  private requireSwitch(): ModelIdentity & { precision: string } {
    const row = this.db.prepare<[], SwitchRow>('SELECT model_name, dimension, precision FROM model_switch WHERE id = 1').get();
    if (!row) throw new NoStagedModelError(this.location);
    return { modelName: row.model_name, dimension: row.dimension, precision: row.precision };
  }
}
