# syntax=docker/dockerfile:1
# One image for every worker role: the task's command picks it,
# `node --import=tsx workers/main.ts <role>` (crawler, stream-reader, scorer, projector, api, batch,
# replay); WORKER_ROLE works too. TypeScript runs through tsx, so the image holds exactly the
# source that was reviewed; there is no separate build output to drift from it.

FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# Production dependencies only; onnxruntime-node's CPU binaries ship inside its package
# (.npmrc skips its CUDA download).
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true \
    MODELS_DIR=/app/models \
    HEALTH_PORT=8080
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --chown=root:root package.json tsconfig.json ./
COPY --chown=root:root shared ./shared
COPY --chown=root:root models ./models
COPY --chown=root:root workers ./workers
# Code is root-owned and read-only to the process; the worker runs as the image's unprivileged user.
USER node
EXPOSE 8080
# The slim image has no curl; node itself asks /health (200 healthy, 503 unhealthy or draining).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.HEALTH_PORT??8080)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Exec form: SIGTERM reaches node directly, which drains, checkpoints and releases leases. A
# command (not an entrypoint) so an ECS task definition states the whole command with its role.
CMD ["node", "--import=tsx", "workers/main.ts"]
