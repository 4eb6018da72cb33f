"""Generated from third_party/grpc by `make gen`; do not edit."""
