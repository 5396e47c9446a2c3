# Switchyard image: multi-stage, non-root, production dependencies only.
# GPU hosts: docker build --build-arg ORT_INSTALL=cuda12 -t switchyard:gpu . (on a CUDA 12 base/runtime)
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npx tsc -p tsconfig.json

FROM node:20-bookworm-slim
ARG ORT_INSTALL=skip
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && if [ "$ORT_INSTALL" != "skip" ]; then ONNXRUNTIME_NODE_INSTALL="$ORT_INSTALL" node node_modules/onnxruntime-node/script/install; fi \
 && npm cache clean --force
COPY --from=build /app/dist dist
COPY proto proto
USER node
VOLUME ["/models"]
EXPOSE 8000 8001 8002
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
  CMD node -e "fetch('http://127.0.0.1:8000/v2/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["gateway", "--repository", "/models", "--host", "0.0.0.0"]
