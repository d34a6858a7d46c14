# selfheal: the exporter, policy API and recovery receiver. Node 20 slim, non-root, tini as PID 1, with a healthcheck.
#
# BASE_IMAGE: any Debian-based image with Node 20 and npm, a `node` user (uid 1000) and apt; node:20-slim by
# default. Where no registry is reachable, build one locally (the tests do: a debootstrap'd Debian plus this
# machine's Node) and pass it: --build-arg BASE_IMAGE=...
# npm's registry settings are BuildKit secrets, read only while `npm ci` runs and never written to a layer:
#   DOCKER_BUILDKIT=1 docker build --secret id=npmrc,src=$HOME/.npmrc --secret id=npm_ca,src=/etc/ssl/certs/ca-certificates.crt .
ARG BASE_IMAGE=node:20-slim

FROM ${BASE_IMAGE} AS build
WORKDIR /app
# better-sqlite3 builds its native module with node-gyp.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
# Dependencies first: their layer is reused until package*.json change.
COPY package.json package-lock.json ./
RUN --mount=type=secret,id=npmrc,target=/root/.npmrc \
    --mount=type=secret,id=npm_ca,target=/run/secrets/npm_ca \
    if [ -s /run/secrets/npm_ca ]; then export NPM_CONFIG_CAFILE=/run/secrets/npm_ca; fi \
 && npm ci \
 && rm -rf /root/.npm
COPY . .
# Compile, drop dev dependencies, then keep only better-sqlite3's compiled addon: its SQLite sources,
# object files and build scripts are ~27 MB the image never runs.
RUN npm run build \
 && npm prune --omit=dev \
 && cd node_modules/better-sqlite3 \
 && rm -rf deps src binding.gyp \
 && find build -mindepth 1 -maxdepth 1 ! -name Release -exec rm -rf {} + \
 && find build/Release -mindepth 1 -maxdepth 1 ! -name better_sqlite3.node -exec rm -rf {} + \
 && test -f build/Release/better_sqlite3.node \
 && rm -rf /root/.npm

FROM ${BASE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
# An init as PID 1: reaps the zombies of handlers that double-fork and forwards SIGTERM.
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/bin ./bin
COPY --from=build /app/demo ./demo
RUN mkdir -p /var/lib/selfheal/platform /var/lib/selfheal/state && chown -R node:node /var/lib/selfheal
USER node
EXPOSE 8477
# The URL is an environment variable so a deployment on another port (host networking) keeps the check.
ENV SELFHEAL_HEALTH_URL=http://127.0.0.1:8477/-/healthy
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.SELFHEAL_HEALTH_URL).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "bin/selfheal.js"]
CMD ["serve", "--config", "/etc/selfheal/selfheal.yml"]
