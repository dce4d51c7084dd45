/** A search the client can correct (bad k, minScore, text or query term): the message says what to change. */
export class InvalidSearchError extends Error {
  override readonly name = 'InvalidSearchError';
}
