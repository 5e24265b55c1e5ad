# syntax=docker/dockerfile:1
# One image for every segwatch subcommand (api, controller, evaluator, deliver, segment, status, dlq):
#   docker run --rm ghcr.io/segwatch/segwatch:<version> <subcommand> --help
# scripts/image-steps.ts runs these same steps outside Docker (a test runs it), so every RUN and COPY
# below is exercised; keep them to relative paths under the WORKDIR and COPY --from.

FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build

FROM node:24-slim AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="segwatch" \
      org.opencontainers.image.description="Real-time segment entry/exit triggers as a Kubernetes operator" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/segwatch/segwatch" \
      org.opencontainers.image.url="https://github.com/segwatch/segwatch" \
      org.opencontainers.image.vendor="segwatch" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# Numeric, so that Kubernetes can verify runAsNonRoot (uid 1000 is the image's "node" user); the
# chart and the controller's delivery Deployments run with a read-only root filesystem.
USER 1000:1000
ENTRYPOINT ["node", "/app/dist/cli/main.js"]
CMD ["--help"]
