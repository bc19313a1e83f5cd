# Tideway container image. Build: docker build -t tideway:0.1.0 .
#
# Build stage: dependencies from the lockfile (npm ci, without lifecycle scripts: the build runs
# explicitly once the sources are in), TypeScript compiled to dist/, dev dependencies pruned.
FROM node:22-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Runtime stage: Node 22, the compiled code and production dependencies only, as a non-root user,
# plus the admin dashboard's static files, which dist/admin/dashboard.js reads from src/admin/dashboard/
# (tsc does not copy them into dist/).
FROM node:22-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/src/admin/dashboard ./src/admin/dashboard
USER 10001:10001
EXPOSE 8080 8443 9901
# node itself is PID 1's command (never npm or npx, which do not pass SIGTERM on): SIGTERM starts the drain.
CMD ["node", "dist/cli/main.js"]
