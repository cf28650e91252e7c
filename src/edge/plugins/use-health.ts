import type { Plugin } from 'graphql-yoga';

/** `GET /health`: 200 once the database is migrated and recovery is done, 503 while shutting down. */
export function useHealth(isReady: () => boolean): Plugin {
  return {
    onRequest({ request, endResponse, fetchAPI }) {
      if (!request.url.endsWith('/health') && !request.url.includes('/health?')) return;
      const { pathname } = new URL(request.url);
      if (pathname !== '/health') return;
      const ready = isReady();
      endResponse(
        new fetchAPI.Response(JSON.stringify({ status: ready ? 'ok' : 'unavailable' }), {
          status: ready ? 200 : 503,
          headers: { 'content-type': 'application/json' },
        }),
      );
    },
  };
}
