import { Field, Float, GraphQLISODateTime, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum ReindexJobState {
  QUEUED = 'queued',
  RUNNING = 'running',
  SUCCEEDED = 'succeeded',
  FAILED = 'failed',
  CANCELLED = 'cancelled',
}
registerEnumType(ReindexJobState, {
  name: 'ReindexJobState',
  description: 'QUEUED and RUNNING are transient; SUCCEEDED, FAILED and CANCELLED are final.',
});

export enum ReindexPhase {
  SCANNING = 'scanning',
  EMBEDDING = 'embedding',
  SAVING = 'saving',
  DONE = 'done',
}
registerEnumType(ReindexPhase, { name: 'ReindexPhase' });

@ObjectType({ description: 'An indexed image.' })
export class Image {
  @Field(() => ID, { description: 'Stable catalogue id: the same file keeps its id across reindexes.' })
  id!: string;

  @Field({ description: 'Path relative to the allowed root that holds it, with "/" separators (the file name for files indexed from elsewhere).' })
  path!: string;

  @Field({ description: 'The original file: GET, served with its content type and cache headers.' })
  imageUrl!: string;

  @Field({ description: 'A JPEG of at most 256x256 pixels, made on first request and kept under the data directory.' })
  thumbnailUrl!: string;

  @Field(() => Int, { description: 'Width in pixels, EXIF orientation applied.' })
  width!: number;

  @Field(() => Int, { description: 'Height in pixels, EXIF orientation applied.' })
  height!: number;
}

@ObjectType({ description: 'An image found by a search, with how similar it is to the query.' })
export class SearchHit extends Image {
  @Field(() => Float, { description: 'Cosine similarity with the query, from -1 to 1; hits are sorted by it, best first.' })
  score!: number;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When the photo was taken (EXIF DateTimeOriginal, read as UTC wall-clock time); null when the file has none or its metadata has not been read yet.' })
  takenAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'Camera maker (EXIF Make), e.g. "Canon"; null when absent.' })
  cameraMake!: string | null;

  @Field(() => String, { nullable: true, description: 'Camera model (EXIF Model), e.g. "EOS 5D"; null when absent.' })
  cameraModel!: string | null;

  @Field(() => String, { nullable: true, description: "File type as the decoder names it: jpeg, png, webp, gif, tiff, avif, heif; null until the file's metadata has been read (the next reindex reads it)." })
  fileType!: string | null;

  @Field(() => Float, { nullable: true, description: 'GPS latitude in WGS84 degrees (EXIF); null when absent.' })
  latitude!: number | null;

  @Field(() => Float, { nullable: true, description: 'GPS longitude in WGS84 degrees (EXIF); null when absent.' })
  longitude!: number | null;
}

@ObjectType()
export class SearchResult {
  @Field(() => [SearchHit], { description: 'At most k hits, best first.' })
  hits!: SearchHit[];

  @Field(() => Int, { description: 'Images in the index (0: nothing has been indexed yet).' })
  totalImages!: number;

  @Field(() => Float, { description: 'Time the search took in the engine (embedding the query + nearest-neighbour search), in milliseconds.' })
  tookMs!: number;

  @Field(() => Float, { nullable: true, description: "The score threshold applied: the request's minScore, or for a text search the model's default; null when none." })
  minScore!: number | null;
}

@ObjectType({ description: 'A file a reindex could not embed.' })
export class SkippedFile {
  @Field({ description: 'Path relative to the reindexed folder.' })
  path!: string;

  @Field({ description: 'Machine-readable reason: corrupt, unsupported-format, empty-file, too-many-pixels, unreadable, not-found, outside-root (a symbolic link leading outside the indexed folder, not followed).' })
  reason!: string;

  @Field({ description: 'What went wrong, for a person.' })
  message!: string;
}

@ObjectType({ description: 'A background reindex of one folder. Poll reindexJob(id) about once a second while it is QUEUED or RUNNING.' })
export class ReindexJob {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'Absolute real path of the folder being indexed.' })
  dir!: string;

  @Field(() => String, { nullable: true, description: 'The model this job switches the library to (reindex(model:)); null for a plain reindex.' })
  model!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'The model whose vectors are being built now: the new one while a switch builds them and reindexes with it; null otherwise.',
  })
  buildingModel!: string | null;

  @Field(() => ReindexJobState)
  state!: ReindexJobState;

  @Field(() => ReindexPhase, { description: 'What the indexer is doing now (DONE once it has finished).' })
  phase!: ReindexPhase;

  @Field(() => Int, { description: 'Image files found in the folder.' })
  seen!: number;

  @Field(() => Int, { description: 'New or changed files this run has to embed.' })
  toEmbed!: number;

  @Field(() => Int)
  embedded!: number;

  @Field(() => Int, { description: 'Files skipped in this run (see skippedFiles once the job has finished).' })
  skipped!: number;

  @Field(() => Int, { description: 'Indexed files that were gone from the folder and were removed from the index.' })
  removed!: number;

  @Field(() => Int, { description: 'Files already indexed and unchanged.' })
  unchanged!: number;

  @Field(() => Float, { description: 'Embedding rate of this run.' })
  imagesPerSecond!: number;

  @Field(() => Float, { nullable: true, description: 'Seconds left at the current rate; null until there is a rate, 0 when done.' })
  etaSeconds!: number | null;

  @Field(() => Int, { nullable: true, description: 'Through the embedding queue (SIS_QUEUE_URL): workers with a live heartbeat; null for a reindex in the server itself.' })
  liveWorkers!: number | null;

  @Field(() => Int, { nullable: true, description: 'Through the embedding queue: batches waiting or in hand (all runs); null for a reindex in the server itself.' })
  queueDepth!: number | null;

  @Field(() => GraphQLISODateTime)
  createdAt!: Date;

  @Field(() => GraphQLISODateTime, { nullable: true })
  startedAt!: Date | null;

  @Field(() => GraphQLISODateTime, { nullable: true })
  finishedAt!: Date | null;

  @Field(() => Float, { description: 'Time spent running so far (or in total, once finished), in milliseconds.' })
  elapsedMs!: number;

  @Field(() => String, { nullable: true, description: 'Why the job FAILED.' })
  error!: string | null;

  @Field(() => [SkippedFile], { description: 'Files skipped in this run with their reasons: filled in when the job has finished.' })
  skippedFiles!: SkippedFile[];
}

