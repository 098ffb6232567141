# syntax=docker/dockerfile:1
# One image for every worker role: the task's command picks it, `node <the role's node options>
# workers/main.js <role>` (crawler, stream-reader, scorer, projector, api, batch, replay; the
# options are in shared/worker-node-options.ts). WORKER_ROLE works too, without those options. The
# TypeScript is compiled in its own stage; the image runs that JavaScript with production
# dependencies only (no tsx, no TypeScript, no loader in the inference threads).

ARG NODE_IMAGE=node:22-bookworm-slim

# tsc over shared/, models/ and workers/ (tsconfig.build.json) into dist/, same layout as the sources.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY shared ./shared
COPY models ./models
COPY workers ./workers
RUN npm run build

# Production dependencies only; onnxruntime-node's CPU binaries ship inside its package and no
# install script is needed (.npmrc: ignore-scripts).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true \
    MODELS_DIR=/app/models \
    HEALTH_PORT=8080
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
# package.json says "type": "module" for the compiled files.
COPY --chown=root:root package.json ./
COPY --from=build --chown=root:root /app/dist/ ./
# What the code reads at run time, where it reads it: next to the compiled modules.
COPY --chown=root:root models/manifest.json models/anomaly-stats.json models/categoriser.onnx models/anomaly.onnx ./models/
COPY --chown=root:root workers/batch/reference ./workers/batch/reference
COPY --chown=root:root workers/api/page ./workers/api/page
# Code is root-owned and read-only to the process; the worker runs as the image's unprivileged user.
USER node
EXPOSE 8080
# The slim image has no curl; node itself asks /health (200 healthy, 503 unhealthy or draining).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.HEALTH_PORT??8080)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Exec form: SIGTERM reaches node directly, which drains, checkpoints and releases leases. A
# command (not an entrypoint) so an ECS task definition states the whole command with its role.
CMD ["node", "workers/main.js"]
