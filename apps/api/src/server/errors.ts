import crypto from 'node:crypto';
import type { GraphQLFormattedError } from 'graphql';
import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import { CatalogueUnreachableError, ImageSkipError, InvalidSearchError, ReindexJobsClosedError, ScanRootError } from '@sis/core';

export const BAD_USER_INPUT = 'BAD_USER_INPUT';
export const INTERNAL_SERVER_ERROR = 'INTERNAL_SERVER_ERROR';
export const SHUTTING_DOWN = 'SHUTTING_DOWN';
export const BAD_REQUEST = 'BAD_REQUEST';
export const CATALOGUE_UNAVAILABLE = 'CATALOGUE_UNAVAILABLE';

/** What clients are told while PostgreSQL is unreachable (the details, with its address, go to the log only). */
export const CATALOGUE_UNREACHABLE_MESSAGE =
  'The catalogue (PostgreSQL) is unreachable right now: searches by text go on from this server\'s index, and images it knows are served; try this again shortly.';

/** A request the client can fix: answered with extensions.code BAD_USER_INPUT and this message. */
export class UserInputError extends GraphQLError {
  constructor(message: string) {
    super(message, { extensions: { code: BAD_USER_INPUT } });
    this.name = 'UserInputError';
  }
}

/** Engine errors that mean "your input is wrong", not "the server is broken". */
const userErrorTypes = [InvalidSearchError, ScanRootError, ImageSkipError];

/** Codes whose messages are written for clients (GraphQL syntax/validation, bad input): passed through as they are. */
const clientCodes = new Set([
  BAD_USER_INPUT,
  'BUSY',
  SHUTTING_DOWN,
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  BAD_REQUEST,
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

function isClientStatus(http: unknown): boolean {
  const status = (http as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/** Follows originalError links down to the error that was thrown first. */
export function rootCause(error: unknown): unknown {
  let current = error;
  for (let i = 0; i < 10 && current instanceof GraphQLError && current.originalError; i++) current = current.originalError;
  return current;
}

/**
 * Apollo's formatError: client errors keep their message and get a clean `extensions` ({ code } only, never a
 * stack trace); anything else is logged with its details and an errorId, and answered with a generic message
 * carrying the same errorId so that a report can be matched with the log.
 */
export function createFormatError(logger: Logger): (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError {
  return (formatted, error) => {
    const cause = rootCause(error);
    const base = { message: formatted.message, ...(formatted.locations && { locations: formatted.locations }), ...(formatted.path && { path: formatted.path }) };
    if (cause instanceof GraphQLError && cause.extensions?.code === BAD_USER_INPUT) {
      return { ...base, message: cause.message, extensions: { code: BAD_USER_INPUT } };
    }
    if (userErrorTypes.some((type) => cause instanceof type)) {
      return { ...base, message: (cause as Error).message, extensions: { code: BAD_USER_INPUT } };
    }
    if (cause instanceof ReindexJobsClosedError) return { ...base, message: cause.message, extensions: { code: SHUTTING_DOWN } };
    if (cause instanceof CatalogueUnreachableError) {
      logger.warn({ err: cause, path: formatted.path }, 'the catalogue is unreachable');
      return { ...base, message: CATALOGUE_UNREACHABLE_MESSAGE, extensions: { code: CATALOGUE_UNAVAILABLE } };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && clientCodes.has(code)) return { ...base, extensions: { code } };
    // Request errors Apollo raises itself without a code, marked with a 4xx status (a persisted query of another
    // version, or whose hash does not match its text): the client's mistakes.
    if (cause instanceof GraphQLError && !cause.originalError && isClientStatus(cause.extensions?.http)) return { ...base, extensions: { code: BAD_REQUEST } };

    const errorId = crypto.randomUUID();
    logger.error({ err: cause instanceof Error ? cause : new Error(String(cause)), errorId, path: formatted.path }, 'unexpected error in a GraphQL request');
    return { ...base, message: 'Internal server error', extensions: { code: INTERNAL_SERVER_ERROR, errorId } };
  };
}
