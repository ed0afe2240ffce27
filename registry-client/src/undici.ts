/**
 * The two parts of undici the client uses, Agent and the request API,
 * loaded without undici's index, which also loads fetch, WebSocket, the
 * mock agents, cache stores and proxy agents: ~130 ms of CPU and ~2,000
 * page faults per process here (`node -e "require('undici')"` against
 * these two), paid by every `berth pull`. undici is pinned in the lockfile;
 * its package has no `exports` map, so these paths are part of what it ships.
 */
import type { Agent as UndiciAgent, Dispatcher } from 'undici';

/* eslint-disable @typescript-eslint/no-require-imports -- undici's lib files have no type declarations of their own */
export const Agent = require('undici/lib/dispatcher/agent') as typeof UndiciAgent;
export type Agent = UndiciAgent;
const apiRequest = require('undici/lib/api/api-request') as (
  this: Dispatcher,
  opts: Dispatcher.RequestOptions,
) => Promise<Dispatcher.ResponseData>;
/* eslint-enable @typescript-eslint/no-require-imports */

/** undici's `request(url, options)` for a caller that always names its dispatcher. */
export function request(
  url: URL,
  options: Omit<Dispatcher.RequestOptions, 'origin' | 'path' | 'method'> & { method?: Dispatcher.HttpMethod; dispatcher: Dispatcher },
): Promise<Dispatcher.ResponseData> {
  const { dispatcher, ...rest } = options;
  return apiRequest.call(dispatcher, {
    ...rest,
    origin: url.origin,
    path: url.search ? `${url.pathname}${url.search}` : url.pathname,
    method: options.method ?? 'GET',
  });
}
