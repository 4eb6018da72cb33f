"""Operations: Prometheus metrics and structured logs, shared by the gRPC
interceptor and the HTTP gateway's observer. Knows nothing about runs."""
