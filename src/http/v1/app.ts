/**
 * /api/v1: the JSON API for automation (monitoring, the sending pipeline, scripts). A thin adapter: each
 * route parses the request, calls one service function and maps the result (or the error) to the wire.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { adminRoutes } from './admin.ts';
import { authenticate } from './auth.ts';
import { MAX_BODY_BYTES } from '../body-limit.ts';
import { type ApiDeps, type V1Env, errorResponse, validationHook } from './core.ts';
import { openApiDocument } from './document.ts';
import { renderDocsPage } from './docs.ts';
import { idempotency } from './idempotency.ts';
import { incidentRoutes } from './incidents.ts';
import { maintenanceRoutes } from './maintenance.ts';
import { noticeRoutes } from './notices.ts';
import { overviewRoutes } from './overview.ts';
import { recoveryRoutes } from './recovery.ts';
import { serviceRoutes } from './services.ts';
import { webhookRoutes } from './webhooks.ts';

export type V1App = OpenAPIHono<V1Env>;

/** Every resource file adds its routes here; the order is the order of the reference. */
const RESOURCES: ((app: V1App) => void)[] = [
  overviewRoutes,
  incidentRoutes,
  recoveryRoutes,
  noticeRoutes,
  maintenanceRoutes,
  serviceRoutes,
  adminRoutes,
  webhookRoutes,
];

export function createV1(deps: ApiDeps): V1App {
  const v1 = new OpenAPIHono<V1Env>({ defaultHook: validationHook });
  v1.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'vdt_…',
    description:
      'An API token: `Authorization: Bearer vdt_...`. The scopes listed on each operation are the least the token needs (admin ⊃ write ⊃ read).',
  });
  v1.onError(errorResponse);

  // The reference is public: it documents the API and holds no data.
  let document: ReturnType<typeof openApiDocument> | undefined;
  const doc = () => (document ??= openApiDocument(v1));
  v1.get('/openapi.json', (c) => c.json(doc()));
  v1.get('/docs', (c) => {
    c.header('Cache-Control', 'public, max-age=300');
    return c.html(renderDocsPage(doc()));
  });

  v1.use(
    '*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new HTTPException(413);
      },
    }),
  );
  v1.use('*', authenticate(deps));
  v1.use('*', idempotency());
  for (const register of RESOURCES) register(v1);
  return v1;
}
