# syntax=docker/dockerfile:1
# One recipe for the services; choose one with --target ingest|propagator (compose does).
# The ports each stage EXPOSEs are libs/config's defaults; test/unit/compose.test.ts checks them.

# Reduce the build context to the npm manifests, so the `npm ci` layer below is reused until a manifest or
# the lockfile changes (COPY --from is cached by content, not by the stage that produced it).
FROM node:20-slim AS manifests
WORKDIR /src
COPY . .
RUN find . -type f ! -name package.json ! -name package-lock.json ! -path '*/bin/*' -delete \
 && find . -depth -type d -empty -delete

FROM node:20-slim AS base
WORKDIR /app
COPY --from=manifests /src/ ./
# Dev dependencies included: the services run from TypeScript through tsx.
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY . .
ENV NODE_ENV=production
USER node

FROM base AS ingest
EXPOSE 8443
CMD ["npx", "tsx", "services/ingest/src/main.ts"]

FROM base AS propagator
EXPOSE 9090
CMD ["npx", "tsx", "services/propagator/src/main.ts"]
