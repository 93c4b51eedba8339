# oauth2-rest platform image: build on Debian 12, run on a slim Debian 12 with only the shared
# libraries the executable needs, as a non-root user, under tini (as the platform's images do).
FROM debian:bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      cmake g++ make libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev \
      libssl-dev librabbitmq-dev zlib1g-dev libbrotli-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt component.json ./
COPY cmake cmake
COPY lib lib
COPY src src
COPY spec spec
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DOAUTH2_REST_TESTS=OFF \
 && cmake --build build -j "$(nproc)" --target oauth2-rest \
 && strip build/oauth2-rest

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates tini libssl3 librabbitmq4 libboost-json1.81.0 libboost-url1.81.0 zlib1g libbrotli1 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /home/apps --create-home apps
WORKDIR /home/apps
COPY --from=build /src/build/oauth2-rest /usr/local/bin/oauth2-rest
COPY component.json logo.png ./
USER apps
# -e 143: SIGTERM's exit status counts as success, as in the platform's own images.
ENTRYPOINT ["/usr/bin/tini", "-v", "-e", "143", "--"]
CMD ["oauth2-rest", "sail"]
