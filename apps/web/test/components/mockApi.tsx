import { render, type RenderResult } from '@testing-library/react';
import { ApolloProvider } from '@apollo/client/react';
import { App } from '../../src/App';
import { createApolloClient } from '../../src/apollo';
import type { Hit, ReindexJob } from '../../src/graphql';

/**
 * Mocked GraphQL: a fetch that answers each operation (by operationName) from a handler, behind the app's real Apollo
 * client and HttpLink, so errors take the same path as in the browser (GraphQL errors, HTTP errors, failed fetches).
 */
export type Answer = { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] } | { httpStatus: number; body: string; contentType?: string } | Error;
export type Handler = (variables: Record<string, unknown>) => Answer | Promise<Answer>;

export interface MockApi {
  fetch: jest.Mock<Promise<Response>, [string, RequestInit]>;
  /** Variables of every call of an operation, in order. */
  calls(operationName: string): Record<string, unknown>[];
  handlers: Record<string, Handler>;
}

function fakeResponse(status: number, body: string, contentType: string): Response {
  return {
    status,
    ok: status < 300,
    headers: { get: (name: string) => (name.toLowerCase() === 'content-type' ? contentType : null) },
    text: async () => body,
  } as unknown as Response;
}

export function mockApi(handlers: Record<string, Handler>): MockApi {
  const log: { operationName: string; variables: Record<string, unknown> }[] = [];
  const fetch = jest.fn(async (_uri: string, init: RequestInit) => {
    const { operationName, variables } = JSON.parse(String(init.body)) as { operationName: string; variables: Record<string, unknown> };
    log.push({ operationName, variables });
    const handler = api.handlers[operationName];
    if (!handler) throw new Error(`no mock for ${operationName}`);
    const answer = await handler(variables);
    if (answer instanceof Error) throw answer;
    if ('httpStatus' in answer) return fakeResponse(answer.httpStatus, answer.body, answer.contentType ?? 'application/json');
    return fakeResponse(200, JSON.stringify(answer), 'application/graphql-response+json');
  });
  const api: MockApi = {
    fetch,
    handlers,
    calls: (operationName) => log.filter((entry) => entry.operationName === operationName).map((entry) => entry.variables),
  };
  return api;
}

export function renderApp(api: MockApi, url = '/'): RenderResult {
  window.history.replaceState(null, '', url);
  const client = createApolloClient('/graphql', api.fetch as unknown as typeof fetch);
  return render(
    <ApolloProvider client={client}>
      <App />
    </ApolloProvider>,
  );
}

export function statsAnswer(
  images = 8091,
  overrides: { maxResults?: number; currentReindexJob?: ReindexJob | null; maxUploadBytes?: number; scoreScale?: { minScore: number; good: number; strong: number } } = {},
): Answer {
  return {
    data: {
      stats: {
        __typename: 'Stats',
        images,
        modelName: 'clip-tiny-random',
        scoreScale: { __typename: 'ScoreScale', ...(overrides.scoreScale ?? { minScore: 0.2, good: 0.25, strong: 0.3 }) },
        allowedRoots: ['/home/me/Pictures'],
        limits: { __typename: 'Limits', maxResults: overrides.maxResults ?? 1000, maxQueryLength: 1000, maxUploadBytes: overrides.maxUploadBytes ?? 10 * 1024 * 1024 },
        index: { __typename: 'IndexStats', type: 'IDMap2,Flat', vectors: images, memoryBytes: images * 2048, fileBytes: images * 2048 + 1024 },
        currentReindexJob: overrides.currentReindexJob ?? null,
      },
    },
  };
}

export function makeHit(i: number, scoreBase = 0.31): Hit & { __typename: 'SearchHit' } {
  return {
    __typename: 'SearchHit',
    id: String(i + 1),
    path: `holidays/2024/dog_in-snow-${i + 1}.jpg`,
    imageUrl: `http://api.test/images/${i + 1}`,
    thumbnailUrl: `http://api.test/thumbnails/${i + 1}`,
    width: 500,
    height: 375,
    score: scoreBase - i * 0.0101,
    takenAt: null,
    cameraMake: null,
    cameraModel: null,
    fileType: 'jpeg',
    latitude: null,
    longitude: null,
  };
}

export function resultAnswer(count: number, options: { totalImages?: number; tookMs?: number; source?: { id: string; path: string } } = {}): Answer {
  return {
    data: {
      result: {
        __typename: 'SearchResult',
        totalImages: options.totalImages ?? 8091,
        minScore: null,
        tookMs: options.tookMs ?? 18.2,
        hits: Array.from({ length: count }, (_, i) => makeHit(i)),
      },
      ...(options.source && { source: { __typename: 'Image', ...options.source, thumbnailUrl: `http://api.test/thumbnails/${options.source.id}` } }),
    },
  };
}

/** Search answers k hits for whatever k it is asked. */
export const searchByK: Handler = (variables) => resultAnswer(Number(variables.k));

export function job(overrides: Partial<ReindexJob> = {}): ReindexJob & { __typename: 'ReindexJob' } {
  return {
    __typename: 'ReindexJob',
    id: 'job-1',
    dir: '/home/me/Pictures/holidays',
    state: 'RUNNING',
    phase: 'EMBEDDING',
    seen: 540,
    toEmbed: 500,
    embedded: 120,
    skipped: 3,
    removed: 0,
    unchanged: 40,
    imagesPerSecond: 18.2,
    etaSeconds: 20.9,
    liveWorkers: null,
    queueDepth: null,
    elapsedMs: 6600,
    error: null,
    skippedFiles: [],
    model: null,
    buildingModel: null,
    ...overrides,
  };
}
