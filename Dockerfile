# syntax=docker/dockerfile:1
# One image for the federation's services; the command picks the service (compose and `kubefed init` set it):
#   node services/ingest/dist/main.mjs | node services/propagator/dist/main.mjs
# It runs compiled JavaScript (scripts/build-services.mjs, esbuild) as the unprivileged `node` user, with neither
# TypeScript tooling nor node_modules in the final stage. EXPOSE lists libs/config's default ports of the services;
# test/unit/compose.test.ts checks them and the entry points.

# Reduce the build context to the npm manifests, so the `npm ci` layer below is reused until a manifest or
# the lockfile changes (COPY --from is cached by content, not by the stage that produced it).
FROM node:20-slim AS manifests
WORKDIR /src
COPY . .
RUN find . -type f ! -name package.json ! -name package-lock.json ! -path '*/bin/*' -delete \
 && find . -depth -type d -empty -delete

FROM node:20-slim AS build
WORKDIR /src
COPY --from=manifests /src/ ./
# Dev dependencies included: esbuild compiles the services.
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY . .
RUN node scripts/build-services.mjs --stage /out

FROM node:20-slim AS runtime
WORKDIR /app
COPY --from=build /out/ ./
ENV NODE_ENV=production
USER node
EXPOSE 8443 9090 9091
CMD ["node", "services/ingest/dist/main.mjs"]
