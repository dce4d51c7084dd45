import { CombinedGraphQLErrors, ServerError, ServerParseError } from '@apollo/client';

/** What went wrong with a request, for a person: never a stack trace. */
export type Problem =
  | { kind: 'unreachable'; message: string }
  | { kind: 'api'; message: string };

function messageFromBody(bodyText: string): string | undefined {
  try {
    const body = JSON.parse(bodyText) as { errors?: { message?: unknown }[]; error?: unknown };
    const fromErrors = body.errors?.map((error) => error.message).filter((message): message is string => typeof message === 'string');
    if (fromErrors && fromErrors.length > 0) return fromErrors.join(' ');
    if (typeof body.error === 'string') return body.error;
  } catch {
    // not JSON: a proxy's or a gateway's page
  }
  return undefined;
}

/**
 * Sorts an Apollo error into "the API said no" (its messages, as written for clients) and "the API could not be reached"
 * (the fetch failed, or a proxy in between answered 502/503/504 or an empty 500 because nothing listens behind it).
 */
export function describeProblem(error: unknown): Problem {
  if (CombinedGraphQLErrors.is(error)) {
    const messages = error.errors.map((item) => item.message).filter(Boolean);
    return { kind: 'api', message: messages.length > 0 ? messages.join(' ') : 'The server answered with an error.' };
  }
  if (ServerError.is(error)) {
    const message = messageFromBody(error.bodyText);
    if (message) return { kind: 'api', message };
    if (error.statusCode >= 500) return { kind: 'unreachable', message: `The server answered HTTP ${error.statusCode}.` };
    return { kind: 'api', message: `The server answered HTTP ${error.statusCode}.` };
  }
  if (ServerParseError.is(error)) {
    return { kind: 'unreachable', message: 'The server sent something that is not a GraphQL answer: is the API behind this address?' };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { kind: 'unreachable', message };
}
