export {
  ReindexJobs,
  ReindexJobsClosedError,
  isFinished,
  type ReindexJob,
  type ReindexJobState,
  type ReindexJobsOptions,
  type ReindexRunner,
  type ReindexRequest,
} from './reindexJobs';
