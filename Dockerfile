# syntax=docker/dockerfile:1
# Build: docker build -t session-gateway .
# Run:   docker run --read-only --tmpfs /tmp -p 8080:8080 -p 9090:9090 \
#          -v "$PWD/proxy.yaml:/config/proxy.yaml:ro" -v sg-data:/data session-gateway
# The configuration is mounted from outside; the session database lives in the /data volume. Kubernetes manifests:
# deploy/kubernetes (docs/kubernetes.md).
#
# Runs with a read-only root filesystem (Kubernetes readOnlyRootFilesystem, docker --read-only). It writes only to:
#   /data  the SQLite session database (not needed with the PostgreSQL store);
#   /tmp   .NET's diagnostics socket (dotnet-counters, dotnet-trace; without a writable /tmp the runtime goes on
#          without it, or set DOTNET_EnableDiagnostics=0) and SQLite's temporary files (VACUUM).
# Nothing else: ASP.NET Core's Data Protection, registered by its authentication but unused by the gateway, finds
# $HOME read-only and keeps an in-memory key ring (two warnings at start). tests/.../ReadOnlyRootTests check this.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /source
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/SessionGateway/SessionGateway.csproj src/SessionGateway/
COPY src/SessionGateway.Engine/SessionGateway.Engine.csproj src/SessionGateway.Engine/
RUN dotnet restore src/SessionGateway/SessionGateway.csproj --use-current-runtime
COPY src/ src/
# ReadyToRun (see the csproj) for the platform being built: a start is mostly the JIT otherwise.
RUN dotnet publish src/SessionGateway/SessionGateway.csproj -c Release --no-restore --use-current-runtime --self-contained false -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
RUN mkdir -p /config /data && chown "$APP_UID" /data
# The image's built-in non-root user.
USER $APP_UID
ENV Urls=http://0.0.0.0:8080 \
    Session__Store__ConnectionString=/data/sessions.db
# 8080: traffic. 9090: the management listener (/healthz, /readyz, /metrics) when proxy.yaml sets
# Session:Management:Urls to http://0.0.0.0:9090, as the Kubernetes manifests do; it is off otherwise.
# No HEALTHCHECK: Kubernetes probes the management port itself (docs/kubernetes.md).
EXPOSE 8080 9090
VOLUME ["/data"]
ENTRYPOINT ["dotnet", "/app/SessionGateway.dll", "--config", "/config/proxy.yaml"]
