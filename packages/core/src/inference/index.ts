export { InferenceScheduler, type InferencePriority, type InferenceSchedulerSettings, type InferenceSchedulerStats } from './scheduler';
export { scheduledEmbedder, type ScheduledEmbedderOptions } from './scheduledEmbedder';
