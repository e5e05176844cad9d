# syntax=docker/dockerfile:1
# Build: docker build -t session-gateway .
# Run:   docker run -p 8080:8080 -v "$PWD/proxy.yaml:/config/proxy.yaml:ro" -v sg-data:/data session-gateway
# The configuration is mounted from outside; the session database lives in the /data volume.

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
EXPOSE 8080
VOLUME ["/data"]
ENTRYPOINT ["dotnet", "/app/SessionGateway.dll", "--config", "/config/proxy.yaml"]
