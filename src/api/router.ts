/**
 * The route table. Paths are Docker's, with `{name}` params (one segment) and `{name:.*}`
 * greedy params (image names contain slashes: `/images/{name:.*}/json`, as moby's router).
 * The optional `/v1.NN` prefix is stripped by the server before matching.
 */
import type { Reply } from './reply.js';
import type { RequestContext } from './request-context.js';

export type Handler<S> = (ctx: RequestContext, services: S) => Promise<Reply>;

interface Route<S> {
  readonly method: string;
  readonly pattern: string;
  readonly regex: RegExp;
  readonly names: readonly string[];
  readonly handler: Handler<S>;
}

export interface RouteMatch<S> {
  readonly handler: Handler<S>;
  readonly params: Record<string, string>;
}

export class Router<S> {
  private readonly routes: Route<S>[] = [];

  on(method: string, pattern: string, handler: Handler<S>): this {
    const names: string[] = [];
    const source = pattern
      .split(/(\{[a-zA-Z]+(?::\.\*)?\})/)
      .map((part) => {
        const m = /^\{([a-zA-Z]+)(:\.\*)?\}$/.exec(part);
        if (!m?.[1]) return escapeRegex(part);
        names.push(m[1]);
        return m[2] ? '(.+)' : '([^/]+)';
      })
      .join('');
    this.routes.push({ method, pattern, regex: new RegExp(`^${source}/?$`), names, handler });
    return this;
  }

  /** The first route, in registration order, whose method and path match. */
  find(method: string, path: string): RouteMatch<S> | undefined {
    const m = method === 'HEAD' ? ['HEAD', 'GET'] : [method];
    for (const wanted of m) {
      for (const route of this.routes) {
        if (route.method !== wanted) continue;
        const hit = route.regex.exec(path);
        if (!hit) continue;
        const params: Record<string, string> = {};
        route.names.forEach((name, i) => {
          params[name] = safeDecode(hit[i + 1] ?? '');
        });
        return { handler: route.handler, params };
      }
    }
    return undefined;
  }

  /** Whether the path exists for some other method (405 vs 404). */
  hasPath(path: string): boolean {
    return this.routes.some((r) => r.regex.test(path));
  }
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