@ObjectType({ description: 'The bounds this server enforces on requests.' })
export class Limits {
  @Field(() => Int, { description: 'Largest k.' })
  maxResults!: number;

  @Field(() => Int, { description: 'Longest text query, in characters.' })
  maxQueryLength!: number;

  @Field(() => Int, { description: 'Largest uploaded image (decoded), in bytes.' })
  maxUploadBytes!: number;

  @Field(() => Int, { description: 'Deepest field nesting of a query.' })
  maxQueryDepth!: number;
}

@ObjectType({ description: 'The vector index: which FAISS index the engine chose for the collection, and what it costs.' })
export class IndexStats {
  @Field({ description: 'FAISS factory-style description, e.g. IDMap2,Flat (exact search) or IVF4096,SQ8 (approximate).' })
  type!: string;

  @Field({ description: 'flat, ivf, hnsw or other.' })
  kind!: string;

  @Field({ description: 'Why this index was chosen (collection size, memory budget, or SIS_INDEX_FACTORY).' })
  choice!: string;

  @Field(() => Int, { description: 'Vectors searchable.' })
  vectors!: number;

  @Field(() => Int, { description: 'Collection size the index was built (trained) for; it is retrained in the background at 4x.' })
  builtFor!: number;

  @Field({ description: 'Search-time parameters in effect, e.g. "nprobe=8"; empty for exact search.' })
  searchParams!: string;

  @Field(() => Float, { nullable: true, description: 'recall@10 against exact search measured when the index was built; null when not measured (exact search).' })
  measuredRecall!: number | null;

  @Field(() => String, { nullable: true, description: 'Search parameters of text queries when tuned apart from image queries (e.g. "nprobe=64"); null when text queries use searchParams.' })
  textSearchParams!: string | null;

  @Field(() => Float, { nullable: true, description: 'The same on image queries alone (held-out stored vectors); null when not measured.' })
  measuredRecallImage!: number | null;

  @Field(() => Float, { nullable: true, description: "The same on text queries (the model's embeddings of built-in phrases); null when not measured (exact search, or built without the model)." })
  measuredRecallText!: number | null;

  @Field(() => Float, { description: 'Bytes the index holds in memory in this server.' })
  memoryBytes!: number;

  @Field(() => Float, { nullable: true, description: 'Size of image_index.faiss on disk; null before it is first saved.' })
  fileBytes!: number | null;

  @Field(() => String, { nullable: true, description: 'Why a replacement index is being built in the background, if one is.' })
  rebuilding!: string | null;
}

@ObjectType({ description: "What a cosine score means for the model in use: SigLIP's run about a third of CLIP's (see `sis models`)." })
export class ScoreScale {
  @Field(() => Float, { description: 'Suggested minScore: hits below it are very unlikely to match.' })
  minScore!: number;

  @Field(() => Float, { description: 'A text-image score that usually means a fair match.' })
  good!: number;

  @Field(() => Float, { description: 'A text-image score that usually means a clear match.' })
  strong!: number;
}

@ObjectType()
export class Stats {
  @Field(() => Int, { description: 'Images in the index (what search covers).' })
  images!: number;

  @Field(() => Int, { description: 'Files remembered as not embeddable.' })
  skippedFiles!: number;

  @Field({ description: 'FAISS index kind, e.g. IndexFlatIP (exact inner-product search on normalised vectors, i.e. cosine).' })
  indexType!: string;

  @Field(() => IndexStats)
  index!: IndexStats;

  @Field()
  modelName!: string;

  @Field(() => Int, { description: 'Embedding dimension.' })
  dimension!: number;

  @Field({ description: "The model's family, from its config.json: clip or siglip." })
  modelFamily!: string;

  @Field(() => ScoreScale, { description: "Score defaults of the model's entry in `sis models`, else of its family." })
  scoreScale!: ScoreScale;

  @Field()
  dataDir!: string;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When the last complete reindex finished; null before the first one.' })
  lastReindexAt!: Date | null;

  @Field(() => [String], { description: 'Folders reindex(dir) accepts (with everything below them).' })
  allowedRoots!: string[];

  @Field(() => ReindexJob, { nullable: true, description: 'The reindex queued or running now, if any.' })
  currentReindexJob!: ReindexJob | null;

  @Field(() => Limits)
  limits!: Limits;
}
