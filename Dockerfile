# syntax=docker/dockerfile:1
# Portvakt gateway (`portvakt serve`), configured by environment only (README "portvakt serve", deploy/README.md).
#
#   docker build -t portvakt .
#   docker run --rm -p 8080:8080 -e MASKINPORTEN_ISSUER=… -e ALTINN_PDP_URL=… portvakt

# ---- build: all dependencies, TypeScript → dist/ ----
FROM node:20-slim AS build
WORKDIR /app
# Dependencies first, so that a source change does not reinstall them. No install scripts: `prepare` would
# compile before the sources are here, and nothing tsc needs has an install script.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json

# ---- runtime: the library's dependencies and the gateway's (optional peers), dist/, the CLI, the API description ----
FROM node:20-slim AS runtime
ENV NODE_ENV=production \
    PORT=8080
WORKDIR /app
COPY package.json package-lock.json ./
# `--omit=dev` leaves out the gateway's packages too (they are optional peers of the library): add them at the
# versions the lockfile pins.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm install --no-save --ignore-scripts --no-audit --no-fund $(node -p "const l=require('./package-lock.json').packages; \
      Object.keys(require('./package.json').peerDependencies).map((n)=>n+'@'+l['node_modules/'+n].version).join(' ')") \
 && npm cache clean --force
COPY bin ./bin
COPY openapi.yaml ./
COPY --from=build /app/dist ./dist
# Everything above belongs to root and is read-only for the process; it runs as the image's `node` user.
USER node
EXPOSE 8080
# Ready = signing keys loaded and the claims store answering (GET /health/ready is 200).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Node is PID 1 and handles SIGTERM itself: stop accepting, drain in-flight requests (≤ 10 s), exit 0.
CMD ["node", "bin/portvakt.js", "serve"]
