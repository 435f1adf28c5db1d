import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type Express, type RequestHandler, Router } from 'express';

/** Where the page and its assets live; absolute so `/docs` and `/docs/` load the same files. */
export const DOCS_PATH = '/docs';

/**
 * The files of `swagger-ui-dist` the page uses, served from node_modules (no CDN: the page works
 * offline and no third party sees who reads the docs). A whitelist, not the whole directory: the
 * package's own index.html and initializer carry inline script and point at the petstore.
 */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};

/**
 * Only what the page needs, on /docs only (the rest of the gateway answers `default-src 'none'`):
 * scripts and styles from this origin — no inline script, so the initializer is a served file —
 * the spec fetched from this origin, and the `data:` SVG icons swagger-ui's CSS embeds.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE = `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>Krav og betalinger (via Portvakt): API reference</title>
    <link rel="stylesheet" href="${DOCS_PATH}/swagger-ui.css">
    <link rel="icon" type="image/png" href="${DOCS_PATH}/favicon-32x32.png" sizes="32x32">
    <link rel="icon" type="image/png" href="${DOCS_PATH}/favicon-16x16.png" sizes="16x16">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="${DOCS_PATH}/swagger-ui-bundle.js"></script>
    <script src="${DOCS_PATH}/init.js"></script>
  </body>
</html>
`;

/**
 * validatorUrl null: swagger-ui would otherwise send the spec to validator.swagger.io (and CSP would
 * block it). Try-it-out is off: tokens come from a Maskinporten JWT grant a browser cannot make.
 */
const initScript = (specUrl: string) => `'use strict';
window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: ${JSON.stringify(specUrl)},
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    supportedSubmitMethods: [],
    docExpansion: 'list',
  });
});
`;

const swaggerUiDir = () => dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

export interface DocsOptions {
  /** URL the page loads the OpenAPI document from. Default `/openapi.yaml`. */
  specUrl?: string;
}

/** Mounts `/docs` (the page), `/docs/init.js` and the whitelisted swagger-ui assets. */
export function mountDocs(app: Express, options: DocsOptions = {}): void {
  const dir = swaggerUiDir();
  const script = initScript(options.specUrl ?? '/openapi.yaml');
  const docsCsp: RequestHandler = (_req, res, next) => {
    res.setHeader('Content-Security-Policy', DOCS_CSP);
    next();
  };
  const router = Router({ strict: false });
  router.get('/', docsCsp, (_req, res) => {
    res.type('text/html; charset=utf-8').send(PAGE);
  });
  router.get('/init.js', (_req, res) => {
    res.type('text/javascript; charset=utf-8').send(script);
  });
  router.get('/:asset', (req, res, next) => {
    const type = Object.hasOwn(ASSETS, req.params.asset) ? ASSETS[req.params.asset] : undefined;
    if (!type) return next();
    // Versioned with the package; an hour of caching spares the 1.5 MB bundle on every visit.
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.type(type);
    res.sendFile(join(dir, req.params.asset), { dotfiles: 'deny', cacheControl: false, lastModified: false }, (err) => {
      if (err) next(err);
    });
  });
  app.use(DOCS_PATH, router);
}
