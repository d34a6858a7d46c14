# selfheal: the exporter, policy API and recovery receiver. Node 20 slim, non-root, with a healthcheck.
FROM node:20-slim AS build
WORKDIR /app
# better-sqlite3 builds its native module with node-gyp.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY . .
# Compile (no install-time `prepare`), drop dev dependencies, then keep only better-sqlite3's compiled
# addon: its SQLite sources, object files and build scripts are ~27 MB the image never runs.
RUN npm ci \
 && npm run build \
 && npm prune --omit=dev \
 && cd node_modules/better-sqlite3 \
 && rm -rf deps src binding.gyp \
 && find build -mindepth 1 -maxdepth 1 ! -name Release -exec rm -rf {} + \
 && find build/Release -mindepth 1 -maxdepth 1 ! -name better_sqlite3.node -exec rm -rf {} + \
 && test -f build/Release/better_sqlite3.node \
 && rm -rf /root/.npm

FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/bin ./bin
COPY --from=build /app/demo ./demo
RUN mkdir -p /var/lib/selfheal/platform /var/lib/selfheal/state && chown -R node:node /var/lib/selfheal
USER node
EXPOSE 8477
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8477/-/healthy').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "bin/selfheal.js"]
CMD ["serve", "--config", "/etc/selfheal/selfheal.yml"]
