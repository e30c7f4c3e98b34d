# Node 20: the version the project is built and tested on (CI runs the tests on Node 20; it does
# not build this image, which has no Docker engine there).
FROM node:20-bookworm-slim
WORKDIR /app
ENV STRAPI_TELEMETRY_DISABLED=true
COPY package.json package-lock.json ./
# Dev dependencies (TypeScript types) are needed to build; pruned afterwards.
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && touch dist/.build-stamp && npm prune --omit=dev
ENV NODE_ENV=production
EXPOSE 1337
CMD ["node", "scripts/cli.js", "start"]
